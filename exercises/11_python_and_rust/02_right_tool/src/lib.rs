//! # 11/02 The right tool for each job: the rules, in Rust
//!
//! The study notes end with two rules: *if tasks wait, think concurrency; if tasks
//! compute, think parallelism*. In Rust they name their tools: waits go to **async
//! tasks** (thousands of them wait on one thread), computations go to **threads or
//! rayon** (one thread per core, no global lock). Here one batch holds both kinds of
//! job, and each must go to its own tool: a wait on a tokio task, a computation on
//! rayon's pool, and never a computation on the async runtime's own thread, which
//! must stay free to wake the waits.
//!
//! Book: `book/src/ch11-python-and-rust/exercises.md` (the rules themselves are in
//! `book/src/ch11-python-and-rust/rust-rules.md`)

use std::fmt;
use std::time::Duration;

/// One job of a batch: it either waits or computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Waits this long (a timer standing in for the network or a disk), keeping no
    /// core busy.
    Waits(Duration),
    /// Keeps a core busy: `compute(steps)`, with the function given to [`run_jobs`].
    Computes(u64),
}

/// What a job gave back, at the same index as the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A [`Job::Waits`] that waited its whole duration.
    Waited(Duration),
    /// The result of `compute(steps)` for a [`Job::Computes`].
    Computed(u64),
}

/// Why [`run_jobs`] gave no outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The computation of the job at `index` panicked (the first such job, in the
    /// order of the jobs).
    Panicked { index: usize },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Panicked { index } => {
                write!(f, "job {index} panicked while it computed")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Runs every job of the batch at the same time, each with the tool the rules name
/// for its kind, and returns their outputs **in the order of `jobs`**.
///
/// - A [`Job::Waits`] sleeps with `tokio::time::sleep` on a tokio task of its own, so
///   that all the waits overlap: the waits of a batch take as long as the longest.
/// - A [`Job::Computes`] runs `compute(steps)` on rayon's pool, spread over the
///   cores. No computation runs on the thread that runs this `async fn` (the
///   runtime's thread): it must stay free to wake the waits, so the computations are
///   handed to another thread and their results awaited.
///
/// If a computation panics, the panic does not escape: the result is
/// `Err(RunError::Panicked { index })`, with the index of the first job (in the order
/// of `jobs`) whose computation panicked. No jobs, no work: an empty `Vec` gives an
/// empty `Vec` at once.
pub async fn run_jobs<F>(jobs: Vec<Job>, compute: F) -> Result<Vec<Output>, RunError>
where
    F: Fn(u64) -> u64 + Send + Sync + 'static,
{
    // TODO: in one loop over `jobs.into_iter().enumerate()`, spawn a task into a
    // `tokio::task::JoinSet` for each wait (it sleeps, then returns its index) and
    // keep `(index, steps)` for each computation. Hand the computations to rayon from
    // a thread that is not the runtime's (`tokio::task::spawn_blocking` with
    // `into_par_iter()` inside), each under `std::panic::catch_unwind`. Await both and
    // put every output back at its job's index.
    let _ = (jobs, compute);
    todo!("waits on tokio tasks, computations on rayon, outputs in the order of the jobs")
}
