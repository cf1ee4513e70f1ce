//! What became of one exercise ([`Status`]), and how a test run and its reports
//! decide it ([`judge`]).

use super::libtest::{TODO_PREFIX, TestRun};
use std::time::Duration;

/// What became of one exercise.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Every test passed and every check ran. `figures` are the measured values
    /// beside the thresholds they were held to.
    Passed {
        figures: Vec<String>,
    },
    /// Every test passed, but some checks could not run here.
    NotChecked {
        reasons: Vec<String>,
        figures: Vec<String>,
    },
    /// A test failed: its name and its first failing expectation in plain words.
    Failed {
        test: String,
        message: String,
    },
    /// Every failing test hit a `todo!()` and none passed.
    NotStarted {
        todo: String,
    },
    /// The exercise ships with a bug to fix, and the files the learner edits are still
    /// as shipped: its failure is the course's, not the learner's.
    ToFix {
        failure: String,
    },
    /// Tests, snapshots or given files differ from what shipped: whatever the tests
    /// say, it is not the course's verdict. Never counted as passed.
    Modified {
        files: Vec<String>,
        advice: String,
    },
    CompileError {
        error: String,
    },
    /// Killed after the wall-clock limit.
    TimedOut {
        limit: Duration,
        test: Option<String>,
    },
    /// The exercise (or its solution, or the student's copy) is not there.
    Missing {
        what: String,
    },
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Passed { .. } => "passed",
            Status::NotChecked { .. } => "not checked",
            Status::Failed { .. } => "failed",
            Status::NotStarted { .. } | Status::ToFix { .. } => "not started",
            Status::Modified { .. } => "modified",
            Status::CompileError { .. } => "compile error",
            Status::TimedOut { .. } => "timed out",
            Status::Missing { .. } => "missing",
        }
    }

    /// The status in one plain line, without the label.
    pub fn message(&self) -> String {
        match self {
            Status::Passed { figures } => figures.join("; "),
            Status::NotChecked { reasons, .. } => reasons.join("; "),
            Status::Failed { test, message } if test.is_empty() => message.clone(),
            Status::Failed { test, message } => format!("{test}: {message}"),
            Status::NotStarted { todo } => format!("still todo!(): {todo}"),
            Status::ToFix { failure } => {
                format!("the code ships with a bug for you to fix: {failure}")
            }
            Status::Modified { files, advice } => {
                format!(
                    "not graded: {} differ from the course's; {advice}",
                    files.join(", ")
                )
            }
            Status::CompileError { error } => error.clone(),
            Status::TimedOut { limit, test } => format!(
                "killed after {}s{}: a deadlock or an endless loop is likely",
                limit.as_secs(),
                test.as_ref()
                    .map(|t| format!(" in `{t}`"))
                    .unwrap_or_default()
            ),
            Status::Missing { what } => what.clone(),
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Status::Passed { .. })
    }

    /// Passed, or nothing failed and only some checks could not run here.
    pub fn is_pass_or_not_checked(&self) -> bool {
        matches!(self, Status::Passed { .. } | Status::NotChecked { .. })
    }
}

/// One check reported by `test-support` through the `WOW_REPORT` file: the very type
/// that the tests write, read back with serde.
pub type Report = test_support::report::Record;
pub use test_support::Outcome;

/// Turns a test run and its reports into a status.
pub fn judge(run: &TestRun, reports: &[Report], limit: Duration) -> Status {
    if run.timed_out {
        return Status::TimedOut {
            limit,
            test: run.unfinished.clone(),
        };
    }
    let failed: Vec<&String> = run
        .results
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| n)
        .collect();
    let passed = run.passed();
    if let Some(crash) = &run.crashed {
        let during = run
            .unfinished
            .as_ref()
            .map(|t| format!(" during `{t}`"))
            .unwrap_or_default();
        return Status::Failed {
            test: run.unfinished.clone().unwrap_or_default(),
            message: format!("{crash}{during}"),
        };
    }
    if !failed.is_empty() {
        let message_of = |name: &String| run.failures.get(name).cloned().unwrap_or_default();
        let all_todo = failed
            .iter()
            .all(|n| message_of(n).starts_with(TODO_PREFIX));
        if all_todo && passed == 0 {
            let todo = message_of(failed[0]);
            let todo = todo
                .strip_prefix(TODO_PREFIX)
                .map(|t| t.trim_start_matches(':').trim())
                .unwrap_or("")
                .to_string();
            return Status::NotStarted { todo };
        }
        // Prefer a real failure over a leftover `todo!()`, and a clock-free one (a
        // count of jobs in flight, a wrong answer) over a timing one: it is clearer,
        // and it holds on any machine.
        let failed_on_time = |name: &String| {
            reports
                .iter()
                .any(|r| r.test == *name && r.timing && r.outcome == Outcome::Failed)
        };
        let first = failed
            .iter()
            .filter(|n| !message_of(n).starts_with(TODO_PREFIX))
            .min_by_key(|n| failed_on_time(n))
            .unwrap_or(&failed[0]);
        return Status::Failed {
            test: (*first).clone(),
            message: message_of(first),
        };
    }
    if run.results.is_empty() {
        return Status::Failed {
            test: String::new(),
            message: "no tests ran: were the tests deleted?".to_string(),
        };
    }
    // Every failed check panics its test, so a failed report beside passing tests
    // means a report the grader could not read (or a test that caught the panic):
    // never a pass.
    if let Some(r) = reports.iter().find(|r| r.outcome == Outcome::Failed) {
        return Status::Failed {
            test: r.test.clone(),
            message: format!("{}: {}", r.check, r.detail),
        };
    }
    let figures: Vec<String> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .map(|r| format!("{}: {}", r.check, r.detail))
        .collect();
    let reasons: Vec<String> = reports
        .iter()
        .filter_map(|r| match r.outcome {
            Outcome::NotChecked => Some(format!("{}: {}", r.check, r.detail)),
            // Put off to a timed pass that did not run it (a check recorded from a
            // thread not named after its test): never timed, so never a pass.
            Outcome::Deferred => Some(format!(
                "{}: not timed (the grader's timing pass could not find the test `{}`)",
                r.check, r.test
            )),
            _ => None,
        })
        .collect();
    if reasons.is_empty() {
        Status::Passed { figures }
    } else {
        Status::NotChecked { reasons, figures }
    }
}
