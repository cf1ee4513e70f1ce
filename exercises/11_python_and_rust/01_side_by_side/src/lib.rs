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
    // TODO: open a `std::thread::scope`, spawn one scoped thread per input (scoped
    // threads may borrow `work`), keep the handles, and only then join them in order.
    let _ = (inputs, &work);
    todo!("one thread per input, results in input order")
}

/// Waits for every delay with `tokio::time::sleep`, all of them at the same time,
/// each on a tokio task of its own, and returns the indices of `delays` in the order
/// the waits finished (the shortest first).
///
/// No delays, no tasks: an empty slice gives an empty `Vec` at once.
pub async fn wait_on_tasks(delays: &[Duration]) -> Vec<usize> {
    // TODO: spawn one task per delay into a `tokio::task::JoinSet`; each sleeps for
    // its delay and returns its index. Then collect with `join_next().await`, which
    // hands back the tasks in the order they finish.
    let _ = delays;
    todo!("one task per delay, indices in the order they finished")
}
