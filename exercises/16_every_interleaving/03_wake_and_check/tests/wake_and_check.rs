//! Tests for 16/03. `cargo xtask check 16/03` runs them under loom's model checker
//! (`--cfg loom`), which tries every order of the cook's puts, the waiters' takes,
//! their waits and the notifications (with at most `LOOM_MAX_PREEMPTIONS`
//! preemptions each), and reports a deadlock as soon as it reaches one. A plain
//! `cargo test -p ex16_03_wake_and_check` runs the same tests on real threads, a few
//! hundred times each, where a stale wakeup is rare: an `if` passes there most runs.

use ex16_03_wake_and_check::Pass;
use std::sync::Mutex;
use test_support::interleavings::{self, Claim};

// `Arc` is std's on both sides: when loom finds a deadlock it unwinds every blocked
// thread, and a loom `Arc` dropped then would panic again (and abort the tests).
use std::sync::Arc;

#[cfg(loom)]
use loom::thread;
#[cfg(not(loom))]
use std::thread;

/// Without loom: how many times the stress test runs each scenario on real threads.
const STRESS_RUNS: usize = 300;

/// Runs `scenario` once per interleaving under loom (a stress run without it), and
/// reports how many executions that was (test-support's runner).
fn every_interleaving(what: &str, scenario: impl Fn() + Sync + Send + 'static) {
    interleavings::every_interleaving(what, "16/03", Claim::Right, STRESS_RUNS, scenario);
}

#[test]
fn two_waiters_each_get_a_dish() {
    every_interleaving("one cook, two dishes, two waiters", || {
        let pass = Arc::new(Pass::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let pass = Arc::clone(&pass);
                thread::spawn(move || pass.take())
            })
            .collect();
        // The cook: two dishes, one `notify_one` each. Between a notification and the
        // woken waiter getting the lock back, the other waiter may come and take the
        // dish: the woken one must check again and sleep on.
        pass.put(1);
        pass.put(2);
        let mut taken: Vec<u64> = waiters
            .into_iter()
            .map(|waiter| {
                waiter.join().expect(
                    "a waiter panicked: in some interleaving it was woken for a dish that \
                     the other waiter had already taken, and did not check the counter \
                     again before taking. Wait in a `while` loop over the condition",
                )
            })
            .collect();
        taken.sort_unstable();
        assert_eq!(
            taken,
            [1, 2],
            "two dishes were put and two waiters took one each: together they must have \
             taken dishes 1 and 2, each once"
        );
        assert_eq!(
            pass.waiting(),
            0,
            "both dishes were taken: the counter must be empty"
        );
    });
}

#[test]
fn a_dish_put_before_the_wait_is_not_missed() {
    every_interleaving("a cook who may put before the waiter arrives", || {
        let pass = Arc::new(Pass::new());
        let cook = {
            let pass = Arc::clone(&pass);
            // The dish may be down (and its notification sent to nobody) before the
            // waiter locks the counter: a waiter who sleeps without looking first
            // sleeps forever.
            thread::spawn(move || pass.put(7))
        };
        assert_eq!(
            pass.take(),
            7,
            "the only dish the cook put is 7: take() must return it"
        );
        cook.join().unwrap();
    });
}

#[test]
fn the_oldest_dish_is_taken_first() {
    // One thread only: the order is fixed, so what each take finds is a snapshot.
    let table = Arc::new(Mutex::new(String::new()));
    let out = Arc::clone(&table);
    every_interleaving("three dishes, one waiter at a time", move || {
        let pass = Pass::new();
        let mut lines = String::from("a counter of three dishes, taken one at a time:\n");
        for dish in [30, 10, 20] {
            pass.put(dish);
        }
        lines += &format!("  put 30, 10, 20: {} on the counter\n", pass.waiting());
        for expected in [30, 10, 20] {
            let dish = pass.take();
            assert_eq!(
                dish, expected,
                "take() must return the oldest dish on the counter (the one put first)"
            );
            lines += &format!("  take() -> {dish}, {} left\n", pass.waiting());
        }
        pass.put(40);
        lines += &format!("  put 40, take() -> {}\n", pass.take());
        *out.lock().unwrap() = lines;
    });
    let table = table.lock().unwrap().clone();
    insta::assert_snapshot!("the_counter_in_order", table);
}
