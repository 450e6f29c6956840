//! Finding the project a command works on, as cargo and Zola do: `book.toml` in the given
//! folder (default: the current one), else in the nearest folder above it.

use std::path::{Path, PathBuf};

use crate::config::CONFIG_FILE;
use crate::diagnostics::Diagnostic;

/// Why no project was found: a diagnostic with a hint.
fn no_such_folder(dir: &Path) -> Diagnostic {
    let what = if dir.exists() {
        "is not a folder"
    } else {
        "does not exist"
    };
    Diagnostic::error(format!("no such folder: `{}` {what}", dir.display()))
        .hint("give the reader's folder (the one holding book.toml), or leave it out to use the current folder")
}

fn no_book_toml(searched: &Path) -> Diagnostic {
    Diagnostic::error(format!(
        "not inside a reader: no {CONFIG_FILE} in `{}` or any folder above it",
        searched.display()
    ))
    .hint(format!(
        "run the command inside a reader (a folder holding {CONFIG_FILE}) or give its folder; make a new reader with `scholion init <folder>`"
    ))
}

/// The folder given on the command line, or the current one.
pub fn given(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| PathBuf::from("."))
}

/// The project root for `dir`: `dir` itself when it holds `book.toml`, else the nearest
/// folder above it that does. The result is `dir` joined with as many `..` as it took, so
/// paths stay relative to where the user is. When none does, `dir` itself is the project
/// if `lenient` and it has a `content/` folder (a reader may omit book.toml: every key has
/// a default).
pub fn find(dir: &Path, lenient: bool) -> Result<PathBuf, Diagnostic> {
    if !dir.is_dir() {
        return Err(no_such_folder(dir));
    }
    let absolute = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut up = PathBuf::new();
    for ancestor in absolute.ancestors() {
        if ancestor.join(CONFIG_FILE).is_file() {
            return Ok(if up.as_os_str().is_empty() {
                dir.to_path_buf()
            } else if dir == Path::new(".") {
                up
            } else {
                dir.join(up)
            });
        }
        up.push("..");
    }
    if lenient && dir.join("content").is_dir() {
        return Ok(dir.to_path_buf());
    }
    Err(no_book_toml(&absolute))
}

/// How to name a project folder to the user: the folder as given, or its real name when it
/// is `.` or ends in `..` (which say nothing).
pub fn display(dir: &Path) -> String {
    let vague = dir.components().next_back().is_none_or(|c| {
        matches!(
            c,
            std::path::Component::CurDir | std::path::Component::ParentDir
        )
    });
    if vague {
        std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string()
    } else {
        dir.display().to_string()
    }
}
