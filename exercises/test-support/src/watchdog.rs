//! A test body run under a watchdog: a wrong answer that hangs (a deadlock, a channel
//! that never closes, a runtime whose only thread is blocked) fails that test in
//! words, instead of hanging every test after it until the grader's time limit, where
//! all a learner would read is "timed out".

use std::cell::Cell;
use std::sync::mpsc;
use std::time::Duration;

thread_local! {
    /// Set on the threads that [`within`] starts.
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `body` on a thread of its own and returns what it returns; fails with the
/// message `stuck(limit)` if it has not returned within `limit`.
///
/// The thread is named after the test, so that what it records is the test's. A
/// panic in `body` is passed on from the test's own thread; a `todo!()` still in the
/// exercise is kept quiet on the watched thread and raised again as it is, so that
/// the grader reports the exercise as not started rather than as failed.
pub fn within<T: Send + 'static>(
    limit: Duration,
    stuck: impl FnOnce(Duration) -> String,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    quiet_todo_on_watched_threads();
    let name = std::thread::current()
        .name()
        .unwrap_or("the test")
        .to_string();
    let (done, finished) = mpsc::channel();
    let watched = std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            WATCHED.with(|w| w.set(true));
            let _ = done.send(body());
        })
        .expect("a thread for the test");
    match finished.recv_timeout(limit) {
        Ok(value) => value,
        // `body` panicked: pass its own panic on.
        Err(mpsc::RecvTimeoutError::Disconnected) => match watched.join() {
            Err(panic) => pass_on(panic),
            Ok(()) => unreachable!("the watched thread sends before it returns"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{}", stuck(limit)),
    }
}

/// The message of a `todo!()` panic.
fn todo_message(text: Option<&str>) -> Option<String> {
    text.filter(|t| t.starts_with(crate::panics::TODO))
        .map(str::to_string)
}

fn quiet_todo_on_watched_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let watched = WATCHED.with(Cell::get);
            if !(watched && todo_message(info.payload_as_str()).is_some()) {
                default(info);
            }
        }));
    });
}

/// Passes the panic of a watched thread on, from the test's own thread.
fn pass_on(panic: Box<dyn std::any::Any + Send>) -> ! {
    match todo_message(Some(crate::panics::message(&*panic))) {
        Some(todo) => panic!("{todo}"),
        None => std::panic::resume_unwind(panic),
    }
}
