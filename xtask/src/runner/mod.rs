//! Compiles exercises and runs their tests as child processes under a wall-clock
//! limit, then turns what happened into one [`Status`] per exercise.
//!
//! Compiling goes through one `cargo test --no-run --message-format=json` for all
//! selected exercises (so cargo builds them in parallel and tells which package an
//! error belongs to). Each test executable then runs on its own, one at a time (timing
//! tests must not compete with each other), in its own process group, which is killed
//! whole when the limit is reached or the tests end: nothing is left behind.

mod compile;
mod libtest;
mod loom;
mod passes;
pub mod pipeline;
mod process;
mod status;
#[cfg(test)]
mod tests;

pub use compile::cargo;
pub use libtest::TODO_PREFIX;
pub use loom::configure_cargo as configure_loom;
pub use process::{kill_group, spawn_in_group};
pub use status::{Outcome, Report, Status};

use crate::course::{Course, Exercise};
use anyhow::Result;
use compile::{Compiled, Priority, compile_all};
use passes::PackageRun;
use status::judge;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The result of grading one exercise.
#[derive(Clone, Debug)]
pub struct Graded {
    pub exercise: Exercise,
    pub status: Status,
    /// Every check the tests reported, in order.
    pub reports: Vec<Report>,
    pub tests_passed: usize,
    pub tests_total: usize,
    pub duration: Duration,
}

impl Graded {
    /// An exercise given a status without running its tests (missing, modified).
    pub fn without_running(exercise: Exercise, status: Status) -> Graded {
        Graded {
            exercise,
            status,
            reports: Vec::new(),
            tests_passed: 0,
            tests_total: 0,
            duration: Duration::ZERO,
        }
    }
}

/// How to run the tests.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Wall-clock limit for all the tests of one exercise; `None` takes the
    /// exercise's own `timeout-seconds` (see [`exercise_timeout`]) or 60 s.
    pub timeout: Option<Duration>,
    /// Print the tests' own output.
    pub verbose: bool,
    /// Extra environment for the test processes (the grader's tests use it).
    pub env: Vec<(String, String)>,
    /// Record the spans of the clock-free pass for a timeline picture
    /// (`WOW_TIMELINE`, written to [`crate::timeline::spans_file`]).
    pub timeline: bool,
}

/// Where the packages to grade live: a workspace manifest and, for each exercise, its
/// folder in that workspace.
pub struct Batch {
    pub manifest: PathBuf,
    pub packages: Vec<(Exercise, PathBuf)>,
    /// A name for the report folder (`exercises`, `solutions`, ...).
    pub name: String,
    /// Exercises (by `rel`) of which one test runs, not all: `verify` runs a wrong
    /// answer's `rejected-by` test only.
    pub one_test: BTreeMap<PathBuf, String>,
}

/// Compiles and runs every package of the batch; statuses in the batch's order.
pub fn grade(course: &Course, batch: &Batch, options: &RunOptions) -> Result<Vec<Graded>> {
    if batch.packages.is_empty() {
        return Ok(Vec::new());
    }
    eprintln!(
        "compiling {} exercise{} ({})...",
        batch.packages.len(),
        if batch.packages.len() == 1 { "" } else { "s" },
        batch.name
    );
    let compiled = compile_all(course, batch, Priority::Normal)?;
    let total = batch.packages.len();
    let mut graded = Vec::new();
    for (i, (exercise, dir)) in batch.packages.iter().enumerate() {
        progress(
            i,
            total,
            &format!("testing {} {}", exercise.id(), exercise.slug),
        );
        let tested = Tested::first_pass(course, batch, exercise, dir, compiled.get(dir), options)?;
        graded.push(tested.finish()?);
    }
    progress(total, total, "done");
    Ok(graded)
}

/// One exercise of a batch after its clock-free pass: decided, or waiting for its
/// timing pass.
struct Tested {
    exercise: Exercise,
    /// The time the clock-free pass took.
    spent: Duration,
    outcome: TestedOutcome,
}

enum TestedOutcome {
    Decided(Status),
    Ran(Box<Ran>),
}

struct Ran {
    first: passes::FirstPass,
    package: PackageRun,
}

impl Tested {
    /// Runs the clock-free pass of one exercise (nothing when it did not compile).
    fn first_pass(
        course: &Course,
        batch: &Batch,
        exercise: &Exercise,
        dir: &Path,
        compiled: Option<&Compiled>,
        options: &RunOptions,
    ) -> Result<Tested> {
        let started = Instant::now();
        let decided = |status| Tested {
            exercise: exercise.clone(),
            spent: started.elapsed(),
            outcome: TestedOutcome::Decided(status),
        };
        let executables = match compiled {
            Some(Compiled::Error(error)) => {
                return Ok(decided(Status::CompileError {
                    error: error.clone(),
                }));
            }
            None => {
                return Ok(decided(Status::CompileError {
                    error: "not built: cargo stopped before reaching this exercise".to_string(),
                }));
            }
            Some(Compiled::Executables(executables)) => executables.clone(),
        };
        let reports_dir = course.scratch_dir().join("reports").join(&batch.name);
        std::fs::create_dir_all(&reports_dir)?;
        let report_file = reports_dir.join(format!("{}.jsonl", exercise.package));
        let workspace_root = batch
            .manifest
            .parent()
            .unwrap_or(&course.root)
            .to_path_buf();
        let limit = options
            .timeout
            .unwrap_or_else(|| exercise_timeout(exercise));
        let package = PackageRun {
            executables,
            package_dir: dir.to_path_buf(),
            workspace_root,
            report_file,
            limit,
            options: loom::run_options(exercise, options).into_owned(),
            one_test: batch.one_test.get(&exercise.rel).cloned(),
        };
        let first = passes::first_pass(&package)?;
        Ok(Tested {
            exercise: exercise.clone(),
            spent: started.elapsed(),
            outcome: TestedOutcome::Ran(Box::new(Ran { first, package })),
        })
    }

    /// Whether a timing pass is still to run.
    fn needs_timing(&self) -> bool {
        matches!(&self.outcome, TestedOutcome::Ran(ran) if !ran.first.deferred.is_empty())
    }

    fn exercise(&self) -> &Exercise {
        &self.exercise
    }

    /// Runs the timing pass if one is due (the machine should be quiet), and judges.
    fn finish(self) -> Result<Graded> {
        let restarted = Instant::now();
        let (status, reports, tests_passed, tests_total) = match self.outcome {
            TestedOutcome::Decided(status) => (status, Vec::new(), 0, 0),
            TestedOutcome::Ran(ran) => {
                let Ran { first, package } = *ran;
                let limit = package.limit;
                let (run, reports) = passes::timing_pass(&package, first)?;
                let status = loom::in_plain_words(&self.exercise, judge(&run, &reports, limit));
                let (passed, total) = (run.passed(), run.results.len());
                (status, reports, passed, total)
            }
        };
        Ok(Graded {
            exercise: self.exercise,
            status,
            reports,
            tests_passed,
            tests_total,
            duration: self.spent + restarted.elapsed(),
        })
    }
}

/// One progress line per exercise on stderr: a bar redrawn in place in a terminal,
/// plain `[3/26] testing ...` lines otherwise (logs, CI, the tool's own tests).
pub(super) fn progress(done: usize, total: usize, what: &str) {
    use std::io::{IsTerminal, Write};
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let width = 20;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} {what}\x1b[K{}",
            "#".repeat(filled),
            ".".repeat(width - filled),
            if done == total { "\n" } else { "" }
        );
        let _ = err.flush();
    } else if done < total {
        let _ = writeln!(err, "[{}/{total}] {what}...", done + 1);
    }
}

/// The default wall-clock limit for an exercise's tests.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// An exercise may set its own limit in its `Cargo.toml`:
///
/// ```toml
/// [package.metadata.wait-or-work]
/// timeout-seconds = 15   # the shipped version deadlocks: do not wait 60 s for it
/// ```
pub fn exercise_timeout(exercise: &Exercise) -> Duration {
    exercise
        .manifest
        .as_ref()
        .and_then(|m| m.timeout_seconds)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// The reports of one test run. A line that does not parse is a failed check of its
/// own, never dropped: a report the grader cannot read must not let a run pass.
pub(super) fn read_reports(path: &Path) -> Vec<Report> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| Report {
                test: String::new(),
                check: "the tests' report".to_string(),
                outcome: Outcome::Failed,
                detail: format!("a report line the grader cannot read ({e}): {l}"),
                measured: None,
                needed: None,
                capacity: None,
                timing: false,
            })
        })
        .collect()
}
