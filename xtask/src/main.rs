//! `cargo xtask`: the Wait or Work course tool. One module per subcommand.

mod assign;
mod bench;
mod book;
mod check;
mod ci;
mod course;
mod fixture;
mod given;
mod grade;
mod grading;
mod hint;
mod lab;
mod list;
mod manifest;
mod markdown;
mod mutants;
mod report;
mod reset;
mod runner;
mod scratch;
mod shipped;
mod soak;
mod suggest;
mod timeline;
mod timelines;
mod verify;
mod walk;
mod watch;
mod web;

use clap::{CommandFactory, Parser, Subcommand};

/// Wait or Work: grade the exercises, verify the solutions, build and serve the book.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Grade your exercises: all, a chapter (`01`) or one exercise (`01/02`).
    Check(check::CheckArgs),
    /// Prove that every shipped exercise fails and its solution passes the same tests.
    Verify(verify::VerifyArgs),
    /// Build, serve or test the book.
    #[command(subcommand)]
    Book(book::BookCommand),
    /// Everything CI checks: format, clippy, the tool's tests, verify, the book.
    Ci,
    /// Instructors: write a standalone course pack with the chosen chapters.
    Assign(assign::AssignArgs),
    /// Instructors: grade a student's copy with this repository's original tests.
    Grade(grade::GradeArgs),
    /// Measure this machine: computing and waiting workloads, as a table, JSON and
    /// charts for the book's "Your machine" page.
    Lab(lab::LabArgs),
    /// The lab's memory probe, run by `lab` in a fresh process.
    #[command(hide = true)]
    LabMemory {
        #[arg(long)]
        quick: bool,
    },
    /// Maintainers: the speedups the solutions reach here, against the 0.9 x cores bar.
    Bench(bench::BenchArgs),
    /// Maintainers: grade the solutions again and again under load patterns (a constant
    /// hog, neighbours that come and go, a many-threaded one) and report every failure.
    Soak(soak::SoakArgs),
    /// Grade an exercise on every save: [h]int, [n]ext, [l]ist, [r]erun, [q]uit.
    Watch(watch::WatchArgs),
    /// Every exercise with its status (as `check` last graded the files that are there
    /// now) and each chapter's progress.
    List(list::ListArgs),
    /// The exercise's hints, one more each time: a nudge, the API, the shape.
    Hint(hint::HintArgs),
    /// Put an exercise's files back as they shipped (a copy of what is replaced is
    /// kept under target/); `--tests` restores only the tests and given files.
    Reset(reset::ResetArgs),
    /// Maintainers: record what every exercise looks like now in
    /// exercises/shipped.toml (`--check`: is it up to date?).
    Fingerprint {
        #[arg(long)]
        check: bool,
    },
    /// Maintainers: write a wrong-answer fixture out whole, or record one as patches
    /// against its solution (`--from FILE|DIR`).
    Fixture(fixture::FixtureArgs),
    /// Maintainers: mutation testing of the exercises' tests (cargo-mutants on each
    /// solution, against its exercise's tests); every survivor killed or explained.
    Mutants(mutants::MutantsArgs),
    /// The neighbour process that `soak` starts: CPU load in a pattern, until killed.
    #[command(hide = true)]
    Hog(soak::HogArgs),
    /// Maintainers: draw the book's reference timelines from the solutions' paused-clock
    /// runs into book/src/chNN-*/img/timeline-NN-MM.svg (`--check`: are they current?).
    Timelines(timelines::TimelinesArgs),
    /// Open every page of the built book in headless Chromium (console errors, broken
    /// images, search, screenshots).
    WebTest,
}

/// Bad input from the person at the keyboard: reported in one line, exit status 2.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Returns early with a [`Usage`] error.
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::Usage(format!($($arg)*))))
    };
}

fn main() {
    // `cargo xtask list | head` ends quietly, as other command-line tools do, instead
    // of panicking on the closed pipe (Rust ignores SIGPIPE by default).
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => std::process::exit(usage_error(err)),
    };
    let result = match cli.command {
        Cmd::Check(args) => check::run(args),
        Cmd::Verify(args) => verify::run(args),
        Cmd::Book(command) => book::run(command),
        Cmd::Ci => ci::run(),
        Cmd::Assign(args) => assign::run(args),
        Cmd::Grade(args) => grade::run(args),
        Cmd::Soak(args) => soak::run(args),
        Cmd::Hog(args) => soak::hog(args),
        Cmd::Mutants(args) => mutants::run(args),
        Cmd::Fixture(args) => fixture::run(args),
        Cmd::Reset(args) => reset::run(args),
        Cmd::Hint(args) => hint::run(args),
        Cmd::List(args) => list::run(args),
        Cmd::Watch(args) => watch::run(args),
        Cmd::Fingerprint { check } => shipped::run(check),
        Cmd::Bench(args) => bench::run(args),
        Cmd::Lab(args) => lab::run(args),
        Cmd::LabMemory { quick } => lab::memory_probe(quick),
        Cmd::Timelines(args) => timelines::run(args),
        Cmd::WebTest => web::run(),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            // Bad input (an unknown selector or chapter, a folder that is not a
            // course) exits with 2, like a bad command line.
            let usage = err.chain().any(|e| e.is::<Usage>());
            eprintln!("error: {err:#}");
            std::process::exit(if usage { 2 } else { 1 });
        }
    }
}

/// Prints a bad command line as one line naming the nearest valid choices; help and
/// version print as usual. Returns the exit status.
fn usage_error(err: clap::Error) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            2
        } else {
            0
        };
    }
    let rendered = err.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("error: invalid command line")
        .trim()
        .to_string();
    let suggested: Vec<String> = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .filter_map(|k| err.get(k))
    .flat_map(|v| match v {
        ContextValue::String(s) => vec![s.clone()],
        ContextValue::Strings(s) => s.clone(),
        _ => Vec::new(),
    })
    .collect();
    let commands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    let tip = if !suggested.is_empty() {
        format!("; did you mean `{}`?", suggested.join("` or `"))
    } else if err.kind() == ErrorKind::InvalidSubcommand {
        format!("; commands: {}", commands.join(", "))
    } else {
        String::new()
    };
    eprintln!("{first}{tip} (see `cargo xtask --help`)");
    2
}
