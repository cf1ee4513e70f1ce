//! `cargo xtask verify`: proves, for every exercise, that the shipped exercise fails
//! its tests and that its solution passes the very same tests.

use crate::check::{grade_exercises, grade_overlay, grade_solutions, print_status};
use crate::course::{Course, readme_hint};
use crate::runner::{Graded, RunOptions, Status};
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
    };
    let shipped = grade_exercises(&course, &selected, &options)?;
    let solved = grade_solutions(&course, &selected, &options)?;
    // Sequential "solutions" kept as fixtures: the tests must reject each of them.
    let fixtures = sequential_fixtures_dir(&course);
    let with_fixture: Vec<_> = selected
        .iter()
        .filter(|e| fixtures.join(&e.rel).is_dir())
        .cloned()
        .collect();
    let sequential = grade_overlay(&course, "sequential", &with_fixture, &fixtures, &options)?;

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
        let fixture = sequential
            .iter()
            .find(|g| g.exercise.rel == exercise.exercise.rel);
        if let Some(fixture) = fixture
            && !matches!(fixture.status, Status::Failed { .. })
        {
            faults.push(format!(
                "its sequential fixture must fail a timing or structural check, but it is `{}`: {}",
                fixture.status.label(),
                fixture.status.message()
            ));
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
        if let Some(fixture) = fixture
            && let Status::Failed { message, .. } = &fixture.status
        {
            let first = message.lines().next().unwrap_or_default();
            writeln!(out, "      sequential fixture rejected: {first}")?;
        }
        if !faults.is_empty() {
            problems += 1;
            if !solution.status.is_pass_or_not_checked() {
                print_status(&course, solution, &mut out)?;
            }
        }
        if let Status::NotChecked { reasons, .. } = &solution.status {
            for r in reasons {
                writeln!(out, "      solution not checked here: {r}")?;
            }
        }
    }
    writeln!(
        out,
        "{}/{} exercises verified: each shipped exercise fails and its solution passes the same tests; \
         {} sequential fixtures rejected",
        shipped.len() - problems,
        shipped.len(),
        sequential
            .iter()
            .filter(|g| matches!(g.status, Status::Failed { .. }))
            .count()
    )?;
    Ok(if problems == 0 { 0 } else { 1 })
}

/// Sequential "solutions" of the parallel and concurrent exercises, laid out like
/// `solutions/`: proof that the tests cannot be passed without the concurrency or
/// parallelism they claim to grade.
pub fn sequential_fixtures_dir(course: &Course) -> std::path::PathBuf {
    course.root.join("xtask/tests/fixtures/sequential")
}

/// What the course promises of every exercise's folders, beyond its tests.
fn layout_faults(course: &Course, graded: &Graded) -> Vec<String> {
    let e = &graded.exercise;
    let mut faults = Vec::new();
    let (hint, section) = readme_hint(&course.exercise_dir(e));
    if hint.is_none() {
        faults.push("README.md has no `Hint:` line".to_string());
    }
    match section {
        None => faults.push("README.md links to no book section (book/src/...)".to_string()),
        Some(s) => {
            let file = s.split('#').next().unwrap_or(&s);
            if !course.root.join(file).is_file() {
                faults.push(format!("README.md links to {s}, which does not exist"));
            }
        }
    }
    let solution = course.solution_dir(e);
    if solution.is_dir() {
        let mut files = Vec::new();
        collect_files(&solution, &mut files);
        for file in files {
            let rel = file.strip_prefix(&solution).unwrap_or(&file);
            let shipped = course.exercise_dir(e).join(rel);
            if !shipped.is_file() {
                faults.push(format!(
                    "solutions/{}/{} has no counterpart in the exercise: solutions hold only what the learner edits",
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

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
}
