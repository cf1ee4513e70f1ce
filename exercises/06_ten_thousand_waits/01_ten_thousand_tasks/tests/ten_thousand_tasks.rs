//! Tests for 06/01. Run them with `cargo xtask check 06/01`.

use ex06_01_ten_thousand_tasks::{on_tasks, on_threads};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};
use test_support::{Gauge, Outcome, RatioCheck, ThreadSet, expect_at_least, report};

const TASKS: usize = 10_000;
/// Fewer threads than tasks, to keep the test fast and inside every OS's default
/// limits (macOS allows about 2,000 threads per process); the book's table shows
/// 10,000 threads too, measured with the chapter's snippet.
const THREADS: usize = 1_000;
const WAIT: Duration = Duration::from_millis(100);

/// A current-thread runtime on the real clock.
fn real_clock_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// Runs `f` on a helper thread and gives up (with `message`) if it has not returned
/// within `limit`: a wrong answer that waits one job at a time would otherwise take
/// minutes. The limit is many times what a right answer needs.
fn within<T: Send + 'static>(
    limit: Duration,
    message: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let helper = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        // `f` panicked: pass its own panic on.
        Err(mpsc::RecvTimeoutError::Disconnected) => match helper.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the helper sends before it returns"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{message}"),
    }
}

/// Whether a panic is a `todo!()` still in the exercise.
fn is_todo(panic: &(dyn std::any::Any + Send)) -> bool {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str));
    text.is_some_and(|t| t.starts_with("not yet implemented"))
}

/// The resident memory of this process in bytes (Linux only).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_tasks_take_one_wait() {
    let gauge = Gauge::new();
    let start = tokio::time::Instant::now();
    let results = on_tasks(TASKS, |i| {
        let gauge = gauge.clone();
        async move {
            let _in_flight = gauge.enter();
            tokio::time::sleep(WAIT).await;
            i
        }
    })
    .await;
    let took = start.elapsed();
    assert_eq!(
        took, WAIT,
        "10,000 tasks that each wait 100 ms should finish after exactly 100 virtual ms, \
         but took {took:?}: spawn every task before you await any"
    );
    report::record(
        "virtual time of 10,000 waits",
        Outcome::Passed,
        "100 ms = one wait, not 10,000 of them",
    );
    expect_at_least("tasks waiting at once", gauge.most_at_once(), TASKS);
    assert!(
        results.iter().copied().eq(0..TASKS),
        "`on_tasks` must return the results in the order of i"
    );
}

#[test]
fn virtual_time_for_any_number_of_tasks() {
    // The model on the paused clock: n waits of 100 ms overlap into one, whatever n is.
    let mut table = String::from("    tasks  virtual time  most at once\n");
    for n in [0, 1, 10, 1_000, 10_000] {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a paused runtime");
        let gauge = Gauge::new();
        let took = runtime.block_on(async {
            let start = tokio::time::Instant::now();
            on_tasks(n, |_| {
                let gauge = gauge.clone();
                async move {
                    let _in_flight = gauge.enter();
                    tokio::time::sleep(WAIT).await;
                }
            })
            .await;
            start.elapsed()
        });
        table += &format!(
            "{n:>9}  {:>9} ms  {:>12}\n",
            took.as_millis(),
            gauge.most_at_once()
        );
    }
    insta::assert_snapshot!(table);
}

#[test]
fn tasks_on_a_real_clock() {
    // 10,000 overlapped waits of 100 ms take about 100 ms plus the time to start the
    // tasks (a few ms): about 4-5x less than 5 waits in a row. Waiting needs no free
    // core, so 2x is required even on a busy machine.
    let runtime = real_clock_runtime();
    let gauge = Gauge::new();
    RatioCheck::new("10,000 waiting tasks vs 5 waits in a row", 2.0).run(
        || {
            runtime.block_on(async {
                for _ in 0..5 {
                    tokio::time::sleep(WAIT).await;
                }
            });
        },
        || {
            runtime.block_on(async {
                let all = on_tasks(TASKS, |_| {
                    let gauge = gauge.clone();
                    async move {
                        let _in_flight = gauge.enter();
                        tokio::time::sleep(WAIT).await;
                    }
                });
                // A guard, not the check: 20 waits' worth is far more than needed.
                if tokio::time::timeout(WAIT * 20, all).await.is_err() {
                    panic!(
                        "10,000 tasks of 100 ms had not finished after 2 s (20 waits): \
                         are the tasks awaited one at a time?"
                    );
                }
            });
        },
    );
    expect_at_least("tasks waiting at once", gauge.most_at_once(), TASKS);
}

#[test]
fn threads_wait_together_too() {
    // A small call on the test's own thread first, so that a wrong answer fails here
    // with its own message rather than on a helper thread, and so that the thread that
    // called `on_threads` is known: none of the jobs may run on it.
    let few = ThreadSet::new();
    let results = on_threads(4, {
        let few = few.clone();
        move |i| {
            few.record();
            i * 10
        }
    });
    assert_eq!(results.expect("4 threads"), [0, 10, 20, 30]);
    assert!(
        !few.contains_current(),
        "a job ran on the thread that called `on_threads`: every job gets an OS thread of \
         its own (n jobs, n threads), and the caller only starts them and joins them"
    );
    expect_at_least("distinct threads for 4 jobs", few.distinct(), 4);
    // 1,000 threads that each sleep 100 ms: about 100 ms plus the time to start them
    // (about 70 ms on a quiet 2-core machine, more on a busy one), against 1 s for 10
    // sleeps in a row: about 6x. 2x is required.
    //
    // After its wait, each job also waits (at most 2 s) until every job has started,
    // so that a right answer has all 1,000 in flight at once however long the machine
    // takes to start them: on a busy one, starting 1,000 threads can take longer than
    // the 100 ms wait, and the first jobs would end before the last begin. An answer
    // that runs the jobs one at a time never gets past the first job's 2 s, and is
    // stopped by `within`.
    let gauge = Gauge::new();
    let threads = ThreadSet::new();
    RatioCheck::new("1,000 waiting threads vs 10 waits in a row", 2.0).run(
        || {
            for _ in 0..10 {
                std::thread::sleep(WAIT);
            }
        },
        || {
            let started = Arc::new((Mutex::new(0usize), Condvar::new()));
            let (gauge, threads) = (gauge.clone(), threads.clone());
            let job = move |i: usize| {
                let _in_flight = gauge.enter();
                threads.record();
                let (count, all_in) = &*started;
                {
                    let mut count = count.lock().unwrap_or_else(|p| p.into_inner());
                    *count += 1;
                    if *count == THREADS {
                        all_in.notify_all();
                    }
                }
                std::thread::sleep(WAIT);
                let count = count.lock().unwrap_or_else(|p| p.into_inner());
                let _all_in = all_in
                    .wait_timeout_while(count, Duration::from_secs(2), |c| *c < THREADS)
                    .unwrap_or_else(|p| p.into_inner());
                i
            };
            let results = within(
                WAIT * 30,
                "1,000 threads of 100 ms had not finished after 3 s (30 waits): are the \
                 threads joined one at a time, right after each is started?",
                move || on_threads(THREADS, job),
            );
            let results = results.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                results.iter().copied().eq(0..THREADS),
                "`on_threads` must return the results in the order of i"
            );
        },
    );
    expect_at_least("threads waiting at once", gauge.most_at_once(), THREADS);
    expect_at_least("distinct threads", threads.distinct(), THREADS);
    assert!(
        !threads.contains_current(),
        "a job ran on the caller's thread: start a new thread for every job"
    );
}

#[test]
fn results_come_back_in_order() {
    // Job i waits (10 - i) ms, so the last job finishes first.
    let runtime = real_clock_runtime();
    let from_tasks = runtime.block_on(on_tasks(10, |i| async move {
        tokio::time::sleep(Duration::from_millis(10 - i as u64)).await;
        i * i
    }));
    let squares: Vec<usize> = (0..10).map(|i| i * i).collect();
    assert_eq!(from_tasks, squares, "`on_tasks`: results in the order of i");
    let from_threads = on_threads(10, |i| {
        std::thread::sleep(Duration::from_millis(10 - i as u64));
        i * i
    })
    .expect("10 threads");
    assert_eq!(
        from_threads, squares,
        "`on_threads`: results in the order of i"
    );
    assert!(runtime.block_on(on_tasks(0, |_| async {})).is_empty());
    assert!(on_threads(0, |_| ()).expect("no threads").is_empty());
}

#[tokio::test(start_paused = true)]
async fn results_follow_i_not_the_finish() {
    // On the paused clock job i waits (20 - i) virtual ms: job 19 is done first and
    // job 0 last, always.
    let results = on_tasks(20, |i| async move {
        tokio::time::sleep(Duration::from_millis(20 - i as u64)).await;
        i
    })
    .await;
    assert_eq!(
        results,
        (0..20).collect::<Vec<_>>(),
        "job 19 finished first and job 0 last, but `on_tasks` must return the results in \
         the order of i: await the handles in that order (a `JoinSet` gives them in the \
         order they finish)"
    );
}

#[test]
fn a_job_that_panics_makes_the_caller_panic() {
    // Each job 3 panics on purpose: those panics are not printed.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info.payload_as_str().unwrap_or_default();
            if !text.contains("(a panic on purpose)") {
                default(info);
            }
        }));
    });
    let runtime = real_clock_runtime();
    let from_tasks = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(on_tasks(5, |i| async move {
            assert!(i != 3, "job 3 burnt the sauce (a panic on purpose)");
            i
        }))
    }));
    let from_tasks = match from_tasks {
        // A `todo!()` still there: passed on as it is.
        Err(panic) if is_todo(&*panic) => std::panic::resume_unwind(panic),
        other => other,
    };
    assert!(
        from_tasks.is_err(),
        "job 3 of `on_tasks` panicked, so `on_tasks` must panic too, but it returned \
         {:?}: a `JoinError` that `is_panic()` is passed on, not skipped",
        from_tasks.ok()
    );
    expect_the_jobs_own_panic("on_tasks", from_tasks.err());
    let from_threads = std::panic::catch_unwind(|| {
        on_threads(5, |i| {
            assert!(i != 3, "job 3 burnt the sauce (a panic on purpose)");
            i
        })
    });
    let from_threads = match from_threads {
        // A `todo!()` still there: passed on as it is.
        Err(panic) if is_todo(&*panic) => std::panic::resume_unwind(panic),
        other => other,
    };
    assert!(
        from_threads.is_err(),
        "job 3 of `on_threads` panicked, so `on_threads` must panic too, but it returned \
         {:?}: an `Err` from `join()` is passed on with `std::panic::resume_unwind`",
        from_threads.ok().map(|r| r.map_err(|e| e.to_string()))
    );
    expect_the_jobs_own_panic("on_threads", from_threads.err());
}

/// The caller's panic is job 3's own, message and all (`resume_unwind`), not a new
/// panic that hides what went wrong.
fn expect_the_jobs_own_panic(function: &str, panic: Option<Box<dyn std::any::Any + Send>>) {
    let text = panic.as_deref().and_then(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
    });
    assert!(
        text.as_deref()
            // Its own payload, not a new panic that quotes it.
            .is_some_and(|t| t.starts_with("job 3 burnt the sauce")),
        "`{function}` panicked with {:?}, not with job 3's own panic (\"job 3 burnt the \
         sauce\"): pass the job's panic on with `std::panic::resume_unwind`",
        // Not the words the quiet hook above hides: this message must be seen.
        text.map(|t| t.replace("(a panic on purpose)", "(...)"))
    );
}

#[test]
fn side_by_side_memory_and_start_up() {
    // Figures, not thresholds: how much memory the waiting jobs hold and how long it
    // takes to get them all waiting. The jobs wait at a gate until they are counted.
    assert_eq!(
        on_threads(4, |i| i * 10).expect("4 threads"),
        [0, 10, 20, 30]
    );
    let before = resident_bytes();

    // 10,000 tasks on one thread.
    let runtime = real_clock_runtime();
    let gauge = Gauge::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (task_start_up, task_memory) = runtime.block_on(async {
        let start = Instant::now();
        let all = on_tasks(TASKS, |_| {
            let (gauge, gate) = (gauge.clone(), gate.clone());
            async move {
                let _in_flight = gauge.enter();
                let _ = gate.acquire().await; // returns when the gate is closed
            }
        });
        let count = async {
            while gauge.now() < TASKS && start.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let figures = (start.elapsed(), resident_bytes());
            gate.close();
            figures
        };
        let (_, figures) = tokio::join!(all, count);
        figures
    });
    expect_at_least("tasks waiting at once", gauge.most_at_once(), TASKS);

    // 1,000 threads.
    let before_threads = resident_bytes();
    let gauge = Gauge::new();
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let start = Instant::now();
    let runner = {
        let (gauge, gate) = (gauge.clone(), gate.clone());
        std::thread::spawn(move || {
            on_threads(THREADS, move |_| {
                let _in_flight = gauge.enter();
                let (open, bell) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = bell.wait(open).unwrap();
                }
            })
        })
    };
    while gauge.now() < THREADS && start.elapsed() < Duration::from_secs(5) && !runner.is_finished()
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let (thread_start_up, thread_memory) = (start.elapsed(), resident_bytes());
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    let outcome = runner
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    match outcome {
        Ok(_) => expect_at_least("threads waiting at once", gauge.most_at_once(), THREADS),
        Err(e) => {
            report::record(
                "threads waiting at once",
                Outcome::NotChecked,
                &e.to_string(),
            );
            return;
        }
    }

    let per = |before: Option<u64>, after: Option<u64>, n: usize| match (before, after) {
        (Some(b), Some(a)) => {
            let extra = a.saturating_sub(b);
            format!(
                "{:.1} MiB more resident memory (about {} bytes each)",
                extra as f64 / (1024.0 * 1024.0),
                extra / n as u64
            )
        }
        _ => "memory not measured here (needs /proc/self/status)".to_string(),
    };
    report::record(
        "figures for 10,000 waiting tasks (reported, not a threshold)",
        Outcome::Passed,
        &format!(
            "all waiting after {:.1} ms, {}",
            task_start_up.as_secs_f64() * 1000.0,
            per(before, task_memory, TASKS)
        ),
    );
    report::record(
        "figures for 1,000 waiting threads (reported, not a threshold)",
        Outcome::Passed,
        &format!(
            "all waiting after {:.1} ms, {}",
            thread_start_up.as_secs_f64() * 1000.0,
            per(before_threads, thread_memory, THREADS)
        ),
    );
}
