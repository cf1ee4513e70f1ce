//! Tests for 07/01, in a test binary of their own: a panic in the blocking call must
//! reach the caller. Run them with `cargo xtask check 07/01`.
//!
//! The panic is provoked on purpose (`legacy_lookup(u64::MAX, ..)` overflows), so this
//! binary's panic hook keeps quiet about panics in `src/legacy.rs`: the only test here
//! is the one that expects them, and any other panic is shown as usual.

use ex07_01_unblock_the_cook::{legacy_lookup, lookup};
use std::time::Duration;
use test_support::{Outcome, report};

/// Keeps quiet about the panics planted in the given `legacy_lookup`.
fn quiet_about_planted_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info
            .location()
            .is_some_and(|l| l.file().ends_with("legacy.rs"))
        {
            default(info);
        }
    }));
}

#[tokio::test]
async fn a_panic_in_the_blocking_call_reaches_the_caller() {
    // `legacy_lookup(u64::MAX, ..)` overflows `key * key`: with the overflow checks of
    // the tests' build it panics, and that panic must reach whoever awaits `lookup`,
    // not turn into an answer.
    quiet_about_planted_panics();
    let check = "a panic in the blocking call reaches the caller";
    if std::panic::catch_unwind(|| legacy_lookup(u64::MAX, Duration::ZERO)).is_ok() {
        report::record(
            check,
            Outcome::NotChecked,
            "`legacy_lookup(u64::MAX, ..)` does not panic in this build (overflow checks off)",
        );
        return;
    }
    match tokio::spawn(lookup(u64::MAX, Duration::ZERO)).await {
        Err(e) if e.is_panic() => {
            // The blocking call's own panic, message and all: not a panic of its own
            // that hides what went wrong.
            let payload = e.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // Its own payload, not a new panic that quotes it.
            if message.starts_with("attempt to multiply with overflow") {
                report::record(
                    check,
                    Outcome::Passed,
                    "it panicked with the call's own panic",
                );
            } else {
                report::record(
                    check,
                    Outcome::Failed,
                    &format!("it panicked with {message:?}"),
                );
                panic!(
                    "`lookup(u64::MAX, ..)` panicked with {message:?} instead of the blocking \
                     call's own panic (\"attempt to multiply with overflow\"): when the \
                     `JoinError` holds a panic, pass that very panic on with \
                     `std::panic::resume_unwind(e.into_panic())`"
                );
            }
        }
        Ok(value) => {
            report::record(check, Outcome::Failed, &format!("it returned {value}"));
            panic!(
                "`legacy_lookup(u64::MAX, ..)` panicked, and `lookup(u64::MAX, ..)` returned \
                 {value} as if it had answered: the `JoinError` of the blocking task holds \
                 that panic; pass that very panic on with \
                 `std::panic::resume_unwind(e.into_panic())` instead of turning it into a \
                 value"
            );
        }
        Err(e) => panic!("the task awaiting `lookup` did not finish: {e}"),
    }
}
