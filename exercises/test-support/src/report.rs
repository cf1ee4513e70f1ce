//! Outcomes of checks, for a human and for the grader.
//!
//! A human running `cargo test` sees one line per check on standard error (written
//! past libtest's output capture, so a "not checked" line is never hidden behind an
//! `ok`). The grader sets `WOW_REPORT` to a file path; each check then also appends one
//! JSON object per line to it:
//!
//! ```json
//! {"test":"overlapping_waits","check":"speedup","outcome":"not_checked","detail":"needs 2 cores, this machine has 1"}
//! ```

use std::fmt::Write as _;
use std::io::Write as _;

/// What became of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Outcome {
    Passed,
    Failed,
    /// The check could not run here (one core, a machine too busy to tell parallel
    /// from sequential). Never counted as a pass.
    NotChecked,
    /// A timing check put off to the grader's second pass (`WOW_TIMING=later`, see
    /// [`crate::timing::later`]): it ran its variants once and timed nothing.
    Deferred,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotChecked => "not_checked",
            Outcome::Deferred => "deferred",
        }
    }
}

/// One check's outcome: the contract between the tests that write it (one JSON line
/// per record, [`Record::to_json_line`]) and the grader that reads it back (with the
/// `serde` feature, which only the grader enables: the exercises stay free of serde).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Record {
    /// The test function that reported it.
    pub test: String,
    /// What was checked, in plain words.
    pub check: String,
    pub outcome: Outcome,
    /// One line for a human.
    pub detail: String,
    /// The figure measured (a ratio, a count), when the check has one.
    #[cfg_attr(feature = "serde", serde(default))]
    pub measured: Option<f64>,
    /// The threshold it was held to.
    #[cfg_attr(feature = "serde", serde(default))]
    pub needed: Option<f64>,
    /// The machine's spare capacity in the try that gave the figure (speedup checks).
    #[cfg_attr(feature = "serde", serde(default))]
    pub capacity: Option<f64>,
    /// A claim about time (a speedup, an overlap), as opposed to a clock-free count:
    /// when both fail, the grader shows the clock-free failure first (it is the
    /// clearer one, and it does not depend on the machine).
    #[cfg_attr(feature = "serde", serde(default))]
    pub timing: bool,
}

impl Record {
    /// The record as one line of JSON, newline included. A figure that is not finite
    /// is left out (JSON has no NaN).
    pub fn to_json_line(&self) -> String {
        let mut line = String::from("{");
        for (i, (key, value)) in [
            ("test", self.test.as_str()),
            ("check", &self.check),
            ("outcome", self.outcome.as_str()),
            ("detail", &self.detail),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                line.push(',');
            }
            let _ = write!(line, "\"{key}\":\"{}\"", escape(value));
        }
        for (key, value) in [
            ("measured", self.measured),
            ("needed", self.needed),
            ("capacity", self.capacity),
        ] {
            if let Some(value) = value.filter(|v| v.is_finite()) {
                let _ = write!(line, ",\"{key}\":{value}");
            }
        }
        if self.timing {
            line.push_str(",\"timing\":true");
        }
        line.push_str("}\n");
        line
    }
}

/// Records the outcome of one check of the current test.
pub fn record(check: &str, outcome: Outcome, detail: &str) {
    write_record(check, outcome, detail, None, None, false);
}

/// Records the outcome of one check with the figure it measured and the threshold it
/// was held to (a ratio, a count), so that graders can put them in a spreadsheet.
pub fn record_figure(check: &str, outcome: Outcome, detail: &str, measured: f64, needed: f64) {
    write_record(
        check,
        outcome,
        detail,
        Some((measured, needed)),
        None,
        false,
    );
}

/// Records a timing figure (a ratio of two timed variants) with the machine's spare
/// capacity of the same try, so that `bench` can tell a slow solution from a busy
/// machine without parsing the detail.
pub fn record_measured(
    check: &str,
    outcome: Outcome,
    detail: &str,
    measured: f64,
    needed: f64,
    capacity: Option<f64>,
) {
    write_record(
        check,
        outcome,
        detail,
        Some((measured, needed)),
        capacity,
        true,
    );
}

/// Records a timing claim that has no single figure (not checked, or judged against
/// a band, as Amdahl's law is).
pub fn record_timing(check: &str, outcome: Outcome, detail: &str) {
    write_record(check, outcome, detail, None, None, true);
}

fn write_record(
    check: &str,
    outcome: Outcome,
    detail: &str,
    figure: Option<(f64, f64)>,
    capacity: Option<f64>,
    timing: bool,
) {
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string();
    let label = match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "FAILED",
        Outcome::NotChecked => "NOT CHECKED",
        Outcome::Deferred => "timed later",
    };
    // Straight to the file descriptor: libtest captures `eprintln!`, not this.
    let _ = writeln!(
        std::io::stderr().lock(),
        "[wait-or-work] {test}: {check}: {label}: {detail}"
    );

    if let Some(path) = std::env::var_os("WOW_REPORT") {
        let record = Record {
            test,
            check: check.to_string(),
            outcome,
            detail: detail.to_string(),
            measured: figure.map(|f| f.0),
            needed: figure.map(|f| f.1),
            capacity,
            timing,
        };
        // One `write` call per line with O_APPEND keeps lines whole even when tests
        // run on several threads.
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(record.to_json_line().as_bytes());
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_json_specials() {
        assert_eq!(escape("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
    }
}
