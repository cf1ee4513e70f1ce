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
    // TODO: `tokio::spawn(job(i))` for every `i` first, keeping the `JoinHandle`s in a
    // `Vec`; then `.await` each handle in order. Awaiting `job(i)` inside the loop
    // would wait for each job before starting the next.
    let _ = (n, job);
    todo!("start n tasks, then collect their results in order")
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
    // TODO: share the job between threads with `std::sync::Arc::new(job)`. For each `i`, clone
    // the `Arc` and start a thread with `std::thread::Builder::new().spawn(...)`: unlike
    // `std::thread::spawn`, it returns an `io::Result` instead of panicking when the
    // OS says no. Keep the handles; join them all, in order, after the loop.
    let _ = (n, job);
    todo!("start n threads, then join them in order")
}
