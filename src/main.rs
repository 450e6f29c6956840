//! The `scholion` binary: parse the command line, run the command, print diagnostics,
//! and exit 0 (ok) or 1 (a problem in the user's project).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use scholion::cli::{Cli, Command, NewWhat};
use scholion::pipeline::{self, Outcome, Request};
use scholion::{scaffold, serve};

/// `eprintln!` that ignores a closed stderr: `scholion check 2>&1 | head` must not panic
/// when `head` stops reading.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            say!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn root(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| PathBuf::from("."))
}

/// Print diagnostics and a summary; the exit code follows the outcome.
pub fn report(outcome: &Outcome, done: &str) -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in &outcome.diagnostics {
        say!("{}\n", d.render(color));
    }
    let (errors, warnings) = (outcome.errors(), outcome.warnings());
    if outcome.failed {
        say!(
            "error: failed with {errors} error{} and {warnings} warning{}",
            plural(errors),
            plural(warnings)
        );
        ExitCode::from(1)
    } else {
        if warnings > 0 {
            say!("warning: {warnings} warning{}", plural(warnings));
        }
        say!("{done}");
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    Ok(match cli.command {
        Command::Build {
            dir,
            out,
            base_url,
            drafts,
            deny_warnings,
            force,
        } => {
            let start = Instant::now();
            let request = Request {
                root: root(dir),
                base_url,
                drafts,
                deny_warnings,
            };
            let outcome = pipeline::build(&request, out.as_deref(), force);
            let ms = start.elapsed().as_millis();
            report(
                &outcome,
                &format!("Built {} pages in {ms} ms", outcome.pages),
            )
        }
        Command::Check {
            dir,
            drafts,
            deny_warnings,
        } => {
            let start = Instant::now();
            let request = Request {
                root: root(dir),
                base_url: None,
                drafts,
                deny_warnings,
            };
            let outcome = pipeline::check(&request);
            let ms = start.elapsed().as_millis();
            report(
                &outcome,
                &format!("Checked {} pages in {ms} ms: no errors", outcome.pages),
            )
        }
        Command::Serve {
            dir,
            port,
            interface,
            open,
            drafts,
        } => serve::run(serve::Options {
            root: root(dir),
            port,
            interface,
            open,
            drafts,
        })?,
        Command::Init { dir } => {
            scaffold::init(&dir)?;
            say!(
                "Created a new reader in {}.\nNext: scholion build {0}   (or: scholion serve {0})",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Command::New { what } => {
            let path = match what {
                NewWhat::Essay { title, dir } => scaffold::new_essay(&root(dir), &title)?,
                NewWhat::Term { term, dir } => scaffold::new_term(&root(dir), &term)?,
            };
            say!("Created {}", path.display());
            ExitCode::SUCCESS
        }
    })
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
