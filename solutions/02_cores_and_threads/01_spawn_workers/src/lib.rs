//! # 02/01 Spawn workers: threads, names, and one core's time slices
//!
//! An OS thread is the unit the scheduler runs on a core. Spawning `n` workers gives
//! you `n` threads in flight at once; how many of them *run* at the same instant is
//! up to the cores. Sleeping workers overlap on any machine; busy workers on a
//! one-core budget take turns, so `n` of them take `n` times as long as one.
//!
//! Book: `book/src/ch02-cores-and-threads/spawn-and-join.md`

use std::fmt;
use std::sync::Arc;
use std::thread;

/// Why `spawn_workers` could not run the workers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// Zero workers were asked for: there is nobody to run the job.
    NoWorkers,
    /// The operating system refused to start a thread (its message).
    Os(String),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoWorkers => write!(f, "asked for 0 workers: at least 1 is needed"),
            SpawnError::Os(message) => write!(f, "the OS could not start a thread: {message}"),
        }
    }
}

impl std::error::Error for SpawnError {}

/// Starts `n` worker threads, named `worker-0` to `worker-{n-1}`, that all run `job`
/// at the same time; worker `i` calls `job(i)`. Returns the results in worker order
/// once every worker has finished.
///
/// Zero workers is an error ([`SpawnError::NoWorkers`]), and so is a thread the OS
/// refuses to start ([`SpawnError::Os`]). A worker that panics makes this function
/// panic too.
pub fn spawn_workers<R, F>(n: usize, job: F) -> Result<Vec<R>, SpawnError>
where
    F: Fn(usize) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    if n == 0 {
        return Err(SpawnError::NoWorkers);
    }
    // Every worker calls the same job: share one copy through an `Arc`.
    let job = Arc::new(job);
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let job = Arc::clone(&job);
        let handle = thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(move || job(i))
            .map_err(|e| SpawnError::Os(e.to_string()))?;
        handles.push(handle);
    }
    // Only now wait: every worker was started before the first join.
    Ok(handles
        .into_iter()
        .map(|handle| match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        })
        .collect())
}
