//! Tests for 05/02. Run them with `cargo xtask check 05/02`.
//!
//! On tokio's paused clock every timer fires at an exact virtual millisecond, so "the
//! dish was given up at 100 ms" can be checked exactly and the timelines are the same
//! on every machine. Every step ends at a distinct millisecond, so `select!` never
//! has to choose between two branches that are ready at once.

use ex05_02_dinner_deadline::{Dish, Kitchen, Late, What, cook_dish, first_ready, serve_within};
use std::time::Duration;
use test_support::{RatioCheck, expect_at_least, expect_at_most};

const LIMIT: Duration = Duration::from_millis(100);

fn bread() -> Dish {
    Dish::new("bread", &[("rise", 50), ("bake", 120)]) // 170 ms: too slow for 100 ms
}

fn salad() -> Dish {
    Dish::new("salad", &[("wash", 15), ("dry", 25), ("dress", 12)]) // 52 ms
}

fn pasta() -> Dish {
    Dish::new("pasta", &[("boil water", 70), ("cook pasta", 90)]) // 160 ms
}

fn sauce() -> Dish {
    Dish::new("sauce", &[("fry onions", 30), ("simmer", 110)]) // 140 ms
}

fn count(kitchen: &Kitchen, dish: &str, what: What) -> usize {
    kitchen
        .events()
        .iter()
        .filter(|e| e.dish == dish && e.what == what)
        .count()
}

/// The kitchen's steps as spans, one lane per dish, for the grader's timeline picture
/// (`cargo xtask check 05/02 --timeline`; nothing is recorded otherwise). A step
/// given up ends where it was dropped.
fn draw(kitchen: &Kitchen) {
    let mut started = std::collections::HashMap::new();
    for e in kitchen.events() {
        match e.what {
            What::Started => {
                started.insert((e.dish, e.step), e.at);
            }
            What::Finished | What::Dropped => {
                if let Some(at) = started.remove(&(e.dish, e.step)) {
                    test_support::timeline::replay("steps", e.dish, at, e.at);
                }
            }
            What::Served => {}
        }
    }
}

#[tokio::test(start_paused = true)]
async fn deadline_timeline() {
    let kitchen = Kitchen::new();
    let (salad, bread) = tokio::join!(
        serve_within(salad(), LIMIT, kitchen.clone()),
        serve_within(bread(), LIMIT, kitchen.clone()),
    );
    let mut text = kitchen.timeline();
    text += &format!("\nsalad: {salad:?}\nbread: {bread:?}\n");
    insta::assert_snapshot!(text);
}

#[tokio::test(start_paused = true)]
async fn a_late_dish_is_given_up_at_the_limit() {
    let kitchen = Kitchen::new();
    let start = tokio::time::Instant::now();
    let result = serve_within(bread(), LIMIT, kitchen.clone()).await;
    let took = start.elapsed();
    assert_eq!(
        result,
        Err(Late {
            dish: "bread",
            limit: LIMIT
        }),
        "bread takes 170 ms, so `serve_within` with a limit of 100 ms must return `Err(Late)`"
    );
    assert_eq!(
        took.as_millis(),
        100,
        "`serve_within` should give up at the limit (100 virtual ms), but returned after {} ms: \
         race the dish against the timer instead of cooking it and then looking at the clock",
        took.as_millis()
    );
    test_support::report::record(
        "virtual time to give up",
        test_support::Outcome::Passed,
        "100 ms = the limit, not the 170 ms the dish needs",
    );
    // Clock-free: the step on the stove was dropped, nothing was served, and no step
    // started after giving up.
    expect_at_least(
        "dropped steps of the late dish",
        count(&kitchen, "bread", What::Dropped),
        1,
    );
    expect_at_most(
        "servings of the late dish",
        count(&kitchen, "bread", What::Served),
        0,
    );
    let started_late = kitchen
        .events()
        .iter()
        .filter(|e| e.what == What::Started && e.at >= LIMIT)
        .count();
    expect_at_most("steps started after giving up", started_late, 0);
}

#[tokio::test(start_paused = true)]
async fn an_early_dish_does_not_wait_for_the_limit() {
    let start = tokio::time::Instant::now();
    let served = serve_within(salad(), LIMIT, Kitchen::new()).await;
    let took = start.elapsed();
    let served = served.expect("salad takes 52 ms, well within a limit of 100 ms");
    assert_eq!(served.dish, "salad");
    assert_eq!(
        took.as_millis(),
        52,
        "a dish that is ready at 52 ms should be served at once, but `serve_within` returned \
         after {} virtual ms: do not sleep until the limit",
        took.as_millis()
    );
}

#[tokio::test(start_paused = true)]
async fn a_dish_ready_at_the_limit_is_in_time() {
    // 60 ms + 40 ms: ready at 100 ms, the very moment a limit of 100 ms runs out. Ready
    // within the limit means ready at it too, so this dish is served. (A race of its own
    // that looks at the timer before the dish gives it up.)
    let kitchen = Kitchen::new();
    let soup = Dish::new("soup", &[("heat", 60), ("stir", 40)]);
    let result = serve_within(soup, LIMIT, kitchen.clone()).await;
    match result {
        Ok(served) => assert_eq!(
            (served.dish, served.at.as_millis()),
            ("soup", 100),
            "the soup is ready at 100 ms and should be served then"
        ),
        Err(late) => panic!(
            "the soup is ready at 100 ms, exactly at the limit of 100 ms, so it is in time, \
             but `serve_within` gave it up (`{late}`): when the dish and the limit finish at \
             the same moment, the dish wins. `tokio::time::timeout` looks at the dish first; \
             a race of your own must too"
        ),
    }
    expect_at_most(
        "dropped steps of a dish ready at the limit",
        count(&kitchen, "soup", What::Dropped),
        0,
    );
}

#[test]
fn the_late_message_names_the_dish_and_the_limit() {
    let late = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime")
        .block_on(serve_within(
            Dish::new("soufflé", &[("rise", 40)]),
            Duration::from_millis(25),
            Kitchen::new(),
        ))
        .expect_err("a 40 ms soufflé cannot be ready within 25 ms");
    insta::assert_snapshot!(late.to_string());
}

#[tokio::test(start_paused = true)]
async fn first_ready_serves_the_faster_dish() {
    let kitchen = Kitchen::new();
    let served = first_ready(pasta(), sauce(), kitchen.clone()).await;
    draw(&kitchen);
    assert_eq!(
        (served.dish, served.at.as_millis()),
        ("sauce", 140),
        "sauce (140 ms) is ready before pasta (160 ms), so it should be served at 140 ms"
    );
    expect_at_most(
        "servings of the slower dish",
        count(&kitchen, "pasta", What::Served),
        0,
    );
    expect_at_least(
        "dropped steps of the slower dish",
        count(&kitchen, "pasta", What::Dropped),
        1,
    );
    insta::assert_snapshot!(kitchen.timeline());
}

#[tokio::test(start_paused = true)]
async fn first_ready_does_not_depend_on_the_order_of_the_arguments() {
    let served = first_ready(sauce(), pasta(), Kitchen::new()).await;
    assert_eq!(
        (served.dish, served.at.as_millis()),
        ("sauce", 140),
        "sauce is ready first whichever argument it is"
    );
    let served = first_ready(bread(), salad(), Kitchen::new()).await;
    assert_eq!((served.dish, served.at.as_millis()), ("salad", 52));
}

#[test]
fn the_late_error_holds_the_limit_not_the_time_waited() {
    // On a real clock, giving up at a limit of 20 ms returns a little after 20 ms: the
    // error must say the limit the dish was given, not a time measured on the way.
    let late = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
        .block_on(serve_within(
            bread(),
            Duration::from_millis(20),
            Kitchen::new(),
        ))
        .expect_err("bread takes 170 ms: it cannot be ready within 20 ms");
    assert_eq!(
        late,
        Late {
            dish: "bread",
            limit: Duration::from_millis(20)
        },
        "`Late` must hold the dish's name and the limit it was given (20 ms), not a \
         measured time: `Late {{ dish: name, limit }}`"
    );
}

#[test]
fn on_a_real_clock_giving_up_saves_the_wait() {
    // Bread takes 170 ms on a real clock; given up after 20 ms, `serve_within` should
    // return after about 20 ms (about 8x sooner). Waiting needs no free core, so 3x is
    // required even on a busy machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    RatioCheck::new("a late dish given up after 20 ms", 3.0).run(
        || {
            runtime.block_on(cook_dish(bread(), Kitchen::new()));
        },
        || {
            let result = runtime.block_on(serve_within(
                bread(),
                Duration::from_millis(20),
                Kitchen::new(),
            ));
            assert!(result.is_err(), "bread cannot be ready within 20 ms");
        },
    );
}
