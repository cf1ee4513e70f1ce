//! `cargo xtask lab`: measures the reader's machine and shows it as a table, JSON and
//! SVG charts that the book's "Your machine" page picks up.
//!
//! Every figure is a ratio or a time from this one run; with `--runs N` each
//! measurement is repeated and the median kept, with the spread (min..max) shown.

mod charts;
mod python;
mod workloads;

use crate::course::Course;
use crate::grade::Machine;
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// A short run (a few seconds): smaller workloads, one repetition.
    #[arg(long)]
    pub quick: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Repetitions of each measurement (the median is kept) [default: 3, 1 with --quick].
    #[arg(long)]
    pub runs: Option<usize>,
    /// Where to write report.json, figures.md and the charts [default: target/lab].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The Python interpreter to measure, e.g. a free-threaded `python3.14t`.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

/// A repeated measurement in milliseconds: the median and the spread.
#[derive(Clone, Debug, Serialize)]
pub struct Stat {
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

impl Stat {
    pub fn of(mut samples: Vec<Duration>) -> Stat {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Stat {
            median_ms: ms(samples[samples.len() / 2]),
            min_ms: ms(samples[0]),
            max_ms: ms(*samples.last().expect("at least one sample")),
        }
    }

    fn show(&self) -> String {
        if (self.max_ms - self.min_ms) < 0.05 * self.median_ms.max(1e-9) {
            format!("{:.0} ms", self.median_ms)
        } else {
            format!(
                "{:.0} ms ({:.0}..{:.0})",
                self.median_ms, self.min_ms, self.max_ms
            )
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LabReport {
    pub schema: &'static str,
    pub machine: Machine,
    pub quick: bool,
    pub runs: usize,
    pub cpu: workloads::CpuReport,
    pub waits: workloads::WaitReport,
    pub memory: workloads::MemoryReport,
    pub python: python::PythonReport,
}

/// `xtask lab-memory`: the memory probe, alone in a fresh process (JSON on stdout).
pub fn memory_probe(quick: bool) -> Result<i32> {
    println!(
        "{}",
        serde_json::to_string(&workloads::measure_memory(quick))?
    );
    Ok(0)
}

pub fn run(args: LabArgs) -> Result<i32> {
    let course = Course::load()?;
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let out = args.out.clone().unwrap_or_else(|| course.lab_dir());
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    // Calibration, sequential, std threads, a step per rayon pool, waits, memory, Python.
    let mut progress = workloads::Progress::new(6 + workloads::pool_sizes(args.quick));

    let cpu = workloads::cpu(args.quick, runs, &mut progress);
    let waits = workloads::waits(runs, &mut progress);
    let memory = workloads::memory(args.quick, &mut progress);
    progress.step("Python threads and processes");
    let python = python::measure(args.quick, runs, &args.python);
    progress.done();

    let report = LabReport {
        schema: "wait-or-work/lab/v1",
        machine: Machine::this(),
        quick: args.quick,
        runs,
        cpu,
        waits,
        memory,
        python,
    };
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out.join("figures.md"), figures_markdown(&report))?;
    charts::speedup(&report, &out.join("speedup.svg"))?;
    charts::waits(&report, &out.join("waits.svg"))?;
    charts::timeline(&report, &out.join("timeline.svg"))?;

    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(stdout, "{}", figures_text(&report))?;
        writeln!(
            stdout,
            "\nwrote report.json, figures.md, speedup.svg, waits.svg, timeline.svg to {}",
            out.display()
        )?;
        writeln!(
            stdout,
            "`cargo xtask book build` now shows them on the book's \"Your machine\" page"
        )?;
    }
    Ok(0)
}

/// The report as Markdown tables, for the book's "Your machine" page.
pub fn figures_markdown(r: &LabReport) -> String {
    let mut s = String::new();
    let m = &r.machine;
    s += &format!(
        "Measured on **{} cores**, {} {}{} ({} run{} per figure{}).\n\n",
        m.cores,
        m.os,
        m.arch,
        m.cpu_model
            .as_ref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default(),
        r.runs,
        if r.runs == 1 { "" } else { "s, median shown" },
        if r.quick { ", quick mode" } else { "" }
    );
    let c = &r.cpu;
    s += &format!(
        "**Computing**: {} pieces of {:.0} ms of CPU work after a serial part of {} pieces \
         (serial fraction {:.0}%).\n\n",
        c.parallel_units,
        c.unit_ms,
        c.serial_units,
        c.serial_fraction * 100.0
    );
    s += "| variant | time | speedup | Amdahl's limit |\n|---|---|---|---|\n";
    s += &format!("| sequential | {} | 1.00x | |\n", c.sequential.show());
    s += &format!(
        "| std threads ({} threads) | {} | {:.2}x | {:.2}x |\n",
        c.std_threads_count,
        c.std_threads.show(),
        c.std_threads_speedup,
        workloads::amdahl(c.serial_fraction, c.std_threads_count)
    );
    for p in &c.rayon {
        s += &format!(
            "| rayon, {} thread{} | {} | {:.2}x | {:.2}x |\n",
            p.threads,
            if p.threads == 1 { "" } else { "s" },
            p.time.show(),
            p.speedup,
            p.amdahl
        );
    }
    let w = &r.waits;
    s += &format!(
        "\n**Waiting**: each job waits {} ms; the tasks run on {} runtime (one thread for \
         all of them).\n\n\
         | jobs | one after another | one thread each | one tokio task each | tasks over one wait |\n\
         |---|---|---|---|---|\n",
        w.wait_ms,
        if w.runtime.contains("current-thread") {
            "tokio's current-thread"
        } else {
            "a tokio"
        }
    );
    for row in &w.rows {
        let opt = |o: &Option<Stat>, why: &str| {
            o.as_ref()
                .map(Stat::show)
                .unwrap_or_else(|| why.to_string())
        };
        s += &format!(
            "| {} | {} | {} | {} | {:.2}x |\n",
            row.jobs,
            opt(&row.sequential, "(skipped: too long)"),
            row.threads
                .as_ref()
                .map(Stat::show)
                .unwrap_or_else(|| row.threads_error.clone().unwrap_or_default()),
            row.tasks.show(),
            row.tasks_per_wait
        );
    }
    let not_all: Vec<String> = w
        .rows
        .iter()
        .filter(|row| row.tasks_most_waiting < row.jobs)
        .map(|row| format!("{} of {}", row.tasks_most_waiting, row.jobs))
        .collect();
    if not_all.is_empty() {
        s += "\nIn every run, all the tasks were waiting at the same time.\n";
    } else {
        s += &format!(
            "\nNot all the tasks were waiting at the same time: at most {} \
             (starting them took longer than a wait).\n",
            not_all.join(", ")
        );
    }
    let mem = &r.memory;
    s += "\n**Memory** (resident, measured while all are waiting):\n\n| what | how many | per item |\n|---|---|---|\n";
    match (&mem.per_thread_bytes, &mem.per_task_bytes) {
        (Some(t), Some(k)) => {
            s += &format!("| OS threads | {} | {} |\n", mem.threads, human_bytes(*t));
            s += &format!("| tokio tasks | {} | {} |\n", mem.tasks, human_bytes(*k));
        }
        _ => s += &format!("| (not measured here: {}) | | |\n", mem.note),
    }
    s += &python_markdown(&r.python);
    s
}

/// The Python part of the figures: which interpreter and build, the table, and a
/// note when a speedup exceeds what the cores allow.
fn python_markdown(p: &python::PythonReport) -> String {
    let mut s = String::from("\n**Python** (the notes' world), the same kind of CPU work");
    let f = match p {
        python::PythonReport::NotChecked { reason } => {
            return s + &format!(": not checked, {reason}.\n");
        }
        python::PythonReport::Measured(f) => f,
    };
    let build = match (f.free_threaded_build, f.gil_enabled) {
        (false, _) => "the default build, **with the GIL**",
        (true, false) => {
            "a **free-threaded build, with the GIL disabled** while it ran: its threads \
             can compute in parallel"
        }
        (true, true) => {
            "a free-threaded build, but **the GIL was enabled** while it ran \
             (`PYTHON_GIL=1`, or an extension module that needs it)"
        }
    };
    s += &format!(
        ", measured with `{}`: {} {}, {build}.\n\n\
         {} jobs of about {:.0} ms each. Every variant is one `map` call on a pool whose \
         workers were started and warmed up beforehand; the baseline runs the jobs one \
         after another in one worker process, so it pays what the processes pay except \
         the parallelism. {} runs, the variants taking turns; the speedup is the median \
         of the per-run ratios; processes started by `{}`.\n\n",
        f.interpreter, f.implementation, f.version, f.jobs, f.job_ms, f.runs, f.start_method
    );
    let jobs = f.jobs;
    s += "| variant | time | speedup |\n|---|---|---|\n";
    s += &format!(
        "| {jobs} jobs one after another (one worker process) | {} | 1.00x |\n",
        f.sequential.show()
    );
    s += &format!(
        "| {jobs} Python threads | {} | {:.2}x |\n",
        f.threads.show(),
        f.threads_speedup
    );
    s += &format!(
        "| {jobs} Python processes | {} | {:.2}x |\n",
        f.processes.show(),
        f.processes_speedup
    );
    if f.gil_enabled && f.threads_speedup > 1.05 {
        s += &format!(
            "\n**Threads above 1x with the GIL.** With the GIL on, one thread computes at a \
             time, so {:.2}x is not parallel computing. Taking turns, the threads move \
             between cores, and on some machines that runs a little faster than one thread \
             staying on one core (on the 2-vCPU machine this course is developed on, by up \
             to about 10%, and not at all when the process is pinned to one core with \
             `taskset -c 0`).\n",
            f.threads_speedup
        );
    }
    let limit = jobs.min(f.cores);
    let best = f.threads_speedup.max(f.processes_speedup);
    if best > limit as f64 {
        s += &format!(
            "\n**Above the limit.** {best:.2}x is more than {jobs} jobs on {} cores can \
             gain ({limit}x). Both sides ran the same jobs the same way, so the set-up is \
             not the cause; what remains is the machine: load from other programs that \
             changed between runs (see the spread of the times), or the hardware (each busy \
             core brings its own caches, and a core's clock speed changes with how many \
             cores are busy). Run the lab again on a quiet machine.\n",
            f.cores
        );
    }
    s
}

fn figures_text(r: &LabReport) -> String {
    // The Markdown tables read well on a terminal too.
    figures_markdown(r).replace("**", "")
}

fn human_bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}
