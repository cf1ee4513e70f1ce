//! Tests for 16/02. `cargo xtask check 16/02` runs them under loom's model checker
//! (`--cfg loom`), which tries every interleaving of the cooks' steps (with at most
//! `LOOM_MAX_PREEMPTIONS` preemptions each) and reports a deadlock as soon as it
//! reaches one: every thread waiting, none able to run. A plain
//! `cargo test -p ex16_02_every_crossing` runs the same tests on real threads, a few
//! hundred times each: the shipped version passes most runs there, or hangs.

use ex16_02_every_crossing::{Kitchen, StationError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
use test_support::expect_at_least;
use test_support::interleavings::{self, Claim};
#[cfg(not(loom))]
use test_support::{Outcome, report::record};

// `Arc` is std's on both sides: when loom finds a deadlock it unwinds every blocked
// thread, and a loom `Arc` dropped then would panic again (and abort the tests). The
// order of an `Arc`'s count is not what these tests are about.
use std::sync::Arc;

#[cfg(loom)]
use loom::{sync::atomic::AtomicUsize as ModelCounter, thread};
#[cfg(not(loom))]
use std::{sync::atomic::AtomicUsize as ModelCounter, thread};

/// Without loom: how many times the stress test runs each scenario on real threads.
const STRESS_RUNS: usize = 300;

/// Runs `scenario` once per interleaving under loom (a stress run without it), and
/// reports how many executions that was (test-support's runner).
fn every_interleaving(what: &str, scenario: impl Fn() + Sync + Send + 'static) {
    interleavings::every_interleaving(what, "16/02", Claim::NoDeadlock, STRESS_RUNS, scenario);
}

/// Starts one cook per pair on a kitchen of `stations`, each using its pair once,
/// joins them all and returns the uses of each station.
fn cooks(stations: usize, pairs: &[(usize, usize)]) -> Vec<u64> {
    let kitchen = Arc::new(Kitchen::new(stations));
    let handles: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| {
            let kitchen = Arc::clone(&kitchen);
            thread::spawn(move || {
                kitchen
                    .use_two(a, b, || ())
                    .expect("the tests only name valid, distinct stations")
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    kitchen.uses()
}

#[test]
fn a_crossing_of_two_cooks_never_deadlocks() {
    every_interleaving("two cooks crossing: (0, 1) and (1, 0)", || {
        let uses = cooks(2, &[(0, 1), (1, 0)]);
        assert_eq!(
            uses,
            [2, 2],
            "two uses of stations 0 and 1 must count 2 each"
        );
    });
}

#[test]
fn a_round_of_three_cooks_never_deadlocks() {
    // A cycle of three: 0 then 1, 1 then 2, 2 then 0. Swapping only the pair (1, 0)
    // does not break it; sorting every pair does.
    every_interleaving(
        "three cooks round the kitchen: (0, 1), (1, 2), (2, 0)",
        || {
            let uses = cooks(3, &[(0, 1), (1, 2), (2, 0)]);
            assert_eq!(uses, [2, 2, 2], "each of the 3 stations was used twice");
        },
    );
}

#[test]
fn both_stations_are_held_while_work_runs() {
    every_interleaving("both stations held while `work` runs", || {
        let kitchen = Arc::new(Kitchen::new(3));
        let other = {
            let kitchen = Arc::clone(&kitchen);
            thread::spawn(move || kitchen.use_two(1, 2, || ()).unwrap())
        };
        let held = kitchen
            .use_two(2, 0, || (kitchen.is_in_use(0), kitchen.is_in_use(2)))
            .unwrap();
        assert_eq!(
            held,
            (Some(true), Some(true)),
            "use_two(2, 0, work) ran `work` while holding (station 0, station 2) = {held:?}: \
             both stations must stay locked until `work` returns"
        );
        other.join().unwrap();
    });
}

#[test]
fn cooks_at_disjoint_stations_can_work_at_once() {
    // Over every interleaving, the most cooks seen inside `work` at the same time.
    // One lock per station lets (0, 1) and (2, 3) overlap in some interleaving; one
    // lock for the whole kitchen never does.
    let most = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&most);
    every_interleaving("two cooks at disjoint stations", move || {
        let kitchen = Arc::new(Kitchen::new(4));
        let inside = Arc::new(ModelCounter::new(0));
        let handles: Vec<_> = [(0, 1), (3, 2)]
            .into_iter()
            .map(|(a, b)| {
                let (kitchen, inside, seen) =
                    (Arc::clone(&kitchen), Arc::clone(&inside), Arc::clone(&seen));
                thread::spawn(move || {
                    kitchen
                        .use_two(a, b, || {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            seen.fetch_max(now, Ordering::Relaxed);
                            inside.fetch_sub(1, Ordering::SeqCst);
                        })
                        .unwrap()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let what = "cooks inside `work` at once, at disjoint stations, in some interleaving";
    // Loom tries the interleaving where both are inside; real threads, whose `work`
    // takes nanoseconds, may never show it: without loom this cannot fail.
    #[cfg(loom)]
    expect_at_least(what, most.load(Ordering::Relaxed), 2);
    #[cfg(not(loom))]
    record(
        what,
        Outcome::NotChecked,
        &format!(
            "at most {} at once in {STRESS_RUNS} runs on real threads: only a model \
             checker can say whether some interleaving has both inside",
            most.load(Ordering::Relaxed)
        ),
    );
}

#[test]
fn the_ledger_and_the_errors() {
    // Deterministic by construction: every execution ends with the same uses, in
    // whatever order the cooks got there; the ledger of the last one is the snapshot.
    let ledger = Arc::new(Mutex::new(String::new()));
    let out = Arc::clone(&ledger);
    every_interleaving("a ledger of four cooks", move || {
        let uses = cooks(4, &[(0, 1), (2, 1), (3, 0), (1, 3)]);
        let mut text = String::new();
        for (i, n) in uses.iter().enumerate() {
            text += &format!("station {i}: {n} use{}\n", if *n == 1 { "" } else { "s" });
        }
        let kitchen = Kitchen::new(4);
        for (a, b) in [(0, 4), (7, 1), (5, 6), (2, 2)] {
            let result: Result<(), StationError> = kitchen.use_two(a, b, || ());
            text += &match result {
                Ok(()) => format!("use_two({a}, {b}): Ok\n"),
                Err(e) => format!("use_two({a}, {b}): Err: {e}\n"),
            };
        }
        text += &format!("uses after the errors: {:?}\n", kitchen.uses());
        *out.lock().unwrap() = text;
    });
    let ledger = ledger.lock().unwrap().clone();
    insta::assert_snapshot!("the_ledger_and_the_errors", ledger);
}
