//! Tests for 16/01. `cargo xtask check 16/01` runs them under loom's model checker
//! (`--cfg loom`), which tries every interleaving of the cook and the waiters (with at
//! most `LOOM_MAX_PREEMPTIONS` preemptions each) and every value the memory model lets
//! each load read. A plain `cargo test -p ex16_01_ring_the_bell` runs the same tests as
//! a stress test on real threads: a few thousand schedules of the ones the machine
//! happens to pick, which on x86 never show the bug.

use ex16_01_ring_the_bell::Pass;
use std::collections::BTreeSet;
use std::sync::Mutex;
use test_support::interleavings::{self, Claim};

#[cfg(loom)]
use loom::{sync::Arc, thread};
#[cfg(not(loom))]
use std::{sync::Arc, thread};

/// The dish the cook serves.
const DISH: u64 = 42;

/// Without loom: how many times the stress test runs each scenario on real threads.
const STRESS_RUNS: usize = 2_000;

/// Runs `scenario` once per interleaving under loom (a stress run without it), and
/// reports how many executions that was (test-support's runner).
fn every_interleaving(what: &str, scenario: impl Fn() + Sync + Send + 'static) {
    interleavings::every_interleaving(what, "16/01", Claim::Right, STRESS_RUNS, scenario);
}

/// The waiter's verdict on what `pick_up` returned after hearing the bell.
fn expect_the_dish(found: u64) {
    assert!(
        found == DISH,
        "a waiter heard the bell and found {} instead of dish {DISH}: in some interleaving \
         the bell's `true` was read while the dish stored before it was not visible yet. \
         Ring the bell with a `Release` store after the dish, and listen with an `Acquire` \
         load",
        if found == 0 {
            "an empty shelf (0)".to_string()
        } else {
            format!("dish {found}")
        }
    );
}

#[test]
fn a_waiter_who_hears_the_bell_finds_the_dish() {
    // Every outcome seen, over all interleavings: deterministic under loom, which
    // tries them all; a snapshot below.
    let seen = std::sync::Arc::new(Mutex::new(BTreeSet::new()));
    let outcomes = std::sync::Arc::clone(&seen);
    every_interleaving("one cook, one waiter", move || {
        let pass = Arc::new(Pass::new());
        let cook = {
            let pass = Arc::clone(&pass);
            thread::spawn(move || pass.serve(DISH))
        };
        let found = pass.pick_up();
        if let Some(dish) = found {
            expect_the_dish(dish);
        }
        outcomes.lock().unwrap().insert(found);
        cook.join().unwrap();
    });
    let seen = seen.lock().unwrap().clone();
    #[cfg(loom)]
    {
        let mut table =
            String::from("what a waiter can find at the pass, in every interleaving:\n");
        for found in &seen {
            table += &match found {
                None => "  the bell has not rung: nothing to pick up (None)\n".to_string(),
                Some(dish) => format!("  the bell has rung: dish {dish}\n"),
            };
        }
        insta::assert_snapshot!("what_a_waiter_can_find", table);
    }
    #[cfg(not(loom))]
    let _ = seen;
}

#[test]
fn two_waiters_both_find_the_dish() {
    every_interleaving("one cook, two waiters", || {
        let pass = Arc::new(Pass::new());
        let cook = {
            let pass = Arc::clone(&pass);
            thread::spawn(move || pass.serve(DISH))
        };
        let waiter = {
            let pass = Arc::clone(&pass);
            thread::spawn(move || pass.pick_up())
        };
        if let Some(dish) = pass.pick_up() {
            expect_the_dish(dish);
        }
        if let Some(dish) = waiter.join().unwrap() {
            expect_the_dish(dish);
        }
        cook.join().unwrap();
    });
}

#[test]
fn a_waiter_who_waits_for_the_bell_gets_the_dish() {
    every_interleaving("a waiter who waits for the bell", || {
        let pass = Arc::new(Pass::new());
        let cook = {
            let pass = Arc::clone(&pass);
            thread::spawn(move || pass.serve(DISH))
        };
        // Loom's scheduler is not fair: a loop that waits for another thread must
        // yield, or loom would let it spin forever.
        let dish = loop {
            match pass.pick_up() {
                Some(dish) => break dish,
                None => thread::yield_now(),
            }
        };
        expect_the_dish(dish);
        cook.join().unwrap();
    });
}

#[test]
fn the_shelf_is_empty_until_served_and_full_after() {
    every_interleaving("before and after the cook", || {
        let pass = Arc::new(Pass::new());
        assert_eq!(
            pass.pick_up(),
            None,
            "pick_up() before anything was served must be None: the bell has not rung"
        );
        let cook = {
            let pass = Arc::clone(&pass);
            thread::spawn(move || pass.serve(7))
        };
        // `join` synchronizes too: after it, everything the cook did is visible.
        cook.join().unwrap();
        assert_eq!(
            pass.pick_up(),
            Some(7),
            "after the cook's thread was joined, pick_up() must return the dish it served \
             (here 7)"
        );
    });
}
