//! Tests for 04/02. Run them with `cargo xtask check 04/02`.

use ex04_02_lock_ordering::{Kitchen, StationError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier};
use std::time::Duration;
use test_support::{Gauge, RatioCheck, expect_at_least, expect_at_most};

/// How long the cooks may go without finishing a single use before the test calls it
/// a deadlock. A use takes microseconds, so this only ever fires when they are stuck.
const NO_PROGRESS: Duration = Duration::from_secs(2);

/// Runs every plan (a list of station pairs) on a thread of its own, `rounds` times;
/// each round starts for all cooks at once (a `Barrier`), which is when they get in
/// each other's way most. Returns how many uses were done; `Err` names the deadlock if
/// the cooks stop making progress. The cook threads are not scoped on purpose: if they deadlock,
/// they are left behind instead of hanging the test.
fn run_plans(
    kitchen: &Arc<Kitchen>,
    rounds: usize,
    plans: Vec<Vec<(usize, usize)>>,
) -> Result<usize, String> {
    let cooks = plans.len();
    let total: usize = rounds * plans.iter().map(Vec::len).sum::<usize>();
    let done = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(cooks));
    let (finished_tx, finished_rx) = mpsc::channel();
    for plan in plans {
        let (kitchen, done, start) = (Arc::clone(kitchen), Arc::clone(&done), Arc::clone(&start));
        let finished_tx = finished_tx.clone();
        std::thread::spawn(move || {
            for _ in 0..rounds {
                start.wait();
                for &(a, b) in &plan {
                    kitchen
                        .use_two(a, b, || ())
                        .expect("the plans only name valid, distinct stations");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            let _ = finished_tx.send(());
        });
    }
    drop(finished_tx);
    let mut finished = 0;
    let mut seen = 0;
    while finished < cooks {
        match finished_rx.recv_timeout(NO_PROGRESS) {
            Ok(()) => finished += 1,
            Err(RecvTimeoutError::Disconnected) => {
                return Err("a cook thread panicked".to_string());
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = done.load(Ordering::Relaxed);
                if now == seen {
                    return Err(format!(
                        "deadlock: after {now} of {total} uses, no cook finished a use for \
                         {NO_PROGRESS:?}. Each stuck cook holds one station and waits for \
                         another's: always lock the lower-numbered station first"
                    ));
                }
                seen = now;
            }
        }
    }
    Ok(done.load(Ordering::Relaxed))
}

#[test]
fn crossing_cooks_never_deadlock() {
    // Two cooks want the same two stations, named in opposite orders; a third goes
    // round the other way through station 2. 50 rounds of 2 000 uses each.
    let kitchen = Arc::new(Kitchen::new(&["stove", "board", "oven"]));
    let (rounds, n) = (50, 2_000);
    let plans = vec![
        vec![(0, 1); n],
        vec![(1, 0); n],
        [(1, 2), (2, 0)].repeat(n / 2),
    ];
    match run_plans(&kitchen, rounds, plans) {
        Ok(done) => expect_at_least(
            "uses finished by three crossing cooks",
            done,
            3 * rounds * n,
        ),
        Err(deadlock) => panic!("{deadlock}"),
    }
}

#[test]
fn the_lower_numbered_station_is_taken_first() {
    // Named higher first, and lower first: the rule holds whatever the order.
    waits_holding_the_lower_station(1, 0);
    waits_holding_the_lower_station(0, 1);
}

/// Deterministic, unlike a race: a holder keeps stations 1 and 2 busy. Then a cook
/// asks for stations `first` and `second` (0 and 1, in either order) and has to wait
/// for station 1. By the rule it waits *holding station 0*; a cook that locks in
/// any other order waits holding nothing.
fn waits_holding_the_lower_station(first: usize, second: usize) {
    let kitchen = Arc::new(Kitchen::new(&["stove", "board", "oven"]));
    // The instrument first: nobody holds station 0 yet.
    assert_eq!(
        kitchen.is_in_use(0),
        Ok(false),
        "`is_in_use(0)` must say false while no cook holds station 0 (it is given code: \
         restore it with `cargo xtask reset 04/02` if you changed it)"
    );
    let (inside_tx, inside_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = {
        let kitchen = Arc::clone(&kitchen);
        std::thread::spawn(move || {
            kitchen.use_two(1, 2, move || {
                let _ = inside_tx.send(());
                let _ = release_rx.recv();
            })
        })
    };
    inside_rx
        .recv_timeout(NO_PROGRESS)
        .expect("use_two(1, 2, work) should run `work` once it holds stations 1 and 2");
    let asker = {
        let kitchen = Arc::clone(&kitchen);
        std::thread::spawn(move || kitchen.use_two(first, second, || ()))
    };
    // Watch station 0 until the asker has taken it (microseconds), or give up.
    let deadline = std::time::Instant::now() + NO_PROGRESS;
    let mut took_zero = false;
    while !took_zero && std::time::Instant::now() < deadline {
        took_zero = kitchen.is_in_use(0) == Ok(true);
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = release_tx.send(());
    let _ = holder.join();
    let _ = asker.join();
    assert!(
        took_zero,
        "use_two({first}, {second}) waited for the busy station 1 without holding station 0: \
         it does not take the lower-numbered station first. The kitchen's rule is to take \
         the lower-numbered station first (here 0), whatever the order of the arguments"
    );
}

#[test]
fn the_ledger_of_station_uses() {
    let kitchen = Arc::new(Kitchen::new(&["stove", "board", "oven", "sink"]));
    let plans = vec![
        [(0, 1), (1, 2)].repeat(500),
        [(1, 0), (2, 1)].repeat(500),
        [(2, 0), (0, 3)].repeat(500),
        [(3, 2), (1, 3)].repeat(500),
    ];
    if let Err(deadlock) = run_plans(&kitchen, 1, plans) {
        panic!("{deadlock}");
    }
    // Deterministic by construction: every use counts once for each of its stations,
    // in whatever order the cooks got there.
    let mut ledger = String::new();
    for (i, station) in kitchen.stations().iter().enumerate() {
        ledger += &format!("{i} {:<6} {:>5} uses\n", station.name, station.uses);
    }
    for (a, b) in [(0, 4), (7, 1), (2, 2)] {
        let outcome = match kitchen.use_two(a, b, || ()) {
            Ok(()) => "Ok".to_string(),
            Err(e) => format!("Err: {e}"),
        };
        ledger += &format!("use_two({a}, {b}): {outcome}\n");
    }
    insta::assert_snapshot!(ledger);
}

#[test]
fn bad_station_numbers_are_errors() {
    let kitchen = Kitchen::new(&["stove", "board"]);
    assert_eq!(
        kitchen.use_two(0, 2, || ()),
        Err(StationError::NoSuchStation {
            index: 2,
            stations: 2
        })
    );
    assert_eq!(
        kitchen.use_two(1, 1, || ()),
        Err(StationError::SameStation(1))
    );
    let untouched: Vec<u64> = kitchen.stations().iter().map(|s| s.uses).collect();
    assert_eq!(untouched, [0, 0], "a refused use must not count");
}

#[test]
fn a_refused_use_locks_nothing() {
    // Clock-free: another cook holds stations 0 and 1 until the test's refused call
    // has returned (or 2 s have passed). A refused use must return its error at once,
    // without waiting for a station: it locks nothing.
    let kitchen = Kitchen::new(&["stove", "board"]);
    for (a, b) in [(1, 1), (1, 5)] {
        let (returned_tx, returned_rx) = std::sync::mpsc::channel::<()>();
        let (holding_tx, holding_rx) = std::sync::mpsc::channel::<()>();
        let (refused, waited) = std::thread::scope(|s| {
            let kitchen = &kitchen;
            let holder = s.spawn(move || {
                kitchen
                    .use_two(0, 1, || {
                        let _ = holding_tx.send(());
                        returned_rx.recv_timeout(Duration::from_secs(2)).is_err()
                    })
                    .expect("valid stations")
            });
            holding_rx
                .recv()
                .expect("the holder takes stations 0 and 1");
            let refused = kitchen.use_two(a, b, || ());
            let _ = returned_tx.send(());
            (refused, holder.join().expect("the holder does not panic"))
        });
        assert!(
            refused.is_err(),
            "use_two({a}, {b}) must be refused, but it returned {refused:?}"
        );
        assert!(
            !waited,
            "use_two({a}, {b}) is refused ({refused:?}), yet it waited for a station \
             another cook held: a refused use locks nothing, so check the numbers before \
             you take any lock"
        );
    }
}

#[test]
fn both_stations_are_held_while_the_work_runs() {
    // Clock-free: from inside `work`, another thread looks at both stations. They must
    // both be taken: `work` runs while the cook holds them, not after letting go.
    let kitchen = Kitchen::new(&["stove", "board", "oven"]);
    for (a, b) in [(0, 2), (2, 1)] {
        let held = kitchen
            .use_two(a, b, || {
                std::thread::scope(|s| {
                    s.spawn(|| (kitchen.is_in_use(a), kitchen.is_in_use(b)))
                        .join()
                        .expect("`is_in_use` does not panic")
                })
            })
            .expect("valid stations");
        assert_eq!(
            held,
            (Ok(true), Ok(true)),
            "while `work` ran inside use_two({a}, {b}), stations {a} and {b} should both \
             have been held (`true`): keep both guards alive until `work` has returned"
        );
    }
}

#[test]
fn a_shared_station_is_used_by_one_cook_at_a_time() {
    // (0, 1) and (1, 2) share station 1: never both at once.
    let kitchen = Arc::new(Kitchen::new(&["stove", "board", "oven"]));
    let gauge = Gauge::new();
    std::thread::scope(|s| {
        for pair in [(0, 1), (1, 2)] {
            let (kitchen, gauge) = (&kitchen, &gauge);
            s.spawn(move || {
                for _ in 0..5 {
                    kitchen
                        .use_two(pair.0, pair.1, || {
                            let _busy = gauge.enter();
                            std::thread::sleep(Duration::from_millis(5));
                        })
                        .expect("valid stations");
                }
            });
        }
    });
    expect_at_most("cooks at a shared station at once", gauge.most_at_once(), 1);
}

#[test]
fn disjoint_stations_are_used_at_the_same_time() {
    // (0, 1) and (2, 3) share nothing: two cooks use them at once. Three 40 ms uses
    // each: one after the other about 240 ms, side by side about 120 ms (2x). At
    // least 1.5x is required; a single lock for the whole kitchen gives 1x.
    let kitchen = Kitchen::new(&["stove", "board", "oven", "sink"]);
    let gauge = Gauge::new();
    let three_uses = |pair: (usize, usize), gauge: Option<&Gauge>| {
        for _ in 0..3 {
            kitchen
                .use_two(pair.0, pair.1, || {
                    let _busy = gauge.map(Gauge::enter);
                    std::thread::sleep(Duration::from_millis(40));
                })
                .expect("valid stations");
        }
    };
    RatioCheck::new("two cooks at disjoint stations vs one after the other", 1.5).run(
        || {
            three_uses((0, 1), None);
            three_uses((2, 3), None);
        },
        || {
            std::thread::scope(|s| {
                s.spawn(|| three_uses((0, 1), Some(&gauge)));
                s.spawn(|| three_uses((2, 3), Some(&gauge)));
            });
        },
    );
    expect_at_least(
        "cooks at disjoint stations at once",
        gauge.most_at_once(),
        2,
    );
}
