//! Tests for 09/01. Run them with `cargo xtask check 09/01`.

use ex09_01_amdahl::{AmdahlError, Job, ceiling, predicted_speedup, run, serial_fraction_from};
use std::time::Duration;
use test_support::report::{self, Outcome};
use test_support::timing::Sampler;
use test_support::{expect_at_least, kernel};

const FRACTIONS: [f64; 6] = [0.0, 0.05, 0.1, 0.25, 0.5, 1.0];
const CORES: [f64; 6] = [1.0, 2.0, 4.0, 8.0, 16.0, 64.0];

#[test]
fn predictions_for_a_range_of_jobs_and_machines() {
    // The law itself, not a measurement: deterministic, so it lives in a snapshot.
    let mut table =
        String::from("serial    1 core  2 cores  4 cores  8 cores 16 cores 64 cores  ceiling\n");
    for s in FRACTIONS {
        table += &format!("{:>5.0}%", s * 100.0);
        for n in CORES {
            table += &format!(" {:>7.2}x", predicted_speedup(s, n).expect("valid input"));
        }
        table += &format!(" {:>7.2}x\n", ceiling(s).expect("valid input"));
    }
    insta::assert_snapshot!(table);
}

#[test]
fn no_machine_beats_the_ceiling() {
    // Clock-free properties of the law, on a grid of inputs.
    let mut checked = 0;
    for i in 0..=20 {
        let s = i as f64 / 20.0;
        let top = ceiling(s).expect("valid input");
        let mut previous = 0.0;
        for n in [1.0, 1.5, 2.0, 3.0, 7.0, 100.0, 1e6] {
            let p = predicted_speedup(s, n).expect("valid input");
            assert!(
                p <= n + 1e-9 && p <= top + 1e-9,
                "serial {s}, {n} cores: predicted {p}x, but no job beats its number of cores \
                 ({n}) nor its ceiling ({top})"
            );
            assert!(
                p >= previous,
                "serial {s}: more cores must never predict less speedup ({previous} then {p})"
            );
            previous = p;
            if n > 1.0 && s > 0.0 {
                let back = serial_fraction_from(p, n).expect("valid input");
                assert!(
                    (back - s).abs() < 1e-9,
                    "serial_fraction_from({p}, {n}) gave {back}, but {s} predicts that speedup"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(
        predicted_speedup(0.25, 1.0),
        Ok(1.0),
        "one core never speeds anything up"
    );
    assert_eq!(
        ceiling(0.0),
        Ok(f64::INFINITY),
        "no serial part: no ceiling"
    );
    assert_eq!(
        serial_fraction_from(5.0, 4.0),
        Ok(0.0),
        "a superlinear measurement clamps to 0"
    );
    assert_eq!(
        serial_fraction_from(0.5, 4.0),
        Ok(1.0),
        "a measurement slower than one core (0.5x on 4 cores) clamps to a serial fraction \
         of 1, not above"
    );
    expect_at_least("predictions checked against the ceiling", checked, 21 * 7);
}

/// The error of `result`, or a failure in plain words if it is `Ok`.
#[track_caller]
fn error_of(call: &str, result: Result<f64, AmdahlError>) -> AmdahlError {
    match result {
        Ok(v) => {
            panic!("`{call}` should be an error (see the doc comment), but it returned Ok({v})")
        }
        Err(e) => e,
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let nan = f64::NAN;
    let cases = [
        ("predicted_speedup(1.5, 4)", predicted_speedup(1.5, 4.0)),
        ("predicted_speedup(-0.1, 4)", predicted_speedup(-0.1, 4.0)),
        ("predicted_speedup(NaN, 4)", predicted_speedup(nan, 4.0)),
        ("predicted_speedup(0.5, 0)", predicted_speedup(0.5, 0.0)),
        ("predicted_speedup(0.5, 0.5)", predicted_speedup(0.5, 0.5)),
        ("predicted_speedup(0.5, NaN)", predicted_speedup(0.5, nan)),
        ("ceiling(2)", ceiling(2.0)),
        ("ceiling(-0.1)", ceiling(-0.1)),
        ("ceiling(NaN)", ceiling(nan)),
        (
            "serial_fraction_from(1.5, 1)",
            serial_fraction_from(1.5, 1.0),
        ),
        (
            "serial_fraction_from(1.5, NaN)",
            serial_fraction_from(1.5, nan),
        ),
        ("serial_fraction_from(0, 4)", serial_fraction_from(0.0, 4.0)),
        (
            "serial_fraction_from(-2, 4)",
            serial_fraction_from(-2.0, 4.0),
        ),
        (
            "serial_fraction_from(NaN, 4)",
            serial_fraction_from(nan, 4.0),
        ),
    ];
    let mut table = String::new();
    for (call, result) in cases {
        table += &format!("{call}: {}\n", error_of(call, result));
    }
    // Two bad inputs at once: the first error of the doc comment is the one reported.
    let both = error_of("predicted_speedup(1.5, 0)", predicted_speedup(1.5, 0.0));
    assert_eq!(
        both,
        AmdahlError::SerialFraction(1.5),
        "`predicted_speedup(1.5, 0)`: both inputs are wrong, and the doc comment lists the \
         serial fraction first: check it first"
    );
    table += &format!("predicted_speedup(1.5, 0): {both}\n");
    let both = error_of("serial_fraction_from(0, 1)", serial_fraction_from(0.0, 1.0));
    assert_eq!(
        both,
        AmdahlError::Cores(1.0),
        "`serial_fraction_from(0, 1)`: both inputs are wrong, and the doc comment lists the \
         cores first: check them first"
    );
    table += &format!("serial_fraction_from(0, 1): {both}\n");
    insta::assert_snapshot!(table);
}

#[test]
fn your_prediction_matches_this_machine() {
    // A job that is 40% serial, run on 1 thread and on k threads in the same try.
    // The machine offers `capacity` cores' worth of spare CPU right now, measured with
    // the reference kernel just before and just after the job, so Amdahl predicts
    // between predicted_speedup(0.4, lower capacity) and predicted_speedup(0.4, higher
    // capacity); the measurement must land within 12% of that band.
    const SERIAL: f64 = 0.4;
    const TOLERANCE: f64 = 0.12;
    let check = "measured speedup of a 40%-serial job against your prediction";
    let k = test_support::cores().min(4);
    let on_idle_cores = predicted_speedup(SERIAL, k as f64).expect("valid input");
    if k < 2 {
        report::record(
            check,
            Outcome::NotChecked,
            "needs 2 cores, this machine has 1",
        );
        return;
    }
    let total = kernel::steps_for(Duration::from_millis(200));
    let job = Job {
        serial_steps: (total as f64 * SERIAL) as u64,
        parallel_steps: (total as f64 * (1.0 - SERIAL)) as u64,
    };
    run(job, k); // warm up
    if test_support::timing::defer(check) {
        return; // the grader's clock-free pass
    }
    struct Try {
        error: f64,
        measured: f64,
        low: f64,
        high: f64,
        capacity: f64,
    }
    let mut best: Option<Try> = None;
    let mut changed_during = 0;
    let mut sampler = Sampler::new(k);
    while sampler.tries() < 8 {
        // Only tries during which other programs were idle and the machine had room
        // for k threads count (see `Sampler`).
        let one_thread = || {
            std::hint::black_box(run(job, 1));
        };
        let k_threads = || {
            std::hint::black_box(run(job, k));
        };
        let Some(sample) = sampler.sample(one_thread, k_threads) else {
            continue;
        };
        let (lower, higher) = (
            sample.capacity(),
            sample.capacity_before.max(sample.capacity_after),
        );
        if higher - lower > 0.25 {
            changed_during += 1;
            continue; // the capacity changed during this try: it says nothing either way
        }
        let measured = sample.ratio();
        let low = predicted_speedup(SERIAL, lower).expect("valid input");
        let high = predicted_speedup(SERIAL, higher).expect("valid input");
        let error = if measured < low {
            (low - measured) / low
        } else if measured > high {
            (measured - high) / high
        } else {
            0.0
        };
        let capacity = (lower + higher) / 2.0;
        if best.as_ref().is_none_or(|b| error < b.error) {
            best = Some(Try {
                error,
                measured,
                low,
                high,
                capacity,
            });
        }
        if error <= TOLERANCE {
            break;
        }
    }
    let Some(t) = best else {
        report::record_timing(
            check,
            Outcome::NotChecked,
            &format!(
                "{}; on {k} idle cores you predict {on_idle_cores:.2}x",
                if sampler.skipped() == 0 {
                    format!(
                        "in all {changed_during} tries the spare capacity changed by more \
                         than 0.25x between before and after (are other programs busy?)"
                    )
                } else {
                    sampler.why_not()
                }
            ),
        );
        return;
    };
    let estimated = serial_fraction_from(t.measured, t.capacity).expect("valid input");
    let detail = format!(
        "measured {:.2}x on {k} threads, you predicted {:.2}x to {:.2}x (spare capacity \
         {:.2}x), off by {:.0}%, allowed {:.0}%; the measurement says the job is {:.0}% \
         serial",
        t.measured,
        t.low,
        t.high,
        t.capacity,
        t.error * 100.0,
        TOLERANCE * 100.0,
        estimated * 100.0
    );
    if t.error <= TOLERANCE {
        report::record_timing(check, Outcome::Passed, &detail);
    } else {
        report::record_timing(check, Outcome::Failed, &detail);
        panic!("Amdahl's law did not predict this machine: {detail}");
    }
}
