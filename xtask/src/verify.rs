//! `cargo xtask verify`: proves, for every exercise, that the shipped exercise fails
//! its tests and that its solution passes the very same tests, and that the tests
//! reject every wrong-answer fixture its manifest lists.

use crate::course::{Course, Exercise};
use crate::grading::{Names, exercises_batch, prepare_overlay, solutions_batch};
use crate::manifest::Fixture;
use crate::report::print_status;
use crate::runner::pipeline::{Stage, grade_pipelined};
use crate::runner::{Graded, RunOptions, Status};
use crate::scratch;
use anyhow::Result;
use std::io::Write;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Only these exercises (same selectors as `check`).
    pub selectors: Vec<String>,
    /// Wall-clock limit for the tests of one exercise, in seconds [default: the
    /// exercise's own limit, or 60].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

pub fn run(args: VerifyArgs) -> Result<i32> {
    let course = Course::load()?;
    let (selected, deleted) = course.select_with_deleted(&args.selectors)?;
    if !deleted.is_empty() {
        crate::usage!(
            "exercise folder(s) missing: {}; restore them with `git checkout -- exercises/`",
            deleted
                .iter()
                .map(|e| format!("exercises/{}", e.rel.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let options = RunOptions {
        timeout: args.timeout.map(|t| Duration::from_secs(t.max(1))),
        verbose: false,
        env: Vec::new(),
        // The spans of the solutions and fixtures: the sequential fixture's jobs must
        // not overlap where the solution's do (`timeline_faults`).
        timeline: true,
    };
    // Wrong answers kept as fixtures (sequential "solutions", named wrong answers):
    // the tests must reject every one that a manifest lists.
    let rounds = fixture_rounds(&selected);
    let (shipped, solved, fixtures) = grade_all(&course, &selected, &rounds, &options)?;

    let mut out = std::io::stdout().lock();
    let mut problems = 0;
    for (exercise, solution) in shipped.iter().zip(&solved) {
        let mut faults = Vec::new();
        if !matches!(
            exercise.status,
            Status::NotStarted { .. } | Status::Failed { .. }
        ) {
            faults.push(format!(
                "the shipped exercise must fail its tests, but it is `{}`",
                exercise.status.label()
            ));
        }
        if !solution.status.is_pass_or_not_checked() {
            faults.push(format!(
                "the solution must pass the exercise's tests, but it is `{}`",
                solution.status.label()
            ));
        }
        faults.extend(layout_faults(&course, exercise));
        let own_fixtures_list: Vec<&Fixture> = fixtures
            .iter()
            .filter(|(_, g)| g.exercise.rel == exercise.exercise.rel)
            .map(|(f, _)| f)
            .collect();
        let (timeline_line, timeline_fault) =
            timeline_faults(&course, &exercise.exercise, &own_fixtures_list);
        faults.extend(timeline_fault);
        let own_fixtures: Vec<&(Fixture, Graded)> = fixtures
            .iter()
            .filter(|(_, g)| g.exercise.rel == exercise.exercise.rel)
            .collect();
        for (fixture, graded) in &own_fixtures {
            faults.extend(fixture_fault(&exercise.exercise, fixture, graded));
        }
        let verdict = if faults.is_empty() { "ok" } else { "FAULTY" };
        writeln!(
            out,
            "{} {:<22} {verdict:<7} exercise: {}, solution: {}",
            exercise.exercise.id(),
            exercise.exercise.slug,
            exercise.status.label(),
            solution.status.label()
        )?;
        for f in &faults {
            writeln!(out, "      {f}")?;
        }
        if let Some(line) = timeline_line {
            writeln!(out, "      {line}")?;
        }
        for (fixture, graded) in &own_fixtures {
            if let (Some(test), Status::Failed { message, .. }) =
                (failed_test(graded), &graded.status)
            {
                let first = message.lines().next().unwrap_or_default();
                let named = rejecting_test(&exercise.exercise, fixture);
                let by = match named {
                    _ if fixture.is_sequential() || test.is_empty() => String::new(),
                    Some(named) if named != test => {
                        format!(
                            " by `{test}` (`{named}`, its `rejected-by` test, let it through this time)"
                        )
                    }
                    _ => format!(" by `{test}`"),
                };
                writeln!(out, "      {fixture} rejected{by}: {first}")?;
            }
        }
        if !faults.is_empty() {
            problems += 1;
            if !solution.status.is_pass_or_not_checked() {
                print_status(solution, &mut out)?;
            }
        }
        if let Status::NotChecked { reasons, .. } = &solution.status {
            for r in reasons {
                writeln!(out, "      solution not checked here: {r}")?;
            }
        }
    }
    let rejected = |sequential: bool| {
        fixtures
            .iter()
            .filter(|(f, g)| {
                f.is_sequential() == sequential && fixture_fault(&g.exercise, f, g).is_none()
            })
            .count()
    };
    let mut rejected_line = format!("{} sequential fixtures rejected", rejected(true));
    if fixtures.iter().any(|(f, _)| !f.is_sequential()) {
        rejected_line += &format!(", {} wrong answers rejected", rejected(false));
    }
    writeln!(
        out,
        "{}/{} exercises verified: each shipped exercise fails and its solution passes the same tests; \
         {}",
        shipped.len() - problems,
        shipped.len(),
        rejected_line
    )?;
    Ok(if problems == 0 { 0 } else { 1 })
}

/// The test that rejects a wrong answer, as its manifest names it (`rejected-by`);
/// none for the sequential fixture, which runs every test.
fn rejecting_test<'a>(exercise: &'a Exercise, fixture: &Fixture) -> Option<&'a str> {
    if fixture.is_sequential() {
        return None;
    }
    let manifest = exercise.manifest.as_ref()?;
    manifest.rejected_by.get(&fixture.0).map(String::as_str)
}

/// The test that failed (empty for a crash outside any test), unless no test ran at
/// all: a filter that matched nothing is no rejection.
fn failed_test(graded: &Graded) -> Option<&str> {
    match &graded.status {
        Status::Failed { test, .. } if graded.tests_total > 0 || !test.is_empty() => {
            Some(test.as_str())
        }
        _ => None,
    }
}

/// What is wrong with how a fixture was graded, if anything: a wrong answer must fail
/// the test its manifest names (`rejected-by`), or, should that one let it through
/// once, another test of the same file; the sequential fixture any test.
fn fixture_fault(exercise: &Exercise, fixture: &Fixture, graded: &Graded) -> Option<String> {
    let failed = failed_test(graded);
    let status = format!("`{}`: {}", graded.status.label(), graded.status.message());
    if fixture.is_sequential() {
        return failed.is_none().then(|| {
            format!("its {fixture} must fail a timing or structural check, but it is {status}")
        });
    }
    let Some(test) = rejecting_test(exercise, fixture) else {
        // Graded with every test: say which one rejected it, for the manifest.
        let found = match failed {
            Some(t) if !t.is_empty() => format!(" (`{t}` rejected it)"),
            Some(_) => String::new(),
            None => format!(", and it is {status}"),
        };
        return Some(format!(
            "its {fixture} names no test that rejects it{found}: add `{} = \"test_name\"` under \
             [package.metadata.wait-or-work.rejected-by] in its Cargo.toml",
            fixture.0
        ));
    };
    // Failed, yet no test failed: the filter matched none (see `failed_test`).
    if failed.is_none() && matches!(graded.status, Status::Failed { .. }) {
        return Some(format!(
            "its {fixture} is rejected by `{test}` (`rejected-by` in its Cargo.toml), but no test \
             of the exercise by that name ran"
        ));
    }
    match failed {
        Some(_) => None,
        None => Some(format!(
            "its {fixture} must fail `{test}` (`rejected-by` in its Cargo.toml), but neither \
             that test nor the rest of its file rejected it: it is {status}"
        )),
    }
}

/// The fixtures in rounds: a scratch workspace holds one copy of each exercise, so a
/// round takes at most one fixture of each exercise: the first of every exercise (its
/// sequential one, if it has one), then the second, ...
fn fixture_rounds(selected: &[Exercise]) -> Vec<Vec<(Exercise, Fixture)>> {
    let lists: Vec<(&Exercise, Vec<&Fixture>)> = selected
        .iter()
        .map(|e| {
            let mut list: Vec<&Fixture> = e.manifest.iter().flat_map(|m| &m.fixtures).collect();
            list.sort_by_key(|f| !f.is_sequential());
            (e, list)
        })
        .collect();
    (0..)
        .map(|round| {
            lists
                .iter()
                .filter_map(|(e, list)| Some(((*e).clone(), (*list.get(round)?).clone())))
                .collect::<Vec<_>>()
        })
        .take_while(|picked| !picked.is_empty())
        .collect()
}

/// The shipped exercises, the solutions and every round of fixtures, graded in one
/// pipeline (each batch compiles while the one before runs its clock-free checks). A
/// listed fixture without its folder is graded "missing".
type Everything = (Vec<Graded>, Vec<Graded>, Vec<(Fixture, Graded)>);
fn grade_all(
    course: &Course,
    selected: &[Exercise],
    rounds: &[Vec<(Exercise, Fixture)>],
    options: &RunOptions,
) -> Result<Everything> {
    let _locks = [
        scratch::lock(course, "exercises")?,
        scratch::lock(course, "solutions")?,
        scratch::lock(course, "fixtures")?,
    ];
    let mut stages = vec![
        Stage {
            prepare: Box::new(|| Ok(exercises_batch(course, selected))),
        },
        Stage {
            prepare: Box::new(|| solutions_batch(course, selected)),
        },
    ];
    for (round, picked) in rounds.iter().enumerate() {
        stages.push(Stage {
            prepare: Box::new(move || {
                // The fixtures are patches against the solutions: write them out whole.
                let mut sources = std::collections::HashMap::new();
                for (e, f) in picked {
                    sources.insert(e.rel.clone(), crate::fixture::materialise(course, e, f)?);
                }
                let exercises: Vec<Exercise> = picked.iter().map(|(e, _)| e.clone()).collect();
                let reports = format!("fixtures-{}", round + 1);
                let names = Names {
                    workspace: "fixtures",
                    reports: &reports,
                };
                let mut prepared =
                    prepare_overlay(course, names, &exercises, |e| sources[&e.rel].clone())?;
                // A wrong answer runs the one test that rejects it; the sequential
                // fixture, and a wrong answer whose manifest names no test, run all.
                prepared.batch.one_test = picked
                    .iter()
                    .filter_map(|(e, f)| Some((e.rel.clone(), rejecting_test(e, f)?.to_string())))
                    .collect();
                Ok(prepared)
            }),
        });
    }
    let mut graded = grade_pipelined(course, stages, options)?.into_iter();
    let shipped = graded.next().unwrap_or_default();
    let solved = graded.next().unwrap_or_default();
    let mut fixtures = Vec::new();
    for (picked, round) in rounds.iter().zip(graded) {
        for g in round {
            let (_, fixture) = picked
                .iter()
                .find(|(e, _)| e.rel == g.exercise.rel)
                .expect("only picked exercises are graded");
            fixtures.push((fixture.clone(), g));
        }
    }
    Ok((shipped, solved, fixtures))
}

/// The recorded spans, on the data: where the solution's jobs overlap (at least two
/// in flight at once in a test), the sequential fixture's must not (at most one at
/// once in each of those tests). An exercise whose tests record no spans (no gauge)
/// is not held to it. Returns a line to show and the fault, if any.
fn timeline_faults(
    course: &Course,
    exercise: &Exercise,
    fixtures: &[&Fixture],
) -> (Option<String>, Option<String>) {
    let solution =
        crate::timeline::read(&crate::timeline::spans_file(course, "solutions", exercise));
    // Only an exercise whose manifest lists a sequential fixture is about overlap
    // (03/01 fetches one by one on purpose).
    let sequential_fixture = fixtures.first().is_some_and(|f| f.is_sequential());
    if solution.is_empty() || !sequential_fixture {
        return (None, None);
    }
    let overlapping: Vec<&crate::timeline::TestTimeline> =
        solution.iter().filter(|t| t.most_at_once() >= 2).collect();
    if overlapping.is_empty() {
        return (
            None,
            Some("timeline: the solution recorded jobs, but none of them overlapped".to_string()),
        );
    }
    let most = overlapping
        .iter()
        .map(|t| t.most_at_once())
        .max()
        .unwrap_or(0);
    let mut line = format!(
        "timeline: the solution's jobs overlap in {} test{} (at most {most} at once)",
        overlapping.len(),
        if overlapping.len() == 1 { "" } else { "s" }
    );
    // The sequential fixture is graded in the first round of fixtures.
    let sequential =
        crate::timeline::read(&crate::timeline::spans_file(course, "fixtures-1", exercise));
    let overlapped: Vec<String> = sequential
        .iter()
        .filter(|t| t.most_at_once() >= 2 && overlapping.iter().any(|o| o.test == t.test))
        .map(|t| format!("{} ({} at once)", t.test, t.most_at_once()))
        .collect();
    let jobs: usize = sequential.iter().map(|t| t.spans().count()).sum();
    if jobs > 0 {
        line += &format!("; the sequential fixture's {jobs} jobs ran one at a time");
    }
    if overlapped.is_empty() {
        (Some(line), None)
    } else {
        (
            None,
            Some(format!(
                "timeline: the sequential fixture's jobs overlapped in {}",
                overlapped.join(", ")
            )),
        )
    }
}

/// What the course promises of every exercise's folders, beyond its tests (the tidy
/// test, `xtask/tests/tidy.rs`, checks the rest: README, book, fixtures, copies).
fn layout_faults(course: &Course, graded: &Graded) -> Vec<String> {
    let e = &graded.exercise;
    let mut faults = Vec::new();
    let Some(manifest) = &e.manifest else {
        return vec!["it has no manifest ([package.metadata.wait-or-work])".to_string()];
    };
    let page = course.root.join("book/src").join(manifest.book_page());
    if !page.is_file() {
        faults.push(format!(
            "its Cargo.toml names the book section {}, which does not exist",
            manifest.book_section()
        ));
    }
    let solution = course.solution_dir(e);
    if solution.is_dir() {
        for rel in crate::walk::files(&solution, |_| true).unwrap_or_default() {
            let rel = rel.as_path();
            let file = solution.join(rel);
            let shipped = course.exercise_dir(e).join(rel);
            if !shipped.is_file() {
                faults.push(format!(
                    "solutions/{}/{} has no counterpart in the exercise: solutions hold only what the learner edits",
                    e.rel.display(),
                    rel.display()
                ));
            } else if !manifest.edit.iter().any(|f| f == rel) {
                faults.push(format!(
                    "solutions/{}/{} is given code, not listed in `edit` of its Cargo.toml: solutions hold only what the learner edits",
                    e.rel.display(),
                    rel.display()
                ));
            } else if std::fs::read(&shipped).ok() == std::fs::read(&file).ok() {
                faults.push(format!(
                    "solutions/{}/{} is identical to the exercise",
                    e.rel.display(),
                    rel.display()
                ));
            }
        }
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use std::path::PathBuf;

    fn exercise() -> Exercise {
        let manifest = Manifest::parse(
            r#"
[package]
name = "ex04_02_lock_ordering"

[package.metadata.wait-or-work]
title = "Two stations at once"
book = "ch04-sharing-and-messages/deadlock.md"
hints = ["sort the two numbers", "lock the lower one first"]
edit = ["src/lib.rs"]
fixtures = ["sequential", "unsorted", "unnamed"]

[package.metadata.wait-or-work.rejected-by]
unsorted = "two_stations_never_deadlock"
"#,
        )
        .unwrap();
        Exercise {
            chapter: "04".into(),
            chapter_dir: "04_sharing_and_messages".into(),
            number: "02".into(),
            slug: "lock_ordering".into(),
            rel: PathBuf::from("04_sharing_and_messages/02_lock_ordering"),
            package: "ex04_02_lock_ordering".into(),
            manifest: Some(manifest),
        }
    }

    fn graded(status: Status, tests_total: usize) -> Graded {
        Graded {
            exercise: exercise(),
            status,
            reports: Vec::new(),
            tests_passed: 0,
            tests_total,
            duration: Duration::ZERO,
        }
    }

    fn failed(test: &str, message: &str, tests_total: usize) -> Graded {
        let status = Status::Failed {
            test: test.into(),
            message: message.into(),
        };
        graded(status, tests_total)
    }

    #[test]
    fn a_wrong_answer_must_fail_the_test_its_manifest_names() {
        let e = exercise();
        let unsorted = Fixture("unsorted".into());
        assert_eq!(
            rejecting_test(&e, &unsorted),
            Some("two_stations_never_deadlock")
        );
        let rejected = failed("two_stations_never_deadlock", "deadlock", 1);
        assert_eq!(fixture_fault(&e, &unsorted, &rejected), None);
        // A crash during the test is a rejection too: no result, but the test is named.
        let crashed = failed("two_stations_never_deadlock", "the test process crashed", 0);
        assert_eq!(fixture_fault(&e, &unsorted, &crashed), None);
        let passed = graded(
            Status::Passed {
                figures: Vec::new(),
            },
            1,
        );
        let fault = fixture_fault(&e, &unsorted, &passed).unwrap();
        assert!(
            fault.contains("must fail `two_stations_never_deadlock`") && fault.contains("passed"),
            "{fault}"
        );
        // The filter matched no test: no test ran, which is no rejection.
        let none_ran = failed("", "no tests ran: were the tests deleted?", 0);
        let fault = fixture_fault(&e, &unsorted, &none_ran).unwrap();
        assert!(fault.contains("no test of the exercise"), "{fault}");
    }

    #[test]
    fn a_wrong_answer_without_its_test_is_told_which_test_rejected_it() {
        let e = exercise();
        let unnamed = Fixture("unnamed".into());
        assert_eq!(rejecting_test(&e, &unnamed), None);
        let fault = fixture_fault(&e, &unnamed, &failed("sorted_order", "oops", 4)).unwrap();
        assert!(
            fault.contains("(`sorted_order` rejected it)")
                && fault.contains("unnamed = \"test_name\"")
                && fault.contains("[package.metadata.wait-or-work.rejected-by]"),
            "{fault}"
        );
    }

    #[test]
    fn the_sequential_fixture_runs_every_test_and_must_fail_one() {
        let e = exercise();
        let sequential = Fixture(Fixture::SEQUENTIAL.into());
        assert_eq!(rejecting_test(&e, &sequential), None);
        assert_eq!(
            fixture_fault(&e, &sequential, &failed("jobs_overlap", "one at a time", 5)),
            None
        );
        let passed = graded(
            Status::Passed {
                figures: Vec::new(),
            },
            5,
        );
        let fault = fixture_fault(&e, &sequential, &passed).unwrap();
        assert!(fault.contains("timing or structural check"), "{fault}");
    }
}
