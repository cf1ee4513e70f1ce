//! # 16/01 Ring the bell: publish a dish with Release and Acquire
//!
//! The pass between a cook and a waiter has a shelf for one dish and a bell. The cook
//! puts the dish on the shelf, then rings the bell; a waiter who hears the bell takes
//! the dish. Two atomics, and the bell **guards** the dish: a waiter who sees the bell
//! rung must see the dish that was put down before it, never the empty shelf.
//!
//! With `Relaxed` everywhere, nothing promises that. A plain `cargo test` on an x86
//! machine passes anyway (x86 never reorders two stores, nor two loads), which is
//! why the grader runs these tests under **loom**, a model checker that tries every
//! interleaving and every value the Rust memory model allows a load to read.
//!
//! Book: `book/src/ch16-every-interleaving/release-acquire.md`

// Under `--cfg loom` (the grader's build) the atomics are loom's, which the model
// checker controls; otherwise std's. The code below is the same for both.
#[cfg(loom)]
use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The pass: a shelf for one dish and a bell. One cook serves once; any number of
/// waiters may look at any time, from any thread.
#[derive(Debug)]
pub struct Pass {
    /// The dish on the shelf (0: nothing yet).
    dish: AtomicU64,
    /// Rung once the dish is on the shelf.
    bell: AtomicBool,
}

impl Default for Pass {
    fn default() -> Self {
        Self::new()
    }
}

impl Pass {
    /// Given: an empty shelf, a silent bell.
    pub fn new() -> Pass {
        Pass {
            dish: AtomicU64::new(0),
            bell: AtomicBool::new(false),
        }
    }

    /// The cook: puts `dish` on the shelf, then rings the bell. Called once.
    pub fn serve(&self, dish: u64) {
        // The dish itself needs no ordering of its own: the bell orders it.
        self.dish.store(dish, Ordering::Relaxed);
        // Release: every write before this store (the dish) is visible to a thread
        // whose Acquire load reads this `true`.
        self.bell.store(true, Ordering::Release);
    }

    /// A waiter: the dish if the bell has rung, `None` if it has not (yet). Never
    /// waits.
    pub fn pick_up(&self) -> Option<u64> {
        // Acquire: if this load reads the `true` of the Release store, the dish
        // stored before it is visible below.
        if self.bell.load(Ordering::Acquire) {
            Some(self.dish.load(Ordering::Relaxed))
        } else {
            None
        }
    }
}
