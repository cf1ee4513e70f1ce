//! Scratch workspaces: the pristine exercise crates (tests, snapshots, given files)
//! with somebody's sources swapped in.
//!
//! This is how the tests are written once and run against both sides: `check
//! --solutions` and `verify` copy each exercise into `target/wait-or-work/<name>/`,
//! copy the files of `solutions/NN_chapter/MM_slug/` over it, and build the copies
//! as a workspace of their own that shares the course's `Cargo.lock` and target
//! directory (so tokio, rayon and insta are compiled once for both). Nothing is ever
//! written into `exercises/` or `solutions/`.

use crate::course::{Course, Exercise};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Holds an exclusive lock on one kind of grading run (`exercises`, `solutions`, ...)
/// until dropped, so that two runs at once (two terminals, an editor's task and a
/// learner) wait for each other instead of clearing each other's scratch folders.
pub struct RunLock {
    _file: std::fs::File,
}

pub fn lock(course: &Course, name: &str) -> Result<RunLock> {
    let dir = course.scratch_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    // An advisory lock of the OS (flock on Unix, LockFileEx on Windows), released when
    // the file closes, even if the process dies.
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!("waiting for another grading run of the {name} to finish...");
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    Ok(RunLock { _file: file })
}

/// A generated workspace below the target directory.
#[derive(Debug)]
pub struct Scratch {
    pub root: PathBuf,
    /// The exercises whose sources were found, with their folder in the scratch space.
    pub present: Vec<(Exercise, PathBuf)>,
    /// The exercises whose sources were missing, with a line saying what is missing.
    pub missing: Vec<(Exercise, String)>,
}

impl Scratch {
    pub fn manifest(&self) -> PathBuf {
        self.root.join("Cargo.toml")
    }
}

/// Builds the scratch workspace `name` for `exercises`: each pristine exercise with
/// the files under `sources(exercise)` copied over its folder `into` (`""` for the
/// exercise's root, `"src"` for its sources). A missing source folder leaves the
/// exercise out, listed as missing. Copies of exercises not selected this time stay
/// where they are (they are no members of the workspace), so going back to one
/// compiles only what changed since.
pub fn overlay(
    course: &Course,
    name: &str,
    exercises: &[Exercise],
    into: &str,
    sources: impl Fn(&Exercise) -> PathBuf,
) -> Result<Scratch> {
    let root = course.scratch_dir().join(name);
    std::fs::create_dir_all(&root)?;
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for exercise in exercises {
        let source = sources(exercise);
        if !source.is_dir() {
            missing.push((
                exercise.clone(),
                format!("missing: no folder {}", display_rel(&course.root, &source)),
            ));
            continue;
        }
        let dest = member_dir(course, name, exercise);
        let mut wanted = std::collections::BTreeMap::new();
        read_tree(&course.exercise_dir(exercise), Path::new(""), &mut wanted)?;
        read_tree(&source, Path::new(into), &mut wanted)?;
        sync(&dest, &wanted)?;
        present.push((exercise.clone(), dest));
    }
    write_manifest(course, &root, &present)?;
    if course.root.join("Cargo.lock").is_file() {
        write_if_changed(
            &root.join("Cargo.lock"),
            &std::fs::read(course.root.join("Cargo.lock"))?,
        )?;
    }
    Ok(Scratch {
        root,
        present,
        missing,
    })
}

/// Where `exercise` is copied in the scratch workspace `name`.
///
/// Cargo names build artefacts after a package's path *relative to its workspace
/// root*, so two scratch workspaces that put a package at the same relative path
/// share (and wrongly reuse) one artefact. Each copy therefore sits below a folder
/// named after its workspace: `<name>/<name>/NN_chapter/MM_slug`.
pub fn member_dir(course: &Course, name: &str, exercise: &Exercise) -> PathBuf {
    course
        .scratch_dir()
        .join(name)
        .join(name)
        .join(&exercise.rel)
}

/// The course's root manifest with the members replaced by the copies and every path
/// dependency made absolute: same versions, same profiles, same lints.
fn write_manifest(course: &Course, root: &Path, present: &[(Exercise, PathBuf)]) -> Result<()> {
    let text = std::fs::read_to_string(course.root.join("Cargo.toml"))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .context("the root Cargo.toml is not valid TOML")?;
    let workspace = doc["workspace"]
        .as_table_mut()
        .context("the root Cargo.toml has no [workspace]")?;
    let mut members = toml_edit::Array::new();
    for (_, dir) in present {
        let rel = dir
            .strip_prefix(root)
            .expect("members live in the scratch workspace");
        members.push(rel.to_string_lossy().replace('\\', "/"));
    }
    workspace["members"] = toml_edit::value(members);
    if let Some(deps) = workspace
        .get_mut("dependencies")
        .and_then(|d| d.as_table_like_mut())
    {
        for (_, dep) in deps.iter_mut() {
            if let Some(table) = dep.as_table_like_mut()
                && let Some(path) = table.get("path").and_then(|p| p.as_str())
            {
                let absolute = course.root.join(path).to_string_lossy().into_owned();
                table.insert("path", toml_edit::value(absolute));
            }
        }
    }
    // The course's per-package overrides of the dev profile (tokio, rayon, ... for the
    // lab) name packages that a scratch workspace of a few exercises may not build,
    // and cargo warns about each such name. Scratch workspaces only run `cargo test`,
    // whose profile is optimised throughout, so they need none of them.
    if let Some(dev) = doc
        .get_mut("profile")
        .and_then(|p| p.get_mut("dev"))
        .and_then(|d| d.as_table_like_mut())
    {
        dev.remove("package");
    }
    write_if_changed(&root.join("Cargo.toml"), doc.to_string().as_bytes())?;
    Ok(())
}

/// The source files below `from` (as `copy_tree` picks them), by their path below
/// `into`, read into `files`, replacing files of the same path.
fn read_tree(
    from: &Path,
    into: &Path,
    files: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>,
) -> Result<()> {
    for rel in crate::walk::files(from, crate::walk::is_source)? {
        let bytes = std::fs::read(from.join(&rel))
            .with_context(|| format!("cannot read {}", from.join(&rel).display()))?;
        files.insert(into.join(rel), bytes);
    }
    Ok(())
}

/// Makes the folder `dir` hold exactly `files`: a file whose bytes are already there
/// is left alone, so it keeps its modification time and cargo, which decides what to
/// rebuild by modification times, reuses what it built from it (a grading run of
/// unchanged sources compiles nothing); a changed file is written anew, so it is
/// newer than any build; every other file (a learner's deleted module, insta's
/// pending snapshots) is removed. Content decides, not the sources' own times: a
/// student's file may be older than the build of the student graded before.
fn sync(dir: &Path, files: &std::collections::BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
    if dir.is_dir() {
        for rel in crate::walk::files(dir, |_| true)? {
            if !files.contains_key(&rel) {
                let path = dir.join(&rel);
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
    }
    for (rel, bytes) in files {
        write_if_changed(&dir.join(rel), bytes)?;
    }
    Ok(())
}

/// Writes `bytes` to `path` unless the file holds them already.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Copies the files of `from` into `to`, replacing files of the same name; skips
/// build output and insta's pending files.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for rel in crate::walk::files(from, crate::walk::is_source)? {
        let dest = to.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from.join(&rel), &dest)
            .with_context(|| format!("cannot copy {}", from.join(&rel).display()))?;
    }
    Ok(())
}

pub fn display_rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn sync_keeps_unchanged_files_rewrites_changed_ones_and_removes_the_rest() {
        let dir = std::env::temp_dir().join(format!("wow-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = |pairs: &[(&str, &str)]| -> BTreeMap<PathBuf, Vec<u8>> {
            pairs
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec()))
                .collect()
        };
        sync(
            &dir,
            &files(&[("src/lib.rs", "one"), ("tests/t.rs", "test")]),
        )
        .unwrap();
        std::fs::write(dir.join("tests/s.snap.new"), "pending").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for f in ["src/lib.rs", "tests/t.rs"] {
            std::fs::File::options()
                .write(true)
                .open(dir.join(f))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        sync(
            &dir,
            &files(&[("src/lib.rs", "two"), ("tests/t.rs", "test")]),
        )
        .unwrap();
        let modified = |f: &str| std::fs::metadata(dir.join(f)).unwrap().modified().unwrap();
        // Same bytes: untouched, so cargo sees nothing new.
        assert_eq!(modified("tests/t.rs"), old);
        // Other bytes: written now, newer than any build (even with the same length).
        assert!(modified("src/lib.rs") > old);
        assert_eq!(
            std::fs::read_to_string(dir.join("src/lib.rs")).unwrap(),
            "two"
        );
        // Nothing else stays.
        assert!(!dir.join("tests/s.snap.new").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
