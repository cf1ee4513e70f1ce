//! Tests for 02/01. Run them with `cargo xtask check 02/01`.

use ex02_01_spawn_workers::{SpawnError, spawn_workers};
use std::time::Duration;
use test_support::report::{self, Outcome};
use test_support::{Gauge, RatioCheck, SpeedupCheck, ThreadSet, expect_at_least, kernel, spin};

/// Runs `f` on a fresh thread (named like the test) that may only use one CPU, the
/// one it started on; the threads it spawns inherit that budget. `None` when the
/// budget cannot be set on this system.
fn on_one_core<R: Send>(f: impl FnOnce() -> R + Send) -> Option<R> {
    let name = std::thread::current().name().unwrap_or("test").to_string();
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name(name)
            .spawn_scoped(s, || restrict_to_one_cpu().then(f))
            .expect("cannot start the test's helper thread");
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The CPU time the calling thread has used so far (zero if the clock cannot be
/// read; the one-core tests only run on Linux, where it can).
fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    Duration::ZERO
}

#[cfg(target_os = "linux")]
fn restrict_to_one_cpu() -> bool {
    // SAFETY: plain syscalls on a zeroed, properly sized `cpu_set_t`; pid 0 means the
    // calling thread.
    unsafe {
        let cpu = libc::sched_getcpu();
        if cpu < 0 {
            return false;
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu as usize, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn restrict_to_one_cpu() -> bool {
    false
}

fn not_checked_without_affinity(check: &str) {
    report::record(
        check,
        Outcome::NotChecked,
        "cannot restrict this test to one CPU here (needs Linux sched_setaffinity)",
    );
}

#[test]
fn workers_are_named_and_results_come_back_in_order() {
    // Deterministic by construction: worker i returns a line naming i and its thread.
    let lines = spawn_workers(4, |i| {
        let me = std::thread::current();
        format!(
            "job({i}) ran on {}",
            me.name().unwrap_or("an unnamed thread")
        )
    })
    .expect("4 workers should start");
    let zero = spawn_workers(0, |i| i);
    assert_eq!(
        zero,
        Err(SpawnError::NoWorkers),
        "asking for 0 workers must be an error, not an empty list or a panic"
    );
    let zero = zero.unwrap_err();
    let listing = format!("{}\n0 workers: {zero}", lines.join("\n"));
    insta::assert_snapshot!(listing);
}

#[test]
fn results_follow_the_workers_not_the_order_they_finish() {
    // Deterministic order of finishing, the reverse of the workers': worker i ends only
    // after every worker above it has ended, and then 20 ms later, so that whatever
    // the worker's thread does with the result happens in that order too. Results
    // collected as they come in would come out [3, 2, 1, 0].
    use std::sync::{Arc, Condvar, Mutex};
    const N: usize = 4;
    let turn = Arc::new((Mutex::new(0usize), Condvar::new()));
    // A deadline, so that an answer that runs the workers one at a time still ends.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let t = Arc::clone(&turn);
    let results = spawn_workers(N, move |i| {
        let (ended, wake) = &*t;
        let mut ended_now = ended.lock().unwrap();
        while *ended_now < N - 1 - i {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            ended_now = wake.wait_timeout(ended_now, left).unwrap().0;
        }
        drop(ended_now);
        std::thread::sleep(Duration::from_millis(20));
        *ended.lock().unwrap() += 1;
        wake.notify_all();
        i
    })
    .expect("4 workers should start");
    assert_eq!(
        results,
        vec![0, 1, 2, 3],
        "the workers ended in the order 3, 2, 1, 0, and `spawn_workers` returned their \
         results as {results:?}: results must be in worker order (worker i's result at \
         index i), whichever worker finished first; join the handles in order"
    );
}

#[test]
fn every_worker_is_a_thread_of_its_own() {
    let threads = ThreadSet::new();
    let gauge = Gauge::new();
    let (t, g) = (threads.clone(), gauge.clone());
    spawn_workers(4, move |_| {
        t.record();
        let _in_flight = g.enter();
        std::thread::sleep(Duration::from_millis(30));
    })
    .expect("4 workers should start");
    expect_at_least(
        "distinct threads that ran the 4 workers",
        threads.distinct(),
        4,
    );
    assert!(
        !threads.contains_current(),
        "a job ran on the test's own thread: every worker must be a new thread"
    );
    expect_at_least("workers in flight at once", gauge.most_at_once(), 4);
}

#[test]
fn sleeping_workers_overlap_even_on_one_core() {
    let each = Duration::from_millis(100);
    let check = "four sleeping workers on one core (against four sleeps in a row)";
    let done = on_one_core(|| {
        let gauge = Gauge::new();
        // Four sleeps one after another take 4 x 100 ms. Four sleeping workers need no
        // core while they sleep, so even on one core they take about 100 ms: 4x
        // faster. Half of that is required.
        RatioCheck::new(check, 2.0).run(
            || {
                for _ in 0..4 {
                    std::thread::sleep(each);
                }
            },
            || {
                let g = gauge.clone();
                spawn_workers(4, move |_| {
                    let _in_flight = g.enter();
                    std::thread::sleep(each);
                })
                .expect("4 workers should start");
            },
        );
        expect_at_least(
            "sleeping workers in flight at once",
            gauge.most_at_once(),
            4,
        );
    });
    if done.is_none() {
        not_checked_without_affinity(check);
    }
}

#[test]
fn busy_workers_take_turns_on_one_core() {
    let steps = kernel::steps_for(Duration::from_millis(40));
    let check = "four busy workers on one core";
    let Some((budget, (one, share), (four, first), most)) = on_one_core(|| {
        // What the standard library sees from inside the one-core budget.
        let budget = std::thread::available_parallelism().map_or(1, |n| n.get());
        let gauge = Gauge::new();
        // The fastest of three single workers, and the share of the core it got: if
        // another program runs on this CPU, the scheduler gives four workers a larger
        // share of it than one, and the ratio below says little.
        let one = (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                let cpu = spawn_workers(1, move |_| {
                    let before = thread_cpu_time();
                    spin(steps);
                    thread_cpu_time().saturating_sub(before)
                })
                .expect("1 worker should start")[0];
                let wall = start.elapsed();
                (wall, cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9))
            })
            .min_by_key(|&(wall, _)| wall)
            .expect("three tries");
        // Three tries of four workers, each worker saying when it ended; keep the
        // fastest try, and when its first worker ended.
        let (four, first) = (0..3)
            .map(|_| {
                let g = gauge.clone();
                let start = std::time::Instant::now();
                let ends = spawn_workers(4, move |_| {
                    let _in_flight = g.enter();
                    std::hint::black_box(spin(steps));
                    start.elapsed()
                })
                .expect("4 workers should start");
                let total = start.elapsed();
                (total, ends.into_iter().min().unwrap_or(total))
            })
            .min_by_key(|&(total, _)| total)
            .expect("three tries");
        (budget, one, (four, first), gauge.most_at_once())
    }) else {
        not_checked_without_affinity(check);
        return;
    };
    assert_eq!(
        budget, 1,
        "inside the one-core budget, available_parallelism() should say 1"
    );
    // All four were in flight together (the scheduler knew four threads) ...
    expect_at_least("busy workers in flight at once on one core", most, 4);
    // A ratio to one worker alone, judged unless another program shared the CPU.
    let judge = |check: &str, detail: String, passed: bool, claim: &str| {
        if passed {
            report::record_timing(check, Outcome::Passed, &detail);
        } else if share < 0.85 {
            let detail = format!(
                "{detail}; but a single worker got only {:.0}% of the CPU: other programs share \
                 it, so the ratio cannot be judged",
                share * 100.0
            );
            report::record_timing(check, Outcome::NotChecked, &detail);
        } else {
            report::record_timing(check, Outcome::Failed, &detail);
            panic!("{claim}, but {detail}");
        }
    };
    // ... yet one core runs one at a time: four take about 4x as long as one.
    let ratio = four.as_secs_f64() / one.as_secs_f64().max(1e-9);
    let needed = 3.0;
    judge(
        check,
        format!(
            "all four took {ratio:.2}x as long as one worker alone, needed at least {needed:.2}x"
        ),
        ratio >= needed,
        "four busy workers on one core should take turns, about 4x as long as one",
    );
    // ... and the turns are time slices, not rounds: the four advance together, so
    // even the first to finish ends near 4x (run one after another, it would end at
    // 1x).
    let first_ratio = first.as_secs_f64() / one.as_secs_f64().max(1e-9);
    let needed = 2.0;
    judge(
        "the first of four busy workers to finish, on one core",
        format!(
            "it ended after {first_ratio:.2}x one worker's time alone (time slices: near 4x; \
             one worker after another: 1x), needed at least {needed:.2}x"
        ),
        first_ratio >= needed,
        "four busy workers on one core should share it in time slices, all ending near 4x one \
         worker's time",
    );
}

#[test]
fn busy_workers_speed_up_with_cores() {
    let steps = kernel::steps_for(Duration::from_millis(80));
    // The distinct threads of each run of two workers, counted run by run.
    let mut per_run = Vec::new();
    SpeedupCheck::new("two busy workers on the machine's cores")
        .pieces(2)
        .run(
            || {
                for _ in 0..2 {
                    spin(steps);
                }
            },
            || {
                let threads = ThreadSet::new();
                let t = threads.clone();
                spawn_workers(2, move |_| {
                    t.record();
                    spin(steps)
                })
                .expect("2 workers should start");
                per_run.push(threads.distinct());
            },
        );
    let runs = per_run.len();
    expect_at_least(
        &format!("distinct threads that ran 2 busy workers (the fewest in one run, of {runs})"),
        per_run.into_iter().min().unwrap_or(0),
        2,
    );
}
