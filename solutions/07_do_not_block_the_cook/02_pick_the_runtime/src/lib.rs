//! # 07/02 Pick the runtime
//!
//! tokio's current-thread runtime is one cook: every task on one thread, no
//! parallelism, no locking between workers, and `block_in_place` is not available.
//! The multi-thread runtime is a brigade: one worker per core (or as many as you ask
//! for), tasks that run in parallel and move between workers, and `block_in_place`,
//! which lets a task block its worker after handing the worker's other tasks to a
//! fresh thread.
//!
//! Book: `book/src/ch07-do-not-block-the-cook/runtimes.md`

use std::fmt;
use std::io;
use tokio::runtime::{Handle, RuntimeFlavor};

mod work;
pub use work::checksum;

/// Which runtime to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Every task on the thread that calls `block_on`.
    CurrentThread,
    /// `workers` worker threads, which run tasks in parallel.
    MultiThread { workers: usize },
}

/// What went wrong.
#[derive(Debug)]
pub enum RuntimeError {
    /// A multi-thread runtime was asked for with 0 workers.
    NoWorkers,
    /// The operating system refused to build the runtime (threads, I/O driver).
    Build(io::Error),
    /// `block_in_place` was asked for on a current-thread runtime, where it would
    /// panic: there is no other thread to hand the remaining tasks to.
    NeedsMultiThread,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::NoWorkers => {
                write!(
                    f,
                    "a multi-thread runtime needs at least 1 worker thread, not 0"
                )
            }
            RuntimeError::Build(e) => write!(f, "could not build the runtime: {e}"),
            RuntimeError::NeedsMultiThread => write!(
                f,
                "block_in_place needs a multi-thread runtime; on a current-thread runtime \
                 use spawn_blocking instead"
            ),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// Builds a tokio runtime of the given flavor, with timers and I/O enabled.
///
/// `MultiThread { workers: 0 }` is an error (`RuntimeError::NoWorkers`), not a panic.
pub fn build(flavor: Flavor) -> Result<tokio::runtime::Runtime, RuntimeError> {
    let mut builder = match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        // tokio panics on `worker_threads(0)`: answer with an error instead.
        Flavor::MultiThread { workers: 0 } => return Err(RuntimeError::NoWorkers),
        Flavor::MultiThread { workers } => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    builder.enable_all().build().map_err(RuntimeError::Build)
}

/// Computes `checksum(steps)` right here, in the current task, but with
/// `tokio::task::block_in_place`, so that the other tasks of this worker move to
/// another thread while it computes.
///
/// On a current-thread runtime, returns `Err(RuntimeError::NeedsMultiThread)` instead
/// of panicking.
pub async fn crunch_in_place(steps: u64) -> Result<u64, RuntimeError> {
    match Handle::current().runtime_flavor() {
        // `block_in_place` would panic here: there is no other thread to take over.
        RuntimeFlavor::CurrentThread => Err(RuntimeError::NeedsMultiThread),
        // The worker's other tasks move to a fresh thread while this one computes.
        _ => Ok(tokio::task::block_in_place(|| checksum(steps))),
    }
}
