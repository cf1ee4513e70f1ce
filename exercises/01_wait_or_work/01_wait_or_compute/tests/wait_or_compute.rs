//! Tests for 01/01. Run them with `cargo xtask check 01/01`.

use ex01_01_wait_or_compute::{Kind, Profile, classify, profile};
use std::time::Duration;
use test_support::{ThreadSet, spin};

/// About how many `spin` steps fill `target` of CPU time on this machine.
fn steps_for(target: Duration) -> u64 {
    test_support::kernel::steps_for(target)
}

#[test]
fn a_sleeping_job_waits() {
    // Sleeping takes wall time but (almost) no CPU time.
    let p = profile(|| std::thread::sleep(Duration::from_millis(120)));
    assert!(
        p.wall >= Duration::from_millis(120),
        "the job slept 120 ms, but `profile` measured a wall time of only {:?}: \
         read the wall clock before the job runs and after it returns",
        p.wall
    );
    assert!(
        p.cpu * 5 < p.wall,
        "a sleeping job should use far less CPU than wall time, but `profile` measured \
         cpu {:?} for wall {:?}: is `cpu` read from `thread_cpu_time()`?",
        p.cpu,
        p.wall
    );
    assert_eq!(
        classify(p.wall, p.cpu),
        Kind::Waits,
        "a job that sleeps waits"
    );
}

#[test]
fn a_spinning_job_computes() {
    let steps = steps_for(Duration::from_millis(120));
    // Another busy program can steal the CPU for a while, so keep the best of three.
    let best = (0..3)
        .map(|_| {
            profile(|| {
                spin(steps);
            })
        })
        .max_by(|a, b| {
            let share = |p: &Profile| p.cpu.as_secs_f64() / p.wall.as_secs_f64().max(1e-9);
            share(a).total_cmp(&share(b))
        })
        .unwrap();
    let share = best.cpu.as_secs_f64() / best.wall.as_secs_f64().max(1e-9);
    assert!(
        share > 0.5,
        "a spinning job should be on the CPU most of its wall time, but `profile` measured \
         cpu {:?} for wall {:?} ({:.0}%)",
        best.cpu,
        best.wall,
        share * 100.0
    );
    test_support::report::record_figure(
        "CPU share of a spinning job",
        test_support::Outcome::Passed,
        &format!("{:.0}% on the CPU, needed more than 50%", share * 100.0),
        share,
        0.5,
    );
    assert_eq!(
        classify(best.wall, best.cpu),
        Kind::Computes,
        "a job that spins computes"
    );
}

#[test]
fn profile_runs_the_job_once_on_the_calling_thread() {
    // The thread CPU clock only sees the calling thread, so the job must run there.
    let threads = ThreadSet::new();
    let mut runs = 0;
    profile(|| {
        threads.record();
        runs += 1;
    });
    assert_eq!(runs, 1, "`profile` must run the job exactly once");
    assert!(
        threads.contains_current(),
        "`profile` must run the job on the calling thread: the thread CPU clock only \
         sees that thread"
    );
}

#[test]
fn classification_table() {
    // Deterministic by construction: synthetic profiles, no clock involved.
    let ms = Duration::from_millis;
    let cases = [
        ("sleep 100 ms", ms(100), ms(0)),
        ("read a socket", ms(250), ms(12)),
        ("parse a small file", ms(40), ms(19)),
        ("exactly half", ms(100), ms(50)),
        ("hash a large file", ms(300), ms(290)),
        ("busy loop", ms(100), ms(100)),
        ("nothing at all", ms(0), ms(0)),
    ];
    let mut table = String::from("job                  wall    cpu     kind\n");
    for (name, wall, cpu) in cases {
        let kind = classify(wall, cpu);
        table += &format!(
            "{name:<20} {:>4} ms {:>4} ms {kind:?}\n",
            wall.as_millis(),
            cpu.as_millis()
        );
    }
    insta::assert_snapshot!(table);
}
