//! Tests for 02/01, in a test binary of their own: a worker that panics must make
//! `spawn_workers` panic too. Run them with `cargo xtask check 02/01`.
//!
//! The worker panics on purpose, so this binary's panic hook keeps quiet about that
//! one panic: the only test here is the one that expects it, and any other panic is
//! shown as usual.

use ex02_01_spawn_workers::spawn_workers;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The message of the panic the test plants in a worker.
const PLANTED: &str = "worker 1 panicked on purpose (the test expects it)";

#[test]
fn a_panicking_worker_makes_spawn_workers_panic() {
    test_support::panics::quiet_about(PLANTED);
    // Worker 1 panics; the others finish. A result left out would shift the rest:
    // the caller must hear of the panic, not get three results for four workers.
    let panicked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&panicked);
    let outcome = std::panic::catch_unwind(|| {
        spawn_workers(4, move |i| {
            if i == 1 {
                flag.store(true, Ordering::SeqCst);
                panic!("{PLANTED}");
            }
            i
        })
    });
    match outcome {
        Ok(results) => panic!(
            "worker 1 panicked, but `spawn_workers` returned {results:?} instead of panicking \
             too: `join` returns `Err` for a worker that panicked; pass it on \
             (`std::panic::resume_unwind`) instead of leaving that result out"
        ),
        // A panic before the worker ran is not the worker's (a `todo!()`, say): let it
        // through.
        Err(other) if !panicked.load(Ordering::SeqCst) => std::panic::resume_unwind(other),
        Err(_) => {}
    }
}
