//! `scholion serve`: build in memory, serve under the base path, watch, rebuild, reload.

use std::path::PathBuf;
use std::process::ExitCode;

pub struct Options {
    pub root: PathBuf,
    pub port: u16,
    pub interface: String,
    pub open: bool,
    pub drafts: bool,
}

pub fn run(_options: Options) -> anyhow::Result<ExitCode> {
    anyhow::bail!("serve is not implemented yet")
}
