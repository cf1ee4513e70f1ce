//! Tests for 07/01. Run them with `cargo xtask check 07/01`.
//!
//! The main check needs no clock: a heartbeat task ticks every 5 ms on the same
//! runtime, and the test counts its ticks while your function runs. A function that
//! blocks the runtime's thread gets zero ticks, however fast or slow the machine is.
//! These tests use the real clock: tokio's paused clock does not move while a
//! blocking task runs, so it cannot show a heartbeat.

use ex07_01_unblock_the_cook::{checksum, checksum_async, legacy_lookup, lookup};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use test_support::{Gauge, Outcome, RatioCheck, report};

const BEAT: Duration = Duration::from_millis(5);

/// A task that ticks every 5 ms; the counter says how often it got to run.
async fn start_heartbeat() -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let beats = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let beats = Arc::clone(&beats);
        async move {
            loop {
                tokio::time::sleep(BEAT).await;
                beats.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    // Let it get going before the measurement starts.
    tokio::time::sleep(BEAT * 4).await;
    (beats, ticker)
}

#[track_caller]
fn expect_heartbeats(during: &str, beats: usize, needed: usize, hint: &str) {
    let check = format!("heartbeats during {during} (one every 5 ms)");
    let detail = format!("{beats}, needed at least {needed}");
    if beats >= needed {
        report::record_timing(&check, Outcome::Passed, &detail);
    } else {
        report::record_timing(&check, Outcome::Failed, &detail);
        panic!(
            "the heartbeat task ticked {beats} times during {during}, at least {needed} \
             expected: {hint}"
        );
    }
}

#[tokio::test]
async fn a_lookup_does_not_freeze_the_heartbeat() {
    let (beats, ticker) = start_heartbeat().await;
    let before = beats.load(Ordering::SeqCst);
    let value = lookup(7, Duration::from_millis(200)).await;
    let during = beats.load(Ordering::SeqCst) - before;
    ticker.abort();
    assert_eq!(
        value, 50,
        "`lookup(7, ..)` must return what `legacy_lookup` answers"
    );
    // About 40 ticks when the runtime's thread is free; 0 when it is blocked.
    expect_heartbeats(
        "a 200 ms lookup",
        during,
        5,
        "`lookup` holds the runtime's only thread while `legacy_lookup` sleeps, so no \
         other task can run. Run the blocking call with `tokio::task::spawn_blocking`",
    );
}

#[tokio::test]
async fn a_checksum_does_not_freeze_the_heartbeat() {
    let steps = test_support::kernel::steps_for(Duration::from_millis(150));
    let (beats, ticker) = start_heartbeat().await;
    let before = beats.load(Ordering::SeqCst);
    let value = checksum_async(steps).await;
    let during = beats.load(Ordering::SeqCst) - before;
    ticker.abort();
    assert_eq!(
        value,
        checksum(steps),
        "`checksum_async` must return `checksum(steps)`"
    );
    // About 30 ticks when the computation runs elsewhere; 0 when it runs on the
    // runtime's thread. A busy machine delays ticks but cannot stop them all.
    expect_heartbeats(
        "a 150 ms computation",
        during,
        3,
        "the computation runs on the runtime's only thread and never reaches an \
         `.await`. Move it to the blocking pool with `tokio::task::spawn_blocking`",
    );
}

/// A task that yields in a loop: it gets a turn whenever the runtime's thread is
/// free, however briefly, and counts its turns.
async fn start_spinner() -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let turns = Arc::new(AtomicUsize::new(0));
    let spinner = tokio::spawn({
        let turns = Arc::clone(&turns);
        async move {
            loop {
                tokio::task::yield_now().await;
                turns.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    // Let it get going before the measurement starts.
    while turns.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    (turns, spinner)
}

#[track_caller]
fn expect_turns(during: &str, turns: usize, hint: &str) {
    let check = format!("turns of another task during {during}");
    let detail = format!("{turns} (the most in 5 calls), needed at least 2");
    if turns >= 2 {
        report::record_timing(&check, Outcome::Passed, &detail);
    } else {
        report::record_timing(&check, Outcome::Failed, &detail);
        let got = match turns {
            0 => "never got a turn".to_string(),
            _ => format!("got only {turns} turn (the most in 5 calls)"),
        };
        panic!("another task {got} during {during}: {hint}");
    }
}

#[tokio::test]
async fn even_a_short_call_gives_the_thread_back() {
    // Clock-free, and too short for the heartbeat: 2 ms is 20 times the rule of thumb
    // (at most about 100 us between two `.await`s). A task that yields in a loop gets a
    // turn whenever the runtime's thread is free: thousands of turns while a call waits
    // on the blocking pool. A call that holds the thread from start to end leaves it
    // none, and one that yields once and then holds the thread leaves it exactly one,
    // however short the call. At least 2 in the best of 5 calls (a busy machine can
    // only take turns away from a right answer, and only now and then).
    let steps = test_support::kernel::steps_for(Duration::from_millis(2));
    let (turns, spinner) = start_spinner().await;
    let (mut during_checksum, mut during_lookup) = (0, 0);
    for _ in 0..5 {
        let before = turns.load(Ordering::SeqCst);
        let value = checksum_async(steps).await;
        during_checksum = during_checksum.max(turns.load(Ordering::SeqCst) - before);
        let before = turns.load(Ordering::SeqCst);
        let answer = lookup(3, Duration::from_millis(2)).await;
        during_lookup = during_lookup.max(turns.load(Ordering::SeqCst) - before);
        assert_eq!(
            value,
            checksum(steps),
            "`checksum_async` must return `checksum(steps)`"
        );
        assert_eq!(
            answer, 10,
            "`lookup(3, ..)` must return what `legacy_lookup` answers"
        );
        if during_checksum >= 2 && during_lookup >= 2 {
            break;
        }
    }
    spinner.abort();
    expect_turns(
        "a 2 ms computation",
        during_checksum,
        "`checksum_async` computed on the runtime's thread (after an `.await` or not, the \
         computation itself held the thread from start to end). Even a short computation \
         (2 ms is 20 times the rule of thumb of about 100 us between two `.await`s) belongs \
         on the blocking pool: `spawn_blocking` it, whatever its size",
    );
    expect_turns(
        "a 2 ms lookup",
        during_lookup,
        "`lookup` ran the blocking call on the runtime's thread (after an `.await` or not, \
         the call itself held the thread from start to end). A blocking call holds its \
         thread however short it is: `spawn_blocking` it, whatever its size",
    );
}

#[test]
fn four_lookups_overlap_once_unblocked() {
    // Four lookups of 100 ms with `join!` on one runtime thread: about 100 ms when each
    // waits on a blocking-pool thread, 400 ms when each blocks the runtime's thread in
    // turn. Sleeping needs no free core, so 2x is required even on a busy machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let d = Duration::from_millis(100);
    // Each joined lookup is one span of the grader's timeline picture (`cargo xtask
    // check 07/01 --timeline`; nothing is recorded otherwise): from its first poll to
    // its answer.
    let lookups = Gauge::new();
    let timed = |key: u64| {
        let lookups = lookups.clone();
        async move {
            let _lookup = lookups.enter();
            lookup(key, d).await
        }
    };
    RatioCheck::new("four lookups joined vs one after another", 2.0).run(
        || {
            runtime.block_on(async {
                for key in 0..4 {
                    lookup(key, d).await;
                }
            });
        },
        || {
            let values =
                runtime.block_on(async { tokio::join!(timed(0), timed(1), timed(2), timed(3)) });
            assert_eq!(values, (1, 2, 5, 10));
        },
    );
}

#[tokio::test]
async fn the_answers_do_not_change() {
    // Moving the work to another thread must not change what it computes.
    let mut table = String::from("key  lookup  legacy\n");
    for key in [0, 1, 2, 10, 1_000] {
        table += &format!(
            "{key:>4} {:>7} {:>7}\n",
            lookup(key, Duration::from_millis(1)).await,
            legacy_lookup(key, Duration::ZERO)
        );
    }
    table += "\nsteps  checksum_async\n";
    for steps in [0, 1, 1_000, 1_000_000] {
        table += &format!("{steps:>7}  {:#018x}\n", checksum_async(steps).await);
    }
    insta::assert_snapshot!(table);
}
