//! Tests for 10/02. Run them with `cargo xtask check 10/02`.

use ex10_02_float_order::{BLOCK, blocked_sum, blocked_sum_sequential, sum_block};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use test_support::pools::{OutsideThePool, in_pool};
use test_support::{SpeedupCheck, ThreadSet, expect_at_least};

fn hash(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// Deterministic values of very different sizes: `m * 2^e` with `|m| < 2^20` and
/// `e` in -30..=30, so their exact sum fits an `i128` (in units of 2^-30).
fn values(n: usize, seed: u64) -> (Vec<f64>, i128) {
    let mut exact: i128 = 0;
    let values = (0..n as u64)
        .map(|i| {
            let h = hash(seed ^ (i << 8));
            let m = (h & 0x1F_FFFF) as i64 - 0x10_0000;
            let e = ((h >> 24) % 61) as i32 - 30;
            exact += i128::from(m) << (e + 30);
            m as f64 * 2f64.powi(e)
        })
        .collect();
    (values, exact)
}

#[test]
fn the_same_bits_on_any_pool() {
    // Bits, not `==`: -0.0 == 0.0, but `Iterator::sum` of no `f64`s is -0.0, and the
    // blocked sum starts at 0.0.
    let empty = blocked_sum(&[], sum_block);
    assert!(
        empty.to_bits() == 0.0f64.to_bits(),
        "no values must add up to 0.0, as `blocked_sum_sequential` does, but got {empty:?}: \
         start the total at 0.0 and add the block sums to it (`Iterator::sum` of `f64`s \
         starts at -0.0, which has other bits)"
    );
    let (values, _) = values(300_000, 1);
    let expected = blocked_sum_sequential(&values);
    for threads in [1, 2, 3, 4, 8] {
        for run in 1..=3 {
            let got = in_pool(threads, || blocked_sum(&values, sum_block));
            assert!(
                got.to_bits() == expected.to_bits(),
                "run {run} on a pool of {threads} threads gave {got:e}, the sequential \
                 blocked sum is {expected:e}: add the block sums in the order of the blocks"
            );
        }
    }
}

#[test]
fn order_changes_the_answer() {
    // Everything here is sequential or order-fixed: the bits are the same on every
    // machine, so they can live in a snapshot.
    let (values, exact) = values(1_000_000, 7);
    let exact = (exact as f64) * 2f64.powi(-30); // rounded once, at the very end
    let forward = sum_block(&values);
    let reversed: Vec<f64> = values.iter().rev().copied().collect();
    let backward = sum_block(&reversed);
    let blocked = blocked_sum(&values, sum_block);
    let on_three = in_pool(3, || blocked_sum(&values, sum_block));
    assert!(
        blocked.to_bits() == on_three.to_bits(),
        "the blocked sum gave {blocked:e} here and {on_three:e} on a pool of 3 threads: \
         the bits must not depend on the pool"
    );
    let line =
        |name: &str, x: f64| format!("{name:<34} {x:>24.6}  off by {:>12.6}\n", (x - exact).abs());
    let mut table = String::from("1 000 000 values, from 1e-9 to 1e15 in size\n");
    table += &line("exact (rounded once)", exact);
    table += &line("one loop, left to right", forward);
    table += &line("one loop, right to left", backward);
    table += &line("blocks of 4096, on any pool", blocked);
    insta::assert_snapshot!(table);
}

#[test]
fn block_sums_are_added_in_the_order_of_the_blocks() {
    // Clock-free, with uneven blocks: four blocks, the first holding 1e16 and the
    // others 1.0 each, and the first block's sum finishes last (it waits until the
    // three others are done, a few seconds at most). Left to right, each 1.0 added to
    // 1e16 is lost (the spacing of doubles there is 2.0): 1e16. Added in the order
    // they finished, the three 1.0 make 3.0 first: 1e16 + 4.
    let mut values = vec![0.0; 4 * BLOCK];
    values[0] = 1e16;
    for block in 1..4 {
        values[block * BLOCK] = 1.0;
    }
    let others_done = AtomicUsize::new(0);
    let start = Instant::now();
    let total = in_pool(4, || {
        blocked_sum(&values, |block: &[f64]| {
            if block[0] == 1e16 {
                while others_done.load(Ordering::SeqCst) < 3
                    && start.elapsed() < Duration::from_secs(3)
                {
                    std::thread::sleep(Duration::from_micros(100));
                }
            } else {
                others_done.fetch_add(1, Ordering::SeqCst);
            }
            sum_block(block)
        })
    });
    let expected = blocked_sum_sequential(&values);
    assert!(
        total.to_bits() == expected.to_bits(),
        "the first block's sum was ready last, and the blocked sum gave {total:e} instead \
         of {expected:e}: the block sums were added in the order they were ready. Keep \
         them in the order of the blocks (`collect` into a Vec keeps it) and add them \
         from left to right"
    );
}

#[test]
fn every_block_once_on_several_threads() {
    // Clock-free: count the calls and the threads instead of timing them.
    let (values, _) = values(100 * BLOCK + 17, 3);
    blocked_sum(&values, sum_block); // on this thread
    let calls = AtomicUsize::new(0);
    let threads = ThreadSet::new();
    let outside = OutsideThePool::default();
    let total = in_pool(4, || {
        blocked_sum(&values, |block: &[f64]| {
            calls.fetch_add(1, Ordering::Relaxed);
            threads.record();
            outside.record();
            // A pause, so that the other threads surely wake up and take blocks too.
            std::thread::sleep(Duration::from_micros(300));
            assert!(block.len() <= BLOCK, "a block of {} values", block.len());
            sum_block(block)
        })
    });
    let expected = blocked_sum_sequential(&values);
    assert!(
        total.to_bits() == expected.to_bits(),
        "on a pool of 4 threads the blocked sum gave {total:e}, the sequential blocked sum \
         is {expected:e}: add the block sums in the order of the blocks"
    );
    outside.expect_none(101, "blocks");
    assert_eq!(
        calls.into_inner(),
        101,
        "100 full blocks and one of 17 values: `block_sum` must be called once per block"
    );
    expect_at_least(
        "threads of a 4-thread pool that summed blocks",
        threads.distinct(),
        2,
    );
}

#[test]
fn the_blocked_sum_speeds_up_with_cores() {
    let (values, _) = values(1 << 20, 11);
    let start = Instant::now();
    blocked_sum_sequential(&values);
    let once = start.elapsed().as_secs_f64().max(1e-9);
    let repeat = ((0.15 / once) as usize).clamp(1, 2_000);
    let (mut seq, mut par) = (0.0, 0.0);
    SpeedupCheck::new("summing blocks in parallel, in a fixed order")
        .pieces(test_support::cores())
        .tries(8)
        .run(
            || {
                for _ in 0..repeat {
                    seq = blocked_sum_sequential(&values);
                }
            },
            || {
                for _ in 0..repeat {
                    par = blocked_sum(&values, sum_block);
                }
            },
        );
    assert!(
        par.to_bits() == seq.to_bits(),
        "the parallel sum has other bits: {par:e} vs {seq:e}"
    );
}
