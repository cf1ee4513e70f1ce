//! The lab's workloads: computing (sequential, std threads, rayon pools of 1..N
//! threads), waiting (one after another, a thread each, a task each) and memory.

use super::Stat;
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use test_support::{kernel, spin};

/// A progress line per step on standard error.
pub struct Progress {
    step: usize,
    total: usize,
    started: Instant,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        Progress {
            step: 0,
            total,
            started: Instant::now(),
        }
    }

    pub fn step(&mut self, what: &str) {
        self.step += 1;
        eprintln!(
            "[lab {}/{}] {what}...",
            self.step.min(self.total),
            self.total
        );
    }

    pub fn done(&self) {
        eprintln!("[lab] done in {:.1}s", self.started.elapsed().as_secs_f64());
    }
}

/// Amdahl's law: the best speedup on `threads` threads of a job whose serial part is
/// `serial_fraction` of the sequential time.
pub fn amdahl(serial_fraction: f64, threads: usize) -> f64 {
    1.0 / (serial_fraction + (1.0 - serial_fraction) / threads.max(1) as f64)
}

#[derive(Debug, Serialize)]
pub struct CpuReport {
    pub unit_ms: f64,
    pub serial_units: usize,
    pub parallel_units: usize,
    pub serial_fraction: f64,
    pub sequential: Stat,
    pub std_threads_count: usize,
    pub std_threads: Stat,
    pub std_threads_speedup: f64,
    pub rayon: Vec<PoolPoint>,
    /// One std-threads run: which thread ran which piece, when.
    pub timeline: Vec<Span>,
}

#[derive(Debug, Serialize)]
pub struct PoolPoint {
    pub threads: usize,
    pub time: Stat,
    pub speedup: f64,
    pub amdahl: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Span {
    pub lane: usize,
    pub start_ms: f64,
    pub end_ms: f64,
    pub serial: bool,
}

fn repeat(runs: usize, mut f: impl FnMut()) -> Stat {
    Stat::of(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

/// The largest rayon pool the speedup curve goes to (pools of 1 to this many threads).
pub fn pool_sizes(quick: bool) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.clamp(1, if quick { 2 } else { 16 })
}

pub fn cpu(quick: bool, runs: usize, progress: &mut Progress) -> CpuReport {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let unit = Duration::from_millis(if quick { 4 } else { 10 });
    let (serial_units, parallel_units) = if quick { (2, 24) } else { (4, 48) };
    progress.step("calibrating the CPU kernel");
    let steps = kernel::steps_for(unit);
    let serial = move || {
        for _ in 0..serial_units {
            spin(steps);
        }
    };

    progress.step("computing: sequential");
    let sequential = repeat(runs, || {
        serial();
        for _ in 0..parallel_units {
            spin(steps);
        }
    });

    progress.step("computing: std threads");
    let threads = cores.clamp(1, parallel_units);
    let per_thread = parallel_units.div_ceil(threads);
    let run_threads = |record: Option<&Mutex<Vec<Span>>>| {
        let start = Instant::now();
        let ms = |t: Instant| t.duration_since(start).as_secs_f64() * 1000.0;
        for _ in 0..serial_units {
            let s = Instant::now();
            spin(steps);
            if let Some(r) = record {
                r.lock().unwrap().push(Span {
                    lane: 0,
                    start_ms: ms(s),
                    end_ms: ms(Instant::now()),
                    serial: true,
                });
            }
        }
        std::thread::scope(|scope| {
            for lane in 0..threads {
                let count = per_thread.min(parallel_units.saturating_sub(lane * per_thread));
                scope.spawn(move || {
                    for _ in 0..count {
                        let s = Instant::now();
                        spin(steps);
                        if let Some(r) = record {
                            r.lock().unwrap().push(Span {
                                lane,
                                start_ms: ms(s),
                                end_ms: ms(Instant::now()),
                                serial: false,
                            });
                        }
                    }
                });
            }
        });
    };
    let std_threads = repeat(runs, || run_threads(None));
    let spans = Mutex::new(Vec::new());
    run_threads(Some(&spans));
    let timeline = spans.into_inner().unwrap();

    let serial_fraction = serial_units as f64 / (serial_units + parallel_units) as f64;
    let mut rayon = Vec::new();
    for k in 1..=pool_sizes(quick) {
        progress.step(&format!(
            "computing: rayon with {k} thread{}",
            if k == 1 { "" } else { "s" }
        ));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .expect("a rayon pool");
        let time = repeat(runs, || {
            pool.install(|| {
                serial();
                (0..parallel_units).into_par_iter().for_each(|_| {
                    spin(steps);
                });
            })
        });
        rayon.push(PoolPoint {
            threads: k,
            speedup: sequential.median_ms / time.median_ms,
            amdahl: amdahl(serial_fraction, k),
            time,
        });
    }
    CpuReport {
        unit_ms: unit.as_secs_f64() * 1000.0,
        serial_units,
        parallel_units,
        serial_fraction,
        std_threads_speedup: sequential.median_ms / std_threads.median_ms,
        sequential,
        std_threads_count: threads,
        std_threads,
        rayon,
        timeline,
    }
}

#[derive(Debug, Serialize)]
pub struct WaitReport {
    pub wait_ms: u64,
    /// The runtime the tasks ran on.
    pub runtime: &'static str,
    pub rows: Vec<WaitRow>,
}

#[derive(Debug, Serialize)]
pub struct WaitRow {
    pub jobs: usize,
    pub sequential: Option<Stat>,
    pub threads: Option<Stat>,
    pub threads_error: Option<String>,
    pub tasks: Stat,
    /// The tasks' median time over one wait: 1.0 is perfect overlap.
    pub tasks_per_wait: f64,
    /// The most tasks waiting at the same instant, in the run where it was lowest
    /// (the structural twin of the time: `jobs` when every task of every run was
    /// waiting at once).
    pub tasks_most_waiting: usize,
}

/// Tasks that have started waiting and not finished, and the most at once.
static WAITING: AtomicUsize = AtomicUsize::new(0);
static MOST_WAITING: AtomicUsize = AtomicUsize::new(0);

/// `jobs` waits of `wait`, a tokio task each, all on `runtime`; returns the most
/// that were waiting at once.
fn tasks_waiting(runtime: &tokio::runtime::Runtime, jobs: usize, wait: Duration) -> usize {
    MOST_WAITING.store(0, Ordering::Relaxed);
    runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..jobs {
            // The wait's deadline is set here, when the task is spawned.
            let sleep = tokio::time::sleep(wait);
            set.spawn(async move {
                let now = WAITING.fetch_add(1, Ordering::Relaxed) + 1;
                MOST_WAITING.fetch_max(now, Ordering::Relaxed);
                sleep.await;
                WAITING.fetch_sub(1, Ordering::Relaxed);
            });
        }
        while set.join_next().await.is_some() {}
    });
    MOST_WAITING.load(Ordering::Relaxed)
}

pub fn waits(runs: usize, progress: &mut Progress) -> WaitReport {
    // 100 ms: long enough that starting 10,000 tasks (a few ms) is a small part of it,
    // as in chapter 6.
    let wait = Duration::from_millis(100);
    let counts: &[usize] = &[10, 100, 1000, 10_000];
    let sequential_budget = Duration::from_millis(1000);
    // One thread for all the tasks, as in chapter 6: ten thousand waits need no more,
    // and spawning from outside a multi-thread runtime adds cross-thread hand-offs
    // (measured 1.14-1.39x one wait instead of 1.10-1.19x, on a busy 2-core machine).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut rows = Vec::new();
    progress.step("waiting: one after another, a thread each, a task each");
    for &jobs in counts {
        let sequential = (wait * jobs as u32 <= sequential_budget).then(|| {
            repeat(runs, || {
                for _ in 0..jobs {
                    std::thread::sleep(wait);
                }
            })
        });
        let mut threads_error = None;
        let mut samples = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let mut handles = Vec::with_capacity(jobs);
            for _ in 0..jobs {
                match std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || std::thread::sleep(wait))
                {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        threads_error =
                            Some(format!("the OS refused thread {}: {e}", handles.len() + 1));
                        break;
                    }
                }
            }
            for h in handles {
                let _ = h.join();
            }
            samples.push(start.elapsed());
            if threads_error.is_some() {
                break;
            }
        }
        let threads = threads_error.is_none().then(|| Stat::of(samples));
        let mut most_waiting = jobs;
        let tasks = repeat(runs, || {
            most_waiting = most_waiting.min(tasks_waiting(&runtime, jobs, wait));
        });
        rows.push(WaitRow {
            jobs,
            sequential,
            threads,
            threads_error,
            tasks_per_wait: tasks.median_ms / (wait.as_secs_f64() * 1000.0),
            tasks,
            tasks_most_waiting: most_waiting,
        });
    }
    WaitReport {
        wait_ms: wait.as_millis() as u64,
        runtime: "tokio, current-thread",
        rows,
    }
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct MemoryReport {
    pub threads: usize,
    pub per_thread_bytes: Option<f64>,
    pub tasks: usize,
    pub per_task_bytes: Option<f64>,
    pub note: String,
}

/// Resident memory of this process, from /proc (Linux only).
fn resident_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0)
}

/// Measures memory in a fresh process of this tool (`xtask lab-memory`): memory that
/// the other workloads freed stays with this process's allocator, and new threads or
/// tasks would reuse it without growing the resident size.
pub fn memory(quick: bool, progress: &mut Progress) -> MemoryReport {
    progress.step("memory: threads and tasks, all waiting at once");
    let (threads, tasks) = if quick { (200, 2_000) } else { (1_000, 10_000) };
    let fallback = |note: String| MemoryReport {
        threads,
        per_thread_bytes: None,
        tasks,
        per_task_bytes: None,
        note,
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return fallback(format!("cannot find this tool's binary: {e}")),
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("lab-memory");
    if quick {
        cmd.arg("--quick");
    }
    match cmd.output() {
        Ok(out) if out.status.success() => serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| fallback(format!("the memory probe printed no report: {e}"))),
        Ok(out) => fallback(format!(
            "the memory probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Err(e) => fallback(format!("cannot start the memory probe: {e}")),
    }
}

/// The memory measurement itself, run by `xtask lab-memory` in a fresh process.
pub fn measure_memory(quick: bool) -> MemoryReport {
    let (threads, tasks) = if quick { (200, 2_000) } else { (1_000, 10_000) };
    if resident_bytes().is_none() {
        return MemoryReport {
            threads,
            per_thread_bytes: None,
            tasks,
            per_task_bytes: None,
            note: "no /proc/self/statm on this system".to_string(),
        };
    }
    // Threads: all started and parked on one gate, then measured.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let started = Arc::new(AtomicUsize::new(0));
    let before = resident_bytes().unwrap_or(0.0);
    let handles: Vec<_> = (0..threads)
        .filter_map(|_| {
            let gate = Arc::clone(&gate);
            let started = Arc::clone(&started);
            std::thread::Builder::new()
                .spawn(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    let (lock, cvar) = &*gate;
                    let mut open = lock.lock().unwrap();
                    while !*open {
                        open = cvar.wait(open).unwrap();
                    }
                })
                .ok()
        })
        .collect();
    let spawned = handles.len();
    while started.load(Ordering::SeqCst) < spawned {
        std::thread::sleep(Duration::from_millis(1));
    }
    let per_thread = (resident_bytes().unwrap_or(0.0) - before) / spawned.max(1) as f64;
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    for h in handles {
        let _ = h.join();
    }

    // Tasks: all spawned and waiting on one notification, then measured.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let per_task = runtime.block_on(async {
        let notify = Arc::new(tokio::sync::Notify::new());
        let polled = Arc::new(AtomicUsize::new(0));
        let before = resident_bytes().unwrap_or(0.0);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks {
            let notify = Arc::clone(&notify);
            let polled = Arc::clone(&polled);
            set.spawn(async move {
                let notified = notify.notified();
                polled.fetch_add(1, Ordering::SeqCst);
                notified.await;
            });
        }
        while polled.load(Ordering::SeqCst) < tasks {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let per_task = (resident_bytes().unwrap_or(0.0) - before) / tasks as f64;
        // Wake them all; `notify_waiters` only wakes registered waiters, so repeat
        // until every task has finished.
        while !set.is_empty() {
            notify.notify_waiters();
            while let Ok(Some(_)) =
                tokio::time::timeout(Duration::from_millis(5), set.join_next()).await
            {}
        }
        per_task
    });
    MemoryReport {
        threads: spawned,
        per_thread_bytes: Some(per_thread.max(0.0)),
        tasks,
        per_task_bytes: Some(per_task.max(0.0)),
        note: String::new(),
    }
}
