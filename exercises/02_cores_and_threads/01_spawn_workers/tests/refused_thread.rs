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
use test_support::report::{self, Outcome};

const CHECK: &str = "a thread the OS refuses";

/// A panic's message, if it has one.
fn text_of(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default()
}

/// Whether a panic is a `todo!()` still in the exercise.
fn is_todo(panic: &(dyn std::any::Any + Send)) -> bool {
    text_of(panic).starts_with("not yet implemented")
}

/// The address space this process has mapped, in bytes (Linux only).
fn mapped_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Lowers the soft limit on address space to `bytes` until dropped, then puts the old
/// limit back (also while a panic unwinds).
#[cfg(target_os = "linux")]
struct AddressSpaceLimit(libc::rlimit);

#[cfg(target_os = "linux")]
impl AddressSpaceLimit {
    fn set(bytes: u64) -> Option<AddressSpaceLimit> {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `old` is a valid, writable rlimit.
        if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut old) } != 0 || old.rlim_max < bytes {
            return None;
        }
        let new = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: old.rlim_max,
        };
        // SAFETY: a valid rlimit; lowering a soft limit is always allowed.
        (unsafe { libc::setrlimit(libc::RLIMIT_AS, &new) } == 0).then_some(AddressSpaceLimit(old))
    }
}

#[cfg(target_os = "linux")]
impl Drop for AddressSpaceLimit {
    fn drop(&mut self) {
        // SAFETY: the limit read before; raising the soft limit back up to the hard
        // limit is always allowed.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &self.0) };
    }
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
