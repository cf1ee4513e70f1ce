//! `cargo xtask watch [NN/MM]`: grades an exercise every time you save it.
//!
//! It starts at the exercise named, or the one whose folder you are in, or the first
//! one `list` does not show as passed. Each save of the exercise's files (debounced)
//! starts `check` on it in a child process; a save during a run kills that run and
//! starts again. Keys: `h` the next hint, `n` the next exercise (once this one
//! passed), `l` the list, `r` run again, `q` quit. In a terminal the keys act at
//! once; from a pipe, one per line.

use crate::course::{Course, Exercise};
use crate::runner::{kill_group, spawn_in_group};
use anyhow::{Context, Result};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// The exercise to start with (`01/02`, its name or its folder).
    pub exercise: Option<String>,
    /// Draw each run's timeline above the reference solution's (`check --timeline`).
    #[arg(long)]
    pub timeline: bool,
}

/// How long the files must stay unchanged before a run starts (an editor's save is
/// often several writes).
const DEBOUNCE: Duration = Duration::from_millis(200);
const POLL: Duration = Duration::from_millis(100);

pub fn run(args: WatchArgs) -> Result<i32> {
    let course = Course::load()?;
    let mut index = start_index(&course, args.exercise.as_deref())?;
    let _raw = RawMode::enable();
    let keys = read_keys();
    let exe = std::env::current_exe().context("cannot find the xtask binary")?;
    let mut run: Option<Child> = None;
    let mut passed = false;
    let mut last_seen = snapshot(&course, &course.exercises[index]);
    let mut changed_at: Option<Instant> = None;
    let mut start_run = true;
    loop {
        let exercise = &course.exercises[index];
        if start_run {
            if let Some(mut child) = run.take() {
                kill_group(&mut child);
            }
            println!(
                "\n== {} {} ({}): grading... [h]int [l]ist [r]erun [q]uit",
                exercise.id(),
                exercise.slug,
                edited_files(&course, exercise)
                    .iter()
                    .map(|p| crate::scratch::display_rel(&course.root, p))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut cmd = Command::new(&exe);
            cmd.args(["check", &exercise.id()])
                .args(args.timeline.then_some("--timeline"))
                .env("WOW_COURSE_ROOT", &course.root)
                .stdin(Stdio::null())
                .stdout(Stdio::inherit())
                .stderr(Stdio::null());
            run = Some(spawn_in_group(&mut cmd).context("cannot start check")?);
            start_run = false;
        }
        // A finished run: its status decides whether `n` is offered.
        if let Some(child) = run.as_mut()
            && let Some(status) = child.try_wait()?
        {
            run = None;
            passed = status.success();
            print_progress(&course);
            if passed {
                println!("passed! [n]ext exercise, or keep editing");
            } else {
                println!("save the file to grade it again ([h] for a hint)");
            }
        }
        // Saves, debounced.
        let now = snapshot(&course, exercise);
        if now != last_seen {
            last_seen = now;
            changed_at = Some(Instant::now());
        }
        if changed_at.is_some_and(|t| t.elapsed() >= DEBOUNCE) {
            changed_at = None;
            start_run = true;
            continue;
        }
        match keys.recv_timeout(POLL) {
            Ok(b'q' | 3) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Ok(b'r') => start_run = true,
            Ok(b'h') => {
                crate::hint::run(crate::hint::HintArgs {
                    exercise: Some(exercise.id()),
                    reset: false,
                })?;
            }
            Ok(b'l') => {
                crate::list::run(crate::list::ListArgs {})?;
            }
            Ok(b'n') if passed && index + 1 < course.exercises.len() => {
                index += 1;
                passed = false;
                last_seen = snapshot(&course, &course.exercises[index]);
                start_run = true;
            }
            Ok(b'n') if passed => println!("that was the last exercise of the course"),
            Ok(b'n') => println!("`n` is offered once this exercise passes"),
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    if let Some(mut child) = run.take() {
        kill_group(&mut child);
    }
    Ok(0)
}

fn start_index(course: &Course, named: Option<&str>) -> Result<usize> {
    let selectors = match named {
        Some(s) => vec![s.to_string()],
        None => course.default_selectors(),
    };
    if !selectors.is_empty() {
        let selected = course.select(&selectors)?;
        let [exercise] = selected.as_slice() else {
            crate::usage!("watch: name one exercise, like `cargo xtask watch 01/02`");
        };
        return Ok(position(course, exercise));
    }
    let first_not_passed = crate::list::first_not_passed(course)?;
    Ok(first_not_passed.map_or(0, |e| position(course, &e)))
}

fn position(course: &Course, exercise: &Exercise) -> usize {
    course
        .exercises
        .iter()
        .position(|e| e.id() == exercise.id())
        .unwrap_or(0)
}

fn edited_files(course: &Course, exercise: &Exercise) -> Vec<PathBuf> {
    let dir = course.exercise_dir(exercise);
    match exercise.manifest.as_ref() {
        Some(m) => m.edit.iter().map(|f| dir.join(f)).collect(),
        None => vec![dir.join("src/lib.rs")],
    }
}

/// What a save changes: each edited file's modification time and length.
fn snapshot(course: &Course, exercise: &Exercise) -> Vec<Option<(SystemTime, u64)>> {
    edited_files(course, exercise)
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

fn print_progress(course: &Course) {
    if let Ok((done, total)) = crate::list::progress(course) {
        let width = 26;
        let filled = (done * width).checked_div(total).unwrap_or(0);
        println!(
            "course: [{}{}] {done}/{total} exercises passed",
            "#".repeat(filled),
            ".".repeat(width - filled)
        );
    }
}

/// Keys from standard input, one byte at a time, on a thread of their own.
fn read_keys() -> mpsc::Receiver<u8> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut byte = [0u8; 1];
        while let Ok(1) = stdin.read(&mut byte) {
            if send.send(byte[0]).is_err() {
                break;
            }
        }
    });
    receive
}

/// The terminal in raw-ish mode (no line buffering, no echo) while watching, so that
/// a key acts at once; restored when dropped.
struct RawMode {
    #[cfg(unix)]
    saved: Option<libc::termios>,
}

impl RawMode {
    fn enable() -> Self {
        #[cfg(unix)]
        {
            if !std::io::stdin().is_terminal() {
                return Self { saved: None };
            }
            // SAFETY: tcgetattr/tcsetattr on standard input with a termios we own.
            unsafe {
                let mut term: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(0, &mut term) != 0 {
                    return Self { saved: None };
                }
                let saved = term;
                // No line buffering, no echo, and Ctrl-C arrives as a key (3) that
                // quits cleanly, with the terminal restored.
                term.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG);
                term.c_cc[libc::VMIN] = 1;
                term.c_cc[libc::VTIME] = 0;
                libc::tcsetattr(0, libc::TCSANOW, &term);
                Self { saved: Some(saved) }
            }
        }
        #[cfg(not(unix))]
        Self {}
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.saved {
            // SAFETY: restores the settings read in `enable`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &saved);
            }
        }
    }
}
