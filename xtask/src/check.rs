//! `cargo xtask check`: grades the learner's exercises (or, with `--solutions`, the
//! solutions) and prints one status line per exercise.

use crate::course::{Course, Exercise};
use crate::grading::{deleted_exercises, grade_learner, grade_solutions};
use crate::report::print_report;
use crate::runner::{Graded, RunOptions, Status};
use crate::{scratch, timeline};
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
    /// Draw a timeline of each exercise's run (one lane per thread or task) above the
    /// reference solution's, and print where the picture is.
    #[arg(long)]
    pub timeline: bool,
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
            timeline: self.timeline,
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
    let pictures = if args.timeline {
        draw_timelines(&course, &mut graded, args.solutions, &args.run_options())?
    } else {
        Vec::new()
    };
    let mut out = std::io::stdout().lock();
    print_report(&graded, !args.solutions, &mut out)?;
    for picture in pictures {
        writeln!(out, "timeline: {picture}")?;
    }
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

/// Draws each graded exercise's timeline above its reference solution's (graded now,
/// in the scratch overlay), and names the picture in a failure of a test that
/// recorded spans. Returns the pictures' paths.
fn draw_timelines(
    course: &Course,
    graded: &mut [Graded],
    solutions: bool,
    options: &RunOptions,
) -> Result<Vec<String>> {
    let ran: Vec<Exercise> = graded
        .iter()
        .filter(|g| !g.reports.is_empty() || g.tests_total > 0)
        .map(|g| g.exercise.clone())
        .collect();
    if !solutions {
        grade_solutions(course, &ran, options)?;
    }
    let mut pictures = Vec::new();
    for g in graded
        .iter_mut()
        .filter(|g| ran.iter().any(|e| e.id() == g.exercise.id()))
    {
        let e = &g.exercise;
        let reference = timeline::read(&timeline::spans_file(course, "solutions", e));
        let batch = if solutions { "solutions" } else { "exercises" };
        let learner = timeline::read(&timeline::spans_file(course, batch, e));
        let title = match &e.manifest {
            Some(m) => format!("{} {}", e.id(), m.title),
            None => format!("{} {}", e.id(), e.slug),
        };
        let svg = if solutions {
            timeline::render(&title, &[("the reference solution", &reference)])
        } else {
            timeline::render(
                &title,
                &[
                    ("your code (last run)", &learner),
                    ("the reference solution", &reference),
                ],
            )
        };
        let path = timeline::picture_file(course, e);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, svg)?;
        let shown = scratch::display_rel(&course.root, &path);
        if let Status::Failed { test, message } = &mut g.status
            && let Some(what) = timeline::describe(&learner, test)
        {
            message.push_str(&format!(" ({what}: see {shown})"));
        }
        pictures.push(shown);
    }
    Ok(pictures)
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
