//! `cargo xtask bench`: the speedups the reference solutions reach on this machine,
//! against the course's performance bar (0.8 x cores on a quiet machine).
//!
//! It grades the solutions `--runs` times and collects every speedup their tests
//! measured, with the machine's spare capacity of the same try; the table shows the
//! median and the best of each, so that a maintainer can tell a slow solution from a
//! busy machine.

use crate::check::grade_solutions;
use crate::course::Course;
use crate::runner::RunOptions;
use anyhow::Result;
use std::collections::BTreeMap;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Only these exercises (same selectors as `check`).
    pub selectors: Vec<String>,
    /// How many times to grade the solutions.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

/// (exercise, check) -> every (speedup, spare capacity) measured for it.
type Figures = BTreeMap<(String, String), Vec<(f64, Option<f64>)>>;

/// The course's bar for a parallel solution on a quiet machine.
pub const BAR_PER_CORE: f64 = 0.8;

pub fn run(args: BenchArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(&args.selectors)?;
    let options = RunOptions {
        timeout: None,
        verbose: false,
        env: Vec::new(),
    };
    let mut figures: Figures = BTreeMap::new();
    for run in 1..=args.runs.max(1) {
        eprintln!("bench: run {run}/{}", args.runs);
        for g in grade_solutions(&course, &selected, &options)? {
            for r in &g.reports {
                if !r.detail.starts_with("speedup ") {
                    continue;
                }
                let Some(speedup) = r.measured else { continue };
                let capacity = r
                    .detail
                    .split("spare capacity ")
                    .nth(1)
                    .and_then(|t| t.trim_end_matches(')').trim_end_matches('x').parse().ok());
                figures
                    .entry((
                        format!("{} {}", g.exercise.id(), g.exercise.slug),
                        r.check.clone(),
                    ))
                    .or_default()
                    .push((speedup, capacity));
            }
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bar = BAR_PER_CORE * cores as f64;
    println!(
        "speedups of the reference solutions on {cores} cores (bar: {bar:.2}x on a quiet machine)"
    );
    println!(
        "{:<28} {:<44} {:>8} {:>8} {:>10}  bar",
        "exercise", "check", "median", "best", "capacity"
    );
    let mut below = 0;
    for ((exercise, check), mut values) in figures {
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        let median = values[values.len() / 2].0;
        let (best, best_capacity) = *values.last().expect("one value at least");
        let reached = best >= bar;
        if !reached {
            below += 1;
        }
        println!(
            "{exercise:<28} {check:<44} {median:>7.2}x {best:>7.2}x {:>10}  {}",
            best_capacity.map_or("-".to_string(), |c| format!("{c:.2}x")),
            if reached { "reached" } else { "BELOW" }
        );
    }
    println!(
        "bench: {below} check(s) below the bar (a busy machine lowers every figure: compare with the capacity column)"
    );
    Ok(0)
}
