//! `cargo xtask mutants [SELECTOR...]`: proves the exercises' tests by mutation.
//!
//! A test suite that passes the solution and rejects the sequential fixture can still
//! let other wrong answers through. cargo-mutants makes many small wrong answers out
//! of each solution (an operator flipped, a body replaced by a default value) and
//! runs the exercise's own tests against each; a mutant the tests accept is a wrong
//! answer a learner could hand in. Every survivor must be killed by a sharper test or
//! explained, one line each, in `xtask/tests/mutants/explained.toml` (an equivalent
//! mutant, say).
//!
//! Each solution is mutated inside a scratch copy of its exercise (the same overlay
//! that `check --solutions` grades), against that exercise's tests only; only the
//! files a learner edits (those under `solutions/`) are mutated, never the given
//! servers, kitchens and helpers, nor the items marked "Given" inside the edited
//! files (`given.rs`: `check` reports a change to them). Too slow for `ci`: a
//! maintainer runs it.

use crate::course::{Course, Exercise};
use crate::runner::{kill_group, spawn_in_group};
use crate::scratch;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

#[derive(clap::Args, Debug)]
pub struct MutantsArgs {
    /// Only these exercises (same selectors as `check`).
    pub selectors: Vec<String>,
    /// Wall-clock limit for one exercise's whole mutation run, in minutes; an exercise
    /// cut short is reported as such, with how many mutants were tried.
    #[arg(long, default_value_t = 20)]
    pub minutes: u64,
    /// Limit for one mutant's test run, in seconds (a mutant that loops forever).
    #[arg(long, default_value_t = 60)]
    pub test_timeout: u64,
    /// Time the timing checks too. Without it the mutants meet the grader's
    /// clock-free pass only (every timing check deferred), which is fast and gives
    /// the same answer on a busy machine: a mutant that only a clock can catch
    /// survives, and shows a timing claim without a structural twin.
    #[arg(long)]
    pub timed: bool,
}

/// The committed list of survivors that are explained, not killed.
const EXPLAINED: &str = "xtask/tests/mutants/explained.toml";

#[derive(Deserialize, Debug, Default)]
struct Explained {
    #[serde(default)]
    survivor: Vec<Survivor>,
}

#[derive(Deserialize, Debug)]
struct Survivor {
    /// `NN/MM`.
    exercise: String,
    /// The mutant as cargo-mutants names it, without the line and column
    /// (`src/lib.rs: replace count -> usize with 0`), so that it survives edits above it.
    mutant: String,
    /// One line: why no test can or should kill it.
    reason: String,
}

#[derive(Serialize, Debug, Default)]
struct ExerciseResult {
    exercise: String,
    tried: usize,
    caught: usize,
    timeouts: usize,
    unviable: usize,
    explained: Vec<String>,
    unexplained: Vec<String>,
    cut_short: bool,
    seconds: f64,
    error: Option<String>,
}

pub fn run(args: MutantsArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(&args.selectors)?;
    ensure_cargo_mutants()?;
    let explained = load_explained(&course)?;
    let _lock = scratch::lock(&course, "mutants")?;
    let solutions = course.solutions_dir();
    let overlay = scratch::overlay(&course, "mutants", &selected, "", |e| {
        solutions.join(&e.rel)
    })?;
    let out_root = course.scratch_dir().join("mutants-out");
    let mut results = Vec::new();
    for (i, (exercise, dir)) in overlay.present.iter().enumerate() {
        eprintln!(
            "[{}/{}] mutating the solution of {} {}...",
            i + 1,
            overlay.present.len(),
            exercise.id(),
            exercise.slug
        );
        let result = mutate_one(&course, &args, exercise, dir, &overlay.root, &out_root)
            .unwrap_or_else(|e| ExerciseResult {
                exercise: exercise.id(),
                error: Some(format!("{e:#}")),
                ..Default::default()
            });
        let result = sort_survivors(result, &explained);
        print_result(&result);
        results.push(result);
    }
    for (exercise, why) in &overlay.missing {
        println!("{} {}: {why}", exercise.id(), exercise.slug);
    }
    let summary = out_root.join("summary.json");
    std::fs::create_dir_all(&out_root)?;
    std::fs::write(&summary, serde_json::to_string_pretty(&results)?)?;
    let unexplained: usize = results.iter().map(|r| r.unexplained.len()).sum();
    let failed = results
        .iter()
        .filter(|r| r.error.is_some() || r.cut_short)
        .count();
    println!(
        "mutants: {} exercises, {} mutants tried, {} caught, {} timed out (caught), {} \
         unviable, {} explained, {unexplained} unexplained survivor(s), {failed} exercise(s) \
         not finished; summary in {}",
        results.len(),
        results.iter().map(|r| r.tried).sum::<usize>(),
        results.iter().map(|r| r.caught).sum::<usize>(),
        results.iter().map(|r| r.timeouts).sum::<usize>(),
        results.iter().map(|r| r.unviable).sum::<usize>(),
        results.iter().map(|r| r.explained.len()).sum::<usize>(),
        scratch::display_rel(&course.root, &summary)
    );
    Ok(if unexplained == 0 && failed == 0 {
        0
    } else {
        1
    })
}

/// Installs cargo-mutants when it is missing, as `.ci/run` installs Chromium.
fn ensure_cargo_mutants() -> Result<()> {
    let cargo = crate::runner::cargo();
    let found = Command::new(&cargo)
        .args(["mutants", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    eprintln!(
        "cargo-mutants is not installed: installing it (cargo install cargo-mutants --locked)..."
    );
    let status = Command::new(&cargo)
        .args(["install", "cargo-mutants", "--locked"])
        .status()
        .context("cannot run cargo install")?;
    anyhow::ensure!(
        status.success(),
        "could not install cargo-mutants: run `cargo install cargo-mutants --locked` and try again"
    );
    Ok(())
}

fn load_explained(course: &Course) -> Result<Explained> {
    let path = course.root.join(EXPLAINED);
    if !path.is_file() {
        return Ok(Explained::default());
    }
    let text = std::fs::read_to_string(&path)?;
    toml::from_str(&text).with_context(|| format!("{EXPLAINED} is not valid: fix the TOML"))
}

/// The files of the solution, relative to the exercise folder: what a learner edits.
fn edited_files(solution: &Path) -> Result<Vec<PathBuf>> {
    Ok(crate::walk::files(solution, |_| true)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect())
}

fn mutate_one(
    course: &Course,
    args: &MutantsArgs,
    exercise: &Exercise,
    dir: &Path,
    workspace: &Path,
    out_root: &Path,
) -> Result<ExerciseResult> {
    let started = Instant::now();
    let output = out_root.join(exercise.id().replace('/', "_"));
    if output.exists() {
        std::fs::remove_dir_all(&output)?;
    }
    std::fs::create_dir_all(&output)?;
    let mut cmd = Command::new(crate::runner::cargo());
    cmd.args(["mutants", "--in-place", "--no-shuffle", "--colors", "never"])
        .arg("--dir")
        .arg(workspace)
        .args(["--package", &exercise.package])
        .args(["--timeout", &args.test_timeout.to_string()])
        .arg("--output")
        .arg(&output);
    for file in edited_files(&course.solution_dir(exercise))? {
        let rel = dir.join(&file);
        let rel = rel.strip_prefix(workspace).unwrap_or(&rel);
        cmd.arg("--file").arg(rel);
        // Given code inside the edited file (a baseline, an instrument) is not the
        // learner's to change: `check` reports a change to it as "modified". Its
        // mutants are no wrong answer a learner can hand in.
        let text = std::fs::read_to_string(course.solution_dir(exercise).join(&file))?;
        for item in crate::given::items(&text).unwrap_or_default().into_keys() {
            cmd.arg("--exclude-re").arg(given_pattern(&item));
        }
    }
    // The tests run one at a time, as the grader runs them: timing checks must not
    // compete with each other. insta never writes a snapshot.
    cmd.args(["--", "--", "--test-threads=1"])
        .env("CARGO_TARGET_DIR", course.target_dir().join("mutants"))
        .env("INSTA_UPDATE", "no")
        .env("CI", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !args.timed {
        cmd.env(test_support::timing::LATER_VAR, "later");
    }
    // Chapter 16: the tests mean something only under loom's model.
    crate::runner::configure_loom(&mut cmd, exercise, &course.target_dir().join("mutants"));
    let mut child = spawn_in_group(&mut cmd).context("cannot run cargo mutants")?;
    let limit = Duration::from_secs(args.minutes.max(1) * 60);
    let finished = child.wait_timeout(limit)?;
    let cut_short = finished.is_none();
    kill_group(&mut child);
    let found = output.join("mutants.out");
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(found.join(name))
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let (caught, missed, timeouts, unviable) = (
        read("caught.txt"),
        read("missed.txt"),
        read("timeout.txt"),
        read("unviable.txt"),
    );
    let tried = caught.len() + missed.len() + timeouts.len() + unviable.len();
    let error = (tried == 0 && !cut_short).then(|| {
        format!(
            "cargo mutants tried no mutant: see {}",
            scratch::display_rel(&course.root, &found.join("debug.log"))
        )
    });
    Ok(ExerciseResult {
        exercise: exercise.id(),
        tried,
        caught: caught.len(),
        timeouts: timeouts.len(),
        unviable: unviable.len(),
        explained: Vec::new(),
        // Named from the exercise's folder (`src/lib.rs:...`), not the scratch copy's.
        unexplained: missed
            .into_iter()
            .map(|m| {
                let folder = format!("{}/", crate::walk::slashed(&exercise.rel));
                match m.find(&folder) {
                    Some(i) => m[i + folder.len()..].to_string(),
                    None => m,
                }
            })
            .collect(),
        cut_short,
        seconds: started.elapsed().as_secs_f64(),
        error,
    })
}

/// The mutants of a given item, as cargo-mutants names them: `replace score -> u64
/// with 0`, `replace ^= with |= in score`, `replace <impl Display for E>::fmt -> ...`.
fn given_pattern(item: &str) -> String {
    match item.split_once(' ') {
        Some(("impl", what)) => format!("<impl {what}>"),
        Some((_, name)) => format!("( in {name}$|replace {name} ->)"),
        None => item.to_string(),
    }
}

/// `src/lib.rs:56:17: replace ...` -> `src/lib.rs: replace ...`: survives edits above.
fn without_position(mutant: &str) -> String {
    let mut parts = mutant.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(file), Some(line), Some(col), Some(rest))
            if line.chars().all(|c| c.is_ascii_digit())
                && col.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{file}:{rest}")
        }
        _ => mutant.to_string(),
    }
}

fn sort_survivors(mut result: ExerciseResult, explained: &Explained) -> ExerciseResult {
    let (known, unknown): (Vec<_>, Vec<_>) = std::mem::take(&mut result.unexplained)
        .into_iter()
        .partition(|m| {
            let key = without_position(m);
            explained
                .survivor
                .iter()
                .any(|s| s.exercise == result.exercise && s.mutant == key)
        });
    result.explained = known
        .into_iter()
        .map(|m| {
            let key = without_position(&m);
            let reason = explained
                .survivor
                .iter()
                .find(|s| s.mutant == key)
                .map_or("", |s| s.reason.as_str());
            format!("{m} ({reason})")
        })
        .collect();
    result.unexplained = unknown;
    result
}

fn print_result(r: &ExerciseResult) {
    if let Some(error) = &r.error {
        println!("{}: error: {error}", r.exercise);
        return;
    }
    println!(
        "{}: {} mutants tried, {} caught, {} timed out, {} unviable, {} explained, {} \
         unexplained{} ({:.0} s)",
        r.exercise,
        r.tried,
        r.caught,
        r.timeouts,
        r.unviable,
        r.explained.len(),
        r.unexplained.len(),
        if r.cut_short {
            ", CUT SHORT by the time limit"
        } else {
            ""
        },
        r.seconds
    );
    for m in &r.unexplained {
        println!("    survived: {m}");
    }
}

#[cfg(test)]
mod tests {
    use super::without_position;

    #[test]
    fn a_mutant_is_named_without_its_position() {
        assert_eq!(
            without_position("src/lib.rs:56:17: replace + with - in count"),
            "src/lib.rs: replace + with - in count"
        );
        assert_eq!(without_position("no position here"), "no position here");
    }
}
