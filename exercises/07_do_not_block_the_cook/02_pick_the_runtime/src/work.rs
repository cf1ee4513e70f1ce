//! Given code: a CPU-bound computation. You do not need to edit this file.

use std::hint::black_box;

/// CPU work: `steps` rounds of integer hashing. It keeps the calling thread busy the
/// whole time and never waits.
#[inline(never)]
pub fn checksum(steps: u64) -> u64 {
    let mut x = black_box(steps) ^ 0x9E37_79B9_7F4A_7C15;
    for i in 0..black_box(steps) {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9).wrapping_add(i);
    }
    black_box(x)
}
