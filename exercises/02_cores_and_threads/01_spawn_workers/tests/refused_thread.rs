//! Tests for 02/01: what `spawn_workers` does when the operating system refuses a
//! thread. Run them with `cargo xtask check 02/01`.
//!
//! A test binary of its own, with a single test: it lowers this process's limit on
//! address space (`RLIMIT_AS`, Linux) until only a few more thread stacks fit, so that
//! a later `spawn` fails for real, then puts the limit back. No other test may run in
//! the process meanwhile.

use ex02_01_spawn_workers::{SpawnError, spawn_workers};
use std::sync::Arc;
use std::time::Duration;
#[cfg(target_os = "linux")]
use test_support::limits::{AddressSpaceLimit, mapped_bytes};
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
    const CACHED: usize = 3;
    // Three threads alive at once, then joined: the C library keeps their stacks for
    // the next threads it starts. With the address space then limited to what is
    // mapped now plus 256 KiB, the next three threads get those stacks, and the
    // fourth needs a new stack (2 MiB), which does not fit: the OS refuses it.
    let Some(before) = mapped_bytes() else {
        report::record(
            CHECK,
            Outcome::NotChecked,
            "no /proc/self/status to read the address space from",
        );
        return;
    };
    let gate = Arc::new(std::sync::Barrier::new(CACHED + 1));
    let probes: Vec<_> = (0..CACHED)
        .map(|_| {
            let gate = Arc::clone(&gate);
            std::thread::Builder::new()
                .spawn(move || {
                    gate.wait();
                })
                .expect("a few threads")
        })
        .collect();
    let during = mapped_bytes().unwrap_or(before);
    gate.wait();
    for probe in probes {
        let _ = probe.join();
    }
    let per_thread = during.saturating_sub(before) / CACHED as u64;
    if per_thread < 1024 * 1024 {
        report::record(
            CHECK,
            Outcome::NotChecked,
            &format!(
                "threads start with stacks of about {} KiB here (RUST_MIN_STACK?): too \
                 small to make the OS refuse one",
                per_thread / 1024
            ),
        );
        return;
    }
    let Some(limit) = mapped_bytes().and_then(|now| AddressSpaceLimit::set(now + 256 * 1024))
    else {
        report::record(
            CHECK,
            Outcome::NotChecked,
            "cannot lower this process's address-space limit here",
        );
        return;
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
