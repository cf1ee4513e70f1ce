//! Test support for the Wait or Work exercises.
//!
//! Every timing claim in the course is checked the same way (see `README.md`):
//!
//! * the sequential and the concurrent or parallel variant are timed **in the same
//!   run**, and only their ratio is judged, never an absolute time;
//! * a speedup is held to a fraction of the machine's **spare capacity**, measured
//!   right beside the learner's code with a reference kernel ([`kernel`]);
//! * each check is tried a few times and the best try is kept;
//! * when the machine cannot tell parallel from sequential (one core, or a busy
//!   machine), the outcome is **not checked**, never a pass ([`Outcome::NotChecked`]);
//! * every timing claim has a structural twin that does not look at the clock
//!   ([`probe::Gauge`], [`probe::ThreadSet`]).
//!
//! Outcomes are printed for a human and, when the grader sets `WOW_REPORT`, appended
//! to that file as one JSON object per line ([`report`]).

pub mod interleavings;
pub mod kernel;
pub mod limits;
pub mod load;
pub mod net;
pub mod panics;
pub mod pools;
pub mod probe;
pub mod report;
pub mod timeline;
pub mod timing;
pub mod watchdog;

pub use kernel::spin;
pub use probe::{Gauge, ThreadSet};
pub use report::Outcome;
pub use timing::{RatioCheck, SpeedupCheck, best_of, time};

/// How many threads this process may run at once (`available_parallelism`), at least 1.
///
/// `WOW_CORES` overrides it, so that the grader's own tests can pretend to be a
/// one-core machine; `taskset` is honoured by `available_parallelism` itself.
pub fn cores() -> usize {
    if let Some(n) = std::env::var("WOW_CORES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Asserts a structural fact (one that does not depend on the clock) and reports it.
///
/// `what` says in plain words what was counted, e.g. `"jobs in flight at once"`.
#[track_caller]
pub fn expect_at_least(what: &str, measured: usize, needed: usize) {
    let detail = format!("{measured}, needed at least {needed}");
    let figure =
        |outcome| report::record_figure(what, outcome, &detail, measured as f64, needed as f64);
    if measured >= needed {
        figure(Outcome::Passed);
    } else {
        figure(Outcome::Failed);
        panic!("expected at least {needed} {what}, but saw {measured}");
    }
}

/// Asserts a structural upper bound and reports it, e.g. a pool that must never open
/// more than `needed` connections at once.
#[track_caller]
pub fn expect_at_most(what: &str, measured: usize, limit: usize) {
    let detail = format!("{measured}, allowed at most {limit}");
    let figure =
        |outcome| report::record_figure(what, outcome, &detail, measured as f64, limit as f64);
    if measured <= limit {
        figure(Outcome::Passed);
    } else {
        figure(Outcome::Failed);
        panic!("expected at most {limit} {what}, but saw {measured}");
    }
}
