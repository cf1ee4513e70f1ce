//! Shared helpers for the tool's own tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn fixture_course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faulty-course")
}

/// The xtask binary, with the environment of a learner's terminal (no inherited
/// test-only variables).
pub fn xtask() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("xtask").unwrap();
    cmd.env_remove("WOW_COURSE_ROOT")
        .env_remove("WOW_CORES")
        .env_remove("INSTA_UPDATE")
        .env("CARGO", env!("CARGO"));
    cmd
}

/// Blanks out what changes from run to run (times, measured ratios, core counts,
/// paths) so that the rest of the output can live in a snapshot.
pub fn redact(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut l = line.replace(&repo_root().to_string_lossy().to_string(), "[repo]");
        l = replace_numbers_before(&l, "x", "[ratio]");
        l = replace_numbers_before(&l, "s", "[time]");
        l = replace_numbers_before(&l, "%", "[share]");
        l = replace_numbers_before(&l, " cores", "[cores]");
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out
}

/// Replaces every decimal number directly followed by `suffix` with `with`.
fn replace_numbers_before(line: &str, suffix: &str, with: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let rest: String = chars[i..].iter().collect();
            let boundary_ok = rest
                .strip_prefix(suffix)
                .is_some_and(|after| after.chars().next().is_none_or(|c| !c.is_alphanumeric()));
            if boundary_ok {
                out.push_str(with);
                out.push_str(suffix);
                i += suffix.chars().count();
            } else {
                out.extend(&chars[start..i]);
            }
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Every file below `dir` with its bytes, to prove a command changed nothing.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    walk(dir, &mut files);
    files
}

#[test]
fn redaction_keeps_words() {
    assert_eq!(
        redact(
            "speedup 1.81x, needed 1.49x on 2 cores (spare capacity 1.98x) in 0.5s, 100% ex01_02"
        ),
        "speedup [ratio]x, needed [ratio]x on [cores] cores (spare capacity [ratio]x) in [time]s, [share]% ex01_02\n"
    );
}
