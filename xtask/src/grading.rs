//! The grading library: runs an exercise's tests on the learner's files, the
//! solutions or any overlay of sources, and returns one `Graded` per exercise.
//! `check`, `verify`, `grade`, `soak`, `bench` and `list` all grade through here;
//! none of them prints from here.

use crate::course::{Course, Exercise};
use crate::runner::pipeline::Prepared;
use crate::runner::{self, Batch, Graded, RunOptions, Status};
use crate::{scratch, shipped};
use anyhow::Result;

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
            g.status = match message.strip_prefix(runner::TODO_PREFIX) {
                // Some tests pass on the given code alone, the rest reach a `todo!()`.
                Some(todo) => Status::NotStarted {
                    todo: todo.trim_start_matches(':').trim().to_string(),
                },
                None => Status::ToFix {
                    failure: if test.is_empty() {
                        message.clone()
                    } else {
                        format!("{test}: {message}")
                    },
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
    if c.modified.iter().any(|f| f.contains("(given `")) {
        advice = format!(
            "the code marked \"Given\" in your file must stay as it shipped (the tests \
             measure against it): `git diff -- exercises/{}` shows your change; put it back, \
             or `cargo xtask reset {}` restores the whole exercise (a copy of yours is kept)",
            exercise.rel.display(),
            exercise.id()
        );
    }
    if c.snapshot_modified {
        advice.push_str(
            "; a snapshot holds the expected answer: updating it (as insta suggests on a \
             mismatch) makes the test agree with your code instead of your code with the test",
        );
    }
    Graded::without_running(
        exercise.clone(),
        Status::Modified {
            files: c.modified,
            advice,
        },
    )
}

/// The learner's exercises, in place (the tests run from `exercises/`; only the
/// target directory is written).
pub fn grade_exercises(
    course: &Course,
    selected: &[Exercise],
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let _lock = scratch::lock(course, "exercises")?;
    let batch = exercises_batch(course, selected).batch;
    runner::grade(course, &batch, options)
}

/// "missing" for each exercise whose folder was deleted, with how to get it back.
pub fn deleted_exercises(deleted: &[Exercise]) -> Vec<Graded> {
    deleted
        .iter()
        .map(|e| {
            let what = format!(
                "the folder exercises/{} was deleted; restore it with `git checkout -- exercises/{}`",
                e.rel.display(),
                e.rel.display()
            );
            Graded::without_running(e.clone(), Status::Missing { what })
        })
        .collect()
}

/// The solutions, swapped into scratch copies of the exercises.
pub fn grade_solutions(
    course: &Course,
    selected: &[Exercise],
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let _lock = scratch::lock(course, "solutions")?;
    grade_prepared(course, solutions_batch(course, selected)?, options)
}

/// The scratch workspace of [`grade_solutions`], written and ready to compile (the
/// caller holds the `solutions` lock).
pub fn solutions_batch(course: &Course, selected: &[Exercise]) -> Result<Prepared> {
    let solutions = course.solutions_dir();
    prepare_overlay(course, Names::same("solutions"), selected, |e| {
        solutions.join(&e.rel)
    })
}

/// Where an overlay is built and where its reports go. Rounds that reuse one
/// workspace folder reuse cargo's artefacts too (they are named by package path), so
/// verify's rounds of fixtures take the disk of one copy of the course, not one each.
#[derive(Clone, Copy)]
pub struct Names<'a> {
    /// The scratch workspace's folder, below `target/wait-or-work/`.
    pub workspace: &'a str,
    /// The report folder, below `target/wait-or-work/reports/`.
    pub reports: &'a str,
}

impl<'a> Names<'a> {
    pub fn same(name: &'a str) -> Self {
        Names {
            workspace: name,
            reports: name,
        }
    }
}

/// A prepared batch graded, with the exercises graded without running, by exercise.
fn grade_prepared(
    course: &Course,
    prepared: Prepared,
    options: &RunOptions,
) -> Result<Vec<Graded>> {
    let mut graded = runner::grade(course, &prepared.batch, options)?;
    graded.extend(prepared.without_running);
    graded.sort_by(|a, b| a.exercise.rel.cmp(&b.exercise.rel));
    Ok(graded)
}

/// The sources in `sources(exercise)` (a folder laid out like the exercise's solution)
/// swapped into scratch copies of the exercises, to be graded by the exercises' own
/// tests: the scratch workspace written and ready to compile (the caller holds its
/// lock). A missing folder is graded "missing".
pub fn prepare_overlay(
    course: &Course,
    names: Names,
    selected: &[Exercise],
    sources: impl Fn(&Exercise) -> std::path::PathBuf,
) -> Result<Prepared> {
    let overlay = scratch::overlay(course, names.workspace, selected, "", sources)?;
    Ok(Prepared {
        batch: Batch {
            manifest: overlay.manifest(),
            packages: overlay.present.clone(),
            name: names.reports.to_string(),
            one_test: Default::default(),
        },
        without_running: overlay
            .missing
            .into_iter()
            .map(|(exercise, what)| Graded::without_running(exercise, Status::Missing { what }))
            .collect(),
    })
}

/// The learner's exercises as [`grade_exercises`] builds them (the caller holds the
/// `exercises` lock).
pub fn exercises_batch(course: &Course, selected: &[Exercise]) -> Prepared {
    Prepared {
        batch: Batch {
            manifest: course.root.join("Cargo.toml"),
            packages: selected
                .iter()
                .map(|e| (e.clone(), course.exercise_dir(e)))
                .collect(),
            name: "exercises".to_string(),
            one_test: Default::default(),
        },
        without_running: Vec::new(),
    }
}
