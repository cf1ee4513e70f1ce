//! Wrong-answer fixtures, kept as patches against their solution.
//!
//! A fixture folder (`Fixture::dir`) is laid out like the solution, and holds for each
//! file it changes `<file>.patch`: a unified diff against the solution's `<file>`. A
//! fixture is therefore a few lines that say what the wrong answer does differently,
//! and a change to the solution's API changes one file, not three. `verify` grades
//! the patched copies (`materialise`); a patch that no longer applies fails loudly,
//! naming the fixture and the command that writes it again.
//!
//! `cargo xtask fixture NN/MM NAME` writes the fixture out whole (to read or edit it);
//! `cargo xtask fixture NN/MM NAME --from FILE|DIR` records a wrong answer as patches.

use crate::course::{Course, Exercise};
use crate::manifest::Fixture;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// What a patch file's name ends with.
const PATCH: &str = ".patch";

#[derive(clap::Args, Debug)]
pub struct FixtureArgs {
    /// The exercise (`01/02`, its name or its folder).
    pub exercise: String,
    /// The fixture's name: `sequential`, or the name of a wrong answer.
    pub name: String,
    /// Record this wrong answer: a file (for an exercise with one edited file) or a
    /// folder laid out like the solution. Without it, the fixture is written out whole
    /// below `target/` and its path printed.
    #[arg(long, value_name = "FILE|DIR")]
    pub from: Option<PathBuf>,
}

pub fn run(args: FixtureArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(std::slice::from_ref(&args.exercise))?;
    let [exercise] = selected.as_slice() else {
        crate::usage!("fixture: name one exercise, like `cargo xtask fixture 01/02 sequential`");
    };
    let fixture = Fixture(args.name.clone());
    let listed = exercise
        .manifest
        .as_ref()
        .is_some_and(|m| m.fixtures.contains(&fixture));
    match &args.from {
        Some(from) => {
            let written = record(&course, exercise, &fixture, from)?;
            for path in written {
                println!("wrote {}", crate::scratch::display_rel(&course.root, &path));
            }
            if !listed {
                println!(
                    "now list it in {}: fixtures = [..., \"{}\"]",
                    crate::scratch::display_rel(
                        &course.root,
                        &course.exercise_dir(exercise).join("Cargo.toml")
                    ),
                    fixture.0
                );
            }
            let named = exercise
                .manifest
                .as_ref()
                .is_some_and(|m| m.rejected_by.contains_key(&fixture.0));
            if !fixture.is_sequential() && !named {
                println!(
                    "then run `cargo xtask verify {}`: it names the test that rejects it, for \
                     [package.metadata.wait-or-work.rejected-by]",
                    exercise.id()
                );
            }
        }
        None => {
            let dir = materialise(&course, exercise, &fixture)?;
            println!("{}", dir.display());
        }
    }
    Ok(0)
}

/// The fixture's files, whole: each patch applied to the solution's file, below
/// `target/wait-or-work/fixture-sources/`. Returns that folder, laid out like the
/// solution. A missing fixture folder gives a folder that does not exist (graded
/// "missing"); a patch that does not apply is an error naming the fix.
pub fn materialise(course: &Course, exercise: &Exercise, fixture: &Fixture) -> Result<PathBuf> {
    let dir = fixture.dir(&course.root, &exercise.rel);
    let out = course
        .target_dir()
        .join("wait-or-work/fixture-sources")
        .join(&exercise.rel)
        .join(&fixture.0);
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    if !dir.is_dir() {
        return Ok(out);
    }
    let solution = course.solution_dir(exercise);
    for file in crate::walk::files(&dir, |_| true)? {
        let from = dir.join(&file);
        let Some(patched) = file.to_str().and_then(|f| f.strip_suffix(PATCH)) else {
            // Not a patch: a file of its own, taken whole.
            copy(&from, &out.join(&file))?;
            continue;
        };
        let base_path = solution.join(patched);
        let text = apply(&base_path, &from).map_err(|why| {
            anyhow::anyhow!(
                "the {fixture} of {} no longer applies to {}: {why}; write it again with \
                 `cargo xtask fixture {} {} --from <the whole wrong file>`",
                exercise.id(),
                crate::scratch::display_rel(&course.root, &base_path),
                exercise.id(),
                fixture.0
            )
        })?;
        write(&out.join(patched), &text)?;
    }
    Ok(out)
}

/// The solution's file at `base` with the patch at `patch` applied.
fn apply(base: &Path, patch: &Path) -> std::result::Result<String, String> {
    let base = std::fs::read_to_string(base).map_err(|e| format!("cannot read it ({e})"))?;
    let patch_text = std::fs::read_to_string(patch)
        .map_err(|e| format!("cannot read {} ({e})", patch.display()))?;
    let parsed = diffy::Patch::from_str(&patch_text)
        .map_err(|e| format!("{} is not a unified diff ({e})", patch.display()))?;
    diffy::apply(&base, &parsed).map_err(|e| format!("{e} of {}", patch.display()))
}

/// Records the wrong answer at `from` as patches against the solution, replacing what
/// the fixture held. Returns the files written.
fn record(
    course: &Course,
    exercise: &Exercise,
    fixture: &Fixture,
    from: &Path,
) -> Result<Vec<PathBuf>> {
    let edit = exercise.edit_files();
    // The wrong answer's files, by their path in the exercise.
    let sources: Vec<(PathBuf, PathBuf)> = if from.is_dir() {
        edit.iter()
            .map(|f| (PathBuf::from(f), from.join(f)))
            .filter(|(_, p)| p.is_file())
            .collect()
    } else if from.is_file() {
        let [only] = edit.as_slice() else {
            crate::usage!(
                "fixture: {} has {} edited files; give --from a folder laid out like the solution",
                exercise.id(),
                edit.len()
            );
        };
        vec![(PathBuf::from(only), from.to_path_buf())]
    } else {
        crate::usage!(
            "fixture: {} does not exist; give --from the wrong answer's file or folder",
            from.display()
        );
    };
    if sources.is_empty() {
        crate::usage!(
            "fixture: {} holds none of the files {} edits ({})",
            from.display(),
            exercise.id(),
            edit.join(", ")
        );
    }
    // Read everything first: `from` may be the fixture's own folder.
    let mut patches = Vec::new();
    for (rel, path) in &sources {
        let wrong = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let solution_file = course.solution_dir(exercise).join(rel);
        let solution = std::fs::read_to_string(&solution_file)
            .with_context(|| format!("cannot read {}", solution_file.display()))?;
        if wrong == solution {
            bail!(
                "{} is the solution itself: a wrong answer must differ from it",
                path.display()
            );
        }
        let name = format!("solutions/{}/{}", exercise.rel.display(), rel.display());
        let patch = diffy::DiffOptions::new()
            .set_original_filename(name)
            .set_modified_filename(format!("{} ({fixture})", rel.display()))
            .create_patch(&solution, &wrong)
            .to_string();
        // The patch must give back exactly the wrong answer.
        let parsed =
            diffy::Patch::from_str(&patch).context("diffy wrote a patch it cannot read")?;
        if diffy::apply(&solution, &parsed).ok().as_deref() != Some(wrong.as_str()) {
            bail!(
                "the patch for {} does not give the file back; keep it whole",
                rel.display()
            );
        }
        patches.push((rel.clone(), patch));
    }
    let dir = fixture.dir(&course.root, &exercise.rel);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    let mut written = Vec::new();
    for (rel, patch) in patches {
        let path = dir.join(format!("{}{PATCH}", rel.display()));
        write(&path, &patch)?;
        written.push(path);
    }
    Ok(written)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::copy(from, to).with_context(|| format!("cannot copy {}", from.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::apply;

    /// A patch applies to the solution it was made from, and fails loudly (naming the
    /// hunk) once the solution changed where it patches.
    #[test]
    fn a_patch_applies_to_its_solution_and_not_to_a_changed_one() {
        let dir = std::env::temp_dir().join(format!("wow-fixture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let solution = "fn a() {}\nfn half(x: u32) -> bool {\n    x * 2 >= 10\n}\nfn b() {}\n";
        let wrong = solution.replace(">= 10", "> 10");
        let patch = diffy::create_patch(solution, &wrong).to_string();
        std::fs::write(dir.join("lib.rs"), solution).unwrap();
        std::fs::write(dir.join("lib.rs.patch"), &patch).unwrap();
        assert_eq!(
            apply(&dir.join("lib.rs"), &dir.join("lib.rs.patch")).unwrap(),
            wrong
        );
        std::fs::write(dir.join("lib.rs"), solution.replace("x * 2", "2 * x")).unwrap();
        let err = apply(&dir.join("lib.rs"), &dir.join("lib.rs.patch")).unwrap_err();
        assert!(err.contains("hunk"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
