//! User-facing problems: one `Diagnostic` type for every error and warning a user can cause,
//! a thread-safe collector, and a rustc-style printer (annotate-snippets).
//!
//! A diagnostic points at a file and a 1-based line and column, carries the offending source
//! line, and may carry a hint. Internal failures (I/O on the output folder) are not
//! diagnostics; they travel as `anyhow::Error` with context.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Context for other diagnostics (neither fails a run nor counts as a warning).
    Note,
    Warning,
    Error,
}

/// One problem found in the user's project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where it is: the file (relative to the project root when possible) and a position.
    pub location: Option<Box<Location>>,
    pub hint: Option<String>,
}

/// A place in a source file. `line` and `column` are 1-based; `column` counts characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The text of the offending line (without its line ending), when known; of a long
    /// line, only the stretch around the column (see `excerpt_from`).
    pub source_line: Option<String>,
    /// The 0-based character column of the line where `source_line` starts: 0, or more when
    /// the line was longer than `MAX_LINE_BYTES` (20,000 errors on one 600 KB line must
    /// not keep 20,000 copies of it).
    pub excerpt_from: usize,
    /// How many characters of `source_line` to underline (at least 1).
    pub width: usize,
}

/// A source line longer than this is kept as an excerpt around the problem.
const MAX_LINE_BYTES: usize = 1024;
/// How much of a long line an excerpt keeps on each side of the problem.
const CONTEXT_BYTES: usize = 160;

/// Where each line of a text starts (byte offsets; the first is 0).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }
}

impl Location {
    /// A location at byte `offset` of `source`, the text of `path`.
    pub fn at_offset(path: &Path, source: &str, offset: usize, len: usize) -> Location {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line = source[..offset].bytes().filter(|&b| b == b'\n').count() + 1;
        Location::on_line(path, source, offset, len, line, line_start)
    }

    /// Like `at_offset`, with the line found in `lines` (made once per source) instead of
    /// by counting from the start: for the many locations of one large file.
    pub fn at_offset_indexed(
        path: &Path,
        source: &str,
        lines: &LineIndex,
        offset: usize,
        len: usize,
    ) -> Location {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = lines.starts.partition_point(|&start| start <= offset);
        Location::on_line(path, source, offset, len, line, lines.starts[line - 1])
    }

    /// The location at `offset` (a char boundary), known to be on 1-based `line`, which
    /// starts at byte `line_start`.
    fn on_line(
        path: &Path,
        source: &str,
        offset: usize,
        len: usize,
        line: usize,
        line_start: usize,
    ) -> Location {
        let line_end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i);
        let line_text = source[line_start..line_end].trim_end_matches('\r');
        let column = source[line_start..offset].chars().count() + 1;
        let end = floor_char_boundary(source, (offset + len).min(line_start + line_text.len()));
        let width = source[offset..end.max(offset)].chars().count().max(1);
        let line_end = line_start + line_text.len();
        let (excerpt, excerpt_from) = if line_text.len() <= MAX_LINE_BYTES {
            (line_text, 0)
        } else {
            let from =
                floor_char_boundary(source, offset.saturating_sub(CONTEXT_BYTES).max(line_start));
            let to = floor_char_boundary(source, (end + CONTEXT_BYTES).min(line_end)).max(end);
            (&source[from..to], source[line_start..from].chars().count())
        };
        Location {
            path: path.to_path_buf(),
            line,
            column,
            source_line: Some(excerpt.to_string()),
            excerpt_from,
            width,
        }
    }

    /// A location at a 1-based line and column of `source`.
    pub fn at_line_col(path: &Path, source: &str, line: usize, column: usize) -> Location {
        let offset = offset_of_line_col(source, line, column);
        Location::at_offset(path, source, offset, 1)
    }

    /// A location naming only a file.
    pub fn file(path: &Path) -> Location {
        Location {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            source_line: None,
            excerpt_from: 0,
            width: 1,
        }
    }
}

/// The byte offset of a 1-based line and character column in `source` (clamped).
pub fn offset_of_line_col(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line.max(1) {
        match source[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return source.len(),
        }
    }
    let rest = &source[offset..];
    let line_len = rest.find('\n').unwrap_or(rest.len());
    let col_bytes = rest[..line_len]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_len, |(i, _)| i);
    offset + col_bytes
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            hint: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn note(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, location: Location) -> Diagnostic {
        self.location = Some(Box::new(location));
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }

    /// Render rustc-style. `color` chooses ANSI styling.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Note => Level::NOTE,
        };
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let path_text = self
            .location
            .as_ref()
            .map(|l| l.path.display().to_string())
            .unwrap_or_default();
        let mut group: Group = Group::with_title(level.primary_title(&self.message));
        let mut whole_file = false;
        if let Some(loc) = &self.location {
            match &loc.source_line {
                Some(text) => {
                    let start = text
                        .char_indices()
                        .nth(loc.column.saturating_sub(1 + loc.excerpt_from))
                        .map_or(text.len(), |(i, _)| i);
                    let end = text[start..]
                        .char_indices()
                        .nth(loc.width)
                        .map_or(text.len(), |(i, _)| start + i);
                    group = group.element(
                        Snippet::source(text.as_str())
                            .line_start(loc.line)
                            .path(path_text.as_str())
                            .fold(false)
                            .annotation(AnnotationKind::Primary.span(start..end.max(start))),
                    );
                }
                None => whole_file = true,
            }
        }
        if let Some(hint) = &self.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        let mut text = renderer.render(&[group]);
        if let Some(loc) = self.location.as_ref().filter(|l| l.excerpt_from > 0) {
            // The snippet was an excerpt: the printer counted the column from its start.
            let shown = format!("{path_text}:{}:{}", loc.line, loc.column - loc.excerpt_from);
            let real = format!("{path_text}:{}:{}", loc.line, loc.column);
            text = text.replacen(&shown, &real, 1);
        }
        if whole_file {
            // A whole-file diagnostic: name the file on its own arrow line.
            let arrow = format!("\n  --> {path_text}");
            let first_break = text.find('\n').unwrap_or(text.len());
            text.insert_str(first_break, &arrow);
        }
        text
    }
}

/// Collects diagnostics from many threads; reports error/warning counts.
#[derive(Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&self, diagnostic: Diagnostic) {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(diagnostic);
    }

    pub fn extend(&self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(diagnostics);
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// All diagnostics, sorted by file, position, then message, so output is deterministic
    /// whatever order the parallel stages found them in. Duplicates are dropped.
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        let mut items = self.items.into_inner().unwrap_or_else(|e| e.into_inner());
        items.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                d.location
                    .as_ref()
                    .map(|l| (l.path.clone(), l.line, l.column))
            };
            // Notes (context such as "3 citations were not checked") come last.
            (a.severity == Severity::Note)
                .cmp(&(b.severity == Severity::Note))
                .then_with(|| key(a).cmp(&key(b)))
                .then_with(|| b.severity.cmp(&a.severity))
                .then_with(|| a.message.cmp(&b.message))
        });
        items.dedup();
        items
    }
}

/// The closest candidate to `wanted`, for "did you mean" hints (Jaro–Winkler ≥ 0.8).
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&wanted_lower, &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, c)| score > s || (score == s && candidate < c)) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// "did you mean `x`?" when something close exists.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}
/// The first `backticked` word of a message (a parser's error names the key it rejects so).
pub fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}
