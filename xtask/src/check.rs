//! `cargo xtask check`: grades the learner's exercises (or, with `--solutions`, the
//! solutions) and prints one status line per exercise.

use crate::course::{Course, Exercise};
use crate::runner::{self, Batch, Graded, RunOptions, Status};
use crate::{scratch, shipped};
use anyhow::Result;
use std::io::Write;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Which exercises: a chapter (`01`), one exercise (`01/02`), its name
    /// (`four_jobs`) or its folder; when none is given, the exercise or chapter whose
    /// folder you are in, or all of them.
    pub selectors: Vec<String>,
    /// Grade the solutions with the same tests instead of your exercises.
    #[arg(long)]
    pub solutions: bool,
    /// Wall-clock limit for the tests of one exercise, in seconds [default: the
    /// exercise's own limit, or 60].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Show the tests' own output.
    #[arg(long, short)]
    pub verbose: bool,
    /// Maintainers: with `--solutions`, record the solutions' snapshots and copy them
    /// into the exercises' `tests/snapshots/` (the only time the tool writes there).
    #[arg(long, requires = "solutions")]
    pub accept_snapshots: bool,
}

impl CheckArgs {
    pub fn run_options(&self) -> RunOptions {
        let mut env = Vec::new();
        if self.accept_snapshots {
            env.push(("INSTA_UPDATE".to_string(), "always".to_string()));
        }
        RunOptions {
            timeout: self.timeout.map(|t| Duration::from_secs(t.max(1))),
            verbose: self.verbose,
            env,
        }
    }
}

pub fn run(args: CheckArgs) -> Result<i32> {
    let course = Course::load()?;
    let selectors = if args.selectors.is_empty() && !args.solutions {
        course.default_selectors()
    } else {
        args.selectors.clone()
    };
    let (selected, deleted) = course.select_with_deleted(&selectors)?;
    let keys = crate::list::keys(&course, &selected)?;
    let mut graded = if args.solutions {
        grade_solutions(&course, &selected, &args.run_options())?
    } else {
        grade_learner(&course, &selected, &args.run_options())?
    };
    if !args.solutions && !args.accept_snapshots {
        crate::list::remember(&course, &graded, &keys)?;
    }
    graded.extend(deleted_exercises(&deleted));
    graded.sort_by(|a, b| a.exercise.rel.cmp(&b.exercise.rel));
    let mut out = std::io::stdout().lock();
    print_report(&graded, !args.solutions, &mut out)?;
    if !args.solutions && !graded.is_empty() && graded.iter().all(|g| g.status.is_pass()) {
        print_where_next(&course, &selected, &mut out)?;
    }
    if args.accept_snapshots {
        accept_snapshots(&course, &selected, &mut out)?;
    }
    Ok(if graded.iter().all(|g| g.status.is_pass()) {
        0
    } else {
        1
    })
}

/// After everything selected passed: the next exercise of the course, and its page.
fn print_where_next(course: &Course, selected: &[Exercise], out: &mut impl Write) -> Result<()> {
    let last = selected
        .iter()
        .filter_map(|s| course.exercises.iter().position(|e| e.id() == s.id()))
        .max();
    let next = last.and_then(|i| course.exercises.get(i + 1));
    match next {
        Some(e) => {
            let page = e
                .manifest
                .as_ref()
                .map(|m| format!(" (read {} first)", m.book_section()))
                .unwrap_or_default();
            writeln!(
                out,
                "next: {} {}{page}: `cargo xtask check {}` or `cargo xtask watch {}`",
                e.id(),
                e.slug,
                e.id(),
                e.id()
            )?;
        }
        None => writeln!(out, "that was the last exercise of the course: well done")?,
    }
    Ok(())
}

/// The learner's exercises as `check` grades them: one whose tests, snapshots or given
/// files differ from what shipped is "modified" and not run; the others are graded
/// in place, and one that fails while the learner has not touched its files yet (it
/// ships with a bug to fix) is "not started".
pub fn grade_learner(
    course: &Course,
    selected: &[Exercise],
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let fingerprints = shipped::load(course)?;
    let mut graded = Vec::new();
    let mut to_run = Vec::new();
    let mut untouched = Vec::new();
    for exercise in selected {
        match shipped::compare(course, exercise, &fingerprints)? {
            Some(c) if !c.modified.is_empty() => graded.push(modified(exercise, c)),
            Some(c) => {
                if c.untouched {
                    untouched.push(exercise.id());
                }
                to_run.push(exercise.clone());
            }
            None => to_run.push(exercise.clone()),
        }
    }
    for mut g in grade_exercises(course, &to_run, options)? {
        if let Status::Failed { test, message } = &g.status
            && untouched.contains(&g.exercise.id())
        {
            g.status = Status::ToFix {
                failure: if test.is_empty() {
                    message.clone()
                } else {
                    format!("{test}: {message}")
                },
            };
        }
        graded.push(g);
    }
    Ok(graded)
}

fn modified(exercise: &Exercise, c: shipped::Comparison) -> Graded {
    let mut advice = format!(
        "restore them with `cargo xtask reset {} --tests` (your own files stay as they are)",
        exercise.id()
    );
    if c.snapshot_modified {
        advice.push_str(
            "; a snapshot holds the expected answer: updating it (as insta suggests on a \
             mismatch) makes the test agree with your code instead of your code with the test",
        );
    }
    Graded {
        exercise: exercise.clone(),
        status: Status::Modified {
            files: c.modified,
            advice,
        },
        reports: Vec::new(),
        tests_passed: 0,
        tests_total: 0,
        duration: Duration::ZERO,
    }
}

/// The learner's exercises, in place (the tests run from `exercises/`; only the
/// target directory is written).
pub fn grade_exercises(
    course: &Course,
    selected: &[Exercise],
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let _lock = scratch::lock(course, "exercises")?;
    let batch = Batch {
        manifest: course.root.join("Cargo.toml"),
        packages: selected
            .iter()
            .map(|e| (e.clone(), course.exercise_dir(e)))
            .collect(),
        name: "exercises",
    };
    runner::grade(course, &batch, options)
}

/// "missing" for each exercise whose folder was deleted, with how to get it back.
pub fn deleted_exercises(deleted: &[Exercise]) -> Vec<Graded> {
    deleted
        .iter()
        .map(|e| Graded {
            exercise: e.clone(),
            status: Status::Missing {
                what: format!(
                    "the folder exercises/{} was deleted; restore it with `git checkout -- exercises/{}`",
                    e.rel.display(),
                    e.rel.display()
                ),
            },
            reports: Vec::new(),
            tests_passed: 0,
            tests_total: 0,
            duration: Duration::ZERO,
        })
        .collect()
}

/// The solutions, swapped into scratch copies of the exercises.
pub fn grade_solutions(
    course: &Course,
    selected: &[Exercise],
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let solutions = course.solutions_dir();
    grade_overlay(
        course,
        "solutions",
        selected,
        |e| solutions.join(&e.rel),
        options,
    )
}

/// The sources in `sources(exercise)` (a folder laid out like the exercise's solution)
/// swapped into scratch copies of the exercises, graded by the exercises' own tests.
/// A missing folder is graded "missing".
pub fn grade_overlay(
    course: &Course,
    name: &str,
    selected: &[Exercise],
    sources: impl Fn(&Exercise) -> std::path::PathBuf,
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let _lock = scratch::lock(course, name)?;
    let overlay = scratch::overlay(course, name, selected, "", sources)?;
    let batch = Batch {
        manifest: overlay.manifest(),
        packages: overlay.present.clone(),
        name,
    };
    let mut graded = runner::grade(course, &batch, options)?;
    for (exercise, what) in overlay.missing {
        graded.push(Graded {
            exercise,
            status: Status::Missing { what },
            reports: Vec::new(),
            tests_passed: 0,
            tests_total: 0,
            duration: Duration::ZERO,
        });
    }
    graded.sort_by(|a, b| a.exercise.rel.cmp(&b.exercise.rel));
    Ok(graded)
}

/// Copies the snapshots recorded in the solutions' scratch copies into `exercises/`.
fn accept_snapshots(course: &Course, selected: &[Exercise], out: &mut impl Write) -> Result<()> {
    for e in selected {
        let recorded = scratch::member_dir(course, "solutions", e).join("tests/snapshots");
        let Ok(entries) = std::fs::read_dir(&recorded) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().ends_with(".snap") {
                continue;
            }
            let dest_dir = course.exercise_dir(e).join("tests/snapshots");
            let dest = dest_dir.join(&name);
            let new = std::fs::read(entry.path())?;
            if std::fs::read(&dest).ok().as_ref() != Some(&new) {
                std::fs::create_dir_all(&dest_dir)?;
                std::fs::write(&dest, new)?;
                writeln!(out, "wrote {}", scratch::display_rel(&course.root, &dest))?;
            }
        }
    }
    Ok(())
}

/// One status line per exercise (with indented details), then the summary line.
/// `learner`: say which file to open next.
pub fn print_report(graded: &[Graded], learner: bool, out: &mut impl Write) -> Result<()> {
    for g in graded {
        print_status(g, out)?;
    }
    writeln!(out, "{}", summary(graded))?;
    if let Some(next) = graded.iter().find(|g| {
        learner && !g.status.is_pass_or_not_checked() && !matches!(g.status, Status::Missing { .. })
    }) {
        // The first file the learner edits, as its manifest lists them.
        let file = next
            .exercise
            .manifest
            .as_ref()
            .and_then(|m| m.edit.first())
            .map_or_else(|| "src/lib.rs".into(), |f| f.to_string_lossy());
        if matches!(next.status, Status::Modified { .. }) {
            writeln!(
                out,
                "next: `cargo xtask reset {id} --tests`, then `cargo xtask check {id}`",
                id = next.exercise.id()
            )?;
        } else {
            writeln!(
                out,
                "next: exercises/{}/{file}, then `cargo xtask check {}`",
                next.exercise.rel.to_string_lossy(),
                next.exercise.id()
            )?;
        }
    }
    Ok(())
}

pub fn print_status(g: &Graded, out: &mut impl Write) -> Result<()> {
    let e = &g.exercise;
    let head = format!("{} {:<22} {:<13}", e.id(), e.slug, g.status.label());
    let indent = "      ";
    let hint = e.manifest.as_ref().and_then(|m| m.hint());
    let section = e.manifest.as_ref().map(|m| m.book_section());
    let hint_line = |out: &mut dyn Write| -> std::io::Result<()> {
        match (hint, &section) {
            (Some(h), Some(s)) => writeln!(out, "{indent}hint: {h} (read {s})"),
            (Some(h), None) => writeln!(out, "{indent}hint: {h}"),
            (None, Some(s)) => writeln!(out, "{indent}hint: read {s}"),
            (None, None) => Ok(()),
        }
    };
    match &g.status {
        Status::Passed { figures } => {
            writeln!(
                out,
                "{head} {}/{} tests in {:.1}s",
                g.tests_passed,
                g.tests_total,
                g.duration.as_secs_f64()
            )?;
            for f in figures {
                writeln!(out, "{indent}{f}")?;
            }
        }
        Status::NotChecked { reasons, figures } => {
            writeln!(
                out,
                "{head} {}/{} tests passed, but not every check could run here",
                g.tests_passed, g.tests_total
            )?;
            for r in reasons {
                writeln!(out, "{indent}not checked: {r}")?;
            }
            for f in figures {
                writeln!(out, "{indent}{f}")?;
            }
        }
        Status::Failed { test, message } => {
            let mut lines = message.lines();
            let first = lines.next().unwrap_or("");
            if test.is_empty() {
                writeln!(out, "{head} {first}")?;
            } else {
                writeln!(out, "{head} {test}: {first}")?;
            }
            for l in lines.take(4) {
                writeln!(out, "{indent}{}", l.trim_end())?;
            }
            hint_line(out)?;
        }
        Status::NotStarted { todo } => {
            if todo.is_empty() {
                writeln!(out, "{head} still `todo!()` in src/")?;
            } else {
                writeln!(out, "{head} still `todo!()`: {todo}")?;
            }
        }
        Status::CompileError { error } => {
            writeln!(out, "{head} {error}")?;
            hint_line(out)?;
        }
        Status::TimedOut { limit, test } => {
            let during = test
                .as_ref()
                .map(|t| format!(" in `{t}`"))
                .unwrap_or_default();
            writeln!(
                out,
                "{head} killed after {}s{during}: a deadlock or an endless loop is likely",
                limit.as_secs()
            )?;
            hint_line(out)?;
        }
        Status::Missing { what } => writeln!(out, "{head} {what}")?,
        Status::ToFix { failure } => {
            writeln!(
                out,
                "{head} the code ships with a bug for you to fix; its tests say:"
            )?;
            writeln!(out, "{indent}{}", failure.lines().next().unwrap_or(""))?;
            hint_line(out)?;
        }
        Status::Modified { files, advice } => {
            writeln!(
                out,
                "{head} not graded: these files differ from the course's, so the tests \
                 are not the course's"
            )?;
            for f in files {
                writeln!(out, "{indent}{f}")?;
            }
            writeln!(out, "{indent}{advice}")?;
        }
    }
    Ok(())
}

/// `1/2 exercises done (1 not started)`.
pub fn summary(graded: &[Graded]) -> String {
    let done = graded.iter().filter(|g| g.status.is_pass()).count();
    let mut others: Vec<(&str, usize)> = Vec::new();
    for g in graded.iter().filter(|g| !g.status.is_pass()) {
        let label = g.status.label();
        match others.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => others.push((label, 1)),
        }
    }
    let rest = if others.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            others
                .iter()
                .map(|(l, n)| format!("{n} {l}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("{done}/{} exercises done{rest}", graded.len())
}
