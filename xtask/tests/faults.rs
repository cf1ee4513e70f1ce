//! The grader under faults: a fixture course whose exercises deadlock, loop forever,
//! panic in a thread, overflow their stack, do not compile, or cannot be checked on
//! one core. Each must be reported as what it is, within the limit, with the others
//! still graded and no process left behind.

mod common;
use common::{fixture_course, redact, xtask};
use std::time::{Duration, Instant};

#[test]
fn every_fault_is_reported_as_what_it_is() {
    let pid_file = std::env::temp_dir().join(format!("wow-fixture-pid-{}", std::process::id()));
    let _ = std::fs::remove_file(&pid_file);
    let started = Instant::now();
    let output = xtask()
        .args(["check", "--timeout", "5"])
        .env("WOW_COURSE_ROOT", fixture_course())
        // Pretend to be a one-core machine: the speedup check must say "not checked".
        .env("WOW_CORES", "1")
        .env("FIXTURE_PID_FILE", &pid_file)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    insta::assert_snapshot!(redact(&stdout));

    // Two exercises hit the 5 s limit; everything else is quick. A grader that waited
    // for the deadlock would never get here; one that ignored the limit would take
    // far longer than the limits plus compile time.
    assert!(took < Duration::from_secs(240), "grading took {took:?}");

    // The deadlocked exercise started a `sleep 600` before locking up: killing the
    // process group must have taken it down too.
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("the deadlock fixture ran and wrote its helper's pid")
        .trim()
        .parse()
        .unwrap();
    // Give the kernel a moment to reap it (its parent, the test process, is gone).
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(pid),
        "the fixture's helper process {pid} outlived the grading"
    );
    let _ = std::fs::remove_file(&pid_file);
}

#[test]
fn missing_solutions_are_reported_and_the_rest_graded() {
    let output = xtask()
        .args([
            "check",
            "--solutions",
            "--timeout",
            "5",
            "01/01",
            "01/02",
            "01/05",
        ])
        .env("WOW_COURSE_ROOT", fixture_course())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    insta::assert_snapshot!(redact(&stdout));
}

#[test]
fn verify_catches_a_solution_that_is_the_exercise() {
    // In the fixture, 01/01's "solution" is a copy of its exercise (which passes), and
    // 01/02's solution really solves a not-started exercise. 01/02's two wrong answers
    // run the one test their manifest names (`rejected-by`): `forty_three` fails it,
    // `forty_four` passes it and is rejected by the rest of the file, which verify says.
    let output = xtask()
        .args(["verify", "01/01", "01/02"])
        .env("WOW_COURSE_ROOT", fixture_course())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    insta::assert_snapshot!(redact(&stdout));
}

#[cfg(target_os = "linux")]
#[test]
fn on_one_core_speedups_are_not_checked_and_nothing_fails() {
    use std::os::unix::process::CommandExt;
    // Pin the grader (and so every test it starts) to CPU 0, as `taskset -c 0` would.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"));
    cmd.args(["check", "--solutions"])
        .env_remove("WOW_CORES")
        .env_remove("WOW_COURSE_ROOT");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(0, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Not every check could run, so this is not a clean pass (exit 1), but nothing failed.
    let statuses: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            l.len() > 5
                && l.as_bytes()[2] == b'/'
                && l[..2].bytes().all(|b| b.is_ascii_digit())
                && !l.contains("exercises done")
        })
        .collect();
    assert!(statuses.len() >= 2, "every exercise gets a line:\n{stdout}");
    for line in statuses {
        assert!(
            line.contains(" passed ") || line.contains(" not checked "),
            "on one core every exercise must pass or be not checked: {line}"
        );
    }
    assert!(
        stdout.contains(
            "not checked: four computing jobs on threads: needs 2 cores, this machine has 1"
        ),
        "the speedup check must say why it did not run:\n{stdout}"
    );
    assert!(stdout.contains(" not checked)"), "{stdout}");
    assert!(!stdout.contains(" failed "), "{stdout}");
    assert_eq!(output.status.code(), Some(1), "{stdout}");
}

#[test]
fn ctrl_c_during_a_check_kills_the_tests() {
    // The tests run in a process group of their own (so that a time-out can kill
    // them whole), which a Ctrl-C in the terminal does not reach: the grader must
    // kill that group itself when it is interrupted, or a deadlocked or spinning test
    // outlives it past every limit.
    let pid_file = std::env::temp_dir().join(format!("wow-ctrl-c-pid-{}", std::process::id()));
    let _ = std::fs::remove_file(&pid_file);
    let mut grader = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .args(["check", "01/03", "--timeout", "120"])
        .env("WOW_COURSE_ROOT", fixture_course())
        .env("FIXTURE_PID_FILE", &pid_file)
        .env("CARGO", env!("CARGO"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the deadlocked test has started its helper (compiling comes first).
    let deadline = Instant::now() + Duration::from_secs(240);
    let helper: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the deadlock fixture never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // SAFETY: a plain syscall to our own child.
    unsafe { libc::kill(grader.id() as i32, libc::SIGINT) };
    let status = grader.wait().unwrap();
    assert!(!status.success(), "an interrupted check must not exit 0");
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(helper) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(helper),
        "the test's helper process {helper} outlived the interrupted grader"
    );
    let _ = std::fs::remove_file(&pid_file);
}
