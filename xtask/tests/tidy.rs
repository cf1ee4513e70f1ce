//! Tidy: the facts about each exercise agree wherever they are written.
//!
//! An exercise's manifest (`[package.metadata.wait-or-work]` of its `Cargo.toml`,
//! read by the tool's own `xtask/src/manifest.rs`, compiled in here) is the one place
//! for its title, book page, hints, edited files and fixtures. These tests hold the
//! rest of the course to it: the folder and package names, the README, the doc
//! comment of `src/lib.rs`, the book, the solutions, the wrong-answer fixtures, and
//! the given code that is copied from one exercise into another. Each failure names
//! the file and the fix. (In the spirit of rust-analyzer's tidy tests.)

// The tool's own modules, compiled a second time; tidy uses only part of them.
#[path = "../src/given.rs"]
mod given;
#[allow(dead_code)]
#[path = "../src/manifest.rs"]
mod manifest;
#[path = "../src/markdown.rs"]
mod markdown;

use manifest::Manifest;
use markdown::heading_ids;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one folder below the course")
        .to_path_buf()
}

/// One folder `exercises/NN_chapter/MM_slug/`.
struct Exercise {
    /// `01_wait_or_work/02_four_jobs`
    rel: String,
    /// `01/02`
    id: String,
    /// `four_jobs`
    slug: String,
    /// `ex01_02_four_jobs`, by the naming rule.
    package: String,
    manifest: Result<Manifest, String>,
}

impl Exercise {
    fn dir(&self) -> PathBuf {
        root().join("exercises").join(&self.rel)
    }

    fn solution_dir(&self) -> PathBuf {
        root().join("solutions").join(&self.rel)
    }

    fn cargo_toml(&self) -> String {
        format!("exercises/{}/Cargo.toml", self.rel)
    }
}

/// `02_four_jobs` -> (`02`, `four_jobs`), as the tool's course.rs reads folder names.
fn split_numbered(name: &str) -> Option<(&str, &str)> {
    let (number, rest) = name.split_once('_')?;
    (number.len() == 2 && number.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty())
        .then_some((number, rest))
}

fn sorted_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file below `dir`, as paths relative to it, sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf())
        .collect()
}

/// The exercises of the course, and the folders below `exercises/` that break the
/// naming rule.
fn course() -> (Vec<Exercise>, Vec<String>) {
    let exercises_dir = root().join("exercises");
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for chapter in sorted_dirs(&exercises_dir) {
        if chapter == "test-support" {
            continue;
        }
        let Some((nn, _)) = split_numbered(&chapter) else {
            problems.push(format!(
                "exercises/{chapter}/: the tool skips it, a chapter folder is named NN_chapter\n  \
                 fix: rename it, e.g. exercises/07_{chapter}/"
            ));
            continue;
        };
        for dir in sorted_dirs(&exercises_dir.join(&chapter)) {
            let rel = format!("{chapter}/{dir}");
            let Some((mm, slug)) = split_numbered(&dir) else {
                problems.push(format!(
                    "exercises/{rel}/: the tool skips it, an exercise folder is named MM_slug\n  \
                     fix: rename it, e.g. exercises/{chapter}/01_{dir}/"
                ));
                continue;
            };
            let cargo_toml = exercises_dir.join(&rel).join("Cargo.toml");
            if !cargo_toml.is_file() {
                problems.push(format!(
                    "exercises/{rel}/: no Cargo.toml, so the tool does not see this exercise\n  \
                     fix: add one (see CONTRIBUTING.md, \"An exercise\"), or remove the folder"
                ));
                continue;
            }
            found.push(Exercise {
                id: format!("{nn}/{mm}"),
                slug: slug.to_string(),
                package: format!("ex{nn}_{mm}_{slug}"),
                manifest: Manifest::read(&cargo_toml).map_err(|e| format!("{e:#}")),
                rel,
            });
        }
    }
    (found, problems)
}

/// The exercises whose manifest could be read (`every_exercise_has_a_manifest`
/// reports the others).
fn with_manifests() -> Vec<(Exercise, Manifest)> {
    course()
        .0
        .into_iter()
        .filter_map(|e| {
            let m = e.manifest.as_ref().ok()?.clone();
            Some((e, m))
        })
        .collect()
}

/// Fails with every problem, one paragraph each.
fn report(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "\n\ntidy: {what}: {} problem(s)\n\n{}\n\n",
        problems.len(),
        problems.join("\n\n")
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn folders_and_package_names_follow_the_naming_rule() {
    let (exercises, mut problems) = course();
    for e in &exercises {
        if let Ok(m) = &e.manifest
            && m.package != e.package
        {
            problems.push(format!(
                "{}: the package is `{}`, but the folder exercises/{} makes it `{}`\n  \
                 fix: set `name = \"{}\"` under [package] (or rename the folder)",
                e.cargo_toml(),
                m.package,
                e.rel,
                e.package,
                e.package
            ));
        }
    }
    if exercises.is_empty() {
        problems.push("exercises/: no exercise found\n  fix: run tidy from the course".into());
    }
    report("folder and package names", problems);
}

#[test]
fn every_exercise_has_a_manifest() {
    let problems = course()
        .0
        .iter()
        .filter_map(|e| {
            let error = e.manifest.as_ref().err()?;
            Some(format!(
                "{error}\n  fix: give it a [package.metadata.wait-or-work] with title, book, \
                 hints, edit and fixtures (see CONTRIBUTING.md, \"An exercise\")"
            ))
        })
        .collect();
    report("manifests", problems);
}

#[test]
fn ids_slugs_and_titles_are_unique() {
    let (exercises, _) = course();
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for e in &exercises {
        let title = e.manifest.as_ref().map(|m| m.title.clone()).ok();
        let keys = [
            Some(("id", e.id.clone())),
            Some(("slug", e.slug.clone())),
            title.map(|t| ("title", t)),
        ];
        for (kind, value) in keys.into_iter().flatten() {
            if let Some(other) = seen.insert(format!("{kind} {value}"), &e.rel) {
                problems.push(format!(
                    "exercises/{}: its {kind} `{value}` is also the {kind} of exercises/{other}, \
                     so a selector (or a reader) cannot tell them apart\n  fix: renumber or rename one of them",
                    e.rel
                ));
            }
        }
    }
    // Two chapter folders with one number would share every id.
    let mut chapters: BTreeMap<String, String> = BTreeMap::new();
    for chapter in sorted_dirs(&root().join("exercises")) {
        if let Some((nn, _)) = split_numbered(&chapter)
            && let Some(other) = chapters.insert(nn.to_string(), chapter.clone())
        {
            problems.push(format!(
                "exercises/{chapter}/: chapter number {nn} is also exercises/{other}/\n  \
                 fix: renumber one of the chapters"
            ));
        }
    }
    report("unique ids, slugs and titles", problems);
}

/// Book pages that do not (yet) name their exercise's folder, with the reason. An
/// entry that is no longer needed is a failure too, so the list only shrinks.
const PAGES_WITHOUT_FOLDER: &[(&str, &str)] = &[];

#[test]
fn the_book_page_exists_and_names_the_exercise() {
    let book = root().join("book/src");
    let summary = read(&book.join("SUMMARY.md"));
    let mut problems = Vec::new();
    let exercises = with_manifests();
    for (id, _) in PAGES_WITHOUT_FOLDER {
        if !exercises.iter().any(|(e, _)| e.id == *id) {
            problems.push(format!(
                "xtask/tests/tidy.rs: PAGES_WITHOUT_FOLDER names {id}, which is no exercise of the \
                 course\n  fix: remove the entry"
            ));
        }
    }
    for (e, m) in exercises {
        let page = m.book_page();
        let path = book.join(page);
        if !path.is_file() {
            problems.push(format!(
                "{}: `book = \"{}\"`, but book/src/{page} does not exist\n  \
                 fix: name a page below book/src/ (a path like \"ch01-wait-or-work/measure-it.md\")",
                e.cargo_toml(),
                m.book
            ));
            continue;
        }
        if !summary.contains(&format!("]({page})")) {
            problems.push(format!(
                "book/src/SUMMARY.md: does not list {page}, the book page of exercise {}\n  \
                 fix: add the page to SUMMARY.md, or name a listed page in {}",
                e.id,
                e.cargo_toml()
            ));
        }
        let text = read(&path);
        if let Some((_, anchor)) = m.book.split_once('#')
            && !heading_ids(&text).iter().any(|id| id == anchor)
        {
            problems.push(format!(
                "{}: `book = \"{}\"`, but book/src/{page} has no heading with the id `{anchor}`\n  \
                 fix: use the id of one of its headings: {}",
                e.cargo_toml(),
                m.book,
                heading_ids(&text).join(", ")
            ));
        }
        let folder = format!("exercises/{}", e.rel);
        let excuse = PAGES_WITHOUT_FOLDER.iter().find(|(id, _)| *id == e.id);
        match (text.contains(&folder), excuse) {
            (false, None) => problems.push(format!(
                "book/src/{page}: does not mention `{folder}`, the exercise that practises it\n  \
                 fix: name the folder on the page (as the other exercise sections do), or point \
                 `book` in {} at the page that does",
                e.cargo_toml()
            )),
            (true, Some(_)) => problems.push(format!(
                "xtask/tests/tidy.rs: PAGES_WITHOUT_FOLDER excuses {}, but book/src/{page} now \
                 mentions `{folder}`\n  fix: remove the entry",
                e.id
            )),
            (true, None) | (false, Some(_)) => {}
        }
    }
    report("book pages", problems);
}

#[test]
fn the_readme_agrees_with_the_manifest() {
    let mut problems = Vec::new();
    for (e, m) in with_manifests() {
        let file = format!("exercises/{}/README.md", e.rel);
        let text = read(&e.dir().join("README.md"));
        let mut wrong = |what: String, fix: String| {
            problems.push(format!("{file}: {what}\n  fix: {fix}"));
        };
        let heading = format!("# {} {}", e.id, m.title);
        let first = text.lines().next().unwrap_or_default();
        if first != heading {
            wrong(
                format!("the first line is `{first}`, the manifest's title makes it `{heading}`"),
                format!(
                    "make the line `{heading}`, or change `title` in {}",
                    e.cargo_toml()
                ),
            );
        }
        let link = format!("../../../book/src/{}", m.book);
        let book_line = text.lines().find(|l| l.starts_with("Book: ["));
        let linked = book_line.and_then(|l| l.split_once("](")?.1.split_once(')').map(|x| x.0));
        if linked != Some(link.as_str()) {
            wrong(
                match linked {
                    Some(other) => format!("its `Book:` line links to `{other}`, not to `{link}`"),
                    None => "it has no line `Book: [Section](...)`".to_string(),
                },
                format!(
                    "link the page of `book` in {}: `Book: [Section]({link})`",
                    e.cargo_toml()
                ),
            );
        }
        let hints: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("Hint:"))
            .map(str::trim)
            .collect();
        let first_hint = m.hint().unwrap_or_default();
        if hints != [first_hint] {
            wrong(
                if hints.is_empty() {
                    "it has no `Hint:` line".to_string()
                } else if hints.len() > 1 {
                    format!("it has {} `Hint:` lines, not one", hints.len())
                } else {
                    format!(
                        "its `Hint:` line is not the first of `hints` in {}:\n    README:   {}\n    manifest: {first_hint}",
                        e.cargo_toml(),
                        hints[0]
                    )
                },
                format!(
                    "one line `Hint: ` followed by the first of `hints` in {}, word for word",
                    e.cargo_toml()
                ),
            );
        }
        let command = format!("cargo xtask check {}", e.id);
        if !text.contains(&command) {
            wrong(
                format!("it does not show the command `{command}`"),
                format!("add `    {command}` after the sentence that says what to edit"),
            );
        }
        for edit in &m.edit {
            let named = format!("`{}`", edit.display());
            if !text.contains(&named) {
                wrong(
                    format!("it does not name {named}, a file the learner edits"),
                    format!(
                        "say \"Edit {named} ...\" (or fix `edit` in {})",
                        e.cargo_toml()
                    ),
                );
            }
        }
    }
    report("READMEs", problems);
}

#[test]
fn lib_rs_opens_with_the_title_and_the_book_page() {
    let mut problems = Vec::new();
    for (e, m) in with_manifests() {
        let heading = format!("//! # {} {}", e.id, m.title);
        let book = format!("//! Book: `book/src/{}`", m.book_page());
        for side in ["exercises", "solutions"] {
            let file = format!("{side}/{}/src/lib.rs", e.rel);
            let Ok(text) = std::fs::read_to_string(root().join(&file)) else {
                continue; // a missing lib.rs is reported with the edited files
            };
            let first = text.lines().next().unwrap_or_default();
            if first != heading {
                problems.push(format!(
                    "{file}: the first line is `{first}`, the manifest's title makes it `{heading}`\n  \
                     fix: make the line `{heading}` (in the exercise and its solution), or change \
                     `title` in {}",
                    e.cargo_toml()
                ));
            }
            if !text.lines().any(|l| l.starts_with(&book)) {
                problems.push(format!(
                    "{file}: its doc comment has no line starting `{book}`\n  fix: add it (in the \
                     exercise and its solution), or change `book` in {}",
                    e.cargo_toml()
                ));
            }
        }
    }
    report("the doc comment of src/lib.rs", problems);
}

#[test]
fn hint_ladders_have_two_to_four_rungs() {
    let mut problems = Vec::new();
    for (e, m) in with_manifests() {
        let n = m.hints.len();
        if !(2..=4).contains(&n) {
            problems.push(format!(
                "{}: `hints` has {n} entries\n  fix: write 2 to 4: a nudge (the README's \
                 `Hint:` line), then the API to reach for, then the shape of the answer",
                e.cargo_toml()
            ));
        }
        for (i, hint) in m.hints.iter().enumerate() {
            if hint.trim().is_empty() || hint.trim() != hint {
                problems.push(format!(
                    "{}: hint {} is empty or starts or ends with white space\n  fix: trim it",
                    e.cargo_toml(),
                    i + 1
                ));
            }
            if m.hints[..i].contains(hint) {
                problems.push(format!(
                    "{}: hint {} repeats an earlier one\n  fix: each rung says more than the one before",
                    e.cargo_toml(),
                    i + 1
                ));
            }
        }
    }
    report("hint ladders", problems);
}

/// Every Rust file below the exercise's tests/, one after the other: where its test
/// functions are defined (`fn name(`).
fn test_sources(e: &Exercise) -> String {
    files_below(&e.dir().join("tests"))
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "rs"))
        .map(|f| read(&e.dir().join("tests").join(f)))
        .collect()
}

/// `hint-for` names tests that exist and rungs that exist.
#[test]
fn hints_for_a_test_name_a_test_and_a_rung() {
    let mut problems = Vec::new();
    for (e, m) in with_manifests() {
        let tests = test_sources(&e);
        for (test, &rung) in &m.hint_for {
            if !tests.contains(&format!("fn {test}(")) {
                problems.push(format!(
                    "{}: `hint-for` names the test `{test}`, which no file in tests/ defines\n  \
                     fix: use the test function's name, or remove the line",
                    e.cargo_toml()
                ));
            }
            if rung == 0 || rung > m.hints.len() {
                problems.push(format!(
                    "{}: `hint-for` gives `{test}` the hint {rung}, but `hints` has {}\n  \
                     fix: a number from 1 to {}",
                    e.cargo_toml(),
                    m.hints.len(),
                    m.hints.len()
                ));
            }
        }
    }
    report("hints for a test", problems);
}

/// `rejected-by` names, for every wrong answer the manifest lists (every fixture but
/// `sequential`), a test that exists: `verify` runs only that test on it.
#[test]
fn every_wrong_answer_names_the_test_that_rejects_it() {
    let mut problems = Vec::new();
    for (e, m) in with_manifests() {
        let tests = test_sources(&e);
        for fixture in m.fixtures.iter().filter(|f| !f.is_sequential()) {
            if !m.rejected_by.contains_key(&fixture.0) {
                problems.push(format!(
                    "{}: the wrong answer `{}` names no test that rejects it\n  fix: add \
                     `{} = \"test_name\"` under [package.metadata.wait-or-work.rejected-by] \
                     (`cargo xtask verify {}` says which test rejects it)",
                    e.cargo_toml(),
                    fixture.0,
                    fixture.0,
                    e.id
                ));
            }
        }
        for (name, test) in &m.rejected_by {
            if name == "sequential" || !m.fixtures.iter().any(|f| &f.0 == name) {
                problems.push(format!(
                    "{}: `rejected-by` names `{name}`, which is not a wrong answer in `fixtures`\n  \
                     fix: list the wrong answer in `fixtures`, or remove the line (the \
                     sequential fixture runs every test)",
                    e.cargo_toml()
                ));
            }
            if !tests.contains(&format!("fn {test}(")) {
                problems.push(format!(
                    "{}: `rejected-by` says `{test}` rejects `{name}`, but no file in tests/ \
                     defines that test\n  fix: use the test function's name",
                    e.cargo_toml()
                ));
            }
        }
    }
    report("the tests that reject the wrong answers", problems);
}

#[test]
fn edited_files_exist_and_solutions_hold_only_them() {
    let mut problems = Vec::new();
    let exercises = with_manifests();
    for (e, m) in &exercises {
        for edit in &m.edit {
            if !edit.starts_with("src") || edit.is_absolute() {
                problems.push(format!(
                    "{}: `edit` names {}, which is not below src/\n  fix: list paths like \"src/lib.rs\"",
                    e.cargo_toml(),
                    edit.display()
                ));
            }
            for (side, dir) in [("exercises", e.dir()), ("solutions", e.solution_dir())] {
                if !dir.join(edit).is_file() {
                    problems.push(format!(
                        "{side}/{}/{}: missing, but `edit` in {} lists it\n  fix: add the file, or \
                         remove it from `edit`",
                        e.rel,
                        edit.display(),
                        e.cargo_toml()
                    ));
                }
            }
        }
        for file in files_below(&e.solution_dir()) {
            if !m.edit.contains(&file) {
                problems.push(format!(
                    "solutions/{}/{}: a solution holds only the files the learner edits, and `edit` \
                     in {} does not list it\n  fix: delete it (given code lives in the exercise \
                     only), or add it to `edit`",
                    e.rel,
                    file.display(),
                    e.cargo_toml()
                ));
            }
        }
    }
    // A solution whose exercise is gone.
    let known: BTreeSet<&str> = exercises.iter().map(|(e, _)| e.rel.as_str()).collect();
    let solutions = root().join("solutions");
    for chapter in sorted_dirs(&solutions) {
        for dir in sorted_dirs(&solutions.join(&chapter)) {
            let rel = format!("{chapter}/{dir}");
            if !known.contains(rel.as_str()) && !root().join("exercises").join(&rel).is_dir() {
                problems.push(format!(
                    "solutions/{rel}/: no exercise exercises/{rel}/ (the grader would call it \
                     deleted)\n  fix: remove the solution, or restore or rename the exercise"
                ));
            }
        }
    }
    report("edited files and solutions", problems);
}

/// Folders of `xtask/tests/fixtures/` that are the tool's own test data, not wrong
/// answers of an exercise.
const TOOL_FIXTURES: &[&str] = &["faulty-course"];

#[test]
fn fixtures_are_listed_and_listed_fixtures_exist() {
    let mut problems = Vec::new();
    let root = root();
    let shown = |dir: &Path| {
        let rel = dir.strip_prefix(&root).unwrap_or(dir);
        format!("{}/", rel.display())
    };
    // Every listed fixture exists and replaces only edited files.
    let exercises = with_manifests();
    let mut listed: BTreeSet<PathBuf> = BTreeSet::new();
    for (e, m) in &exercises {
        for fixture in &m.fixtures {
            let dir = fixture.dir(&root, Path::new(&e.rel));
            listed.insert(dir.clone());
            if !dir.is_dir() {
                problems.push(format!(
                    "{}: `fixtures` lists \"{}\", but {} does not exist\n  fix: write the \
                     {fixture} there (laid out like the solution), or remove its name",
                    e.cargo_toml(),
                    fixture.0,
                    shown(&dir)
                ));
            }
            for file in files_below(&dir) {
                let fix_whole = format!(
                    "  fix: keep it as a patch against the solution: `cargo xtask fixture {} {} \
                     --from <the whole wrong file>`",
                    e.id, fixture.0
                );
                let Some(edited) = file.to_str().and_then(|f| f.strip_suffix(".patch")) else {
                    problems.push(format!(
                        "{}{}: a fixture is kept as patches against the solution \
                         (`<file>.patch`), not as a whole copy\n{fix_whole}",
                        shown(&dir),
                        file.display(),
                    ));
                    continue;
                };
                if !m.edit.contains(&PathBuf::from(edited)) {
                    problems.push(format!(
                        "{}{}: a fixture changes only the files the learner edits, and `edit` in \
                         {} does not list {edited}\n  fix: delete it",
                        shown(&dir),
                        file.display(),
                        e.cargo_toml()
                    ));
                    continue;
                }
                // The patch still applies to the solution, and gives a different file.
                let solution = std::fs::read_to_string(e.solution_dir().join(edited));
                let patch = std::fs::read_to_string(dir.join(&file)).unwrap_or_default();
                let applied = match (&solution, diffy::Patch::from_str(&patch)) {
                    (Ok(base), Ok(parsed)) => {
                        diffy::apply(base, &parsed).map_err(|e| e.to_string())
                    }
                    (Err(why), _) => Err(format!("solution unreadable: {why}")),
                    (_, Err(why)) => Err(format!("not a unified diff: {why}")),
                };
                match applied {
                    Ok(text) if solution.as_ref().is_ok_and(|s| *s == text) => {
                        problems.push(format!(
                            "{}{}: the patch leaves the solution as it is\n{fix_whole}",
                            shown(&dir),
                            file.display(),
                        ))
                    }
                    Ok(_) => {}
                    Err(why) => problems.push(format!(
                        "{}{}: no longer applies to solutions/{}/{edited} ({why})\n{fix_whole}",
                        shown(&dir),
                        file.display(),
                        e.rel
                    )),
                }
            }
        }
    }
    // Every fixture folder is listed: sequential/NN_chapter/MM_slug/ and
    // wrong/NN_chapter/MM_slug/<name>/.
    let fixtures = root.join("xtask/tests/fixtures");
    let mut found = Vec::new();
    for kind in sorted_dirs(&fixtures) {
        let depth = match kind.as_str() {
            "sequential" => 2,
            "wrong" => 3,
            // Wrong answers the tests still accept: listed by no manifest (verify would
            // fail), named by an `open` entry of xtask/tests/wrong_answer_kinds/.
            "open" => continue,
            other if TOOL_FIXTURES.contains(&other) => continue,
            other => {
                problems.push(format!(
                    "xtask/tests/fixtures/{other}/: neither sequential/ nor wrong/, so no \
                     manifest can list what it holds\n  fix: move wrong answers to \
                     wrong/NN_chapter/MM_slug/<name>/; if it is test data of the tool, add it to \
                     TOOL_FIXTURES in xtask/tests/tidy.rs"
                ));
                continue;
            }
        };
        let mut level = vec![fixtures.join(&kind)];
        for _ in 0..depth {
            level = level
                .iter()
                .flat_map(|d| sorted_dirs(d).into_iter().map(|n| d.join(n)))
                .collect();
        }
        found.extend(level);
    }
    for dir in found {
        if listed.contains(&dir) {
            continue;
        }
        let rel: Vec<String> = dir
            .strip_prefix(&fixtures)
            .unwrap_or(&dir)
            .iter()
            .skip(1)
            .take(2)
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        let name = if dir.starts_with(fixtures.join("sequential")) {
            "sequential".to_string()
        } else {
            dir.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        };
        let all = course().0;
        let fix = match all.iter().find(|e| e.rel == rel) {
            Some(e) => format!(
                "add \"{name}\" to `fixtures` in {} (`verify` grades only listed fixtures), or \
                 delete the folder",
                e.cargo_toml()
            ),
            None => format!(
                "there is no exercise exercises/{rel}/: move the fixture to its exercise's path, or delete it"
            ),
        };
        problems.push(format!(
            "{}: no manifest lists it\n  fix: {fix}",
            shown(&dir)
        ));
    }
    report("wrong-answer fixtures", problems);
}

/// Which part of a file is the copy.
enum Part {
    /// The whole file, byte for byte.
    Whole,
    /// Everything after the leading `//!` lines, byte for byte.
    AfterDocComment,
    /// The body of the function whose line starts with this (its name may differ from
    /// copy to copy), comment lines left out.
    FnBody(&'static str),
}

/// Given code that stands in more than one place. Each exercise is a crate of its own
/// (a course pack copies exercise folders one by one), so the copies stay; tidy keeps
/// them the same.
const COPIES: &[(&str, &[(&str, Part)])] = &[
    (
        "the kitchen of chapter 5",
        &[
            (
                "exercises/05_one_cook_many_dishes/01_cook_a_meal/src/kitchen.rs",
                Part::Whole,
            ),
            (
                "exercises/05_one_cook_many_dishes/02_dinner_deadline/src/kitchen.rs",
                Part::Whole,
            ),
        ],
    ),
    (
        "the given blocking `fetch` of chapter 3",
        &[
            (
                "exercises/03_threads_for_waiting/02_thread_per_request/src/fetch.rs",
                Part::Whole,
            ),
            (
                "exercises/03_threads_for_waiting/03_bounded_pool/src/fetch.rs",
                Part::Whole,
            ),
        ],
    ),
    (
        "`fetch`, the solution of 03/01, given to 03/02 and 03/03",
        &[
            (
                "solutions/03_threads_for_waiting/01_fetch_one_by_one/src/lib.rs",
                Part::AfterDocComment,
            ),
            (
                "exercises/03_threads_for_waiting/02_thread_per_request/src/fetch.rs",
                Part::AfterDocComment,
            ),
        ],
    ),
    (
        "`cook_dish`, the solution of 05/01, given to 05/02",
        &[
            (
                "solutions/05_one_cook_many_dishes/01_cook_a_meal/src/lib.rs",
                Part::FnBody("pub async fn cook_dish("),
            ),
            (
                "exercises/05_one_cook_many_dishes/02_dinner_deadline/src/lib.rs",
                Part::FnBody("pub async fn cook_dish("),
            ),
        ],
    ),
    (
        "the CPU kernel (an integer hash) that the exercises compute with",
        &[
            (
                "exercises/07_do_not_block_the_cook/01_unblock_the_cook/src/legacy.rs",
                Part::FnBody("pub fn checksum("),
            ),
            (
                "exercises/07_do_not_block_the_cook/02_pick_the_runtime/src/work.rs",
                Part::FnBody("pub fn checksum("),
            ),
            (
                "exercises/09_why_speedup_stops/01_amdahl/src/workload.rs",
                Part::FnBody("pub fn crunch("),
            ),
            (
                "exercises/13_choosing/01_pick_the_model/src/run.rs",
                Part::FnBody("fn spin("),
            ),
        ],
    ),
];

/// The part of `text` that is the copy, or why it cannot be found.
fn part_of(text: &str, part: &Part) -> Result<String, String> {
    match part {
        Part::Whole => Ok(text.to_string()),
        Part::AfterDocComment => Ok(text
            .split_inclusive('\n')
            .skip_while(|l| l.starts_with("//!"))
            .collect()),
        Part::FnBody(start) => {
            let mut lines = text
                .lines()
                .skip_while(|l| !l.trim_start().starts_with(start));
            let signature = lines
                .next()
                .ok_or_else(|| format!("no line starts with `{start}`"))?;
            let indent = &signature[..signature.len() - signature.trim_start().len()];
            let end = format!("{indent}}}");
            let mut body = String::new();
            for line in lines {
                if line == end {
                    return Ok(body);
                }
                if !line.trim_start().starts_with("//") {
                    body.push_str(line.trim());
                    body.push('\n');
                }
            }
            Err(format!("the function `{start}` has no closing `}}`"))
        }
    }
}

#[test]
fn given_code_copied_between_exercises_is_identical() {
    let mut problems = Vec::new();
    for (what, places) in COPIES {
        let list = places
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(", ");
        let parts: Vec<Result<String, String>> = places
            .iter()
            .map(
                |(path, part)| match std::fs::read_to_string(root().join(path)) {
                    Ok(text) => part_of(&text, part),
                    Err(e) => Err(e.to_string()),
                },
            )
            .collect();
        for ((path, _), part) in places.iter().zip(&parts) {
            if let Err(e) = part {
                problems.push(format!(
                    "{path}: cannot find {what} ({e})\n  fix: if it moved, update COPIES in \
                     xtask/tests/tidy.rs"
                ));
            }
        }
        let (first, _) = &places[0];
        if let Ok(reference) = &parts[0] {
            for ((path, _), part) in places.iter().zip(&parts).skip(1) {
                if part.as_ref().is_ok_and(|p| p != reference) {
                    problems.push(format!(
                        "{path}: {what} differs from {first}\n  fix: make the same change in every \
                         copy ({list})"
                    ));
                }
            }
        }
    }
    report("copies of given code", problems);
}

/// `xtask/tests/rules.toml`: the rules the book states, and the fixtures that break
/// them.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    rule: Vec<Rule>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    /// Below book/src/.
    page: String,
    /// The rule as the page writes it, without the bold markers.
    text: String,
    #[serde(default)]
    broken_by: Vec<BrokenBy>,
    untestable: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokenBy {
    exercise: String,
    fixture: String,
}

/// Markdown as a reader sees the words: no blockquote markers, no bold markers, every
/// run of white space (line breaks too) one space.
fn plain(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.trim_start();
            l.strip_prefix('>').unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("**", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The blockquoted bold rules of a page (`> **...**`, on one line or several), exercise
/// callouts (`> **Exercise NN/MM ...`) left out, as plain text.
fn blockquoted_rules(page: &str) -> Vec<String> {
    let lines: Vec<&str> = page.lines().collect();
    let mut rules = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("> **") else {
            continue;
        };
        if rest.starts_with("Exercise ") {
            continue;
        }
        // The quote goes on while the lines start with `>`; the rule ends at the next `**`.
        let mut quote = rest.to_string();
        for next in lines[i + 1..].iter().take_while(|l| l.starts_with('>')) {
            if quote.contains("**") {
                break;
            }
            quote.push('\n');
            quote.push_str(next);
        }
        let bold = quote.split("**").next().unwrap_or_default();
        rules.push(plain(bold));
    }
    rules
}

#[test]
fn every_rule_of_the_book_is_broken_by_a_rejected_fixture() {
    let file = "xtask/tests/rules.toml";
    let book = root().join("book/src");
    let rules: Rules = match toml::from_str(&read(&root().join(file))) {
        Ok(rules) => rules,
        Err(e) => {
            return report(
                "rules of the book",
                vec![format!(
                    "{file}: cannot be read ({e})\n  fix: one [[rule]] per rule, with `page`, \
                     `text` and `broken_by = [{{ exercise = \"NN/MM\", fixture = \"name\" }}]` \
                     (or `untestable = \"why\"`)"
                )],
            );
        }
    };
    let exercises = with_manifests();
    let mut problems = Vec::new();
    // Every entry: its text is on its page, and wrong answers that break it are
    // rejected by an exercise's tests.
    for rule in &rules.rule {
        let text = plain(&rule.text);
        let path = book.join(&rule.page);
        if !path.is_file() {
            problems.push(format!(
                "{file}: the rule \"{text}\" names the page book/src/{}, which does not exist\n  \
                 fix: name the page below book/src/ that states it (e.g. \
                 \"ch14-messages-and-shutdown/bounded.md\"), or remove the entry if the book \
                 no longer states the rule",
                rule.page
            ));
        } else if !plain(&read(&path)).contains(&text) {
            problems.push(format!(
                "{file}: the rule \"{text}\" is not on book/src/{} (bold markers and line \
                 breaks aside)\n  fix: copy the sentence from the page word for word, or \
                 remove the entry if the page no longer states it",
                rule.page
            ));
        }
        match (rule.broken_by.is_empty(), &rule.untestable) {
            (true, None) => problems.push(format!(
                "{file}: the rule \"{text}\" names no fixture that breaks it\n  fix: add \
                 `broken_by = [{{ exercise = \"NN/MM\", fixture = \"name\" }}]`: a wrong \
                 answer that breaks the rule, listed in that exercise's `fixtures`, so that \
                 `cargo xtask verify` proves the tests reject it (write one with `cargo \
                 xtask fixture NN/MM name --from FILE` if none exists); only a rule that is \
                 no rule about code gets `untestable = \"why\"` instead"
            )),
            (false, Some(_)) => problems.push(format!(
                "{file}: the rule \"{text}\" has both `broken_by` and `untestable`\n  fix: \
                 keep `broken_by`: a fixture that breaks it shows it can be tested"
            )),
            _ => {}
        }
        for broken in &rule.broken_by {
            let Some((e, m)) = exercises.iter().find(|(e, _)| e.id == broken.exercise) else {
                problems.push(format!(
                    "{file}: the rule \"{text}\" is broken by a fixture of exercise {}, which \
                     is no exercise of the course\n  fix: use an exercise's NN/MM (`cargo \
                     xtask list` shows them)",
                    broken.exercise
                ));
                continue;
            };
            if !m.fixtures.iter().any(|f| f.0 == broken.fixture) {
                let listed: Vec<&str> = m.fixtures.iter().map(|f| f.0.as_str()).collect();
                problems.push(format!(
                    "{file}: the rule \"{text}\" is broken by the fixture \"{}\" of {}, which \
                     {} does not list in `fixtures` ({})\n  fix: name a listed fixture, or \
                     record the wrong answer with `cargo xtask fixture {} {} --from FILE`, \
                     list it, and run `cargo xtask verify {}`",
                    broken.fixture,
                    broken.exercise,
                    e.cargo_toml(),
                    listed.join(", "),
                    broken.exercise,
                    broken.fixture,
                    broken.exercise
                ));
            }
        }
    }
    // Every blockquoted bold rule of the book has an entry.
    for entry in walkdir::WalkDir::new(&book)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
    {
        let page = entry
            .path()
            .strip_prefix(&book)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        for bold in blockquoted_rules(&read(entry.path())) {
            let known = rules
                .rule
                .iter()
                .any(|r| r.page == page && plain(&r.text).contains(&bold));
            if !known {
                problems.push(format!(
                    "book/src/{page}: states the rule \"{bold}\", which {file} does not list\n  \
                     fix: add a [[rule]] with `page = \"{page}\"`, the rule as `text`, and \
                     `broken_by`, a wrong-answer fixture that breaks it (see CONTRIBUTING.md, \
                     \"The book's rules\")"
                ));
            }
        }
    }
    report("rules of the book", problems);
}

/// A solution keeps the code marked "Given" in its edited files exactly as the
/// exercise ships it: the learner may not change it either (`check` says "modified").
#[test]
fn solutions_keep_the_given_code() {
    let mut problems = Vec::new();
    for (e, m) in with_manifests() {
        for file in &m.edit {
            let (Ok(shipped), Ok(solved)) = (
                std::fs::read_to_string(e.dir().join(file)),
                std::fs::read_to_string(e.solution_dir().join(file)),
            ) else {
                continue;
            };
            for change in given::changed(&shipped, &solved) {
                problems.push(format!(
                    "solutions/{}/{}: {change}\n  fix: keep the item as the exercise ships \
                     it, or drop \"Given\" from its doc comment if the learner writes it",
                    e.rel,
                    file.display()
                ));
            }
        }
    }
    report("given code in the solutions", problems);
}

/// The kinds of wrong answer that mutation testing alone does not reach; every
/// exercise is swept for each (`xtask/tests/wrong_answer_kinds/`).
const KINDS: [&str; 5] = [
    "error_path",
    "uneven_costs",
    "loose_threshold",
    "tiny_race",
    "blocking_or_wrong_pool",
];

/// One chapter's file of `xtask/tests/wrong_answer_kinds/`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SweptChapter {
    exercise: Vec<Swept>,
}

// No `deny_unknown_fields` here: serde does not support it with `flatten`; the test
// checks the kinds' names itself.
#[derive(serde::Deserialize)]
struct Swept {
    id: String,
    #[serde(flatten)]
    kinds: std::collections::BTreeMap<String, KindOutcome>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KindOutcome {
    #[serde(default)]
    fixtures: Vec<String>,
    not_applicable: Option<String>,
    /// A wrong answer of this kind that the tests still accept, and why it is not
    /// closed yet (its patch kept in `xtask/tests/fixtures/open/`): a known hole,
    /// said, never hidden behind a weaker fixture.
    open: Option<String>,
}

#[test]
fn every_exercise_is_swept_for_every_kind_of_wrong_answer() {
    let dir = root().join("xtask/tests/wrong_answer_kinds");
    let exercises = with_manifests();
    let mut problems = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut swept_open: Vec<(String, String)> = Vec::new();
    for file in files_below(&dir) {
        let shown = format!("xtask/tests/wrong_answer_kinds/{}", file.display());
        let chapter_folder = file.with_extension("").display().to_string();
        let parsed: SweptChapter = match toml::from_str(&read(&dir.join(&file))) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.push(format!(
                    "{shown}: cannot be read ({e})\n  fix: one [[exercise]] with `id = \"NN/MM\"` \
                     and a table for each kind ({}), each with `fixtures = [\"name\"]` or \
                     `not_applicable = \"why\"`",
                    KINDS.join(", ")
                ));
                continue;
            }
        };
        for swept in &parsed.exercise {
            let Some((e, m)) = exercises.iter().find(|(e, _)| e.id == swept.id) else {
                problems.push(format!(
                    "{shown}: {} is no exercise of the course\n  fix: use an exercise's NN/MM \
                     (`cargo xtask list` shows them)",
                    swept.id
                ));
                continue;
            };
            if !e.rel.starts_with(&format!("{chapter_folder}/")) {
                problems.push(format!(
                    "{shown}: {} belongs to chapter folder {}\n  fix: move its entry to that \
                     chapter's file",
                    swept.id,
                    e.rel.split('/').next().unwrap_or_default()
                ));
            }
            if seen.contains(&swept.id) {
                problems.push(format!(
                    "{shown}: {} is swept twice\n  fix: keep one entry",
                    swept.id
                ));
            }
            seen.push(swept.id.clone());
            for kind in swept.kinds.keys() {
                if !KINDS.contains(&kind.as_str()) {
                    problems.push(format!(
                        "{shown}: {} names the kind `{kind}`, which is none of {}\n  fix: \
                         use one of those names",
                        swept.id,
                        KINDS.join(", ")
                    ));
                }
            }
            for kind in KINDS {
                let Some(outcome) = swept.kinds.get(kind) else {
                    problems.push(format!(
                        "{shown}: {} says nothing of the kind `{kind}`\n  fix: add \
                         [exercise.{kind}] with the fixtures of that kind that the tests \
                         reject, or `not_applicable = \"why\"`",
                        swept.id
                    ));
                    continue;
                };
                if let Some(text) = &outcome.open {
                    swept_open.push((swept.id.clone(), text.clone()));
                }
                let said =
                    |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
                let (reason, open) = (said(&outcome.not_applicable), said(&outcome.open));
                match (outcome.fixtures.is_empty() && !open, reason) {
                    (true, false) => problems.push(format!(
                        "{shown}: {} {kind}: neither fixtures nor a reason\n  fix: write \
                         the wrong answer (`cargo xtask fixture {} name --from FILE`), list \
                         it, or say in `not_applicable` why no answer can make this mistake",
                        swept.id, swept.id
                    )),
                    (false, true) => problems.push(format!(
                        "{shown}: {} {kind}: `not_applicable`, and yet fixtures or an open \
                         wrong answer of this kind\n  fix: drop `not_applicable`",
                        swept.id
                    )),
                    _ => {}
                }
                for fixture in &outcome.fixtures {
                    if fixture == "sequential" {
                        problems.push(format!(
                            "{shown}: {} {kind}: the sequential fixture is no wrong answer of \
                             this kind\n  fix: name a wrong answer that makes this mistake",
                            swept.id
                        ));
                    } else if !m.fixtures.iter().any(|f| f.0 == *fixture) {
                        problems.push(format!(
                            "{shown}: {} {kind}: the fixture \"{fixture}\" is not listed in \
                             {}\n  fix: list it in `fixtures`, so that `cargo xtask verify {}` \
                             proves the tests reject it",
                            swept.id,
                            e.cargo_toml(),
                            swept.id
                        ));
                    }
                }
            }
        }
    }
    // Every open wrong answer kept is named by its exercise's sweep.
    let open_dir = root().join("xtask/tests/fixtures/open");
    for (e, _) in &exercises {
        if !open_dir.join(&e.rel).is_dir() {
            continue;
        }
        let rel = format!("xtask/tests/fixtures/open/{}", e.rel);
        let named = swept_open
            .iter()
            .any(|(id, text)| *id == e.id && text.contains(&rel));
        if !named {
            problems.push(format!(
                "{rel}/: open wrong answers of {} that no sweep names\n  fix: say in an \
                 `open = \"...\"` entry of its kind why the tests still accept them, naming \
                 {rel}, or close them (a test that rejects them, then list them as fixtures)",
                e.id
            ));
        }
    }
    for (e, _) in &exercises {
        if !seen.contains(&e.id) {
            problems.push(format!(
                "{}: not swept for the kinds of wrong answer\n  fix: add an [[exercise]] \
                 entry for it to xtask/tests/wrong_answer_kinds/{}.toml",
                e.id,
                e.rel.split('/').next().unwrap_or_default()
            ));
        }
    }
    report("wrong-answer kinds", problems);
}
