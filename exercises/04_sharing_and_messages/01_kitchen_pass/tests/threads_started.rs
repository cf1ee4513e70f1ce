//! Tests for 04/01: how many cook threads `run_kitchen` starts. Run them with
//! `cargo xtask check 04/01`.
//!
//! A test binary of its own, with a single test: it counts every thread the process
//! starts while `run_kitchen` runs, so no other test may start threads then.

use ex04_01_kitchen_pass::{KitchenError, Order, Plate, run_kitchen};
use std::sync::mpsc;
use std::time::Duration;
use test_support::report::{self, Outcome};
use test_support::{expect_at_least, expect_at_most};

/// The number of the next thread this process starts (`ThreadId`s count up from 1,
/// one per thread started), read by starting one.
fn next_thread_number() -> Option<u64> {
    let id = std::thread::spawn(|| std::thread::current().id())
        .join()
        .ok()?;
    format!("{id:?}")
        .strip_prefix("ThreadId(")?
        .strip_suffix(')')?
        .parse()
        .ok()
}

/// The name of the threads that run the exercise's code under a watchdog.
const WATCHED: &str = "watched";

/// The message of a `todo!()` panic.
fn todo_message(text: Option<&str>) -> Option<String> {
    text.filter(|t| t.starts_with("not yet implemented"))
        .map(str::to_string)
}

/// A `todo!()` still in the exercise panics on a watched thread: kept quiet there and
/// raised again on the test's own thread (`pass_on`), so that the grader reports the
/// exercise as not started yet rather than as failed.
fn quiet_todo_on_watched_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let watched = std::thread::current().name() == Some(WATCHED);
            if !(watched && todo_message(info.payload_as_str()).is_some()) {
                default(info);
            }
        }));
    });
}

/// Passes the panic of a watched thread on, from the test's own thread.
fn pass_on(panic: Box<dyn std::any::Any + Send>) -> ! {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str));
    match todo_message(text) {
        Some(todo) => panic!("{todo}"),
        None => std::panic::resume_unwind(panic),
    }
}

/// Runs `run_kitchen` on a helper thread (given up after 3 s, so that a kitchen that
/// never closes fails instead of hanging) and counts the threads it started, the
/// helper left out.
fn threads_started(
    orders: Vec<Order>,
    cooks: usize,
) -> (Option<usize>, Result<Vec<Plate>, KitchenError>) {
    let before = next_thread_number();
    quiet_todo_on_watched_threads();
    let (tx, rx) = mpsc::channel();
    let helper = std::thread::Builder::new()
        .name(WATCHED.to_string())
        .spawn(move || {
            let _ = tx.send(run_kitchen(orders, cooks, |o: &Order| o.dish.clone()));
        })
        .expect("a helper thread");
    let result = match rx.recv_timeout(Duration::from_secs(3)) {
        Ok(result) => result,
        // `run_kitchen` panicked: pass its own panic on.
        Err(mpsc::RecvTimeoutError::Disconnected) => match helper.join() {
            Err(panic) => pass_on(panic),
            Ok(()) => unreachable!("the helper sends before it returns"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "`run_kitchen` had not returned after 3 s: the kitchen never closed (a \
             `Sender` is still alive somewhere)"
        ),
    };
    let after = next_thread_number();
    let started = before
        .zip(after)
        .map(|(before, after)| (after - before - 2) as usize);
    (started, result)
}

fn orders(ids: &[u32]) -> Vec<Order> {
    ids.iter()
        .map(|&id| Order {
            id,
            dish: format!("dish {id}"),
        })
        .collect()
}

#[test]
fn cooks_start_only_when_the_kitchen_opens() {
    let (for_a_repeat, refused) = threads_started(orders(&[1, 2, 3, 2, 5]), 3);
    assert_eq!(
        refused,
        Err(KitchenError::DuplicateOrder(2)),
        "order number 2 appears twice"
    );
    let (for_eight, plates) = threads_started(orders(&[1, 2, 3, 4, 5, 6, 7, 8]), 3);
    assert_eq!(plates.map(|p| p.len()), Ok(8), "one plate per order");
    let (Some(for_a_repeat), Some(for_eight)) = (for_a_repeat, for_eight) else {
        report::record(
            "cook threads started",
            Outcome::NotChecked,
            "this toolchain does not number its threads as `ThreadId(n)`",
        );
        return;
    };
    // The input is checked before any cook starts.
    expect_at_most(
        "cook threads started for an evening with a repeated order number",
        for_a_repeat,
        0,
    );
    // 3 cooks are 3 threads, however many orders.
    expect_at_least("cook threads started by a kitchen of 3 cooks", for_eight, 3);
    expect_at_most("cook threads started by a kitchen of 3 cooks", for_eight, 3);
}
