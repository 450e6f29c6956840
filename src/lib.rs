//! Scholion: a static site generator for annotated readers.
//!
//! The pipeline is `load → index → render → write`; see ARCHITECTURE.md.

pub mod config;
pub mod content;
pub mod diagnostics;
pub mod markdown;
