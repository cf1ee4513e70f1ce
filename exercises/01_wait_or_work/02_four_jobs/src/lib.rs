//! # 01/02 Four jobs: waits overlap, work needs cores
//!
//! Running each job on its own OS thread helps both kinds of job, for different
//! reasons: waiting jobs overlap their waits (even on one core), computing jobs run
//! at the same instant on different cores (only if there are cores).
//!
//! Book: `book/src/ch01-wait-or-work/measure-it.md`

use std::time::Duration;

/// A job: some work that produces a `T` and can be sent to another thread.
pub type Job<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// Given: runs the jobs one after the other on the calling thread.
pub fn run_sequentially<T>(jobs: Vec<Job<T>>) -> Vec<T> {
    jobs.into_iter().map(|job| job()).collect()
}

/// Runs every job on a thread of its own, all at the same time, and returns their
/// results in the order of `jobs` (not in the order they finish).
///
/// A job that panics makes this function panic too.
pub fn run_on_threads<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<T> {
    // TODO: spawn one thread per job with `std::thread::spawn`, keep the handles,
    // and only then join them, in order. Joining right after spawning would run the
    // jobs one at a time again.
    let _ = jobs;
    todo!("one thread per job, results in job order")
}

/// What a job does with its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Sleeps or waits for I/O: needs no core while it waits.
    Waits,
    /// Keeps a core busy the whole time.
    Computes,
}

/// The model: how long `jobs` jobs of `work`, each taking `each` on its own, take in
/// total when every job runs on a thread of its own, on a machine with `cores` cores.
///
/// Waiting jobs overlap completely. Computing jobs run `cores` at a time, so they take
/// `ceil(jobs / cores)` rounds. No jobs take no time; a machine reported with 0 cores
/// still has one.
pub fn predict_total(work: Work, jobs: u32, each: Duration, cores: u32) -> Duration {
    // TODO: one `match` on `work`; `u32::div_ceil` rounds up.
    let _ = (work, jobs, each, cores);
    todo!("predict the total time")
}
