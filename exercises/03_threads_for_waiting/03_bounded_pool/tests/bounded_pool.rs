//! Tests for 03/03. Run them with `cargo xtask check 03/03`.

use ex03_03_bounded_pool::{PoolError, fetch_one_by_one, fetch_with_pool};
use std::time::Duration;
use test_support::net::SlowServer;
use test_support::{RatioCheck, expect_at_least, expect_at_most};

const NAMES: [&str; 8] = [
    "bread", "soup", "salad", "pasta", "fish", "cheese", "cake", "coffee",
];

#[test]
fn results_and_errors_in_the_order_of_the_names() {
    let server = SlowServer::builder()
        .delay(Duration::from_millis(20))
        .close_early_on("fish")
        .start();
    let mut names = NAMES.to_vec();
    names.push("");
    let results = fetch_with_pool(server.addr(), &names, 3).expect("3 workers is a valid pool");
    assert_eq!(results.len(), names.len(), "one result per name");
    let mut table: String = names
        .iter()
        .zip(&results)
        .map(|(name, result)| match result {
            Ok(body) => format!("{name:<10} Ok({body:?})\n"),
            Err(e) => format!("{name:<10} Err: {e}\n"),
        })
        .collect();
    match fetch_with_pool(server.addr(), &names, 0) {
        Err(e) => table += &format!("0 workers: Err: {e}\n"),
        Ok(_) => panic!("a pool of 0 workers must be an error"),
    }
    insta::assert_snapshot!(table);
}

#[test]
fn zero_workers_is_an_error_and_no_names_is_no_work() {
    let server = SlowServer::start(Duration::from_millis(20));
    assert_eq!(
        fetch_with_pool(server.addr(), &NAMES, 0),
        Err(PoolError::NoWorkers),
        "0 workers can never fetch anything: that is an error, not a hang or a panic"
    );
    assert_eq!(fetch_with_pool(server.addr(), &[], 4), Ok(vec![]));
    assert_eq!(server.gauge().total(), 0, "nothing to fetch, so no request");
}

#[test]
fn the_pool_is_bounded_and_full() {
    // 12 requests, 3 workers: never more than 3 at once, and all 3 busy together.
    let server = SlowServer::start(Duration::from_millis(40));
    let names: Vec<String> = (0..12).map(|i| format!("dish-{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let results = fetch_with_pool(server.addr(), &names, 3).expect("3 workers");
    assert!(
        results.iter().all(Result::is_ok),
        "every fetch should succeed"
    );
    let gauge = server.gauge();
    expect_at_least("requests the server saw", gauge.total(), 12);
    expect_at_most(
        "requests in progress at once with 3 workers",
        gauge.most_at_once(),
        3,
    );
    expect_at_least(
        "requests in progress at once with 3 workers",
        gauge.most_at_once(),
        3,
    );
}

#[test]
fn one_by_one_vs_pool_vs_thread_per_request() {
    // 8 requests of 50 ms, timed in the same run:
    //   one by one                      8 rounds, about 400 ms
    //   a pool of 2 workers             4 rounds, about 200 ms
    //   8 workers (a thread each)       1 round,  about  50 ms
    // The pool of 2 must be at least 1.5x faster than one by one (ideal 2x), and
    // 8 workers at least 2x faster than 2 (ideal 4x): waits overlap on any machine.
    let server = SlowServer::start(Duration::from_millis(50));
    let addr = server.addr();
    let pool = |workers| {
        move || {
            let results = fetch_with_pool(addr, &NAMES, workers).expect("a valid pool");
            assert!(
                results.iter().all(Result::is_ok),
                "every fetch should succeed"
            );
        }
    };
    RatioCheck::new("a pool of 2 workers vs one by one", 1.5).run(
        || {
            fetch_one_by_one(addr, &NAMES);
        },
        pool(2),
    );
    RatioCheck::new("8 workers vs a pool of 2", 2.0).run(pool(2), pool(8));

    // The bound, without the clock: 2 workers, 2 at once; 8 workers, 8 at once.
    for workers in [2, 8] {
        let fresh = SlowServer::start(Duration::from_millis(50));
        fetch_with_pool(fresh.addr(), &NAMES, workers).expect("a valid pool");
        let most = fresh.gauge().most_at_once();
        expect_at_most(
            &format!("requests at once with {workers} workers"),
            most,
            workers,
        );
        expect_at_least(
            &format!("requests at once with {workers} workers"),
            most,
            workers,
        );
    }
}
