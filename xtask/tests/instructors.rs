//! Instructors: assign a pack, solve it, grade it with the pristine tests; tampering
//! and missing exercises are reported; bad input gets one line and exit status 2.

mod common;
use common::{repo_root, xtask};
use std::path::{Path, PathBuf};

/// A fresh folder below the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = repo_root()
        .join("target/xtask-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

fn assign_chapter_1(pack: &Path) {
    let output = xtask()
        .args(["assign", "--chapters", "1", "--out"])
        .arg(pack)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// Copies the reference solutions into the pack, as a student who solved it would.
fn solve(pack: &Path) {
    for ex in ["01_wait_or_compute", "02_four_jobs"] {
        std::fs::copy(
            repo_root()
                .join("solutions/01_wait_or_work")
                .join(ex)
                .join("src/lib.rs"),
            pack.join("exercises/01_wait_or_work")
                .join(ex)
                .join("src/lib.rs"),
        )
        .unwrap();
    }
}

/// `grade --json`, with measured values, times, paths and the machine blanked out.
fn grade_json(dir: &Path) -> (i32, serde_json::Value) {
    let output = xtask()
        .args(["grade", "--json"])
        .arg(dir)
        // One core, as far as the tests know: the speedup check of 01/02 then says
        // "not checked" on every machine, and the snapshot stays deterministic.
        .env("WOW_CORES", "1")
        .output()
        .unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("grade --json printed no JSON ({e}): {output:?}"));
    doc["submission"]["path"] = "[dir]".into();
    doc["machine"] = "[machine]".into();
    let blank = |v: &mut serde_json::Value| {
        let text = common::redact(v.as_str().unwrap_or_default());
        *v = text.trim_end().into();
    };
    for ex in doc["exercises"].as_array_mut().unwrap() {
        ex["duration_ms"] = "[ms]".into();
        blank(&mut ex["message"]);
        let mut only_timing_not_checked = true;
        for check in ex["checks"].as_array_mut().unwrap() {
            blank(&mut check["detail"]);
            if check["measured"].is_number() {
                check["measured"] = "[measured]".into();
                check["needed"] = "[needed]".into();
            }
            // A timing claim passes on a quiet machine and is not checked on a busy
            // one: the snapshot holds neither, and no timing claim may fail.
            if check["timing"] == true {
                assert_ne!(check["outcome"], "failed", "{check}");
                check["outcome"] = "[passed or not_checked]".into();
                check["detail"] = "[timing]".into();
                check["measured"] = "[timing]".into();
                check["needed"] = "[timing]".into();
            } else if check["outcome"] == "not_checked" {
                only_timing_not_checked = false;
            }
        }
        if only_timing_not_checked && (ex["status"] == "passed" || ex["status"] == "not checked") {
            ex["status"] = "[passed or not checked]".into();
            ex["message"] = "[figures]".into();
        }
    }
    // How many passed depends on the load, as above.
    doc["summary"]["done"] = "[done]".into();
    (output.status.code().unwrap(), doc)
}

#[test]
fn a_pack_is_assigned_solved_and_graded_with_pristine_tests() {
    let pack = scratch("pack");
    assign_chapter_1(&pack);
    assert!(
        !pack.join("solutions").exists(),
        "a pack must not contain solutions"
    );
    assert!(pack.join("course-pack.toml").is_file());
    assert!(pack.join("exercises/test-support/Cargo.toml").is_file());
    assert!(pack.join("xtask/src/main.rs").is_file());
    let summary = std::fs::read_to_string(pack.join("book/src/SUMMARY.md")).unwrap();
    assert!(summary.contains("ch01-wait-or-work/index.md"));
    assert!(
        !summary.contains("]()"),
        "draft chapters are left out:\n{summary}"
    );

    // Unsolved: graded, not started.
    let (code, doc) = grade_json(&pack);
    assert_eq!(code, 0);
    let statuses: Vec<&str> = doc["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["not started", "not started"]);

    // Solved: graded by the original tests.
    solve(&pack);
    let (code, doc) = grade_json(&pack);
    assert_eq!(code, 0);
    insta::assert_snapshot!("solved_pack", serde_json::to_string_pretty(&doc).unwrap());

    // Tampered: the student un-solves 01/01 and guts its tests so they always pass.
    let ex = pack.join("exercises/01_wait_or_work/01_wait_or_compute");
    std::fs::copy(
        repo_root().join("exercises/01_wait_or_work/01_wait_or_compute/src/lib.rs"),
        ex.join("src/lib.rs"),
    )
    .unwrap();
    std::fs::write(
        ex.join("tests/wait_or_compute.rs"),
        "#[test]\nfn fine() {}\n",
    )
    .unwrap();
    // And rewrites a given file of src/ (the CPU clock the tests trust).
    std::fs::write(ex.join("src/cpu_clock.rs"), "// the student's own clock\n").unwrap();
    // And deletes 01/02 altogether.
    std::fs::remove_dir_all(pack.join("exercises/01_wait_or_work/02_four_jobs")).unwrap();
    let output = xtask().arg("grade").arg(&pack).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    insta::assert_snapshot!("tampered_pack", common::redact(&stdout));
    let _ = std::fs::remove_dir_all(&pack);
}

fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Student",
            "-c",
            "user.email=student@example.org",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

/// The pack's workflow, parsed as YAML.
fn workflow(pack: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(pack.join(".github/workflows/grade.yml")).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("grade.yml is not YAML: {e}"))
}

#[test]
fn a_solved_pack_builds_and_grades_itself_in_its_workflow() {
    let pack = scratch("standalone");
    assign_chapter_1(&pack);
    let flow = workflow(&pack);
    let steps = flow["jobs"]["grade"]["steps"].as_array().unwrap().clone();
    let uses = |action: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
            .unwrap_or_else(|| panic!("no step uses {action}: {steps:?}"))
    };
    assert_eq!(uses("actions/cache@")["with"]["path"], "target");
    assert!(
        uses("actions/cache@")["with"]["key"]
            .as_str()
            .unwrap()
            .contains("hashFiles('Cargo.lock')")
    );
    assert_eq!(
        uses("actions/upload-artifact@")["with"]["path"],
        "grade.json"
    );
    assert_eq!(uses("actions/checkout@")["with"]["fetch-depth"], 0);
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let rust_version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let install = steps
        .iter()
        .find(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Install Rust"))
        })
        .unwrap();
    assert!(
        install["run"]
            .as_str()
            .unwrap()
            .contains(&format!("rustup toolchain install {rust_version} ")),
        "{install}"
    );

    // The student's repository: the pack as assigned is its first commit; then the
    // student solves both exercises and guts 01/01's tests.
    git(&pack, &["init", "-q"]);
    git(&pack, &["add", "-A"]);
    git(&pack, &["commit", "-q", "-m", "Initial commit"]);
    solve(&pack);
    let tests = pack.join("exercises/01_wait_or_work/01_wait_or_compute/tests");
    std::fs::write(tests.join("wait_or_compute.rs"), "#[test]\nfn fine() {}\n").unwrap();
    git(&pack, &["commit", "-q", "-am", "solved"]);

    // Every `run` of the workflow but the toolchain's, as GitHub runs them (bash -e,
    // the variables it sets). Its own target folder, kept between runs, so that its
    // xtask binary never replaces this repository's. One core, as far as the tests
    // know: 01/02's speedup is then "not checked", as on a busy shared runner.
    let temp = scratch("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let summary = temp.join("step-summary.md");
    let target = repo_root().join("target/pack-standalone");
    for step in &steps {
        let (Some(run), Some(name)) = (step["run"].as_str(), step["name"].as_str()) else {
            continue;
        };
        if name.starts_with("Install Rust") {
            continue;
        }
        let output = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", run])
            .current_dir(&pack)
            .env("GITHUB_WORKSPACE", &pack)
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("CARGO_TARGET_DIR", &target)
            .env("WOW_CORES", "1")
            .env_remove("WOW_COURSE_ROOT")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "step `{name}` failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pack.join("grade.json")).unwrap()).unwrap();
    assert_eq!(report["schema"], "wait-or-work/grade/v1");
    let exercises = report["exercises"].as_array().unwrap();
    // 01/01 graded with the original tests, its gutted test listed.
    assert_eq!(exercises[0]["id"], "01/01");
    assert!(
        ["passed", "not checked"].contains(&exercises[0]["status"].as_str().unwrap()),
        "{report}"
    );
    assert_eq!(
        exercises[0]["modified_files"],
        serde_json::json!(["tests/wait_or_compute.rs"])
    );
    assert_eq!(exercises[1]["status"], "not checked", "{report}");
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.contains("| exercise | status | tests | details |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("not checked**, and not counted as passed"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- 01/01: tests/wait_or_compute.rs"),
        "{markdown}"
    );

    // The same tool, run by hand in the student's copy, grades it in place.
    let output = std::process::Command::new(target.join("debug/xtask"))
        .args(["check", "01/02"])
        .current_dir(&pack)
        .env("WOW_CORES", "1")
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("WOW_COURSE_ROOT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("01/02") && stdout.contains("not checked"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&pack);
    let _ = std::fs::remove_dir_all(&temp);
}

#[test]
fn bad_input_gets_one_line_and_exit_2() {
    let not_empty = scratch("not-empty");
    std::fs::create_dir_all(&not_empty).unwrap();
    std::fs::write(not_empty.join("keep.txt"), "the learner's file").unwrap();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "missing folder",
            vec!["grade".into(), "/no/such/folder".into()],
        ),
        (
            "not a course",
            vec![
                "grade".into(),
                repo_root().join("book").display().to_string(),
            ],
        ),
        (
            "unknown chapter",
            vec![
                "assign".into(),
                "--chapters".into(),
                "1,99".into(),
                "--out".into(),
                "/tmp/unused".into(),
            ],
        ),
        (
            "folder not empty",
            vec![
                "assign".into(),
                "--chapters".into(),
                "1".into(),
                "--out".into(),
                not_empty.display().to_string(),
            ],
        ),
    ];
    let mut transcript = String::new();
    for (name, args) in cases {
        let output = xtask().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr)
            .replace(&not_empty.display().to_string(), "[dir]")
            .replace(&repo_root().display().to_string(), "[repo]");
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line, got {stderr}");
        // The list of chapters grows with the course: keep the message's shape only.
        let stderr = match stderr.split_once("chapters with exercises: ") {
            Some((head, tail)) => format!(
                "{head}chapters with exercises: [list]{}",
                tail.find(" (").map_or("\n", |i| &tail[i..])
            ),
            None => stderr,
        };
        transcript += &format!("{name}: {stderr}");
    }
    insta::assert_snapshot!(transcript);
    assert_eq!(
        std::fs::read_to_string(not_empty.join("keep.txt")).unwrap(),
        "the learner's file",
        "nothing may be overwritten"
    );
    assert_eq!(
        std::fs::read_dir(&not_empty).unwrap().count(),
        1,
        "nothing may be added"
    );
    let _ = std::fs::remove_dir_all(&not_empty);
}

#[test]
fn a_different_course_version_is_graded_with_a_warning() {
    let pack = scratch("old-version");
    assign_chapter_1(&pack);
    let file = pack.join("course-pack.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let version_line = text
        .lines()
        .find(|l| l.starts_with("version"))
        .unwrap()
        .to_string();
    std::fs::write(&file, text.replace(&version_line, "version = \"0.0.1\"")).unwrap();
    let output = xtask()
        .args(["grade"])
        .arg(&pack)
        .arg("--timeout")
        .arg("30")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is course version 0.0.1, this grader is"),
        "a version warning is expected: {stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("0/2 exercises done"));
    let _ = std::fs::remove_dir_all(&pack);
}

#[test]
fn a_class_is_graded_one_student_at_a_time_and_resumed() {
    let class = scratch("class");
    std::fs::create_dir_all(&class).unwrap();
    // An empty class is bad input: one line, exit 2.
    let output = xtask()
        .args(["grade", "--class"])
        .arg(&class)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("holds no submission folders"), "{stderr}");

    // alice solved chapter 1, bob has not started, carol handed in something else.
    assign_chapter_1(&class.join("alice"));
    solve(&class.join("alice"));
    assign_chapter_1(&class.join("bob"));
    std::fs::create_dir_all(class.join("carol")).unwrap();
    std::fs::write(class.join("carol/essay.txt"), "my answers").unwrap();
    std::fs::write(class.join("roster.txt"), "not a submission").unwrap();
    // dave's folder cannot be read: a link to a folder that is gone.
    std::os::unix::fs::symlink("/no/such/folder", class.join("dave")).unwrap();
    let grade_class = || {
        let output = xtask()
            .args(["grade", "--class"])
            .arg(&class)
            .env("WOW_CORES", "1")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = grade_class();
    assert_eq!(
        code,
        Some(2),
        "one submission could not be graded: {stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].contains("carol") && errors[0].contains("not a Wait or Work course"),
        "{stderr}"
    );
    assert!(
        errors[1].contains("dave") && errors[1].contains("cannot read"),
        "{stderr}"
    );
    let csv = std::fs::read_to_string(class.join("grades.csv")).unwrap();
    // The CSV's header and shape: one row per student and exercise, the timing
    // outcome (passed on a quiet machine, not checked on a busy one) blanked.
    let shape: String = csv
        .lines()
        .skip(1)
        .map(|line| {
            let mut cells: Vec<String> = line.splitn(5, ',').take(4).map(String::from).collect();
            if cells[0] == "alice" {
                cells[3] = "[passed or not checked]".into();
            }
            cells.join(",") + "\n"
        })
        .collect();
    insta::assert_snapshot!(
        "class_csv",
        format!("{}\n{shape}", csv.lines().next().unwrap())
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(class.join("grades.json")).unwrap()).unwrap();
    assert_eq!(doc["schema"], "wait-or-work/class/v1");
    assert_eq!(doc["summary"]["not_graded"], 2);
    assert_eq!(
        doc["students"][2]["error"]
            .as_str()
            .unwrap()
            .lines()
            .count(),
        1
    );

    // Again: alice and bob are not graded again; bob changes his file, carol is gone.
    std::fs::remove_dir_all(class.join("carol")).unwrap();
    std::fs::remove_file(class.join("dave")).unwrap();
    let lib = class.join("bob/exercises/01_wait_or_work/02_four_jobs/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{text}\n// bob was here\n")).unwrap();
    let (code, stderr) = grade_class();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("alice: ") && stderr.contains("not graded again"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("bob: ") && !l.contains("not graded again")),
        "{stderr}"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(class.join("grades.json")).unwrap()).unwrap();
    let reused: Vec<bool> = doc["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reused"].as_bool().unwrap())
        .collect();
    assert_eq!(reused, [true, false]);
    let _ = std::fs::remove_dir_all(&class);
}

#[test]
fn book_pdf_into_a_folder_gets_one_line_and_exit_2() {
    let dir = scratch("pdf-out");
    std::fs::create_dir_all(&dir).unwrap();
    let output = xtask()
        .args(["book", "pdf", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("is a folder; name the PDF to write"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
