//! The write stage, and the only module that writes to the user's disk.
//!
//! A build writes into a staging folder beside the output folder and swaps it in only when
//! the whole build succeeded, so a failed build leaves the previous output exactly as it was.
//! Scholion marks its own output with a `.scholion-output` file and refuses to replace a
//! non-empty folder without it (unless `--force`), or any dangerous folder. (`serve` writes
//! nothing: it renders pages into memory on request; see `serve.rs`.)

use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::diagnostics::Diagnostic;

/// The file that marks a folder as Scholion's output.
pub const MARKER: &str = ".scholion-output";

/// Make a path absolute and lexically normal (no `.`/`..`), without touching the disk.
pub fn normalise(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    // Resolve symlinks of the existing part, so `out` and the project compare truly.
    std::fs::canonicalize(&out).unwrap_or(out)
}

/// Refuse output folders that would destroy the project or someone else's files.
pub fn check_output_dir(
    root: &Path,
    content: &Path,
    out: &Path,
    force: bool,
) -> Result<(), Diagnostic> {
    let (root, content, out) = (normalise(root), normalise(content), normalise(out));
    if root.starts_with(&out) {
        return Err(Diagnostic::error(format!(
            "refusing to write the site to `{}`: it is the project folder or contains it",
            out.display()
        ))
        .hint("choose an output folder inside the project, such as `public`"));
    }
    if out.starts_with(&content) {
        return Err(Diagnostic::error(format!(
            "refusing to write the site to `{}`: it is inside the content folder",
            out.display()
        ))
        .hint("choose an output folder outside `content/`, such as `public`"));
    }
    if out.is_file() {
        return Err(
            Diagnostic::error(format!("the output path `{}` is a file", out.display()))
                .hint("choose a folder for the output"),
        );
    }
    if out.is_dir() && !force && !out.join(MARKER).exists() {
        let non_empty = std::fs::read_dir(&out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(Diagnostic::error(format!(
                "refusing to replace `{}`: it is not empty and Scholion did not write it",
                out.display()
            ))
            .hint(
                "choose another output folder, empty this one, or pass `--force` to replace it",
            ));
        }
    }
    Ok(())
}

/// A staging folder being filled by a build.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
}

impl Staging {
    pub fn new(out: &Path) -> Result<Staging> {
        let out = normalise(out);
        let parent = out
            .parent()
            .context("the output folder has no parent")?
            .to_path_buf();
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = out
            .file_name()
            .context("the output folder has no name")?
            .to_string_lossy()
            .to_string();
        let dir = parent.join(format!(".{name}.scholion-staging-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staging { dir, out })
    }

    /// Write one file (called from many threads).
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(safe_relative(rel)?);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Swap the staging folder in place of the output folder.
    pub fn commit(self) -> Result<()> {
        std::fs::write(
            self.dir.join(MARKER),
            b"This folder was written by Scholion; it replaces it whole on every build.\n",
        )
        .context("cannot write the output marker")?;
        let old = self.dir.with_file_name(format!(
            ".{}.scholion-old-{}",
            self.out.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id()
        ));
        let had_old = self.out.exists();
        if had_old {
            std::fs::rename(&self.out, &old).with_context(|| {
                format!(
                    "cannot move the previous output {} aside",
                    self.out.display()
                )
            })?;
        }
        if let Err(err) = std::fs::rename(&self.dir, &self.out) {
            if had_old {
                let _ = std::fs::rename(&old, &self.out);
            }
            return Err(err)
                .with_context(|| format!("cannot move the new site into {}", self.out.display()));
        }
        if had_old {
            remove_tree(&old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        Ok(())
    }

    /// Throw the staging folder away (the build failed).
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Remove a folder we moved aside, its subfolders in parallel (removing a site of 10,000
/// pages one file at a time took seconds).
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.par_iter().try_for_each(|p| {
        // Never follow a symlink out of the folder: remove the link itself.
        let meta = std::fs::symlink_metadata(p)?;
        if meta.is_dir() {
            let children: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            children.par_iter().try_for_each(|c| {
                if std::fs::symlink_metadata(c)?.is_dir() {
                    std::fs::remove_dir_all(c)
                } else {
                    std::fs::remove_file(c)
                }
            })?;
            std::fs::remove_dir(p)
        } else {
            std::fs::remove_file(p)
        }
    })?;
    std::fs::remove_dir(dir)
}

/// A relative output path that cannot escape its folder.
fn safe_relative(rel: &str) -> Result<PathBuf> {
    let path = Path::new(rel);
    if path.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(path.to_path_buf())
    } else {
        anyhow::bail!("refusing to write outside the output folder: {rel}")
    }
}
