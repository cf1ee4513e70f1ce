//! Tests for 09/02. Run them with `cargo xtask check 09/02`.

use ex09_02_big_enough_tasks::{MIN_LEAF, score, split_and_join};
use std::ops::Range;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use test_support::{SpeedupCheck, ThreadSet, expect_at_least, expect_at_most};

/// Runs `split_and_join` on `0..len` with a leaf that writes down its range.
fn leaves_of(len: u64) -> Vec<Range<u64>> {
    let seen = Mutex::new(Vec::new());
    let total = split_and_join(0..len, &|r: Range<u64>| {
        seen.lock().unwrap().push(r.clone());
        score(r)
    });
    assert_eq!(
        total,
        score(0..len),
        "the total over 0..{len} differs from one plain loop"
    );
    let mut leaves = seen.into_inner().unwrap();
    leaves.sort_by_key(|r| r.start);
    let mut next = 0;
    for r in &leaves {
        assert_eq!(
            r.start, next,
            "0..{len}: leaves must cover every index once, without gap or overlap \
             (a leaf starts at {}, expected {next})",
            r.start
        );
        next = r.end;
    }
    assert_eq!(next, len, "0..{len}: the leaves stop at {next}");
    leaves
}

#[test]
fn leaves_cover_every_index_once_and_are_big_enough() {
    let m = MIN_LEAF;
    let mut table = String::from("range length            leaves  smallest leaf  largest leaf\n");
    for len in [0, 1, m - 1, 2 * m - 1, 2 * m, 3 * m, 10 * m + 7, 100 * m] {
        let leaves = leaves_of(len);
        let sizes: Vec<u64> = leaves.iter().map(|r| r.end - r.start).collect();
        let smallest = *sizes.iter().min().expect("at least one leaf");
        let largest = *sizes.iter().max().expect("at least one leaf");
        assert!(
            smallest >= m.min(len),
            "0..{len}: a leaf of {smallest} indices is too small to pay for its task \
             (MIN_LEAF is {m})"
        );
        assert!(
            largest < 2 * m || leaves.len() == 1 && len < 2 * m,
            "0..{len}: a leaf of {largest} indices should have been split in two"
        );
        table += &format!(
            "{len:>12} {:>17} {smallest:>14} {largest:>13}\n",
            leaves.len()
        );
    }
    insta::assert_snapshot!(table);
}

#[test]
// An empty range written backwards, on purpose; a Vec holding one range, on purpose.
#[allow(clippy::reversed_empty_ranges, clippy::single_range_in_vec_init)]
fn an_empty_range_written_backwards_is_one_leaf() {
    // `7..3` holds no index, like `0..0`: the doc comment makes it one leaf, called
    // once, with the range as it came.
    let seen = Mutex::new(Vec::new());
    let total = std::panic::catch_unwind(|| {
        split_and_join(7..3, &|r: Range<u64>| {
            seen.lock().unwrap().push(r);
            42
        })
    })
    .unwrap_or_else(|_| {
        panic!(
            "`split_and_join(7..3, ..)` panicked: `7..3` is an empty range, and \
             `range.end - range.start` overflows on it. Compute the length with \
             `range.end.saturating_sub(range.start)`, so that it is one leaf"
        )
    });
    let seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
    assert_eq!(
        seen,
        vec![7..3],
        "`split_and_join(7..3, ..)` must call `leaf` once, with `7..3` (an empty range is \
         one leaf)"
    );
    assert_eq!(
        total, 42,
        "the total of one leaf is what that leaf returned"
    );
}

#[test]
fn a_big_range_makes_few_big_tasks_on_several_threads() {
    // Clock-free: count the tasks and the threads instead of timing them.
    let len = 40 * MIN_LEAF;
    let threads = ThreadSet::new();
    let leaves = Mutex::new(0usize);
    let smallest = Mutex::new(u64::MAX);
    let outside_rayon = Mutex::new(0usize);
    split_and_join(0..len, &|r: Range<u64>| {
        // Each leaf is one span of the grader's timeline picture (`check --timeline`).
        let _span = test_support::timeline::span("leaf");
        threads.record();
        if rayon::current_thread_index().is_none() {
            *outside_rayon.lock().unwrap() += 1;
        }
        let n = {
            let mut leaves = leaves.lock().unwrap();
            *leaves += 1;
            *leaves
        };
        let mut s = smallest.lock().unwrap();
        *s = (*s).min(r.end - r.start);
        drop(s);
        // A pause, so that the other threads surely wake up and take leaves too (the
        // first 40 leaves are enough: an answer that makes thousands of tiny tasks
        // then fails in a moment, not after a second per thousand leaves).
        if n <= 40 {
            std::thread::sleep(Duration::from_millis(1));
        }
        score(r)
    });
    let leaves = leaves.into_inner().unwrap();
    expect_at_most("leaves for 40 x MIN_LEAF indices", leaves, 40);
    let outside_rayon = outside_rayon.into_inner().unwrap();
    assert!(
        outside_rayon == 0,
        "{outside_rayon} of {leaves} leaves were scored on threads outside rayon's pool: \
         the halves must be tasks for `rayon::join`, which runs them on the pool's threads \
         (one per core), not OS threads started for each split"
    );
    expect_at_least(
        "indices in the smallest leaf",
        smallest.into_inner().unwrap() as usize,
        MIN_LEAF as usize,
    );
    expect_at_least(
        "threads that scored leaves",
        threads.distinct(),
        test_support::cores().min(2),
    );
}

/// A range whose score takes about `target` on one thread here.
fn range_for(target: Duration) -> Range<u64> {
    let probe = 64 * MIN_LEAF;
    let start = Instant::now();
    score(0..probe);
    let per_index = start.elapsed().as_secs_f64().max(1e-9) / probe as f64;
    let len = ((target.as_secs_f64() / per_index) as u64).clamp(probe, 1 << 36);
    0..len
}

#[test]
fn big_enough_tasks_speed_up_with_cores() {
    let range = range_for(Duration::from_millis(150));
    let pieces = ((range.end - range.start) / MIN_LEAF) as usize;
    let (mut seq, mut par) = (0, 0);
    SpeedupCheck::new("scoring a range in tasks of at least MIN_LEAF indices")
        .pieces(pieces)
        .tries(8)
        .run(
            || seq = score(range.clone()),
            || par = split_and_join(range.clone(), &score),
        );
    assert_eq!(
        par, seq,
        "the parallel total differs from the sequential one"
    );
}
