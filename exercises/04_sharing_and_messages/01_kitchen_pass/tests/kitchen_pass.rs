//! Tests for 04/01. Run them with `cargo xtask check 04/01`.

use ex04_01_kitchen_pass::{KitchenError, Order, run_kitchen};
use std::time::Duration;
use test_support::{Gauge, RatioCheck, ThreadSet, expect_at_least, expect_at_most};

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
    let plates = run_kitchen(evening, 3, |order: &Order| {
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
    let no_cooks = run_kitchen(orders(&["soup"]), 0, |o: &Order| o.dish.clone());
    let twice = run_kitchen(
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
    let plates = run_kitchen(Vec::new(), 2, |o: &Order| o.dish.clone());
    assert_eq!(plates, Ok(vec![]), "no orders, no plates, and no error");
    assert_eq!(
        run_kitchen(Vec::new(), 0, |o: &Order| o.dish.clone()),
        Err(KitchenError::NoCooks),
        "0 cooks is an error even on a quiet evening"
    );
}

#[test]
fn cooks_are_threads_that_cook_at_the_same_time() {
    let threads = ThreadSet::new();
    let gauge = Gauge::new();
    let (t, g) = (threads.clone(), gauge.clone());
    let plates = run_kitchen(orders(&EVENING), 4, move |order: &Order| {
        t.record();
        let _cooking = g.enter();
        std::thread::sleep(Duration::from_millis(40)); // the oven
        order.dish.clone()
    })
    .expect("4 cooks");
    assert_eq!(plates.len(), EVENING.len(), "one plate per order");
    assert!(
        !threads.contains_current(),
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
            run_kitchen(orders(&EVENING), 1, oven).expect("1 cook");
        },
        || {
            let g = gauge.clone();
            run_kitchen(orders(&EVENING), 4, move |order: &Order| {
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
