//! `cargo xtask timelines [--check] [SELECTOR...]`: the book's reference timelines.
//!
//! Grades the reference solutions with spans recorded (`check --timeline` does the
//! same) and draws, for each exercise whose tests ran jobs on tokio's paused clock,
//! those runs only: virtual time is exact, so the picture is the same on every
//! machine and every run. It goes to `book/src/chNN-*/img/timeline-NN-MM.svg`, beside
//! the pages of the exercise's chapter. `--check` (run by `book test` for every
//! picture that is committed) compares instead of writing.

use crate::course::{Course, Exercise};
use crate::grading::grade_solutions;
use crate::runner::RunOptions;
use crate::scratch::display_rel;
use crate::timeline;
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct TimelinesArgs {
    /// Only these exercises (same selectors as `check`) [default: all].
    pub selectors: Vec<String>,
    /// Compare the committed pictures with what the solutions draw now; write nothing.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: TimelinesArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(&args.selectors)?;
    let faults = regenerate(&course, &selected, args.check)?;
    for f in &faults {
        println!("{f}");
    }
    Ok(if faults.is_empty() { 0 } else { 1 })
}

/// Where the book keeps an exercise's reference timeline: the `img/` folder of its
/// chapter (the first folder of its manifest's book page).
pub fn book_picture(course: &Course, exercise: &Exercise) -> Option<PathBuf> {
    let page = exercise.manifest.as_ref()?.book_page();
    let chapter = page.split('/').next()?;
    Some(
        course
            .root
            .join("book/src")
            .join(chapter)
            .join("img")
            .join(format!("timeline-{}.svg", exercise.id().replace('/', "-"))),
    )
}

/// The exercises whose reference timeline is committed in the book.
pub fn committed(course: &Course) -> Vec<Exercise> {
    course
        .exercises
        .iter()
        .filter(|e| book_picture(course, e).is_some_and(|p| p.is_file()))
        .cloned()
        .collect()
}

/// The paused-clock picture of an exercise's reference run, drawn from its spans file,
/// or `None` when none of its tests ran jobs on tokio's clock.
pub fn draw(course: &Course, exercise: &Exercise) -> Option<String> {
    let spans = timeline::read(&timeline::spans_file(course, "solutions", exercise));
    let paused: Vec<timeline::TestTimeline> = spans.into_iter().filter(|t| t.tokio).collect();
    if paused.is_empty() {
        return None;
    }
    let title = match &exercise.manifest {
        Some(m) => format!("{} {}", exercise.id(), m.title),
        None => exercise.id(),
    };
    Some(timeline::render(
        &title,
        &[(
            "the reference solution, on tokio's paused clock (virtual ms)",
            &paused,
        )],
    ))
}

/// Grades the selected solutions with spans and writes (or, with `check`, compares)
/// their pictures. Returns what is wrong, one line each.
pub fn regenerate(course: &Course, selected: &[Exercise], check: bool) -> Result<Vec<String>> {
    let options = RunOptions {
        timeout: None,
        verbose: false,
        // Only the clock-free pass matters here: the spans come from it.
        env: vec![(
            test_support::timing::LATER_VAR.to_string(),
            "later".to_string(),
        )],
        timeline: true,
    };
    let graded = grade_solutions(course, selected, &options)?;
    let mut faults = Vec::new();
    for g in &graded {
        let e = &g.exercise;
        let Some(path) = book_picture(course, e) else {
            continue;
        };
        let shown = display_rel(&course.root, &path);
        let drawn = draw(course, e);
        let committed = std::fs::read_to_string(&path).ok();
        match (drawn, check) {
            (None, _) if committed.is_some() => faults.push(format!(
                "{shown}: the solution of {} no longer runs jobs on tokio's paused clock; remove the picture (and its page's link) or record spans again",
                e.id()
            )),
            (None, _) => {}
            (Some(svg), true) => {
                if committed.as_deref() != Some(svg.as_str()) {
                    faults.push(format!(
                        "{shown} is not what the solution of {} draws now: run `cargo xtask timelines {}` and commit the picture",
                        e.id(),
                        e.id()
                    ));
                }
            }
            (Some(svg), false) => {
                if committed.as_deref() != Some(svg.as_str()) {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    std::fs::write(&path, svg)?;
                    println!("wrote {shown}");
                } else {
                    println!("{shown} is up to date");
                }
            }
        }
    }
    Ok(faults)
}
