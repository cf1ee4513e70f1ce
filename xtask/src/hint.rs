//! `cargo xtask hint NN/MM`: the exercise's hints, one more per call: a nudge first,
//! then the API to reach for, then the shape of the answer (the ladder in the
//! exercise's manifest). How far a learner has climbed is kept under `target/`, and
//! `--reset` starts the ladder again.

use crate::course::Course;
use anyhow::Result;
use std::collections::BTreeMap;

#[derive(clap::Args, Debug)]
pub struct HintArgs {
    /// The exercise (`01/02`, its name or its folder; the one you are in by default).
    pub exercise: Option<String>,
    /// Start this exercise's hints from the first one again.
    #[arg(long)]
    pub reset: bool,
}

pub fn run(args: HintArgs) -> Result<i32> {
    let course = Course::load()?;
    let selectors = match &args.exercise {
        Some(e) => vec![e.clone()],
        None => course.default_selectors(),
    };
    let selected = course.select(&selectors)?;
    let [exercise] = selected.as_slice() else {
        crate::usage!("hint: name one exercise, like `cargo xtask hint 01/02`");
    };
    let Some(manifest) = exercise.manifest.as_ref() else {
        crate::usage!("hint: {} has no manifest", exercise.id());
    };
    let path = course.scratch_dir().join("hints-shown.json");
    let mut shown: BTreeMap<String, usize> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let id = exercise.id();
    if args.reset {
        shown.remove(&id);
    }
    let total = manifest.hints.len();
    let next = (shown.get(&id).copied().unwrap_or(0) + 1).min(total);
    for (i, hint) in manifest.hints.iter().enumerate().take(next) {
        println!(
            "hint {} of {total} for {id} {}: {hint}",
            i + 1,
            exercise.slug
        );
    }
    if next < total {
        println!("(run `cargo xtask hint {id}` again for the next one)");
    } else {
        println!(
            "that is every hint; the section to read: {}",
            manifest.book_section()
        );
    }
    shown.insert(id, next);
    std::fs::create_dir_all(course.scratch_dir())?;
    std::fs::write(&path, serde_json::to_string_pretty(&shown)?)?;
    Ok(0)
}
