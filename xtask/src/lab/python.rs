//! The notes' world, measured: the same kind of CPU work in Python, one job after
//! another, on threads (one at a time under the GIL) and on processes.
//!
//! Every variant is timed the same way: one call of a pool's `map` over the same jobs,
//! with the pool's workers started and warmed up beforehand. The baseline is a pool of
//! one worker *process*, so that it pays exactly what the processes pay (pickling,
//! a queue, a worker's interpreter) except the parallelism. The variants take turns
//! within each run, and each speedup is the median of the per-run ratios, so a burst
//! of load from another program hits both sides of a ratio alike.

use super::Stat;
use serde::Serialize;
use std::process::Command;
use std::time::Duration;

const SCRIPT: &str = r#"
import json, multiprocessing, sys, sysconfig, time
from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor

def work(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) % 1000003
    return x

def gil_enabled():
    # Python 3.13+ can tell; older interpreters always have the GIL.
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())

def timed(pool, jobs, n):
    start = time.perf_counter()
    list(pool.map(work, [n] * jobs))
    return time.perf_counter() - start

if __name__ == "__main__":
    jobs, job_seconds, runs = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    gil_at_start = gil_enabled()
    # Size one job by time on this machine.
    n = 10_000
    while True:
        start = time.perf_counter()
        work(n)
        took = time.perf_counter() - start
        if took > 0.02:
            break
        n *= 2
    n = max(1, int(n * job_seconds / took))
    with ProcessPoolExecutor(1) as one, ThreadPoolExecutor(jobs) as threads, \
            ProcessPoolExecutor(jobs) as processes:
        pools = {"sequential": one, "threads": threads, "processes": processes}
        # Warm-up, untimed: every worker started, every variant run once.
        for pool in pools.values():
            timed(pool, jobs, n)
        times = {name: [] for name in pools}
        order = list(pools)
        for run in range(runs):
            # Take turns, starting with a different variant each run.
            for name in order[run % 3:] + order[:run % 3]:
                times[name].append(timed(pools[name], jobs, n))
    print(json.dumps({
        "implementation": sys.implementation.name,
        "version": sys.version.split()[0],
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": gil_at_start or gil_enabled(),
        "start_method": multiprocessing.get_start_method(),
        "n": n,
        **times,
    }))
"#;

/// What the Python probe measured.
#[derive(Debug, Serialize)]
pub struct PythonFigures {
    /// The interpreter as it was called (`python3`, or `--python`).
    pub interpreter: String,
    /// `CPython`, `PyPy`, ...
    pub implementation: String,
    pub version: String,
    /// Built without the GIL (`Py_GIL_DISABLED`: 3.13t, 3.14t, ...).
    pub free_threaded_build: bool,
    /// Whether the GIL was enabled while the lab measured (a free-threaded build
    /// turns it back on for an extension that needs it, or with `PYTHON_GIL=1`).
    pub gil_enabled: bool,
    /// How the worker processes were started (`fork`, `forkserver`, `spawn`).
    pub start_method: String,
    pub jobs: usize,
    /// Runs of each variant (the variants take turns within a run).
    pub runs: usize,
    /// The cores the processes could use (the most a speedup can reach).
    pub cores: usize,
    /// The loop count of one job, sized by time on this machine.
    pub loop_count: u64,
    /// One job's time: the sequential median over the number of jobs.
    pub job_ms: f64,
    pub sequential: Stat,
    pub threads: Stat,
    pub processes: Stat,
    /// Median over the runs of sequential / threads, both timed in the same run.
    pub threads_speedup: f64,
    /// Median over the runs of sequential / processes, both timed in the same run.
    pub processes_speedup: f64,
}

#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PythonReport {
    Measured(Box<PythonFigures>),
    NotChecked { reason: String },
}

/// The median of the ratios `a[i] / b[i]`.
fn paired_speedup(a: &[f64], b: &[f64]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(_, b)| **b > 0.0)
        .map(|(a, b)| a / b)
        .collect();
    if ratios.is_empty() {
        return f64::NAN;
    }
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

pub fn measure(quick: bool, runs: usize, python: &str) -> PythonReport {
    let not_checked = |reason: String| PythonReport::NotChecked { reason };
    match Command::new(python).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => return not_checked(format!("{python} not found")),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = cores.clamp(2, 4);
    // One job of about 100 ms (25 ms quick); at least 5 runs (3 quick): each run
    // times all three variants.
    let (job_seconds, runs) = if quick {
        (0.025, runs.max(3))
    } else {
        (0.1, runs.max(5))
    };
    let script = std::env::temp_dir().join(format!("wait-or-work-gil-{}.py", std::process::id()));
    if let Err(e) = std::fs::write(&script, SCRIPT) {
        return not_checked(format!("cannot write the Python script: {e}"));
    }
    let output = Command::new(python)
        .arg(&script)
        .args([jobs.to_string(), job_seconds.to_string(), runs.to_string()])
        .output();
    let _ = std::fs::remove_file(&script);
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().last().unwrap_or("no message");
            return not_checked(format!("the Python script failed: {last}"));
        }
        Err(e) => return not_checked(format!("cannot run {python}: {e}")),
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&output.stdout) else {
        return not_checked("the Python script printed no JSON".to_string());
    };
    let seconds = |key: &str| -> Vec<f64> {
        v[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_f64())
            .collect()
    };
    let (sequential, threads, processes) = (
        seconds("sequential"),
        seconds("threads"),
        seconds("processes"),
    );
    if sequential.is_empty() || threads.is_empty() || processes.is_empty() {
        return not_checked("the Python script measured nothing".to_string());
    }
    let stat = |s: &[f64]| Stat::of(s.iter().map(|&s| Duration::from_secs_f64(s)).collect());
    let implementation = match v["implementation"].as_str().unwrap_or("?") {
        "cpython" => "CPython".to_string(),
        "pypy" => "PyPy".to_string(),
        other => other.to_string(),
    };
    PythonReport::Measured(Box::new(PythonFigures {
        interpreter: python.to_string(),
        implementation,
        version: v["version"].as_str().unwrap_or("?").to_string(),
        free_threaded_build: v["free_threaded_build"].as_bool().unwrap_or(false),
        gil_enabled: v["gil_enabled"].as_bool().unwrap_or(true),
        start_method: v["start_method"].as_str().unwrap_or("?").to_string(),
        jobs,
        runs,
        cores,
        loop_count: v["n"].as_u64().unwrap_or(0),
        threads_speedup: paired_speedup(&sequential, &threads),
        processes_speedup: paired_speedup(&sequential, &processes),
        job_ms: stat(&sequential).median_ms / jobs as f64,
        sequential: stat(&sequential),
        threads: stat(&threads),
        processes: stat(&processes),
    }))
}
