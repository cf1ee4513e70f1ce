//! Tests for 03/02: how many threads `fetch_all_threads` starts. Run them with
//! `cargo xtask check 03/02`.
//!
//! A test binary of its own, with a single test: it counts every thread the process
//! starts while `fetch_all_threads` runs, so no other test may start threads then.

use ex03_02_thread_per_request::fetch_all_threads;
use test_support::net::refused_addr;
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

#[test]
fn one_thread_for_each_request() {
    // Nobody listens at this address, so every fetch fails at once with `Connect`:
    // the server starts no threads of its own, and the count is the client's.
    let names = ["bread", "soup", "salad", "pasta", "fish"];
    let (Some(before), results, Some(after)) = (
        next_thread_number(),
        fetch_all_threads(refused_addr(), &names),
        next_thread_number(),
    ) else {
        report::record(
            "threads started for 5 requests",
            Outcome::NotChecked,
            "this toolchain does not number its threads as `ThreadId(n)`",
        );
        return;
    };
    assert_eq!(results.len(), names.len(), "one result per name");
    assert!(
        results.iter().all(Result::is_err),
        "nobody listens at that address, so every fetch fails: {results:?}"
    );
    let started = (after - before - 1) as usize;
    // Each request on a thread of its own: the calling thread only starts and joins.
    expect_at_least("threads started for 5 requests", started, names.len());
    expect_at_most("threads started for 5 requests", started, names.len());
}
