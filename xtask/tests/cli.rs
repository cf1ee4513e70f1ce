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
        // Passed, with every test of the exercise (however many it has).
        let passed = first
            .strip_prefix("01/01 wait_or_compute")
            .and_then(|rest| rest.trim_start().strip_prefix("passed"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|count| count.split_once('/'));
        assert!(
            matches!(passed, Some((ran, all)) if ran == all && ran != "0"),
            "{stdout}"
        );
        assert!(stdout.contains("CPU share of a spinning job: "), "{stdout}");
        assert!(stdout.contains("1/1 exercises done"), "{stdout}");
        assert_eq!(output.status.code(), Some(0), "{stdout}");
    }
}

/// A copy of the course's exercises (no build needed: a modified exercise is reported
/// before anything compiles), in a git repository of its own, as a learner's clone.
fn course_copy(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wow-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(repo_root().join(file), dir.join(file)).unwrap();
    }
    for folder in ["exercises", "solutions"] {
        let status = std::process::Command::new("cp")
            .args(["-r"])
            .arg(repo_root().join(folder))
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "shipped"]);
    dir
}

#[test]
fn changed_given_code_in_the_learners_file_is_modified_never_passed() {
    // The shortcut: the learner's own file also holds the given baseline a speedup is
    // measured against; making it slower would make any answer look fast.
    let course = course_copy("given");
    let exercise = course.join("exercises/01_wait_or_work/02_four_jobs");
    let lib = exercise.join("src/lib.rs");
    let solved =
        std::fs::read_to_string(course.join("solutions/01_wait_or_work/02_four_jobs/src/lib.rs"))
            .unwrap();
    // Reformatted and commented given code is still the course's ...
    let reformatted = solved.replace(
        "jobs.into_iter().map(|job| job()).collect()",
        "// one after the other\n    jobs.into_iter()\n        .map(|job| job())\n        .collect()",
    );
    assert_ne!(reformatted, solved);
    std::fs::write(&lib, &reformatted).unwrap();
    let output = xtask()
        .args(["check", "01/02"])
        .env("WOW_COURSE_ROOT", &course)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Compared before anything is compiled (this copy has no tool to build, so it
    // stops at "compile error"): what matters is that it is not "modified".
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("01/02 four_jobs") && !first.contains("modified"),
        "{stdout}"
    );
    // ... changed given code is not.
    let slower = solved.replace(
        "jobs.into_iter().map(|job| job()).collect()",
        "std::thread::sleep(std::time::Duration::from_millis(500));\n    \
         jobs.into_iter().map(|job| job()).collect()",
    );
    std::fs::write(&lib, slower).unwrap();
    let output = xtask()
        .args(["check", "01/02"])
        .env("WOW_COURSE_ROOT", &course)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("01/02 four_jobs              modified"),
        "{stdout}"
    );
    assert!(
        stdout.contains("src/lib.rs (given `fn run_sequentially` changed)"),
        "{stdout}"
    );
    assert!(stdout.contains("cargo xtask reset 01/02"), "{stdout}");
    let _ = std::fs::remove_dir_all(&course);
}

#[test]
fn a_replaced_test_or_snapshot_is_modified_never_passed_and_reset_restores_it() {
    let course = course_copy("modified");
    let exercise = course.join("exercises/02_cores_and_threads/01_spawn_workers");
    let test = exercise.join("tests/spawn_workers.rs");
    let shipped_test = std::fs::read(&test).unwrap();
    // The shortcut a learner tried: an empty test instead of the course's.
    std::fs::write(&test, "#[test]\nfn ok() {}\n").unwrap();
    std::fs::write(exercise.join("tests/mine.rs"), "#[test]\nfn mine() {}\n").unwrap();
    let output = xtask()
        .args(["check", "02/01"])
        .env("WOW_COURSE_ROOT", &course)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("02/01 spawn_workers          modified"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tests/spawn_workers.rs (changed)"),
        "{stdout}"
    );
    assert!(stdout.contains("tests/mine.rs (added)"), "{stdout}");
    assert!(
        stdout.contains("cargo xtask reset 02/01 --tests"),
        "{stdout}"
    );

    // Without a terminal and without --yes, nothing is replaced.
    let output = xtask()
        .args(["reset", "02/01", "--tests"])
        .env("WOW_COURSE_ROOT", &course)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_ne!(std::fs::read(&test).unwrap(), shipped_test);

    // The learner's own file is kept; the test comes back; a copy of both is kept.
    let lib = exercise.join("src/lib.rs");
    std::fs::write(&lib, "// my work\n").unwrap();
    let output = xtask()
        .args(["reset", "02/01", "--tests", "--yes"])
        .env("WOW_COURSE_ROOT", &course)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(std::fs::read(&test).unwrap(), shipped_test);
    assert!(!exercise.join("tests/mine.rs").exists());
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), "// my work\n");
    let kept = stdout
        .lines()
        .last()
        .and_then(|l| l.split("kept in ").nth(1))
        .expect(&stdout);
    assert!(
        course.join(kept).join("tests/mine.rs").is_file(),
        "{stdout}"
    );

    // A snapshot rewritten to agree with the learner's code: modified, and why not.
    let snapshots = exercise.join("tests/snapshots");
    let snapshot = std::fs::read_dir(&snapshots)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "snap"))
        .unwrap();
    std::fs::write(&snapshot, "---\nsource: x\n---\nwhatever my code prints\n").unwrap();
    let output = xtask()
        .args(["check", "02/01"])
        .env("WOW_COURSE_ROOT", &course)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" modified "), "{stdout}");
    assert!(
        stdout.contains("a snapshot holds the expected answer"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&course);
}

#[test]
fn the_shipped_fingerprints_are_up_to_date() {
    let output = xtask().args(["fingerprint", "--check"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn the_course_is_the_one_the_command_runs_in_and_a_folder_selects_its_exercise() {
    // A copy of the course (as a learner who moved or copied the folder): the tool
    // built in the original must grade the copy it runs in, not the original.
    let course = course_copy("moved");
    std::fs::create_dir_all(course.join("xtask")).unwrap();
    let exercise = course.join("exercises/02_cores_and_threads/01_spawn_workers");
    std::fs::write(
        exercise.join("tests/spawn_workers.rs"),
        "#[test]\nfn ok() {}\n",
    )
    .unwrap();
    let check = |dir: &std::path::Path, args: &[&str]| {
        let output = xtask().args(args).current_dir(dir).output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // Inside the exercise's folder, no selector: that exercise only (modified here,
    // so nothing is compiled).
    let stdout = check(&exercise, &["check"]);
    assert!(
        stdout.starts_with("02/01 spawn_workers          modified"),
        "{stdout}"
    );
    assert!(stdout.contains("0/1 exercises done"), "{stdout}");
    // A folder path selects too.
    let stdout = check(
        &course,
        &["check", "exercises/02_cores_and_threads/01_spawn_workers"],
    );
    assert!(
        stdout.starts_with("02/01 spawn_workers          modified"),
        "{stdout}"
    );
    // An exercise number that chapter 01 does not have: its own exercises are proposed.
    let output = xtask()
        .args(["check", "01/03"])
        .current_dir(&course)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("chapter 01 has `01/01`"), "{stderr}");
    let _ = std::fs::remove_dir_all(&course);
}

/// A course copy that builds: the tool's manifest and the snippets' crate too.
fn buildable_course_copy(name: &str) -> std::path::PathBuf {
    let course = course_copy(name);
    for folder in ["xtask", "book/snippet-deps"] {
        std::fs::create_dir_all(course.join(folder).parent().unwrap()).unwrap();
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(repo_root().join(folder))
            .arg(course.join(folder))
            .status()
            .unwrap();
        assert!(status.success());
    }
    course
}

#[test]
fn hints_come_one_more_per_call() {
    let course = course_copy("hints");
    let hint = || {
        let output = xtask()
            .args(["hint", "04/02"])
            .env("WOW_COURSE_ROOT", &course)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = hint();
    assert!(first.starts_with("hint 1 of 3 for 04/02"), "{first}");
    assert!(!first.contains("hint 2 of 3"), "{first}");
    let second = hint();
    assert!(second.contains("hint 2 of 3"), "{second}");
    assert!(!second.contains("hint 3 of 3"), "{second}");
    let third = hint();
    assert!(
        third.contains("hint 3 of 3") && third.contains("that is every hint"),
        "{third}"
    );
    let _ = std::fs::remove_dir_all(&course);
}

#[test]
fn list_shows_what_check_graded_and_stale_after_a_change() {
    let course = course_copy("list");
    let run = |args: &[&str]| {
        let output = xtask()
            .args(args)
            .env("WOW_COURSE_ROOT", &course)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let line = |text: &str, id: &str| {
        text.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line(&run(&["list"]), "02/01").contains("not graded"));
    // A modified exercise is graded without compiling anything: cheap to test here.
    let exercise = course.join("exercises/02_cores_and_threads/01_spawn_workers");
    std::fs::write(
        exercise.join("tests/spawn_workers.rs"),
        "#[test]\nfn ok() {}\n",
    )
    .unwrap();
    run(&["check", "02/01"]);
    let listed = run(&["list"]);
    assert!(line(&listed, "02/01").contains("modified"), "{listed}");
    // Restored: what `check` said no longer describes these files.
    run(&["reset", "02/01", "--tests", "--yes"]);
    let listed = run(&["list"]);
    assert!(line(&listed, "02/01").contains("stale"), "{listed}");
    assert!(listed.contains("02_cores_and_threads"), "{listed}");
    let _ = std::fs::remove_dir_all(&course);
}

/// Drives `cargo xtask watch` in a real pseudo-terminal (Python's `pty`, as a learner's
/// terminal): the first verdict, a key, a save that changes the verdict, then `q`.
const WATCH_DRIVER: &str = r#"
import os, pty, select, sys, time
exe, lib = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "watch", "01/01"])
seen = b""
def wait_for(text, timeout):
    global seen
    end = time.time() + timeout
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
            if text.encode() in seen:
                return
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit("timed out waiting for " + repr(text))
wait_for("still `todo!()`", 600)
os.write(fd, b"h")
wait_for("hint 1 of", 30)
time.sleep(0.5)
with open(lib, "a") as f:
    f.write("\nfn broken( {}\n")
wait_for("compile error", 600)
os.write(fd, b"q")
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(0 if os.WEXITSTATUS(status) == 0 else "watch exited with %d" % os.WEXITSTATUS(status))
"#;

#[test]
fn watch_grades_on_save_and_answers_keys_in_a_terminal() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("NOT CHECKED: watch in a pseudo-terminal needs python3");
        return;
    }
    let course = buildable_course_copy("watch");
    let lib = course.join("exercises/01_wait_or_work/01_wait_or_compute/src/lib.rs");
    let output = std::process::Command::new("python3")
        .args(["-c", WATCH_DRIVER])
        .arg(assert_cmd::cargo::cargo_bin("xtask"))
        .arg(&lib)
        .env("WOW_COURSE_ROOT", &course)
        // A build folder of its own: cargo names a workspace member's artefacts after
        // its path relative to the workspace root, so sharing the course's would let
        // this copy's 01/01 stand in for the course's own.
        .env(
            "CARGO_TARGET_DIR",
            repo_root().join("target/wow-watch-test"),
        )
        .env("CARGO", env!("CARGO"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("== 01/01 wait_or_compute"), "{stdout}");
    assert!(stdout.contains("course: ["), "{stdout}");
    let _ = std::fs::remove_dir_all(&course);
}

#[test]
fn check_timeline_draws_the_learners_run_above_the_reference() {
    // A learner whose workers run one after another: 02/01's sequential fixture.
    let course = buildable_course_copy("timeline");
    let whole = xtask()
        .args(["fixture", "02/01", "sequential"])
        .output()
        .unwrap();
    assert!(whole.status.success(), "{whole:?}");
    let fixture_dir = std::path::PathBuf::from(String::from_utf8_lossy(&whole.stdout).trim());
    std::fs::copy(
        fixture_dir.join("src/lib.rs"),
        course.join("exercises/02_cores_and_threads/01_spawn_workers/src/lib.rs"),
    )
    .unwrap();
    let output = xtask()
        .args(["check", "02/01", "--timeline"])
        .env("WOW_COURSE_ROOT", &course)
        // The watch test's build folder (see there why not the course's own): the
        // dependencies are built once for both.
        .env(
            "CARGO_TARGET_DIR",
            repo_root().join("target/wow-watch-test"),
        )
        .env("CARGO", env!("CARGO"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("02/01 spawn_workers"), "{stdout}");
    assert!(first.contains(" failed "), "{stdout}");
    let picture = stdout
        .lines()
        .find_map(|l| l.strip_prefix("timeline: "))
        .unwrap_or_else(|| panic!("check --timeline names its picture:\n{stdout}"));
    // The failed test recorded the workers: its message says what they did and
    // where to look.
    assert!(
        stdout.contains(&format!("see {picture})")),
        "the failure names the picture:\n{stdout}"
    );
    let path = if std::path::Path::new(picture).is_absolute() {
        std::path::PathBuf::from(picture)
    } else {
        course.join(picture)
    };
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    // The learner's run above the reference solution's, each with its lanes.
    let your = svg
        .find("your code (last run)")
        .expect("the learner's part");
    let reference = svg.find("the reference solution").expect("the reference");
    assert!(your < reference, "the learner's run comes first");
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lanes"))
        .count();
    assert!(lanes >= 2, "lanes for both runs:\n{svg}");
    let _ = std::fs::remove_dir_all(&course);
}
