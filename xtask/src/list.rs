//! `cargo xtask list`: every exercise with its status, and each chapter's progress.
//!
//! Honest by construction: a status is shown only if `check` graded exactly the files
//! that are there now (the cache below `target/` is keyed by the SHA-256 of the
//! exercise's folder and of test-support); anything changed since is "not graded
//! since your last change". Nothing is ever marked done by hand.

use crate::course::{Course, Exercise};
use crate::runner::Graded;
use crate::shipped;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(clap::Args, Debug)]
pub struct ListArgs {}

/// What `check` last said of an exercise, and of which files.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Cached {
    key: String,
    label: String,
    message: String,
}

fn cache_path(course: &Course) -> std::path::PathBuf {
    course.scratch_dir().join("statuses.json")
}

fn load(course: &Course) -> BTreeMap<String, Cached> {
    std::fs::read_to_string(cache_path(course))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The key of what would be graded now: the exercise's files and test-support's.
fn key(course: &Course, exercise: &Exercise) -> Result<String> {
    let files = shipped::fingerprint(&course.exercise_dir(exercise))?;
    let support_dir = course.exercises_dir().join("test-support");
    let support = if support_dir.is_dir() {
        shipped::fingerprint(&support_dir)?
    } else {
        BTreeMap::new()
    };
    Ok(shipped::hash(
        format!(
            "{}\n{}",
            serde_json::to_string(&files)?,
            serde_json::to_string(&support)?
        )
        .as_bytes(),
    ))
}

/// The keys of the selected exercises, taken before grading: a file saved while the
/// tests run must make the result stale, not be credited with it.
pub fn keys(course: &Course, selected: &[Exercise]) -> Result<BTreeMap<String, String>> {
    selected
        .iter()
        .map(|e| Ok((e.id(), key(course, e)?)))
        .collect()
}

/// Remembers what `check` just said of each exercise (learner mode only), under the
/// keys of the files it graded.
pub fn remember(course: &Course, graded: &[Graded], keys: &BTreeMap<String, String>) -> Result<()> {
    let mut cache = load(course);
    for g in graded {
        if let Some(key) = keys.get(&g.exercise.id()) {
            cache.insert(
                g.exercise.id(),
                Cached {
                    key: key.clone(),
                    label: g.status.label().to_string(),
                    message: g.status.message(),
                },
            );
        }
    }
    std::fs::create_dir_all(course.scratch_dir())?;
    std::fs::write(cache_path(course), serde_json::to_string_pretty(&cache)?)?;
    Ok(())
}

/// Every exercise with the label `list` shows and a note.
fn statuses(course: &Course) -> Result<Vec<(Exercise, String, String)>> {
    let cache = load(course);
    let fingerprints = shipped::load(course)?;
    let mut out = Vec::new();
    for exercise in &course.exercises {
        let modified = shipped::compare(course, exercise, &fingerprints)?
            .is_some_and(|c| !c.modified.is_empty());
        let now = key(course, exercise)?;
        let (label, note) = match cache.get(&exercise.id()) {
            _ if modified => (
                "modified".to_string(),
                format!(
                    "tests or given files changed: `cargo xtask reset {} --tests`",
                    exercise.id()
                ),
            ),
            Some(c) if c.key == now => (c.label.clone(), first_line(&c.message)),
            Some(_) => (
                "stale".to_string(),
                "changed since it was graded: run `cargo xtask check`".to_string(),
            ),
            None => ("not graded".to_string(), String::new()),
        };
        out.push((exercise.clone(), label, note));
    }
    Ok(out)
}

/// The first exercise that `list` does not show as passed.
pub fn first_not_passed(course: &Course) -> Result<Option<Exercise>> {
    Ok(statuses(course)?
        .into_iter()
        .find(|(_, label, _)| label != "passed")
        .map(|(e, _, _)| e))
}

/// (passed, total) over the course, as `list` counts them.
pub fn progress(course: &Course) -> Result<(usize, usize)> {
    let all = statuses(course)?;
    let done = all.iter().filter(|(_, label, _)| label == "passed").count();
    Ok((done, all.len()))
}

pub fn run(_args: ListArgs) -> Result<i32> {
    let course = Course::load()?;
    let mut chapters: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut next: Option<String> = None;
    for (exercise, label, note) in statuses(&course)? {
        let entry = chapters.entry(exercise.chapter_dir.clone()).or_default();
        entry.1 += 1;
        if label == "passed" {
            entry.0 += 1;
        } else if next.is_none() {
            next = Some(exercise.id());
        }
        println!(
            "{} {:<22} {:<13} {note}",
            exercise.id(),
            exercise.slug,
            label
        );
    }
    println!();
    for (chapter, (done, total)) in &chapters {
        let bar: String = (0..*total)
            .map(|i| if i < *done { '#' } else { '.' })
            .collect();
        println!("{chapter:<36} [{bar}] {done}/{total}");
    }
    let done: usize = chapters.values().map(|c| c.0).sum();
    let total: usize = chapters.values().map(|c| c.1).sum();
    println!("{done}/{total} exercises passed");
    if let Some(id) = next {
        println!("next: `cargo xtask check {id}`");
    }
    Ok(0)
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 80 {
        format!("{}...", line.chars().take(77).collect::<String>())
    } else {
        line.to_string()
    }
}
