//! # 11/01 Side by side: the same jobs in Python and in Rust
//!
//! In CPython only one thread at a time may run Python code (the GIL), so threads help
//! jobs that *wait* but not jobs that *compute*. Rust has no such lock: the very same
//! shape of program, one thread per job, keeps every core busy. For waiting jobs Rust
//! adds a second tool, async tasks, which wait by the thousand on one thread.
//!
//! The tests run the same jobs in Python (when `python3` is installed) and with your
//! two functions, and print the figures side by side.
//!
//! Book: `book/src/ch11-python-and-rust/lab.md`

use std::time::Duration;

/// Runs `work(input)` for every input, each call on a thread of its own, all at the
/// same time, and returns the results in the order of `inputs`.
///
/// No inputs, no threads: an empty slice gives an empty `Vec`.
pub fn compute_on_threads<W>(inputs: &[u64], work: W) -> Vec<u64>
where
    W: Fn(u64) -> u64 + Sync,
{
    let work = &work;
    std::thread::scope(|s| {
        // Start every thread first...
        let handles: Vec<_> = inputs
            .iter()
            .map(|&input| s.spawn(move || work(input)))
            .collect();
        // ...then wait for them, in input order.
        handles
            .into_iter()
            .map(|h| h.join().expect("a job panicked"))
            .collect()
    })
}

/// Waits for every delay with `tokio::time::sleep`, all of them at the same time,
/// each on a tokio task of its own, and returns the indices of `delays` in the order
/// the waits finished (the shortest first).
///
/// No delays, no tasks: an empty slice gives an empty `Vec` at once.
pub async fn wait_on_tasks(delays: &[Duration]) -> Vec<usize> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, &delay) in delays.iter().enumerate() {
        tasks.spawn(async move {
            tokio::time::sleep(delay).await;
            index
        });
    }
    let mut finished = Vec::with_capacity(delays.len());
    while let Some(done) = tasks.join_next().await {
        finished.push(done.expect("a waiting task panicked"));
    }
    finished
}
