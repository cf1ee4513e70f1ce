//! Tests for 14/01. Run them with `cargo xtask check 14/01`.
//!
//! Most tests run on tokio's paused clock (`start_paused = true`): time stands still
//! while a task works and jumps to the next timer when every task waits, so the
//! evening's timeline is exact and the same on every machine. The kitchen counts the
//! tickets that exist at once (written, not yet taken by the cook): that is the
//! memory the rail holds, counted without a clock.

use ex14_01_backpressure::{Kitchen, Served, one_at_a_time, service};
use std::time::Duration;
use test_support::{Outcome, RatioCheck, expect_at_least, expect_at_most, report};

/// Runs `service`, and fails in words if it never returns. On the paused clock a
/// stuck kitchen (every task waiting on another) makes the clock jump to this
/// deadline at once.
async fn evening(orders: u32, slots: usize, kitchen: &Kitchen) -> Vec<Served> {
    let work = service((1..=orders).collect(), slots, kitchen.clone());
    match tokio::time::timeout(Duration::from_secs(3600), work).await {
        Ok(served) => served,
        Err(_) => panic!(
            "`service` did not return ({orders} orders, {slots} slots): the waiter and the \
             cook are waiting for each other. Does the cook wait for the waiter's task \
             before emptying the rail? The waiter cannot finish while the rail is full."
        ),
    }
}

fn numbers(served: &[Served]) -> Vec<u32> {
    served.iter().map(|s| s.order).collect()
}

#[tokio::test(start_paused = true)]
async fn timeline_of_a_busy_evening() {
    // A waiter who needs 2 ms per order, a cook who needs 10 ms per dish, a rail of 3
    // slots: after a few orders the waiter can only write a ticket when the cook takes
    // one, and the number waiting stops growing.
    let kitchen = Kitchen::new(2, 10);
    evening(8, 3, &kitchen).await;
    insta::assert_snapshot!(kitchen.timeline());
}

#[tokio::test(start_paused = true)]
async fn the_rail_never_holds_more_than_its_slots() {
    // A very fast waiter (1 ms per order) and a slow cook (10 ms per dish): without
    // backpressure, the tickets pile up.
    for slots in [1, 2, 3, 5, 10] {
        let kitchen = Kitchen::new(1, 10);
        let served = evening(100, slots, &kitchen).await;
        assert_eq!(
            served.len(),
            100,
            "with {slots} slots, the cook should serve all 100 orders, but served {}",
            served.len()
        );
        // Clock-free: the tickets that existed at once are the rail's slots and the one
        // in the waiter's hand, never more ...
        expect_at_most(
            &format!("tickets waiting at once, 100 orders on a rail of {slots} (slots + 1)"),
            kitchen.most_waiting(),
            slots + 1,
        );
        // ... and the waiter did run ahead of the cook and fill the rail.
        if slots >= 2 {
            expect_at_least(
                &format!("tickets waiting at once, 100 orders on a rail of {slots}"),
                kitchen.most_waiting(),
                slots,
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_order_is_cooked_once_in_order() {
    let kitchen = Kitchen::new(1, 10);
    let served = evening(50, 4, &kitchen).await;
    assert_eq!(
        kitchen.thrown_away(),
        Vec::<u32>::new(),
        "these tickets were dropped and never cooked: a full rail must make the waiter \
         wait (`send(...).await`), not drop the ticket (`try_send` returns it in an error \
         when the rail is full)"
    );
    assert_eq!(
        numbers(&served),
        (1..=50).collect::<Vec<_>>(),
        "the cook should serve each of the 50 orders exactly once, in the order taken"
    );
}

#[tokio::test(start_paused = true)]
async fn the_kitchen_keeps_the_cooks_pace() {
    // Waiter 5 ms, cook 10 ms, 20 orders. With a rail the waiter writes the next
    // ticket while the cook cooks: the first ticket is ready at 5 ms, and from then on
    // the cook never waits: 5 + 20 x 10 = 205 ms. One at a time: 20 x 15 = 300 ms.
    let kitchen = Kitchen::new(5, 10);
    let start = tokio::time::Instant::now();
    let served = evening(20, 1, &kitchen).await;
    let took = start.elapsed().as_millis();
    assert_eq!(
        took, 205,
        "20 orders (waiter 5 ms, cook 10 ms) should take 205 virtual ms with a rail of one \
         slot (one at a time takes 300 ms), but took {took} ms: the waiter must take the \
         next order while the cook cooks"
    );
    let times: Vec<u128> = served.iter().take(3).map(|s| s.at.as_millis()).collect();
    assert_eq!(
        times,
        [15, 25, 35],
        "the first three dishes, one every 10 ms"
    );
    report::record(
        "virtual time of 20 orders",
        Outcome::Passed,
        &format!("{took} ms, the cook's pace (one at a time: 300 ms)"),
    );
}

#[tokio::test(start_paused = true)]
async fn no_orders_no_waiting() {
    let kitchen = Kitchen::new(5, 10);
    let start = tokio::time::Instant::now();
    assert!(evening(0, 3, &kitchen).await.is_empty());
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "an empty evening takes no time"
    );
}

#[test]
fn on_a_real_clock_the_waiter_and_the_cook_overlap() {
    // 12 orders, waiter 10 ms, cook 10 ms: about 240 ms one at a time, about 130 ms
    // with a rail (1.8x). Waiting needs no free core, so 1.4x is required even on a busy
    // machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let orders: Vec<u32> = (1..=12).collect();
    let limit = Duration::from_secs(5);
    RatioCheck::new("waiter and cook overlapped on one thread", 1.4).run(
        || {
            runtime.block_on(one_at_a_time(orders.clone(), Kitchen::new(10, 10)));
        },
        || {
            let work = service(orders.clone(), 2, Kitchen::new(10, 10));
            let done = runtime.block_on(async { tokio::time::timeout(limit, work).await });
            assert!(
                done.is_ok(),
                "`service` did not return within 5 s on a real clock: the waiter and the \
                 cook are waiting for each other"
            );
        },
    );
}
