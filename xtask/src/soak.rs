//! `cargo xtask soak`: grades the reference solutions again and again while another
//! process loads the machine in a chosen pattern, and reports every failure. A correct
//! answer must never fail: under load its timing checks may only say "not checked".
//!
//! A constant hog is the easy case (the spare capacity drops and every speedup check
//! says "not checked"). The hard cases are neighbours that come and go, as
//! rust-analyzer, a browser tab or a build in another terminal do; so the patterns
//! include on/off cycles of several periods and duty cycles, and a many-threaded one.

use crate::course::Course;
use crate::grading::grade_solutions;
use crate::runner::RunOptions;
use anyhow::{Context, Result};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// How many times to grade the solutions under each pattern.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Load patterns to run (comma-separated): quiet, constant, onoff-70-50,
    /// onoff-300-300, onoff-200-600, onoff-800-400, threads-8-300-300, or `all`.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    pub patterns: Vec<String>,
    /// Only these exercises (same selectors as `check`).
    pub selectors: Vec<String>,
}

/// A neighbour process: `threads` threads, each busy for `busy` then idle for `idle`
/// (all in step, like a build that starts and stops). `idle == 0` is a constant hog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub threads: usize,
    pub busy_ms: u64,
    pub idle_ms: u64,
}

/// The named patterns, in the order `all` runs them.
pub const PATTERNS: [(&str, Option<Pattern>); 7] = [
    ("quiet", None),
    ("constant", Some(pattern(1, 1000, 0))),
    ("onoff-70-50", Some(pattern(1, 70, 50))),
    ("onoff-300-300", Some(pattern(1, 300, 300))),
    ("onoff-200-600", Some(pattern(1, 200, 600))),
    ("onoff-800-400", Some(pattern(1, 800, 400))),
    ("threads-8-300-300", Some(pattern(8, 300, 300))),
];

const fn pattern(threads: usize, busy_ms: u64, idle_ms: u64) -> Pattern {
    Pattern {
        threads,
        busy_ms,
        idle_ms,
    }
}

/// The hidden `hog` command: what the neighbour process runs until it is killed.
#[derive(clap::Args, Debug)]
pub struct HogArgs {
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    #[arg(long)]
    pub busy_ms: u64,
    #[arg(long, default_value_t = 0)]
    pub idle_ms: u64,
}

pub fn hog(args: HogArgs) -> Result<i32> {
    let busy = Duration::from_millis(args.busy_ms.max(1));
    let idle = Duration::from_millis(args.idle_ms);
    let workers: Vec<_> = (0..args.threads.max(1))
        .map(|_| {
            std::thread::spawn(move || {
                let mut x = 0u64;
                loop {
                    let start = Instant::now();
                    while start.elapsed() < busy {
                        for _ in 0..10_000 {
                            x = std::hint::black_box(
                                x.wrapping_mul(6364136223846793005).wrapping_add(1),
                            );
                        }
                    }
                    if !idle.is_zero() {
                        std::thread::sleep(idle);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(0)
}

/// The neighbour process, killed when dropped.
struct Neighbour(Child);

impl Neighbour {
    fn start(p: Pattern) -> Result<Self> {
        let exe = std::env::current_exe().context("cannot find the xtask binary")?;
        let child = Command::new(exe)
            .args(["hog", "--threads", &p.threads.to_string()])
            .args(["--busy-ms", &p.busy_ms.to_string()])
            .args(["--idle-ms", &p.idle_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start the neighbour process")?;
        Ok(Self(child))
    }
}

impl Drop for Neighbour {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What one pattern gave over all its runs.
#[derive(Default)]
struct Tally {
    runs: usize,
    failures: Vec<String>,
    /// Exercises whose status was "not checked".
    exercises_not_checked: usize,
    /// Individual checks (timing and structural) that reported "not checked".
    checks_not_checked: usize,
    checks: usize,
    seconds: f64,
}

pub fn run(args: SoakArgs) -> Result<i32> {
    let course = Course::load()?;
    let selected = course.select(&args.selectors)?;
    let mut chosen: Vec<(&str, Option<Pattern>)> = Vec::new();
    for name in &args.patterns {
        if name == "all" {
            chosen.extend(PATTERNS);
        } else if let Some(p) = PATTERNS.iter().find(|(n, _)| n == name) {
            chosen.push(*p);
        } else {
            let names: Vec<_> = PATTERNS.iter().map(|(n, _)| *n).collect();
            crate::usage!(
                "soak: no load pattern named `{name}`: use one of {} or all",
                names.join(", ")
            );
        }
    }
    let options = RunOptions {
        timeout: None,
        verbose: false,
        env: Vec::new(),
        timeline: false,
    };
    let runs = args.runs.max(1);
    let mut tallies: Vec<(&str, Tally)> = Vec::new();
    for (name, p) in chosen {
        let _neighbour = p.map(Neighbour::start).transpose()?;
        let mut tally = Tally::default();
        let started = Instant::now();
        for run in 1..=runs {
            let graded = grade_solutions(&course, &selected, &options)?;
            let failed: Vec<_> = graded
                .iter()
                .filter(|g| !g.status.is_pass_or_not_checked())
                .collect();
            let skipped = graded
                .iter()
                .filter(|g| !g.status.is_pass() && g.status.is_pass_or_not_checked())
                .count();
            let reports = graded.iter().flat_map(|g| &g.reports);
            tally.checks += reports.clone().count();
            tally.checks_not_checked += reports
                .filter(|r| r.outcome == crate::runner::Outcome::NotChecked)
                .count();
            tally.exercises_not_checked += skipped;
            tally.runs += 1;
            println!(
                "{name} run {run}/{runs}: {} passed, {} failed, {skipped} not checked",
                graded.len() - failed.len() - skipped,
                failed.len()
            );
            for g in failed {
                let line = format!(
                    "{name} run {run}: {} {} {}: {}",
                    g.exercise.id(),
                    g.exercise.slug,
                    g.status.label(),
                    g.status.message()
                );
                println!("  {line}");
                tally.failures.push(line);
            }
        }
        tally.seconds = started.elapsed().as_secs_f64();
        // Each pattern's tally as soon as it is known: a long soak cut short still
        // reports every pattern it finished.
        println!(
            "{name}: {} runs, {} failures, {}/{} exercises and {}/{} checks not checked, {:.1} min",
            tally.runs,
            tally.failures.len(),
            tally.exercises_not_checked,
            tally.runs * selected.len(),
            tally.checks_not_checked,
            tally.checks,
            tally.seconds / 60.0
        );
        tallies.push((name, tally));
    }
    println!(
        "\nsoak: {} exercises, {runs} runs per pattern\n{:<20} {:>5} {:>9} {:>22} {:>20} {:>8}",
        selected.len(),
        "pattern",
        "runs",
        "failures",
        "exercises not checked",
        "checks not checked",
        "minutes"
    );
    let mut failures = 0;
    for (name, t) in &tallies {
        failures += t.failures.len();
        println!(
            "{name:<20} {:>5} {:>9} {:>22} {:>20} {:>8.1}",
            t.runs,
            t.failures.len(),
            format!("{}/{}", t.exercises_not_checked, t.runs * selected.len()),
            format!("{}/{}", t.checks_not_checked, t.checks),
            t.seconds / 60.0
        );
    }
    for (_, t) in &tallies {
        for line in &t.failures {
            println!("FAILED {line}");
        }
    }
    println!("soak: {failures} failure(s) of correct solutions");
    Ok(if failures == 0 { 0 } else { 1 })
}
