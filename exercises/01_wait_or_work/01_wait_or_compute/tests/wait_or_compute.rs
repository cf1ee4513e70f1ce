//! Tests for 01/01. Run them with `cargo xtask check 01/01`.

use ex01_01_wait_or_compute::{Kind, Profile, classify, profile, thread_cpu_time};
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
    let share = |wall: Duration, cpu: Duration| cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9);
    // On a busy machine a spinning thread also waits, for a core. So each try first
    // measures the same job itself (the reference), then with `profile`, and keeps
    // the try where `profile` saw the largest CPU share.
    let mut best: Option<(Profile, f64)> = None;
    let mut busy = 0;
    for _ in 0..5 {
        // A try counts only if other programs left the cores alone while it ran: a
        // load that comes and goes could slow `profile`'s run and not the reference.
        let window = test_support::load::Window::start();
        let (wall_start, cpu_start) = (std::time::Instant::now(), thread_cpu_time());
        spin(steps);
        let (reference_wall, reference_cpu) = (wall_start.elapsed(), thread_cpu_time() - cpu_start);
        let reference = share(reference_wall, reference_cpu);
        let p = profile(|| {
            spin(steps);
        });
        // CPU time barely depends on load: `profile` must see about what the
        // reference saw (this catches a wall clock used as the CPU clock, too).
        assert!(
            p.cpu.as_secs_f64() > reference_cpu.as_secs_f64() * 0.6,
            "the job used about {reference_cpu:?} of CPU time, but `profile` measured only {:?}",
            p.cpu
        );
        // The grader's clock-free pass stops here, after one try's CPU-time check.
        if test_support::timing::defer("CPU share of a spinning job") {
            return;
        }
        if window
            .foreign_cores()
            .is_some_and(|f| f > test_support::load::MAX_FOREIGN_LOAD)
        {
            busy += 1;
            continue;
        }
        if best.is_none_or(|(b, _)| share(p.wall, p.cpu) > share(b.wall, b.cpu)) {
            best = Some((p, reference));
        }
        if share(p.wall, p.cpu) >= 0.5 {
            break;
        }
    }
    let Some((best, reference)) = best else {
        test_support::report::record_timing(
            "CPU share of a spinning job",
            test_support::Outcome::NotChecked,
            &format!(
                "the machine is too busy: in all {busy} tries other programs kept more \
                 than {:.2} of a core busy (run it again when they are idle)",
                test_support::load::MAX_FOREIGN_LOAD
            ),
        );
        return;
    };
    let measured = share(best.wall, best.cpu);
    // The spec: a job computes when its CPU time is at least half of its wall time.
    if measured < 0.5 && reference < 0.75 {
        // Even the reference got less than 75% of a core: the machine is too busy to
        // tell a spinning job from a waiting one. Say so; never pass or fail on it.
        test_support::report::record_timing(
            "CPU share of a spinning job",
            test_support::Outcome::NotChecked,
            &format!(
                "the machine is too busy: even the test's own spinning job got only {:.0}% of a core",
                reference * 100.0
            ),
        );
        return;
    }
    let outcome = if measured >= 0.5 {
        test_support::Outcome::Passed
    } else {
        test_support::Outcome::Failed
    };
    // A share of wall-clock time: a timing claim (its figure depends on the load).
    test_support::report::record_measured(
        "CPU share of a spinning job",
        outcome,
        &format!(
            "on the CPU for {:.1}% of its wall time ({} ms of CPU in {} ms), needed at least 50% (half)",
            measured * 100.0,
            best.cpu.as_millis(),
            best.wall.as_millis()
        ),
        measured,
        0.5,
        None,
    );
    assert!(
        measured >= 0.5,
        "a spinning job should be on the CPU at least half of its wall time, but `profile` measured \
         cpu {:?} for wall {:?} ({:.0}%), while the same job measured by the test was on the \
         CPU {:.0}% of the time",
        best.cpu,
        best.wall,
        measured * 100.0,
        reference * 100.0
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
fn classify_at_the_edges() {
    // Deterministic: synthetic profiles a nanosecond either side of the rules.
    let (ms, ns) = (Duration::from_millis, Duration::from_nanos);
    assert_eq!(
        classify(Duration::ZERO, ms(1)),
        Kind::Waits,
        "`classify` said a job with no wall time but 1 ms of CPU time computes; a job that \
         took no wall time at all waits, whatever the CPU clock says (the two clocks are read \
         at different instants): check for a zero `wall` before you divide or compare"
    );
    assert_eq!(
        classify(ms(100) + ns(1), ms(50)),
        Kind::Waits,
        "`classify` said 50 ms of CPU in 100.000001 ms of wall time computes, but that is just \
         under half, so the job waits: compare the exact durations (`cpu * 2 >= wall`), not \
         whole milliseconds or a halved wall time, which round the boundary away"
    );
    assert_eq!(
        classify(ms(100) + ns(1), ms(50) + ns(1)),
        Kind::Computes,
        "`classify` said 50.000001 ms of CPU in 100.000001 ms of wall time waits, but that is \
         more than half, so the job computes"
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
