//! The command line (clap derive): raw arguments → validated options. Every argument
//! carries a doc comment: it is its `--help` text (a test walks every command's help).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "scholion",
    version,
    about = "Build annotated readers: essays, glossary, sources and notes woven into one website",
    after_help = "Every command but `init DIR` works on the reader holding the current folder (or DIR): book.toml there or in the nearest folder above it.\nUser guide: docs/guide/ in the Scholion repository; book.toml keys: `scholion help-book-toml`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The folder argument every project command takes.
const DIR_HELP: &str = "The reader's folder, or any folder inside it (book.toml is looked for there, then upward); defaults to the current folder";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder (default `public/`)
    Build {
        #[arg(help = DIR_HELP)]
        dir: Option<PathBuf>,
        /// Write the site here instead of `output-dir` (relative to the current folder)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override `base-url`, e.g. https://user.github.io/reader/
        #[arg(long)]
        base_url: Option<String>,
        /// Include essays marked `draft: true` (left out by default; the build says how many)
        #[arg(long)]
        drafts: bool,
        /// Fail (exit 1, write nothing) on warnings too, not only on errors
        #[arg(long)]
        deny_warnings: bool,
        /// Replace an existing non-empty output folder Scholion did not write
        #[arg(long)]
        force: bool,
    },
    /// Check everything a build checks, writing nothing; exit 1 on any error
    Check {
        #[arg(help = DIR_HELP)]
        dir: Option<PathBuf>,
        /// Check as `build --drafts` would: links from published essays to drafts are then
        /// fine (drafts themselves are checked either way)
        #[arg(long)]
        drafts: bool,
        /// Exit 1 on warnings too, not only on errors
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Build, serve on 127.0.0.1, rebuild and reload the browser on every save
    Serve {
        #[arg(help = DIR_HELP)]
        dir: Option<PathBuf>,
        /// Port to listen on
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Address to bind (127.0.0.1 unless told otherwise)
        #[arg(long, default_value = "127.0.0.1")]
        interface: String,
        /// Open the site in a browser
        #[arg(long)]
        open: bool,
        /// Show drafts, marked as drafts (the default for serve)
        #[arg(long, overrides_with = "no_drafts")]
        drafts: bool,
        /// Hide drafts, as `build` does
        #[arg(long, overrides_with = "drafts")]
        no_drafts: bool,
    },
    /// Remove the output folder (only if Scholion wrote it) and Scholion's state folder `.scholion/`
    Clean {
        #[arg(help = DIR_HELP)]
        dir: Option<PathBuf>,
        /// The output folder, when it is not `output-dir` (relative to the current folder)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create a new reader with one essay, one term, one reference and a README
    Init {
        /// The folder to create (with --update-workflow: the reader; defaults to the current folder)
        #[arg(required_unless_present = "update_workflow")]
        dir: Option<PathBuf>,
        /// Rewrite an existing reader's .github/workflows/pages.yml for this version of Scholion
        #[arg(long)]
        update_workflow: bool,
    },
    /// Create a new essay or glossary term with its front matter filled in
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Print every key book.toml accepts, with its default and meaning
    HelpBookToml,
}

#[derive(Debug, Subcommand)]
pub enum NewWhat {
    /// A new essay in the content folder's essays/ (a draft until you remove `draft: true`)
    Essay {
        /// The essay's title; its file name is the title's slug
        title: String,
        #[arg(long, help = DIR_HELP)]
        dir: Option<PathBuf>,
    },
    /// A new glossary term in the content folder's glossary/
    Term {
        /// The term's name; its file name is the name's slug
        term: String,
        #[arg(long, help = DIR_HELP)]
        dir: Option<PathBuf>,
    },
}
