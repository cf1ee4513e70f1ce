//! The grader's command line on the real course: bad input, untouched exercises,
//! the solutions.

mod common;
use common::{redact, repo_root, tree, xtask};

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unknown_command_gets_one_line_and_exit_2() {
    let output = xtask().arg("chek").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.lines().count(), 1, "one line, got:\n{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn an_unknown_flag_gets_one_line_and_exit_2() {
    let output = xtask().args(["check", "--solution"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.lines().count(), 1, "one line, got:\n{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn an_unknown_selector_names_the_nearest_exercises() {
    let output = xtask().args(["check", "four_job"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.lines().count(), 1, "one line, got:\n{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn untouched_exercises_are_not_started_and_left_alone() {
    let exercises = repo_root().join("exercises");
    let before = tree(&exercises);
    let output = xtask().args(["check", "01"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit status must say not everything passed"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    insta::assert_snapshot!(redact(&stdout));
    assert!(
        tree(&exercises) == before,
        "`check` must never write into exercises/"
    );
}

#[test]
fn the_solutions_pass_the_same_tests() {
    let output = xtask()
        .args(["check", "--solutions", "01/01"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // A machine too busy to tell a spinning job from a waiting one makes this
    // exercise "not checked" (exit 1); anything else but a pass is a bug.
    let first = stdout.lines().next().unwrap_or_default();
    if first.contains(" not checked ") {
        assert!(stdout.contains("the machine is too busy"), "{stdout}");
        assert_eq!(output.status.code(), Some(1), "{stdout}");
    } else {
        assert!(
            first.starts_with("01/01 wait_or_compute        passed        4/4 tests"),
            "{stdout}"
        );
        assert!(stdout.contains("CPU share of a spinning job: "), "{stdout}");
        assert!(stdout.contains("1/1 exercises done"), "{stdout}");
        assert_eq!(output.status.code(), Some(0), "{stdout}");
    }
}
