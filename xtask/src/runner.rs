//! Compiles exercises and runs their tests as child processes under a wall-clock
//! limit, then turns what happened into one [`Status`] per exercise.
//!
//! Compiling goes through one `cargo test --no-run --message-format=json` for all
//! selected exercises (so cargo builds them in parallel and tells which package an
//! error belongs to). Each test executable then runs on its own, one at a time (timing
//! tests must not compete with each other), in its own process group, which is killed
//! whole when the limit is reached or the tests end: nothing is left behind.

use crate::course::{Course, Exercise};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// What became of one exercise.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Every test passed and every check ran. `figures` are the measured values
    /// beside the thresholds they were held to.
    Passed {
        figures: Vec<String>,
    },
    /// Every test passed, but some checks could not run here.
    NotChecked {
        reasons: Vec<String>,
        figures: Vec<String>,
    },
    /// A test failed: its name and its first failing expectation in plain words.
    Failed {
        test: String,
        message: String,
    },
    /// Every failing test hit a `todo!()` and none passed.
    NotStarted {
        todo: String,
    },
    /// The exercise ships with a bug to fix, and the files the learner edits are still
    /// as shipped: its failure is the course's, not the learner's.
    ToFix {
        failure: String,
    },
    /// Tests, snapshots or given files differ from what shipped: whatever the tests
    /// say, it is not the course's verdict. Never counted as passed.
    Modified {
        files: Vec<String>,
        advice: String,
    },
    CompileError {
        error: String,
    },
    /// Killed after the wall-clock limit.
    TimedOut {
        limit: Duration,
        test: Option<String>,
    },
    /// The exercise (or its solution, or the student's copy) is not there.
    Missing {
        what: String,
    },
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Passed { .. } => "passed",
            Status::NotChecked { .. } => "not checked",
            Status::Failed { .. } => "failed",
            Status::NotStarted { .. } | Status::ToFix { .. } => "not started",
            Status::Modified { .. } => "modified",
            Status::CompileError { .. } => "compile error",
            Status::TimedOut { .. } => "timed out",
            Status::Missing { .. } => "missing",
        }
    }

    /// The status in one plain line, without the label.
    pub fn message(&self) -> String {
        match self {
            Status::Passed { figures } => figures.join("; "),
            Status::NotChecked { reasons, .. } => reasons.join("; "),
            Status::Failed { test, message } if test.is_empty() => message.clone(),
            Status::Failed { test, message } => format!("{test}: {message}"),
            Status::NotStarted { todo } => format!("still todo!(): {todo}"),
            Status::ToFix { failure } => {
                format!("the code ships with a bug for you to fix: {failure}")
            }
            Status::Modified { files, advice } => {
                format!(
                    "not graded: {} differ from the course's; {advice}",
                    files.join(", ")
                )
            }
            Status::CompileError { error } => error.clone(),
            Status::TimedOut { limit, test } => format!(
                "killed after {}s{}: a deadlock or an endless loop is likely",
                limit.as_secs(),
                test.as_ref()
                    .map(|t| format!(" in `{t}`"))
                    .unwrap_or_default()
            ),
            Status::Missing { what } => what.clone(),
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Status::Passed { .. })
    }

    /// Passed, or nothing failed and only some checks could not run here.
    pub fn is_pass_or_not_checked(&self) -> bool {
        matches!(self, Status::Passed { .. } | Status::NotChecked { .. })
    }
}

/// One check reported by `test-support` through the `WOW_REPORT` file: the very type
/// that the tests write, read back with serde.
pub type Report = test_support::report::Record;
pub use test_support::Outcome;

/// The result of grading one exercise.
#[derive(Clone, Debug)]
pub struct Graded {
    pub exercise: Exercise,
    pub status: Status,
    /// Every check the tests reported, in order.
    pub reports: Vec<Report>,
    pub tests_passed: usize,
    pub tests_total: usize,
    pub duration: Duration,
}

/// How to run the tests.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Wall-clock limit for all the tests of one exercise; `None` takes the
    /// exercise's own `timeout-seconds` (see [`exercise_timeout`]) or 60 s.
    pub timeout: Option<Duration>,
    /// Print the tests' own output.
    pub verbose: bool,
    /// Extra environment for the test processes (the grader's tests use it).
    pub env: Vec<(String, String)>,
}

/// Where the packages to grade live: a workspace manifest and, for each exercise, its
/// folder in that workspace.
pub struct Batch<'a> {
    pub manifest: PathBuf,
    pub packages: Vec<(Exercise, PathBuf)>,
    /// A name for the report folder (`exercises`, `solutions`, ...).
    pub name: &'a str,
}

/// Compiles and runs every package of the batch; statuses in the batch's order.
pub fn grade(course: &Course, batch: &Batch, options: &RunOptions) -> Result<Vec<Graded>> {
    if batch.packages.is_empty() {
        return Ok(Vec::new());
    }
    eprintln!(
        "compiling {} exercise{} ({})...",
        batch.packages.len(),
        if batch.packages.len() == 1 { "" } else { "s" },
        batch.name
    );
    let compiled = compile_all(course, batch)?;
    let reports_dir = course.scratch_dir().join("reports").join(batch.name);
    std::fs::create_dir_all(&reports_dir)?;
    let mut graded = Vec::new();
    let total = batch.packages.len();
    for (i, (exercise, dir)) in batch.packages.iter().enumerate() {
        let started = Instant::now();
        let status_and_counts = match compiled.get(dir) {
            Some(Compiled::Error(error)) => (
                Status::CompileError {
                    error: error.clone(),
                },
                Vec::new(),
                0,
                0,
            ),
            Some(Compiled::Executables(executables)) => {
                progress(
                    i,
                    total,
                    &format!("testing {} {}", exercise.id(), exercise.slug),
                );
                let report_file = reports_dir.join(format!("{}.jsonl", exercise.package));
                let _ = std::fs::remove_file(&report_file);
                let workspace_root = batch.manifest.parent().unwrap_or(&course.root);
                let limit = options
                    .timeout
                    .unwrap_or_else(|| exercise_timeout(exercise));
                let run = run_tests(
                    executables,
                    dir,
                    workspace_root,
                    &report_file,
                    limit,
                    options,
                )?;
                let reports = read_reports(&report_file);
                let status = judge(&run, &reports, limit);
                (status, reports, run.passed(), run.results.len())
            }
            None => (
                Status::CompileError {
                    error: "not built: cargo stopped before reaching this exercise".to_string(),
                },
                Vec::new(),
                0,
                0,
            ),
        };
        let (status, reports, tests_passed, tests_total) = status_and_counts;
        graded.push(Graded {
            exercise: exercise.clone(),
            status,
            reports,
            tests_passed,
            tests_total,
            duration: started.elapsed(),
        });
    }
    progress(total, total, "done");
    Ok(graded)
}

/// One progress line per exercise on stderr: a bar redrawn in place in a terminal,
/// plain `[3/26] testing ...` lines otherwise (logs, CI, the tool's own tests).
fn progress(done: usize, total: usize, what: &str) {
    use std::io::{IsTerminal, Write};
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let width = 20;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} {what}\x1b[K{}",
            "#".repeat(filled),
            ".".repeat(width - filled),
            if done == total { "\n" } else { "" }
        );
        let _ = err.flush();
    } else if done < total {
        let _ = writeln!(err, "[{}/{total}] {what}...", done + 1);
    }
}

/// The default wall-clock limit for an exercise's tests.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// An exercise may set its own limit in its `Cargo.toml`:
///
/// ```toml
/// [package.metadata.wait-or-work]
/// timeout-seconds = 15   # the shipped version deadlocks: do not wait 60 s for it
/// ```
pub fn exercise_timeout(exercise: &Exercise) -> Duration {
    exercise
        .manifest
        .as_ref()
        .and_then(|m| m.timeout_seconds)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

#[derive(Debug)]
enum Compiled {
    Executables(Vec<PathBuf>),
    Error(String),
}

/// Compiles every package of the batch. Cargo stops scheduling new work at the first
/// compile error, so the packages it never reached are compiled again, without the
/// ones that failed, until each has an outcome.
fn compile_all(course: &Course, batch: &Batch) -> Result<BTreeMap<PathBuf, Compiled>> {
    let mut done = BTreeMap::new();
    let mut remaining: Vec<(Exercise, PathBuf)> = batch.packages.clone();
    while !remaining.is_empty() {
        let found = compile(course, &batch.manifest, &remaining)?;
        if found.is_empty() {
            break;
        }
        done.extend(found);
        remaining.retain(|(_, dir)| !done.contains_key(dir));
    }
    Ok(done)
}

/// `cargo test --no-run` for some packages; test executables or the first error of
/// each package that cargo got to, keyed by package folder.
fn compile(
    course: &Course,
    manifest: &Path,
    packages: &[(Exercise, PathBuf)],
) -> Result<BTreeMap<PathBuf, Compiled>> {
    let mut cmd = Command::new(cargo());
    cmd.arg("test")
        .arg("--no-run")
        .arg("--no-fail-fast")
        .arg("--message-format=json")
        .arg("--manifest-path")
        .arg(manifest);
    for (exercise, _) in packages {
        cmd.arg("-p").arg(&exercise.package);
    }
    cmd.env("CARGO_TARGET_DIR", course.target_dir())
        .current_dir(&course.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().context("cannot run cargo")?;
    let stdout = child.stdout.take().expect("piped stdout");

    let dirs: Vec<PathBuf> = packages.iter().map(|(_, d)| canonical(d)).collect();
    let mut executables: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut errors: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut shared_error: Option<String> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let manifest = msg["manifest_path"]
            .as_str()
            .map(|p| canonical(Path::new(p)));
        let package_dir = manifest
            .as_ref()
            .and_then(|m| m.parent())
            .map(Path::to_path_buf);
        let ours = package_dir.as_ref().filter(|d| dirs.contains(d));
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                if let (Some(dir), Some(exe)) = (ours, msg["executable"].as_str())
                    && msg["profile"]["test"].as_bool() == Some(true)
                {
                    executables
                        .entry(dir.clone())
                        .or_default()
                        .push(PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                if msg["message"]["level"].as_str() != Some("error") {
                    continue;
                }
                let rendered = msg["message"]["rendered"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let summary = first_error(&rendered);
                match ours {
                    Some(dir) => {
                        errors.entry(dir.clone()).or_insert(summary);
                    }
                    None => {
                        let who = package_dir
                            .as_ref()
                            .map(|d| crate::scratch::display_rel(&course.root, d))
                            .unwrap_or_default();
                        shared_error.get_or_insert(format!("in {who}: {summary}"));
                    }
                }
            }
            _ => {}
        }
    }
    child.wait()?;

    let mut out = BTreeMap::new();
    for (dir, original) in dirs.iter().zip(packages.iter().map(|(_, d)| d)) {
        let compiled = if let Some(error) = errors.remove(dir) {
            Compiled::Error(error)
        } else if let Some(exes) = executables.remove(dir) {
            Compiled::Executables(exes)
        } else if let Some(shared) = &shared_error {
            Compiled::Error(shared.clone())
        } else {
            continue;
        };
        out.insert(original.clone(), compiled);
    }
    Ok(out)
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// `error[E0308]: mismatched types (src/lib.rs:10:5)` from a rendered diagnostic.
fn first_error(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let head = lines.next().unwrap_or("error").trim().to_string();
    let location = lines
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|l| format!(" ({})", l.trim()));
    format!("{head}{}", location.unwrap_or_default())
}

/// What the test executables of one exercise did.
#[derive(Debug, Default)]
pub struct TestRun {
    /// `(test name, passed?)` in the order they ran.
    pub results: Vec<(String, bool)>,
    /// The panic message of each failed test.
    pub failures: BTreeMap<String, String>,
    pub timed_out: bool,
    /// A test that started but never finished (the likely culprit of a timeout or
    /// a crash).
    pub unfinished: Option<String>,
    /// The process died of a signal or exited without a test summary.
    pub crashed: Option<String>,
}

impl TestRun {
    fn passed(&self) -> usize {
        self.results.iter().filter(|(_, ok)| *ok).count()
    }
}

fn run_tests(
    executables: &[PathBuf],
    package_dir: &Path,
    workspace_root: &Path,
    report_file: &Path,
    limit: Duration,
    options: &RunOptions,
) -> Result<TestRun> {
    let deadline = Instant::now() + limit;
    let mut run = TestRun::default();
    for exe in executables {
        let mut cmd = Command::new(exe);
        // One test at a time: timing tests must not compete for the cores.
        cmd.arg("--test-threads=1")
            .current_dir(package_dir)
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
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
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
fn install_interrupt_handler() {
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

fn describe_crash(status: ExitStatus, stderr: &str) -> String {
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

/// Reads libtest's human output (`test name ... ok`, the `---- name stdout ----`
/// sections of failures).
pub fn parse_libtest(stdout: &str, run: &mut TestRun) {
    let mut section: Option<(String, Vec<&str>)> = None;
    let flush = |section: &mut Option<(String, Vec<&str>)>, run: &mut TestRun| {
        if let Some((name, lines)) = section.take() {
            let message = failure_message(&name, &lines);
            run.failures.insert(name, message);
        }
    };
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, result)) = rest.rsplit_once(" ... ")
        {
            let name = name.to_string();
            match result.trim() {
                "ok" => run.results.push((name, true)),
                "FAILED" => run.results.push((name, false)),
                // Printed when the test starts; the result follows on the same line.
                "" => run.unfinished = Some(name),
                _ => {}
            }
            continue;
        }
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.trim_end().strip_suffix(" ..."))
        {
            run.unfinished = Some(name.to_string());
            continue;
        }
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            flush(&mut section, run);
            section = Some((name.to_string(), Vec::new()));
            continue;
        }
        if line == "failures:" || line.starts_with("test result:") {
            flush(&mut section, run);
            continue;
        }
        if let Some((_, lines)) = section.as_mut() {
            lines.push(line);
        }
    }
    flush(&mut section, run);
    // A test that printed its name and then a result is not unfinished.
    if let Some(name) = &run.unfinished
        && run.results.iter().any(|(n, _)| n == name)
    {
        run.unfinished = None;
    }
}

/// The panic message in a failure section, made short and plain.
fn failure_message(test: &str, lines: &[&str]) -> String {
    let start = lines.iter().position(|l| l.contains("panicked at "));
    // Where it panicked, when that is the learner's code rather than the tests' own
    // assertion: "attempt to add with overflow" says little without its line.
    let location = start
        .and_then(|i| lines[i].split("panicked at ").nth(1))
        .map(|l| l.trim_end().trim_end_matches(':'))
        .filter(|l| !l.contains("tests/") && !l.contains("/rustc/") && !l.contains(".cargo/"))
        .map(|l| match l.find("src/") {
            Some(i) => l[i..].to_string(),
            None => l.to_string(),
        });
    // `thread 'name' (id) panicked at`: a thread other than the test's own.
    let spawned = start.is_some_and(|i| !lines[i].starts_with(&format!("thread '{test}'")));
    let mut message: Vec<&str> = Vec::new();
    if let Some(start) = start {
        for l in &lines[start + 1..] {
            if l.starts_with("note: run with `RUST_BACKTRACE") || l.starts_with("stack backtrace:")
            {
                break;
            }
            if l.contains("panicked at ") {
                break;
            }
            message.push(l);
        }
    }
    while message.last().is_some_and(|l| l.trim().is_empty()) {
        message.pop();
    }
    let text = message.join("\n").trim().to_string();
    if text.to_lowercase().contains("snapshot assertion") {
        return snapshot_message(lines, &text);
    }
    let at = location.map(|l| format!(" (at {l})")).unwrap_or_default();
    if text.is_empty() {
        format!("the test failed without a message{at}")
    } else if spawned {
        format!("a spawned thread panicked{at}: {text}")
    } else if at.is_empty() || text.starts_with(TODO_PREFIX) {
        text
    } else {
        // The location on the first line, which is the one the status line shows.
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        if rest.is_empty() {
            format!("{first}{at}")
        } else {
            format!("{first}{at}\n{rest}")
        }
    }
}

/// An insta mismatch, readable: the table's first line (its header) for context,
/// then the first lines that differ, expected beside got.
fn snapshot_message(lines: &[&str], text: &str) -> String {
    // insta's diff: `  0     0 │ context`, `  1       │-expected`, `        1 │+got`.
    let diff: Vec<(char, &str)> = lines
        .iter()
        .filter_map(|l| {
            let (_, rest) = l.split_once('│')?;
            let mut chars = rest.chars();
            let sign = chars.next()?;
            matches!(sign, '-' | '+' | ' ').then(|| (sign, chars.as_str().trim_end()))
        })
        .collect();
    if !diff.iter().any(|(sign, _)| *sign != ' ') {
        return format!("the output differs from the expected snapshot ({text})");
    }
    let mut out = vec![
        "the output differs from the expected snapshot (fix the code, not the snapshot):"
            .to_string(),
    ];
    if let Some((' ', header)) = diff.first() {
        out.push(format!("   {header}"));
    }
    for (sign, line) in diff.iter().filter(|(s, _)| *s != ' ').take(3) {
        let label = if *sign == '-' { "expected" } else { "got" };
        out.push(format!("{sign}  {line}    <- {label}"));
    }
    out.join("\n")
}

/// The reports of one test run. A line that does not parse is a failed check of its
/// own, never dropped: a report the grader cannot read must not let a run pass.
fn read_reports(path: &Path) -> Vec<Report> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| Report {
                test: String::new(),
                check: "the tests' report".to_string(),
                outcome: Outcome::Failed,
                detail: format!("a report line the grader cannot read ({e}): {l}"),
                measured: None,
                needed: None,
                capacity: None,
                timing: false,
            })
        })
        .collect()
}

const TODO_PREFIX: &str = "not yet implemented";

/// Turns a test run and its reports into a status.
pub fn judge(run: &TestRun, reports: &[Report], limit: Duration) -> Status {
    if run.timed_out {
        return Status::TimedOut {
            limit,
            test: run.unfinished.clone(),
        };
    }
    let failed: Vec<&String> = run
        .results
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| n)
        .collect();
    let passed = run.passed();
    if let Some(crash) = &run.crashed {
        let during = run
            .unfinished
            .as_ref()
            .map(|t| format!(" during `{t}`"))
            .unwrap_or_default();
        return Status::Failed {
            test: run.unfinished.clone().unwrap_or_default(),
            message: format!("{crash}{during}"),
        };
    }
    if !failed.is_empty() {
        let message_of = |name: &String| run.failures.get(name).cloned().unwrap_or_default();
        let all_todo = failed
            .iter()
            .all(|n| message_of(n).starts_with(TODO_PREFIX));
        if all_todo && passed == 0 {
            let todo = message_of(failed[0]);
            let todo = todo
                .strip_prefix(TODO_PREFIX)
                .map(|t| t.trim_start_matches(':').trim())
                .unwrap_or("")
                .to_string();
            return Status::NotStarted { todo };
        }
        // Prefer a real failure over a leftover `todo!()`, and a clock-free one (a
        // count of jobs in flight, a wrong answer) over a timing one: it is clearer,
        // and it holds on any machine.
        let failed_on_time = |name: &String| {
            reports
                .iter()
                .any(|r| r.test == *name && r.timing && r.outcome == Outcome::Failed)
        };
        let first = failed
            .iter()
            .filter(|n| !message_of(n).starts_with(TODO_PREFIX))
            .min_by_key(|n| failed_on_time(n))
            .unwrap_or(&failed[0]);
        return Status::Failed {
            test: (*first).clone(),
            message: message_of(first),
        };
    }
    if run.results.is_empty() {
        return Status::Failed {
            test: String::new(),
            message: "no tests ran: were the tests deleted?".to_string(),
        };
    }
    // Every failed check panics its test, so a failed report beside passing tests
    // means a report the grader could not read (or a test that caught the panic):
    // never a pass.
    if let Some(r) = reports.iter().find(|r| r.outcome == Outcome::Failed) {
        return Status::Failed {
            test: r.test.clone(),
            message: format!("{}: {}", r.check, r.detail),
        };
    }
    let figures: Vec<String> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .map(|r| format!("{}: {}", r.check, r.detail))
        .collect();
    let reasons: Vec<String> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::NotChecked)
        .map(|r| format!("{}: {}", r.check, r.detail))
        .collect();
    if reasons.is_empty() {
        Status::Passed { figures }
    } else {
        Status::NotChecked { reasons, figures }
    }
}

#[cfg(test)]
mod tests {
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
}
