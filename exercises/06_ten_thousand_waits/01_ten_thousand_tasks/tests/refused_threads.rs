//! Tests for 06/01: what `on_threads` does when the operating system refuses a thread.
//! Run them with `cargo xtask check 06/01`.
//!
//! A test binary of its own, with a single test: it lowers this process's limit on
//! address space (`RLIMIT_AS`, Linux) until only a few more thread stacks fit, so that
//! the next `spawn` fails for real, then puts the limit back. No other test may run
//! in the process meanwhile.

use ex06_01_ten_thousand_tasks::on_threads;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
#[cfg(target_os = "linux")]
use test_support::limits::AddressSpaceLimit;
use test_support::panics;
use test_support::report::{self, Outcome};

/// Whether a panic is a `todo!()` still in the exercise.
fn is_todo(panic: &(dyn std::any::Any + Send)) -> bool {
    panics::message(panic).starts_with(panics::TODO)
}

#[cfg(target_os = "linux")]
#[test]
fn a_refused_thread_is_an_error_and_the_others_are_joined() {
    const WANTED: usize = 20;
    // The fourth thread started from here on is refused by the OS, for real.
    let limit = match AddressSpaceLimit::after_three_more_threads() {
        Ok(limit) => limit,
        Err(why) => {
            report::record("a thread the OS refuses", Outcome::NotChecked, &why);
            return;
        }
    };

    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let job = {
        let (started, finished) = (Arc::clone(&started), Arc::clone(&finished));
        move |i: usize| {
            started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            finished.fetch_add(1, Ordering::SeqCst);
            i
        }
    };
    // `std::thread::spawn` panics with "failed to spawn thread": keep that quiet, the
    // test says it in its own words below.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload_as_str().unwrap_or_default();
        if !text.starts_with("failed to spawn thread") {
            default(info);
        }
    }));
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| on_threads(WANTED, job)));
    // What the caller can see at the moment `on_threads` returned.
    let (started_then, finished_then) = (
        started.load(Ordering::SeqCst),
        finished.load(Ordering::SeqCst),
    );
    drop(limit);

    let result = match outcome {
        Ok(result) => result,
        // A `todo!()` still there: passed on as it is.
        Err(panic) if is_todo(&*panic) => std::panic::resume_unwind(panic),
        Err(_) => panic!(
            "`on_threads` panicked when the operating system refused to start a thread: \
             start threads with `std::thread::Builder::new().spawn(...)`, which returns an \
             `io::Result`, and turn its `Err` into `Err(SpawnError {{ .. }})`"
        ),
    };
    let error = match result {
        Ok(results) => {
            report::record(
                "a thread the OS refuses",
                Outcome::NotChecked,
                &format!(
                    "the OS started all {} threads despite the lower limit",
                    results.len()
                ),
            );
            return;
        }
        Err(error) => error,
    };
    if (error.index, error.wanted) != (started_then, WANTED) || finished_then != started_then {
        // Something is off. Wait for threads that were left running (each job takes
        // 100 ms), to tell a missing join from a wrong index.
        let (settled, deadline) = (
            Instant::now() + Duration::from_millis(200),
            Instant::now() + Duration::from_millis(1000),
        );
        while Instant::now() < deadline
            && (Instant::now() < settled
                || started.load(Ordering::SeqCst) != finished.load(Ordering::SeqCst))
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let started_in_all = started.load(Ordering::SeqCst);
    assert_eq!(
        finished_then,
        started_in_all,
        "`on_threads` returned its error while {} of the {started_in_all} threads it had \
         started were still running: join every thread already started before returning \
         the error",
        started_in_all - finished_then
    );
    assert_eq!(
        (error.index, error.wanted),
        (started_in_all, WANTED),
        "the OS refused a thread after {started_in_all} had started, so `SpawnError` should \
         say `index: {started_in_all}` (the first thread refused) and `wanted: {WANTED}`, \
         but it says `index: {}, wanted: {}`: stop at the first refusal and report that one",
        error.index,
        error.wanted
    );
    // The error a caller prints: which thread, of how many, and the OS's own reason.
    let shown = error.to_string();
    let expected = format!("could not start thread {} of {WANTED}", error.index + 1);
    assert!(
        shown.contains(&expected) && std::error::Error::source(&error).is_some(),
        "`SpawnError` should print {expected:?} and keep the OS's `io::Error` as its \
         source, but it prints {shown:?} (its `Display` and `Error` impls are given: \
         restore them with `cargo xtask reset 06/01` if you changed them)"
    );
    report::record(
        "a thread the OS refuses",
        Outcome::Passed,
        &format!(
            "`Err` for thread {} of {WANTED}, after joining the {started_then} started",
            error.index + 1
        ),
    );
}

#[cfg(not(target_os = "linux"))]
#[test]
fn a_refused_thread_is_an_error_and_the_others_are_joined() {
    report::record(
        "a thread the OS refuses",
        Outcome::NotChecked,
        "the test makes the OS refuse a thread with a Linux address-space limit",
    );
}
