//! The command line (clap derive): raw arguments → validated options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "scholion",
    version,
    about = "Build annotated readers: essays, glossary, sources and notes woven into one website"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder (default `public/`)
    Build {
        /// The project folder (holding book.toml); defaults to the current folder
        dir: Option<PathBuf>,
        /// Write the site here instead of `output-dir` (relative to the current folder)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override `base-url`, e.g. https://user.github.io/reader/
        #[arg(long)]
        base_url: Option<String>,
        /// Include essays marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Fail on warnings too
        #[arg(long)]
        deny_warnings: bool,
        /// Replace an existing non-empty output folder Scholion did not write
        #[arg(long)]
        force: bool,
    },
    /// Check everything a build checks, writing nothing; exit 1 on any error
    Check {
        dir: Option<PathBuf>,
        #[arg(long)]
        drafts: bool,
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Build, serve on 127.0.0.1, rebuild and reload the browser on every save
    Serve {
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
        /// Include drafts
        #[arg(long)]
        drafts: bool,
    },
    /// Remove the output folder (only if Scholion wrote it) and Scholion's state folder `.scholion/`
    Clean {
        /// The project folder (holding book.toml); defaults to the current folder
        dir: Option<PathBuf>,
        /// The output folder, when it is not `output-dir` (relative to the current folder)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create a new reader with one essay, one term and one reference
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
}

#[derive(Debug, Subcommand)]
pub enum NewWhat {
    /// A new essay in content/essays/
    Essay {
        title: String,
        /// The project folder; defaults to the current folder
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// A new glossary term in content/glossary/
    Term {
        term: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}
