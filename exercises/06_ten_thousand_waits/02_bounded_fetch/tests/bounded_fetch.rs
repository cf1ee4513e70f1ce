//! Tests for 06/02. Run them with `cargo xtask check 06/02`.
//!
//! These tests use real sockets on 127.0.0.1, so they run on the real clock (a paused
//! clock could jump ahead while a packet is on its way). The server is the given one
//! in `src/server.rs`; it counts how many requests it is handling at once.

use ex06_02_bounded_fetch::{FetchError, Server, fetch, fetch_all};
use std::time::Duration;
use test_support::{RatioCheck, expect_at_least, expect_at_most};

const KEYS: [&str; 12] = [
    "pasta", "sauce", "bread", "salad", "soup", "rice", "beans", "fish", "tofu", "pie", "tea",
    "figs",
];

fn real_clock_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// A guard against a request that hangs: far longer than any right answer needs.
async fn guarded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(5), future).await {
        Ok(value) => value,
        Err(_) => panic!(
            "{what} had not returned after 5 s: a request is waiting for an answer that \
             never comes (wrap each request in `tokio::time::timeout`)"
        ),
    }
}

#[tokio::test]
async fn fetch_asks_for_one_key() {
    let server = Server::start(Duration::from_millis(5))
        .await
        .expect("a server");
    let mut text = String::new();
    for key in ["pasta", "bread", "crème brûlée"] {
        let answer = guarded("`fetch`", fetch(server.addr(), key)).await;
        text += &format!("{key:?} -> {answer:?}\n");
    }
    let refused = guarded("`fetch`", fetch(server.addr(), "")).await;
    text += &format!(
        "\"\" -> {}\n",
        match refused {
            Ok(answer) => format!("Ok({answer:?}): the server's ERR line must become an Err"),
            Err(e) => format!("Err({:?}: {e})", e.kind()),
        }
    );
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn never_more_than_the_limit() {
    let server = Server::start(Duration::from_millis(20))
        .await
        .expect("a server");
    let answers = guarded(
        "`fetch_all`",
        fetch_all(server.addr(), &KEYS, 3, Duration::from_secs(2)),
    )
    .await
    .expect("every key has an answer");
    let expected: Vec<String> = KEYS.iter().map(|k| k.to_uppercase()).collect();
    assert_eq!(
        answers, expected,
        "answers must come in the order of the keys"
    );
    // Clock-free: the server saw exactly 3 requests at once, never more.
    expect_at_most(
        "requests in progress at once, limit 3",
        server.most_at_once(),
        3,
    );
    expect_at_least(
        "requests in progress at once, limit 3",
        server.most_at_once(),
        3,
    );
    assert_eq!(server.served(), KEYS.len(), "one request per key");
}

#[test]
fn four_at_a_time_is_faster_than_one() {
    // Twelve requests of 50 ms: about 600 ms one at a time, about 150 ms four at a time
    // (4x). Waiting needs no free core, so 2x is required even on a busy machine.
    let runtime = real_clock_runtime();
    let server = runtime
        .block_on(Server::start(Duration::from_millis(50)))
        .expect("a server");
    let each = Duration::from_secs(2);
    let most = std::cell::Cell::new(0);
    RatioCheck::new("12 requests, 4 at a time vs 1 at a time", 2.0).run(
        || {
            runtime
                .block_on(fetch_all(server.addr(), &KEYS, 1, each))
                .expect("answers");
        },
        || {
            runtime
                .block_on(fetch_all(server.addr(), &KEYS, 4, each))
                .expect("answers");
            most.set(server.most_at_once());
        },
    );
    expect_at_most("requests in progress at once, limit 4", most.get(), 4);
    expect_at_least("requests in progress at once, limit 4", most.get(), 4);
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = Server::start(Duration::from_millis(10))
        .await
        .expect("a server");
    let keys = ["pasta", "silent", "bread"];
    let result = guarded(
        "`fetch_all`",
        fetch_all(server.addr(), &keys, 2, Duration::from_millis(100)),
    )
    .await;
    match &result {
        Err(FetchError::TimedOut { key, after }) => {
            assert_eq!(key, "silent", "the key that got no answer is `silent`");
            assert_eq!(*after, Duration::from_millis(100));
        }
        other => panic!(
            "the server never answers `silent`, so `fetch_all` should return \
             `Err(FetchError::TimedOut)` for it, but returned {other:?}"
        ),
    }
    // Giving up must close the connection: once the server notices, no request is
    // left open. (Polled for up to 2 s; it takes a few ms.)
    let start = std::time::Instant::now();
    while server.open_now() > 0 && start.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    expect_at_most(
        "connections left open after giving up",
        server.open_now(),
        0,
    );
}

#[tokio::test]
async fn error_messages() {
    let server = Server::start(Duration::from_millis(5))
        .await
        .expect("a server");
    let mut text = String::new();
    let zero = fetch_all(server.addr(), &KEYS, 0, Duration::from_secs(1)).await;
    text += &format!("limit 0: {}\n", describe(zero));
    let silent = guarded(
        "`fetch_all`",
        fetch_all(server.addr(), &["silent"], 1, Duration::from_millis(30)),
    )
    .await;
    text += &format!("silent: {}\n", describe(silent));
    let empty = guarded(
        "`fetch_all`",
        fetch_all(server.addr(), &["pasta", ""], 2, Duration::from_secs(1)),
    )
    .await;
    text += &format!("empty key: {}\n", describe(empty));
    insta::assert_snapshot!(text);
}

fn describe(result: Result<Vec<String>, FetchError>) -> String {
    match result {
        Ok(answers) => format!("Ok({answers:?})"),
        Err(e) => format!("Err: {e}"),
    }
}
