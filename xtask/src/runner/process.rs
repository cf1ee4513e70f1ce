//! Running test executables as child processes: one at a time, each in a process
//! group of its own, killed whole at the time limit, at the end, or when the grader
//! is interrupted.

use super::libtest::{TestRun, parse_libtest};
use super::passes::{PackageRun, Pass};
use anyhow::{Context, Result};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

pub(super) fn run_tests(
    package: &PackageRun,
    report_file: &Path,
    limit: Duration,
    pass: &Pass,
) -> Result<TestRun> {
    let PackageRun {
        package_dir,
        workspace_root,
        options,
        ..
    } = package;
    let deadline = Instant::now() + limit;
    let mut run = TestRun::default();
    for exe in &package.executables {
        let mut cmd = Command::new(exe);
        // One test at a time: timing tests must not compete for the cores.
        cmd.arg("--test-threads=1");
        match pass {
            Pass::ClockFree(only) => {
                if let Some(test) = only {
                    cmd.args(["--exact", test]);
                }
                cmd.env(test_support::timing::LATER_VAR, "later");
                if options.timeline {
                    // Spans of the run whose variants ran once each (no timed tries).
                    cmd.env(
                        test_support::timeline::VAR,
                        report_file.with_extension("timeline.jsonl"),
                    );
                }
            }
            Pass::Timing(tests) => {
                cmd.arg("--exact").args(tests);
            }
        }
        cmd.current_dir(package_dir)
            .env("WOW_REPORT", report_file)
            .env("RUST_BACKTRACE", "0")
            // The grader never writes snapshots: a mismatch fails, nothing is saved.
            .env("INSTA_UPDATE", "no")
            // insta finds snapshots from the workspace root and the test's `file!()`.
            .env("INSTA_WORKSPACE_ROOT", workspace_root)
            .env("CARGO_MANIFEST_DIR", package_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        for (key, value) in &options.env {
            cmd.env(key, value);
        }
        let mut child =
            spawn_in_group(&mut cmd).with_context(|| format!("cannot start {}", exe.display()))?;
        let stdout = drain(child.stdout.take().expect("piped"));
        let stderr = drain(child.stderr.take().expect("piped"));
        let remaining = deadline.saturating_duration_since(Instant::now());
        let status = child.wait_timeout(remaining)?;
        let timed_out = status.is_none();
        kill_group(&mut child);
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        if options.verbose {
            eprintln!("{stdout}{stderr}");
        }
        parse_libtest(&stdout, &mut run);
        if timed_out {
            run.timed_out = true;
            return Ok(run);
        }
        if let Some(status) = status
            && !status.success()
            && !stdout.contains("test result:")
        {
            run.crashed = Some(describe_crash(status, &stderr));
            return Ok(run);
        }
    }
    Ok(run)
}

/// Reads a pipe to the end on a thread of its own, so that a chatty test can never
/// block on a full pipe.
pub(super) fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The process group of the tests running now (0: none). The tests run in a group of
/// their own, so a Ctrl-C in the terminal does not reach them: the grader's signal
/// handler kills this group before the grader dies, or a test spinning at 100% of a
/// core would outlive it (adopted by init) past every limit.
static RUNNING_GROUP: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Spawns `cmd` as the leader of a new process group, which [`kill_group`] kills
/// whole, and which SIGINT, SIGTERM and SIGHUP to the grader kill too.
pub fn spawn_in_group(cmd: &mut Command) -> std::io::Result<Child> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        install_interrupt_handler();
    }
    let child = cmd.spawn()?;
    RUNNING_GROUP.store(child.id() as i32, std::sync::atomic::Ordering::SeqCst);
    Ok(child)
}

#[cfg(unix)]
pub(super) fn install_interrupt_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    extern "C" fn on_signal(signal: libc::c_int) {
        // Only async-signal-safe calls here: an atomic load, kill, signal, raise.
        let group = RUNNING_GROUP.load(std::sync::atomic::Ordering::SeqCst);
        // SAFETY: plain syscalls; the default action then ends the grader as the
        // signal would have.
        unsafe {
            if group > 0 {
                libc::kill(-group, libc::SIGKILL);
            }
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
    ONCE.call_once(|| {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: installs a handler that only makes async-signal-safe calls.
            unsafe {
                libc::signal(signal, on_signal as *const () as libc::sighandler_t);
            }
        }
    });
}

/// Kills the child's whole process group (the tests and anything they started), then
/// reaps the child. The child must have been spawned by [`spawn_in_group`].
pub fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        // SAFETY: plain syscall; the group id is the child's pid (`process_group(0)`).
        unsafe {
            libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = RUNNING_GROUP.compare_exchange(
        child.id() as i32,
        0,
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
    );
}

pub(super) fn describe_crash(status: ExitStatus, stderr: &str) -> String {
    if stderr.contains("has overflowed its stack") {
        return "the test process overflowed its stack (endless recursion?)".to_string();
    }
    // The process's last words, when it had any (rayon's "detected unexpected panic;
    // aborting", a failed assertion in a thread that nobody joined).
    let last_words = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("[wait-or-work]") && !l.starts_with("note:"))
        .map(|l| format!(", after printing \"{l}\""))
        .unwrap_or_default();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGABRT => " (SIGABRT: the process aborted itself)",
                libc::SIGSEGV => " (SIGSEGV: an invalid memory access)",
                libc::SIGKILL => " (SIGKILL)",
                _ => "",
            };
            return format!("the test process was killed by signal {signal}{name}{last_words}");
        }
    }
    format!("the test process exited with {status} before finishing{last_words}")
}
