//! The reference CPU kernel: the same compiled function is called by the sequential
//! and the parallel side of every comparison, so the ratio measures cores, not the
//! optimiser.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Burns CPU for `steps` steps of an integer hash and returns the result (so that it
/// cannot be optimised away). Never inlined: every caller runs the same machine code.
#[inline(never)]
pub fn spin(steps: u64) -> u64 {
    let mut x = black_box(steps) ^ 0x9E37_79B9_7F4A_7C15;
    for i in 0..black_box(steps) {
        // xorshift-multiply: cheap, serial, impossible to vectorise away.
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9).wrapping_add(i);
    }
    black_box(x)
}

/// How many `spin` steps take about `target` on this machine, measured now.
///
/// The per-step cost is the fastest of three timings: another program can only make
/// a timing slower, never faster, so the minimum is the machine's own speed.
pub fn steps_for(target: Duration) -> u64 {
    let mut steps: u64 = 1 << 16;
    loop {
        let start = Instant::now();
        spin(steps);
        let took = start.elapsed();
        if took >= Duration::from_millis(5) || steps >= 1 << 40 {
            let fastest = (0..3)
                .map(|_| {
                    let start = Instant::now();
                    spin(steps);
                    start.elapsed()
                })
                .chain([took])
                .min()
                .expect("four timings");
            let per_step = fastest.as_secs_f64() / steps as f64;
            return ((target.as_secs_f64() / per_step) as u64).max(1);
        }
        steps *= 4;
    }
}

/// The machine's spare capacity right now for `threads` CPU-bound threads: the time to
/// run `threads` kernels one after the other, divided by the time to run them on
/// `threads` threads at once. About `threads` on a quiet machine, near 1.0 on one core
/// or when other processes use the other cores.
///
/// Each side is timed twice and the faster timing kept: other programs (and a new
/// thread that starts on a busy core before it migrates) only ever add time.
pub fn capacity(threads: usize, steps: u64) -> f64 {
    let threads = threads.max(1);
    let sequential = crate::best_of(2, || {
        for _ in 0..threads {
            spin(steps);
        }
    });
    let parallel = crate::best_of(2, || {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| spin(steps));
            }
        });
    });
    sequential.as_secs_f64() / parallel.as_secs_f64().max(1e-9)
}
