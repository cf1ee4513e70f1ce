//! Tests for 14/02. Run them with `cargo xtask check 14/02`.
//!
//! Most tests run on tokio's paused clock (`start_paused = true`): time stands still
//! while a task works and jumps to the next timer when every task waits, so the
//! evening's timeline is exact and the same on every machine. A kitchen that never
//! closes makes the clock jump to a deadline an hour away at once, and the test says
//! so instead of hanging.

use ex14_02_graceful_shutdown::{
    Door, Kitchen, Order, Refused, Restaurant, one_after_another, run_kitchen,
};
use std::future::Future;
use std::time::Duration;
use test_support::{Outcome, RatioCheck, expect_at_least, report};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

/// Awaits `work`, and fails in words if it does not end within an hour of virtual time.
async fn within_an_hour<T>(work: impl Future<Output = T>, what: &str) -> T {
    match tokio::time::timeout(Duration::from_secs(3600), work).await {
        Ok(value) => value,
        Err(_) => panic!(
            "{what} did not return: the kitchen never closed. Guests still hold doors, so the \
             inbox never ends by itself: `close` must cancel `closing`, and after the signal \
             `run_kitchen` must close its inbox (`inbox.close()`) before it reads the last \
             orders (a `recv()` on an open inbox waits until every door is dropped)"
        ),
    }
}

/// Tasks alive on this test's runtime (the test itself is not a task).
fn tasks_alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// The facts every closing must show, checked right after `close` returned.
fn check_nothing_leaked(kitchen: &Kitchen, cooked: usize, when: &str) {
    assert_eq!(
        kitchen.thrown_away(),
        Vec::<u32>::new(),
        "{when}: these dishes were thrown away half-cooked: closing time must wait for the \
         dishes on the stove, not abort them (dropping or `shutdown()` of a `JoinSet` aborts \
         its tasks)"
    );
    assert_eq!(
        kitchen.on_the_stove(),
        0,
        "{when}: dishes were still on the stove when `close` returned: spawn every dish into \
         the kitchen's `JoinSet` and wait for each one (`join_next()` until `None`)"
    );
    assert_eq!(
        tasks_alive(),
        0,
        "{when}: tasks were still running after `close` returned: the kitchen's dishes must \
         be spawned in its `JoinSet` and joined, and `close` must await the kitchen's task"
    );
    assert_eq!(
        kitchen.served(),
        kitchen.taken(),
        "{when}: every order a guest placed (`Door::order` returned `Ok`) must be served \
         before `close` returns (left: served, right: taken). Orders still in the inbox at \
         closing time were taken too: receive them until `recv()` returns `None`"
    );
    assert_eq!(
        cooked,
        kitchen.served().len(),
        "{when}: `close` should return the number of dishes cooked"
    );
}

#[tokio::test(start_paused = true)]
async fn timeline_of_closing_time() {
    let kitchen = Kitchen::new();
    let restaurant = Restaurant::open(8, kitchen.clone());
    let door = restaurant.door();
    door.order(Order::new(1, 30)).await.unwrap();
    sleep(Duration::from_millis(5)).await;
    door.order(Order::new(2, 40)).await.unwrap();
    sleep(Duration::from_millis(5)).await;
    door.order(Order::new(3, 20)).await.unwrap();
    sleep(Duration::from_millis(10)).await;
    // Two last orders, and closing time in the same instant: they are in the inbox
    // when the kitchen hears the signal.
    door.order(Order::new(4, 25)).await.unwrap();
    door.order(Order::new(5, 15)).await.unwrap();
    kitchen.note_closing_time();
    let late_guest = async {
        sleep(Duration::from_millis(5)).await;
        door.order(Order::new(6, 10)).await
    };
    let (cooked, late) = within_an_hour(
        async { tokio::join!(restaurant.close(), late_guest) },
        "`close`",
    )
    .await;
    kitchen.note_closed();
    assert_eq!(
        late,
        Err(Refused(6)),
        "an order placed after closing time (while the kitchen finishes) must be refused"
    );
    assert_eq!(cooked, 5, "the kitchen took and cooked 5 orders");
    insta::assert_snapshot!(kitchen.timeline());
}

#[tokio::test(start_paused = true)]
async fn orders_taken_before_closing_are_all_cooked() {
    // Orders still in the inbox when closing time comes. `select!` picks a ready branch
    // at random, so 20 rounds: a kitchen that stops at the signal and leaves the inbox
    // unread loses some of them in nearly every round.
    for round in 1..=20u32 {
        let kitchen = Kitchen::new();
        let restaurant = Restaurant::open(8, kitchen.clone());
        let door = restaurant.door();
        for id in 1..=5 {
            door.order(Order::new(id, 10 + u64::from(id)))
                .await
                .unwrap();
        }
        drop(door);
        let cooked = within_an_hour(restaurant.close(), "`close`").await;
        check_nothing_leaked(&kitchen, cooked, &format!("round {round}"));
        assert_eq!(cooked, 5, "round {round}: 5 orders taken, 5 must be cooked");
    }
}

#[tokio::test(start_paused = true)]
async fn an_order_whose_slot_was_reserved_before_closing_is_cooked() {
    // A guest got a slot in the inbox before closing time (`reserve`), and hands the
    // order in only after the kitchen heard the signal. A slot reserved is an order
    // taken: `recv()` after `inbox.close()` waits for it, and only then gives
    // `None`. A kitchen that takes one last look with `try_recv` (which never waits)
    // and closes the inbox after it finds it empty, and never sees this order. On a
    // runtime with several threads, a `Door::order` can land in that gap too.
    let kitchen = Kitchen::new();
    let (inbox_sender, inbox) = mpsc::channel(4);
    let closing = CancellationToken::new();
    let task = tokio::spawn(run_kitchen(inbox, closing.clone(), kitchen.clone()));
    let slot = inbox_sender.reserve().await.expect("the inbox is open");
    closing.cancel();
    // The kitchen hears the signal and closes its inbox meanwhile.
    sleep(Duration::from_millis(1)).await;
    slot.send(Order::new(1, 10));
    drop(inbox_sender);
    let cooked = match tokio::time::timeout(Duration::from_secs(3600), task).await {
        Ok(cooked) => cooked.expect("the kitchen's task panicked"),
        Err(_) => panic!("`run_kitchen` did not return within an hour of closing time"),
    };
    assert_eq!(
        kitchen.served(),
        [1],
        "order #1 went into a slot of the inbox reserved before closing time, so it was \
         taken, and it must be cooked; the kitchen cooked {cooked} dishes. After \
         `inbox.close()`, receive with `recv().await` until it gives `None`: it waits for \
         the slots already reserved (a last look with `try_recv` does not)"
    );
    assert_eq!(
        cooked, 1,
        "`run_kitchen` should return the number of dishes cooked"
    );
}

#[tokio::test(start_paused = true)]
async fn the_kitchen_stops_when_every_door_is_gone() {
    // No restaurant around it and no closing time: the kitchen's own inbox and one
    // door. An order, then the door is dropped: the inbox ends (`recv()` gives
    // `None`), and the kitchen must cook the order and return by itself.
    let kitchen = Kitchen::new();
    let (inbox_sender, inbox) = mpsc::channel(4);
    let closing = CancellationToken::new();
    let task = tokio::spawn(run_kitchen(inbox, closing.clone(), kitchen.clone()));
    let door = Door::new(inbox_sender, kitchen.clone());
    door.order(Order::new(1, 30)).await.unwrap();
    drop(door);
    let cooked = match tokio::time::timeout(Duration::from_secs(3600), task).await {
        Ok(cooked) => cooked.expect("the kitchen's task panicked"),
        Err(_) => panic!(
            "every door was dropped, so the inbox ended, and `run_kitchen` did not return \
             within an hour: when `recv()` gives `None` the loop must stop (a pattern like \
             `Some(order) = inbox.recv()` only disables that branch, and the `select!` goes \
             on waiting for a closing time that never comes)"
        ),
    };
    check_nothing_leaked(&kitchen, cooked, "every door gone");
    assert_eq!(cooked, 1, "one order was taken: one dish cooked");
    drop(closing);
}

#[tokio::test(start_paused = true)]
async fn nothing_is_left_running_after_close() {
    // Guests keep ordering from their own tasks; closing time comes in the middle of
    // the evening, with dishes on the stove and guests still at the door.
    let kitchen = Kitchen::new();
    let restaurant = Restaurant::open(4, kitchen.clone());
    let mut guests = tokio::task::JoinSet::new();
    for guest in 0..6u32 {
        let door = restaurant.door();
        guests.spawn(async move {
            let mut refused = 0;
            for i in 0..10u32 {
                sleep(Duration::from_millis(u64::from(3 + guest))).await;
                let id = guest * 100 + i + 1;
                if door
                    .order(Order::new(id, 20 + u64::from(i % 4) * 7))
                    .await
                    .is_err()
                {
                    refused += 1;
                }
            }
            refused
        });
    }
    sleep(Duration::from_millis(25)).await;
    let closing = tokio::spawn(restaurant.close());
    let mut refused = 0;
    while let Some(guest) = guests.join_next().await {
        refused += guest.expect("a guest task");
    }
    let cooked = within_an_hour(closing, "`close`")
        .await
        .expect("`close` panicked");
    check_nothing_leaked(&kitchen, cooked, "closing in the middle of the evening");
    expect_at_least("orders refused after closing time", refused, 1);
    expect_at_least("orders cooked before and during closing", cooked, 1);
    assert_eq!(
        cooked + refused,
        60,
        "60 orders: each is either cooked or refused"
    );
}

#[tokio::test(start_paused = true)]
async fn dishes_cook_at_the_same_time() {
    // Ten orders of 50 ms at once: a kitchen that cooks each order as a task of its own
    // has all ten on the stove together and is done at 50 ms.
    let kitchen = Kitchen::new();
    let restaurant = Restaurant::open(10, kitchen.clone());
    let door = restaurant.door();
    let start = Instant::now();
    for id in 1..=10 {
        door.order(Order::new(id, 50)).await.unwrap();
    }
    sleep(Duration::from_millis(1)).await;
    let cooked = within_an_hour(restaurant.close(), "`close`").await;
    let took = start.elapsed().as_millis();
    check_nothing_leaked(&kitchen, cooked, "ten dishes at once");
    expect_at_least("dishes on the stove at once", kitchen.most_at_once(), 10);
    assert_eq!(
        took, 50,
        "ten dishes of 50 ms should be done together at 50 virtual ms, but closing took \
         {took} ms: spawn each dish into the `JoinSet` instead of cooking it in the loop"
    );
    report::record(
        "virtual time of ten 50 ms dishes",
        Outcome::Passed,
        &format!("{took} ms, all ten on the stove at once"),
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_restaurant_closes_at_once() {
    let kitchen = Kitchen::new();
    let restaurant = Restaurant::open(4, kitchen.clone());
    let start = Instant::now();
    let cooked = within_an_hour(restaurant.close(), "`close`").await;
    assert_eq!(cooked, 0, "no orders, no dishes");
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "closing an empty restaurant takes no time"
    );
    check_nothing_leaked(&kitchen, cooked, "an empty restaurant");
}

#[test]
fn the_refusal_names_the_order() {
    insta::assert_snapshot!(Refused(7).to_string());
}

#[test]
fn on_a_real_clock_the_dishes_overlap() {
    // Ten dishes of 20 ms: about 200 ms one after another, about 20 ms through the
    // restaurant. Waiting needs no free core, so 3x is required even on a busy machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let orders: Vec<Order> = (1..=10).map(|id| Order::new(id, 20)).collect();
    RatioCheck::new("ten dishes overlapped on one thread", 3.0).run(
        || {
            runtime.block_on(one_after_another(orders.clone(), Kitchen::new()));
        },
        || {
            let done = runtime.block_on(async {
                let restaurant = Restaurant::open(10, Kitchen::new());
                let door = restaurant.door();
                for &order in &orders {
                    door.order(order).await.expect("the restaurant is open");
                }
                tokio::time::timeout(Duration::from_secs(5), restaurant.close()).await
            });
            assert!(
                done.is_ok(),
                "`close` did not return within 5 s on a real clock"
            );
        },
    );
}
