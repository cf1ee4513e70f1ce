//! Tests for 13/02. Run them with `cargo xtask check 13/02`.
//!
//! Every test builds its own collector with generated log files. Three kinds of
//! checks:
//!
//! * **the report**: the table in a snapshot (a missing file and two malformed ones
//!   among them), the same report as the program that runs one file after the
//!   other, whatever order the files arrive in;
//! * **where each stage ran** (clock-free, read from the collector's probes): the
//!   waits through the async API and overlapping up to the collector's limit,
//!   never beyond; every parse on rayon's pool, on more than one thread, never on
//!   the runtime's threads;
//! * **how long it took**, against the one-by-one program in the same run: the
//!   whole program (waits and parsing), and the parsing alone (a speedup
//!   calibrated on this machine's spare cores).

use ex13_02_log_crunch::collector::{Fetch, Stats};
use ex13_02_log_crunch::log::{self, HEADER};
use ex13_02_log_crunch::one_by_one::crunch_one_by_one;
use ex13_02_log_crunch::{Collector, Report, Tally, crunch};
use std::sync::OnceLock;
use std::time::Duration;
use test_support::{
    Outcome, RatioCheck, SpeedupCheck, best_of, expect_at_least, expect_at_most, report,
};

const SERVICES: [&str; 4] = ["auth", "billing", "checkout", "search"];
const MESSAGES: [&str; 5] = [
    "request served",
    "cache miss, fetched again",
    "slow answer from the database",
    "payment retried",
    "session expired",
];

/// A deterministic log file: `lines` sealed lines with `rounds` rounds each, times
/// spread over the night (not in file order: the latest line of a service may be in
/// any file).
fn log_text(seed: u64, lines: usize, rounds: u32) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = format!("{HEADER}{rounds}\n");
    for _ in 0..lines {
        let r = next();
        let second = r % (6 * 3600);
        let time = format!(
            "2026-11-29T{:02}:{:02}:{:02}Z",
            second / 3600,
            second / 60 % 60,
            second % 60
        );
        let level = match (r >> 20) % 10 {
            0..=6 => "INFO",
            7 | 8 => "WARN",
            _ => "ERROR",
        };
        let service = SERVICES[(r >> 32) as usize % SERVICES.len()];
        let message = MESSAGES[(r >> 40) as usize % MESSAGES.len()];
        text += &log::sealed_line(rounds, &time, level, service, message);
        text.push('\n');
    }
    text
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:02}.log")).collect()
}

/// Seal rounds that make a file of `lines` lines take about `per_file` to parse
/// here, measured now (the machine's speed is not a constant).
fn rounds_for(per_file: Duration, lines: usize) -> u32 {
    static NS_PER_ROUND: OnceLock<f64> = OnceLock::new();
    let ns = *NS_PER_ROUND.get_or_init(|| {
        let took = best_of(3, || {
            for i in 0..20 {
                std::hint::black_box(log::seal(20_000, &format!("line {i}")));
            }
        });
        took.as_nanos() as f64 / (20.0 * 20_000.0)
    });
    let rounds = per_file.as_nanos() as f64 / lines as f64 / ns.max(0.01);
    (rounds as u32).clamp(100, log::MAX_ROUNDS)
}

/// The files of the report tests: eight names, one missing from the collector and
/// two malformed. Arrival waits from `wait_of(index)`, all eight in flight at once.
fn report_collector(wait_of: impl Fn(usize) -> Duration) -> (Collector, Vec<String>) {
    let names = names("app", 8);
    let mut builder = Collector::builder().max_in_flight(8);
    for (i, name) in names.iter().enumerate() {
        builder = builder.wait_for(name, wait_of(i));
        let mut text = log_text(i as u64 + 1, 40, 300);
        match i {
            // A line changed on the way: its seal no longer matches (line 7).
            2 => {
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                lines[6].push('!');
                text = lines.join("\n") + "\n";
            }
            // Never served: the collector answers NotFound.
            5 => continue,
            // A level the format does not have (line 12).
            6 => {
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let fields: Vec<&str> = lines[11].splitn(3, ' ').collect();
                lines[11] = format!("{} DEBUG {}", fields[0], fields[2]);
                text = lines.join("\n") + "\n";
            }
            _ => {}
        }
        builder = builder.file(name, text);
    }
    (builder.build(), names)
}

/// Later names arrive first: the order of arrival is the reverse of the names'.
fn reversed(i: usize) -> Duration {
    Duration::from_millis(2 + 5 * (7 - i as u64))
}

#[test]
fn the_report_table() {
    let (collector, names) = report_collector(reversed);
    let report = crunch(&collector, &names);
    let failed: Vec<&str> = report.errors.iter().map(|e| e.name()).collect();
    assert_eq!(
        failed,
        ["app-02.log", "app-05.log", "app-06.log"],
        "the files that failed, in the order of the names (they arrived in the reverse \
         order): a missing file and two malformed ones, each reported by its name"
    );
    assert_eq!(
        report.counted, 5,
        "the five good files must still be counted when others fail"
    );
    insta::assert_snapshot!(report.to_string());
}

#[test]
fn an_empty_list_is_an_empty_report() {
    let collector = Collector::builder().build();
    let report = crunch(&collector, &[]);
    assert_eq!(
        report,
        Report::default(),
        "no names: nothing counted, nothing failed"
    );
    assert_eq!(collector.stats().fetches, 0, "no names: nothing to fetch");
}

#[test]
fn merging_does_not_depend_on_the_order() {
    let tallies: Vec<Tally> = (1..=4)
        .map(|seed| log::parse(&log_text(seed, 30, 100)).expect("a good file"))
        .collect();
    let merged = |order: &[usize]| {
        let mut tally = Tally::default();
        for &i in order {
            tally.merge(tallies[i].clone());
        }
        tally
    };
    let forward = merged(&[0, 1, 2, 3]);
    let backward = merged(&[3, 2, 1, 0]);
    let shuffled = merged(&[2, 0, 3, 1]);
    assert_eq!(
        forward, backward,
        "merging the same files in the reverse order must give the same tally: the \
         files arrive in any order (add the counts; keep the later `latest`, not the \
         last one merged)"
    );
    assert_eq!(forward, shuffled, "and in any other order");
    let lines: u64 = forward.services.values().flat_map(|c| c.by_level).sum();
    assert_eq!(lines, 4 * 30, "every line of every file is counted once");
    let mut into_empty = Tally::default();
    into_empty.merge(tallies[0].clone());
    assert_eq!(
        into_empty, tallies[0],
        "merging into an empty tally gives the tally merged"
    );
}

#[test]
fn the_same_report_whatever_order_the_files_arrive_in() {
    let in_name_order = |i: usize| Duration::from_millis(2 + 5 * i as u64);
    let all_at_once = |_| Duration::from_millis(10);
    let (collector, names) = report_collector(in_name_order);
    let expected = crunch_one_by_one(&collector, &names);
    for (order, wait) in [
        (
            "in the order of the names",
            &in_name_order as &dyn Fn(usize) -> Duration,
        ),
        ("in the reverse order", &reversed),
        ("all at once", &all_at_once),
    ] {
        let (collector, names) = report_collector(wait);
        let report = crunch(&collector, &names);
        assert!(
            report == expected,
            "with the files arriving {order}, the report differs from the one-by-one \
             program's: the merge and the list of failures must not depend on the order \
             of arrival.\n--- one by one:\n{expected}--- crunch:\n{report}"
        );
    }
}

/// Asserts where each stage ran, from the collector's probes.
#[track_caller]
fn stages_ran_where_the_flowchart_says(stats: &Stats, files: usize, limit: usize) {
    let cores = test_support::cores();
    if stats.blocking_fetches > 0 {
        report::record(
            "the waits go through the async API",
            Outcome::Failed,
            &format!("{} blocking fetches", stats.blocking_fetches),
        );
        panic!(
            "{} of {} fetches went through `fetch_blocking`, which holds a thread for the \
             whole wait. The collector has an async API: the flowchart sends waits with an \
             async API to tokio tasks, thousands on a thread or two",
            stats.blocking_fetches, stats.fetches
        );
    }
    report::record(
        "the waits go through the async API",
        Outcome::Passed,
        "no blocking fetch",
    );
    expect_at_least(
        &format!("files fetched at once (the collector serves {limit})"),
        stats.most_in_flight,
        limit.min(files),
    );
    expect_at_most(
        "files fetched at once (the collector's `max_in_flight()`)",
        stats.most_in_flight,
        limit,
    );
    expect_at_most(
        &format!(
            "threads that waited for files ({cores} cores: a runtime needs one per core, \
             plus the thread that blocks on it)"
        ),
        stats.threads_that_waited,
        cores + 1,
    );
    let runtime_parsed = |detail: &str, message: String| -> ! {
        report::record("the runtime's threads never parse", Outcome::Failed, detail);
        panic!("{message}");
    };
    if stats.threads_that_did_both > 0 {
        runtime_parsed(
            &format!(
                "{} thread(s) waited and parsed",
                stats.threads_that_did_both
            ),
            format!(
                "{} thread(s) both waited for files and parsed them ({} of {} parses ran \
                 inside the tokio runtime): a parse computes for milliseconds, far more \
                 than the 100 µs between awaits that a runtime can afford, and no arrival \
                 is handled meanwhile. Hand each parse to rayon (`rayon::spawn`) and await \
                 a oneshot",
                stats.threads_that_did_both, stats.parses_in_runtime, stats.parses
            ),
        );
    }
    if stats.parses_in_runtime > 0 {
        runtime_parsed(
            &format!("{} parses inside the runtime", stats.parses_in_runtime),
            format!(
                "{} of {} parses ran inside the tokio runtime on threads that did not wait \
                 (its blocking pool, with `spawn_blocking`, or another worker): the \
                 blocking pool is for blocking calls and has up to 512 threads, more than \
                 cores for the same work. The flowchart sends computing to rayon, one \
                 thread per core: `rayon::spawn` and a oneshot",
                stats.parses_in_runtime, stats.parses
            ),
        );
    }
    report::record(
        "the runtime's threads never parse",
        Outcome::Passed,
        "every parse ran outside the runtime",
    );
    if stats.parses_off_rayon > 0 {
        report::record(
            "every parse runs on rayon's pool",
            Outcome::Failed,
            &format!("{} parses elsewhere", stats.parses_off_rayon),
        );
        panic!(
            "{} of {} parses ran outside rayon's pool: the flowchart sends computing to \
             rayon, one thread per core (a thread per file, or tokio's blocking pool of up \
             to 512 threads, puts more threads than cores on the same work)",
            stats.parses_off_rayon, stats.parses
        );
    }
    report::record(
        "every parse runs on rayon's pool",
        Outcome::Passed,
        "all of them",
    );
    expect_at_least(
        "threads that parsed files (rayon spreads them over the cores)",
        stats.threads_that_parsed,
        cores.min(2),
    );
}

#[test]
fn each_stage_runs_where_the_flowchart_says() {
    let names = names("night", 12);
    let rounds = rounds_for(Duration::from_millis(4), 40);
    let mut builder = Collector::builder()
        .wait(Duration::from_millis(20))
        .max_in_flight(4);
    for (i, name) in names.iter().enumerate() {
        builder = builder.file(name, log_text(100 + i as u64, 40, rounds));
    }
    let collector = builder.build();
    let report = crunch(&collector, &names);
    assert_eq!(
        report.counted, 12,
        "all twelve files are good: count them all"
    );
    let stats = collector.stats();
    assert_eq!(stats.fetches, 12, "fetch each file exactly once");
    assert_eq!(stats.parses, 12, "parse each file exactly once");
    stages_ran_where_the_flowchart_says(&stats, names.len(), 4);
}

#[test]
fn a_slow_file_holds_up_no_other() {
    // Two places at the collector; one file takes 250 ms to arrive, the seven others
    // 5 ms each. While the slow one waits, the other place serves the seven, one
    // after the other (35 ms): none is left to start when the slow one ends. Shares
    // dealt out up front (a lane per place, each fetching its own list) leave the
    // slow file's lane with files still to fetch, while the other lane is done.
    let names = names("queue", 8);
    let mut builder = Collector::builder()
        .wait(Duration::from_millis(5))
        .wait_for(&names[0], Duration::from_millis(250))
        .max_in_flight(2);
    for (i, name) in names.iter().enumerate() {
        builder = builder.file(name, log_text(200 + i as u64, 10, 100));
    }
    let collector = builder.build();
    let report = crunch(&collector, &names);
    assert_eq!(
        report.counted, 8,
        "all eight files are good: count them all"
    );
    let log = collector.fetch_log();
    let slow_ended = log
        .iter()
        .position(|step| *step == Fetch::Ended(names[0].clone()))
        .expect("the slow file was fetched");
    let late: Vec<&str> = log[slow_ended..]
        .iter()
        .filter_map(|step| match step {
            Fetch::Started(name) => Some(name.as_str()),
            Fetch::Ended(_) => None,
        })
        .collect();
    if !late.is_empty() {
        report::record(
            "a slow file holds up no other",
            Outcome::Failed,
            &format!("{} fetches started after it", late.len()),
        );
        panic!(
            "{late:?} started only after the slow {:?} (250 ms) had arrived, although the \
             other place at the collector was free after 5 ms: each file must take the next \
             free place (one task per file, and a permit of a `Semaphore` of \
             `max_in_flight()` held only around its fetch), not wait in a share of the \
             names dealt out in advance",
            names[0]
        );
    }
    report::record(
        "a slow file holds up no other",
        Outcome::Passed,
        "every other file started while it waited",
    );
    expect_at_most(
        "files fetched at once (the collector's `max_in_flight()`)",
        collector.stats().most_in_flight,
        2,
    );
}

/// Two collectors with the same files: one for the one-by-one program, one for
/// yours (whose probes are then checked).
fn twin_collectors(
    files: usize,
    wait: Duration,
    per_file: Duration,
    limit: usize,
) -> (Collector, Collector, Vec<String>) {
    let names = names("big", files);
    let lines = 100;
    let rounds = rounds_for(per_file, lines);
    // Sealing a file costs as much as parsing it: three texts, served in turn.
    let texts: Vec<String> = (0..3).map(|i| log_text(1000 + i, lines, rounds)).collect();
    let mut builder = Collector::builder().wait(wait).max_in_flight(limit);
    for (i, name) in names.iter().enumerate() {
        builder = builder.file(name, texts[i % texts.len()].clone());
    }
    (builder.clone().build(), builder.build(), names)
}

#[test]
fn the_whole_program_against_one_file_after_the_other() {
    // 12 files that each wait 30 ms and parse for about 12 ms, 4 fetches at once.
    // One by one: 12 x 42 ms. Waits overlapped and parses on the cores: about 3
    // rounds of waits, the parsing spread behind them (2.5x is reached on one core).
    let (one_by_one, yours, names) =
        twin_collectors(12, Duration::from_millis(30), Duration::from_millis(12), 4);
    let (mut expected, mut reports) = (Vec::new(), Vec::new());
    RatioCheck::new(
        "12 files (30 ms waits, 12 ms parses) against one after the other",
        2.5,
    )
    .quiet_only()
    .run(
        || expected.push(crunch_one_by_one(&one_by_one, &names)),
        || reports.push(crunch(&yours, &names)),
    );
    assert!(
        reports.iter().all(|r| *r == expected[0]),
        "the report must be the one-by-one program's"
    );
    stages_ran_where_the_flowchart_says(&yours.stats(), names.len(), 4);
}

#[test]
fn the_parsing_alone_spreads_over_the_cores() {
    // No waits: 12 parses of about 15 ms, the computing alone.
    let (one_by_one, yours, names) =
        twin_collectors(12, Duration::ZERO, Duration::from_millis(15), 4);
    SpeedupCheck::new("parsing 12 files (15 ms each) against one after the other")
        .pieces(names.len())
        .run(
            || drop(crunch_one_by_one(&one_by_one, &names)),
            || drop(crunch(&yours, &names)),
        );
    let stats = yours.stats();
    assert_eq!(stats.parses_off_rayon, 0, "every parse on rayon's pool");
    expect_at_least(
        "threads that parsed files (rayon spreads them over the cores)",
        stats.threads_that_parsed,
        test_support::cores().min(2),
    );
}
