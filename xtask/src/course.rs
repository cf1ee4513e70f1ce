//! The course on disk: where the exercises are, what they are called, and how a
//! learner's selector (`01`, `01/02`, `four_jobs`, `ex01_02_four_jobs`) picks them.
//!
//! The naming rule: `exercises/NN_chapter/MM_slug/` is the package `exNN_MM_slug`,
//! its solution lives at `solutions/NN_chapter/MM_slug/`. Everything else the tool
//! knows about an exercise is in its manifest ([`Manifest`]), read once, here.

use crate::manifest::Manifest;
use crate::suggest;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One exercise crate.
#[derive(Clone, Debug)]
pub struct Exercise {
    /// `01` in `exercises/01_wait_or_work/02_four_jobs`.
    pub chapter: String,
    /// `01_wait_or_work`.
    pub chapter_dir: String,
    /// `02`.
    pub number: String,
    /// `four_jobs`.
    pub slug: String,
    /// `01_wait_or_work/02_four_jobs`, the path below `exercises/` and `solutions/`.
    pub rel: PathBuf,
    /// `ex01_02_four_jobs`.
    pub package: String,
    /// Its manifest, from its `Cargo.toml`; `None` for an exercise whose folder was
    /// deleted (known from its solution only).
    pub manifest: Option<Manifest>,
}

impl Exercise {
    /// The files a learner edits (the manifest's `edit`), relative to the exercise's
    /// folder, with `/` separators; `src/lib.rs` for an exercise known only from its
    /// solution.
    pub fn edit_files(&self) -> Vec<String> {
        self.manifest
            .as_ref()
            .map(|m| {
                m.edit
                    .iter()
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .collect()
            })
            .unwrap_or_else(|| vec!["src/lib.rs".to_string()])
    }

    /// `01/02`, the short name used in status lines and selectors.
    pub fn id(&self) -> String {
        format!("{}/{}", self.chapter, self.number)
    }

    /// The package name the naming rule gives the folder `NN_chapter/MM_slug`.
    pub fn package_for(chapter: &str, number: &str, slug: &str) -> String {
        format!("ex{chapter}_{number}_{slug}")
    }
}

/// The repository: its root and its exercises, in order.
#[derive(Clone, Debug)]
pub struct Course {
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
    /// Exercises with a solution but no folder in `exercises/`: deleted by the learner.
    pub deleted: Vec<Exercise>,
}

impl Course {
    /// The course the current folder is in (the nearest folder upwards that holds
    /// `exercises/` and `xtask/`), or the one `WOW_COURSE_ROOT` names (the tool's own
    /// tests grade small fixture courses that way). Only when run from outside any
    /// course, the one this xtask was built from: a course folder that was moved or
    /// copied with its `target/` grades itself, not the old location.
    pub fn load() -> Result<Self> {
        if let Some(root) = std::env::var_os("WOW_COURSE_ROOT") {
            return Self::at(Path::new(&root));
        }
        if let Some(root) = std::env::current_dir()
            .ok()
            .and_then(|cwd| enclosing_course(&cwd))
        {
            return Self::at(&root);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask must live one folder below the workspace root")?
            .to_path_buf();
        Self::at(&root)
    }

    /// The selectors meant by none at all: the exercise or chapter whose folder the
    /// command runs in (`cargo xtask check` inside `exercises/01_wait_or_work/02_four_jobs`
    /// grades that exercise), or every exercise.
    pub fn default_selectors(&self) -> Vec<String> {
        let Ok(cwd) = std::env::current_dir() else {
            return Vec::new();
        };
        let cwd = cwd.canonicalize().unwrap_or(cwd);
        let exercises = self.exercises_dir();
        let exercises = exercises.canonicalize().unwrap_or(exercises);
        let Ok(rel) = cwd.strip_prefix(&exercises) else {
            return Vec::new();
        };
        let parts: Vec<String> = rel
            .components()
            .take(2)
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        match parts.as_slice() {
            [chapter, exercise]
                if self.exercises.iter().any(|e| {
                    e.chapter_dir == *chapter && format!("{}_{}", e.number, e.slug) == *exercise
                }) =>
            {
                vec![format!("{chapter}/{exercise}")]
            }
            [chapter, ..] if self.exercises.iter().any(|e| e.chapter_dir == *chapter) => {
                vec![chapter.clone()]
            }
            _ => Vec::new(),
        }
    }

    /// The course at `root`, which must hold `exercises/`. Reads every exercise's
    /// manifest; one that is missing or broken is an error naming its file.
    pub fn at(root: &Path) -> Result<Self> {
        let mut exercises = discover(&root.join("exercises"), "Cargo.toml")?;
        for e in &mut exercises {
            let cargo_toml = root.join("exercises").join(&e.rel).join("Cargo.toml");
            e.manifest = Some(Manifest::read(&cargo_toml)?);
        }
        let deleted = if root.join("solutions").is_dir() {
            discover(&root.join("solutions"), "src")?
                .into_iter()
                .filter(|s| !exercises.iter().any(|e| e.rel == s.rel))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            root: root.to_path_buf(),
            exercises,
            deleted,
        })
    }

    pub fn exercises_dir(&self) -> PathBuf {
        self.root.join("exercises")
    }

    pub fn solutions_dir(&self) -> PathBuf {
        self.root.join("solutions")
    }

    pub fn exercise_dir(&self, exercise: &Exercise) -> PathBuf {
        self.exercises_dir().join(&exercise.rel)
    }

    pub fn solution_dir(&self, exercise: &Exercise) -> PathBuf {
        self.solutions_dir().join(&exercise.rel)
    }

    /// Where cargo builds: `CARGO_TARGET_DIR` when set (so several course copies can
    /// share compiled dependencies), else `target/` in the course.
    pub fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() {
                    dir
                } else {
                    self.root.join(dir)
                }
            }
            _ => self.root.join("target"),
        }
    }

    /// Where `cargo xtask lab` writes its report and charts, and where the book looks
    /// for them: `WOW_LAB_DIR`, or `lab/` in the target directory.
    pub fn lab_dir(&self) -> PathBuf {
        match std::env::var_os("WOW_LAB_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => self.target_dir().join("lab"),
        }
    }

    /// Scratch space of the tool, inside the target directory (never in `exercises/`).
    pub fn scratch_dir(&self) -> PathBuf {
        self.root.join("target").join("wait-or-work")
    }

    /// The exercises the selectors pick, in course order, without repeats. No selector
    /// means all of them. An unknown selector is an error naming the nearest choices.
    pub fn select(&self, selectors: &[String]) -> Result<Vec<Exercise>> {
        Ok(self.select_with_deleted(selectors)?.0)
    }

    /// The selected exercises, and the selected ones whose folder was deleted.
    pub fn select_with_deleted(
        &self,
        selectors: &[String],
    ) -> Result<(Vec<Exercise>, Vec<Exercise>)> {
        if selectors.is_empty() {
            return Ok((self.exercises.clone(), self.deleted.clone()));
        }
        // A folder is a selector too: `exercises/01_wait_or_work/02_four_jobs`, `.`,
        // or `../02_four_jobs` from inside another exercise.
        let selectors: Vec<String> = selectors.iter().map(|s| self.folder_selector(s)).collect();
        let selectors = selectors.as_slice();
        for selector in selectors {
            let known = self
                .exercises
                .iter()
                .chain(&self.deleted)
                .any(|e| matches(e, selector));
            if !known {
                crate::usage!("{}", self.unknown_selector(selector));
            }
        }
        let pick = |list: &[Exercise]| -> Vec<Exercise> {
            list.iter()
                .filter(|e| selectors.iter().any(|s| matches(e, s)))
                .cloned()
                .collect()
        };
        Ok((pick(&self.exercises), pick(&self.deleted)))
    }

    /// `selector` as `chapter_dir/exercise_dir` when it names a folder of the course's
    /// `exercises/` (or `solutions/`); unchanged otherwise.
    fn folder_selector(&self, selector: &str) -> String {
        let path = Path::new(selector);
        let Ok(full) = path.canonicalize() else {
            return selector.to_string();
        };
        for base in [self.exercises_dir(), self.solutions_dir()] {
            let base = base.canonicalize().unwrap_or(base);
            if let Ok(rel) = full.strip_prefix(&base) {
                let parts: Vec<String> = rel
                    .components()
                    .take(2)
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if !parts.is_empty() {
                    return parts.join("/");
                }
            }
        }
        selector.to_string()
    }

    fn unknown_selector(&self, selector: &str) -> String {
        // `01/03` when chapter 01 has two exercises: propose that chapter's exercises,
        // not chapter `03`.
        if let Some((chapter, _)) = selector.trim().split_once('/') {
            let in_chapter: Vec<String> = self
                .exercises
                .iter()
                .filter(|e| {
                    chapter.parse::<u32>().ok() == e.chapter.parse::<u32>().ok()
                        || chapter == e.chapter_dir
                })
                .map(|e| format!("`{}` ({})", e.id(), e.slug))
                .collect();
            if !in_chapter.is_empty() {
                return format!(
                    "no exercise matches `{selector}`; chapter {chapter} has {}",
                    in_chapter.join(", ")
                );
            }
        }
        let mut choices: Vec<String> = Vec::new();
        for e in &self.exercises {
            choices.push(e.id());
            choices.push(e.slug.clone());
            choices.push(e.package.clone());
            if !choices.contains(&e.chapter) {
                choices.push(e.chapter.clone());
            }
        }
        let nearest = suggest::nearest(selector, &choices, 3);
        let nearest = if nearest.is_empty() {
            let mut ids: Vec<String> = self.exercises.iter().map(|e| e.id()).collect();
            ids.truncate(3);
            ids
        } else {
            nearest
        };
        format!(
            "no exercise matches `{selector}`; nearest: {} (a chapter like `01`, an exercise like `01/02`, or its name)",
            nearest
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn matches(exercise: &Exercise, selector: &str) -> bool {
    let selector = selector.trim().trim_end_matches('/');
    let normalized = selector.replace('-', "_");
    let number_of = |s: &str| s.parse::<u32>().ok();
    if let Some((chapter, number)) = selector.split_once('/') {
        // `01/02`, `1/2`, or `01_wait_or_work/02_four_jobs`.
        let same = |given: &str, ours: &str, dir: &str| {
            given == dir || (number_of(given).is_some() && number_of(given) == number_of(ours))
        };
        let exercise_dir = format!("{}_{}", exercise.number, exercise.slug);
        return same(chapter, &exercise.chapter, &exercise.chapter_dir)
            && same(number, &exercise.number, &exercise_dir);
    }
    if number_of(selector).is_some() {
        return number_of(selector) == number_of(&exercise.chapter);
    }
    normalized == exercise.chapter_dir
        || normalized == exercise.slug
        || normalized == exercise.package
        || normalized == format!("{}_{}", exercise.number, exercise.slug)
}

/// The nearest folder at or above `dir` that is a course: it holds `exercises/`,
/// `xtask/` and a `Cargo.toml`.
fn enclosing_course(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            d.join("Cargo.toml").is_file()
                && d.join("exercises").is_dir()
                && d.join("xtask").is_dir()
        })
        .map(Path::to_path_buf)
}

/// Every `NN_chapter/MM_slug/` below `exercises` that holds `marker` (a
/// `Cargo.toml` in `exercises/`, a `src` in `solutions/`), in order.
pub fn discover(exercises: &Path, marker: &str) -> Result<Vec<Exercise>> {
    let mut found = Vec::new();
    for chapter in sorted_dirs(exercises).with_context(|| {
        format!(
            "cannot read {}: is this the course folder?",
            exercises.display()
        )
    })? {
        let Some((chapter_no, _)) = split_numbered(&chapter) else {
            continue;
        };
        for ex in sorted_dirs(&exercises.join(&chapter))? {
            let Some((number, slug)) = split_numbered(&ex) else {
                continue;
            };
            if !exercises.join(&chapter).join(&ex).join(marker).exists() {
                continue;
            }
            found.push(Exercise {
                chapter: chapter_no.to_string(),
                chapter_dir: chapter.clone(),
                number: number.to_string(),
                slug: slug.to_string(),
                rel: Path::new(&chapter).join(&ex),
                package: Exercise::package_for(chapter_no, number, slug),
                manifest: None,
            });
        }
    }
    Ok(found)
}

/// `02_four_jobs` -> (`02`, `four_jobs`).
fn split_numbered(name: &str) -> Option<(&str, &str)> {
    let (number, rest) = name.split_once('_')?;
    (number.len() == 2 && number.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty())
        .then_some((number, rest))
}

fn sorted_dirs(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(chapter_dir: &str, dir: &str) -> Exercise {
        let (chapter, _) = split_numbered(chapter_dir).unwrap();
        let (number, slug) = split_numbered(dir).unwrap();
        Exercise {
            chapter: chapter.into(),
            chapter_dir: chapter_dir.into(),
            number: number.into(),
            slug: slug.into(),
            rel: Path::new(chapter_dir).join(dir),
            package: Exercise::package_for(chapter, number, slug),
            manifest: None,
        }
    }

    #[test]
    fn selectors_pick_chapters_and_exercises() {
        let e = ex("01_wait_or_work", "02_four_jobs");
        for yes in [
            "01",
            "1",
            "01/02",
            "1/2",
            "01/02/",
            "four_jobs",
            "four-jobs",
            "02_four_jobs",
            "ex01_02_four_jobs",
            "01_wait_or_work",
            "01_wait_or_work/02_four_jobs",
        ] {
            assert!(matches(&e, yes), "{yes} should match");
        }
        for no in ["02", "01/01", "four", "ex01_01_four_jobs", "2/2", "x/y"] {
            assert!(!matches(&e, no), "{no} should not match");
        }
    }

    #[test]
    fn the_naming_rule() {
        assert_eq!(
            ex("03_waiting", "01_fetch_all").package,
            "ex03_01_fetch_all"
        );
        assert_eq!(split_numbered("1_x"), None);
        assert_eq!(split_numbered("ab_x"), None);
        assert_eq!(split_numbered("07_"), None);
    }
}
