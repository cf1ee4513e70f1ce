//! # 01/01 Does it wait or compute?
//!
//! A job that *waits* (sleeps, reads from the network) spends its wall-clock time
//! off the CPU; a job that *computes* spends nearly all of it on the CPU. Comparing
//! the two clocks tells you which model the job needs: concurrency for waiting,
//! parallelism for computing.
//!
//! Book: `book/src/ch01-wait-or-work/waits-or-computes.md`

use std::time::Duration;

mod cpu_clock;
pub use cpu_clock::thread_cpu_time;

/// What a job mostly does with its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Mostly off the CPU: sleeping, waiting for I/O. Wants concurrency.
    Waits,
    /// Mostly on the CPU. Wants parallelism.
    Computes,
}

/// How long a job took on the wall clock, and how much CPU time it used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    pub wall: Duration,
    pub cpu: Duration,
}

/// Runs `job` once, on the calling thread, and measures it.
///
/// `wall` is the wall-clock time the job took; `cpu` is the CPU time the calling
/// thread spent while running it.
pub fn profile(job: impl FnOnce()) -> Profile {
    // TODO: read both clocks (`std::time::Instant::now()` and `thread_cpu_time()`),
    // run the job, read both clocks again, and return the two differences.
    let _ = job;
    todo!("measure the job's wall-clock and CPU time")
}

/// Says whether a job that took `wall` on the wall clock and `cpu` on the CPU mostly
/// waits or mostly computes.
///
/// A job computes when its CPU time is at least half of its wall time; otherwise it
/// waits. A job that took no wall time at all did not compute anything: it waits.
pub fn classify(wall: Duration, cpu: Duration) -> Kind {
    // TODO: compare `cpu` with `wall` (in integer nanoseconds, or as `f64` seconds).
    let _ = (wall, cpu);
    todo!("compare CPU time with wall time")
}
