//! Tests for 06/02. Run them with `cargo xtask check 06/02`.
//!
//! These tests use real sockets on 127.0.0.1, so they run on the real clock (a paused
//! clock could jump ahead while a packet is on its way). The server is the given one
//! in `src/server.rs`, run on a thread and a runtime of its own, as a real server runs
//! in a process of its own; it counts how many requests it is handling at once. A few
//! tests use a small server of their own that holds some answers back.

use ex06_02_bounded_fetch::{FetchError, Server, fetch, fetch_all};
use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};
use test_support::{Gauge, RatioCheck, expect_at_least, expect_at_most, watchdog};

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

/// The given server, on a thread and a current-thread runtime of its own, so that a
/// client that blocks its own thread cannot stop the server too. Stopped when dropped.
struct Remote {
    server: Option<Arc<Server>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Remote {
    fn start(delay: Duration) -> Remote {
        let (started_tx, started_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            real_clock_runtime().block_on(async move {
                let server = Arc::new(Server::start(delay).await.expect("a server"));
                let _ = started_tx.send(Arc::clone(&server));
                let _ = stopped.await;
            });
        });
        let server = started_rx
            .recv()
            .expect("the server thread starts a server");
        Remote {
            server: Some(server),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Remote {
    /// The server itself, to look at its counts from another thread.
    fn shared(&self) -> Arc<Server> {
        Arc::clone(self.server.as_ref().expect("the server runs until dropped"))
    }
}

impl Deref for Remote {
    type Target = Server;

    fn deref(&self) -> &Server {
        self.server.as_ref().expect("the server runs until dropped")
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.server = None;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs an async test body on a current-thread runtime (as `#[tokio::test]` does), on
/// a thread of its own, and fails if it has not returned after `limit`. No tokio timer
/// can fire while something blocks the runtime's only thread, so without this a
/// blocking `fetch` would hang the tests for ever.
fn run<T, F>(limit: Duration, body: impl FnOnce() -> F + Send + 'static) -> T
where
    F: Future<Output = T> + 'static,
    T: Send + 'static,
{
    watchdog::within(
        limit,
        |limit| {
            format!(
                "the test had not returned after {limit:?}, and not even its own timeouts \
                 fired: something blocks the runtime's only thread. Is `fetch` using a \
                 blocking socket (`std::net::TcpStream`) instead of `tokio::net::TcpStream` \
                 with `.await`?"
            )
        },
        move || real_clock_runtime().block_on(body()),
    )
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

/// A small blocking server of the test's own, a thread per connection, speaking the
/// given server's protocol: `handle` gets each connection.
fn serve_each(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let handle = Arc::clone(&handle);
            std::thread::spawn(move || handle(stream));
        }
    });
    addr
}

/// The key a client sent: one line.
fn read_key(stream: &TcpStream) -> String {
    let mut line = String::new();
    let _ = BufReader::new(stream).read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_string()
}

/// Answers `key` as the given server does, and closes the connection.
fn answer(stream: &TcpStream, key: &str) {
    let _ = (&*stream).write_all(format!("{}\n", key.to_uppercase()).as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

#[test]
fn a_fetch_lets_other_tasks_run_while_it_waits() {
    // The server answers only once another task, on the client's own runtime, lets it.
    // That task can run only while `fetch` waits at an `.await`. A `fetch` that blocks
    // the thread (a `std::net` socket) stops that task too; after 2 s the server gives
    // up waiting and answers anyway, and says so.
    let arrived = Arc::new(tokio::sync::Notify::new());
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let gave_up = Arc::new(AtomicBool::new(false));
    let addr = serve_each({
        let (arrived, gave_up) = (Arc::clone(&arrived), Arc::clone(&gave_up));
        move |stream| {
            let key = read_key(&stream);
            arrived.notify_one();
            let released = release_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(2));
            if released.is_err() {
                gave_up.store(true, Ordering::SeqCst);
            }
            answer(&stream, &key);
        }
    });
    let answer = run(Duration::from_secs(10), move || async move {
        let releaser = tokio::spawn(async move {
            arrived.notified().await;
            let _ = release_tx.send(());
        });
        let answer = guarded("`fetch`", fetch(addr, "pasta")).await;
        releaser.abort();
        answer.map_err(|e| e.to_string())
    });
    assert_eq!(answer, Ok("PASTA".to_string()), "the answer to `pasta`");
    assert!(
        !gave_up.load(Ordering::SeqCst),
        "while `fetch` waited for its answer, another task on the same runtime could not \
         run for 2 s: `fetch` blocked the runtime's thread. Inside async code use \
         `tokio::net::TcpStream` and `.await` every call that waits (`connect`, \
         `write_all`, `read_line`), never `std::net`"
    );
}

#[test]
fn fetch_asks_for_one_key() {
    let server = Remote::start(Duration::from_millis(5));
    let addr = server.addr();
    let text = run(Duration::from_secs(10), move || async move {
        let mut text = String::new();
        for key in ["pasta", "bread", "crème brûlée"] {
            let answer = guarded("`fetch`", fetch(addr, key)).await;
            text += &format!("{key:?} -> {answer:?}\n");
        }
        let refused = guarded("`fetch`", fetch(addr, "")).await;
        text += &format!(
            "\"\" -> {}\n",
            match refused {
                Ok(answer) => format!("Ok({answer:?}): the server's ERR line must become an Err"),
                Err(e) => format!("Err({:?}: {e})", e.kind()),
            }
        );
        text
    });
    insta::assert_snapshot!(text);
}

#[test]
fn never_more_than_the_limit() {
    let server = Remote::start(Duration::from_millis(20));
    let addr = server.addr();
    let answers = run(Duration::from_secs(10), move || async move {
        guarded(
            "`fetch_all`",
            fetch_all(addr, &KEYS, 3, Duration::from_secs(2)),
        )
        .await
    })
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
    let server = Remote::start(Duration::from_millis(50));
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

#[test]
fn a_silent_server_times_out() {
    let server = Remote::start(Duration::from_millis(10));
    let (addr, counts) = (server.addr(), server.shared());
    let keys = ["pasta", "silent", "bread"];
    let (result, left_open) = run(Duration::from_secs(8), move || async move {
        let result = guarded(
            "`fetch_all`",
            fetch_all(addr, &keys, 2, Duration::from_millis(100)),
        )
        .await;
        // Giving up must close the connection, while the client's runtime still runs
        // (a task left behind would close it only when the runtime is dropped): once
        // the server notices, no request is left open. (Polled for up to 2 s; it takes
        // a few ms.)
        let start = Instant::now();
        while counts.open_now() > 0 && start.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (result, counts.open_now())
    });
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
    expect_at_most("connections left open after giving up", left_open, 0);
}

#[test]
fn error_messages() {
    let server = Remote::start(Duration::from_millis(5));
    let addr = server.addr();
    let text = run(Duration::from_secs(8), move || async move {
        let mut text = String::new();
        let zero = fetch_all(addr, &KEYS, 0, Duration::from_secs(1)).await;
        text += &format!("limit 0: {}\n", describe(zero));
        let silent = guarded(
            "`fetch_all`",
            fetch_all(addr, &["silent"], 1, Duration::from_millis(30)),
        )
        .await;
        text += &format!("silent: {}\n", describe(silent));
        let empty = guarded(
            "`fetch_all`",
            fetch_all(addr, &["pasta", ""], 2, Duration::from_secs(1)),
        )
        .await;
        text += &format!("empty key: {}\n", describe(empty));
        text
    });
    insta::assert_snapshot!(text);
}

#[test]
fn the_first_failing_key_is_reported() {
    // Two keys fail: `""` at once (the server refuses it after 5 ms), `silent` only
    // when its 300 ms run out. `silent` comes first in the keys, so its error is the
    // one to report, though it comes last.
    let server = Remote::start(Duration::from_millis(5));
    let addr = server.addr();
    let result = run(Duration::from_secs(8), move || async move {
        guarded(
            "`fetch_all`",
            fetch_all(
                addr,
                &["pasta", "silent", "", "bread"],
                4,
                Duration::from_millis(300),
            ),
        )
        .await
    });
    let reported = describe(result);
    assert!(
        reported == "Err: no answer for `silent` within 300 ms",
        "keys `pasta`, `silent`, `\"\"`, `bread`: `\"\"` is refused at once and `silent` \
         times out after 300 ms. The error to return is that of the first failing key in \
         the order of the keys (`silent`), not the first to arrive, but `fetch_all` \
         returned {reported}"
    );
}

#[test]
fn the_deadline_starts_with_the_slot() {
    // 12 requests of 100 ms, one slot: the last one waits about 1.1 s for its slot.
    // Each gets 1 s from the moment it has its slot, so none times out. A deadline
    // that also counts the wait for a slot runs out for the last ones.
    let server = Remote::start(Duration::from_millis(100));
    let addr = server.addr();
    let result = run(Duration::from_secs(20), move || async move {
        fetch_all(addr, &KEYS, 1, Duration::from_secs(1)).await
    });
    match result {
        Ok(answers) => assert_eq!(
            answers,
            KEYS.iter().map(|k| k.to_uppercase()).collect::<Vec<_>>(),
            "answers must come in the order of the keys"
        ),
        Err(e) => panic!(
            "12 requests of 100 ms, one at a time, each with 1 s from the moment it had its \
             slot: none should time out, but `fetch_all` returned `{e}`. Take the permit \
             first, then start the request's timeout (a timeout belongs inside the permit)"
        ),
    }
}

#[test]
fn a_slow_request_does_not_hold_up_the_others() {
    // The server answers `slow` only once the 7 other keys are answered, and those
    // after 5 ms each. With 2 slots, one waits for `slow` while the other serves the
    // 7 others, one after the other. Requests in rounds of 2 (the next round when the
    // whole round is done) would make the others wait behind `slow`, and `slow` wait
    // for them: after 2 s the server gives up waiting, answers, and says so.
    let keys = [
        "slow", "pasta", "sauce", "bread", "salad", "soup", "rice", "tea",
    ];
    let answered = Arc::new((Mutex::new(0usize), Condvar::new()));
    let gave_up = Arc::new(AtomicBool::new(false));
    // Each request the server handles is one span of the grader's timeline picture
    // (`cargo xtask check 06/02 --timeline`; nothing is recorded otherwise).
    let requests = Gauge::new();
    let addr = serve_each({
        let (answered, gave_up) = (Arc::clone(&answered), Arc::clone(&gave_up));
        let requests = requests.clone();
        move |stream| {
            // The span ends before the answer goes out, as in 03/03's server: a client
            // that asks again only once answered never sees two of its requests
            // overlap, however late this thread gets the core back.
            let request = requests.enter();
            let key = read_key(&stream);
            let (count, bell) = &*answered;
            if key == "slow" {
                let deadline = Instant::now() + Duration::from_secs(2);
                let mut count = count.lock().unwrap();
                while *count < 7 {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        gave_up.store(true, Ordering::SeqCst);
                        break;
                    }
                    count = bell.wait_timeout(count, left).unwrap().0;
                }
                drop(count);
                drop(request);
                answer(&stream, &key);
            } else {
                std::thread::sleep(Duration::from_millis(5));
                drop(request);
                answer(&stream, &key);
                *count.lock().unwrap() += 1;
                bell.notify_all();
            }
        }
    });
    let result = run(Duration::from_secs(10), move || async move {
        guarded(
            "`fetch_all`",
            fetch_all(addr, &keys, 2, Duration::from_secs(5)),
        )
        .await
    });
    // The server's threads live on: write the spans of the requests that are done.
    test_support::timeline::flush();
    let expected: Vec<String> = keys.iter().map(|k| k.to_uppercase()).collect();
    assert_eq!(
        describe(result),
        describe(Ok(expected)),
        "every key has an answer, in the order of the keys"
    );
    assert!(
        !gave_up.load(Ordering::SeqCst),
        "with a limit of 2, keys waited behind the slow request while a slot was free: \
         each request must start as soon as a slot is free (spawn them all, each taking \
         a permit of the `Semaphore`), not in rounds of `limit`"
    );
}

fn describe(result: Result<Vec<String>, FetchError>) -> String {
    match result {
        Ok(answers) => format!("Ok({answers:?})"),
        Err(e) => format!("Err: {e}"),
    }
}
