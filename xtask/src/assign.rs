//! `cargo xtask assign --chapters 2,5,8 --out DIR`: a standalone course pack with the
//! chosen chapters' exercises (unsolved), their tests, the test support, an xtask
//! that can `check` them, and the matching part of the book. No solutions inside.

use crate::course::Course;
use crate::scratch::copy_tree;
use crate::suggest;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct AssignArgs {
    /// Chapters to include, by number: `2,5,8` or `02,05,08`.
    #[arg(long, value_delimiter = ',', required = true)]
    pub chapters: Vec<String>,
    /// Folder to create; it must not exist yet (or be empty).
    #[arg(long)]
    pub out: PathBuf,
}

/// Written at the root of every pack; `grade` reads it.
pub const PACK_FILE: &str = "course-pack.toml";

pub fn run(args: AssignArgs) -> Result<i32> {
    let course = Course::load()?;
    let chapters = resolve_chapters(&course, &args.chapters)?;
    let out = &args.out;
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        crate::usage!(
            "{} already exists and is not empty; choose a new folder (nothing was written)",
            out.display()
        );
    }
    write_pack(&course, &chapters, out)?;
    let count = course
        .exercises
        .iter()
        .filter(|e| chapters.contains(&e.chapter))
        .count();
    println!(
        "wrote a course pack with chapter(s) {} ({count} exercises) to {}",
        chapters.iter().cloned().collect::<Vec<_>>().join(", "),
        out.display()
    );
    println!(
        "students: cd {} && cargo xtask book serve, then cargo xtask check",
        out.display()
    );
    println!("grade a submission with: cargo xtask grade <their copy> [--json]");
    Ok(0)
}

/// `2` -> `02`; an unknown chapter is a usage error naming the valid ones.
fn resolve_chapters(course: &Course, given: &[String]) -> Result<BTreeSet<String>> {
    let known: BTreeSet<String> = course.exercises.iter().map(|e| e.chapter.clone()).collect();
    let mut out = BTreeSet::new();
    for g in given {
        let g = g.trim();
        let normalized = g
            .parse::<u32>()
            .map(|n| format!("{n:02}"))
            .unwrap_or_default();
        if known.contains(&normalized) {
            out.insert(normalized);
        } else {
            let list: Vec<String> = known.iter().cloned().collect();
            let nearest = suggest::nearest(g, &list, 3);
            crate::usage!(
                "no exercise matches chapter `{g}`; chapters with exercises: {}{}",
                list.join(", "),
                if nearest.is_empty() {
                    String::new()
                } else {
                    format!(" (nearest: {})", nearest.join(", "))
                }
            );
        }
    }
    Ok(out)
}

fn write_pack(course: &Course, chapters: &BTreeSet<String>, out: &Path) -> Result<()> {
    let root = &course.root;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        ".gitignore",
        ".cargo/config.toml",
        crate::shipped::SHIPPED,
    ] {
        let from = root.join(file);
        if from.is_file() {
            let to = out.join(file);
            std::fs::create_dir_all(to.parent().expect("a file has a folder"))?;
            std::fs::copy(&from, &to)?;
        }
    }
    // The tool, without its own tests and fixtures.
    std::fs::create_dir_all(out.join("xtask"))?;
    std::fs::copy(root.join("xtask/Cargo.toml"), out.join("xtask/Cargo.toml"))?;
    copy_tree(&root.join("xtask/src"), &out.join("xtask/src"))?;
    copy_tree(
        &root.join("exercises/test-support"),
        &out.join("exercises/test-support"),
    )?;
    let mut chapter_dirs = BTreeSet::new();
    for e in course
        .exercises
        .iter()
        .filter(|e| chapters.contains(&e.chapter))
    {
        copy_tree(&course.exercise_dir(e), &out.join("exercises").join(&e.rel))?;
        chapter_dirs.insert(e.chapter_dir.clone());
    }
    write_book(course, chapters, out)?;
    let list = chapters
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        out.join(PACK_FILE),
        format!(
            "# A Wait or Work course pack, made by `cargo xtask assign`.\n\
             # `cargo xtask grade` reads this file; do not edit it.\n\
             course = \"wait-or-work\"\n\
             version = \"{}\"\n\
             chapters = [{list}]\n",
            env!("CARGO_PKG_VERSION")
        ),
    )?;
    let rust_version = rust_version(root)?;
    std::fs::write(
        out.join("README.md"),
        pack_readme(chapters, &chapter_dirs, &rust_version),
    )?;
    let workflow = out.join(WORKFLOW);
    std::fs::create_dir_all(workflow.parent().expect("a file has a folder"))?;
    std::fs::write(&workflow, grade_workflow(&rust_version))?;
    Ok(())
}

/// GitHub Classroom's autograding runs the workflows of a student's repository on
/// every push: this one grades the push with the pack's pristine tests.
pub const WORKFLOW: &str = ".github/workflows/grade.yml";

/// The workspace's `rust-version`: the toolchain the workflow installs.
fn rust_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let doc: toml_edit::DocumentMut = text.parse().context("Cargo.toml is not valid TOML")?;
    doc.get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("rust-version"))
        .and_then(|v| v.as_str())
        .map(String::from)
        .context("Cargo.toml has no [workspace.package] rust-version")
}

/// The grading workflow. The grader and the tests come from the repository's first
/// commit (the pack as `assign` wrote it, which a Classroom template repository
/// becomes), the files the student edits from the push: a test changed in the push
/// cannot change the grade. Each `run` is plain bash on the environment variables
/// GitHub sets, so that the tool's own tests can run the same commands on a copy.
fn grade_workflow(rust_version: &str) -> String {
    format!(
        r#"# Made by `cargo xtask assign`. GitHub Classroom's autograding (or any push)
# runs it: the push is graded with the pack's original tests, the grade is kept
# as the artifact `grade` (grade.json, schema wait-or-work/grade/v1) and shown in
# the run's summary. Timing checks that a busy shared runner cannot judge are
# "not checked", never passed: grade those again on a quiet machine.
name: grade
on:
  push:
  workflow_dispatch:

permissions:
  contents: read

jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    env:
      CARGO_TERM_COLOR: never
      CARGO_TARGET_DIR: ${{{{ github.workspace }}}}/target
    steps:
      - uses: actions/checkout@v4
        with:
          # The first commit holds the pristine tests.
          fetch-depth: 0
      - name: Install Rust {rust_version}
        run: |
          rustup toolchain install {rust_version} --profile minimal
          rustup default {rust_version}
      - uses: actions/cache@v4
        with:
          path: target
          key: grade-${{{{ runner.os }}}}-rust-{rust_version}-${{{{ hashFiles('Cargo.lock') }}}}
          restore-keys: grade-${{{{ runner.os }}}}-rust-{rust_version}-
      - name: Check out the pristine pack
        run: |
          first=$(git rev-list --max-parents=0 HEAD | tail -n 1)
          git worktree add --detach "$RUNNER_TEMP/pristine" "$first"
      - name: Grade
        run: |
          cd "$RUNNER_TEMP/pristine"
          cargo xtask grade "$GITHUB_WORKSPACE" --json \
            --summary-markdown "$GITHUB_STEP_SUMMARY" > "$GITHUB_WORKSPACE/grade.json"
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: grade
          path: grade.json
          if-no-files-found: warn
"#
    )
}

/// The book's front pages, the chosen chapters' folders, and a SUMMARY.md cut down
/// to them.
fn write_book(course: &Course, chapters: &BTreeSet<String>, out: &Path) -> Result<()> {
    let book = course.root.join("book");
    let dest = out.join("book");
    std::fs::create_dir_all(dest.join("src"))?;
    std::fs::copy(book.join("book.toml"), dest.join("book.toml"))?;
    copy_tree(&book.join("snippet-deps"), &dest.join("snippet-deps"))?;
    let summary = std::fs::read_to_string(book.join("src/SUMMARY.md"))?;
    let keep_chapter = |link: &str| {
        link.strip_prefix("ch")
            .and_then(|rest| rest.get(..2))
            .is_some_and(|n| chapters.contains(n))
    };
    let mut kept: Vec<String> = Vec::new();
    let mut pending_part: Option<String> = None;
    for line in summary.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("# ") && !trimmed.starts_with("# Summary") {
            pending_part = Some(line.to_string());
            continue;
        }
        let link = trimmed
            .split_once("](")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(link, _)| link);
        match link {
            // A draft chapter (no file) or a chapter not chosen.
            Some("") => continue,
            Some(link) if link.starts_with("ch") && !keep_chapter(link) => continue,
            Some(link) => {
                if let Some(part) = pending_part.take() {
                    kept.push(part);
                    kept.push(String::new());
                }
                let from = book.join("src").join(link);
                let to = dest.join("src").join(link);
                std::fs::create_dir_all(to.parent().expect("a page has a folder"))?;
                std::fs::copy(&from, &to)
                    .with_context(|| format!("cannot copy {}", from.display()))?;
                kept.push(line.to_string());
            }
            None => kept.push(line.to_string()),
        }
    }
    // Pictures and other files next to the chosen chapters' pages.
    for entry in std::fs::read_dir(book.join("src"))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && keep_chapter(&name) {
            copy_tree(&entry.path(), &dest.join("src").join(&name))?;
        }
    }
    let mut text = kept.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    std::fs::write(
        dest.join("src/SUMMARY.md"),
        text.trim_end().to_string() + "\n",
    )?;
    Ok(())
}

fn pack_readme(chapters: &BTreeSet<String>, dirs: &BTreeSet<String>, rust: &str) -> String {
    format!(
        "# Wait or Work: course pack\n\n\
         Chapters {}, assigned by your instructor. You need the Rust toolchain ({rust} or newer).\n\n\
         Read the book (served at http://127.0.0.1:3000):\n\n    cargo xtask book serve\n\n\
         Solve the exercises in {}, then grade your work:\n\n    cargo xtask check\n\n\
         `cargo xtask check 02/01` grades one exercise. Your instructor grades your copy \
         with the original tests, so editing a test cannot change your grade.\n\n\
         On GitHub, every push is graded by `.github/workflows/grade.yml`: the run's summary \
         shows the table. A timing check that the shared runner was too busy to judge is \
         *not checked*, not failed: check it on your own machine.\n",
        chapters.iter().cloned().collect::<Vec<_>>().join(", "),
        dirs.iter()
            .map(|d| format!("`exercises/{d}/`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
