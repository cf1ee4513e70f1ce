//! Tests for 01/02, in a test binary of their own: a job that panics must make
//! `run_on_threads` panic too. Run them with `cargo xtask check 01/02`.
//!
//! The job panics on purpose, so this binary's panic hook keeps quiet about that one
//! panic: the only test here is the one that expects it, and any other panic is
//! shown as usual.

use ex01_02_four_jobs::{Job, run_on_threads};

const JOBS: usize = 4;

/// The message of the panic the test plants in a job.
const PLANTED: &str = "job 1 panicked on purpose (the test expects it)";

#[test]
fn a_panicking_job_makes_run_on_threads_panic() {
    test_support::panics::quiet_about(PLANTED);
    // The second job panics; the others finish. A result left out would shift the
    // rest: the caller must hear of the panic, not get three results for four jobs.
    let panicked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let jobs: Vec<Job<usize>> = (0..JOBS)
        .map(|i| {
            let panicked = panicked.clone();
            Box::new(move || {
                if i == 1 {
                    panicked.store(true, std::sync::atomic::Ordering::SeqCst);
                    panic!("{PLANTED}");
                }
                i
            }) as Job<usize>
        })
        .collect();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_on_threads(jobs)));
    match outcome {
        Ok(results) => panic!(
            "one of the 4 jobs panicked, but `run_on_threads` returned {results:?} instead of \
             panicking too: `join` returns `Err` for a job that panicked; pass it on \
             (`std::panic::resume_unwind`) instead of leaving that result out"
        ),
        // A panic before the job ran is not the job's (a `todo!()`, say): let it through.
        Err(other) if !panicked.load(std::sync::atomic::Ordering::SeqCst) => {
            std::panic::resume_unwind(other)
        }
        Err(_) => {}
    }
}
