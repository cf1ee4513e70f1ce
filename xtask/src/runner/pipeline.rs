//! Many batches at once, for `verify`: the shipped exercises, the solutions and every
//! round of fixtures, a dozen builds of the whole course.
//!
//! One after another, each batch would leave the cores idle while its tests wait on
//! sleeps and sockets, and the tests idle while the next batch compiles. Here a
//! thread compiles the batches in order, at the lowest CPU priority, while this one
//! runs each compiled batch's clock-free pass (which needs no quiet machine: the
//! tests take the cores whenever they want them). The timing passes all run at the
//! end, once nothing compiles any more, on a machine as quiet as `check` has.
//!
//! Batches may share a scratch workspace (the rounds of fixtures do), so the next
//! round's build overwrites the executables of this one: each batch's test
//! executables are copied aside when it has compiled, and removed once its tests have
//! run.

use super::compile::{Compiled, Priority, compile_all};
use super::{Batch, Graded, RunOptions, Tested, progress};
use crate::course::Course;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How many compiled batches may wait for their tests at once.
const WAITING_BATCHES: usize = 3;

/// One batch of the pipeline.
pub struct Stage<'a> {
    /// Writes the batch's workspace and says what to build. It runs on the compiling
    /// thread, after the previous stage has compiled: stages may share a workspace.
    pub prepare: Box<dyn FnOnce() -> Result<Prepared> + Send + 'a>,
}

/// A batch ready to compile.
pub struct Prepared {
    pub batch: Batch,
    /// Exercises graded without running (their sources are missing).
    pub without_running: Vec<Graded>,
}

/// A compiled batch, its executables copied aside.
struct Built {
    stage: usize,
    prepared: Prepared,
    compiled: BTreeMap<PathBuf, Compiled>,
}

/// Grades every stage; one list per stage, each sorted by exercise.
pub fn grade_pipelined(
    course: &Course,
    stages: Vec<Stage<'_>>,
    options: &RunOptions,
) -> Result<Vec<Vec<Graded>>> {
    let held = course.scratch_dir().join("held");
    let _ = std::fs::remove_dir_all(&held);
    let mut graded: Vec<Vec<Graded>> = stages.iter().map(|_| Vec::new()).collect();
    let mut waiting: Vec<(usize, Tested, Vec<PathBuf>)> = Vec::new();
    std::thread::scope(|scope| -> Result<()> {
        // A few compiled batches may wait for their tests, so that the build goes on
        // while one batch runs long (the first round of fixtures runs every test of
        // each sequential fixture; later rounds run one test per wrong answer). Each
        // waiting batch's copies take about 100-200 MB.
        let (sender, built) = std::sync::mpsc::sync_channel::<Built>(WAITING_BATCHES);
        let held = &held;
        let compiler = scope.spawn(move || -> Result<()> {
            for (stage, Stage { prepare }) in stages.into_iter().enumerate() {
                let prepared = prepare()?;
                let batch = &prepared.batch;
                let count = format!(
                    "{} exercise{} ({})",
                    batch.packages.len(),
                    if batch.packages.len() == 1 { "" } else { "s" },
                    batch.name
                );
                note(&format!("compiling {count} beside the tests..."));
                let started = Instant::now();
                let compiled = if batch.packages.is_empty() {
                    BTreeMap::new()
                } else {
                    compile_all(course, batch, Priority::Background)?
                };
                let compiled = hold(compiled, &held.join(&batch.name))?;
                note(&format!(
                    "compiled {count} in {:.0} s",
                    started.elapsed().as_secs_f64()
                ));
                let built = Built {
                    stage,
                    prepared,
                    compiled,
                };
                if sender.send(built).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for Built {
            stage,
            prepared,
            compiled,
        } in built
        {
            let batch = &prepared.batch;
            let total = batch.packages.len();
            for (i, (exercise, dir)) in batch.packages.iter().enumerate() {
                progress(
                    i,
                    total,
                    &format!(
                        "testing {} {} ({}, clock-free)",
                        exercise.id(),
                        exercise.slug,
                        batch.name
                    ),
                );
                let built = compiled.get(dir);
                let tested = Tested::first_pass(course, batch, exercise, dir, built, options)?;
                let executables = match built {
                    Some(Compiled::Executables(executables)) => executables.clone(),
                    _ => Vec::new(),
                };
                if tested.needs_timing() {
                    waiting.push((stage, tested, executables));
                } else {
                    graded[stage].push(tested.finish()?);
                    release(&executables);
                }
            }
            progress(total, total, "done");
            graded[stage].extend(prepared.without_running);
        }
        compiler
            .join()
            .map_err(|_| anyhow::anyhow!("the compiling thread panicked"))??;
        Ok(())
    })?;
    // Nothing compiles any more: time what deferred its timing checks.
    let total = waiting.len();
    for (i, (stage, tested, executables)) in waiting.into_iter().enumerate() {
        let exercise = tested.exercise();
        progress(
            i,
            total,
            &format!("timing {} {}", exercise.id(), exercise.slug),
        );
        graded[stage].push(tested.finish()?);
        release(&executables);
    }
    progress(total, total, "done");
    let _ = std::fs::remove_dir_all(&held);
    for list in &mut graded {
        list.sort_by(|a, b| a.exercise.rel.cmp(&b.exercise.rel));
    }
    Ok(graded)
}

/// Copies every executable into `dir`, out of reach of the next build.
fn hold(compiled: BTreeMap<PathBuf, Compiled>, dir: &Path) -> Result<BTreeMap<PathBuf, Compiled>> {
    std::fs::create_dir_all(dir)?;
    let mut held = BTreeMap::new();
    for (package, outcome) in compiled {
        let outcome = match outcome {
            Compiled::Executables(executables) => {
                let mut copies = Vec::new();
                for exe in executables {
                    let copy = dir.join(exe.file_name().context("an executable has a name")?);
                    std::fs::copy(&exe, &copy).with_context(|| {
                        format!("cannot copy {} to {}", exe.display(), copy.display())
                    })?;
                    copies.push(copy);
                }
                Compiled::Executables(copies)
            }
            error => error,
        };
        held.insert(package, outcome);
    }
    Ok(held)
}

/// A line of its own on stderr, also when a progress bar is being drawn there.
fn note(line: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!("\r\x1b[K{line}");
    } else {
        eprintln!("{line}");
    }
}

fn release(executables: &[PathBuf]) {
    for exe in executables {
        let _ = std::fs::remove_file(exe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_executables_outlive_the_next_build_until_released() {
        let dir = std::env::temp_dir().join(format!("wow-hold-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("deps")).unwrap();
        let exe = dir.join("deps/tests-0123");
        std::fs::write(&exe, "round 1").unwrap();
        let compiled = BTreeMap::from([
            (PathBuf::from("a"), Compiled::Executables(vec![exe.clone()])),
            (PathBuf::from("b"), Compiled::Error("error[E0308]".into())),
        ]);
        let held = hold(compiled, &dir.join("held/fixtures-1")).unwrap();
        let Some(Compiled::Executables(copies)) = held.get(Path::new("a")) else {
            panic!("{held:?}");
        };
        assert!(matches!(held.get(Path::new("b")), Some(Compiled::Error(_))));
        // The next round's build writes the same file anew.
        std::fs::write(&exe, "round 2").unwrap();
        assert_eq!(std::fs::read_to_string(&copies[0]).unwrap(), "round 1");
        release(copies);
        assert!(!copies[0].exists());
        assert!(exe.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
