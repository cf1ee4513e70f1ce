//! Tests for 03/02. Run them with `cargo xtask check 03/02`.

use ex03_02_thread_per_request::{fetch_all_threads, fetch_one_by_one};
use std::time::Duration;
use test_support::net::SlowServer;
use test_support::{RatioCheck, expect_at_least};

const NAMES: [&str; 8] = [
    "bread", "soup", "salad", "pasta", "fish", "cheese", "cake", "coffee",
];

#[test]
fn results_and_errors_in_the_order_of_the_names() {
    // "fish" makes the server hang up: that request fails, the others do not.
    let server = SlowServer::builder()
        .delay(Duration::from_millis(20))
        .close_early_on("fish")
        .start();
    let mut names = NAMES.to_vec();
    names.push("two words");
    let results = fetch_all_threads(server.addr(), &names);
    assert_eq!(results.len(), names.len(), "one result per name");
    let table: String = names
        .iter()
        .zip(&results)
        .map(|(name, result)| match result {
            Ok(body) => format!("{name:<10} Ok({body:?})\n"),
            Err(e) => format!("{name:<10} Err: {e}\n"),
        })
        .collect();
    insta::assert_snapshot!(table);
}

#[test]
fn no_names_no_requests() {
    let server = SlowServer::start(Duration::from_millis(20));
    assert!(fetch_all_threads(server.addr(), &[]).is_empty());
    assert_eq!(server.gauge().total(), 0, "no names, so no request");
}

#[test]
fn the_waits_overlap() {
    // 8 requests of 50 ms: one by one about 400 ms, one thread each about 50 ms,
    // even on one core (a blocked thread needs no core). Half of that 8x is required.
    let server = SlowServer::start(Duration::from_millis(50));
    let addr = server.addr();
    RatioCheck::new("8 requests, one thread each, vs one by one", 4.0).run(
        || {
            fetch_one_by_one(addr, &NAMES);
        },
        || {
            let results = fetch_all_threads(addr, &NAMES);
            assert!(
                results.iter().all(Result::is_ok),
                "every fetch should succeed"
            );
        },
    );
    // Whatever the clock says: the server must have seen all 8 requests at once.
    let overlapping = SlowServer::start(Duration::from_millis(50));
    fetch_all_threads(overlapping.addr(), &NAMES);
    expect_at_least(
        "requests in progress at the server at once",
        overlapping.gauge().most_at_once(),
        NAMES.len(),
    );
}
