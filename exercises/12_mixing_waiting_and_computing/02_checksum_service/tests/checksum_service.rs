//! Tests for 12/02. Run them with `cargo xtask check 12/02`.
//!
//! Every test builds its own blob store (`store.rs`). The runtime is tokio's
//! current-thread one: the test's own thread is the runtime's only thread, so "it ran
//! on the runtime's thread" means "nothing else could run meanwhile".
//!
//! No test uses tokio's paused clock: the waits here are blocking calls on real
//! threads (`std::thread::sleep` inside `Store::read`), which the paused clock does
//! not drive (it does not even advance while a `spawn_blocking` task runs). The
//! order and the errors are checked without a clock, the overlap by ratios measured
//! in the same run, each with a structural twin.

use ex12_02_checksum_service::checksum::{checksum, probe};
use ex12_02_checksum_service::store::{ReadError, Store};
use ex12_02_checksum_service::{
    Request, RequestError, Response, checksum_on_rayon, read_on_blocking_pool, serve,
};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use test_support::{Outcome, RatioCheck, SpeedupCheck, expect_at_least, expect_at_most, report};

/// The checksum probe counts for the whole process: tests that compute take turns.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    let guard = TURN.lock().unwrap_or_else(|p| p.into_inner());
    probe::reset();
    guard
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// `len` deterministic bytes; the same `seed` always gives the same bytes.
fn blob(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn request(name: &str, rounds: u32) -> Request {
    Request {
        name: name.to_string(),
        rounds,
    }
}

/// How many rounds make one `checksum` of `data` take about `target` here.
fn rounds_for(data: &[u8], target: Duration) -> u32 {
    let probe_rounds = 20;
    let took = test_support::best_of(3, || {
        black_box(checksum(data, probe_rounds));
    });
    let per_round = took.as_secs_f64() / f64::from(probe_rounds);
    ((target.as_secs_f64() / per_round.max(1e-9)) as u32).max(1)
}

/// One line per response: the checksum, or the error.
fn describe(responses: &[Response]) -> String {
    let mut text = String::new();
    for r in responses {
        match &r.result {
            Ok(sum) => text += &format!("{:<10} ok   {sum:016x}\n", r.name),
            Err(e) => text += &format!("{:<10} err  {e}\n", r.name),
        }
    }
    text
}

/// Fails, and says so in plain words, if `threads` holds the runtime's own thread
/// (the test's, on a current-thread runtime).
fn never_on_the_runtime(check: &str, threads: &[std::thread::ThreadId], why: &str) {
    if threads.contains(&std::thread::current().id()) {
        report::record(check, Outcome::Failed, "one ran on it");
        panic!("{why}");
    }
    report::record(check, Outcome::Passed, "none ran on it");
}

/// Draws each read and each checksum since `origin` as a span of the grader's
/// timeline picture (`cargo xtask check --timeline`); does nothing otherwise.
fn draw_timeline(origin: Instant, store: &Store) {
    use test_support::timeline::replay;
    let since = |t: Instant| t.saturating_duration_since(origin);
    for (name, began, ended) in store.read_spans() {
        replay("reads", &format!("read {name}"), since(began), since(ended));
    }
    let mut sums = probe::spans();
    sums.sort();
    for (i, (began, ended)) in sums.into_iter().enumerate() {
        replay(
            "checksums",
            &format!("checksum {}", i + 1),
            since(began),
            since(ended),
        );
    }
}

#[test]
fn responses_come_back_in_request_order() {
    let _turn = one_at_a_time();
    // The first requests are the slowest to read: they finish last.
    let blobs: Vec<(&str, Vec<u8>)> = vec![
        ("a.bin", blob(1, 4096)),
        ("b.bin", blob(2, 1000)),
        ("c.bin", blob(3, 1)),
        ("d.bin", blob(4, 777)),
        ("e.bin", blob(5, 20_000)),
    ];
    let store = Store::builder()
        .delay(Duration::from_millis(5))
        .slow_blob("a.bin", blobs[0].1.clone(), Duration::from_millis(80))
        .slow_blob("b.bin", blobs[1].1.clone(), Duration::from_millis(40))
        .blob("c.bin", blobs[2].1.clone())
        .blob("d.bin", blobs[3].1.clone())
        .blob("e.bin", blobs[4].1.clone())
        .build();
    let requests = vec![
        request("a.bin", 3),
        request("b.bin", 2),
        request("nope.bin", 1),
        request("c.bin", 5),
        request("d.bin", 1),
        request("e.bin", 4),
    ];
    probe::reset();
    let origin = Instant::now();
    let responses = runtime().block_on(serve(&store, &requests));
    draw_timeline(origin, &store);
    let names: Vec<&str> = responses.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["a.bin", "b.bin", "nope.bin", "c.bin", "d.bin", "e.bin"],
        "`serve` must answer in the order of `requests`, whatever order they finished in \
         (here the first two finish last)"
    );
    for r in &requests {
        let got = &responses
            .iter()
            .find(|x| x.name == r.name)
            .expect("a response")
            .result;
        let expected = match blobs.iter().find(|(n, _)| *n == r.name) {
            Some((_, data)) => Ok(checksum(data, r.rounds)),
            None => Err(RequestError::Read(ReadError::NotFound(r.name.clone()))),
        };
        assert_eq!(
            got, &expected,
            "request {:?} ({} rounds): expected {expected:?}",
            r.name, r.rounds
        );
    }
    assert_eq!(
        store.reads(),
        requests.len(),
        "each blob must be read exactly once per request"
    );
    let none = runtime().block_on(serve(&store, &[]));
    assert!(none.is_empty(), "no requests, no responses");
    insta::assert_snapshot!(describe(&responses));
}

#[test]
fn a_read_and_a_checksum_leave_the_runtime_free() {
    let _turn = one_at_a_time();
    let data = blob(7, 64 * 1024);
    let rounds = rounds_for(&data, Duration::from_millis(100));
    let expected = checksum(&data, rounds);
    let store = Store::builder()
        .delay(Duration::from_millis(100))
        .blob("big.bin", data.clone())
        .build();
    probe::reset();
    let rt = runtime();
    // A task that ticks every 5 ms on the same (one-thread) runtime: it can only
    // tick while the runtime's thread is free. About 20 ticks in 100 ms; 0 when the
    // thread is blocked.
    let ticks = Arc::new(AtomicUsize::new(0));
    let (read, read_ticks, sum, sum_ticks, missing) = rt.block_on(async {
        let ticker = tokio::spawn({
            let ticks = Arc::clone(&ticks);
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        tokio::task::yield_now().await;
        let read = read_on_blocking_pool(&store, "big.bin").await;
        let read_ticks = ticks.swap(0, Ordering::SeqCst);
        let sum = checksum_on_rayon(data.clone(), rounds).await;
        let sum_ticks = ticks.swap(0, Ordering::SeqCst);
        let missing = read_on_blocking_pool(&store, "nope.bin").await;
        ticker.abort();
        (read, read_ticks, sum, sum_ticks, missing)
    });
    assert!(
        read.as_ref() == Ok(&data),
        "`read_on_blocking_pool` must return the blob `Store::read` gives"
    );
    assert_eq!(
        missing,
        Err(ReadError::NotFound("nope.bin".to_string())),
        "a blob that is not in the store is the read's `Err`"
    );
    assert_eq!(
        sum,
        Ok(expected),
        "`checksum_on_rayon` must return `checksum(&data, rounds)`"
    );
    never_on_the_runtime(
        "blocking reads off the runtime's thread",
        &store.read_threads(),
        "the blocking read ran on the runtime's own thread, so no other task could run \
         meanwhile: hand `Store::read` to `tokio::task::spawn_blocking`",
    );
    never_on_the_runtime(
        "checksums off the runtime's thread",
        &probe::threads(),
        "the checksum was computed on the runtime's own thread, so no other task could \
         run meanwhile: hand it to `rayon::spawn` and await a oneshot channel",
    );
    expect_at_least(
        "heartbeat ticks during a 100 ms blocking read",
        read_ticks,
        3,
    );
    expect_at_least("heartbeat ticks during a 100 ms checksum", sum_ticks, 3);
}

#[test]
fn a_burst_of_reads_waits_at_once_on_the_blocking_pool() {
    let _turn = one_at_a_time();
    // More reads than rayon has threads, with tiny checksums: the reads dominate.
    let rayon_threads = rayon::current_num_threads();
    let n = 16.max(2 * rayon_threads + 2);
    let names: Vec<String> = (0..n).map(|i| format!("r{i}.bin")).collect();
    let start = || {
        let mut builder = Store::builder().delay(Duration::from_millis(20));
        for (i, name) in names.iter().enumerate() {
            builder = builder.blob(name, blob(i as u64, 64));
        }
        builder.build()
    };
    let requests: Vec<Request> = names.iter().map(|n| request(n, 1)).collect();
    let store = start();
    let rt = runtime();

    // n reads of 20 ms: one after the other n x 20 ms, all at once about 20 ms. Reads
    // queued behind rayon's threads (one per core) measure about cores x; 4x needed.
    RatioCheck::new(
        format!("{n} blocking reads at once, against one after the other"),
        4.0,
    )
    .run(
        || {
            for r in &requests {
                let data = store.read(&r.name).expect("a blob of the store");
                black_box(checksum(&data, r.rounds));
            }
        },
        || {
            let responses = rt.block_on(serve(&store, &requests));
            assert!(responses.iter().all(|r| r.result.is_ok()));
        },
    );

    // Structural twins, without the clock: a fresh store, one burst.
    let store = start();
    let responses = rt.block_on(serve(&store, &requests));
    assert!(
        responses.iter().all(|r| r.result.is_ok()),
        "every blob of this burst is in the store:\n{}",
        describe(&responses)
    );
    assert_eq!(store.reads(), n, "each request reads its blob exactly once");
    never_on_the_runtime(
        "blocking reads off the runtime's thread",
        &store.read_threads(),
        "a blocking read ran on the runtime's own thread: while it waits, no other \
         request makes progress. Hand `Store::read` to `tokio::task::spawn_blocking`",
    );
    expect_at_most(
        "threads of rayon's pool that did a blocking read (rayon's threads are for \
         computing: a read there keeps a core's worth of the pool waiting)",
        store.rayon_threads_that_read(),
        0,
    );
    expect_at_least(
        &format!(
            "blocking reads in progress at once, of {n} requests (the blocking pool starts a \
             thread per read; rayon's pool has only {rayon_threads})"
        ),
        store.most_at_once(),
        n / 2 + 1,
    );
}

#[test]
fn checksums_run_on_rayon_one_per_core() {
    let _turn = one_at_a_time();
    let rayon_threads = rayon::current_num_threads();
    let n = 8.max(2 * rayon_threads);
    let blobs: Vec<Vec<u8>> = (0..n as u64).map(|i| blob(i, 64 * 1024)).collect();
    let rounds = rounds_for(&blobs[0], Duration::from_millis(25));
    let names: Vec<String> = (0..n).map(|i| format!("c{i}.bin")).collect();
    let mut builder = Store::builder();
    for (name, data) in names.iter().zip(&blobs) {
        builder = builder.blob(name, data.clone());
    }
    let store = builder.build();
    let requests: Vec<Request> = names.iter().map(|n| request(n, rounds)).collect();
    let expected: Vec<u64> = blobs.iter().map(|b| checksum(b, rounds)).collect();
    let rt = runtime();

    // n checksums of about 25 ms: one after the other on this thread, against
    // `serve`, held to the course's speedup rule (a fraction of the spare capacity
    // measured in the same try).
    SpeedupCheck::new(format!("{n} checksums of a burst of requests"))
        .pieces(n)
        .run(
            || {
                for r in &requests {
                    let data = store.read(&r.name).expect("a blob of the store");
                    black_box(checksum(&data, r.rounds));
                }
            },
            || {
                black_box(rt.block_on(serve(&store, &requests)));
            },
        );

    // Structural twins, without the clock.
    probe::reset();
    let responses = rt.block_on(serve(&store, &requests));
    let sums: Vec<Option<u64>> = responses
        .iter()
        .map(|r| r.result.as_ref().ok().copied())
        .collect();
    assert_eq!(
        sums,
        expected.iter().map(|&s| Some(s)).collect::<Vec<_>>(),
        "each response must hold `checksum(blob, rounds)` of its own request"
    );
    never_on_the_runtime(
        "checksums off the runtime's thread",
        &probe::threads(),
        "a checksum was computed on the runtime's own thread, so nothing else could run \
         meanwhile: hand it to `rayon::spawn` and await a oneshot channel",
    );
    expect_at_most(
        "threads outside rayon's pool that computed a checksum (`spawn_blocking` starts a \
         thread per call: a burst of checksums there is one busy thread per request)",
        probe::threads_outside_rayon(),
        0,
    );
    expect_at_most(
        &format!(
            "checksums running at once, of {n} requests (rayon's pool has {rayon_threads} \
             threads, one per core)"
        ),
        probe::most_at_once(),
        rayon_threads,
    );
    expect_at_least(
        "checksums running at once (they must run in parallel)",
        probe::most_at_once(),
        rayon_threads.min(2),
    );
}
