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
    // TODO: `tokio::runtime::Builder::new_current_thread()` or `new_multi_thread()`
    // with `.worker_threads(workers)`; then `.enable_all().build()`, turning its
    // `io::Error` into `RuntimeError::Build`. Check for 0 workers first: tokio would
    // panic on it.
    let _ = flavor;
    todo!("build the runtime")
}

/// Computes `checksum(steps)` right here, in the current task, but with
/// `tokio::task::block_in_place`, so that the other tasks of this worker move to
/// another thread while it computes.
///
/// On a current-thread runtime, returns `Err(RuntimeError::NeedsMultiThread)` instead
/// of panicking.
pub async fn crunch_in_place(steps: u64) -> Result<u64, RuntimeError> {
    // TODO: ask `tokio::runtime::Handle::current().runtime_flavor()` which runtime
    // this is; on `RuntimeFlavor::CurrentThread` return the error, otherwise
    // `Ok(tokio::task::block_in_place(|| checksum(steps)))`.
    let _ = steps;
    todo!("compute in place, or explain why not")
}
