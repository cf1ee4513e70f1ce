//! Given code: two blocking functions, as you find them in libraries that know nothing
//! about async. You do not need to edit this file.

use std::hint::black_box;
use std::time::Duration;

/// A lookup through a synchronous driver (a database client, a file read): it holds
/// the calling thread for `takes`, then answers.
pub fn legacy_lookup(key: u64, takes: Duration) -> u64 {
    std::thread::sleep(takes);
    key * key + 1
}

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
