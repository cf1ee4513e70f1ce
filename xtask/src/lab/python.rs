//! The notes' world, measured: the same kind of CPU work in Python, one job after
//! another, on threads (one at a time under the GIL) and on processes.

use super::Stat;
use serde::Serialize;
use std::process::Command;
use std::time::Duration;

const SCRIPT: &str = r#"
import json, sys, time
from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor

def work(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) % 1000003
    return x

def timed(f, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return out

if __name__ == "__main__":
    jobs, n, runs = (int(a) for a in sys.argv[1:4])
    seq = timed(lambda: [work(n) for _ in range(jobs)], runs)
    with ThreadPoolExecutor(jobs) as ex:
        thr = timed(lambda: list(ex.map(work, [n] * jobs)), runs)
    with ProcessPoolExecutor(jobs) as ex:
        list(ex.map(work, [1] * jobs))  # start the processes before timing
        prc = timed(lambda: list(ex.map(work, [n] * jobs)), runs)
    print(json.dumps({"version": sys.version.split()[0], "sequential": seq, "threads": thr, "processes": prc}))
"#;

#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PythonReport {
    Measured {
        version: String,
        jobs: usize,
        sequential: Stat,
        threads: Stat,
        processes: Stat,
    },
    NotChecked {
        reason: String,
    },
}

pub fn measure(quick: bool) -> PythonReport {
    let not_checked = |reason: String| PythonReport::NotChecked { reason };
    let python = match Command::new("python3").arg("--version").output() {
        Ok(o) if o.status.success() => "python3",
        _ => return not_checked("python3 not found".to_string()),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = cores.clamp(2, 4);
    let (n, runs) = if quick { (200_000, 1) } else { (1_000_000, 3) };
    let script = std::env::temp_dir().join(format!("wait-or-work-gil-{}.py", std::process::id()));
    if let Err(e) = std::fs::write(&script, SCRIPT) {
        return not_checked(format!("cannot write the Python script: {e}"));
    }
    let output = Command::new(python)
        .arg(&script)
        .args([jobs.to_string(), n.to_string(), runs.to_string()])
        .output();
    let _ = std::fs::remove_file(&script);
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().last().unwrap_or("no message");
            return not_checked(format!("the Python script failed: {last}"));
        }
        Err(e) => return not_checked(format!("cannot run python3: {e}")),
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&output.stdout) else {
        return not_checked("the Python script printed no JSON".to_string());
    };
    let stat = |key: &str| {
        Stat::of(
            v[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_f64())
                .map(Duration::from_secs_f64)
                .collect(),
        )
    };
    if v["sequential"].as_array().is_none_or(|a| a.is_empty()) {
        return not_checked("the Python script measured nothing".to_string());
    }
    PythonReport::Measured {
        version: v["version"].as_str().unwrap_or("?").to_string(),
        jobs,
        sequential: stat("sequential"),
        threads: stat("threads"),
        processes: stat("processes"),
    }
}
