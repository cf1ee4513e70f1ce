//! Tests for 09/04. Run them with `cargo xtask check 09/04`.

use ex09_04_oversubscription::{bounded_workers, thread_per_item};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use test_support::report::{self, Outcome};
use test_support::{Gauge, SpeedupCheck, ThreadSet, expect_at_least, expect_at_most, kernel};

/// Items for the tests: 64 of them, as many threads as the given version starts.
const ITEMS: u64 = 64;

#[test]
fn results_come_back_in_order_and_zero_workers_is_an_error() {
    let square = |x: u64| x * x + 1;
    let items: Vec<u64> = (0..10).collect();
    let expected = thread_per_item(&items, &square);
    let mut table = String::from("items  workers  results\n");
    for (items, workers) in [
        (&items[..0], 1),
        (&items[..1], 4),
        (&items[..], 1),
        (&items[..], 3),
        (&items[..], 100),
    ] {
        let results = bounded_workers(items, workers, &square)
            .unwrap_or_else(|e| panic!("bounded_workers(.., {workers}, ..) failed: {e}"));
        assert_eq!(
            results,
            expected[..items.len()],
            "{} items on {workers} workers: the results must be those of thread_per_item, \
             in the order of the items",
            items.len()
        );
        table += &format!("{:>5} {workers:>8}  {results:?}\n", items.len());
    }
    match bounded_workers(&items, 0, &square) {
        Ok(results) => panic!("0 workers should be an Err, but it returned {results:?}"),
        Err(e) => table += &format!("{:>5} {:>8}  error: {e}\n", items.len(), 0),
    }
    match bounded_workers(&[], 0, &square) {
        Ok(results) => panic!(
            "0 workers should be an Err even with no items, but it returned {results:?}: \
             check `workers` before anything else"
        ),
        Err(e) => table += &format!("{:>5} {:>8}  error: {e}\n", 0, 0),
    }
    insta::assert_snapshot!(table);
}

#[test]
fn never_more_busy_threads_than_cores() {
    // Clock-free: count the items running at once and the threads that ran them.
    let cores = test_support::cores();
    let at_once = Gauge::new();
    let threads = ThreadSet::new();
    let items: Vec<u64> = (0..ITEMS).collect();
    let work = |item: u64| {
        let _running = at_once.enter();
        threads.record();
        // A pause, so that every worker surely has an item in hand at the same time.
        std::thread::sleep(Duration::from_millis(2));
        test_support::spin(1_000) ^ item
    };
    let results = bounded_workers(&items, cores, &work)
        .unwrap_or_else(|e| panic!("bounded_workers(.., {cores}, ..) failed: {e}"));
    assert_eq!(
        results.len(),
        items.len(),
        "one result per item was expected"
    );
    expect_at_least("items computed", at_once.total(), ITEMS as usize);
    expect_at_most("items running at once", at_once.most_at_once(), cores);
    expect_at_most("threads that computed items", threads.distinct(), cores);
    expect_at_least(
        "items running at once",
        at_once.most_at_once(),
        cores.min(2),
    );
}

/// How long a test waits for something that a correct answer makes happen at once,
/// before it gives up and reports what it saw instead.
const GIVE_UP: Duration = Duration::from_secs(5);

#[test]
fn a_slow_item_does_not_hold_up_the_others() {
    // Clock-free, with uneven items: item 0 waits until the 15 other items are done
    // (it gives up after a few seconds). Two workers that each take the next free item
    // finish them all while one of them waits with item 0. Items handed out up front
    // (a chunk per worker, every other item) leave some behind item 0, on its worker.
    const N: u64 = 16;
    let others_done = AtomicUsize::new(0);
    let start = Instant::now();
    let mut done_while_waiting = None;
    let waited = Mutex::new(&mut done_while_waiting);
    let work = |item: u64| {
        if item == 0 {
            while others_done.load(Ordering::SeqCst) < N as usize - 1 && start.elapsed() < GIVE_UP {
                std::thread::sleep(Duration::from_micros(100));
            }
            **waited.lock().unwrap() = Some(others_done.load(Ordering::SeqCst));
        } else {
            others_done.fetch_add(1, Ordering::SeqCst);
        }
        item * 3
    };
    let items: Vec<u64> = (0..N).collect();
    let results = bounded_workers(&items, 2, &work)
        .unwrap_or_else(|e| panic!("bounded_workers(.., 2, ..) failed: {e}"));
    assert_eq!(
        results,
        items.iter().map(|i| i * 3).collect::<Vec<_>>(),
        "the results must be in the order of the items"
    );
    let done = done_while_waiting.expect("item 0 was computed");
    let what = "items computed by the other worker while item 0 was slow";
    let detail = format!("{done} of {}, needed all of them", N - 1);
    if done < N as usize - 1 {
        report::record_figure(what, Outcome::Failed, &detail, done as f64, (N - 1) as f64);
        panic!(
            "on 2 workers, item 0 waited until the {} other items were done, and only {done} \
             were computed meanwhile: the rest waited behind item 0 on its thread (handed \
             to its worker up front?). Let each worker take the next item nobody has \
             taken yet (one shared `AtomicUsize`, `fetch_add(1)`), so that an idle worker \
             never waits behind a slow item",
            N - 1
        );
    }
    report::record_figure(what, Outcome::Passed, &detail, done as f64, (N - 1) as f64);
}

#[test]
fn as_many_workers_as_asked_for() {
    // Clock-free: with `workers` workers and more items than that, `workers` items are
    // in flight at once (each item waits, up to a few seconds, until that many are,
    // then pauses so that any extra thread surely takes an item too), on exactly
    // `workers` threads: not one per core, not one per item.
    for workers in [1, 3] {
        let at_once = Gauge::new();
        let threads = ThreadSet::new();
        let start = Instant::now();
        let items: Vec<u64> = (0..12).collect();
        let work = |item: u64| {
            let _running = at_once.enter();
            threads.record();
            while at_once.most_at_once() < workers && start.elapsed() < GIVE_UP {
                std::thread::sleep(Duration::from_micros(100));
            }
            std::thread::sleep(Duration::from_millis(2));
            item + 1
        };
        let results = bounded_workers(&items, workers, &work)
            .unwrap_or_else(|e| panic!("bounded_workers(.., {workers}, ..) failed: {e}"));
        assert_eq!(
            results,
            (1..=12).collect::<Vec<u64>>(),
            "the results, in order"
        );
        expect_at_most(
            &format!("threads that computed items with {workers} worker(s) asked for"),
            threads.distinct(),
            workers,
        );
        expect_at_most(
            &format!("items running at once with {workers} worker(s) asked for"),
            at_once.most_at_once(),
            workers,
        );
        expect_at_least(
            &format!("items running at once with {workers} worker(s) asked for"),
            at_once.most_at_once(),
            workers,
        );
    }
}

#[test]
fn each_item_is_taken_exactly_once() {
    // Clock-free: many tiny items on 4 workers, which first wait for each other (each
    // holds its first item until all 4 hold one, a few seconds at most), and then ask
    // for their next item at the same instant thousands of times, in 10 rounds; each
    // index is counted. Taking an index must be one atomic step (`fetch_add`): a
    // `load` and then a `store` let two workers read the same index, and compute that
    // item twice.
    const N: usize = 200_000;
    const ROUNDS: usize = 10;
    let items: Vec<u64> = (0..N as u64).collect();
    let (mut twice, mut never) = (0, 0);
    let start = Instant::now();
    for _ in 0..ROUNDS {
        let computed: Vec<AtomicUsize> = (0..N).map(|_| AtomicUsize::new(0)).collect();
        let holding = Gauge::new();
        let all_started = AtomicBool::new(false);
        let work = |item: u64| {
            if !all_started.load(Ordering::Relaxed) {
                let _holding = holding.enter();
                while holding.most_at_once() < 4 && start.elapsed() < GIVE_UP {
                    std::hint::spin_loop();
                    std::thread::yield_now();
                }
                all_started.store(true, Ordering::Relaxed);
            }
            computed[item as usize].fetch_add(1, Ordering::Relaxed);
            item
        };
        let results = bounded_workers(&items, 4, &work)
            .unwrap_or_else(|e| panic!("bounded_workers(.., 4, ..) failed: {e}"));
        assert!(
            results == items,
            "the results must be in the order of the items"
        );
        let counts = computed.iter().map(|c| c.load(Ordering::Relaxed));
        twice = counts.clone().filter(|&c| c > 1).count();
        never = counts.filter(|&c| c == 0).count();
        if twice + never > 0 {
            break;
        }
    }
    let what = "items computed more than once or never";
    let detail = format!("{twice} more than once, {never} never, of {N}; needed none");
    if twice + never > 0 {
        report::record_figure(what, Outcome::Failed, &detail, (twice + never) as f64, 0.0);
        panic!(
            "of {N} items on 4 workers, {twice} were computed more than once and {never} \
             never: two workers took the same index. Take the next index in one atomic \
             step, `next.fetch_add(1, Ordering::Relaxed)`, not a `load` and then a `store`"
        );
    }
    report::record_figure(what, Outcome::Passed, &detail, 0.0, 0.0);
}

/// 64 computing items that take about `target` in all on one thread here.
fn sized_work(target: Duration) -> (Vec<u64>, impl Fn(u64) -> u64 + Sync) {
    let steps = kernel::steps_for(target / ITEMS as u32);
    ((0..ITEMS).collect(), move |item: u64| {
        test_support::spin(steps) ^ item
    })
}

#[test]
fn bounded_workers_are_no_slower_than_a_thread_per_item() {
    // What is claimed: one worker per core finishes CPU-bound work at least about as
    // fast as a thread per item (90%). Not claimed: that it is much faster; on Linux
    // the switching between 64 busy threads costs little wall time (see the README).
    const NEEDED: f64 = 0.9;
    let what = "bounded workers vs a thread per item";
    let cores = test_support::cores();
    if cores < 2 {
        report::record(
            what,
            Outcome::NotChecked,
            &format!("needs 2 cores, this machine has {cores}"),
        );
        return;
    }
    let (items, work) = sized_work(Duration::from_millis(300));
    let (mut many, mut bounded) = (Vec::new(), Vec::new());
    // Under load, 64 threads win a bigger share of a busy machine than a few workers
    // do, which says nothing about the code: the check judges only tries where other
    // programs were idle and the machine had room for every worker.
    let checked = SpeedupCheck::new(what)
        .pieces(cores)
        .fixed(NEEDED)
        .tries(3)
        .measure(
            || many = thread_per_item(&items, &work),
            || {
                bounded = bounded_workers(&items, cores, &work)
                    .unwrap_or_else(|e| panic!("bounded_workers(.., {cores}, ..) failed: {e}"))
            },
        );
    assert_eq!(bounded, many, "the results differ from thread_per_item's");
    if matches!(checked.outcome, Outcome::NotChecked | Outcome::Deferred) {
        report::record_timing(what, checked.outcome, &checked.detail);
        return;
    }
    let (ratio, capacity) = (checked.measured, checked.capacity.unwrap_or(0.0));
    let detail = format!(
        "{ratio:.2}x the speed of a thread per item, needed {NEEDED:.2}x on {cores} cores \
         (spare capacity {capacity:.2}x)"
    );
    report::record_measured(
        what,
        checked.outcome,
        &detail,
        ratio,
        NEEDED,
        checked.capacity,
    );
    assert!(
        checked.outcome == Outcome::Passed,
        "{cores} workers were slower than a thread per item: {detail} (does every worker \
         compute all the time, taking the next item as soon as it is done?)"
    );
}

#[test]
fn bounded_workers_speed_up_with_cores() {
    let cores = test_support::cores();
    let (items, work) = sized_work(Duration::from_millis(250));
    let (mut seq, mut par) = (Vec::new(), Vec::new());
    SpeedupCheck::new("64 computing items on one worker per core")
        .pieces(cores)
        .tries(5)
        .run(
            || seq = items.iter().map(|&item| work(item)).collect(),
            || {
                par = bounded_workers(&items, cores, &work)
                    .unwrap_or_else(|e| panic!("bounded_workers(.., {cores}, ..) failed: {e}"))
            },
        );
    assert_eq!(
        par, seq,
        "the parallel results differ from the sequential ones"
    );
}
