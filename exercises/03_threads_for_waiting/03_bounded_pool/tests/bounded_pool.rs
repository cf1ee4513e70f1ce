//! Tests for 03/03. Run them with `cargo xtask check 03/03`.

use ex03_03_bounded_pool::{PoolError, fetch_one_by_one, fetch_with_pool};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use test_support::net::SlowServer;
use test_support::{Gauge, RatioCheck, expect_at_least, expect_at_most};

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

/// A server on which one request costs far more than the others: it answers `slow`
/// only once every other name has been answered, and every other name after 5 ms.
/// If that does not happen within `patience`, it answers `slow` anyway and says so
/// with the flag it returns. The gauge counts the requests in progress at once.
fn slow_one_server(others: usize, patience: Duration) -> (SocketAddr, Arc<AtomicBool>, Gauge) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let gave_up = Arc::new(AtomicBool::new(false));
    let answered = Arc::new((Mutex::new(0usize), Condvar::new()));
    let gauge = Gauge::new();
    let (flag, in_progress) = (Arc::clone(&gave_up), gauge.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (answered, gave_up) = (Arc::clone(&answered), Arc::clone(&flag));
            let request = in_progress.enter();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                let name = line.trim_end().trim_start_matches("GET ").to_string();
                let (count, bell) = &*answered;
                if name == "slow" {
                    let deadline = Instant::now() + patience;
                    let mut count = count.lock().unwrap();
                    while *count < others {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            gave_up.store(true, Ordering::SeqCst);
                            break;
                        }
                        count = bell.wait_timeout(count, left).unwrap().0;
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(5));
                }
                drop(request);
                let _ = (&stream).write_all(format!("OK contents of {name}\n").as_bytes());
                let _ = stream.shutdown(Shutdown::Both);
                if name != "slow" {
                    *count.lock().unwrap() += 1;
                    bell.notify_all();
                }
            });
        }
    });
    (addr, gave_up, gauge)
}

#[test]
fn a_slow_request_does_not_hold_up_the_others() {
    // The first name is slow: it is answered only after all 7 others. In a pool, one
    // worker waits for it while the others take every other name from the queue. If
    // the names were dealt out in advance (worker 0 takes names 0-3, or 0, 2, 4, 6),
    // some names would wait behind the slow one and the slow one would wait for them.
    let names = [
        "slow", "soup", "salad", "pasta", "fish", "cheese", "cake", "coffee",
    ];
    for workers in [2, 3] {
        let (addr, gave_up, gauge) = slow_one_server(names.len() - 1, Duration::from_secs(2));
        let results = fetch_with_pool(addr, &names, workers).expect("a valid pool");
        let expected: Vec<_> = names
            .iter()
            .map(|n| Ok(format!("contents of {n}")))
            .collect();
        assert_eq!(
            results, expected,
            "one result per name, in the order of the names (the answer for `slow` came \
             last)"
        );
        assert!(
            !gave_up.load(Ordering::SeqCst) || gauge.most_at_once() > 1,
            "with {workers} workers, only one request was ever in progress at once: the \
             slow request held up every other one. Start `min(workers, names.len())` \
             workers that fetch at the same time"
        );
        assert!(
            !gave_up.load(Ordering::SeqCst),
            "with {workers} workers, names that nobody had taken yet waited behind the slow \
             request while other workers had nothing to do: the names were split among \
             the workers in advance. Each worker must take the next name nobody has taken \
             yet (a shared `AtomicUsize` index), whenever it is free"
        );
    }
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
