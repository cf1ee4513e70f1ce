//! Tests for 13/01. Run them with `cargo xtask check 13/01`.
//!
//! The first test holds your flowchart in a snapshot. The others take one small
//! program each, run it under the model you chose (the given runner does it for
//! real) and hold it to a target measured in the same run: a speedup over one item
//! after the other, and a cost (threads used, a runtime that never computes).

use ex13_01_pick_the_model::run::{Run, run};
use ex13_01_pick_the_model::{Model, Program, choose};
use std::time::Duration;
use test_support::{Outcome, SpeedupCheck, expect_at_least, expect_at_most, report, time};

fn program(name: &str, items: usize, wait_us: u64, compute_us: u64, blocking_api: bool) -> Program {
    Program {
        name: name.to_string(),
        items,
        wait: Duration::from_micros(wait_us),
        compute: Duration::from_micros(compute_us),
        blocking_api,
    }
}

/// 2^32 items (`usize::MAX` where a `usize` has 32 bits).
const TWO_TO_THE_32: usize = if usize::BITS > 32 {
    1 << (32 % usize::BITS)
} else {
    usize::MAX
};

#[test]
fn the_flowchart_as_a_table() {
    let programs = [
        program("nothing to do", 0, 0, 0, false),
        program("50 tiny sums", 50, 0, 10, false),
        program("just under 1 ms in all", 1, 500, 499, false),
        program("exactly 1 ms in all", 1, 500, 500, false),
        program("render 8 tiles", 8, 0, 40_000, false),
        program("waits of 0.9 ms, then computing", 100, 900, 5_000, false),
        program("compute-only, blocking API", 10, 0, 20_000, true),
        program("ping 200 servers", 200, 20_000, 10, false),
        program("ping, 99 us of parsing each", 200, 20_000, 99, false),
        program("ping, 100 us of parsing each", 200, 20_000, 100, false),
        program("16 legacy database queries", 16, 30_000, 0, true),
        program("legacy queries with heavy parsing", 16, 30_000, 5_000, true),
        program("download and resize 8 photos", 8, 40_000, 10_000, false),
        program("a million items", 1_000_000, 1_000, 0, false),
        program("usize::MAX items", usize::MAX, 1, 1, false),
        // Every item's wait counts: 20 x 100 us is 2 ms of work in all.
        program("20 short waits of 100 us", 20, 100, 0, false),
        // More items than a u32 holds: converting with `as u32` would count 0.
        program("2^32 items", TWO_TO_THE_32, 1, 1, false),
    ];
    let mut table = String::from(
        "program                              items     wait    compute  blocking  model\n",
    );
    for p in &programs {
        table += &format!(
            "{:<36} {:>7} {:>8?} {:>10?} {:>9}  {:?}\n",
            p.name,
            if p.items == usize::MAX {
                "max".to_string()
            } else if p.items == TWO_TO_THE_32 {
                "2^32".to_string()
            } else {
                p.items.to_string()
            },
            p.wait,
            p.compute,
            p.blocking_api,
            choose(p)
        );
    }
    let too_many = run(Model::Threads, &program("5000 threads", 5_000, 0, 0, true))
        .expect_err("the runner must refuse 5000 threads");
    table += &format!("\nrunning 5000 items on threads: {too_many}\n");
    insta::assert_snapshot!(table);
}

/// Holds a measured figure to a target, reports it, and fails in plain words.
#[track_caller]
fn target(what: &str, measured: f64, needed: f64, hint: &str) {
    let detail = format!("{measured:.2}x faster, needed {needed:.2}x");
    if measured >= needed {
        report::record_figure(what, Outcome::Passed, &detail, measured, needed);
    } else {
        report::record_figure(what, Outcome::Failed, &detail, measured, needed);
        panic!("{what}: {detail}. {hint}");
    }
}

/// The best of `tries` speedups of `model` over one item after the other. The
/// sequential time comes from `sample` items measured in the same try and scaled to
/// the whole program (a sequential run of every item would take seconds).
fn speedup(p: &Program, model: Model, sample: usize, tries: usize, needed: f64) -> (f64, Run) {
    let sampled = Program {
        items: sample,
        ..p.clone()
    };
    let mut best = 0.0f64;
    let mut last = None;
    for _ in 0..tries {
        let seq = time(|| drop(run(Model::Sequential, &sampled).expect("a valid program")));
        let mut outcome = None;
        let took = time(|| outcome = Some(run(model, p).expect("a valid program")));
        let seq = seq.as_secs_f64() * p.items as f64 / sample as f64;
        best = best.max(seq / took.as_secs_f64().max(1e-9));
        last = outcome;
        if best >= needed {
            break;
        }
    }
    (best, last.expect("at least one try"))
}

#[test]
fn two_hundred_pings() {
    // Waits only, with an async API: 200 waits of 20 ms.
    let p = program("ping 200 servers", 200, 20_000, 0, false);
    let model = choose(&p);
    let (measured, outcome) = speedup(&p, model, 10, 3, 20.0);
    target(
        &format!("200 pings under {model:?}, against one after the other"),
        measured,
        20.0,
        "200 waits that overlap take about one wait: pick a model that overlaps waits",
    );
    // Cost: 200 waits need no more than one thread (plus one spare).
    expect_at_most(
        &format!("threads used by 200 pings under {model:?}"),
        outcome.threads,
        2,
    );
}

#[test]
fn four_tiles_to_render() {
    // Computing only: 4 tiles of 40 ms, no waits.
    let p = program("render 4 tiles", 4, 0, 40_000, false);
    let model = choose(&p);
    SpeedupCheck::new(format!("4 tiles under {model:?}"))
        .pieces(p.items)
        .run(
            || drop(run(Model::Sequential, &p).expect("a valid program")),
            || drop(run(model, &p).expect("a valid program")),
        );
    let outcome = run(model, &p).expect("a valid program");
    let cores = test_support::cores();
    expect_at_least(
        &format!("threads that rendered tiles under {model:?}"),
        outcome.threads,
        cores.min(2),
    );
    // Cost: computing gains nothing from more threads than cores.
    expect_at_most(
        &format!("threads used under {model:?} ({cores} cores)"),
        outcome.threads,
        cores,
    );
}

#[test]
fn sixteen_legacy_queries() {
    // Waits only, through a blocking API: 16 waits of 30 ms that must block a thread.
    let p = program("16 legacy database queries", 16, 30_000, 0, true);
    let model = choose(&p);
    let (measured, _) = speedup(&p, model, 16, 3, 8.0);
    target(
        &format!("16 blocking queries under {model:?}, against one after the other"),
        measured,
        8.0,
        "a blocking call holds its thread while it waits: only a thread per query \
         overlaps all 16 (an async runtime would be blocked, a pool of one thread per \
         core overlaps only that many)",
    );
}

#[test]
fn eight_photos_to_download_and_resize() {
    // Both: each item waits 40 ms (async API), then computes 10 ms.
    let p = program("download and resize 8 photos", 8, 40_000, 10_000, false);
    let model = choose(&p);
    let (measured, outcome) = speedup(&p, model, 8, 3, 2.5);
    target(
        &format!("8 photos under {model:?}, against one after the other"),
        measured,
        2.5,
        "the waits must overlap, and the computing must not wait for the waits",
    );
    let cores = test_support::cores();
    expect_at_most(
        &format!("threads used under {model:?} ({cores} cores, plus one for the waits)"),
        outcome.threads,
        cores + 1,
    );
    if outcome.computed_on_runtime {
        report::record(
            "the runtime's thread never computes",
            Outcome::Failed,
            "it computed",
        );
        panic!(
            "under {model:?} the 10 ms computations ran on the async runtime's thread, \
             so no wait could start or end meanwhile: hand them to rayon"
        );
    }
    report::record(
        "the runtime's thread never computes",
        Outcome::Passed,
        "it only waited",
    );
}

#[test]
fn fifty_tiny_sums() {
    // 50 items of 10 us: half a millisecond in all, not worth a thread.
    let p = program("50 tiny sums", 50, 0, 10, false);
    let model = choose(&p);
    let outcome = run(model, &p).expect("a valid program");
    assert_eq!(outcome.results.len(), 50, "one result per item");
    expect_at_most(
        &format!("threads used for 0.5 ms of work under {model:?}"),
        outcome.threads,
        1,
    );
}
