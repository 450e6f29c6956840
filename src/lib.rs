//! Scholion: a static site generator for annotated readers.
//!
//! The pipeline is `load → index → render → write`; see ARCHITECTURE.md.

pub mod cli;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod i18n;
pub mod ids;
pub mod index;
pub mod input;
pub mod markdown;
pub mod output;
pub mod pipeline;
pub mod project;
pub mod render;
pub mod route;
pub mod scaffold;
pub mod serve;
pub mod timing;
