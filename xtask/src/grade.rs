//! `cargo xtask grade DIR [--json]`: grades a student's copy of the course (or of a
//! pack) with this repository's *pristine* tests. Only the files a student is meant
//! to edit (each exercise manifest's `edit`) are taken; every other file that differs
//! from the shipped exercise (tests, snapshots, given code in `src/`) is listed as
//! modified and ignored, so editing a test or a given server can never raise a grade.

use crate::assign::PACK_FILE;
use crate::course::{Course, Exercise};
use crate::report::print_status;
use crate::runner::{self, Batch, Graded, RunOptions, Status};
use crate::scratch;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod class;
mod markdown;

#[derive(clap::Args, Debug)]
pub struct GradeArgs {
    /// The student's copy: a clone of the course or a pack made by `assign` (with
    /// `--class`: the folder that holds one such copy per student).
    pub dir: PathBuf,
    /// DIR is a class: grade every submission folder directly below it, one at a
    /// time, resuming where an interrupted run stopped; writes DIR/grades.csv and
    /// DIR/grades.json.
    #[arg(long, conflicts_with_all = ["json", "summary_markdown"])]
    pub class: bool,
    /// With `--class`: grade again the students whose last grade has a check that
    /// was not checked, even if their files did not change (on a quieter machine).
    #[arg(long, requires = "class")]
    pub retry_not_checked: bool,
    /// One JSON document on stdout (schema `wait-or-work/grade/v1`, see the book's
    /// page for instructors).
    #[arg(long)]
    pub json: bool,
    /// Wall-clock limit for the tests of one exercise, in seconds [default: the
    /// exercise's own limit, or 60].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Also append a Markdown summary to FILE (a table, and how many timing checks
    /// were not checked and why), e.g. `"$GITHUB_STEP_SUMMARY"` in a workflow.
    #[arg(long, value_name = "FILE")]
    pub summary_markdown: Option<PathBuf>,
}

/// One graded submission: what it is, its exercises' grades, and the files other
/// than the edited ones that differ from the course's, per exercise id.
pub struct Outcome {
    pub submission: Submission,
    pub graded: Vec<Graded>,
    pub modified: BTreeMap<String, Vec<String>>,
}

/// What the submission says it is.
#[derive(Debug, Serialize)]
pub struct Submission {
    pub path: String,
    /// `pack` (made by `assign`) or `course` (a copy of the whole course).
    pub kind: &'static str,
    pub version: String,
    pub chapters: Vec<String>,
}

pub fn run(args: GradeArgs) -> Result<i32> {
    let course = Course::load()?;
    let options = RunOptions {
        timeout: args.timeout.map(|t| Duration::from_secs(t.max(1))),
        verbose: false,
        env: Vec::new(),
        timeline: false,
    };
    if args.class {
        return class::run(&course, &args.dir, &options, args.retry_not_checked);
    }
    let Outcome {
        submission,
        graded,
        modified,
    } = grade_dir(&course, &args.dir, &options)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = json_report(&submission, &graded, &modified);
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for g in &graded {
            print_status(g, &mut out)?;
            if let Some(files) = modified.get(&g.exercise.id()).filter(|f| !f.is_empty()) {
                writeln!(
                    out,
                    "      modified (ignored, graded with the original tests): {}",
                    files.join(", ")
                )?;
            }
        }
        writeln!(out, "{}", crate::report::summary(&graded))?;
    }
    if let Some(file) = &args.summary_markdown {
        let doc = serde_json::to_value(json_report(&submission, &graded, &modified))?;
        markdown::append(file, &markdown::summary(&doc))?;
    }
    Ok(0)
}

/// Grades the submission in `dir` with this course's pristine tests.
pub fn grade_dir(course: &Course, dir: &Path, options: &RunOptions) -> Result<Outcome> {
    if !dir.is_dir() {
        crate::usage!(
            "{} does not exist or is not a folder; pass the student's course folder",
            dir.display()
        );
    }
    let submission = identify(course, dir)?;
    let ours = env!("CARGO_PKG_VERSION");
    if submission.version != ours {
        eprintln!(
            "warning: {} is course version {}, this grader is {ours}; grading with this version's tests",
            dir.display(),
            submission.version
        );
    }
    let expected: Vec<Exercise> = course
        .exercises
        .iter()
        .filter(|e| submission.chapters.contains(&e.chapter))
        .cloned()
        .collect();
    let student_dir = |e: &Exercise| dir.join("exercises").join(&e.rel);
    let _lock = scratch::lock(course, "grade")?;
    // Pristine exercise + only the files a learner is meant to edit (the manifest's
    // `edit`), staged first: a changed given file (a server that counts requests in
    // flight) is the course's, never the student's.
    let stage = course.scratch_dir().join("grade-stage");
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    for e in &expected {
        if !student_dir(e).is_dir() {
            continue;
        }
        let into = stage.join(&e.rel);
        std::fs::create_dir_all(&into)?;
        for file in e.edit_files() {
            let from = student_dir(e).join(&file);
            if from.is_file() {
                let to = into.join(&file);
                std::fs::create_dir_all(to.parent().expect("a file has a folder"))?;
                std::fs::copy(&from, &to)?;
            }
        }
    }
    let overlay = scratch::overlay(course, "grade", &expected, "", |e| stage.join(&e.rel))?;
    let batch = Batch {
        manifest: overlay.manifest(),
        packages: overlay.present.clone(),
        name: "grade".to_string(),
        one_test: Default::default(),
    };
    let mut graded = runner::grade(course, &batch, options)?;
    for (exercise, _) in overlay.missing {
        let what = format!(
            "missing: no folder exercises/{} in the submission",
            exercise.rel.display()
        );
        graded.push(Graded::without_running(exercise, Status::Missing { what }));
    }
    graded.sort_by(|a, b| a.exercise.rel.cmp(&b.exercise.rel));
    // Given code inside the files a student edits (a baseline, an instrument): a
    // change to it is not graded, whatever the tests said.
    for g in &mut graded {
        let e = &g.exercise;
        let changes: Vec<String> = e
            .edit_files()
            .iter()
            .flat_map(|file| {
                // A file the student does not have is graded as it is (missing, or a
                // compile error), not compared.
                let read = |dir: &Path| std::fs::read_to_string(dir.join(file)).ok();
                let changes = match (read(&course.exercise_dir(e)), read(&student_dir(e))) {
                    (Some(ours), Some(theirs)) => crate::given::changed(&ours, &theirs),
                    _ => Vec::new(),
                };
                changes.into_iter().map(move |c| format!("{file} ({c})"))
            })
            .collect();
        if !changes.is_empty() {
            g.status = Status::Modified {
                files: changes,
                advice: "given code inside the student's file differs from the course's: \
                         not graded"
                    .to_string(),
            };
        }
    }
    let modified: BTreeMap<String, Vec<String>> = expected
        .iter()
        .filter(|e| student_dir(e).is_dir())
        .map(|e| {
            (
                e.id(),
                modified_files(&course.exercise_dir(e), &student_dir(e), &e.edit_files()),
            )
        })
        .collect();
    Ok(Outcome {
        submission,
        graded,
        modified,
    })
}

/// A pack (`course-pack.toml`) or a copy of the whole course (`xtask/Cargo.toml`).
fn identify(course: &Course, dir: &Path) -> Result<Submission> {
    if !dir.join("exercises").is_dir() {
        crate::usage!(
            "{} is not a Wait or Work course: it has no exercises/ folder",
            dir.display()
        );
    }
    let path = dir.display().to_string();
    if let Ok(text) = std::fs::read_to_string(dir.join(PACK_FILE)) {
        let doc: toml_edit::DocumentMut = text
            .parse()
            .with_context(|| format!("{} in {} is not valid TOML", PACK_FILE, dir.display()))?;
        if doc.get("course").and_then(|c| c.as_str()) != Some("wait-or-work") {
            crate::usage!("{} is a course pack of another course", dir.display());
        }
        let version = doc
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("unknown")
            .to_string();
        let chapters = doc
            .get("chapters")
            .and_then(|c| c.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Submission {
            path,
            kind: "pack",
            version,
            chapters,
        });
    }
    let Ok(manifest) = std::fs::read_to_string(dir.join("xtask/Cargo.toml")) else {
        crate::usage!(
            "{} is not a Wait or Work course: no {PACK_FILE} and no xtask/Cargo.toml",
            dir.display()
        );
    };
    let doc: toml_edit::DocumentMut = manifest
        .parse()
        .context("xtask/Cargo.toml is not valid TOML")?;
    let version = doc
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_string();
    let chapters: BTreeSet<String> = course.exercises.iter().map(|e| e.chapter.clone()).collect();
    Ok(Submission {
        path,
        kind: "course",
        version,
        chapters: chapters.into_iter().collect(),
    })
}

/// Files other than the ones a learner edits that differ from the shipped exercise,
/// are missing, or were added (given code in `src/` included): listed, and ignored.
pub fn modified_files(pristine: &Path, student: &Path, edit: &[String]) -> Vec<String> {
    let ours = files_below(pristine);
    let theirs = files_below(student);
    let is_edit = |rel: &String| edit.contains(rel);
    let mut out = Vec::new();
    for (rel, bytes) in ours.iter().filter(|(rel, _)| !is_edit(rel)) {
        match theirs.get(rel) {
            None => out.push(format!("{rel} (deleted)")),
            Some(b) if b != bytes => out.push(rel.clone()),
            _ => {}
        }
    }
    for rel in theirs.keys().filter(|rel| !is_edit(rel)) {
        if !ours.contains_key(rel) {
            out.push(format!("{rel} (added)"));
        }
    }
    out
}

fn files_below(root: &Path) -> BTreeMap<String, Vec<u8>> {
    crate::walk::files(root, crate::walk::is_source)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|rel| {
            let bytes = std::fs::read(root.join(&rel)).ok()?;
            Some((crate::walk::slashed(&rel), bytes))
        })
        .collect()
}

#[derive(Serialize)]
pub struct JsonReport<'a> {
    schema: &'static str,
    course_version: &'static str,
    submission: &'a Submission,
    machine: Machine,
    exercises: Vec<JsonExercise>,
    summary: JsonSummary,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub os: &'static str,
    pub arch: &'static str,
    pub cpu_model: Option<String>,
}

impl Machine {
    pub fn this() -> Self {
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            cpu_model: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|info| {
                    info.lines()
                        .find_map(|l| l.strip_prefix("model name"))
                        .and_then(|l| l.split_once(':'))
                        .map(|(_, m)| m.trim().to_string())
                }),
        }
    }
}

#[derive(Serialize)]
struct JsonExercise {
    id: String,
    package: String,
    chapter: String,
    status: &'static str,
    message: String,
    tests_passed: usize,
    tests_total: usize,
    duration_ms: u128,
    checks: Vec<JsonCheck>,
    modified_files: Vec<String>,
}

#[derive(Serialize)]
struct JsonCheck {
    check: String,
    outcome: String,
    detail: String,
    measured: Option<f64>,
    needed: Option<f64>,
    /// A claim about time, whose outcome depends on the machine and its load.
    timing: bool,
}

#[derive(Serialize)]
struct JsonSummary {
    done: usize,
    total: usize,
}

pub fn json_report<'a>(
    submission: &'a Submission,
    graded: &[Graded],
    modified: &BTreeMap<String, Vec<String>>,
) -> JsonReport<'a> {
    JsonReport {
        schema: "wait-or-work/grade/v1",
        course_version: env!("CARGO_PKG_VERSION"),
        submission,
        machine: Machine::this(),
        exercises: graded
            .iter()
            .map(|g| JsonExercise {
                id: g.exercise.id(),
                package: g.exercise.package.clone(),
                chapter: g.exercise.chapter.clone(),
                status: g.status.label(),
                message: g.status.message(),
                tests_passed: g.tests_passed,
                tests_total: g.tests_total,
                duration_ms: g.duration.as_millis(),
                checks: g
                    .reports
                    .iter()
                    .map(|r| JsonCheck {
                        check: r.check.clone(),
                        outcome: r.outcome.as_str().to_string(),
                        detail: r.detail.clone(),
                        measured: r.measured,
                        needed: r.needed,
                        timing: r.timing,
                    })
                    .collect(),
                modified_files: modified.get(&g.exercise.id()).cloned().unwrap_or_default(),
            })
            .collect(),
        summary: JsonSummary {
            done: graded.iter().filter(|g| g.status.is_pass()).count(),
            total: graded.len(),
        },
    }
}
