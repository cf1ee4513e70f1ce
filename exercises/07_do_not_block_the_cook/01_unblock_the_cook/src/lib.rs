//! # 07/01 Unblock the cook
//!
//! An async task gives its thread back only at an `.await`. Code that holds the
//! thread between two `.await`s (a blocking call, a long computation) stops every
//! other task on that thread: timers fire late, heartbeats go silent, requests queue
//! up. `tokio::task::spawn_blocking` moves such code to a pool of threads meant for
//! blocking, and gives you a future to `.await` instead.
//!
//! **This exercise ships with the bug in it.** Both functions below compile and
//! return the right values, and both freeze every other task while they run. The
//! tests show it; fix them.
//!
//! Book: `book/src/ch07-do-not-block-the-cook/spawn-blocking.md`

use std::time::Duration;

mod legacy;
pub use legacy::{checksum, legacy_lookup};

/// Looks `key` up with the blocking `legacy_lookup` (which takes `takes`), without
/// stopping the other tasks on this runtime while it waits.
pub async fn lookup(key: u64, takes: Duration) -> u64 {
    // TODO: this blocks the cook. `legacy_lookup` sleeps on the runtime's own thread,
    // and no other task runs until it returns. Run it with
    // `tokio::task::spawn_blocking(move || ...)` and `.await` the handle.
    legacy_lookup(key, takes)
}

/// Computes `checksum(steps)` without stopping the other tasks on this runtime while
/// it computes.
pub async fn checksum_async(steps: u64) -> u64 {
    // TODO: this blocks the cook too: a long computation with no `.await` in it.
    // Move it to the blocking pool as well.
    checksum(steps)
}
