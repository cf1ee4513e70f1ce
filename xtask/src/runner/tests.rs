use super::compile::first_error;
use super::libtest::{TestRun, failure_message, parse_libtest};
use super::status::judge;
use super::*;

const FAILED_OUTPUT: &str = "
running 3 tests
test a_sleeping_job_waits ... FAILED
test classification_table ... FAILED
test quick ... ok

failures:

---- a_sleeping_job_waits stdout ----

thread 'a_sleeping_job_waits' (5359) panicked at src/lib.rs:39:5:
not yet implemented: measure the job's wall-clock and CPU time
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- classification_table stdout ----
-old snapshot
+new results
────────────┬──────────
1       │-sleep 100 ms  Waits
      1 │+sleep 100 ms  Computes
────────────┴──────────

thread 'classification_table' (5360) panicked at /x/insta/src/runtime.rs:1:1:
snapshot assertion for 'classification_table' failed in line 96

failures:
a_sleeping_job_waits
classification_table

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.08s
";

#[test]
fn a_panic_in_the_learners_code_says_where() {
    let lines = [
        "thread 'sums' (7) panicked at /tmp/x/solutions/01/src/lib.rs:56:17:",
        "attempt to add with overflow",
    ];
    assert_eq!(
        failure_message("sums", &lines),
        "attempt to add with overflow (at src/lib.rs:56:17)"
    );
    // The tests' own assertion: its message says it all.
    let lines = [
        "thread 'sums' (7) panicked at tests/sums.rs:9:5:",
        "expected 3, got 4",
    ];
    assert_eq!(failure_message("sums", &lines), "expected 3, got 4");
}

#[test]
fn a_snapshot_mismatch_shows_the_header_and_the_lines_that_differ() {
    let lines = [
        "-old snapshot",
        "+new results",
        "────────────┬──────────",
        "    0     0 │ threads  counts",
        "    1       │-      1  [0]",
        "          1 │+      1  [1]",
        "────────────┴──────────",
        "thread 't' (1) panicked at /x/insta/src/runtime.rs:1:1:",
        "snapshot assertion for 't' failed in line 9",
    ];
    assert_eq!(
        failure_message("t", &lines),
        "the output differs from the expected snapshot (fix the code, not the snapshot):\n   \
         threads  counts\n-        1  [0]    <- expected\n+        1  [1]    <- got"
    );
}

#[test]
fn reads_results_and_failure_messages() {
    let mut run = TestRun::default();
    parse_libtest(FAILED_OUTPUT, &mut run);
    assert_eq!(run.results.len(), 3);
    assert_eq!(run.passed(), 1);
    assert_eq!(
        run.failures["a_sleeping_job_waits"],
        "not yet implemented: measure the job's wall-clock and CPU time"
    );
    assert_eq!(
        run.failures["classification_table"],
        "the output differs from the expected snapshot (fix the code, not the snapshot):\n\
         -  sleep 100 ms  Waits    <- expected\n\
         +  sleep 100 ms  Computes    <- got"
    );
    assert_eq!(run.unfinished, None);
    let status = judge(&run, &[], Duration::from_secs(1));
    assert_eq!(
        status,
        Status::Failed {
            test: "classification_table".into(),
            message: run.failures["classification_table"].clone()
        }
    );
}

#[test]
fn only_todos_means_not_started() {
    let mut run = TestRun::default();
    parse_libtest(&FAILED_OUTPUT.replace("test quick ... ok\n", ""), &mut run);
    run.failures
        .insert("classification_table".into(), "not yet implemented".into());
    assert_eq!(
        judge(&run, &[], Duration::from_secs(1)),
        Status::NotStarted {
            todo: "measure the job's wall-clock and CPU time".into()
        }
    );
}

#[test]
fn an_unfinished_test_is_named_on_timeout() {
    let mut run = TestRun::default();
    parse_libtest(
        "running 2 tests\ntest fast ... ok\ntest stuck ...",
        &mut run,
    );
    run.timed_out = true;
    assert_eq!(
        judge(&run, &[], Duration::from_secs(5)),
        Status::TimedOut {
            limit: Duration::from_secs(5),
            test: Some("stuck".into())
        }
    );
}

#[test]
fn a_report_written_by_the_tests_reads_back_as_the_same_record() {
    // The contract between test-support (which writes) and the grader (which
    // reads): one type, written by hand without serde, read with serde.
    for record in [
        Report {
            test: "a \"quoted\" test\\name".into(),
            check: "speedup\nwith a newline and \u{1} a control".into(),
            outcome: Outcome::Passed,
            detail: "speedup 1.81x, needed 1.49x on 2 cores (spare capacity 1.98x)".into(),
            measured: Some(1.8123456789),
            needed: Some(1.49),
            capacity: Some(1.98),
            timing: true,
        },
        Report {
            test: "t".into(),
            check: "jobs in flight at once".into(),
            outcome: Outcome::Failed,
            detail: "1, needed at least 4".into(),
            measured: Some(1.0),
            needed: Some(4.0),
            capacity: None,
            timing: false,
        },
        Report {
            test: "t".into(),
            check: "c".into(),
            outcome: Outcome::NotChecked,
            detail: "needs 2 cores, this machine has 1".into(),
            measured: None,
            needed: None,
            capacity: None,
            timing: false,
        },
    ] {
        let line = record.to_json_line();
        assert!(
            line.ends_with('\n') && !line.trim_end().contains('\n'),
            "{line}"
        );
        let back: Report = serde_json::from_str(&line).expect(&line);
        assert_eq!(back, record);
    }
}

#[test]
fn an_unreadable_report_line_is_a_failed_check() {
    let dir = std::env::temp_dir().join(format!("wow-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.jsonl");
    std::fs::write(&path, "{\"check\":\"x\",\"outcome\":\"passed\"\n").unwrap();
    let reports = read_reports(&path);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, Outcome::Failed);
}

#[test]
fn a_clock_free_failure_is_shown_before_a_timing_one() {
    let mut run = TestRun::default();
    parse_libtest(
        "test a_speedup ... FAILED\ntest b_in_flight ... FAILED\n\nfailures:\n\n\
         ---- a_speedup stdout ----\nspeedup 1.00x, needed 1.45x\n\n\
         ---- b_in_flight stdout ----\nexpected at least 4 chunks in flight at once, but saw 1\n\n",
        &mut run,
    );
    let report = |test: &str, timing| Report {
        test: test.into(),
        check: "c".into(),
        outcome: Outcome::Failed,
        detail: "d".into(),
        measured: None,
        needed: None,
        capacity: None,
        timing,
    };
    let reports = vec![report("a_speedup", true), report("b_in_flight", false)];
    match judge(&run, &reports, Duration::from_secs(5)) {
        Status::Failed { test, .. } => assert_eq!(test, "b_in_flight"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn not_checked_is_not_a_pass() {
    let mut run = TestRun::default();
    parse_libtest("test speedup ... ok\n", &mut run);
    let reports = vec![Report {
        check: "four jobs".into(),
        test: "speedup".into(),
        outcome: Outcome::NotChecked,
        detail: "needs 2 cores, this machine has 1".into(),
        measured: None,
        needed: None,
        capacity: None,
        timing: false,
    }];
    let status = judge(&run, &reports, Duration::from_secs(5));
    assert!(!status.is_pass());
    assert_eq!(status.label(), "not checked");
}

#[test]
fn first_error_keeps_the_location() {
    let rendered = "error[E0308]: mismatched types\n  --> src/lib.rs:10:5\n   |\n";
    assert_eq!(
        first_error(rendered),
        "error[E0308]: mismatched types (src/lib.rs:10:5)"
    );
}
