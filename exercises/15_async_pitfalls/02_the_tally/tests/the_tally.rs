//! Tests for 15/02. Run them with `cargo xtask check 15/02`.
//!
//! Every test gives `take_order` to `tokio::spawn`, so the tests compile only when
//! its future is `Send`: when no lock guard is alive at its `.await`. One test runs
//! many orders on a runtime with two worker threads; the others use tokio's paused
//! clock, where each order arrives at its own virtual millisecond, so the tickets,
//! their numbers and their times are the same on every machine.

use ex15_02_the_tally::{PRINT_TAKES, Printer, Tally, take_order};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use test_support::{RatioCheck, expect_at_least, expect_at_most, report, watchdog};
use tokio::time::Instant;

/// Spawns one order with `tokio::spawn` (which needs a `Send` future), and checks
/// that its ticket was printed by the time it returned.
fn spawn_order(tally: &Tally, printer: &Arc<Printer>, dish: &str) -> tokio::task::JoinHandle<u32> {
    let (tally, printer, dish) = (tally.clone(), Arc::clone(printer), dish.to_string());
    tokio::spawn(async move {
        let number = take_order(tally, Arc::clone(&printer), dish.clone()).await;
        let printed: Vec<u32> = printer
            .tickets()
            .iter()
            .filter(|t| t.dish == dish)
            .map(|t| t.number)
            .collect();
        assert!(
            printed.contains(&number),
            "`take_order` returned {number} for {dish:?}, but no ticket \"{dish} #{number}\" \
             had been printed when it returned (the {dish:?} tickets printed by then: \
             {printed:?}). Return the number printed on the ticket, after awaiting the print"
        );
        number
    })
}

/// Runs `body` under a watchdog that fails in words if it has not finished within
/// `limit`: on a runtime whose worker threads are all blocked, nothing moves, and the
/// test would hang instead.
fn unless_stuck(limit: Duration, what: &str, body: impl FnOnce() + Send + 'static) {
    watchdog::within(
        limit,
        |limit| {
            format!(
                "{what} did not finish within {limit:?}: the orders got stuck. A thread that \
                 blocks while it holds the tally's lock (`block_in_place`, `Handle::block_on`, \
                 a blocking sleep) keeps a worker thread, and every order that needs the \
                 tally, from moving: end the guard's scope, then `.await` the print"
            )
        },
        body,
    )
}

#[test]
fn sixty_orders_on_two_worker_threads() {
    unless_stuck(
        Duration::from_secs(10),
        "60 orders on two worker threads",
        || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime with two worker threads")
                .block_on(sixty_orders())
        },
    );
}

async fn sixty_orders() {
    let tally = Tally::default();
    let printer = Arc::new(Printer::new(tally.clone()));
    let dishes = ["soup", "bread", "cake"];
    // The first order is taken right here, on the test's own thread; the other 59
    // are tasks on the two workers.
    let first = take_order(tally.clone(), Arc::clone(&printer), "soup".into()).await;
    let orders: Vec<_> = (1..60)
        .map(|i| (dishes[i % 3], spawn_order(&tally, &printer, dishes[i % 3])))
        .collect();
    let mut numbers: BTreeMap<&str, Vec<u32>> = BTreeMap::from([("soup", vec![first])]);
    for (dish, order) in orders {
        let number = order.await.expect("an order panicked");
        numbers.entry(dish).or_default().push(number);
    }
    let each: Vec<u32> = (1..=20).collect();
    for (dish, mut got) in numbers {
        got.sort_unstable();
        assert_eq!(
            got, each,
            "20 orders of {dish:?} must get the numbers 1 to 20, each once; they got {got:?}. \
             The count must be read and bumped under one lock, and the number taken out \
             then, not read again after the `.await`"
        );
    }
    let counts = tally.lock().unwrap().clone();
    let expected = dishes.iter().map(|d| (d.to_string(), 20)).collect();
    assert_eq!(counts, expected, "the tally after 20 orders of each dish");
    let mut printed: Vec<(String, u32)> = printer
        .tickets()
        .into_iter()
        .map(|t| (t.dish, t.number))
        .collect();
    printed.sort();
    let mut expected: Vec<(String, u32)> = dishes
        .iter()
        .flat_map(|d| (1..=20).map(move |n| (d.to_string(), n)))
        .collect();
    expected.sort();
    assert_eq!(
        printed, expected,
        "each order prints one ticket with its number"
    );
    report::record(
        "orders numbered right on 2 worker threads",
        test_support::Outcome::Passed,
        "60 of 60",
    );
}

#[test]
fn two_orders_of_a_dish_at_the_same_moment_get_two_numbers() {
    // Two orders of soup on two threads, at the worst moment: the tally lets the
    // second order in between two locks of the first (`Tally::take_turns_with`), as
    // two worker threads might once in a million runs. An order that bumps the count
    // under one lock and reads it under another then reads the other's bump too.
    unless_stuck(
        Duration::from_secs(10),
        "two orders at the same moment",
        || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime with two worker threads");
            let tally = Tally::default();
            let printer = Arc::new(Printer::new(tally.clone()));
            let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
            let second = {
                let (tally, printer) = (tally.clone(), Arc::clone(&printer));
                let handle = runtime.handle().clone();
                std::thread::spawn(move || {
                    wait_for_go.recv().expect("the test says go");
                    handle.block_on(take_order(tally, printer, "soup".into()))
                })
            };
            tally.take_turns_with(second.thread().id());
            let first = runtime.spawn(take_order(
                tally.clone(),
                Arc::clone(&printer),
                "soup".into(),
            ));
            // The second order comes in once the first has bumped the count.
            while !tally
                .try_lock()
                .is_ok_and(|counts| counts.get("soup") == Some(&1))
            {
                if first.is_finished() {
                    break; // it never bumped the count: its own failure says why
                }
                std::thread::yield_now();
            }
            go.send(()).expect("the second order waits for go");
            // An order's panic goes on as it is, with its own message.
            let first = runtime
                .block_on(first)
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            tally.stop_taking_turns();
            let mut numbers = [first, second];
            numbers.sort_unstable();
            assert_eq!(
                numbers,
                [1, 2],
                "two orders of soup, the second taken while the first was between two \
                 locks of the tally, got the numbers {first} and {second}: read the new count \
                 in the same lock that bumped it (a block that ends with the count), not \
                 in a lock of its own"
            );
        },
    );
}

/// Five orders, one per virtual millisecond; returns the numbers they got and when
/// the last one returned.
async fn five_orders(tally: &Tally, printer: &Arc<Printer>) -> (Vec<u32>, u128) {
    let start = Instant::now();
    let mut orders = Vec::new();
    for dish in ["soup", "bread", "soup", "soup", "cake"] {
        orders.push(spawn_order(tally, printer, dish));
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut numbers = Vec::new();
    for order in orders {
        numbers.push(order.await.expect("an order panicked"));
    }
    (numbers, start.elapsed().as_millis())
}

#[tokio::test(start_paused = true)]
async fn tickets_print_at_the_same_time_and_the_tally_stays_free() {
    assert_eq!(PRINT_TAKES, Duration::from_millis(20));
    let tally = Tally::default();
    let printer = Arc::new(Printer::new(tally.clone()));
    let (numbers, took) = five_orders(&tally, &printer).await;
    assert_eq!(
        numbers,
        [1, 1, 2, 3, 1],
        "soup, bread, soup, soup, cake, one per millisecond, must get the numbers \
         1, 1, 2, 3, 1"
    );
    expect_at_most(
        "tickets that started printing while the tally was locked",
        printer.tally_locked_while_printing(),
        0,
    );
    expect_at_least(
        "tickets printing at the same time",
        printer.most_at_once(),
        5,
    );
    assert_eq!(
        took, 24,
        "five orders, one per millisecond, each printing for 20 ms, all printing at once: \
         the last returns at 24 virtual ms, not {took} ms. Nothing may be locked while the \
         ticket prints"
    );
}

#[tokio::test(start_paused = true)]
async fn timeline_of_the_evening() {
    let tally = Tally::default();
    let printer = Arc::new(Printer::new(tally.clone()));
    let (numbers, took) = five_orders(&tally, &printer).await;
    let counts: BTreeMap<String, u32> = tally.lock().unwrap().clone().into_iter().collect();
    let text = format!(
        "{}\nreturned {numbers:?}, the last at {took} ms\ntally {counts:?}\n",
        printer.log()
    );
    insta::assert_snapshot!(text);
}

#[test]
fn on_a_real_clock_orders_overlap() {
    unless_stuck(
        Duration::from_secs(10),
        "eight orders on a real clock",
        orders_overlap,
    );
}

fn orders_overlap() {
    // Eight orders of 20 ms of printing each: one after another about 160 ms,
    // spawned together about 20 ms. Waiting needs no free core, so 3x is asked for.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let tally = Tally::default();
    let printer = Arc::new(Printer::new(tally.clone()));
    RatioCheck::new("eight orders taken at once", 3.0).run(
        || {
            runtime.block_on(async {
                for _ in 0..8 {
                    take_order(tally.clone(), Arc::clone(&printer), "tea".into()).await;
                }
            })
        },
        || {
            runtime.block_on(async {
                let orders: Vec<_> = (0..8)
                    .map(|_| spawn_order(&tally, &printer, "tea"))
                    .collect();
                for order in orders {
                    order.await.expect("an order panicked");
                }
            })
        },
    );
}
