//! # 09/02 Granularity: tasks big enough to pay for themselves
//!
//! Every task costs something to create, hand over and collect, even a cheap one
//! like `rayon::join`. A task that does less work than that costs more than it
//! saves: split a job into single items and the parallel version runs *slower* than
//! the sequential loop. Split until the pieces are big enough, then stop.
//!
//! Book: `book/src/ch09-why-speedup-stops/granularity.md`

use std::hint::black_box;
use std::ops::Range;

/// The smallest piece worth a task of its own: tens of microseconds of `score`,
/// a thousand times the cost of a `rayon::join`.
pub const MIN_LEAF: u64 = 1 << 16;

/// Given: the work for a range of indices: a cheap hash of each index, added up
/// (wrapping). Never inlined, input and output through `black_box`, so every
/// variant runs the same machine code.
#[inline(never)]
pub fn score(range: Range<u64>) -> u64 {
    let range = black_box(range);
    let mut total: u64 = 0;
    for i in range {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 31;
        total = total.wrapping_add(x);
    }
    black_box(total)
}

/// Given, the slow version: splits the range in halves with `rayon::join` all the
/// way down to single indices. Correct, and slower than a plain loop: each index
/// does a few nanoseconds of work and pays for a task of its own.
pub fn split_to_single_items<F>(range: Range<u64>, leaf: &F) -> u64
where
    F: Fn(Range<u64>) -> u64 + Sync,
{
    if range.end - range.start <= 1 {
        return leaf(range);
    }
    let mid = range.start + (range.end - range.start) / 2;
    let (a, b) = rayon::join(
        || split_to_single_items(range.start..mid, leaf),
        || split_to_single_items(mid..range.end, leaf),
    );
    a.wrapping_add(b)
}

/// Adds up (wrapping) `leaf(piece)` over pieces that cover `range` exactly once,
/// computing the pieces in parallel with `rayon::join`.
///
/// The rule for splitting: a range of at least `2 * MIN_LEAF` indices is split into
/// two halves at `start + len / 2`, and each half is handled the same way; a shorter
/// range is a leaf and goes to `leaf` in one call. So every leaf holds at least
/// `MIN_LEAF` indices (unless `range` itself is shorter), and `leaf` is called once
/// for an empty or short range.
pub fn split_and_join<F>(range: Range<u64>, leaf: &F) -> u64
where
    F: Fn(Range<u64>) -> u64 + Sync,
{
    // TODO: start from `split_to_single_items` above and change when it stops
    // splitting: below 2 * MIN_LEAF indices, call `leaf` on the whole range.
    let _ = (range, leaf);
    todo!("split in halves with rayon::join, but only down to MIN_LEAF indices")
}
