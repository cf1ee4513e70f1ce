//! Tests for 01/02. Run them with `cargo xtask check 01/02`.

use ex01_02_four_jobs::{Job, Runner, Work, predict_total, run_on_threads, run_sequentially};
use std::time::Duration;
use test_support::{Gauge, RatioCheck, SpeedupCheck, ThreadSet, expect_at_least, spin};

const JOBS: usize = 4;

/// Four jobs that each sleep `each`, counted by `gauge` while they are in flight.
fn waiting_jobs(gauge: &Gauge, each: Duration) -> Vec<Job<()>> {
    (0..JOBS)
        .map(|_| {
            let gauge = gauge.clone();
            Box::new(move || {
                let _in_flight = gauge.enter();
                std::thread::sleep(each);
            }) as Job<()>
        })
        .collect()
}

/// Four jobs that each run the same compiled kernel for `steps` steps, recording
/// which threads they ran on.
fn computing_jobs(threads: &ThreadSet, steps: u64) -> Vec<Job<u64>> {
    (0..JOBS)
        .map(|_| {
            let threads = threads.clone();
            Box::new(move || {
                threads.record();
                spin(steps)
            }) as Job<u64>
        })
        .collect()
}

#[test]
fn waiting_jobs_overlap_on_any_machine() {
    let each = Duration::from_millis(100);
    let gauge = Gauge::new();
    // Four waits overlapped take about one wait, even on one core: about 4x faster
    // than one after the other. Half of that is required.
    RatioCheck::new(
        "four waiting jobs on threads (against one after another)",
        2.0,
    )
    .run(
        || {
            run_sequentially(waiting_jobs(&Gauge::new(), each));
        },
        || {
            run_on_threads(waiting_jobs(&gauge, each));
        },
    );
    expect_at_least("waiting jobs in flight at once", gauge.most_at_once(), JOBS);
}

#[test]
fn computing_jobs_speed_up_only_with_cores() {
    let steps = test_support::kernel::steps_for(Duration::from_millis(60));
    SpeedupCheck::new("four computing jobs on threads")
        .pieces(JOBS)
        .run(
            || {
                run_sequentially(computing_jobs(&ThreadSet::new(), steps));
            },
            || {
                run_on_threads(computing_jobs(&ThreadSet::new(), steps));
            },
        );
    // Whatever the clock says: each job must have had a thread of its own.
    let fresh = ThreadSet::new();
    run_on_threads(computing_jobs(&fresh, 1_000));
    expect_at_least(
        "distinct threads that ran 4 computing jobs in one run",
        fresh.distinct(),
        JOBS,
    );
    assert!(
        !fresh.contains_current(),
        "the jobs ran on the test's own thread: spawn a thread for each job"
    );
}

#[test]
fn results_come_back_in_job_order() {
    // The first job finishes last, so the order of finishing is reversed.
    let jobs: Vec<Job<usize>> = (0..JOBS)
        .map(|i| {
            Box::new(move || {
                std::thread::sleep(Duration::from_millis(10 * (JOBS - i) as u64));
                i
            }) as Job<usize>
        })
        .collect();
    assert_eq!(
        run_on_threads(jobs),
        vec![0, 1, 2, 3],
        "results must be in the order of the jobs, not the order they finished"
    );
}

#[test]
fn no_jobs_no_threads() {
    assert_eq!(run_on_threads(Vec::<Job<u8>>::new()), Vec::<u8>::new());
}

#[test]
fn predictions_for_one_to_eight_cores() {
    // The model, not a measurement: deterministic, so it lives in a snapshot. Five
    // computing jobs on two cores: 250 ms on threads (each gets 40% of a core), three
    // rounds of 100 ms on a pool of two workers.
    let each = Duration::from_millis(100);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut table = String::from(
        "each job 100 ms      one thread per job      a pool of `cores` workers\n\
         jobs  cores        waiting  computing        waiting  computing\n",
    );
    for jobs in [0, 1, 4, 5, 6] {
        for cores in [0, 1, 2, 3, 4, 8] {
            let predict = |work, runner| ms(predict_total(work, runner, jobs, each, cores));
            table += &format!(
                "{jobs:>4}  {cores:>5}  {:>8.1} ms {:>7.1} ms    {:>8.1} ms {:>7.1} ms\n",
                predict(Work::Waits, Runner::ThreadPerJob),
                predict(Work::Computes, Runner::ThreadPerJob),
                predict(Work::Waits, Runner::WorkerPerCore),
                predict(Work::Computes, Runner::WorkerPerCore),
            );
        }
    }
    insta::assert_snapshot!(table);
}
