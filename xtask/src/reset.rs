//! `cargo xtask reset NN/MM [--tests] [--yes]`: puts an exercise's files back as they
//! shipped, after keeping a copy of what it replaces under `target/`.
//!
//! The shipped versions come from the course's git history, checked against the
//! fingerprints of `exercises/shipped.toml`: `HEAD` first, then older commits (a
//! learner who committed a changed test still gets the course's back).

use crate::course::Course;
use crate::shipped;
use anyhow::{Context, Result};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;

#[derive(clap::Args, Debug)]
pub struct ResetArgs {
    /// The exercise to restore (`01/02`, its name or its folder).
    pub exercise: String,
    /// Restore only the tests, snapshots and given files, never the files you edit.
    #[arg(long)]
    pub tests: bool,
    /// Do not ask before replacing files.
    #[arg(long)]
    pub yes: bool,
}

pub fn run(args: ResetArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(std::slice::from_ref(&args.exercise))?;
    let [exercise] = selected.as_slice() else {
        crate::usage!(
            "reset: `{}` names {} exercises; name one, like `01/02`",
            args.exercise,
            selected.len()
        );
    };
    let fingerprints = shipped::load(&course)?;
    let Some(expected) = fingerprints.get(&exercise.id()) else {
        crate::usage!(
            "reset: {} has no shipped fingerprints in {}; restore it with git",
            exercise.id(),
            shipped::SHIPPED
        );
    };
    let dir = course.exercise_dir(exercise);
    let now = shipped::fingerprint(&dir)?;
    let edit = exercise.edit_files();
    let wanted = |file: &str| !args.tests || !edit.iter().any(|e| e == file);
    let to_restore: Vec<&String> = expected
        .iter()
        .filter(|(file, hash)| wanted(file) && now.get(*file) != Some(*hash))
        .map(|(file, _)| file)
        .collect();
    let to_remove: Vec<&String> = now
        .keys()
        .filter(|file| !expected.contains_key(*file) && wanted(file))
        .collect();
    if to_restore.is_empty() && to_remove.is_empty() {
        println!(
            "{} is already as it shipped{}: nothing to do",
            exercise.id(),
            if args.tests {
                " (tests and given files)"
            } else {
                ""
            }
        );
        return Ok(0);
    }
    for file in &to_restore {
        println!("restore  exercises/{}/{file}", exercise.rel.display());
    }
    for file in &to_remove {
        println!(
            "remove   exercises/{}/{file} (not part of the course)",
            exercise.rel.display()
        );
    }
    if !args.yes && !confirm()? {
        println!("nothing changed");
        return Ok(1);
    }
    // Find every shipped version before touching anything.
    let mut contents = Vec::new();
    for file in &to_restore {
        let path = format!(
            "exercises/{}/{file}",
            exercise.rel.to_string_lossy().replace('\\', "/")
        );
        let bytes = shipped_version(&course.root, &path, &expected[*file])?;
        contents.push((file.to_string(), bytes));
    }
    let backup = course.scratch_dir().join("reset").join(format!(
        "{}-{}",
        exercise.id().replace('/', "_"),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    ));
    for file in to_restore.iter().chain(&to_remove) {
        let from = dir.join(file);
        if from.is_file() {
            let to = backup.join(file);
            std::fs::create_dir_all(to.parent().expect("a file has a folder"))?;
            std::fs::copy(&from, &to)
                .with_context(|| format!("cannot keep a copy of {}", from.display()))?;
        }
    }
    for (file, bytes) in contents {
        let to = dir.join(&file);
        std::fs::create_dir_all(to.parent().expect("a file has a folder"))?;
        std::fs::write(&to, bytes).with_context(|| format!("cannot write {}", to.display()))?;
    }
    for file in &to_remove {
        std::fs::remove_file(dir.join(file))?;
    }
    println!(
        "{} restored; what it replaced is kept in {}",
        exercise.id(),
        crate::scratch::display_rel(&course.root, &backup)
    );
    Ok(0)
}

fn confirm() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        crate::usage!("reset replaces files: run it in a terminal to confirm, or add --yes");
    }
    print!("replace these files? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The bytes of `path` as shipped: the newest version in the git history whose
/// SHA-256 is the shipped one.
fn shipped_version(root: &Path, path: &str, hash: &str) -> Result<Vec<u8>> {
    let git = |args: &[&str]| -> Option<Vec<u8>> {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    };
    let commits = git(&["log", "--format=%H", "--", path]).unwrap_or_default();
    let commits = String::from_utf8_lossy(&commits);
    for commit in std::iter::once("HEAD").chain(commits.lines()) {
        if let Some(bytes) = git(&["show", &format!("{commit}:{path}")])
            && shipped::hash(&bytes) == hash
        {
            return Ok(bytes);
        }
    }
    anyhow::bail!(
        "cannot find the shipped version of {path} in this folder's git history; copy it from \
         the course's repository"
    )
}
