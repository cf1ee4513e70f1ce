//! The grader's clock-free pass (`WOW_TIMING=later`): a timing check runs each of its
//! variants exactly once (so the structural probes inside them see the work), times
//! nothing, and reports "deferred", never passed. A file of its own: the variable
//! is set for this whole test process.

use std::cell::Cell;
use test_support::timing::{LATER_VAR, defer, later};
use test_support::{Outcome, RatioCheck, SpeedupCheck};

#[test]
fn timing_checks_run_each_variant_once_and_defer() {
    // SAFETY: set before any thread of this test process reads the environment.
    unsafe { std::env::set_var(LATER_VAR, "later") };
    assert!(later());

    let (slow, fast) = (Cell::new(0), Cell::new(0));
    let checked = SpeedupCheck::new("a check deferred")
        .tries(5)
        .run(|| slow.set(slow.get() + 1), || fast.set(fast.get() + 1));
    assert_eq!(checked.outcome, Outcome::Deferred);
    assert_eq!((slow.get(), fast.get()), (1, 1), "each variant runs once");

    let (slow, fast) = (Cell::new(0), Cell::new(0));
    let checked = RatioCheck::new("a ratio deferred", 2.0)
        .run(|| slow.set(slow.get() + 1), || fast.set(fast.get() + 1));
    assert_eq!(checked.outcome, Outcome::Deferred);
    assert_eq!((slow.get(), fast.get()), (1, 1), "each variant runs once");

    // A test's own timing claim asks, and is told to skip its measurement.
    assert!(defer("a claim of the test's own"));
}
