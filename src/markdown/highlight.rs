//! Code blocks highlighted at build time: syntect's grammars (the Sublime Text set that
//! Zola, bat and mdBook's successors use), written as classes (`hl-keyword`, `hl-string` …)
//! that the theme's stylesheet colours for light and dark mode alike. No JavaScript.
//!
//! A fenced block whose language syntect knows (by name or file extension: `rust`, `rs`,
//! `python`, `py`, `js`, `sh`, `html`, `latex` …) is highlighted; others stay plain text.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Longer code blocks are left plain (highlighting is linear, but its constant is large).
pub const MAX_HIGHLIGHT_BYTES: usize = 256 * 1024;

/// The class prefix (`hl-keyword`): keeps the grammar's scope names apart from the theme's.
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The language of a fence's info string (`rust`, `rust,ignore`, `{.python}`, `py title="x"`).
pub fn language(info: &str) -> &str {
    let first = info.split_whitespace().next().unwrap_or("");
    let first = first.split(',').next().unwrap_or("");
    first
        .trim_start_matches('{')
        .trim_start_matches('.')
        .trim_end_matches('}')
}

/// `code` (a fenced block's text) as highlighted HTML (spans only; the caller writes
/// `<pre><code>`), or `None` when the language is unknown, the block too long, or the
/// grammar fails on it.
pub fn highlight(lang: &str, code: &str) -> Option<String> {
    if lang.is_empty() || code.len() > MAX_HIGHLIGHT_BYTES {
        return None;
    }
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_token(&lang.to_ascii_lowercase()))?;
    if syntax.name == "Plain Text" {
        return None;
    }
    // A panic in a grammar must not take the build down: the block stays plain.
    std::panic::catch_unwind(|| {
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .ok()?;
        }
        Some(generator.finalize())
    })
    .ok()
    .flatten()
}

/// Highlighted blocks passed from one render to another of the same documents (the print
/// edition and the EPUB render every essay once each, in parallel jobs): the first render
/// of a block leaves its result here, the second takes it (and removes it), so each block
/// is highlighted once for both and the memory held is only what one render is ahead of
/// the other. A block is a pure function of its language and text (the key, compared
/// whole), so which render computes it changes no byte. Owned by the renderer of one build
/// (not process-wide).
#[derive(Debug, Default)]
pub struct Shared {
    pending: Mutex<HashMap<(String, String), Option<String>>>,
}

impl Shared {
    /// `highlight(lang, code)`, taken from the other render when it got there first.
    pub fn highlight(&self, lang: &str, code: &str) -> Option<String> {
        if lang.is_empty() || code.len() > MAX_HIGHLIGHT_BYTES {
            return None;
        }
        let key = (lang.to_string(), code.to_string());
        let pending = || self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(html) = pending().remove(&key) {
            return html;
        }
        let html = highlight(lang, code);
        let mut pending = pending();
        // The other render made it meanwhile (for us): the pair is done. Else leave ours.
        if pending.remove(&key).is_none() {
            pending.insert(key, html.clone());
        }
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_classes_and_others_stay_plain() {
        let html = highlight("rust", "fn main() { let s = \"<x>\"; }\n").unwrap();
        assert!(
            html.contains("hl-keyword") || html.contains("hl-storage"),
            "{html}"
        );
        assert!(html.contains("hl-string"), "{html}");
        assert!(html.contains("&lt;x&gt;"), "{html}");
        assert!(highlight("py", "def f(): return 1\n").is_some());
        assert!(highlight("nolang", "x").is_none());
        assert!(highlight("", "x").is_none());
        assert_eq!(language("rust,ignore"), "rust");
        assert_eq!(language("{.python}"), "python");
        // Shared between two renders: the same bytes, and nothing left once both took it.
        let shared = Shared::default();
        let code = "fn main() {}\n";
        assert_eq!(shared.highlight("rust", code), highlight("rust", code));
        assert_eq!(shared.pending.lock().unwrap().len(), 1);
        assert_eq!(shared.highlight("rust", code), highlight("rust", code));
        assert!(shared.pending.lock().unwrap().is_empty());
        assert_eq!(language("py title=\"a\""), "py");
    }
}
