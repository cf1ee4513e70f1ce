//! Given, not part of the exercise: a workload with a serial part that no thread
//! can share, followed by a parallel part split evenly among `threads` threads.

use std::hint::black_box;

/// How much work each part holds, in steps of the kernel below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Steps that run on the calling thread alone, before the parallel part.
    pub serial_steps: u64,
    /// Steps shared evenly among the threads.
    pub parallel_steps: u64,
}

impl Job {
    /// The share of the work that is serial, between 0 and 1.
    pub fn serial_fraction(&self) -> f64 {
        let total = self.serial_steps + self.parallel_steps;
        if total == 0 {
            0.0
        } else {
            self.serial_steps as f64 / total as f64
        }
    }
}

/// The kernel: `steps` steps of an integer hash, never inlined, so that every part
/// and every thread runs the same machine code.
#[inline(never)]
pub fn crunch(steps: u64) -> u64 {
    let mut x = black_box(steps) ^ 0x9E37_79B9_7F4A_7C15;
    for i in 0..black_box(steps) {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9).wrapping_add(i);
    }
    black_box(x)
}

/// Runs `job`: first its serial part on the calling thread, then its parallel part
/// split into `threads` equal shares on scoped threads (at least one).
pub fn run(job: Job, threads: usize) -> u64 {
    let threads = threads.max(1) as u64;
    let serial = crunch(job.serial_steps);
    let share = job.parallel_steps / threads;
    let parallel = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(move || crunch(share)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a share panicked"))
            .fold(0, u64::wrapping_add)
    });
    serial.wrapping_add(parallel)
}
