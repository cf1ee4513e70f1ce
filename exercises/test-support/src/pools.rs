//! Rayon pools that the tests install, with named threads, so that a test can tell
//! whether the code under test used the pool it was called in or built one of its
//! own (threads of its own, a pool of its own or rayon's global pool all fail).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The prefix of the names of the threads of the pools the tests install.
pub const POOL: &str = "test-pool-";

/// Runs `job` in a new rayon pool of `threads` threads named `test-pool-N`.
pub fn in_pool<R: Send>(threads: usize, job: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("{POOL}{i}"))
        .build()
        .expect("a pool")
        .install(job)
}

/// Counts the calls made on a thread that is not one of an installed pool's.
#[derive(Default)]
pub struct OutsideThePool(AtomicUsize);

impl OutsideThePool {
    /// Notes the current thread: counted when it is not one of [`in_pool`]'s.
    pub fn record(&self) {
        let name = std::thread::current().name().map(str::to_string);
        if !name.is_some_and(|n| n.starts_with(POOL)) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Fails, in plain words, if any of the `of` calls (`what`) ran outside the pool.
    #[track_caller]
    pub fn expect_none(self, of: usize, what: &str) {
        let outside = self.0.into_inner();
        assert!(
            outside == 0,
            "{outside} of {of} {what} ran on threads that are not the rayon pool the caller \
             installed (threads named {POOL}N): use the pool you are called in \
             (`par_chunks` does), do not build a pool or start threads of your own"
        );
    }
}
