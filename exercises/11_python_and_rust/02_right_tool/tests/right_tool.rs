//! Tests for 11/02. Run them with `cargo xtask check 11/02`.
//!
//! Waits are checked under tokio's paused clock (an exact schedule) and on the real
//! clock (a fixed ratio); computations with a speedup held to the machine's spare
//! capacity, and with clock-free probes inside the `compute` function the tests pass
//! to `run_jobs`: how many ran at once, on which threads, and whether the runtime's
//! thread stayed free.

use ex11_02_right_tool::{Job, Output, RunError, run_jobs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use test_support::{Gauge, Outcome, RatioCheck, SpeedupCheck, ThreadSet, expect_at_least, report};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A computation whose result is easy to read.
fn square(steps: u64) -> u64 {
    steps * steps
}

/// A runtime with a real clock, on the test's own thread (`block_on`).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// How long a probe inside `compute` waits for what it expects to see before it
/// gives up (a sequential or blocking answer never shows it).
const PATIENCE: Duration = Duration::from_secs(1);

/// Waits, one millisecond at a time, until `seen()` or until a probe gave up
/// (`gave_up`, shared by every call, so a wrong answer costs one `PATIENCE` in all).
fn wait_until(gave_up: &AtomicBool, seen: impl Fn() -> bool) {
    let start = Instant::now();
    while !seen() && !gave_up.load(Ordering::SeqCst) {
        if start.elapsed() > PATIENCE {
            gave_up.store(true, Ordering::SeqCst);
            return;
        }
        std::thread::sleep(ms(1));
    }
}

fn describe(job: &Job) -> String {
    match job {
        Job::Waits(d) => format!("waits {} ms", d.as_millis()),
        Job::Computes(steps) => format!("computes {steps}"),
    }
}

#[tokio::test(start_paused = true)]
async fn outputs_come_back_in_the_order_of_the_jobs() {
    // The longest wait first and the shortest last: in the order they finish, the
    // outputs would come back shuffled.
    let jobs = vec![
        Job::Waits(ms(300)),
        Job::Computes(5),
        Job::Waits(ms(100)),
        Job::Computes(1),
        Job::Waits(ms(400)),
        Job::Computes(3),
        Job::Waits(ms(200)),
    ];
    let outputs = run_jobs(jobs, square).await;
    assert_eq!(
        outputs,
        Ok(vec![
            Output::Waited(ms(300)),
            Output::Computed(25),
            Output::Waited(ms(100)),
            Output::Computed(1),
            Output::Waited(ms(400)),
            Output::Computed(9),
            Output::Waited(ms(200)),
        ]),
        "each output must sit at the index of its job (waits of 300, 100, 400 and 200 ms \
         between computations of 5, 1 and 3), not in the order the jobs finished"
    );
    assert_eq!(
        run_jobs(Vec::new(), square).await,
        Ok(Vec::new()),
        "no jobs give no outputs"
    );
}

#[tokio::test(start_paused = true)]
async fn waits_overlap_on_tokio_tasks() {
    // Paused clock: virtual time jumps from one timer to the next, so the schedule is
    // exact and the same on every machine. `std::thread::sleep` does not move it.
    let jobs = vec![
        Job::Waits(ms(300)),
        Job::Computes(7),
        Job::Waits(ms(100)),
        Job::Waits(ms(400)),
        Job::Computes(2),
        Job::Waits(ms(200)),
    ];
    let runtime_thread = std::thread::current().id();
    let computed_on: Arc<Mutex<Vec<(u64, ThreadId)>>> = Arc::default();
    let record = Arc::clone(&computed_on);
    let compute = move |steps| {
        record
            .lock()
            .unwrap()
            .push((steps, std::thread::current().id()));
        square(steps)
    };
    let start = tokio::time::Instant::now();
    let outputs = run_jobs(jobs.clone(), compute)
        .await
        .expect("no computation panics here");
    let took = start.elapsed();
    let sum: Duration = jobs
        .iter()
        .map(|job| match job {
            Job::Waits(d) => *d,
            Job::Computes(_) => Duration::ZERO,
        })
        .sum();
    assert_eq!(
        took,
        ms(400),
        "waits of 300, 100, 400 and 200 ms on tokio tasks overlap: they take as long as \
         the longest (400 ms of virtual time), not their sum ({} ms) and not 0 ms (a wait \
         that never went through tokio's timer, such as `std::thread::sleep` on another \
         thread): give each wait a task of its own with `tokio::time::sleep`, and start \
         them all before awaiting any",
        sum.as_millis()
    );
    let computed_on = computed_on.lock().unwrap().clone();
    let on_runtime: Vec<u64> = computed_on
        .iter()
        .filter(|(_, thread)| *thread == runtime_thread)
        .map(|(steps, _)| *steps)
        .collect();
    assert!(
        on_runtime.is_empty(),
        "the computations {on_runtime:?} ran on the runtime's thread, which must stay \
         free to wake the waits: hand them to rayon from `spawn_blocking`"
    );

    // Where each job went, and what it gave back.
    let mut text = String::new();
    for (index, (job, output)) in jobs.iter().zip(&outputs).enumerate() {
        let tool = match job {
            Job::Waits(_) => "overlapped with the other waits".to_string(),
            Job::Computes(steps) => {
                let threads: Vec<bool> = computed_on
                    .iter()
                    .filter(|(s, _)| s == steps)
                    .map(|(_, thread)| *thread == runtime_thread)
                    .collect();
                match threads.as_slice() {
                    [false] => "off the runtime's thread".to_string(),
                    [true] => "ON the runtime's thread".to_string(),
                    other => format!("computed {} times", other.len()),
                }
            }
        };
        text += &format!(
            "{index}  {:<14} -> {:<22} {tool}\n",
            describe(job),
            format!("{output:?}")
        );
    }
    text += &format!(
        "all done after {} ms of virtual time (the waits one after the other: {} ms)\n",
        took.as_millis(),
        sum.as_millis()
    );
    let start = tokio::time::Instant::now();
    let none = run_jobs(Vec::new(), square).await;
    text += &format!(
        "no jobs: {none:?} after {} ms\n",
        start.elapsed().as_millis()
    );
    insta::assert_snapshot!(text);
}

#[test]
fn waits_overlap_on_the_real_clock() {
    // Waiting needs no free core: sixteen overlapped waits take about one wait even on
    // a busy machine (about 15x). Sixteen waits that each hold a thread of a pool with
    // one thread per core take eight rounds on 2 cores (2x), so 4x is required.
    let rt = runtime();
    let waits = vec![Job::Waits(ms(30)); 16];
    RatioCheck::new("sixteen 30 ms waits in one batch", 4.0).run(
        || {
            rt.block_on(async {
                for _ in 0..waits.len() {
                    tokio::time::sleep(ms(30)).await;
                }
            })
        },
        || {
            let outputs = rt
                .block_on(run_jobs(waits.clone(), square))
                .expect("no computation here");
            assert_eq!(outputs.len(), waits.len(), "one output per wait");
        },
    );
}

#[test]
fn computations_spread_over_the_cores() {
    // Eight computations of about 25 ms each, the same compiled kernel on both sides.
    let steps = test_support::kernel::steps_for(ms(25));
    let jobs = vec![Job::Computes(steps); 8];
    let rt = runtime();
    SpeedupCheck::new("eight computations in one batch")
        .pieces(jobs.len())
        .run(
            || {
                for _ in 0..jobs.len() {
                    std::hint::black_box(test_support::spin(steps));
                }
            },
            || {
                rt.block_on(run_jobs(jobs.clone(), test_support::spin))
                    .expect("no computation panics here");
            },
        );
}

#[test]
fn computations_run_at_once_off_the_runtime() {
    // Whatever the clock says: each computation waits (up to a second, once) until a
    // second one is in flight beside it. Computations spread over the cores meet at
    // once; one after the other, they never do.
    let cores = test_support::cores();
    let wanted = cores.min(2);
    let gauge = Gauge::new();
    let threads = ThreadSet::new();
    let outside_rayon = Arc::new(AtomicUsize::new(0));
    let gave_up = Arc::new(AtomicBool::new(false));
    let compute = {
        let (gauge, threads, gave_up) = (gauge.clone(), threads.clone(), Arc::clone(&gave_up));
        let outside_rayon = Arc::clone(&outside_rayon);
        move |steps| {
            let _in_flight = gauge.enter();
            threads.record();
            if rayon::current_thread_index().is_none() {
                outside_rayon.fetch_add(1, Ordering::SeqCst);
            }
            wait_until(&gave_up, || gauge.now() >= wanted);
            test_support::spin(steps)
        }
    };
    let outputs = runtime()
        .block_on(run_jobs(vec![Job::Computes(1_000); 4], compute))
        .expect("no computation panics here");
    assert_eq!(outputs.len(), 4, "one output per computation");
    assert!(
        !threads.contains_current(),
        "a computation ran on the runtime's thread (the thread that runs `run_jobs`): \
         hand the computations to rayon from `tokio::task::spawn_blocking`"
    );
    let outside_rayon = outside_rayon.load(Ordering::SeqCst);
    assert!(
        outside_rayon == 0,
        "{outside_rayon} of 4 computations ran on threads outside rayon's pool (a \
         `spawn_blocking` thread of their own?): computations go to rayon's pool, one \
         thread per core, reached from `spawn_blocking` with `into_par_iter`"
    );
    if cores < 2 {
        report::record(
            "computations in flight at once",
            Outcome::NotChecked,
            &format!("needs 2 cores, this machine has {cores}"),
        );
        return;
    }
    expect_at_least(
        "computations in flight at once",
        gauge.most_at_once(),
        wanted,
    );
    expect_at_least(
        "distinct threads for four computations",
        threads.distinct(),
        wanted,
    );
}

#[test]
fn computing_leaves_the_runtime_free() {
    // A ticker task shares the runtime with `run_jobs`. Each computation waits (up to a
    // second, once) until the ticker has ticked three times: it can only tick while
    // the runtime's thread is free, not while that thread computes or waits for rayon.
    let ticks = Arc::new(AtomicUsize::new(0));
    let most_seen = Arc::new(AtomicUsize::new(0));
    let gave_up = Arc::new(AtomicBool::new(false));
    let compute = {
        let (ticks, most_seen, gave_up) = (
            Arc::clone(&ticks),
            Arc::clone(&most_seen),
            Arc::clone(&gave_up),
        );
        move |steps| {
            wait_until(&gave_up, || ticks.load(Ordering::SeqCst) >= 3);
            most_seen.fetch_max(ticks.load(Ordering::SeqCst), Ordering::SeqCst);
            square(steps)
        }
    };
    let outputs = runtime().block_on(async {
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(ms(1)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let outputs = run_jobs(vec![Job::Computes(3), Job::Computes(4)], compute).await;
        ticker.abort();
        outputs
    });
    assert_eq!(
        outputs,
        Ok(vec![Output::Computed(9), Output::Computed(16)]),
        "two computations, in the order of the jobs"
    );
    let seen = most_seen.load(Ordering::SeqCst);
    let check = "ticks of a ticker task while the jobs computed";
    let detail = format!("{seen}, needed at least 3");
    if seen < 3 {
        report::record_figure(check, Outcome::Failed, &detail, seen as f64, 3.0);
        panic!(
            "the runtime's thread was blocked while the jobs computed (a ticker task on \
             it ticked {seen} times in a second): a computation on that thread, or a \
             `par_iter` called right in the `async fn`, holds it until the work is done. \
             Hand the computations to `tokio::task::spawn_blocking` and `.await` them"
        );
    }
    expect_at_least(check, seen, 3);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_computation_is_an_error() {
    let unlucky = |steps| {
        assert!(steps != 13, "13 steps: the computation panics on purpose");
        square(steps)
    };
    let jobs = vec![
        Job::Waits(ms(50)),
        Job::Computes(2),
        Job::Computes(13),
        Job::Waits(ms(20)),
        Job::Computes(13),
        Job::Computes(3),
    ];
    let result = run_jobs(jobs.clone(), unlucky).await;
    assert_eq!(
        result,
        Err(RunError::Panicked { index: 2 }),
        "jobs 2 and 4 panic while they compute: `run_jobs` returns the error of the \
         first of them, in the order of the jobs (catch each panic with \
         `std::panic::catch_unwind`)"
    );
    // The runtime goes on: the next batch runs as if nothing had happened.
    let again = run_jobs(vec![Job::Computes(3), Job::Waits(ms(10))], unlucky).await;
    assert_eq!(
        again,
        Ok(vec![Output::Computed(9), Output::Waited(ms(10))]),
        "a batch after a panic runs as usual"
    );
    let error = result.unwrap_err();
    let jobs: Vec<String> = jobs.iter().map(describe).collect();
    let text = format!("jobs: {}\nerror: {error}\n{error:?}\n", jobs.join(", "));
    insta::assert_snapshot!(text);
}
