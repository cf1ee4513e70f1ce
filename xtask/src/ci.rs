//! `cargo xtask ci`: everything the project promises, in the order a failure is
//! cheapest to find. CI runs exactly this (`.ci/run`).

use crate::course::Course;
use crate::runner::cargo;
use crate::scratch;
use anyhow::{Context, Result};
use std::process::Command;
use std::time::Instant;

/// A named step and how to make the command that runs it.
type Step<'a> = (&'a str, Box<dyn Fn() -> Result<Command> + 'a>);

pub fn run() -> Result<i32> {
    let course = Course::load()?;
    let started = Instant::now();
    let xtask = std::env::current_exe().context("cannot find the xtask binary")?;
    let lint_overlay = || -> Result<Command> {
        // The solutions are linted in a scratch workspace like the one the tests use.
        let _lock = scratch::lock(&course, "solutions-lint")?;
        let overlay = scratch::overlay(&course, "solutions-lint", &course.exercises, "", |e| {
            course.solution_dir(e)
        })?;
        let mut cmd = cargo_cmd(&course, &["clippy", "--all-targets", "--workspace"]);
        cmd.arg("--manifest-path")
            .arg(overlay.manifest())
            .args(["--", "-D", "warnings"]);
        Ok(cmd)
    };
    let steps: Vec<Step> = vec![
        (
            "format",
            Box::new(|| Ok(cargo_cmd(&course, &["fmt", "--all", "--check"]))),
        ),
        (
            "clippy",
            Box::new(|| {
                Ok(cargo_cmd(
                    &course,
                    &[
                        "clippy",
                        "--workspace",
                        "--all-targets",
                        "--",
                        "-D",
                        "warnings",
                    ],
                ))
            }),
        ),
        ("clippy on the solutions", Box::new(lint_overlay)),
        (
            // Tidy first (a second or so): a misplaced file fails before the long steps.
            "tidy",
            Box::new(|| {
                Ok(cargo_cmd(
                    &course,
                    &["test", "--profile", "dev", "-p", "xtask", "--test", "tidy"],
                ))
            }),
        ),
        ("verify", Box::new(|| Ok(xtask_cmd(&xtask, &["verify"])))),
        (
            "the tool's own tests",
            Box::new(|| {
                // The dev profile shares the build of the running xtask. After
                // verify: the tests that grade the solutions (on one core, say) find
                // them built by verify, in the same scratch workspace.
                Ok(cargo_cmd(
                    &course,
                    &[
                        "test",
                        "--profile",
                        "dev",
                        "-p",
                        "xtask",
                        "-p",
                        "test-support",
                        // One test at a time: several of them time real work.
                        "--",
                        "--test-threads=1",
                    ],
                ))
            }),
        ),
        (
            "book build",
            Box::new(|| Ok(xtask_cmd(&xtask, &["book", "build"]))),
        ),
        (
            "book test",
            Box::new(|| Ok(xtask_cmd(&xtask, &["book", "test"]))),
        ),
        (
            "web test",
            Box::new(|| Ok(xtask_cmd(&xtask, &["web-test"]))),
        ),
    ];
    let total = steps.len();
    let mut not_checked = Vec::new();
    for (i, (name, make)) in steps.iter().enumerate() {
        let step_start = Instant::now();
        eprintln!("==> [{}/{total}] {name}", i + 1);
        let status = make()?
            .status()
            .with_context(|| format!("cannot start step `{name}`"))?;
        let took = step_start.elapsed().as_secs_f64();
        if status.code() == Some(crate::web::NOT_CHECKED) {
            println!("ci: {name} NOT CHECKED ({took:.0}s): see the reason above");
            not_checked.push(*name);
            continue;
        }
        if !status.success() {
            println!("ci: step `{name}` failed after {took:.0}s");
            return Ok(1);
        }
        println!("ci: {name} ok ({took:.0}s)");
    }
    let secs = started.elapsed().as_secs_f64();
    if not_checked.is_empty() {
        println!("ci: all {total} steps passed in {secs:.0}s");
    } else {
        println!(
            "ci: {} steps passed, {} not checked ({}) in {secs:.0}s",
            total - not_checked.len(),
            not_checked.len(),
            not_checked.join(", ")
        );
    }
    Ok(0)
}

fn cargo_cmd(course: &Course, args: &[&str]) -> Command {
    let mut cmd = Command::new(cargo());
    cmd.args(args)
        .current_dir(&course.root)
        .env("CARGO_TARGET_DIR", course.target_dir());
    cmd
}

fn xtask_cmd(xtask: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(xtask);
    cmd.args(args);
    cmd
}
