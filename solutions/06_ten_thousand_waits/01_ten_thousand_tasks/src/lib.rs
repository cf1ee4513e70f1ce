//! # 06/01 Ten thousand tasks, a thousand threads
//!
//! A waiting tokio task is a small value in the runtime's timer wheel: ten thousand
//! of them fit on one thread and finish in about one wait. A waiting OS thread holds
//! a kernel thread and a stack of its own: it waits just as well, but each one costs
//! far more to start and to keep, and the operating system caps how many you get.
//!
//! Book: `book/src/ch06-ten-thousand-waits/tasks-vs-threads.md`

use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// Runs `job(0)`, `job(1)`, ..., `job(n - 1)` at the same time, each as a tokio task of
/// its own, and returns their results in the order of `i` (not the order they finish).
///
/// A job that panics makes this function panic too.
pub async fn on_tasks<F, Fut, T>(n: usize, job: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(job(i))).collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        match handle.await {
            Ok(value) => results.push(value),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a task was cancelled: {e}"),
        }
    }
    results
}

/// A thread that the operating system refused to start.
#[derive(Debug)]
pub struct SpawnError {
    /// Which thread could not be started (0-based).
    pub index: usize,
    /// How many were asked for.
    pub wanted: usize,
    pub source: std::io::Error,
}

/// Given: how the error reads (the tests check it).
impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not start thread {} of {}: {} (the operating system limits threads \
             per process and per user; try fewer)",
            self.index + 1,
            self.wanted,
            self.source
        )
    }
}

/// Given: the OS's own error is the source.
impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Runs `job(0)`, ..., `job(n - 1)` at the same time, each on an OS thread of its own,
/// and returns their results in the order of `i`.
///
/// If the operating system refuses to start a thread, the threads already started are
/// joined and `Err(SpawnError)` says which one failed. A job that panics makes this
/// function panic too.
pub fn on_threads<F, T>(n: usize, job: F) -> Result<Vec<T>, SpawnError>
where
    F: Fn(usize) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let job = Arc::new(job);
    let mut handles = Vec::with_capacity(n);
    let mut refused = None;
    for i in 0..n {
        let job = Arc::clone(&job);
        match std::thread::Builder::new().spawn(move || job(i)) {
            Ok(handle) => handles.push(handle),
            Err(source) => {
                refused = Some(SpawnError {
                    index: i,
                    wanted: n,
                    source,
                });
                break;
            }
        }
    }
    // Join every thread that did start, even when one was refused: none is left
    // running behind the caller's back.
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        match handle.join() {
            Ok(value) => results.push(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    match refused {
        Some(error) => Err(error),
        None => Ok(results),
    }
}
