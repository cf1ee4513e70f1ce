//! # 09/03 False sharing: counters on their own cache lines
//!
//! Each thread counts into its *own* counter, so nothing is shared, and yet the given
//! `count_side_by_side` barely scales: its counters sit next to each other in one
//! array, inside one 64-byte cache line, and the hardware keeps caches coherent a line
//! at a time. Every write from one core takes the line away from the other. Give
//! each counter a cache line of its own and the threads stop getting in each other's
//! way.
//!
//! Book: `book/src/ch09-why-speedup-stops/contention.md` (section "False sharing")

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::ThreadId;

/// The most threads the counting functions accept.
pub const MAX_THREADS: usize = 64;

/// Bad input for the counting functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CountError {
    /// `threads` was 0: nobody would count.
    NoThreads,
    /// `threads` was above [`MAX_THREADS`].
    TooManyThreads(usize),
}

impl fmt::Display for CountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountError::NoThreads => write!(f, "at least one thread must count, not 0"),
            CountError::TooManyThreads(n) => {
                write!(f, "{n} threads is too many, at most {MAX_THREADS}")
            }
        }
    }
}

impl std::error::Error for CountError {}

/// Given: checks `threads` for both counting functions.
pub fn check_threads(threads: usize) -> Result<(), CountError> {
    match threads {
        0 => Err(CountError::NoThreads),
        n if n > MAX_THREADS => Err(CountError::TooManyThreads(n)),
        _ => Ok(()),
    }
}

/// Given: the work of one thread, adding 1 to `counter` `times` times. Never inlined,
/// so every version runs the same machine code and only the memory layout differs.
/// It notes which thread called it, for the tests ([`hammered_on`]).
#[inline(never)]
pub fn hammer(counter: &AtomicU64, times: u64) {
    HAMMERED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((times, std::thread::current().id()));
    for _ in 0..std::hint::black_box(times) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Given: each call of [`hammer`] so far, its `times` and the thread that made it.
static HAMMERED: Mutex<Vec<(u64, ThreadId)>> = Mutex::new(Vec::new());

/// Given, for the tests: the thread of each call of [`hammer`] so far with exactly
/// `times` steps, in the order of the calls.
pub fn hammered_on(times: u64) -> Vec<ThreadId> {
    let calls = HAMMERED.lock().unwrap_or_else(|p| p.into_inner());
    calls
        .iter()
        .filter(|(t, _)| *t == times)
        .map(|(_, thread)| *thread)
        .collect()
}

/// Given, the slow version: `threads` threads, thread `i` adds 1 to counter `i`
/// `per_thread` times, and the counters lie side by side in one `Vec<AtomicU64>`
/// (8 bytes each: eight of them share one 64-byte cache line). Returns the counts.
pub fn count_side_by_side(threads: usize, per_thread: u64) -> Result<Vec<u64>, CountError> {
    check_threads(threads)?;
    let counters: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    std::thread::scope(|s| {
        for counter in &counters {
            s.spawn(move || hammer(counter, per_thread));
        }
    });
    Ok(counters.into_iter().map(AtomicU64::into_inner).collect())
}

/// One thread's counter, alone on its own cache line.
///
/// 128 bytes rather than 64, because some CPUs fetch cache lines in pairs.
#[repr(align(128))]
#[derive(Debug, Default)]
pub struct Padded {
    pub count: AtomicU64,
}

/// Same result as [`count_side_by_side`]: `threads` threads, thread `i` adds 1 to
/// its own counter `per_thread` times with [`hammer`], and the counts come back in
/// thread order. But each counter is a [`Padded`], so no two share a cache line.
///
/// Errors: the same as `count_side_by_side` ([`check_threads`]).
pub fn count_padded(threads: usize, per_thread: u64) -> Result<Vec<u64>, CountError> {
    check_threads(threads)?;
    let counters: Vec<Padded> = (0..threads).map(|_| Padded::default()).collect();
    std::thread::scope(|s| {
        for counter in &counters {
            s.spawn(move || hammer(&counter.count, per_thread));
        }
    });
    Ok(counters.into_iter().map(|c| c.count.into_inner()).collect())
}
