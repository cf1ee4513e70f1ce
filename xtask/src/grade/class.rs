//! `cargo xtask grade --class DIR`: grades every submission folder directly below DIR
//! (one student's copy of the course or of a pack each), one student at a time so
//! that the timing checks of two students never compete for the cores.
//!
//! Resumable: each student's report is kept in `DIR/.wait-or-work-class/` with a key
//! (SHA-256 of the grader's version, its fingerprints of the pristine tests and the
//! student's exercise files); a student whose key has not changed is not graded again.
//! At the end `DIR/grades.csv` (one row per student and exercise) and
//! `DIR/grades.json` (schema `wait-or-work/class/v1`) hold the whole class.

use super::{Machine, grade_dir, json_report};
use crate::course::Course;
use crate::runner::RunOptions;
use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The folder below the class that keeps each student's last report.
pub const STATE: &str = ".wait-or-work-class";
pub const CSV: &str = "grades.csv";
pub const JSON: &str = "grades.json";

/// The columns of `grades.csv`, one row per student and exercise (one row with an
/// empty exercise for a student who could not be graded).
pub const CSV_HEADER: [&str; 12] = [
    "student",
    "exercise",
    "package",
    "status",
    "tests_passed",
    "tests_total",
    "figures",
    "not_checked",
    "modified_files",
    "duration_ms",
    "message",
    "error",
];

pub fn run(course: &Course, class: &Path, options: &RunOptions, retry: bool) -> Result<i32> {
    if !class.is_dir() {
        crate::usage!(
            "{} does not exist or is not a folder; pass the folder that holds one folder per student",
            class.display()
        );
    }
    let students = submissions(class)?;
    if students.is_empty() {
        crate::usage!(
            "{} holds no submission folders; put one folder per student in it (each a copy of the course or of a pack)",
            class.display()
        );
    }
    let state = class.join(STATE);
    std::fs::create_dir_all(&state).with_context(|| {
        format!(
            "cannot write {}; the class folder must be writable",
            state.display()
        )
    })?;
    let grader = grader_key(course, options);
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut rows = Vec::new();
    let (mut reused, mut failed) = (0, 0);
    for (i, (name, path)) in students.iter().enumerate() {
        progress(terminal, i, students.len(), name, started);
        let saved = state.join(format!("{name}.json"));
        let outcome = student_key(&grader, path).and_then(|key| {
            if let Some(report) = load_saved(&saved, &key)
                && !(retry && has_not_checked(&report))
            {
                return Ok((report, true));
            }
            let graded = grade_dir(course, path, options)?;
            let report = serde_json::to_value(json_report(
                &graded.submission,
                &graded.graded,
                &graded.modified,
            ))?;
            write_atomically(
                &saved,
                serde_json::to_string_pretty(&json!({ "key": key, "report": report }))?.as_bytes(),
            )?;
            Ok((report, false))
        });
        match outcome {
            Ok((report, was_saved)) => {
                reused += usize::from(was_saved);
                eprintln!(
                    "{name}: {}{}",
                    done_of(&report),
                    if was_saved {
                        " (files unchanged since the last run: not graded again)"
                    } else {
                        ""
                    }
                );
                rows.push(json!({
                    "student": name, "path": path.display().to_string(),
                    "status": "graded", "error": null, "reused": was_saved,
                    "report": report,
                }));
            }
            Err(e) => {
                failed += 1;
                let _ = std::fs::remove_file(&saved);
                let error = format!("{e:#}");
                eprintln!("error: {}: {error}", path.display());
                rows.push(json!({
                    "student": name, "path": path.display().to_string(),
                    "status": "not graded", "error": error, "reused": false,
                    "report": null,
                }));
            }
        }
    }
    let doc = json!({
        "schema": "wait-or-work/class/v1",
        "course_version": env!("CARGO_PKG_VERSION"),
        "class": class.display().to_string(),
        "machine": Machine::this(),
        "students": rows,
        "summary": {
            "students": students.len(),
            "graded": students.len() - failed,
            "not_graded": failed,
        },
    });
    write_atomically(
        &class.join(JSON),
        (serde_json::to_string_pretty(&doc)? + "\n").as_bytes(),
    )?;
    write_atomically(&class.join(CSV), csv(&doc).as_bytes())?;
    println!(
        "graded {} of {} students in {:.0}s ({reused} unchanged since the last run); wrote {} and {}",
        students.len() - failed,
        students.len(),
        started.elapsed().as_secs_f64(),
        class.join(CSV).display(),
        class.join(JSON).display()
    );
    if failed > 0 {
        println!(
            "{failed} submission(s) could not be graded (the lines starting with `error:` say why); \
             fix them and run the same command again: the others are not graded again"
        );
        return Ok(2);
    }
    Ok(0)
}

/// The folders directly below the class, by name; hidden ones (the state) and plain
/// files are left out. A link that leads nowhere is kept: grading it reports it.
fn submissions(class: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(class)
        .with_context(|| format!("cannot read the class folder {}", class.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", class.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        if path.is_dir() || (is_link && !path.exists()) {
            out.push((name, path));
        }
    }
    out.sort();
    Ok(out)
}

/// What the grade of a student depends on besides their files: this grader's version,
/// its fingerprints of the pristine exercises, the time limit and the cores override.
fn grader_key(course: &Course, options: &RunOptions) -> Vec<u8> {
    let mut key = Vec::new();
    key.extend(env!("CARGO_PKG_VERSION").as_bytes());
    key.extend(std::fs::read(course.root.join(crate::shipped::SHIPPED)).unwrap_or_default());
    key.extend(format!("{:?}", options.timeout).as_bytes());
    key.extend(std::env::var("WOW_CORES").unwrap_or_default().as_bytes());
    key
}

/// SHA-256 of the grader's key and every file that grading reads from the student's
/// folder (the pack file, the tool's manifest, everything below `exercises/` but
/// build output). An unreadable folder or file is an error naming it.
fn student_key(grader: &[u8], dir: &Path) -> Result<String> {
    std::fs::read_dir(dir).with_context(|| {
        format!(
            "cannot read {}; make it a readable folder (a copy of the course or a pack)",
            dir.display()
        )
    })?;
    let mut hasher = Sha256::new();
    hasher.update(grader);
    for file in [crate::assign::PACK_FILE, "xtask/Cargo.toml"] {
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            hasher.update(file.as_bytes());
            hasher.update(&bytes);
        }
    }
    let mut files = Vec::new();
    collect(&dir.join("exercises"), &mut files)?;
    files.sort();
    for file in files {
        let bytes = std::fs::read(&file)
            .with_context(|| format!("cannot read {}; make it readable", file.display()))?;
        hasher.update(
            file.strip_prefix(dir)
                .unwrap_or(&file)
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}; make it readable", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().ends_with(".snap.new") {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// The report saved by an earlier run, if it was made from the same files.
fn load_saved(file: &Path, key: &str) -> Option<Value> {
    let saved: Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    (saved["key"] == key && saved["report"]["schema"] == "wait-or-work/grade/v1")
        .then(|| saved["report"].clone())
}

/// Written to a temporary file first, so that an interrupted run leaves either the
/// old file or the new one.
fn write_atomically(file: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, file).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(())
}

fn has_not_checked(report: &Value) -> bool {
    report["exercises"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| {
            e["checks"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["outcome"] == "not_checked")
        })
}

fn done_of(report: &Value) -> String {
    let exercises = report["exercises"].as_array().cloned().unwrap_or_default();
    let count = |status: &str| exercises.iter().filter(|e| e["status"] == status).count();
    let not_checked = count("not checked");
    format!(
        "{}/{} passed{}",
        count("passed"),
        exercises.len(),
        if not_checked > 0 {
            format!(", {not_checked} not checked (grade again on a quiet machine)")
        } else {
            String::new()
        }
    )
}

/// One line before each student: a bar and the time left on a terminal, else plain.
fn progress(terminal: bool, done: usize, total: usize, name: &str, started: Instant) {
    if !terminal {
        eprintln!("grading {}/{total}: {name}", done + 1);
        return;
    }
    const WIDTH: usize = 24;
    let filled = done * WIDTH / total.max(1);
    let left = if done == 0 {
        String::new()
    } else {
        let per = started.elapsed().as_secs_f64() / done as f64;
        format!(", about {:.0}s left", per * (total - done) as f64)
    };
    eprintln!(
        "\x1b[1m[{}{}] {}/{total}\x1b[0m grading {name} ({:.0}s so far{left})",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        done + 1,
        started.elapsed().as_secs_f64()
    );
}

/// `grades.csv` from the class document: RFC 4180 quoting, one row per student and
/// exercise.
fn csv(doc: &Value) -> String {
    let mut out = CSV_HEADER.join(",") + "\n";
    for student in doc["students"].as_array().into_iter().flatten() {
        let name = student["student"].as_str().unwrap_or("");
        let Some(exercises) = student["report"]["exercises"].as_array() else {
            let mut row = vec![String::new(); CSV_HEADER.len()];
            row[0] = name.to_string();
            row[3] = "not graded".to_string();
            row[11] = student["error"].as_str().unwrap_or("").to_string();
            out += &csv_row(&row);
            continue;
        };
        for e in exercises {
            let checks: Vec<&Value> = e["checks"].as_array().into_iter().flatten().collect();
            let figures: Vec<String> = checks
                .iter()
                .filter(|c| c["measured"].is_number())
                .map(|c| {
                    format!(
                        "{}: {}{}",
                        c["check"].as_str().unwrap_or("?"),
                        number(&c["measured"]),
                        if c["needed"].is_number() {
                            format!(" (needed {})", number(&c["needed"]))
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            let not_checked = checks
                .iter()
                .filter(|c| c["outcome"] == "not_checked")
                .count();
            let modified: Vec<&str> = e["modified_files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .collect();
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            out += &csv_row(&[
                name.to_string(),
                text(&e["id"]),
                text(&e["package"]),
                text(&e["status"]),
                text(&e["tests_passed"]),
                text(&e["tests_total"]),
                figures.join("; "),
                not_checked.to_string(),
                modified.join("; "),
                text(&e["duration_ms"]),
                text(&e["message"]),
                String::new(),
            ]);
        }
    }
    out
}

/// A measured figure with at most 3 decimals: `0.99997` -> `1`, `3.96191` -> `3.962`.
fn number(v: &Value) -> String {
    let text = format!("{:.3}", v.as_f64().unwrap_or(f64::NAN));
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0" } else { text }.to_string()
}

fn csv_row(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    quoted.join(",") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_have_at_most_three_decimals() {
        assert_eq!(number(&json!(0.9999771337986816)), "1");
        assert_eq!(number(&json!(3.9619091311222183)), "3.962");
        assert_eq!(number(&json!(4.0)), "4");
        assert_eq!(number(&json!(120)), "120");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(
            csv_row(&["a".into(), "b,c".into(), "say \"hi\"".into()]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\n"
        );
    }
}
