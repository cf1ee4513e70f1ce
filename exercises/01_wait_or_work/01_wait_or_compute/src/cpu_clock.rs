//! Given, not part of the exercise: the CPU time of the calling thread.
//!
//! The standard library has a wall clock (`Instant`) but no CPU clock, so this module
//! asks the operating system (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`).

use std::time::Duration;

/// How much CPU time the calling thread has used since it started.
///
/// Unlike the wall clock, this clock stops while the thread sleeps or waits for I/O.
#[cfg(unix)]
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant that
    // every supported Unix provides.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(unix))]
pub fn thread_cpu_time() -> Duration {
    unimplemented!("the thread CPU clock is only wired up for Unix-like systems here")
}
