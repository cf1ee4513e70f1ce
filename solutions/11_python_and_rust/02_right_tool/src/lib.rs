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

use rayon::prelude::*;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;
use tokio::task::JoinSet;

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
    let mut outputs: Vec<Option<Output>> = vec![None; jobs.len()];
    let mut waits = JoinSet::new();
    let mut computations = Vec::new();
    for (index, job) in jobs.into_iter().enumerate() {
        match job {
            // Waiting: a task of its own, which holds no core while it sleeps.
            Job::Waits(delay) => {
                waits.spawn(async move {
                    tokio::time::sleep(delay).await;
                    (index, delay)
                });
            }
            // Computing: kept aside for rayon.
            Job::Computes(steps) => computations.push((index, steps)),
        }
    }
    // Rayon's pool spreads the computations over the cores; it is reached from a
    // blocking thread, so that the runtime's thread only awaits the result.
    let computed = tokio::task::spawn_blocking(move || {
        computations
            .into_par_iter()
            .map(|(index, steps)| {
                let result = catch_unwind(AssertUnwindSafe(|| compute(steps)));
                (index, result.ok())
            })
            .collect::<Vec<_>>()
    });
    while let Some(done) = waits.join_next().await {
        let (index, delay) = done.expect("a waiting task panicked");
        outputs[index] = Some(Output::Waited(delay));
    }
    // In the order of the jobs, so the first `None` is the first panic.
    for (index, result) in computed.await.expect("the computations' thread panicked") {
        let value = result.ok_or(RunError::Panicked { index })?;
        outputs[index] = Some(Output::Computed(value));
    }
    Ok(outputs
        .into_iter()
        .map(|output| output.expect("every job gave an output"))
        .collect())
}
