//! Tests for 03/03: how many threads `fetch_with_pool` starts. Run them with
//! `cargo xtask check 03/03`.
//!
//! A test binary of its own, with a single test: it counts every thread the process
//! starts while `fetch_with_pool` runs, so no other test may start threads then.

use ex03_03_bounded_pool::fetch_with_pool;
use test_support::expect_at_most;
use test_support::net::refused_addr;
use test_support::report::{self, Outcome};

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

/// How many threads `fetch_with_pool(addr, names, workers)` started. Nobody listens
/// at the address, so every fetch fails at once and the server starts no threads.
fn threads_started(names: &[&str], workers: usize) -> Option<usize> {
    let before = next_thread_number()?;
    let results = fetch_with_pool(refused_addr(), names, workers).expect("a valid pool");
    let after = next_thread_number()?;
    assert_eq!(results.len(), names.len(), "one result per name");
    assert!(
        results.iter().all(Result::is_err),
        "nobody listens at that address, so every fetch fails: {results:?}"
    );
    Some((after - before - 1) as usize)
}

#[test]
fn a_pool_starts_at_most_its_workers_and_no_more_than_the_names() {
    let names: Vec<String> = (0..12).map(|i| format!("dish-{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (Some(for_twelve), Some(for_two)) =
        (threads_started(&names, 3), threads_started(&names[..2], 50))
    else {
        report::record(
            "threads started by a pool",
            Outcome::NotChecked,
            "this toolchain does not number its threads as `ThreadId(n)`",
        );
        return;
    };
    // A pool of 3 is 3 threads, however many names; a thread per name that waits
    // for a turn bounds the requests but not the threads.
    expect_at_most("threads started by a pool of 3 for 12 names", for_twelve, 3);
    // 50 workers for 2 names: the other 48 would have nothing to do.
    expect_at_most("threads started by a pool of 50 for 2 names", for_two, 2);
}
