//! The `scholion` binary: parse the command line, run the command, print diagnostics,
//! and exit 0 (ok) or 1 (a problem in the user's project).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use scholion::cli::{Cli, Command, NewWhat};
use scholion::pipeline::{self, Outcome, Request};
use scholion::{project, scaffold, serve};

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

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The project for a command's DIR (book.toml there or above), or the diagnostic saying why
/// there is none, printed, with exit 1.
fn project(dir: Option<PathBuf>) -> Result<PathBuf, ExitCode> {
    project::find(&project::given(dir), true).map_err(|d| {
        say!("{}", d.render(color()));
        ExitCode::from(1)
    })
}

/// `let root = found!(dir);`: the project, or return its exit code.
macro_rules! found {
    ($dir:expr) => {
        match project($dir) {
            Ok(root) => root,
            Err(code) => return Ok(code),
        }
    };
}

/// Print diagnostics and a summary; the exit code follows the outcome.
pub fn report(outcome: &Outcome, done: &str) -> ExitCode {
    let color = color();
    for d in &outcome.diagnostics {
        say!("{}\n", d.render(color));
    }
    let warnings = outcome.warnings();
    if outcome.failed {
        say!("error: {}", summary(outcome));
        ExitCode::from(1)
    } else {
        if warnings > 0 {
            say!("warning: {warnings} warning{}", plural(warnings));
        }
        say!("{done}");
        let drafts = outcome.drafts_left_out;
        if drafts > 0 {
            say!(
                "note: left out {drafts} draft{} (`draft: true`); `--drafts` includes {}, `scholion serve` shows {} marked as draft{0}",
                plural(drafts),
                if drafts == 1 { "it" } else { "them" },
                if drafts == 1 { "it" } else { "them" },
            );
        }
        ExitCode::SUCCESS
    }
}

/// The last line of a failed run, as rustc ends one: `3 errors in 2 files; 1 warning`.
fn summary(outcome: &Outcome) -> String {
    let (errors, warnings) = (outcome.errors(), outcome.warnings());
    let warned = format!("{warnings} warning{}", plural(warnings));
    if errors == 0 {
        return format!("{warned}, denied by --deny-warnings");
    }
    let files: std::collections::BTreeSet<&std::path::Path> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == scholion::diagnostics::Severity::Error)
        .filter_map(|d| d.location.as_ref().map(|l| l.path.as_path()))
        .collect();
    let mut line = format!("{errors} error{}", plural(errors));
    if !files.is_empty() {
        line += &format!(" in {} file{}", files.len(), plural(files.len()));
    }
    if warnings > 0 {
        line += &format!("; {warned}");
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if matches!(cli.command, Command::Build { .. } | Command::Check { .. }) {
        allocator::keep_freed_memory();
    }
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
                root: found!(dir),
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
                root: found!(dir),
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
            drafts: _,
            no_drafts,
        } => serve::run(serve::Options {
            root: found!(dir),
            port,
            interface,
            open,
            // serve shows drafts (marked as such) unless told not to.
            drafts: !no_drafts,
        })?,
        Command::HelpBookToml => {
            print!("{}", scholion::config::BOOK_TOML_HELP);
            ExitCode::SUCCESS
        }
        Command::Clean { dir, out } => {
            let root = found!(dir);
            let config = match scholion::config::Config::load(&root) {
                Ok(c) => c,
                Err(d) => {
                    say!("{}", d.render(color()));
                    return Ok(ExitCode::from(1));
                }
            };
            let out = out.unwrap_or_else(|| root.join(&config.build.output_dir));
            let scholion::output::Cleaned { removed, kept } = scholion::output::clean(&root, &out)?;
            for path in &removed {
                say!("Removed {}", path.display());
            }
            for (path, why) in &kept {
                say!("Kept {}: {why}", path.display());
            }
            if removed.is_empty() && kept.is_empty() {
                say!("Nothing to clean");
            }
            ExitCode::SUCCESS
        }
        Command::Init {
            dir,
            update_workflow: true,
        } => {
            let dir = found!(dir);
            let path = dir.join(scaffold::PAGES_WORKFLOW_PATH);
            let version = env!("CARGO_PKG_VERSION");
            match scaffold::update_workflow(&dir)? {
                scaffold::WorkflowUpdate::Unchanged => {
                    say!("{} is already Scholion {version}'s", path.display())
                }
                scaffold::WorkflowUpdate::Written { previous } => say!(
                    "Wrote {} for Scholion {version}{}",
                    path.display(),
                    previous.map_or(String::new(), |v| format!(" (it installed {v})"))
                ),
            }
            ExitCode::SUCCESS
        }
        Command::Init { dir, .. } => {
            let dir = project::given(dir);
            scaffold::init(&dir)?;
            // `init .` names the folder it filled; the next commands need no DIR there.
            let arg = if dir == std::path::Path::new(".") {
                String::new()
            } else {
                format!(" {}", dir.display())
            };
            say!(
                "Created a new reader in {}.\nNext: scholion build{arg}   (or: scholion serve{arg})\nIts README.md says where to go from there.",
                project::display(&dir)
            );
            ExitCode::SUCCESS
        }
        Command::New { what } => {
            let (NewWhat::Essay { dir, .. } | NewWhat::Term { dir, .. }) = &what;
            let root = found!(dir.clone());
            let config = match scholion::config::Config::load(&root) {
                Ok(c) => c,
                Err(d) => {
                    say!("{}", d.render(color()));
                    return Ok(ExitCode::from(1));
                }
            };
            let content = root.join(&config.build.content_dir);
            match what {
                NewWhat::Essay { title, .. } => {
                    let path = scaffold::new_essay(&content, &title)?;
                    say!(
                        "Created {} as a draft (`draft: true`): `scholion serve` shows it, marked as a draft; `scholion build` leaves it out until you delete that line (or pass `--drafts`)",
                        path.display()
                    );
                }
                NewWhat::Term { term, .. } => {
                    let path = scaffold::new_term(&content, &term)?;
                    say!("Created {}", path.display());
                }
            }
            ExitCode::SUCCESS
        }
    })
}

// `--features system-alloc` keeps the system allocator, for heap profilers (heaptrack) that
// hook malloc.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod allocator {
    #[cfg(test)]
    use libmimalloc_sys::mi_option_get;
    use libmimalloc_sys::{mi_option_set, mi_option_t};

    /// `mi_option_purge_delay` in the enum of the vendored mimalloc v3 (`mimalloc.h`); the
    /// crate's bindings name only the options v2 and v3 share. A test checks its default.
    pub(crate) const PURGE_DELAY: mi_option_t = 15;

    /// Never hand freed memory back to the OS. mimalloc purges free pages a second after
    /// they empty; a build's next stage then faults them back in, and each fault zeroes a
    /// 2 MiB huge page: at 10,000 essays that was a fifth of the CPU time (`clear_page_erms`
    /// 21% under `perf`). A build or check exits within seconds, so the memory is returned
    /// then. `serve` runs for hours and keeps the default.
    pub(crate) fn keep_freed_memory() {
        // SAFETY: plain setters of a global option; any value is valid (-1 = never purge).
        unsafe { mi_option_set(PURGE_DELAY, -1) };
    }

    #[cfg(test)]
    mod tests {
        fn purge_delay() -> std::ffi::c_long {
            // SAFETY: a plain getter of a global option.
            unsafe { super::mi_option_get(super::PURGE_DELAY) }
        }

        #[test]
        fn the_purge_delay_option_is_the_one_we_set() {
            // mimalloc v3's documented default purge delay is 1000 ms; another option at
            // index 15 would not have it.
            assert_eq!(purge_delay(), 1000);
            super::keep_freed_memory();
            assert_eq!(purge_delay(), -1);
        }
    }
}
