//! # 01/02 Four jobs: waits overlap, work needs cores
//!
//! Running each job on its own OS thread helps both kinds of job, for different
//! reasons: waiting jobs overlap their waits (even on one core), computing jobs run
//! at the same instant on different cores (only if there are cores). With more
//! computing threads than cores, the scheduler shares the cores out in time slices,
//! so the threads all advance together; a pool of one worker per core runs the same
//! jobs in rounds instead.
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

/// How the jobs of a batch run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    /// Every job on a thread of its own, all started at once ([`run_on_threads`]). The
    /// scheduler time-slices the threads: with more computing threads than cores,
    /// each gets its share of the cores, and they all finish near the end.
    ThreadPerJob,
    /// A pool of as many worker threads as there are cores: each worker takes the
    /// next job when its last one is done, so the jobs run in rounds of `cores`. A
    /// waiting job holds its worker too.
    WorkerPerCore,
}

/// The model: how long `jobs` jobs of `work`, each taking `each` on its own, take in
/// total when `runner` runs them on a machine with `cores` cores.
///
/// - **One thread per job.** Waiting jobs overlap completely: `each`. Computing jobs
///   share the cores: with more jobs than cores, every thread gets `cores / jobs` of
///   a core and they all finish near `jobs * each / cores` (five jobs of 100 ms on two
///   cores: 250 ms); with no more jobs than cores, `each`.
/// - **A pool of `cores` workers.** Waiting or computing, the jobs run in
///   `ceil(jobs / cores)` rounds of `each` (five jobs of 100 ms on two cores: three
///   rounds, 300 ms).
///
/// No jobs take no time; a machine reported with 0 cores still has one.
pub fn predict_total(
    work: Work,
    runner: Runner,
    jobs: u32,
    each: Duration,
    cores: u32,
) -> Duration {
    // TODO: no jobs take no time; treat 0 cores as 1. Then one `match` on
    // `(runner, work)`: on threads, waiting jobs take `each` and computing jobs take
    // `each * jobs / cores` once there are more jobs than cores (`each` otherwise);
    // on a pool, every kind of job takes `jobs.div_ceil(cores)` rounds of `each`.
    let _ = (work, runner, jobs, each, cores);
    todo!("predict the total time")
}
