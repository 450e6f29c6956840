//! The pandoc citation syntax, recognised in text: `[@key]`, `[@key, p. 33]`,
//! `[@a; @b, pp. 4-5]`, `[see @key, ch. 2]`, `[-@key]`, and narrative `@key` (optionally
//! followed by `[p. 33]`) when the key is in the bibliography.
//!
//! As in pandoc, `@` starts a citation only at the start of text or after a character that
//! is not a letter or digit, so an e-mail address stays text.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event};

use super::Node;

/// One cited work inside a citation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CiteItem {
    pub key: String,
    pub prefix: String,
    pub suffix: String,
    pub locator: Option<(LocatorKind, String)>,
    pub suppress_author: bool,
    /// Written in running text (`@key`) rather than in brackets.
    pub narrative: bool,
    /// Byte offset of the `@key` in the Markdown body (for diagnostics).
    pub offset: usize,
    pub use_index: usize,
}

/// A piece of a formatted citation: the style's text (HTML: brackets, delimiters), or one
/// cited item (HTML), which the render pass links to its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitePart {
    Text(String),
    Item { use_index: usize, html: String },
}

/// A citation as the style formatted it in its document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormattedCitation {
    /// What stands in the text: "(Lieberthal 1992, 33)", "[1]", "Lieberthal (1992)"; in a
    /// note style, a narrative citation's author (else nothing: the note mark).
    pub text: Vec<CitePart>,
    /// In a note style, a citation in the body becomes a note with this text.
    pub note: Option<Vec<CitePart>>,
}

/// A whole citation: bracketed (`[…]`) or narrative (`@key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub items: Vec<CiteItem>,
    pub narrative: bool,
}

/// CSL locator kinds (every locator of CSL 1.0.2 with a term in the locales).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocatorKind {
    Page,
    Chapter,
    Section,
    Paragraph,
    Volume,
    Figure,
    Note,
    Line,
    Column,
    Book,
    Part,
    Verse,
    Table,
    Act,
    Appendix,
    Canon,
    Equation,
    Folio,
    Issue,
    Opus,
    Rule,
    Scene,
    SubVerbo,
    Supplement,
    Timestamp,
    Title,
}

/// The locator words a citation's locator is recognised by (`p.`, `S.`, `chap.` …):
/// Scholion's English list and the terms of the document's CSL locale (long, short and
/// symbol forms, singular and plural), as pandoc reads them. Longest first, so `pp.` wins
/// over `p.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocatorWords {
    words: Vec<(String, LocatorKind)>,
}

impl LocatorWords {
    /// The English words plus `terms` (a locale's locator terms).
    pub fn with_terms(terms: impl IntoIterator<Item = (String, LocatorKind)>) -> LocatorWords {
        let mut words: Vec<(String, LocatorKind)> = LOCATOR_WORDS
            .iter()
            .map(|(w, k)| (w.to_string(), *k))
            .collect();
        for (word, kind) in terms {
            let word = word.trim().to_string();
            if !word.is_empty() && !words.iter().any(|(w, _)| w.eq_ignore_ascii_case(&word)) {
                words.push((word, kind));
            }
        }
        words.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        LocatorWords { words }
    }

    /// Scholion's English words alone.
    pub fn english() -> &'static LocatorWords {
        static ENGLISH: std::sync::OnceLock<LocatorWords> = std::sync::OnceLock::new();
        ENGLISH.get_or_init(|| LocatorWords::with_terms([]))
    }
}

/// Locator words (pandoc's English list), longest first so `pp.` wins over `p.`.
const LOCATOR_WORDS: &[(&str, LocatorKind)] = &[
    ("paragraphs", LocatorKind::Paragraph),
    ("paragraph", LocatorKind::Paragraph),
    ("chapters", LocatorKind::Chapter),
    ("sections", LocatorKind::Section),
    ("chapter", LocatorKind::Chapter),
    ("section", LocatorKind::Section),
    ("volumes", LocatorKind::Volume),
    ("figures", LocatorKind::Figure),
    ("columns", LocatorKind::Column),
    ("volume", LocatorKind::Volume),
    ("figure", LocatorKind::Figure),
    ("column", LocatorKind::Column),
    ("verses", LocatorKind::Verse),
    ("pages", LocatorKind::Page),
    ("notes", LocatorKind::Note),
    ("lines", LocatorKind::Line),
    ("parts", LocatorKind::Part),
    ("books", LocatorKind::Book),
    ("table", LocatorKind::Table),
    ("chap.", LocatorKind::Chapter),
    ("paras.", LocatorKind::Paragraph),
    ("paras", LocatorKind::Paragraph),
    ("para.", LocatorKind::Paragraph),
    ("page", LocatorKind::Page),
    ("note", LocatorKind::Note),
    ("line", LocatorKind::Line),
    ("part", LocatorKind::Part),
    ("book", LocatorKind::Book),
    ("verse", LocatorKind::Verse),
    ("secs.", LocatorKind::Section),
    ("sec.", LocatorKind::Section),
    ("vols.", LocatorKind::Volume),
    ("vol.", LocatorKind::Volume),
    ("figs.", LocatorKind::Figure),
    ("fig.", LocatorKind::Figure),
    ("col.", LocatorKind::Column),
    ("chs.", LocatorKind::Chapter),
    ("ch.", LocatorKind::Chapter),
    ("pp.", LocatorKind::Page),
    ("nn.", LocatorKind::Note),
    ("n.", LocatorKind::Note),
    ("ll.", LocatorKind::Line),
    ("l.", LocatorKind::Line),
    ("bk.", LocatorKind::Book),
    ("pt.", LocatorKind::Part),
    ("vv.", LocatorKind::Verse),
    ("v.", LocatorKind::Verse),
    ("p.", LocatorKind::Page),
    ("§§", LocatorKind::Section),
    ("§", LocatorKind::Section),
    ("¶¶", LocatorKind::Paragraph),
    ("¶", LocatorKind::Paragraph),
];

fn is_key_start(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_key_inner(c: char) -> bool {
    c.is_alphanumeric() || "_:.#$%&-+?<>~/".contains(c)
}

/// Read a citation key at the start of `s` (just after `@`): returns its byte length.
/// Trailing punctuation (`.`, `:`, `?` …) is not part of the key, as in pandoc.
fn key_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_key_start(c) => {}
        _ => return 0,
    }
    let mut end = s.len();
    for (i, c) in s.char_indices().skip(1) {
        if !is_key_inner(c) {
            end = i;
            break;
        }
    }
    let mut key = &s[..end];
    while let Some(last) = key.chars().last() {
        if is_key_start(last) {
            break;
        }
        key = &key[..key.len() - last.len_utf8()];
    }
    key.len()
}

/// Whether `@` at byte `at` of `text` may start a citation.
fn at_may_start(text: &str, at: usize) -> bool {
    match text[..at].chars().last() {
        None => true,
        Some(c) => !c.is_alphanumeric() && c != '_',
    }
}

/// Parse a locator and the rest of the suffix from the text after a key.
pub fn parse_suffix(raw: &str, words: &LocatorWords) -> (Option<(LocatorKind, String)>, String) {
    let trimmed = raw.trim_start();
    let Some(after_comma) = trimmed.strip_prefix(',') else {
        return (None, raw.trim().to_string());
    };
    let s = after_comma.trim_start();
    for (word, kind) in &words.words {
        // Compared in place, ASCII case-insensitively: a lower-cased copy can differ in
        // length (U+212A KELVIN SIGN lower-cases to a one-byte `k`), and an offset measured
        // on it would cut `s` inside a character.
        if let Some(rest) = strip_prefix_ignore_ascii_case(s, word) {
            // A word like "page" must end at a word boundary.
            if !word.ends_with('.')
                && word.chars().any(char::is_alphanumeric)
                && rest.chars().next().is_some_and(|c| c.is_alphanumeric())
            {
                continue;
            }
            let (value, suffix) = split_locator_value(rest.trim_start());
            if value.is_empty() {
                continue;
            }
            return (Some((*kind, value)), suffix);
        }
    }
    // No locator word: a page, when the value is a number or a lower-case roman numeral
    // (front matter pages, `xiv`), as pandoc reads it.
    if s.chars().next().is_some_and(|c| c.is_ascii_digit()) || starts_with_roman(s) {
        let (value, suffix) = split_locator_value(s);
        return (Some((LocatorKind::Page, value)), suffix);
    }
    (None, format!(", {s}").trim_end().to_string())
}

/// Whether `s` starts with a lower-case roman numeral standing alone (`xiv`, `xiv-xvi`).
fn starts_with_roman(s: &str) -> bool {
    let word: &str = s.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    !word.is_empty() && word.chars().all(|c| "ivxlcdm".contains(c))
}

/// `s` without its prefix `word` (matched ASCII case-insensitively), or `None`.
fn strip_prefix_ignore_ascii_case<'s>(s: &'s str, word: &str) -> Option<&'s str> {
    let head = s.get(..word.len())?;
    head.eq_ignore_ascii_case(word).then(|| &s[word.len()..])
}

/// A locator value runs to the next comma that is not followed by another number
/// (`pp. 33, 35-37, and elsewhere`: the locator is `33, 35-37`), as pandoc reads it.
fn split_locator_value(s: &str) -> (String, String) {
    let mut from = 0;
    while let Some(i) = s[from..].find(',').map(|i| from + i) {
        let next = s[i + 1..].trim_start();
        if next.starts_with(|c: char| c.is_ascii_digit()) {
            from = i + 1;
            continue;
        }
        return (s[..i].trim().to_string(), s[i..].trim_end().to_string());
    }
    (s.trim().to_string(), String::new())
}

/// Parse the inside of `[…]` as a citation cluster, or `None` when it is not one.
/// `base` is the byte offset of the inside in the merged text.
fn parse_bracket(
    inner: &str,
    base: usize,
    use_count: &mut usize,
    words: &LocatorWords,
) -> Option<Cluster> {
    let mut items = Vec::new();
    let mut start = 0usize;
    let parts: Vec<&str> = inner.split(';').collect();
    for part in parts {
        let part_base = base + start;
        start += part.len() + 1;
        let at = part.find('@')?;
        if !at_may_start(part, at) {
            return None;
        }
        let mut prefix = &part[..at];
        let suppress_author = prefix.ends_with('-');
        if suppress_author {
            prefix = &prefix[..prefix.len() - 1];
        }
        let len = key_len(&part[at + 1..]);
        if len == 0 {
            return None;
        }
        let key = &part[at + 1..at + 1 + len];
        let (locator, suffix) = parse_suffix(&part[at + 1 + len..], words);
        items.push(CiteItem {
            key: key.to_string(),
            prefix: prefix.trim().to_string(),
            suffix,
            locator,
            suppress_author,
            narrative: false,
            offset: part_base + at,
            use_index: 0,
        });
    }
    if items.is_empty() {
        return None;
    }
    for item in &mut items {
        item.use_index = *use_count;
        *use_count += 1;
    }
    Some(Cluster {
        items,
        narrative: false,
    })
}

/// Where a piece of a merged text node came from: the piece starts at `text_start` in the
/// merged text and was parsed from `source` in the body. A piece whose text is as long as
/// its source is the source verbatim; others (an entity, an escape, a smart quote) are
/// short and map to their source's start.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub text_start: usize,
    pub source: Range<usize>,
}

/// The body offset of byte `at` of a merged text made of `pieces` (`text_len` long).
/// Offsets are always mapped through the pieces, never measured on one string and used on
/// another.
fn source_offset(pieces: &[Piece], text_len: usize, at: usize) -> usize {
    let i = pieces
        .partition_point(|p| p.text_start <= at)
        .saturating_sub(1);
    let Some(piece) = pieces.get(i) else {
        return 0;
    };
    let piece_end = pieces.get(i + 1).map_or(text_len, |p| p.text_start);
    if piece_end - piece.text_start == piece.source.len() {
        piece.source.start + (at - piece.text_start).min(piece.source.len())
    } else {
        piece.source.start
    }
}

/// The next position of one byte in a text, for a scan whose position only moves forward:
/// each stretch of the text is searched once, so the whole scan stays linear however many
/// `[` wait for a `]` that never comes.
struct NextByte {
    byte: u8,
    /// The last answer: `Some(p)` (the byte is at `p`) or `None` (absent from `searched_from` on).
    found: Option<usize>,
    searched_from: usize,
}

impl NextByte {
    fn new(byte: u8) -> NextByte {
        NextByte {
            byte,
            found: None,
            searched_from: usize::MAX,
        }
    }

    /// The first position `>= from` holding the byte. `from` never decreases between calls.
    fn at_or_after(&mut self, text: &str, from: usize) -> Option<usize> {
        match self.found {
            Some(p) if p >= from => return Some(p),
            None if self.searched_from <= from => return None,
            _ => {}
        }
        let hit = text
            .as_bytes()
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == self.byte))
            .map(|j| from + j);
        self.found = hit;
        self.searched_from = from;
        hit
    }
}

/// Split one merged text node into text and citation nodes. `pieces` map the text back to
/// the body (for the offsets of keys in diagnostics). Linear in the length of `text`.
pub(super) fn split_text<'a>(
    text: &str,
    pieces: &[Piece],
    range: Range<usize>,
    (is_key, words): (&dyn Fn(&str) -> bool, &LocatorWords),
    use_count: &mut usize,
    nodes: &mut Vec<(Node<'a>, Range<usize>)>,
    unknown: &mut Vec<(usize, String)>,
) {
    let offset_of = |at: usize| source_offset(pieces, text.len(), at);
    let mut next_open = NextByte::new(b'[');
    let mut next_close = NextByte::new(b']');
    let mut next_at = NextByte::new(b'@');
    let mut out_start = 0usize;
    let mut i = 0usize;
    let push_text = |nodes: &mut Vec<(Node<'a>, Range<usize>)>, s: &str| {
        if !s.is_empty() {
            nodes.push((
                Node::Event(Event::Text(CowStr::from(s.to_string()))),
                range.clone(),
            ));
        }
    };
    while i < text.len() {
        // Only `[` and `@` can start a citation: skip to the next one.
        let open = next_open.at_or_after(text, i);
        let at = next_at.at_or_after(text, i);
        i = match (open, at) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => break,
        };
        if text.as_bytes()[i] == b'[' {
            // `[…]` with an `@` inside and no `[` before its `]`.
            if let Some(close) = next_close.at_or_after(text, i + 1)
                && next_at.at_or_after(text, i + 1).is_some_and(|a| a < close)
                && next_open.at_or_after(text, i + 1).is_none_or(|o| o > close)
            {
                let inner = &text[i + 1..close];
                if let Some(mut cluster) = parse_bracket(inner, i + 1, use_count, words) {
                    for item in &mut cluster.items {
                        // `parse_bracket` counted in the text; map to the body.
                        item.offset = offset_of(item.offset);
                    }
                    push_text(nodes, &text[out_start..i]);
                    nodes.push((Node::Cite(cluster), range.clone()));
                    i = close + 1;
                    out_start = i;
                    continue;
                }
            }
        } else if at_may_start(text, i) {
            let len = key_len(&text[i + 1..]);
            let key = &text[i + 1..i + 1 + len];
            // `@word` that is no key but looks like one (it has a digit, as citation keys
            // do): kept for a "did you mean" warning (an e-mail address never gets here).
            if len > 0 && !is_key(key) && key.contains(|c: char| c.is_ascii_digit()) {
                unknown.push((offset_of(i), key.to_string()));
            }
            if len > 0 && is_key(key) {
                let offset = offset_of(i);
                let mut end = i + 1 + len;
                // `@key [p. 33]`: a locator in brackets right after a narrative citation.
                let mut locator = None;
                let mut suffix = String::new();
                if text[end..].starts_with(" [")
                    && let Some(close) = next_close.at_or_after(text, end + 2)
                    && next_at.at_or_after(text, end + 2).is_none_or(|a| a > close)
                    && next_open
                        .at_or_after(text, end + 2)
                        .is_none_or(|o| o > close)
                {
                    let inside = &text[end + 2..close];
                    let (l, s) = parse_suffix(&format!(", {inside}"), words);
                    if l.is_some() {
                        locator = l;
                        suffix = s;
                        end = close + 1;
                    }
                }
                push_text(nodes, &text[out_start..i]);
                nodes.push((
                    Node::Cite(Cluster {
                        items: vec![CiteItem {
                            key: key.to_string(),
                            prefix: String::new(),
                            suffix,
                            locator,
                            suppress_author: false,
                            narrative: true,
                            offset,
                            use_index: *use_count,
                        }],
                        narrative: true,
                    }),
                    range.clone(),
                ));
                *use_count += 1;
                i = end;
                out_start = i;
                continue;
            }
        }
        i += 1;
    }
    push_text(nodes, &text[out_start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (fuzz/fuzz_targets/markdown.rs): smart punctuation made the text of a
    /// bracketed citation longer than its source, and the key's offset pointed past the body.
    #[test]
    fn citation_offsets_stay_in_the_source_after_smart_quotes() {
        let body = "Text [''@wang201<]ext and [see '' @b; @b, p. 2].\n";
        let a = crate::markdown::annotate(body, &|_| true);
        let mut keys = Vec::new();
        for (node, _) in &a.nodes {
            if let crate::markdown::Node::Cite(c) = node {
                for item in &c.items {
                    assert!(
                        body[item.offset..].starts_with(&format!("@{}", item.key)),
                        "{item:?}"
                    );
                    keys.push(item.offset);
                }
            }
        }
        assert_eq!(keys.len(), 3);
        assert!(
            keys[1] < keys[2],
            "a repeated key is found at its own place"
        );
    }

    fn clusters(text: &str, keys: &[&str]) -> Vec<Cluster> {
        let mut nodes = Vec::new();
        let mut count = 0;
        let is_key = |k: &str| keys.contains(&k);
        let pieces = [Piece {
            text_start: 0,
            source: 0..text.len(),
        }];
        split_text(
            text,
            &pieces,
            0..text.len(),
            (&is_key, LocatorWords::english()),
            &mut count,
            &mut nodes,
            &mut Vec::new(),
        );
        nodes
            .into_iter()
            .filter_map(|(n, _)| match n {
                Node::Cite(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn bracketed_forms() {
        let c = clusters(
            "as shown [see @lieberthal1992, ch. 2; -@wang2012, pp. 4-5, emphasis added].",
            &[],
        );
        assert_eq!(c.len(), 1);
        let items = &c[0].items;
        assert_eq!(items[0].prefix, "see");
        assert_eq!(items[0].locator, Some((LocatorKind::Chapter, "2".into())));
        assert!(items[1].suppress_author);
        assert_eq!(items[1].locator, Some((LocatorKind::Page, "4-5".into())));
        assert_eq!(items[1].suffix, ", emphasis added");
        assert_eq!(items[1].use_index, 1);
    }

    #[test]
    fn narrative_only_for_known_keys_and_not_emails() {
        let c = clusters(
            "@lieberthal1992 argues; mail me@lieberthal1992.org or @unknown.",
            &["lieberthal1992"],
        );
        assert_eq!(c.len(), 1);
        assert!(c[0].narrative);
        let c = clusters("@lieberthal1992 [p. 33] argues", &["lieberthal1992"]);
        assert_eq!(
            c[0].items[0].locator,
            Some((LocatorKind::Page, "33".into()))
        );
    }

    #[test]
    fn bare_number_is_page_and_trailing_dot_not_key() {
        let c = clusters("[@a, 33]", &[]);
        assert_eq!(
            c[0].items[0].locator,
            Some((LocatorKind::Page, "33".into()))
        );
        assert_eq!(key_len("key. next"), 3);
    }
}
