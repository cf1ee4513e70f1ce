//! An exercise's manifest: the facts about one exercise that the grader, the tidy
//! test and the authors share, written once, in `[package.metadata.wait-or-work]` of
//! the exercise's `Cargo.toml`:
//!
//! ```toml
//! [package.metadata.wait-or-work]
//! title = "Four jobs: waits overlap, work needs cores"
//! book = "ch01-wait-or-work/measure-it.md"    # below book/src/, `#anchor` allowed
//! edit = ["src/lib.rs"]                       # what the learner edits; the rest of src/ is given
//! fixtures = ["sequential", "off_by_one"]     # wrong answers `verify` must see rejected
//! timeout-seconds = 15                        # optional: the grader's limit, 60 s without it
//! loom = true                                 # optional: build and run the tests under loom
//! hints = [
//!     "a nudge (the README's `Hint:` line, word for word)",
//!     "the API to reach for",
//!     "the shape of the answer",
//! ]
//! ```
//!
//! The course reads every manifest once, when it is loaded ([`crate::course`]). The
//! tidy test (`xtask/tests/tidy.rs`) compiles this very file to check the manifests
//! against the READMEs, the book, the solutions and the fixtures, so it depends on
//! nothing else in the tool.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[package.metadata.wait-or-work]` of one exercise, and its package name.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manifest {
    /// `ex01_02_four_jobs`: `[package] name`, read from the same file.
    #[serde(skip)]
    pub package: String,
    /// `Four jobs: waits overlap, work needs cores`, without the `01/02` in front.
    pub title: String,
    /// The book section the exercise practises: a page below `book/src/`, optionally
    /// with an `#anchor`.
    pub book: String,
    /// A ladder of hints, from a nudge to the shape of the answer. The first one is
    /// the one `check` prints and the README's `Hint:` line.
    pub hints: Vec<String>,
    /// The rung of `hints` (1 = the first) that a failure of each named test shows
    /// instead of the first: `[package.metadata.wait-or-work.hint-for]`, one
    /// `test_name = 2` line per test whose failure calls for a more specific hint.
    #[serde(default)]
    pub hint_for: std::collections::BTreeMap<String, usize>,
    /// The grader's wall-clock limit for the exercise's tests, if not the default.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// The files the learner edits, relative to the exercise's folder
    /// (`src/lib.rs`). Every other file is given; a solution holds only these.
    pub edit: Vec<PathBuf>,
    /// The wrong-answer fixtures that `verify` grades with the exercise's tests and
    /// must see rejected.
    #[serde(default)]
    pub fixtures: Vec<Fixture>,
    /// For each wrong answer (every fixture but `sequential`), the test that rejects
    /// it: `[package.metadata.wait-or-work.rejected-by]`, one `name = "test_name"` line
    /// each. `verify` runs only that test on the wrong answer (and every test of its
    /// file, should it let the wrong answer through). The sequential fixture runs
    /// every test: its timeline is held against the solution's.
    #[serde(default)]
    pub rejected_by: std::collections::BTreeMap<String, String>,
    /// The tests run under the loom model checker (chapter 16): the grader builds
    /// them with `--cfg loom` (in a target directory of its own) and runs them with
    /// `LOOM_MAX_PREEMPTIONS` set.
    #[serde(default)]
    pub loom: bool,
}

/// A wrong answer kept as a fixture, by name. `sequential` is the solution's answers
/// without its concurrency or parallelism (jobs one after another, one thread), in
/// `xtask/tests/fixtures/sequential/NN_chapter/MM_slug/`; any other name is a wrong
/// answer of its own, in `xtask/tests/fixtures/wrong/NN_chapter/MM_slug/<name>/`. Each
/// holds only the files the learner edits, laid out like the solution, as patches
/// against the solution's files (`src/lib.rs.patch`; see `fixture.rs`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(transparent)]
pub struct Fixture(pub String);

impl Fixture {
    /// The name of the sequential fixture.
    pub const SEQUENTIAL: &str = "sequential";

    pub fn is_sequential(&self) -> bool {
        self.0 == Self::SEQUENTIAL
    }

    /// Its folder in the course at `root`, for the exercise `rel` (`NN_chapter/MM_slug`).
    pub fn dir(&self, root: &Path, rel: &Path) -> PathBuf {
        let fixtures = root.join("xtask/tests/fixtures");
        if self.is_sequential() {
            fixtures.join(Self::SEQUENTIAL).join(rel)
        } else {
            fixtures.join("wrong").join(rel).join(&self.0)
        }
    }
}

/// `sequential fixture`, or `wrong answer `name``: how `verify` speaks of it.
impl std::fmt::Display for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_sequential() {
            write!(f, "sequential fixture")
        } else {
            write!(f, "wrong answer `{}`", self.0)
        }
    }
}

impl Manifest {
    /// Reads the manifest of the exercise whose `Cargo.toml` is `cargo_toml`.
    pub fn read(cargo_toml: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(cargo_toml)
            .with_context(|| format!("cannot read {}", cargo_toml.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", cargo_toml.display()))
    }

    /// The manifest in the text of a `Cargo.toml`.
    pub fn parse(cargo_toml: &str) -> Result<Manifest> {
        #[derive(Deserialize)]
        struct CargoToml {
            package: Package,
        }
        #[derive(Deserialize)]
        struct Package {
            name: String,
            #[serde(default)]
            metadata: Metadata,
        }
        #[derive(Default, Deserialize)]
        struct Metadata {
            #[serde(rename = "wait-or-work")]
            wait_or_work: Option<Manifest>,
        }
        let parsed: CargoToml = toml::from_str(cargo_toml)?;
        let Some(mut manifest) = parsed.package.metadata.wait_or_work else {
            bail!(
                "no [package.metadata.wait-or-work]: every exercise needs one \
                 (title, book, hints, edit; see CONTRIBUTING.md)"
            );
        };
        manifest.package = parsed.package.name;
        manifest.check()?;
        Ok(manifest)
    }

    /// What the types cannot say: the fields the tool relies on are not empty.
    fn check(&self) -> Result<()> {
        if self.title.trim().is_empty() || self.title.contains('\n') {
            bail!("`title` must be one line of text");
        }
        if self.book.trim().is_empty() || self.book.starts_with('/') {
            bail!(
                "`book` must be a page below book/src/, like \"ch01-wait-or-work/measure-it.md\""
            );
        }
        if self.hints.iter().all(|h| h.trim().is_empty()) {
            bail!("`hints` must hold at least one hint");
        }
        if self.edit.is_empty() {
            bail!("`edit` must name the files the learner edits, like [\"src/lib.rs\"]");
        }
        if let Some(bad) = self.fixtures.iter().find(|f| {
            f.0.is_empty()
                || !f
                    .0
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }) {
            bail!(
                "fixture `{}` is not a folder name (a-z, 0-9 and _): \"sequential\", or the \
                 name of a wrong answer below xtask/tests/fixtures/wrong/",
                bad.0
            );
        }
        if self.timeout_seconds == Some(0) {
            bail!("`timeout-seconds` must be at least 1 (leave it out for the default)");
        }
        Ok(())
    }

    /// The book page, without its anchor: `ch01-wait-or-work/measure-it.md`.
    pub fn book_page(&self) -> &str {
        self.book.split('#').next().unwrap_or(&self.book)
    }

    /// The book section as `check` names it: `book/src/ch01-wait-or-work/measure-it.md`.
    pub fn book_section(&self) -> String {
        format!("book/src/{}", self.book)
    }

    /// The first hint: the one `check` prints and the README shows.
    pub fn hint(&self) -> Option<&str> {
        self.hints.first().map(String::as_str)
    }

    /// The hint for a failure of `test`: the rung `hint-for` names for it, or the
    /// first.
    pub fn hint_for(&self, test: Option<&str>) -> Option<&str> {
        test.and_then(|t| self.hint_for.get(t))
            .and_then(|rung| self.hints.get(rung.checked_sub(1)?))
            .map(String::as_str)
            .or_else(|| self.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO_TOML: &str = r#"
[package]
name = "ex04_02_lock_ordering"
version = "0.1.0"

[package.metadata.wait-or-work]
title = "Two stations at once"
book = "ch04-sharing-and-messages/deadlock.md#lock-ordering"
hints = ["sort the two numbers", "lock the lower one first"]
timeout-seconds = 15
edit = ["src/lib.rs"]
fixtures = ["sequential", "unsorted"]

[dependencies]
"#;

    #[test]
    fn a_failed_test_can_name_its_own_hint() {
        let text = CARGO_TOML.replace(
            "[dependencies]",
            "[package.metadata.wait-or-work.hint-for]\nholds_both = 2\n\n[dependencies]",
        );
        let m = Manifest::parse(&text).unwrap();
        assert_eq!(
            m.hint_for(Some("holds_both")),
            Some("lock the lower one first")
        );
        assert_eq!(
            m.hint_for(Some("another_test")),
            Some("sort the two numbers")
        );
        assert_eq!(m.hint_for(None), Some("sort the two numbers"));
    }

    #[test]
    fn a_manifest_is_read_with_its_package_name() {
        let m = Manifest::parse(CARGO_TOML).unwrap();
        assert_eq!(m.package, "ex04_02_lock_ordering");
        assert_eq!(m.title, "Two stations at once");
        assert_eq!(m.book_page(), "ch04-sharing-and-messages/deadlock.md");
        assert_eq!(
            m.book_section(),
            "book/src/ch04-sharing-and-messages/deadlock.md#lock-ordering"
        );
        assert_eq!(m.hint(), Some("sort the two numbers"));
        assert_eq!(m.timeout_seconds, Some(15));
        assert_eq!(m.edit, [PathBuf::from("src/lib.rs")]);
        let root = Path::new("/course");
        let rel = Path::new("04_sharing_and_messages/02_lock_ordering");
        let dirs: Vec<PathBuf> = m.fixtures.iter().map(|f| f.dir(root, rel)).collect();
        assert_eq!(
            dirs,
            [
                "/course/xtask/tests/fixtures/sequential/04_sharing_and_messages/02_lock_ordering",
                "/course/xtask/tests/fixtures/wrong/04_sharing_and_messages/02_lock_ordering/unsorted"
            ]
            .map(PathBuf::from)
        );
        assert_eq!(m.fixtures[0].to_string(), "sequential fixture");
        assert_eq!(m.fixtures[1].to_string(), "wrong answer `unsorted`");
        assert!(
            !m.loom,
            "an exercise runs without loom unless its manifest says so"
        );
    }

    #[test]
    fn loom_is_read_when_the_manifest_asks_for_it() {
        let text = CARGO_TOML.replace("timeout-seconds = 15", "loom = true");
        let m = Manifest::parse(&text).unwrap();
        assert!(m.loom);
        assert_eq!(m.timeout_seconds, None);
        let typo = CARGO_TOML.replace("timeout-seconds = 15", "loom = \"yes\"");
        assert!(Manifest::parse(&typo).is_err(), "`loom` is a boolean");
    }

    #[test]
    fn a_broken_manifest_says_what_is_wrong() {
        let error = |text: &str| format!("{:#}", Manifest::parse(text).unwrap_err());
        let without = "[package]\nname = \"ex01_01_x\"\n";
        assert!(error(without).contains("no [package.metadata.wait-or-work]"));
        let typo = CARGO_TOML.replace("hints =", "hint =");
        assert!(
            error(&typo).contains("unknown field `hint`"),
            "{}",
            error(&typo)
        );
        let fixture = CARGO_TOML.replace("\"unsorted\"", "\"not/a/name\"");
        assert!(error(&fixture).contains("fixture `not/a/name`"));
        let no_edit = CARGO_TOML.replace("[\"src/lib.rs\"]", "[]");
        assert!(error(&no_edit).contains("`edit` must name"));
        let zero = CARGO_TOML.replace("= 15", "= 0");
        assert!(error(&zero).contains("at least 1"));
    }
}
