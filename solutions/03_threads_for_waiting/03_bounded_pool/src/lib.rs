//! # 03/03 A bounded pool of worker threads
//!
//! One thread per request is fine for eight requests, not for eight thousand: each
//! thread costs memory, and the server may not like eight thousand connections at
//! once either. A pool of `k` worker threads bounds both: each worker takes the next
//! request that nobody has taken yet, so at most `k` are in progress at any moment,
//! and `n` requests take about `ceil(n / k)` delays.
//!
//! Book: `book/src/ch03-threads-for-waiting/bounded-pool.md`

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

mod fetch;
pub use fetch::{FetchError, fetch, fetch_one_by_one};

/// Why the pool could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// A pool of 0 workers would never fetch anything.
    NoWorkers,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::NoWorkers => write!(f, "a pool needs at least 1 worker, got 0"),
        }
    }
}

impl std::error::Error for PoolError {}

/// Fetches every resource in `names` with at most `workers` threads, so that never
/// more than `workers` requests are in progress at once. Each worker fetches one
/// name at a time and then takes the next one that nobody has taken yet.
///
/// Returns one result per name, in the order of `names`. Starts no more threads than
/// there are names. `workers == 0` is [`PoolError::NoWorkers`].
pub fn fetch_with_pool(
    addr: SocketAddr,
    names: &[&str],
    workers: usize,
) -> Result<Vec<Result<String, FetchError>>, PoolError> {
    if workers == 0 {
        return Err(PoolError::NoWorkers);
    }
    // The queue is just an index: `fetch_add` hands every index to exactly one worker.
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<String, FetchError>>> = vec![None; names.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(names.len()))
            .map(|_| {
                let next = &next;
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(name) = names.get(i) else { break };
                        done.push((i, fetch(addr, name)));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            let done = match handle.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            for (i, result) in done {
                slots[i] = Some(result);
            }
        }
    });
    Ok(slots
        .into_iter()
        .map(|slot| slot.expect("every index was taken by exactly one worker"))
        .collect())
}
