//! `cargo xtask`: the Wait or Work course tool. One module per subcommand.

mod book;
mod check;
mod ci;
mod course;
mod runner;
mod scratch;
mod suggest;
mod verify;

use clap::{CommandFactory, Parser, Subcommand};

/// Wait or Work: grade the exercises, verify the solutions, build and serve the book.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", version, about)]
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
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => std::process::exit(usage_error(err)),
    };
    let result = match cli.command {
        Cmd::Check(args) => check::run(args),
        Cmd::Verify(args) => verify::run(args),
        Cmd::Book(command) => book::run(command),
        Cmd::Ci => ci::run(),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            let usage = err
                .chain()
                .any(|e| e.to_string().starts_with("no exercise matches"));
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
