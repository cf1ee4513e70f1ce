//! How much CPU *other programs* used while a measurement ran.
//!
//! The spare capacity measured before and after a try says little about the load
//! *during* it: a neighbour that switches between busy and idle every few hundred
//! milliseconds (rust-analyzer after a save, a browser tab, a build in another
//! terminal) can leave both calibrations quiet and still halve the cores that the
//! learner's parallel variant got. So every timed variant is bracketed by a
//! [`Window`], which reads the kernel's CPU accounting (`/proc/stat` for the CPUs
//! this process may run on, `/proc/self/stat` for this process and the children it
//! waited for) and reports the CPU time nobody in this test used, in cores.
//!
//! Where that accounting cannot be read or attributed (not Linux, or a CPU quota that
//! makes `/proc/stat` describe a larger machine than this process may use), the
//! window says `None` and the checks fall back on the capacity gate alone.

use std::time::Instant;

/// Above this average foreign load (in cores) during a timed variant, the try says
/// nothing about the learner's code and is not judged. Measured here over 130 ms
/// windows: an idle 2-core machine shows 0.00-0.08 after the forgiven tick (0.00-0.15
/// before), a neighbour spinning half of the time about 0.5.
/// A load of 0.15 of a core slows a 2-thread variant by at most about 8%, less than
/// the margin between a correct answer and the threshold of any check.
pub const MAX_FOREIGN_LOAD: f64 = 0.15;

/// CPU time counters at one instant, in clock ticks.
#[derive(Clone, Copy, Debug)]
struct Counters {
    /// Busy time (everything but idle and iowait) of the CPUs this process may use.
    busy: u64,
    /// This process's own CPU time, plus that of the children it has waited for.
    own: u64,
    at: Instant,
}

/// A stretch of time over which the foreign load is measured.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    start: Option<Counters>,
}

impl Window {
    /// Starts measuring now.
    pub fn start() -> Self {
        Self {
            start: read_counters(),
        }
    }

    /// The average number of cores that other programs kept busy since the start
    /// (0.0 on a quiet machine), or `None` when it cannot be measured here.
    pub fn foreign_cores(&self) -> Option<f64> {
        let start = self.start?;
        let end = read_counters()?;
        let seconds = end.at.duration_since(start.at).as_secs_f64();
        if seconds <= 0.0 {
            return Some(0.0);
        }
        let busy = end.busy.saturating_sub(start.busy) as f64;
        let own = end.own.saturating_sub(start.own) as f64;
        // The kernel samples CPU use at each clock tick, so two readings of an idle
        // machine differ by a tick now and then: one tick is forgiven.
        Some(((busy - own - 1.0).max(0.0) / ticks_per_second()) / seconds)
    }
}

/// Whether this machine can tell foreign load from our own (Linux, no CPU quota).
pub fn measurable() -> bool {
    read_counters().is_some()
}

#[cfg(target_os = "linux")]
fn ticks_per_second() -> f64 {
    use std::sync::OnceLock;
    static HZ: OnceLock<f64> = OnceLock::new();
    *HZ.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if hz > 0 { hz as f64 } else { 100.0 }
    })
}

#[cfg(not(target_os = "linux"))]
fn ticks_per_second() -> f64 {
    100.0
}

#[cfg(target_os = "linux")]
fn read_counters() -> Option<Counters> {
    let allowed = allowed_cpus()?;
    let at = Instant::now();
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let own = own_ticks()?;
    let mut busy = 0;
    let mut seen = 0;
    for line in stat.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        let mut fields = rest.split_ascii_whitespace();
        let Some(Ok(cpu)) = fields.next().map(str::parse::<usize>) else {
            continue; // the "cpu " line of totals
        };
        if !allowed.contains(&cpu) {
            continue;
        }
        let values: Vec<u64> = fields.filter_map(|v| v.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal (guest is already in user).
        // Steal counts as foreign: the hypervisor gave our CPU to someone else.
        let [user, nice, system, _idle, _iowait, irq, softirq, steal, ..] = values[..] else {
            return None;
        };
        busy += user + nice + system + irq + softirq + steal;
        seen += 1;
    }
    (seen == allowed.len()).then_some(Counters { busy, own, at })
}

#[cfg(not(target_os = "linux"))]
fn read_counters() -> Option<Counters> {
    None
}

/// The CPUs this process may run on, when `/proc/stat` describes exactly what it may
/// use: with a CPU quota (`available_parallelism` below the affinity mask, as in a
/// container limited to 2 of 64 cores) the busy time of the other CPUs would be
/// counted as load, so the load is reported as unmeasurable instead.
#[cfg(target_os = "linux")]
fn allowed_cpus() -> Option<Vec<usize>> {
    use std::sync::OnceLock;
    static ALLOWED: OnceLock<Option<Vec<usize>>> = OnceLock::new();
    ALLOWED
        .get_or_init(|| {
            // SAFETY: a zeroed cpu_set_t is a valid empty set, and sched_getaffinity
            // writes at most size_of::<cpu_set_t>() bytes into it.
            let set = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0
                {
                    return None;
                }
                set
            };
            let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
                // SAFETY: `cpu` is below CPU_SETSIZE.
                .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
                .collect();
            let available = std::thread::available_parallelism().map_or(1, |n| n.get());
            (!cpus.is_empty() && available >= cpus.len()).then_some(cpus)
        })
        .clone()
}

/// utime + stime + cutime + cstime of this process, from `/proc/self/stat`.
#[cfg(target_os = "linux")]
fn own_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: skip past it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_ascii_whitespace().collect();
    // after_name starts at field 3 (state); utime is field 14, so index 11.
    let ticks = fields.get(11..15)?;
    ticks
        .iter()
        .map(|v| v.parse::<i64>().ok().map(|t| t.max(0) as u64))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn own_work_is_not_foreign_and_a_neighbour_is() {
        if !measurable() {
            return; // a CPU quota: nothing to attribute here
        }
        // Our own busy thread is counted as ours, however busy the machine is: its
        // CPU time shows in our own counter (at least half of it, given tick noise).
        let before = read_counters().expect("measurable");
        let spun = crate::time(|| {
            crate::spin(crate::kernel::steps_for(std::time::Duration::from_millis(
                200,
            )));
        });
        let after = read_counters().expect("measurable");
        let own = (after.own - before.own) as f64 / ticks_per_second();
        assert!(
            own >= 0.05,
            "{:.0} ms of our own spinning showed as {own:.3} s of our CPU time",
            spun.as_secs_f64() * 1000.0
        );
        // A neighbour process spinning the whole time must show up as about one core.
        let mut neighbour = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .expect("sh");
        let window = Window::start();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let loaded = window.foreign_cores().expect("measurable");
        let _ = neighbour.kill();
        let _ = neighbour.wait();
        assert!(
            loaded > 0.5,
            "a process spinning for 300 ms showed as {loaded:.2} cores"
        );
    }
}
