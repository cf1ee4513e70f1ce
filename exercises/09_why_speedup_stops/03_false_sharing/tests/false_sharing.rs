//! Tests for 09/03. Run them with `cargo xtask check 09/03`.

use ex09_03_false_sharing::{
    MAX_THREADS, Padded, count_padded, count_side_by_side, hammer, hammered_on,
};
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use test_support::report::{self, Outcome};
use test_support::{SpeedupCheck, expect_at_least};

#[test]
fn counts_come_back_in_thread_order_and_bad_input_is_an_error() {
    let mut table = String::from("threads  per thread  counts\n");
    for (threads, per_thread) in [(1, 0), (1, 5), (3, 1000), (8, 7)] {
        let counts = count_padded(threads, per_thread)
            .unwrap_or_else(|e| panic!("count_padded({threads}, {per_thread}) failed: {e}"));
        assert_eq!(
            Ok(counts.clone()),
            count_side_by_side(threads, per_thread),
            "count_padded({threads}, {per_thread}) must give the same counts as \
             count_side_by_side"
        );
        table += &format!("{threads:>7} {per_thread:>11}  {counts:?}\n");
    }
    for threads in [0, MAX_THREADS + 1] {
        match count_padded(threads, 10) {
            Ok(counts) => panic!(
                "count_padded({threads}, 10) should be an Err (bad number of threads), \
                 but it returned {counts:?}"
            ),
            Err(e) => table += &format!("{threads:>7} {:>11}  error: {e}\n", 10),
        }
    }
    insta::assert_snapshot!(table);
}

#[test]
fn each_counter_is_counted_on_a_thread_of_its_own() {
    // Clock-free: `hammer` notes the thread of each call; this test's count (an odd
    // number no other test uses) picks out its own calls.
    const TIMES: u64 = 77_777;
    let counts = count_padded(4, TIMES).expect("4 threads are allowed");
    assert_eq!(counts, vec![TIMES; 4], "four counters of {TIMES} each");
    let threads = hammered_on(TIMES);
    assert_eq!(
        threads.len(),
        4,
        "`hammer` must be called once per counter (4 counters), with `per_thread`"
    );
    let caller = std::thread::current().id();
    let on_caller = threads.iter().filter(|t| **t == caller).count();
    assert!(
        on_caller == 0,
        "{on_caller} of the 4 counters were counted on the caller's thread: each counter \
         gets a thread of its own (spawn one scoped thread per `Padded`, as \
         `count_side_by_side` does), or nothing runs in parallel"
    );
    let mut distinct = threads.clone();
    distinct.sort_by_key(|t| format!("{t:?}"));
    distinct.dedup();
    expect_at_least(
        "distinct threads that counted the 4 counters",
        distinct.len(),
        4,
    );
}

/// The alignment `Padded` must have: two 64-byte cache lines, because some CPUs fetch
/// lines in pairs (the README and the TODO above `Padded` say so).
const LINE_PAIR: usize = 128;

#[test]
fn each_counter_has_a_cache_line_of_its_own() {
    // Clock-free: look at where neighbouring counters are in memory.
    let counters: Vec<Padded> = (0..4).map(|_| Padded::default()).collect();
    let first = &counters[0].count as *const AtomicU64 as usize;
    let second = &counters[1].count as *const AtomicU64 as usize;
    let align = std::mem::align_of::<Padded>();
    let what = "bytes of alignment of Padded (so that no two share a pair of 64-byte lines)";
    let detail = format!("{align}, needed at least {LINE_PAIR}");
    if align < LINE_PAIR {
        report::record_figure(
            what,
            Outcome::Failed,
            &detail,
            align as f64,
            LINE_PAIR as f64,
        );
        panic!(
            "`Padded` is aligned to {align} bytes; the exercise asks for {LINE_PAIR}, two \
             64-byte cache lines, because some CPUs fetch lines in pairs and two counters \
             in one pair still slow each other down: `#[repr(align(128))]` on `Padded`"
        );
    }
    report::record_figure(
        what,
        Outcome::Passed,
        &detail,
        align as f64,
        LINE_PAIR as f64,
    );
    expect_at_least(
        "bytes between the counters of two neighbouring Padded values",
        second - first,
        LINE_PAIR,
    );
}

/// How many `hammer` steps per thread make `run(threads, steps)` take about
/// `target` here, measured now.
fn per_thread_for(target: Duration, threads: usize, run: impl Fn(usize, u64)) -> u64 {
    let probe: u64 = 1 << 18;
    let fastest = (0..3)
        .map(|_| {
            let start = Instant::now();
            run(threads, probe);
            start.elapsed()
        })
        .min()
        .expect("three timings");
    let per_step = fastest.as_secs_f64().max(1e-9) / probe as f64;
    ((target.as_secs_f64() / per_step) as u64).clamp(probe, 1 << 34)
}

/// The threads both versions run with: every core (up to 8), and at least 2.
fn threads() -> usize {
    test_support::cores().clamp(2, 8)
}

/// How much faster than side by side the padded counters must be, as a fraction of
/// the machine's spare capacity (see the README for the figures behind it).
const FRACTION: f64 = 0.5;

#[test]
fn padded_counters_beat_counters_side_by_side() {
    let threads = threads();
    let what = "counters on their own cache lines vs side by side";
    if test_support::cores() < 2 {
        // On one core the threads take turns and the line never moves between caches.
        let cores = test_support::cores();
        report::record_timing(
            what,
            Outcome::NotChecked,
            &format!("false sharing needs 2 cores to show, this machine has {cores}"),
        );
        return;
    }
    let per_thread = per_thread_for(Duration::from_millis(250), threads, |t, n| {
        count_side_by_side(t, n).expect("the given version counts");
    });
    let (mut slow, mut fast) = (Vec::new(), Vec::new());
    let checked = SpeedupCheck::new(what)
        .pieces(threads)
        .fraction(FRACTION)
        .tries(5)
        .measure(
            || slow = count_side_by_side(threads, per_thread).expect("the given version counts"),
            || {
                fast = count_padded(threads, per_thread)
                    .unwrap_or_else(|e| panic!("count_padded({threads}, ...) failed: {e}"))
            },
        );
    assert_eq!(
        fast, slow,
        "the padded counts differ from the side-by-side ones"
    );
    let detail = checked
        .detail
        .replacen("speedup", "padded counting was", 1)
        .replacen("x, needed", "x faster, needed", 1);
    match checked.outcome {
        Outcome::NotChecked | Outcome::Deferred => {
            report::record_timing(what, checked.outcome, &detail)
        }
        outcome => report::record_measured(
            what,
            outcome,
            &detail,
            checked.measured,
            checked.needed,
            checked.capacity,
        ),
    }
    if checked.outcome == Outcome::Failed {
        panic!(
            "{threads} threads counting into Padded counters were not enough faster than \
             into counters side by side: {detail} (does every counter have a cache line \
             of its own, and does each thread write only its own?)"
        );
    }
}

#[test]
fn padded_counters_speed_up_with_cores() {
    let threads = threads();
    // The same counting on one thread, counter after counter: the baseline that
    // false sharing cannot touch.
    let one_thread = |threads: usize, per_thread: u64| -> Vec<u64> {
        let counters: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
        for counter in &counters {
            hammer(counter, per_thread);
        }
        counters.into_iter().map(AtomicU64::into_inner).collect()
    };
    let per_thread = per_thread_for(Duration::from_millis(200), threads, |t, n| {
        one_thread(t, n);
    });
    let (mut seq, mut par) = (Vec::new(), Vec::new());
    SpeedupCheck::new("counting into padded counters on several threads")
        .pieces(threads)
        .tries(5)
        .run(
            || seq = one_thread(threads, per_thread),
            || {
                par = count_padded(threads, per_thread)
                    .unwrap_or_else(|e| panic!("count_padded({threads}, ...) failed: {e}"))
            },
        );
    assert_eq!(
        par, seq,
        "the parallel counts differ from the one-thread ones"
    );
}
