//! Exercises checked by a model checker (chapter 16): a manifest with `loom = true`.
//!
//! Their tests are built with `--cfg loom`, under which the exercise uses loom's
//! `sync` and `thread` types and the tests run inside `loom::model`, which tries every
//! interleaving. A different `RUSTFLAGS` makes cargo rebuild every dependency, and
//! would throw away the normal build at each switch, so these builds have a target
//! directory of their own, `<target>/loom`. The tests run with a bounded number of
//! preemptions (`LOOM_MAX_PREEMPTIONS`, [`MAX_PREEMPTIONS`]), and loom's own panics
//! (a deadlock, a value read too early) are turned into plain words.

use super::{RunOptions, Status};
use crate::course::{Course, Exercise};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::Command;

/// At most this many preemptions per execution: loom's documentation says 2 or 3
/// catch most bugs, and it keeps each exercise's run to seconds.
pub const MAX_PREEMPTIONS: u32 = 3;

/// Whether the exercise's tests run under loom.
pub fn is_loom(exercise: &Exercise) -> bool {
    exercise.manifest.as_ref().is_some_and(|m| m.loom)
}

/// The packages in the groups that cargo builds one after another: the plain ones,
/// then the loom ones (each group only if it has any).
pub(super) fn groups<T: Clone>(packages: &[(Exercise, T)]) -> Vec<Vec<(Exercise, T)>> {
    let (loom, plain): (Vec<_>, Vec<_>) = packages.iter().cloned().partition(|(e, _)| is_loom(e));
    [plain, loom]
        .into_iter()
        .filter(|g| !g.is_empty())
        .collect()
}

/// The target directory of the loom builds.
pub fn target_dir(course: &Course) -> PathBuf {
    course.target_dir().join("loom")
}

/// Makes `cargo test` build with `--cfg loom` in the loom target directory, when the
/// packages are loom ones (a group from [`groups`] is all or nothing).
pub(super) fn configure_build(
    cmd: &mut Command,
    course: &Course,
    packages: &[(Exercise, PathBuf)],
) {
    if !packages.iter().any(|(e, _)| is_loom(e)) {
        return;
    }
    cmd.env("CARGO_TARGET_DIR", target_dir(course));
    add_cfg_loom(cmd);
}

/// `--cfg loom` added to the flags cargo passes to rustc. Cargo reads
/// CARGO_ENCODED_RUSTFLAGS first (flags separated by 0x1f), then RUSTFLAGS: keep
/// whatever the user set and add ours.
fn add_cfg_loom(cmd: &mut Command) {
    match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        Ok(flags) if !flags.is_empty() => {
            cmd.env(
                "CARGO_ENCODED_RUSTFLAGS",
                format!("{flags}\x1f--cfg\x1floom"),
            );
        }
        _ => {
            let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
            cmd.env("RUSTFLAGS", format!("{flags} --cfg loom").trim_start());
        }
    }
}

/// For a cargo command that builds and runs an exercise's tests outside [`super::grade`]
/// (`cargo xtask mutants`): a loom exercise gets `--cfg loom`, the target directory
/// `<target_dir>/loom` and the bounded preemptions; any other is left as it is.
pub fn configure_cargo(cmd: &mut Command, exercise: &Exercise, target_dir: &Path) {
    if !is_loom(exercise) {
        return;
    }
    cmd.env("CARGO_TARGET_DIR", target_dir.join("loom"))
        .env("LOOM_MAX_PREEMPTIONS", MAX_PREEMPTIONS.to_string());
    add_cfg_loom(cmd);
}

/// The options to run an exercise's tests with: a loom exercise gets the bounded
/// preemptions (unless the caller already sets them) and loom's location tracking.
pub(super) fn run_options<'a>(exercise: &Exercise, options: &'a RunOptions) -> Cow<'a, RunOptions> {
    if !is_loom(exercise) || options.env.iter().any(|(k, _)| k == "LOOM_MAX_PREEMPTIONS") {
        return Cow::Borrowed(options);
    }
    let mut options = options.clone();
    options.env.push((
        "LOOM_MAX_PREEMPTIONS".to_string(),
        MAX_PREEMPTIONS.to_string(),
    ));
    // Where each blocked thread waits, in a deadlock's message (see `deadlock`).
    options
        .env
        .push(("LOOM_LOCATION".to_string(), "1".to_string()));
    Cow::Owned(options)
}

/// Loom's own failures in plain words: a deadlock found by the model, a value read
/// from a cell while another thread writes it, a leak. The tests' own assertions are
/// already plain, and stay as they are.
pub(super) fn in_plain_words(exercise: &Exercise, status: Status) -> Status {
    if !is_loom(exercise) {
        return status;
    }
    match status {
        Status::Failed { test, message } => Status::Failed {
            message: plain_message(&message),
            test,
        },
        other => other,
    }
}

/// Loom's `deadlock; threads = [(Id(0), Blocked(Location(Some(Location { file: "...",
/// line: 82, column: 11 })))), (Id(1), Terminated), ...]`, in words: how many threads
/// were blocked, and where (the locations are there because the grader sets
/// `LOOM_LOCATION`).
fn deadlock(loom: &str) -> String {
    let blocked = loom.matches("Blocked(").count();
    let mut places: Vec<(String, usize)> = Vec::new();
    for part in loom
        .split("Blocked(Location(Some(Location { file: \"")
        .skip(1)
    {
        let Some((file, rest)) = part.split_once('"') else {
            continue;
        };
        let line: String = rest
            .split_once("line: ")
            .map(|(_, l)| l.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default();
        // `exercises/16_.../02_slug/src/lib.rs` -> `src/lib.rs`, as the learner sees it.
        let file = ["src/", "tests/"]
            .iter()
            .filter_map(|dir| file.rfind(dir).map(|i| &file[i..]))
            .min_by_key(|f| f.len())
            .unwrap_or(file);
        let place = format!("{file}:{line}");
        match places.iter_mut().find(|(p, _)| *p == place) {
            Some((_, n)) => *n += 1,
            None => places.push((place, 1)),
        }
    }
    let where_ = if places.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = places
            .iter()
            .map(|(place, n)| format!("{n} at {place}"))
            .collect();
        format!(" ({})", list.join(", "))
    };
    let threads = if blocked == 1 {
        "the 1 thread still running was".to_string()
    } else {
        format!("all {blocked} threads still running were")
    };
    format!(
        "deadlock: in one interleaving loom tried, {threads} blocked for good{where_}: \
         each waits for something that will never come (a lock another thread holds, a \
         wake-up that was already sent)"
    )
}

/// One loom failure message, explained.
pub(super) fn plain_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    if first.starts_with("deadlock; threads =") {
        return deadlock(first);
    }
    if first.contains("Causality violation") {
        return format!(
            "a data race: in one interleaving, a thread read or wrote a cell while another \
             thread's access to it was not ordered before (no Release/Acquire pair, lock or \
             join between them). Loom said: {first}"
        );
    }
    if first.contains("leaked") {
        return format!(
            "something was still alive when the model ended (a thread not joined, an `Arc` \
             kept in a cycle): {first}"
        );
    }
    if first.contains("Model exceeded maximum number of branches") {
        return format!(
            "an interleaving never ended: some thread looped without end, waiting for \
             another one to move. Loom's scheduler is not fair on purpose: a thread that \
             waits must block (a lock taken in order, a join, a `Condvar`) or call \
             `loom::thread::yield_now()` in its loop ({first})"
        );
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadlock_is_said_in_words_with_where_each_thread_waits() {
        let at = |file: &str, line: u32| {
            format!(
                "Blocked(Location(Some(Location {{ file: \"{file}\", line: {line}, column: 9 }})))"
            )
        };
        let lib = "exercises/16_every_interleaving/02_every_crossing/src/lib.rs";
        let test = "exercises/16_every_interleaving/02_every_crossing/tests/every_crossing.rs";
        let loom = format!(
            "deadlock; threads = [(Id(0), {}), (Id(1), {}), (Id(2), Terminated), (Id(3), {})]",
            at(test, 82),
            at(lib, 113),
            at(lib, 113)
        );
        let plain = plain_message(&loom);
        assert!(plain.starts_with("deadlock: "), "{plain}");
        assert!(
            plain.contains(
                "all 3 threads still running were blocked for good \
                 (1 at tests/every_crossing.rs:82, 2 at src/lib.rs:113)"
            ),
            "{plain}"
        );
        assert!(plain.contains("will never come"), "{plain}");
        let without = "deadlock; threads = [(Id(0), Blocked(Location(None))), (Id(1), \
                       Blocked(Location(None)))]";
        assert!(
            plain_message(without).contains("all 2 threads still running were blocked for good: "),
            "{}",
            plain_message(without)
        );
    }

    #[test]
    fn the_build_gets_cfg_loom_beside_the_users_flags() {
        let mut cmd = Command::new("cargo");
        add_cfg_loom(&mut cmd);
        let flags: Vec<String> = cmd
            .get_envs()
            .filter(|(k, _)| *k == "RUSTFLAGS" || *k == "CARGO_ENCODED_RUSTFLAGS")
            .filter_map(|(_, v)| Some(v?.to_string_lossy().replace('\x1f', " ")))
            .collect();
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert!(flags[0].ends_with("--cfg loom"), "{flags:?}");
    }

    #[test]
    fn a_test_assertion_stays_as_it_is() {
        let message = "a waiter heard the bell and found an empty shelf (0)";
        assert_eq!(plain_message(message), message);
    }
}
