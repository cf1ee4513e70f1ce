//! Panics inside the code under test: a payload's message as text, and rayon's
//! global pool with a handler that counts the panics escaping a `rayon::spawn`
//! closure, so that a test can say in words what went wrong.
//!
//! Without a handler, rayon aborts the whole process on such a panic, and all a
//! grader could say is "killed by signal 6". With [`RayonPanics`], a test binary
//! builds the global pool itself (before anything else uses it), prints the
//! expected panics as `note:` lines (a failure shows the test's own explanation
//! first), and fails in plain words when a panic reached the pool. Either way, a
//! panic that reaches rayon fails: in a real program it takes everything down.

use std::any::Any;
use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

use crate::report::{self, Outcome};

/// How the message of a `todo!()` starts: an exercise not started yet.
pub const TODO: &str = "not yet implemented";

/// The message of a panic, from the payload that `catch_unwind` or a thread's
/// `join` returns (or a panic hook's `info.payload()`).
pub fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

/// Panics that escaped a `rayon::spawn` closure and reached the pool's handler.
static ESCAPED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set while the code under test runs on this thread (see
    /// [`RayonPanics::without_panicking`]).
    static UNDER_TEST: Cell<bool> = const { Cell::new(false) };
}

/// What the code under test hands to rayon, for the failure messages: with
/// `job: "checksum"` and `others: "every other request"`, an escaped panic reads
/// "the checksum's panic escaped the closure given to `rayon::spawn` ... aborts the
/// whole process, every other request with it".
pub struct RayonPanics {
    pub job: &'static str,
    pub others: &'static str,
}

impl RayonPanics {
    /// Builds rayon's global pool (once per test binary) with a handler that counts
    /// escaped panics, and a panic hook that prints the expected panics as notes.
    /// The tests take turns (the guard), since the pool and the count are shared by
    /// the whole process.
    pub fn setup(&self) -> MutexGuard<'static, ()> {
        static POOL: Once = Once::new();
        POOL.call_once(|| {
            let default_hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let text = message(info.payload());
                let place = if text.starts_with(TODO) {
                    return default_hook(info);
                } else if rayon::current_thread_index().is_some() {
                    "a rayon thread"
                } else if UNDER_TEST.with(Cell::get) {
                    "the test's thread, in the code under test"
                } else {
                    return default_hook(info);
                };
                eprintln!(
                    "note: a panic on {place} (the test says below whether that is right): {text}"
                );
            }));
            rayon::ThreadPoolBuilder::new()
                .panic_handler(|_| {
                    ESCAPED.fetch_add(1, Ordering::SeqCst);
                })
                .build_global()
                .expect("this test binary builds rayon's global pool before anything uses it");
        });
        static TURN: Mutex<()> = Mutex::new(());
        let guard = TURN.lock().unwrap_or_else(|p| p.into_inner());
        ESCAPED.store(0, Ordering::SeqCst);
        guard
    }

    /// Fails, in plain words, if a panic reached rayon's pool. Rayon calls its
    /// handler after the closure has unwound (and dropped its sender), so this first
    /// waits until every pool thread has finished what it was doing: a job on each.
    #[track_caller] // a failure names the test's line, not this file's
    pub fn no_panic_escaped(&self, what: &str) {
        rayon::broadcast(|_| ());
        let escaped = ESCAPED.load(Ordering::SeqCst);
        let check = format!("panics that escaped `rayon::spawn` during {what}");
        let detail = format!(
            "{escaped}, allowed at most 0 (without a `panic_handler`, each one aborts the process)"
        );
        if escaped == 0 {
            report::record(&check, Outcome::Passed, &detail);
            return;
        }
        report::record(&check, Outcome::Failed, &detail);
        panic!(
            "during {what}, the {}'s panic escaped the closure given to `rayon::spawn`. \
             Rayon has no caller to hand it to, so a pool without a `panic_handler` aborts \
             the whole process, {} with it (this test gave the pool a handler, so that you \
             can read this). Catch the panic inside the closure with \
             `std::panic::catch_unwind(AssertUnwindSafe(|| ...))` and send \
             `Err(panic_message(..))` through the channel",
            self.job, self.others
        );
    }

    /// Runs `f` (the code under test), and turns a panic of it into a plain-words
    /// failure; a `todo!()` passes through as it is (not started, nothing to explain).
    #[track_caller]
    pub fn without_panicking<T>(&self, what: &str, f: impl FnOnce() -> T) -> T {
        UNDER_TEST.with(|u| u.set(true));
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(f));
        UNDER_TEST.with(|u| u.set(false));
        match outcome {
            Ok(value) => value,
            Err(payload) if message(payload.as_ref()).starts_with(TODO) => {
                std::panic::resume_unwind(payload)
            }
            Err(payload) => {
                self.no_panic_escaped(what);
                panic!(
                    "{what} panicked ({:?}); a {} that panics must come back as an `Err`, not \
                     as a panic of the caller",
                    message(payload.as_ref()),
                    self.job
                )
            }
        }
    }
}

/// Keeps quiet about a panic a test plants on purpose (its message is `planted`):
/// a panic hook that shows every other panic as usual. Set it in a test binary
/// whose only tests expect that panic.
pub fn quiet_about(planted: &'static str) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if message(info.payload()) != planted {
            default(info);
        }
    }));
}
