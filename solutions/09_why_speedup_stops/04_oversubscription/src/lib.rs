//! # 09/04 Oversubscription: one worker per core, not one thread per item
//!
//! A core runs one thread at a time. The given `thread_per_item` starts a busy OS
//! thread for every item (64 items, 64 threads), so on a 2-core machine 62 of them
//! wait for a turn at any moment: the operating system switches between them, and
//! each keeps a stack of its own. It buys no speed. Run the same items on a fixed
//! number of workers, one per core, that take the next item when they are done.
//!
//! Book: `book/src/ch09-why-speedup-stops/oversubscription.md`

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bad input for [`bounded_workers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// `workers` was 0: nobody would do the work.
    NoWorkers,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::NoWorkers => write!(f, "at least one worker is needed, not 0"),
        }
    }
}

impl std::error::Error for PoolError {}

/// Given, the slow version: one scoped OS thread per item, all started at once, each
/// computing `work(item)`. Returns the results in the order of `items`.
pub fn thread_per_item<F>(items: &[u64], work: &F) -> Vec<u64>
where
    F: Fn(u64) -> u64 + Sync,
{
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .iter()
            .map(|&item| s.spawn(move || work(item)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a work item panicked"))
            .collect()
    })
}

/// The same results as [`thread_per_item`], in the order of `items`, but computed by
/// at most `workers` threads (fewer when there are fewer items): each worker takes
/// the next item not yet taken, computes it, and goes back for another, until none
/// are left. Call it with `std::thread::available_parallelism()` workers.
///
/// Error: `workers` is 0 ([`PoolError::NoWorkers`]).
pub fn bounded_workers<F>(items: &[u64], workers: usize, work: &F) -> Result<Vec<u64>, PoolError>
where
    F: Fn(u64) -> u64 + Sync,
{
    if workers == 0 {
        return Err(PoolError::NoWorkers);
    }
    let next = AtomicUsize::new(0);
    let workers = workers.min(items.len());
    let mut results = vec![0; items.len()];
    let parts: Vec<Vec<(usize, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&item) = items.get(i) else { break };
                        done.push((i, work(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a work item panicked"))
            .collect()
    });
    for (i, result) in parts.into_iter().flatten() {
        results[i] = result;
    }
    Ok(results)
}
