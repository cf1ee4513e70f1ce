//! Clock-free checks first, timing checks second.
//!
//! The first pass runs every test with `WOW_TIMING=later`: a timing check in it runs
//! its variants once (so that the structural probes inside them still see the work)
//! and reports "deferred" instead of timing them. A failure there (a wrong answer, a
//! count of jobs in flight, a snapshot) is the verdict, seconds sooner than a run
//! that also times everything. Only when the first pass passes does the second run
//! the tests that deferred a check, by name, with their clocks. The verdict is the
//! same as one full run's: a clock-free failure is preferred over a timing one in
//! any case (see `status::judge`).
//!
//! `check` runs the timing pass right after the first; `verify` runs every first pass
//! while the next batch compiles, and the timing passes at the end, on a quiet
//! machine (see `pipeline`).

use super::libtest::TestRun;
use super::process::run_tests;
use super::status::{Outcome, Report, judge};
use super::{RunOptions, read_reports};
use anyhow::Result;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which pass a test process belongs to.
pub(super) enum Pass<'a> {
    /// Every test, or only the one named; timing checks deferred.
    ClockFree(Option<&'a str>),
    /// Only these tests (exact names), timed.
    Timing(Vec<String>),
}

/// What the tests of one exercise run from, and within what limit.
pub(super) struct PackageRun {
    pub executables: Vec<PathBuf>,
    pub package_dir: PathBuf,
    pub workspace_root: PathBuf,
    /// Where the merged reports end up.
    pub report_file: PathBuf,
    /// For both passes together.
    pub limit: Duration,
    /// The exercise's own (a loom exercise's have its bounds).
    pub options: RunOptions,
    /// Only this test, not all (the others are not run at all). Should it pass, the
    /// first pass runs every test after all (`first_pass`).
    pub one_test: Option<String>,
}

/// The clock-free pass, and whether a timing pass must follow it.
pub(super) struct FirstPass {
    pub run: TestRun,
    pub reports: Vec<Report>,
    /// The tests to run again with their clocks; empty when the first pass decided.
    pub deferred: Vec<String>,
    /// A test failed (or the run timed out or crashed): that is the verdict.
    pub failed: bool,
    pub elapsed: Duration,
}

/// Every test, timing checks deferred. A failure here is the verdict. A package with
/// `one_test` runs that test first; should it pass, every test runs after all, so
/// that the verdict is never weaker than a full run's. Both share the limit.
pub(super) fn first_pass(package: &PackageRun) -> Result<FirstPass> {
    let started = Instant::now();
    if let Some(test) = &package.one_test {
        let first = clock_free(package, Some(test), package.limit, started)?;
        if first.failed {
            return Ok(first);
        }
    }
    let left = package.limit.saturating_sub(started.elapsed());
    clock_free(package, None, left, started)
}

/// One clock-free run of the tests (`only` that one, if named), from empty reports.
fn clock_free(
    package: &PackageRun,
    only: Option<&str>,
    limit: Duration,
    started: Instant,
) -> Result<FirstPass> {
    let _ = std::fs::remove_file(&package.report_file);
    let _ = std::fs::remove_file(package.report_file.with_extension("timeline.jsonl"));
    let run = run_tests(package, &package.report_file, limit, &Pass::ClockFree(only))?;
    let reports = read_reports(&package.report_file);
    let mut deferred = deferred_tests(&reports);
    let failed = !judge(&run, &reports, package.limit).is_pass_or_not_checked();
    if failed {
        deferred.clear();
    }
    Ok(FirstPass {
        run,
        reports,
        deferred,
        failed,
        elapsed: started.elapsed(),
    })
}

/// The tests that deferred a timing check, run again with their clocks (nothing when
/// none did), merged into the first pass. The machine should be quiet meanwhile.
pub(super) fn timing_pass(
    package: &PackageRun,
    first: FirstPass,
) -> Result<(TestRun, Vec<Report>)> {
    if first.deferred.is_empty() {
        return Ok((first.run, first.reports));
    }
    let timing_file = package.report_file.with_extension("timing.jsonl");
    let _ = std::fs::remove_file(&timing_file);
    let second = run_tests(
        package,
        &timing_file,
        package.limit.saturating_sub(first.elapsed),
        &Pass::Timing(first.deferred.clone()),
    )?;
    let second_reports = read_reports(&timing_file);
    let (run, reports) = merge(
        first.run,
        first.reports,
        second,
        second_reports,
        &first.deferred,
    );
    let lines: String = reports.iter().map(|r| r.to_json_line() + "\n").collect();
    let _ = std::fs::write(&package.report_file, lines);
    Ok((run, reports))
}

/// The tests that deferred a timing check, each once, in the order they ran.
fn deferred_tests(reports: &[Report]) -> Vec<String> {
    let mut tests: Vec<String> = Vec::new();
    for r in reports.iter().filter(|r| r.outcome == Outcome::Deferred) {
        if !tests.contains(&r.test) {
            tests.push(r.test.clone());
        }
    }
    tests
}

/// The first pass with the tests that ran again replaced by their second run.
fn merge(
    mut first: TestRun,
    first_reports: Vec<Report>,
    second: TestRun,
    second_reports: Vec<Report>,
    rerun: &[String],
) -> (TestRun, Vec<Report>) {
    let again = |name: &String| rerun.contains(name);
    first.results.retain(|(name, _)| !again(name));
    first.results.extend(second.results);
    first.failures.retain(|name, _| !again(name));
    first.failures.extend(second.failures);
    first.timed_out = second.timed_out;
    first.unfinished = second.unfinished;
    first.crashed = second.crashed;
    let mut reports: Vec<Report> = first_reports
        .into_iter()
        .filter(|r| !again(&r.test))
        .collect();
    reports.extend(second_reports);
    (first, reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(test: &str, check: &str, outcome: Outcome) -> Report {
        Report {
            test: test.into(),
            check: check.into(),
            outcome,
            detail: String::new(),
            measured: None,
            needed: None,
            capacity: None,
            timing: outcome == Outcome::Deferred,
        }
    }

    #[test]
    fn the_timing_pass_replaces_only_the_tests_it_ran_again() {
        let first = TestRun {
            results: vec![("answers".into(), true), ("speedup".into(), true)],
            ..TestRun::default()
        };
        let first_reports = vec![
            report("answers", "table", Outcome::Passed),
            report("speedup", "threads", Outcome::Passed),
            report("speedup", "speedup", Outcome::Deferred),
        ];
        assert_eq!(deferred_tests(&first_reports), vec!["speedup".to_string()]);
        let second = TestRun {
            results: vec![("speedup".into(), false)],
            failures: [("speedup".to_string(), "1.0x, needed 1.5x".to_string())].into(),
            ..TestRun::default()
        };
        let second_reports = vec![
            report("speedup", "threads", Outcome::Passed),
            report("speedup", "speedup", Outcome::Failed),
        ];
        let (run, reports) = merge(
            first,
            first_reports,
            second,
            second_reports,
            &["speedup".to_string()],
        );
        assert_eq!(
            run.results,
            vec![
                ("answers".to_string(), true),
                ("speedup".to_string(), false)
            ]
        );
        assert_eq!(run.failures.len(), 1);
        let checks: Vec<(&str, &str, Outcome)> = reports
            .iter()
            .map(|r| (r.test.as_str(), r.check.as_str(), r.outcome))
            .collect();
        assert_eq!(
            checks,
            vec![
                ("answers", "table", Outcome::Passed),
                ("speedup", "threads", Outcome::Passed),
                ("speedup", "speedup", Outcome::Failed),
            ]
        );
    }
}
