//! Reading the project's input files: regular files only, never blocking, never more than a
//! cap. A FIFO, socket or device where a file is expected is an error (opened without
//! blocking, so a FIFO with no writer cannot hang a build); every read stops at its kind's
//! cap whatever the file's length says (a device reports 0 and never ends). The caps are in
//! docs/PRODUCT.md ("Bad input").

use std::io::Read as _;
use std::path::Path;

use crate::diagnostics::{Diagnostic, Location};

/// How much of one kind of input is read at most.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub bytes: u64,
    /// What the file is, for messages ("a Markdown file").
    pub what: &'static str,
}

const MIB: u64 = 1 << 20;

pub const CONFIG: Limit = Limit {
    bytes: MIB,
    what: "book.toml",
};
pub const MARKDOWN: Limit = Limit {
    bytes: 16 * MIB,
    what: "a Markdown file",
};
pub const BIBLIOGRAPHY: Limit = Limit {
    bytes: 64 * MIB,
    what: "a bibliography file",
};
/// quick-xml, which parses CSL, has open denial-of-service advisories: keep styles small.
pub const CSL_STYLE: Limit = Limit {
    bytes: MIB,
    what: "a CSL style",
};
pub const TEMPLATE: Limit = Limit {
    bytes: 4 * MIB,
    what: "a template",
};
pub const COVER: Limit = Limit {
    bytes: 16 * MIB,
    what: "a cover image",
};
pub const THEME_FILE: Limit = Limit {
    bytes: 64 * MIB,
    what: "a theme's static file",
};

/// A file published as it is (an image, a PDF): GitHub refuses files over 100 MB.
pub const ASSET: Limit = Limit {
    bytes: 100 * MIB,
    what: "a published file",
};

/// Read a published file (an asset), every problem a diagnostic at `display`.
pub fn read_asset(path: &Path, display: &Path) -> Result<Vec<u8>, Diagnostic> {
    read_capped(path, ASSET).map_err(|err| {
        Diagnostic::error(format!("cannot read the file: {err}"))
            .at(Location::file(display))
            .hint(err.hint())
    })
}

/// Why an input could not be read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// Not a regular file: what it is instead ("a FIFO (named pipe)").
    NotAFile(&'static str),
    TooLarge(Limit),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(err) => write!(f, "{err}"),
            ReadError::NotAFile(kind) => write!(f, "it is {kind}, not a file"),
            ReadError::TooLarge(limit) => write!(
                f,
                "it is larger than {} MiB, the limit for {}",
                limit.bytes / MIB,
                limit.what
            ),
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> Self {
        ReadError::Io(err)
    }
}

impl ReadError {
    /// A hint for the user.
    pub fn hint(&self) -> &'static str {
        match self {
            ReadError::Io(err) if err.kind() == std::io::ErrorKind::NotFound => {
                "check the path: it does not exist"
            }
            ReadError::Io(_) => "check that the file exists and that you may read it",
            ReadError::NotAFile(_) => {
                "inputs must be regular files (a FIFO, socket or device cannot be read as one)"
            }
            ReadError::TooLarge(_) => "check the file: inputs of this kind are much smaller",
        }
    }
}

/// What a non-regular file is.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Read a regular file, at most `limit.bytes` of it.
pub fn read_capped(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading waits for a writer; without blocking, it opens at once and
    // is then refused as not a file. (No effect on regular files.)
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta)));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit.bytes) as usize);
    file.take(limit.bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Read an input as UTF-8 text (BOM removed), every problem a diagnostic at `display`.
pub fn read_text(path: &Path, display: &Path, limit: Limit) -> Result<String, Diagnostic> {
    let bytes = read_capped(path, limit).map_err(|err| {
        Diagnostic::error(format!("cannot read the file: {err}"))
            .at(Location::file(display))
            .hint(err.hint())
    })?;
    decode_text(bytes, display)
}

/// Bytes of a file as UTF-8 text, with the BOM removed; invalid UTF-8 is reported at the
/// line and column of the first bad byte, with that line shown (the bad byte replaced).
pub fn decode_text(bytes: Vec<u8>, display: &Path) -> Result<String, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            // The lossy text keeps every byte before `valid` as it is, so offsets agree.
            let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let location = Location::at_offset(display, &lossy, valid, 1);
            Err(Diagnostic::error(format!(
                "the file is not valid UTF-8 (invalid byte at line {}, column {})",
                location.line, location.column
            ))
            .at(location)
            .hint("save the file with UTF-8 encoding"))
        }
    }
}
