//! # 10/02 Floating-point order: the same bits on any number of threads
//!
//! Floating-point addition is not associative: `(a + b) + c` and `a + (b + c)` can
//! differ in the last bits, or by far more when the values have very different
//! sizes. A parallel sum adds in a different order from the sequential loop, and
//! rayon's `sum` adds in an order that depends on how its threads happened to split
//! the work. To get the same bits on any number of threads, fix the order yourself:
//! cut the values into blocks of `BLOCK`, sum each block from left to right (that
//! part can run in parallel), then add the block sums from left to right.
//!
//! Book: `book/src/ch10-parallel-correctness/floats.md`

use rayon::prelude::*;
use std::hint::black_box;

/// How many values each block holds: the unit of parallel work.
pub const BLOCK: usize = 4096;

/// Given: the sum of one block, from left to right, starting at 0.0. Never inlined,
/// input and output through `black_box`, so every variant runs the same machine code.
#[inline(never)]
pub fn sum_block(values: &[f64]) -> f64 {
    let values = black_box(values);
    let mut total = 0.0;
    for &v in values {
        total += v;
    }
    black_box(total)
}

/// Given: the blocked sum on one thread. This fixes the order of every addition:
/// each block from left to right, then the block sums from left to right.
pub fn blocked_sum_sequential(values: &[f64]) -> f64 {
    let mut total = 0.0;
    for block in values.chunks(BLOCK) {
        total += sum_block(block);
    }
    total
}

/// Given, for comparison: rayon's own parallel sum. Fast, but the order of its
/// additions depends on how the work was split, so its last bits can change with the
/// number of threads, and from one run to the next.
pub fn rayon_sum(values: &[f64]) -> f64 {
    values.par_iter().sum()
}

/// The blocked sum, in parallel, bit for bit equal to `blocked_sum_sequential` on
/// any number of threads: `block_sum` is called once on each block of `BLOCK` values
/// (the last block may be shorter), the blocks in parallel, and then the block sums
/// are added from left to right, starting at 0.0. The blocks run on the rayon pool it
/// is called in (the global one, or the one a caller `install`ed), never on a pool or
/// threads of its own.
pub fn blocked_sum<F>(values: &[f64], block_sum: F) -> f64
where
    F: Fn(&[f64]) -> f64 + Sync + Send,
{
    // TODO: `values.par_chunks(BLOCK).map(&block_sum)` sums the blocks in parallel;
    // `collect` them into a `Vec<f64>` (a parallel collect keeps the order of the
    // blocks), then add that Vec up from left to right on this thread.
    let _ = (values, block_sum);
    todo!("sum the blocks in parallel, then add the block sums in order")
}
