//! `grade --summary-markdown FILE`: the grade as Markdown, for a workflow's step
//! summary (`$GITHUB_STEP_SUMMARY`): a table of the exercises, then how many timing
//! checks could not be judged on the shared runner and why. Those are never counted as
//! passed; the instructor grades them again on a quiet machine.

use anyhow::{Context, Result};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// The summary of one `wait-or-work/grade/v1` report.
pub fn summary(doc: &Value) -> String {
    let exercises = doc["exercises"].as_array().cloned().unwrap_or_default();
    let done = exercises.iter().filter(|e| e["status"] == "passed").count();
    let machine = &doc["machine"];
    let mut out = format!(
        "### Wait or Work: {done} of {} exercises passed\n\n",
        exercises.len()
    );
    out += &format!(
        "Graded with the course's original tests on {} core(s){}.\n\n",
        machine["cores"].as_u64().unwrap_or(0),
        machine["cpu_model"]
            .as_str()
            .map(|m| format!(" ({})", cell(m)))
            .unwrap_or_default()
    );
    out += "| exercise | status | tests | details |\n|---|---|---|---|\n";
    for e in &exercises {
        let status = e["status"].as_str().unwrap_or("?");
        out += &format!(
            "| {} `{}` | {} {status} | {}/{} | {} |\n",
            e["id"].as_str().unwrap_or("?"),
            e["package"].as_str().unwrap_or("?"),
            mark(status),
            e["tests_passed"],
            e["tests_total"],
            cell(e["message"].as_str().unwrap_or(""))
        );
    }
    let not_checked: Vec<(String, String, String)> = exercises
        .iter()
        .flat_map(|e| {
            e["checks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["outcome"] == "not_checked")
                .map(|c| {
                    (
                        e["id"].as_str().unwrap_or("?").to_string(),
                        c["check"].as_str().unwrap_or("?").to_string(),
                        c["detail"].as_str().unwrap_or("").to_string(),
                    )
                })
        })
        .collect();
    if !not_checked.is_empty() {
        out += &format!(
            "\n**{} check(s) not checked**, and not counted as passed: this machine could \
             not judge them fairly (a shared runner is often busy with other jobs, or has \
             too few cores for a speedup).\n\n",
            not_checked.len()
        );
        for (id, check, detail) in &not_checked {
            out += &format!("- {id} {}: {}\n", cell(check), cell(detail));
        }
        out += "\nYour instructor grades these again on a quiet machine \
                (`cargo xtask grade` on a copy of this repository, or `grade --class` for \
                the whole class).\n";
    }
    let modified: Vec<String> = exercises
        .iter()
        .filter_map(|e| {
            let files: Vec<&str> = e["modified_files"]
                .as_array()?
                .iter()
                .filter_map(|f| f.as_str())
                .collect();
            (!files.is_empty()).then(|| {
                format!(
                    "- {}: {}\n",
                    e["id"].as_str().unwrap_or("?"),
                    cell(&files.join(", "))
                )
            })
        })
        .collect();
    if !modified.is_empty() {
        out += "\nFiles that differ from the course's (ignored: graded with the original \
                tests and given code):\n\n";
        out += &modified.concat();
    }
    out
}

/// Appends `text` to `file` (the step summary may already hold other steps' output).
pub fn append(file: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot write the Markdown summary to {}", file.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write the Markdown summary to {}", file.display()))?;
    Ok(())
}

fn mark(status: &str) -> &'static str {
    match status {
        "passed" => "✅",
        "not checked" => "⏸️",
        "not started" => "⬜",
        _ => "❌",
    }
}

/// Text that stays inside one table cell: one line, no column break, not too long.
fn cell(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped = one_line.replace('|', "\\|");
    if escaped.chars().count() > 300 {
        escaped.chars().take(297).collect::<String>() + "..."
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_checked_is_counted_with_its_reason_and_never_as_passed() {
        let doc = serde_json::json!({
            "machine": { "cores": 2, "cpu_model": null },
            "exercises": [
                { "id": "01/01", "package": "ex01_01_a", "status": "passed",
                  "message": "share 98%", "tests_passed": 3, "tests_total": 3,
                  "checks": [], "modified_files": ["tests/a.rs"] },
                { "id": "01/02", "package": "ex01_02_b", "status": "not checked",
                  "message": "too busy | really", "tests_passed": 5, "tests_total": 5,
                  "checks": [{ "check": "speedup", "outcome": "not_checked",
                               "detail": "the machine is too busy" }],
                  "modified_files": [] }
            ]
        });
        let text = summary(&doc);
        assert!(text.contains("1 of 2 exercises passed"), "{text}");
        assert!(text.contains("too busy \\| really"), "{text}");
        assert!(text.contains("**1 check(s) not checked**"), "{text}");
        assert!(
            text.contains("- 01/02 speedup: the machine is too busy"),
            "{text}"
        );
        assert!(text.contains("- 01/01: tests/a.rs"), "{text}");
    }
}
