//! Reading libtest's human output: which tests passed, and each failure's message
//! made short and plain (the learner's file and line, a readable snapshot diff).

use std::collections::BTreeMap;

/// How a `todo!()` panic begins.
pub const TODO_PREFIX: &str = "not yet implemented";

/// What the test executables of one exercise did.
#[derive(Debug, Default)]
pub struct TestRun {
    /// `(test name, passed?)` in the order they ran.
    pub results: Vec<(String, bool)>,
    /// The panic message of each failed test.
    pub failures: BTreeMap<String, String>,
    pub timed_out: bool,
    /// A test that started but never finished (the likely culprit of a timeout or
    /// a crash).
    pub unfinished: Option<String>,
    /// The process died of a signal or exited without a test summary.
    pub crashed: Option<String>,
}

impl TestRun {
    pub(super) fn passed(&self) -> usize {
        self.results.iter().filter(|(_, ok)| *ok).count()
    }
}

/// Reads libtest's human output (`test name ... ok`, the `---- name stdout ----`
/// sections of failures).
pub fn parse_libtest(stdout: &str, run: &mut TestRun) {
    let mut section: Option<(String, Vec<&str>)> = None;
    let flush = |section: &mut Option<(String, Vec<&str>)>, run: &mut TestRun| {
        if let Some((name, lines)) = section.take() {
            let message = failure_message(&name, &lines);
            run.failures.insert(name, message);
        }
    };
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, result)) = rest.rsplit_once(" ... ")
        {
            let name = name.to_string();
            match result.trim() {
                "ok" => run.results.push((name, true)),
                "FAILED" => run.results.push((name, false)),
                // Printed when the test starts; the result follows on the same line.
                "" => run.unfinished = Some(name),
                _ => {}
            }
            continue;
        }
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.trim_end().strip_suffix(" ..."))
        {
            run.unfinished = Some(name.to_string());
            continue;
        }
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            flush(&mut section, run);
            section = Some((name.to_string(), Vec::new()));
            continue;
        }
        if line == "failures:" || line.starts_with("test result:") {
            flush(&mut section, run);
            continue;
        }
        if let Some((_, lines)) = section.as_mut() {
            lines.push(line);
        }
    }
    flush(&mut section, run);
    // A test that printed its name and then a result is not unfinished.
    if let Some(name) = &run.unfinished
        && run.results.iter().any(|(n, _)| n == name)
    {
        run.unfinished = None;
    }
}

/// The panic message in a failure section, made short and plain.
pub(super) fn failure_message(test: &str, lines: &[&str]) -> String {
    let start = lines.iter().position(|l| l.contains("panicked at "));
    // Where it panicked, when that is the learner's code rather than the tests' own
    // assertion: "attempt to add with overflow" says little without its line.
    let location = start
        .and_then(|i| lines[i].split("panicked at ").nth(1))
        .map(|l| l.trim_end().trim_end_matches(':'))
        .filter(|l| !l.contains("tests/") && !l.contains("/rustc/") && !l.contains(".cargo/"))
        .map(|l| match l.find("src/") {
            Some(i) => l[i..].to_string(),
            None => l.to_string(),
        });
    // `thread 'name' (id) panicked at`: a thread other than the test's own.
    let spawned = start.is_some_and(|i| !lines[i].starts_with(&format!("thread '{test}'")));
    let mut message: Vec<&str> = Vec::new();
    if let Some(start) = start {
        for l in &lines[start + 1..] {
            if l.starts_with("note: run with `RUST_BACKTRACE") || l.starts_with("stack backtrace:")
            {
                break;
            }
            if l.contains("panicked at ") {
                break;
            }
            message.push(l);
        }
    }
    while message.last().is_some_and(|l| l.trim().is_empty()) {
        message.pop();
    }
    let text = message.join("\n").trim().to_string();
    if text.to_lowercase().contains("snapshot assertion") {
        return snapshot_message(lines, &text);
    }
    let at = location.map(|l| format!(" (at {l})")).unwrap_or_default();
    if text.is_empty() {
        format!("the test failed without a message{at}")
    } else if spawned {
        format!("a spawned thread panicked{at}: {text}")
    } else if at.is_empty() || text.starts_with(TODO_PREFIX) {
        text
    } else {
        // The location on the first line, which is the one the status line shows.
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        if rest.is_empty() {
            format!("{first}{at}")
        } else {
            format!("{first}{at}\n{rest}")
        }
    }
}

/// An insta mismatch, readable: the table's first line (its header) for context,
/// then the first lines that differ, expected beside got.
pub(super) fn snapshot_message(lines: &[&str], text: &str) -> String {
    // insta's diff: `  0     0 │ context`, `  1       │-expected`, `        1 │+got`.
    let diff: Vec<(char, &str)> = lines
        .iter()
        .filter_map(|l| {
            let (_, rest) = l.split_once('│')?;
            let mut chars = rest.chars();
            let sign = chars.next()?;
            matches!(sign, '-' | '+' | ' ').then(|| (sign, chars.as_str().trim_end()))
        })
        .collect();
    if !diff.iter().any(|(sign, _)| *sign != ' ') {
        return format!("the output differs from the expected snapshot ({text})");
    }
    let mut out = vec![
        "the output differs from the expected snapshot (fix the code, not the snapshot):"
            .to_string(),
    ];
    if let Some((' ', header)) = diff.first() {
        out.push(format!("   {header}"));
    }
    for (sign, line) in diff.iter().filter(|(s, _)| *s != ' ').take(3) {
        let label = if *sign == '-' { "expected" } else { "got" };
        out.push(format!("{sign}  {line}    <- {label}"));
    }
    out.join("\n")
}
