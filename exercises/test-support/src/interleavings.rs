//! Chapter 16's runner: a scenario run once per interleaving under loom's model
//! checker (the grader builds with `--cfg loom`), or a stress run on real threads
//! without it, which proves little and so reports itself as "not checked".

use crate::report::{Outcome, record};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a clean run of the scenario shows, for the report's words.
#[derive(Clone, Copy)]
pub enum Claim {
    /// Every execution gave the right answer (an ordering, a wake-up).
    Right,
    /// No execution deadlocked (a lock order).
    NoDeadlock,
}

/// Runs `scenario` once per interleaving under loom (`stress_runs` times on real
/// threads without it), and reports how many executions that was under the check
/// `what`. `exercise` is the `NN/MM` that the stress run's report sends to `cargo
/// xtask check`, which runs loom. A failing interleaving panics inside `scenario`
/// (loom says which), failing the test.
pub fn every_interleaving(
    what: &str,
    exercise: &str,
    claim: Claim,
    stress_runs: usize,
    scenario: impl Fn() + Sync + Send + 'static,
) {
    // std's Arc, not loom's: this counter lives outside the model.
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let body = move || {
        counter.fetch_add(1, Ordering::Relaxed);
        scenario();
    };
    let runs = move || runs.load(Ordering::Relaxed);
    #[cfg(loom)]
    {
        let _ = (exercise, stress_runs);
        loom::model(body);
        let bound = std::env::var("LOOM_MAX_PREEMPTIONS")
            .map(|n| format!("{n} preemptions at most"))
            .unwrap_or_else(|_| "no bound on preemptions".to_string());
        let detail = match (claim, runs()) {
            (Claim::Right, 1) => format!("right in the only execution loom had to try ({bound})"),
            (Claim::Right, n) => format!("right in all {n} executions loom tried ({bound})"),
            (Claim::NoDeadlock, 1) => {
                format!("no deadlock in the only execution loom had to try ({bound})")
            }
            (Claim::NoDeadlock, n) => {
                format!("no deadlock in any of the {n} executions loom tried ({bound})")
            }
        };
        record(what, Outcome::Passed, &detail);
    }
    #[cfg(not(loom))]
    {
        for _ in 0..stress_runs {
            body();
        }
        let claim = match claim {
            Claim::Right => "right",
            Claim::NoDeadlock => "no deadlock",
        };
        record(
            what,
            Outcome::NotChecked,
            &format!(
                "{claim} in {} runs on real threads, which proves little: a model checker \
                 must try every interleaving (`cargo xtask check {exercise}` runs loom)",
                runs()
            ),
        );
    }
}
