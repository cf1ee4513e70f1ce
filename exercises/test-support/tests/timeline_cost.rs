//! What recording spans costs: the same workload (4 threads, each entering a gauge
//! 25,000 times around a short spin: 100,000 spans) timed in child processes with
//! and without `WOW_TIMELINE`, alternately, best of 5 each, in one run. Printed, and
//! held to a bound far above what it measures (a few tens of ns per span), so that a
//! lock or an allocation on the hot path fails it.

use std::process::Command;
use std::time::{Duration, Instant};
use test_support::Gauge;

const CHILD: &str = "WOW_TIMELINE_COST_CHILD";
const THREADS: usize = 4;
const SPANS_EACH: usize = 25_000;

/// The workload, run only as a child of `recording_costs_little`.
#[test]
fn workload() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let gauge = Gauge::new();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let gauge = gauge.clone();
            s.spawn(move || {
                for _ in 0..SPANS_EACH {
                    let _job = gauge.enter();
                    test_support::spin(200);
                }
            });
        }
    });
    let elapsed = started.elapsed();
    drop(gauge);
    println!("elapsed_ns={}", elapsed.as_nanos());
}

fn run_child(record: Option<&std::path::Path>) -> Duration {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "workload", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove(test_support::timeline::VAR);
    if let Some(path) = record {
        let _ = std::fs::remove_file(path);
        cmd.env(test_support::timeline::VAR, path);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ns: u64 = stdout
        .lines()
        .find_map(|l| l.split("elapsed_ns=").nth(1))
        .unwrap_or_else(|| panic!("no figure from the child: {stdout}"))
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    Duration::from_nanos(ns)
}

#[test]
fn recording_costs_little() {
    let path = std::env::temp_dir().join(format!("wow-cost-{}.jsonl", std::process::id()));
    let (mut off, mut on) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        off = off.min(run_child(None));
        on = on.min(run_child(Some(&path)));
    }
    let spans = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"span\""))
        .count();
    let _ = std::fs::remove_file(&path);
    assert_eq!(spans, THREADS * SPANS_EACH, "every span recorded");
    // The threads share the cores: the time of a thread is the wall time times the
    // threads that ran at once.
    let at_once = THREADS.min(test_support::cores()) as f64;
    let per_span = on.saturating_sub(off).as_nanos() as f64 * at_once / spans as f64;
    let detail = format!(
        "{spans} spans on {THREADS} threads: {:.1} ms without recording, {:.1} ms with ({:.2}x), about {per_span:.0} ns of a thread's time per span",
        off.as_secs_f64() * 1e3,
        on.as_secs_f64() * 1e3,
        on.as_secs_f64() / off.as_secs_f64()
    );
    test_support::report::record("recording cost", test_support::Outcome::Passed, &detail);
    assert!(per_span < 5_000.0, "recording is too slow: {detail}");
}
