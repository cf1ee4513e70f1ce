//! Tests for 03/02. Run them with `cargo xtask check 03/02`.

use ex03_02_thread_per_request::{fetch_all_threads, fetch_one_by_one};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
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

/// A server that answers `order` backwards: the answer for `order[i]` goes out only
/// once every name after it has been answered (and 10 ms later still, so that the
/// previous answer has surely reached its thread). A client that asks one name at a
/// time would wait for ever, so each request waits at most `patience`.
fn backwards_server(order: &[&str], patience: Duration) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let order: Vec<String> = order.iter().map(|n| n.to_string()).collect();
    let answered = Arc::new((Mutex::new(vec![false; order.len()]), Condvar::new()));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (order, answered) = (order.clone(), Arc::clone(&answered));
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                let name = line.trim_end().trim_start_matches("GET ").to_string();
                let index = order.iter().position(|n| *n == name);
                let (done, bell) = &*answered;
                if let Some(i) = index {
                    let deadline = Instant::now() + patience;
                    let mut done = done.lock().unwrap();
                    while !done[i + 1..].iter().all(|&d| d) {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        done = bell.wait_timeout(done, left).unwrap().0;
                    }
                    drop(done);
                    std::thread::sleep(Duration::from_millis(10));
                }
                let _ = (&stream).write_all(format!("OK contents of {name}\n").as_bytes());
                let _ = stream.shutdown(Shutdown::Both);
                if let Some(i) = index {
                    done.lock().unwrap()[i] = true;
                    bell.notify_all();
                }
            });
        }
    });
    addr
}

#[test]
fn results_follow_the_names_not_the_answers() {
    // The server answers `dessert` first and `starter` last.
    let names = ["starter", "main", "cheese", "dessert"];
    let addr = backwards_server(&names, Duration::from_millis(500));
    let results = fetch_all_threads(addr, &names);
    let expected: Vec<_> = names
        .iter()
        .map(|n| Ok(format!("contents of {n}")))
        .collect();
    assert_eq!(
        results, expected,
        "the server answered the names backwards (`dessert` first, `starter` last), but \
         the results must be in the order of the names: join the handles in that order \
         instead of collecting the results as they arrive"
    );
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
