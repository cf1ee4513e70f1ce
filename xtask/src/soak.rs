//! `cargo xtask soak --runs N`: grades the solutions N times in a row while a CPU hog
//! keeps one core busy the whole time, and reports every failure. The timing tests
//! promise to hold on a busy machine; this is how that promise is checked.

use crate::check::grade_solutions;
use crate::course::Course;
use crate::runner::RunOptions;
use anyhow::Result;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// How many times to grade the solutions.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Only these exercises (same selectors as `check`).
    pub selectors: Vec<String>,
    /// Run without the CPU hog (to compare).
    #[arg(long)]
    pub no_hog: bool,
}

pub fn run(args: SoakArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(&args.selectors)?;
    let stop = Arc::new(AtomicBool::new(false));
    let hog = (!args.no_hog).then(|| {
        let stop = Arc::clone(&stop);
        // A busy loop on one thread: the OS keeps about one core busy with it.
        std::thread::spawn(move || {
            let mut x = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..100_000 {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
        })
    });
    let options = RunOptions {
        timeout: None,
        verbose: false,
        env: Vec::new(),
    };
    let mut failures: Vec<String> = Vec::new();
    let mut not_checked = 0;
    for run in 1..=args.runs.max(1) {
        let graded = grade_solutions(&course, &selected, &options)?;
        let failed: Vec<_> = graded
            .iter()
            .filter(|g| !g.status.is_pass_or_not_checked())
            .collect();
        let skipped = graded
            .iter()
            .filter(|g| !g.status.is_pass() && g.status.is_pass_or_not_checked())
            .count();
        not_checked += skipped;
        println!(
            "run {run}/{}: {} passed, {} failed, {skipped} not checked",
            args.runs,
            graded.len() - failed.len() - skipped,
            failed.len()
        );
        for g in failed {
            let line = format!(
                "run {run}: {} {} {}: {}",
                g.exercise.id(),
                g.exercise.slug,
                g.status.label(),
                g.status.message()
            );
            println!("  {line}");
            failures.push(line);
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(hog) = hog {
        let _ = hog.join();
    }
    println!(
        "soak: {} runs of {} exercises{}: {} failures, {not_checked} not checked",
        args.runs,
        selected.len(),
        if args.no_hog {
            ""
        } else {
            " with one core kept busy"
        },
        failures.len()
    );
    Ok(if failures.is_empty() { 0 } else { 1 })
}
