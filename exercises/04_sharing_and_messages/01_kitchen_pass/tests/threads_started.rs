//! Tests for 04/01: how many cook threads `run_kitchen` starts. Run them with
//! `cargo xtask check 04/01`.
//!
//! A test binary of its own, with a single test: it counts every thread the process
//! starts while `run_kitchen` runs, so no other test may start threads then.

use ex04_01_kitchen_pass::{KitchenError, Order, Plate, run_kitchen};
use std::time::Duration;
use test_support::report::{self, Outcome};
use test_support::{expect_at_least, expect_at_most, watchdog};

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

/// Runs `run_kitchen` on a helper thread (given up after 3 s, so that a kitchen that
/// never closes fails instead of hanging) and counts the threads it started, the
/// helper left out.
fn threads_started(
    orders: Vec<Order>,
    cooks: usize,
) -> (Option<usize>, Result<Vec<Plate>, KitchenError>) {
    let before = next_thread_number();
    let result = watchdog::within(
        Duration::from_secs(3),
        |limit| {
            format!(
                "`run_kitchen` had not returned after {limit:?}: the kitchen never closed (a \
                 `Sender` is still alive somewhere)"
            )
        },
        move || run_kitchen(orders, cooks, |o: &Order| o.dish.clone()),
    );
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
