//! Compiling: one `cargo test --no-run --message-format=json` for every selected
//! exercise, so that cargo builds them in parallel and says which package an error
//! belongs to.

use super::Batch;
use crate::course::{Course, Exercise};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug)]
pub(super) enum Compiled {
    Executables(Vec<PathBuf>),
    Error(String),
}

/// How cargo shares the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Priority {
    /// Nothing else runs: cargo prints its progress as usual.
    Normal,
    /// Tests run beside it (`verify`'s pipeline): cargo runs quietly at the lowest
    /// CPU priority (`nice` 19), so that the tests get the cores whenever they want
    /// them and the build gets what they leave.
    Background,
}

/// Compiles every package of the batch. Cargo stops scheduling new work at the first
/// compile error, so the packages it never reached are compiled again, without the
/// ones that failed, until each has an outcome.
pub(super) fn compile_all(
    course: &Course,
    batch: &Batch,
    priority: Priority,
) -> Result<BTreeMap<PathBuf, Compiled>> {
    let mut done = BTreeMap::new();
    // Loom exercises build with other flags, in a target directory of their own.
    for mut remaining in super::loom::groups(&batch.packages) {
        let targets = one_test_targets(batch, &remaining);
        while !remaining.is_empty() {
            let found = compile(
                course,
                &batch.manifest,
                &remaining,
                targets.as_deref(),
                priority,
            )?;
            if found.is_empty() {
                break;
            }
            done.extend(found);
            remaining.retain(|(_, dir)| !done.contains_key(dir));
        }
    }
    Ok(done)
}

/// When every package of a group runs one test only (`Batch::one_test`): the test
/// targets (files of `tests/`) that hold those tests, so that the others, and the
/// library's own test harness, are not built. `None` builds every target.
fn one_test_targets(batch: &Batch, packages: &[(Exercise, PathBuf)]) -> Option<Vec<String>> {
    let mut targets = Vec::new();
    for (exercise, dir) in packages {
        let test = batch.one_test.get(&exercise.rel)?;
        // Each file directly in tests/ is a test target named after the file.
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("tests"))
            .ok()?
            .flatten()
            .map(|entry| entry.path())
            .filter(|f| f.extension().is_some_and(|x| x == "rs"))
            .collect();
        files.sort();
        let target = files.into_iter().find(|f| {
            std::fs::read_to_string(f).is_ok_and(|text| text.contains(&format!("fn {test}(")))
        })?;
        let name = target.file_stem()?.to_string_lossy().into_owned();
        if !targets.contains(&name) {
            targets.push(name);
        }
    }
    Some(targets)
}

/// `cargo test --no-run` for some packages (only the test targets `targets`, if
/// given); test executables or the first error of each package that cargo got to,
/// keyed by package folder.
pub(super) fn compile(
    course: &Course,
    manifest: &Path,
    packages: &[(Exercise, PathBuf)],
    targets: Option<&[String]>,
    priority: Priority,
) -> Result<BTreeMap<PathBuf, Compiled>> {
    let mut cmd = Command::new(cargo());
    cmd.arg("test")
        .arg("--no-run")
        .arg("--no-fail-fast")
        .arg("--message-format=json")
        .arg("--manifest-path")
        .arg(manifest);
    for (exercise, _) in packages {
        cmd.arg("-p").arg(&exercise.package);
    }
    for target in targets.unwrap_or_default() {
        cmd.arg("--test").arg(target);
    }
    cmd.env("CARGO_TARGET_DIR", course.target_dir())
        .current_dir(&course.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    super::loom::configure_build(&mut cmd, course, packages);
    if priority == Priority::Background {
        cmd.arg("--quiet");
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: `nice` is async-signal-safe and touches no memory of the parent;
            // rustc and the linker inherit the priority.
            unsafe {
                cmd.pre_exec(|| {
                    libc::nice(19);
                    Ok(())
                });
            }
        }
    }
    let mut child = cmd.spawn().context("cannot run cargo")?;
    let stdout = child.stdout.take().expect("piped stdout");

    let dirs: Vec<PathBuf> = packages.iter().map(|(_, d)| canonical(d)).collect();
    let mut executables: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut errors: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut shared_error: Option<String> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let manifest = msg["manifest_path"]
            .as_str()
            .map(|p| canonical(Path::new(p)));
        let package_dir = manifest
            .as_ref()
            .and_then(|m| m.parent())
            .map(Path::to_path_buf);
        let ours = package_dir.as_ref().filter(|d| dirs.contains(d));
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                if let (Some(dir), Some(exe)) = (ours, msg["executable"].as_str())
                    && msg["profile"]["test"].as_bool() == Some(true)
                {
                    executables
                        .entry(dir.clone())
                        .or_default()
                        .push(PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                if msg["message"]["level"].as_str() != Some("error") {
                    continue;
                }
                let rendered = msg["message"]["rendered"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let summary = first_error(&rendered);
                match ours {
                    Some(dir) => {
                        errors.entry(dir.clone()).or_insert(summary);
                    }
                    None => {
                        let who = package_dir
                            .as_ref()
                            .map(|d| crate::scratch::display_rel(&course.root, d))
                            .unwrap_or_default();
                        shared_error.get_or_insert(format!("in {who}: {summary}"));
                    }
                }
            }
            _ => {}
        }
    }
    child.wait()?;

    let mut out = BTreeMap::new();
    for (dir, original) in dirs.iter().zip(packages.iter().map(|(_, d)| d)) {
        let compiled = if let Some(error) = errors.remove(dir) {
            Compiled::Error(error)
        } else if let Some(exes) = executables.remove(dir) {
            Compiled::Executables(exes)
        } else if let Some(shared) = &shared_error {
            Compiled::Error(shared.clone())
        } else {
            continue;
        };
        out.insert(original.clone(), compiled);
    }
    Ok(out)
}

pub(super) fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// `error[E0308]: mismatched types (src/lib.rs:10:5)` from a rendered diagnostic.
pub(super) fn first_error(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let head = lines.next().unwrap_or("error").trim().to_string();
    let location = lines
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|l| format!(" ({})", l.trim()));
    format!("{head}{}", location.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(rel: &str) -> Exercise {
        Exercise {
            chapter: "01".into(),
            chapter_dir: "01_wait_or_work".into(),
            number: "02".into(),
            slug: "four_jobs".into(),
            rel: PathBuf::from(rel),
            package: "ex01_02_four_jobs".into(),
            manifest: None,
        }
    }

    #[test]
    fn one_test_builds_only_the_file_that_holds_it() {
        let dir = std::env::temp_dir().join(format!("wow-one-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tests/snapshots")).unwrap();
        std::fs::write(
            dir.join("tests/four_jobs.rs"),
            "#[test]\nfn jobs_overlap() {}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("tests/panicking_job.rs"),
            "#[test]\nfn a_panic_reaches_the_caller() {}\n",
        )
        .unwrap();
        let e = exercise("01_wait_or_work/02_four_jobs");
        let packages = vec![(e.clone(), dir.clone())];
        let batch = |test: Option<&str>| Batch {
            manifest: dir.join("Cargo.toml"),
            packages: packages.clone(),
            name: "fixtures-2".into(),
            one_test: test
                .map(|t| (e.rel.clone(), t.to_string()))
                .into_iter()
                .collect(),
        };
        let targets = |test| one_test_targets(&batch(test), &packages);
        assert_eq!(
            targets(Some("a_panic_reaches_the_caller")),
            Some(vec!["panicking_job".to_string()])
        );
        assert_eq!(
            targets(Some("jobs_overlap")),
            Some(vec!["four_jobs".to_string()])
        );
        // A name no file defines, or a package that runs every test: build everything.
        assert_eq!(targets(Some("no_such_test")), None);
        assert_eq!(targets(None), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
