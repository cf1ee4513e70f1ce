//! Tests for 02/02, in a test binary of their own: a call to `f` that panics must make
//! `map_chunks` panic too. Run them with `cargo xtask check 02/02`.
//!
//! The call panics on purpose, so this binary's panic hook keeps quiet about that one
//! panic: the only test here is the one that expects it, and any other panic is shown
//! as usual.

use ex02_02_scoped_chunks::map_chunks;
use std::sync::atomic::{AtomicBool, Ordering};

/// The message of the panic the test plants in a chunk's call.
const PLANTED: &str = "the call on chunk 1 panicked on purpose (the test expects it)";

#[test]
fn a_panicking_call_makes_map_chunks_panic() {
    test_support::panics::quiet_about(PLANTED);
    // The call on the second chunk (items 4..8) panics; the others finish. A result
    // left out would shift the rest: the caller must hear of the panic, not get three
    // sums for four chunks.
    let data: Vec<u64> = (0..16).collect();
    let panicked = AtomicBool::new(false);
    let outcome = std::panic::catch_unwind(|| {
        map_chunks(&data, 4, |chunk| {
            if chunk.first() == Some(&4) {
                panicked.store(true, Ordering::SeqCst);
                panic!("{PLANTED}");
            }
            chunk.iter().sum::<u64>()
        })
    });
    match outcome {
        Ok(results) => panic!(
            "the call on chunk 1 panicked, but `map_chunks` returned {results:?} instead of \
             panicking too: `join` returns `Err` for a thread that panicked; pass it on \
             (`std::panic::resume_unwind`) instead of leaving that result out"
        ),
        // A panic before the call ran is not the call's (a `todo!()`, say): let it
        // through.
        Err(other) if !panicked.load(Ordering::SeqCst) => std::panic::resume_unwind(other),
        Err(_) => {}
    }
}
