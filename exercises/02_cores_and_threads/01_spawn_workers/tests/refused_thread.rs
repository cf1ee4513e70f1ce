//! Tests for 02/01: what `spawn_workers` does when the operating system refuses a
//! thread. Run them with `cargo xtask check 02/01`.
//!
//! A test binary of its own, with a single test: it lowers this process's limit on
//! address space (`RLIMIT_AS`, Linux) until only a few more thread stacks fit, so that
//! a later `spawn` fails for real, then puts the limit back. No other test may run in
//! the process meanwhile.

use ex02_01_spawn_workers::{SpawnError, spawn_workers};
use std::time::Duration;
#[cfg(target_os = "linux")]
use test_support::limits::AddressSpaceLimit;
use test_support::panics::{self, message as text_of};
use test_support::report::{self, Outcome};

const CHECK: &str = "a thread the OS refuses";

/// Whether a panic is a `todo!()` still in the exercise.
fn is_todo(panic: &(dyn std::any::Any + Send)) -> bool {
    text_of(panic).starts_with(panics::TODO)
}

#[cfg(target_os = "linux")]
#[test]
fn a_refused_thread_is_an_error_not_a_panic() {
    const WANTED: usize = 20;
    // The fourth thread started from here on is refused by the OS, for real.
    let limit = match AddressSpaceLimit::after_three_more_threads() {
        Ok(limit) => limit,
        Err(why) => {
            report::record(CHECK, Outcome::NotChecked, &why);
            return;
        }
    };
    // Whatever `spawn_workers` panics with while the OS refuses threads (`spawn`'s
    // "failed to spawn thread", an `expect`), the test says it in its own words below:
    // keep the panic hook quiet meanwhile, then put the default one back.
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(|| {
        spawn_workers(WANTED, |i| {
            std::thread::sleep(Duration::from_millis(100));
            i
        })
    });
    drop(limit);
    let _ = std::panic::take_hook();
    let result = match outcome {
        Ok(result) => result,
        // A `todo!()` still there: said as it is.
        Err(panic) if is_todo(&*panic) => panic!("{}", text_of(&*panic)),
        Err(panic) => panic!(
            "`spawn_workers` panicked ({:?}) when the operating system refused to start a \
             thread, but a refused thread is an error: start threads with \
             `std::thread::Builder::new().name(..).spawn(..)`, which returns an `io::Result`, \
             and turn its `Err` into `Err(SpawnError::Os(..))`",
            text_of(&*panic)
        ),
    };
    match result {
        Ok(results) => report::record(
            CHECK,
            Outcome::NotChecked,
            &format!(
                "the OS started all {} threads despite the lower limit",
                results.len()
            ),
        ),
        Err(SpawnError::Os(message)) => {
            assert!(
                !message.is_empty(),
                "`SpawnError::Os` should carry the OS's message (`e.to_string()`), but it is empty"
            );
            report::record(
                CHECK,
                Outcome::Passed,
                &format!("`Err(SpawnError::Os({message:?}))`"),
            );
        }
        Err(other) => panic!(
            "the operating system refused to start a thread, so `spawn_workers` should \
             return `Err(SpawnError::Os(..))` with the OS's message, but it returned \
             `Err({other:?})`"
        ),
    }
}

#[cfg(not(target_os = "linux"))]
#[test]
fn a_refused_thread_is_an_error_not_a_panic() {
    report::record(
        CHECK,
        Outcome::NotChecked,
        "the test makes the OS refuse a thread with a Linux address-space limit",
    );
}
