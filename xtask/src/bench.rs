//! `cargo xtask bench`: the speedups the reference solutions reach on this machine,
//! against the course's performance bar (0.9 x cores on a quiet machine).
//!
//! It grades the solutions `--runs` times and collects every speedup their tests
//! measured, with the machine's spare capacity of the same try; the table (or, with
//! `--json`, one JSON document) shows the median and the best of each, so that a
//! maintainer can tell a slow solution from a busy machine.

use crate::course::Course;
use crate::grading::grade_solutions;
use crate::runner::RunOptions;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Only these exercises (same selectors as `check`).
    pub selectors: Vec<String>,
    /// How many times to grade the solutions.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Print one JSON document (schema `wait-or-work/bench/v1`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The course's bar for a parallel solution on a quiet machine: a fraction of the
/// cores the work could use (`min(cores, pieces)`, which is `cores` for every
/// solution in the course).
pub const BAR_PER_CORE: f64 = 0.9;

/// Only speedups are benched: a check whose needed ratio is a count or a fixed ratio
/// that does not grow with the cores (padded vs side by side, workers vs threads) is
/// not a speedup of a parallel solution over its sequential twin.
fn is_speedup(detail: &str) -> bool {
    detail.starts_with("speedup ")
}

/// (exercise, check) -> every (speedup, spare capacity) measured for it.
type Figures = BTreeMap<(String, String), Vec<(f64, Option<f64>)>>;

#[derive(Serialize, Debug)]
pub struct BenchReport {
    pub schema: &'static str,
    pub cores: usize,
    pub runs: usize,
    pub bar: f64,
    pub checks: Vec<BenchCheck>,
    pub below_bar: usize,
}

#[derive(Serialize, Debug)]
pub struct BenchCheck {
    pub exercise: String,
    pub check: String,
    /// Every speedup measured, in run order.
    pub speedups: Vec<f64>,
    /// The spare capacity of the try that gave each speedup.
    pub capacities: Vec<Option<f64>>,
    pub median: f64,
    pub best: f64,
    /// Median of the capacities: a figure well below the cores means a busy machine.
    pub median_capacity: Option<f64>,
    pub reached: bool,
}

pub fn run(args: BenchArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(&args.selectors)?;
    let options = RunOptions {
        timeout: None,
        verbose: false,
        // Every judged try, not just up to the first pass: the best the code reaches.
        env: vec![("WOW_BENCH".into(), "1".into())],
        timeline: false,
    };
    let mut figures: Figures = BTreeMap::new();
    let runs = args.runs.max(1);
    for run in 1..=runs {
        eprintln!("bench: run {run}/{runs}");
        for g in grade_solutions(&course, &selected, &options)? {
            for r in &g.reports {
                let Some(speedup) = r.measured.filter(|_| is_speedup(&r.detail)) else {
                    continue;
                };
                figures
                    .entry((
                        format!("{} {}", g.exercise.id(), g.exercise.slug),
                        r.check.clone(),
                    ))
                    .or_default()
                    .push((speedup, r.capacity));
            }
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bar = BAR_PER_CORE * cores as f64;
    let checks: Vec<BenchCheck> = figures
        .into_iter()
        .map(|((exercise, check), values)| {
            let speedups: Vec<f64> = values.iter().map(|v| v.0).collect();
            let capacities: Vec<Option<f64>> = values.iter().map(|v| v.1).collect();
            let median = median(speedups.clone());
            let best = speedups.iter().copied().fold(0.0, f64::max);
            let known: Vec<f64> = capacities.iter().flatten().copied().collect();
            BenchCheck {
                exercise,
                check,
                median,
                best,
                median_capacity: (!known.is_empty()).then(|| self::median(known)),
                reached: median >= bar,
                speedups,
                capacities,
            }
        })
        .collect();
    let below_bar = checks.iter().filter(|c| !c.reached).count();
    let report = BenchReport {
        schema: "wait-or-work/bench/v1",
        cores,
        runs,
        bar,
        below_bar,
        checks,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn print_table(report: &BenchReport) {
    println!(
        "speedups of the reference solutions on {} cores (bar: median {:.2}x, {BAR_PER_CORE} x \
         cores, on a quiet machine)",
        report.cores, report.bar
    );
    println!(
        "{:<28} {:<44} {:>8} {:>8} {:>10}  bar",
        "exercise", "check", "median", "best", "capacity"
    );
    for c in &report.checks {
        println!(
            "{:<28} {:<44} {:>7.2}x {:>7.2}x {:>10}  {}",
            c.exercise,
            c.check,
            c.median,
            c.best,
            c.median_capacity
                .map_or("-".to_string(), |c| format!("{c:.2}x")),
            if c.reached { "reached" } else { "BELOW" }
        );
    }
    println!(
        "bench: {} check(s) below the bar (a busy machine lowers every figure: compare with \
         the capacity column)",
        report.below_bar
    );
}
