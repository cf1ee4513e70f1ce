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
    // TODO: return `Err(PoolError::NoWorkers)` for 0 workers. Then, in
    // `std::thread::scope`, start `min(workers, names.len())` threads. Each one
    // loops: take the next index nobody has taken yet (an `AtomicUsize` and
    // `fetch_add(1, Ordering::Relaxed)` hand out 0, 1, 2, ... exactly once each),
    // stop when the index is past the end, otherwise `fetch` that name and keep
    // `(index, result)`. Join the workers and put every result at its index.
    let _ = (addr, names, workers);
    todo!("a pool of at most `workers` threads")
}
