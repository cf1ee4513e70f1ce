//! How a grade reads: one status line per exercise, its details indented below, and
//! the summary line. `check`, `verify` and `grade` print through here.

use crate::runner::{Graded, Status};
use anyhow::Result;
use std::io::Write;

/// One status line per exercise (with indented details), then the summary line.
/// `learner`: say which file to open next.
pub fn print_report(graded: &[Graded], learner: bool, out: &mut impl Write) -> Result<()> {
    for g in graded {
        print_status(g, out)?;
    }
    writeln!(out, "{}", summary(graded))?;
    if let Some(next) = graded.iter().find(|g| {
        learner && !g.status.is_pass_or_not_checked() && !matches!(g.status, Status::Missing { .. })
    }) {
        // The first file the learner edits, as its manifest lists them.
        let file = next
            .exercise
            .manifest
            .as_ref()
            .and_then(|m| m.edit.first())
            .map_or_else(|| "src/lib.rs".into(), |f| f.to_string_lossy());
        if matches!(next.status, Status::Modified { .. }) {
            writeln!(
                out,
                "next: `cargo xtask reset {id} --tests`, then `cargo xtask check {id}`",
                id = next.exercise.id()
            )?;
        } else {
            writeln!(
                out,
                "next: exercises/{}/{file}, then `cargo xtask check {}`",
                next.exercise.rel.to_string_lossy(),
                next.exercise.id()
            )?;
        }
    }
    Ok(())
}

pub fn print_status(g: &Graded, out: &mut impl Write) -> Result<()> {
    let e = &g.exercise;
    let head = format!("{} {:<22} {:<13}", e.id(), e.slug, g.status.label());
    let indent = "      ";
    // The hint for the test that failed, when the manifest names one for it.
    let failed_test = match &g.status {
        Status::Failed { test, .. } => Some(test.as_str()),
        Status::TimedOut { test, .. } => test.as_deref(),
        _ => None,
    };
    let hint = e.manifest.as_ref().and_then(|m| m.hint_for(failed_test));
    let section = e.manifest.as_ref().map(|m| m.book_section());
    let hint_line = |out: &mut dyn Write| -> std::io::Result<()> {
        match (hint, &section) {
            (Some(h), Some(s)) => writeln!(out, "{indent}hint: {h} (read {s})"),
            (Some(h), None) => writeln!(out, "{indent}hint: {h}"),
            (None, Some(s)) => writeln!(out, "{indent}hint: read {s}"),
            (None, None) => Ok(()),
        }
    };
    match &g.status {
        Status::Passed { figures } => {
            writeln!(
                out,
                "{head} {}/{} tests in {:.1}s",
                g.tests_passed,
                g.tests_total,
                g.duration.as_secs_f64()
            )?;
            for f in figures {
                writeln!(out, "{indent}{f}")?;
            }
        }
        Status::NotChecked { reasons, figures } => {
            writeln!(
                out,
                "{head} {}/{} tests passed, but not every check could run here",
                g.tests_passed, g.tests_total
            )?;
            for r in reasons {
                writeln!(out, "{indent}not checked: {r}")?;
            }
            for f in figures {
                writeln!(out, "{indent}{f}")?;
            }
        }
        Status::Failed { test, message } => {
            let mut lines = message.lines();
            let first = lines.next().unwrap_or("");
            if test.is_empty() {
                writeln!(out, "{head} {first}")?;
            } else {
                writeln!(out, "{head} {test}: {first}")?;
            }
            for l in lines.take(4) {
                writeln!(out, "{indent}{}", l.trim_end())?;
            }
            hint_line(out)?;
        }
        Status::NotStarted { todo } => {
            if todo.is_empty() {
                writeln!(out, "{head} still `todo!()` in src/")?;
            } else {
                writeln!(out, "{head} still `todo!()`: {todo}")?;
            }
        }
        Status::CompileError { error } => {
            // A compile error is about Rust, not about the exercise's idea: point to
            // the compiler's full message rather than to the exercise's hint.
            writeln!(out, "{head} {error}")?;
            writeln!(
                out,
                "{indent}the compiler's full message: `cargo test -p {} --no-run`",
                e.package
            )?;
        }
        Status::TimedOut { limit, test } => {
            let during = test
                .as_ref()
                .map(|t| format!(" in `{t}`"))
                .unwrap_or_default();
            writeln!(
                out,
                "{head} killed after {}s{during}: a deadlock or an endless loop is likely",
                limit.as_secs()
            )?;
            hint_line(out)?;
        }
        Status::Missing { what } => writeln!(out, "{head} {what}")?,
        Status::ToFix { failure } => {
            writeln!(
                out,
                "{head} the code ships with a bug for you to fix; its tests say:"
            )?;
            writeln!(out, "{indent}{}", failure.lines().next().unwrap_or(""))?;
            hint_line(out)?;
        }
        Status::Modified { files, advice } => {
            writeln!(
                out,
                "{head} not graded: these files differ from the course's, so the tests \
                 are not the course's"
            )?;
            for f in files {
                writeln!(out, "{indent}{f}")?;
            }
            writeln!(out, "{indent}{advice}")?;
        }
    }
    Ok(())
}

/// `1/2 exercises done (1 not started)`.
pub fn summary(graded: &[Graded]) -> String {
    let done = graded.iter().filter(|g| g.status.is_pass()).count();
    let mut others: Vec<(&str, usize)> = Vec::new();
    for g in graded.iter().filter(|g| !g.status.is_pass()) {
        let label = g.status.label();
        match others.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => others.push((label, 1)),
        }
    }
    let rest = if others.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            others
                .iter()
                .map(|(l, n)| format!("{n} {l}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("{done}/{} exercises done{rest}", graded.len())
}
