//! Tests for 04/01. Run them with `cargo xtask check 04/01`.

use ex04_01_kitchen_pass::{KitchenError, Order, Plate, run_kitchen};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use test_support::{Gauge, RatioCheck, ThreadSet, expect_at_least, expect_at_most, watchdog};

/// How long a kitchen may take to close. The slowest right answer here (8 orders of
/// 40 ms for one cook) needs about 320 ms.
const CLOSING_TIME: Duration = Duration::from_secs(3);

/// Runs `f` (which runs a kitchen) on a thread of its own and gives up after
/// `CLOSING_TIME`: a kitchen whose channels never end fails here, with a message,
/// instead of hanging every test after it.
fn closes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    watchdog::within(
        CLOSING_TIME,
        |limit| {
            format!(
                "`run_kitchen` had not returned after {limit:?}: the kitchen never \
                 closed. The cooks stop only when every order `Sender` is gone, and \
                 `plate_rx.iter()` ends only when every plate `Sender` is gone: drop the ones \
                 you do not need (the pass keeps none of its own)"
            )
        },
        f,
    )
}

/// `run_kitchen`, watched by `closes`.
fn kitchen<F>(orders: Vec<Order>, cooks: usize, cook: F) -> Result<Vec<Plate>, KitchenError>
where
    F: Fn(&Order) -> String + Send + Sync + 'static,
{
    closes(move || run_kitchen(orders, cooks, cook))
}

fn orders(dishes: &[&str]) -> Vec<Order> {
    dishes
        .iter()
        .enumerate()
        .map(|(i, dish)| Order {
            id: 100 + i as u32,
            dish: dish.to_string(),
        })
        .collect()
}

const EVENING: [&str; 8] = [
    "soup", "pasta", "fish", "salad", "pasta", "cake", "soup", "cheese",
];

#[test]
fn the_ledger_of_the_evening() {
    // Orders are sent in reverse number order; the ledger is sorted by number, and
    // which cook made which plate does not appear in it: that part is not
    // deterministic.
    let mut evening = orders(&EVENING);
    evening.reverse();
    let plates = kitchen(evening, 3, |order: &Order| {
        format!("a plate of {}", order.dish)
    })
    .expect("3 cooks and distinct order numbers");
    assert!(
        plates.iter().all(|p| p.cook < 3),
        "cooks are numbered 0, 1 and 2: {plates:?}"
    );
    let mut ledger: String = plates
        .iter()
        .map(|p| format!("order {}: {}\n", p.order, p.food))
        .collect();
    let no_cooks = kitchen(orders(&["soup"]), 0, |o: &Order| o.dish.clone());
    let twice = kitchen(
        vec![
            Order {
                id: 7,
                dish: "soup".into(),
            },
            Order {
                id: 8,
                dish: "cake".into(),
            },
            Order {
                id: 7,
                dish: "fish".into(),
            },
        ],
        2,
        |o: &Order| o.dish.clone(),
    );
    for (what, result) in [("no cooks", no_cooks), ("order 7 twice", twice)] {
        match result {
            Err(e) => ledger += &format!("{what}: Err: {e}\n"),
            Ok(plates) => panic!("{what} must be an error, but the kitchen made {plates:?}"),
        }
    }
    insta::assert_snapshot!(ledger);
}

#[test]
fn a_quiet_evening_is_no_error() {
    let plates = kitchen(Vec::new(), 2, |o: &Order| o.dish.clone());
    assert_eq!(plates, Ok(vec![]), "no orders, no plates, and no error");
    assert_eq!(
        kitchen(Vec::new(), 0, |o: &Order| o.dish.clone()),
        Err(KitchenError::NoCooks),
        "0 cooks is an error even on a quiet evening"
    );
    // Fewer orders than cooks: the idle cooks go home too.
    let plates = kitchen(orders(&["soup", "cake"]), 5, |o: &Order| o.dish.clone())
        .expect("5 cooks and 2 distinct order numbers");
    let ledger: Vec<(u32, &str)> = plates.iter().map(|p| (p.order, p.food.as_str())).collect();
    assert_eq!(
        ledger,
        [(100, "soup"), (101, "cake")],
        "2 orders and 5 cooks: two plates, sorted by order number"
    );
}

#[test]
fn a_refused_evening_cooks_nothing() {
    // The checks come before any cooking: on an error, `cook` is never called.
    let cooked = Arc::new(AtomicUsize::new(0));
    let counting = |cooked: &Arc<AtomicUsize>| {
        let cooked = Arc::clone(cooked);
        move |o: &Order| {
            cooked.fetch_add(1, Ordering::SeqCst);
            o.dish.clone()
        }
    };
    let mut evening = orders(&EVENING);
    evening[5].id = evening[2].id; // order 102 twice
    assert_eq!(
        kitchen(evening, 3, counting(&cooked)),
        Err(KitchenError::DuplicateOrder(102)),
        "order number 102 appears twice"
    );
    assert_eq!(
        kitchen(orders(&EVENING), 0, counting(&cooked)),
        Err(KitchenError::NoCooks),
        "0 cooks is an error"
    );
    expect_at_most(
        "orders cooked by kitchens that should not have opened",
        cooked.load(Ordering::SeqCst),
        0,
    );
}

#[test]
fn every_plate_names_the_cook_that_made_it() {
    // The first 4 orders wait in the oven until 4 are in at once (or 2 s have
    // passed), so with 4 cooks they are cooked by 4 different threads. Each plate's
    // `cook` number must then match the thread that cooked it: one number per cook
    // thread, one cook thread per number.
    let who: Arc<Mutex<HashMap<u32, ThreadId>>> = Arc::default();
    let oven = Arc::new((Mutex::new((0usize, None::<Instant>)), Condvar::new()));
    let cook = {
        let (who, oven) = (Arc::clone(&who), Arc::clone(&oven));
        move |order: &Order| {
            who.lock()
                .unwrap()
                .insert(order.id, std::thread::current().id());
            let (state, bell) = &*oven;
            let mut state = state.lock().unwrap();
            if state.0 < 4 {
                state.0 += 1;
                let deadline = *state
                    .1
                    .get_or_insert_with(|| Instant::now() + Duration::from_secs(2));
                bell.notify_all();
                while state.0 < 4 {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    state = bell.wait_timeout(state, left).unwrap().0;
                }
            }
            order.dish.clone()
        }
    };
    let dishes: Vec<&str> = EVENING.iter().chain(&EVENING[..4]).copied().collect();
    let plates = kitchen(orders(&dishes), 4, cook).expect("4 cooks");
    assert_eq!(plates.len(), dishes.len(), "one plate per order");
    let who = who.lock().unwrap();
    let mut numbers_of: HashMap<ThreadId, BTreeSet<usize>> = HashMap::new();
    let mut threads_of: HashMap<usize, HashSet<ThreadId>> = HashMap::new();
    for plate in &plates {
        let thread = who[&plate.order];
        numbers_of.entry(thread).or_default().insert(plate.cook);
        threads_of.entry(plate.cook).or_default().insert(thread);
    }
    assert!(
        plates.iter().all(|p| p.cook < 4),
        "with 4 cooks, every plate's `cook` is 0, 1, 2 or 3: {plates:?}"
    );
    for numbers in numbers_of.values() {
        assert!(
            numbers.len() == 1,
            "one cook thread made plates marked with cook numbers {numbers:?}: a plate's \
             `cook` is the number of the cook thread that cooked it (give each cook its \
             number when you spawn it, and let it put that number on its plates)"
        );
    }
    for (number, threads) in &threads_of {
        assert!(
            threads.len() == 1,
            "the plates marked cook {number} were cooked by {} different threads: each \
             cook thread has a number of its own and puts it on its plates",
            threads.len()
        );
    }
    expect_at_least(
        "cook threads that cooked the first 4 orders at once",
        numbers_of.len(),
        4,
    );
}

#[test]
fn a_slow_order_does_not_hold_up_the_others() {
    // Order 100 stays in the oven until the 7 others are cooked. With a shared queue,
    // the other cook takes all 7 meanwhile. If the orders were dealt out in advance
    // (a channel per cook, orders in turn), some would wait behind the slow one, and
    // the slow one would wait for them.
    let cooked = Arc::new((Mutex::new(0usize), Condvar::new()));
    let gave_up = Arc::new(AtomicBool::new(false));
    let gauge = Gauge::new();
    let cook = {
        let (cooked, gave_up, gauge) = (Arc::clone(&cooked), Arc::clone(&gave_up), gauge.clone());
        move |order: &Order| {
            let _cooking = gauge.enter();
            let (count, bell) = &*cooked;
            if order.id == 100 {
                let deadline = Instant::now() + Duration::from_secs(2);
                let mut count = count.lock().unwrap();
                while *count < EVENING.len() - 1 {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        gave_up.store(true, Ordering::SeqCst);
                        break;
                    }
                    count = bell.wait_timeout(count, left).unwrap().0;
                }
            } else {
                std::thread::sleep(Duration::from_millis(5));
                *count.lock().unwrap() += 1;
                bell.notify_all();
            }
            order.dish.clone()
        }
    };
    let plates = kitchen(orders(&EVENING), 2, cook).expect("2 cooks");
    assert_eq!(plates.len(), EVENING.len(), "one plate per order");
    assert!(
        !gave_up.load(Ordering::SeqCst) || gauge.most_at_once() > 1,
        "with 2 cooks, only one order was ever in the oven at once: the slow order held \
         up every other one. Let go of the lock before cooking"
    );
    assert!(
        !gave_up.load(Ordering::SeqCst),
        "with 2 cooks, orders waited behind the slow order while the other cook had \
         nothing to do: the orders were dealt out to the cooks in advance. The cooks \
         must share one queue (one receiver behind a `Mutex`), each taking the next \
         order whenever it is free"
    );
}

#[test]
fn cooks_are_threads_that_cook_at_the_same_time() {
    let threads = ThreadSet::new();
    let gauge = Gauge::new();
    let (t, g, seen) = (threads.clone(), gauge.clone(), threads.clone());
    // `run_kitchen` runs on a thread of `closes`: that thread is the pass here.
    let (plates, cooked_on_the_pass) = closes(move || {
        let plates = run_kitchen(orders(&EVENING), 4, move |order: &Order| {
            t.record();
            let _cooking = g.enter();
            std::thread::sleep(Duration::from_millis(40)); // the oven
            order.dish.clone()
        });
        (plates, seen.contains_current())
    });
    let plates = plates.expect("4 cooks");
    assert_eq!(plates.len(), EVENING.len(), "one plate per order");
    assert!(
        !cooked_on_the_pass,
        "an order was cooked on the calling thread: that thread is the pass, the cooks \
         are threads of their own"
    );
    // A cook that keeps the receiver locked while cooking makes the others wait:
    // then only one order is ever in the oven.
    expect_at_least(
        "orders cooking at once with 4 cooks",
        gauge.most_at_once(),
        4,
    );
    expect_at_most(
        "orders cooking at once with 4 cooks",
        gauge.most_at_once(),
        4,
    );
    expect_at_least(
        "distinct threads that cooked with 4 cooks",
        threads.distinct(),
        4,
    );
    expect_at_most(
        "distinct threads that cooked with 4 cooks",
        threads.distinct(),
        4,
    );
}

#[test]
fn four_cooks_beat_one() {
    // 8 orders of 40 ms in the oven: 1 cook about 320 ms, 4 cooks about 80 ms (4x),
    // on any number of cores: an oven needs no core. At least 2x is required.
    let oven = |order: &Order| {
        std::thread::sleep(Duration::from_millis(40));
        order.dish.clone()
    };
    let gauge = Gauge::new();
    RatioCheck::new("8 orders, 4 cooks vs 1 cook", 2.0).run(
        || {
            kitchen(orders(&EVENING), 1, oven).expect("1 cook");
        },
        || {
            let g = gauge.clone();
            kitchen(orders(&EVENING), 4, move |order: &Order| {
                let _cooking = g.enter();
                oven(order)
            })
            .expect("4 cooks");
        },
    );
    expect_at_least(
        "orders cooking at once with 4 cooks",
        gauge.most_at_once(),
        4,
    );
}
