//! The scan pass (index stage): from a document's annotated nodes, collect its headings,
//! every use (cross-reference or cited work) with its section and a sentence of context,
//! its first paragraph, word count and plain text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use pulldown_cmark::{Event, Tag, TagEnd};
use rustc_hash::FxHashMap;

use super::{Annotated, CiteItem, Node, heading_ids};

#[derive(Debug, Clone)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
    /// Byte offset in the body.
    pub offset: usize,
}

/// What a use refers to, as written.
#[derive(Debug, Clone)]
pub enum UseKind {
    Xref {
        target: String,
        anchor: Option<String>,
        piped: bool,
    },
    Cite(CiteItem),
}

/// The sentence around a use, split at the use's label: ranges into its document's context
/// text (the stretches of text around its uses, shared by all of them), not copies, so
/// a paragraph with 40,000 uses is held once. Each side is at most `MAX_SIDE` characters,
/// cut at a space and marked with `…` where the sentence is longer.
#[derive(Debug, Clone, Default)]
pub struct Context {
    text: Arc<str>,
    before: Range<usize>,
    label: Range<usize>,
    after: Range<usize>,
    before_cut: bool,
    after_cut: bool,
}

impl Context {
    /// The sentence before the use (from its start, or `… ` and the last words).
    pub fn before(&self) -> Cow<'_, str> {
        let text = &self.text[self.before.clone()];
        if self.before_cut {
            format!("… {text}").into()
        } else {
            text.into()
        }
    }

    /// The use's own text (a cross-reference's label; empty for a citation).
    pub fn label(&self) -> &str {
        &self.text[self.label.clone()]
    }

    /// The sentence after the use (to its end, or the first words and ` …`).
    pub fn after(&self) -> Cow<'_, str> {
        let text = &self.text[self.after.clone()];
        if self.after_cut {
            format!("{text} …").into()
        } else {
            text.into()
        }
    }
}

/// A context while its document is scanned: ranges into the context text being built.
#[derive(Debug, Clone, Default)]
struct ContextRanges {
    before: Range<usize>,
    label: Range<usize>,
    after: Range<usize>,
    before_cut: bool,
    after_cut: bool,
}

/// One use: a place where a document refers to a term, an essay or a source.
#[derive(Debug, Clone)]
pub struct Use {
    pub kind: UseKind,
    /// Byte offset in the body of the reference (for diagnostics).
    pub offset: usize,
    pub len: usize,
    /// Index into `Scan::headings` of the section it is in.
    pub section: Option<usize>,
    pub context: Context,
}

#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub headings: Vec<Heading>,
    pub uses: Vec<Use>,
    pub first_paragraph: String,
    pub words: usize,
    /// Each lowercased word of the text and how often it occurs (for the search index);
    /// kept instead of the text itself, which would double the memory of a large reader.
    pub tokens: WordCounts,
    /// Links and images whose URL the URL policy refuses (`javascript:` …): byte offset and
    /// length in the body, and the URL. They are rendered as text.
    pub unsafe_links: Vec<(usize, usize, String)>,
    /// Every Markdown link and image and every wikilink embed (`![[…]]`), in source order:
    /// the index resolves those that point inside the site.
    pub links: Vec<LinkUse>,
}

/// How a link is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    /// `[text](url)` (or an autolink, or a reference link).
    Link,
    /// `![alt](url)`.
    Image,
    /// `![[name]]`: an image, a file or another note shown in place.
    Embed,
}

/// A link, image or embed as written: its destination and where it is (byte offset and
/// length in the body).
#[derive(Debug, Clone)]
pub struct LinkUse {
    pub kind: LinkKind,
    pub dest: String,
    pub offset: usize,
    pub len: usize,
}

/// A document's search tokens (see `markdown::tokenize`) and
/// how often each occurs. Stored as one string of the words joined by `\n` (a word
/// never holds one) and their counts: at 10,000 essays, a boxed string per word and document
/// cost more memory than the essays' text.
#[derive(Debug, Clone, Default)]
pub struct WordCounts {
    words: Box<str>,
    counts: Box<[u32]>,
}

impl WordCounts {
    pub fn of(text: &str) -> WordCounts {
        let lower = super::tokenize::normalize(text);
        // About one distinct word per 24 bytes of an essay: no rehashing as the map grows.
        let mut counts: FxHashMap<&str, u32> =
            FxHashMap::with_capacity_and_hasher(lower.len() / 24, Default::default());
        count_words(&lower, &mut counts);
        // Not sorted: nothing depends on the order (the search index orders its tokens),
        // and sorting 400 words per essay was measurable. Fx hashing has no random seed, so
        // the order is the same on every run.
        let pairs: Vec<(&str, u32)> = counts.into_iter().collect();
        let mut words = String::with_capacity(pairs.iter().map(|(w, _)| w.len() + 1).sum());
        for (i, (w, _)) in pairs.iter().enumerate() {
            if i > 0 {
                words.push('\n');
            }
            words.push_str(w);
        }
        WordCounts {
            words: words.into_boxed_str(),
            counts: pairs.iter().map(|&(_, n)| n).collect(),
        }
    }

    /// The words, each with its count.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        let words = (!self.words.is_empty()).then(|| self.words.split('\n'));
        words.into_iter().flatten().zip(self.counts.iter().copied())
    }
}

/// `text.split_whitespace().count()`, byte by byte when the text is ASCII.
fn count_whitespace_words(text: &str) -> usize {
    if !text.is_ascii() {
        return text.split_whitespace().count();
    }
    let mut words = 0;
    let mut in_word = false;
    for &b in text.as_bytes() {
        // The ASCII characters with Unicode's White_Space property.
        let space = matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    words
}

/// Count the search tokens of `norm` (already normalised with `tokenize::normalize`) into
/// `counts`, borrowing them from `norm`. The tokens are `tokenize`'s: words of two or more
/// characters, bigrams of Chinese, Japanese and Korean runs.
pub fn count_words<'a>(norm: &'a str, counts: &mut FxHashMap<&'a str, u32>) {
    super::tokenize::each_token(norm, |t| *counts.entry(t).or_insert(0) += 1);
}

/// The text of the block (paragraph, item, cell …) being scanned, and where its uses are.
#[derive(Default)]
struct Block {
    text: String,
    /// (use index, start, end) byte positions in `text`.
    marks: Vec<(usize, usize, usize)>,
}

impl Block {
    /// Drop trailing whitespace (before a bracketed citation, which leaves no text behind),
    /// keeping every mark inside the text.
    fn trim_end(&mut self) {
        let len = self.text.trim_end().len();
        self.text.truncate(len);
        for mark in self.marks.iter_mut().rev() {
            if mark.2 <= len {
                break;
            }
            mark.1 = mark.1.min(len);
            mark.2 = len;
        }
    }
}

/// The state of one scan: everything collected so far.
struct Scanner<'s> {
    unsafe_links: Vec<(usize, usize, String)>,
    links: Vec<LinkUse>,
    want_text: bool,
    headings: &'s [Heading],
    heading_cursor: usize,
    section: Option<usize>,
    block: Block,
    uses: Vec<Option<Use>>,
    /// The context text (stretches around uses) and each use's ranges into it.
    context_text: String,
    contexts: Vec<ContextRanges>,
    first_paragraph: String,
    words: usize,
    text: String,
    footnote: Option<String>,
    footnote_uses: Vec<(String, usize)>,
    footnote_sections: HashMap<String, Option<usize>>,
    open_xref: Option<(usize, usize)>,
}

pub fn scan(annotated: &Annotated<'_>, want_text: bool) -> Scan {
    let headings = heading_ids(&annotated.nodes);
    let mut scanner = Scanner {
        want_text,
        headings: &headings,
        heading_cursor: 0,
        section: None,
        block: Block::default(),
        uses: vec![None; annotated.use_count],
        context_text: String::new(),
        contexts: vec![ContextRanges::default(); annotated.use_count],
        first_paragraph: String::new(),
        words: 0,
        text: String::new(),
        footnote: None,
        footnote_uses: Vec::new(),
        footnote_sections: HashMap::new(),
        open_xref: None,
        unsafe_links: Vec::new(),
        links: Vec::new(),
    };
    for (node, range) in &annotated.nodes {
        scanner.node(node, range);
    }
    scanner.flush();
    let unsafe_links = std::mem::take(&mut scanner.unsafe_links);
    let links = std::mem::take(&mut scanner.links);
    let (uses, text, first_paragraph, words) = scanner.finish();
    let tokens = WordCounts::of(&text);
    Scan {
        headings,
        uses,
        first_paragraph,
        words,
        tokens,
        unsafe_links,
        links,
    }
}

impl Scanner<'_> {
    fn node(&mut self, node: &Node<'_>, range: &Range<usize>) {
        match node {
            Node::Event(event) => self.event(event, range),
            Node::XrefStart {
                target,
                anchor,
                piped,
                use_index,
            } => {
                self.open_xref = Some((*use_index, self.block.text.len()));
                let kind = UseKind::Xref {
                    target: target.clone(),
                    anchor: anchor.clone(),
                    piped: *piped,
                };
                self.record_use(*use_index, kind, range.start, range.len());
            }
            Node::XrefEnd => {
                if let Some((index, start)) = self.open_xref.take() {
                    self.block.marks.push((index, start, self.block.text.len()));
                }
            }
            Node::Cite(cluster) => {
                // A bracketed citation leaves no text behind: drop the space before it so
                // the sentence reads "states." and not "states ." (contexts, search).
                if !cluster.narrative {
                    self.block.trim_end();
                }
                let at = self.block.text.len();
                for item in &cluster.items {
                    self.block.marks.push((item.use_index, at, at));
                    let kind = UseKind::Cite(item.clone());
                    self.record_use(item.use_index, kind, item.offset, item.key.len() + 1);
                }
            }
        }
    }

    fn event(&mut self, event: &Event<'_>, range: &Range<usize>) {
        match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if !crate::route::is_safe_link(dest_url) =>
            {
                self.unsafe_links
                    .push((range.start, range.len(), dest_url.to_string()));
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let kind = match event {
                    Event::Start(Tag::Image {
                        link_type: pulldown_cmark::LinkType::WikiLink { .. },
                        ..
                    }) => LinkKind::Embed,
                    Event::Start(Tag::Image { .. }) => LinkKind::Image,
                    _ => LinkKind::Link,
                };
                self.links.push(LinkUse {
                    kind,
                    dest: dest_url.to_string(),
                    offset: range.start,
                    len: range.len(),
                });
            }
            Event::Start(Tag::Heading { .. }) => {
                self.flush();
                if self
                    .headings
                    .get(self.heading_cursor)
                    .is_some_and(|h| h.offset == range.start)
                {
                    self.section = Some(self.heading_cursor);
                    self.heading_cursor += 1;
                }
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                self.flush();
                self.footnote = Some(label.to_string());
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                self.flush();
                self.footnote = None;
            }
            Event::FootnoteReference(label) => {
                self.footnote_sections
                    .entry(label.to_string())
                    .or_insert(self.section);
            }
            Event::End(TagEnd::Paragraph) => {
                if self.first_paragraph.is_empty() && self.footnote.is_none() {
                    self.first_paragraph = self.block.text.trim().to_string();
                }
                self.flush();
            }
            Event::End(
                TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock,
            )
            | Event::Start(Tag::List(_) | Tag::Item) => self.flush(),
            Event::Text(t) | Event::Code(t) => {
                self.words += count_whitespace_words(t);
                self.block.text.push_str(t);
            }
            Event::SoftBreak | Event::HardBreak => self.block.text.push(' '),
            _ => {}
        }
    }

    fn record_use(&mut self, index: usize, kind: UseKind, offset: usize, len: usize) {
        if let Some(slot) = self.uses.get_mut(index) {
            *slot = Some(Use {
                kind,
                offset,
                len,
                section: self.section,
                context: Context::default(),
            });
        }
        if let Some(label) = &self.footnote {
            self.footnote_uses.push((label.clone(), index));
        }
    }

    /// End the current block: give its uses their sentences, add it to the plain text.
    fn flush(&mut self) {
        let block = std::mem::take(&mut self.block);
        if block.text.trim().is_empty() {
            // Keep the buffers' capacity for the next block.
            self.block = block;
            self.block.text.clear();
            self.block.marks.clear();
            return;
        }
        sentences_around(
            &block.text,
            &block.marks,
            &mut self.context_text,
            &mut self.contexts,
        );
        if self.want_text {
            self.text.push_str(block.text.trim());
            self.text.push('\n');
        }
        self.block = block;
        self.block.text.clear();
        self.block.marks.clear();
    }

    /// The uses with their contexts, the plain text, the first paragraph and word count.
    fn finish(self) -> (Vec<Use>, String, String, usize) {
        let shared: Arc<str> = Arc::from(self.context_text);
        let mut uses: Vec<Use> = self
            .uses
            .into_iter()
            .zip(self.contexts)
            .filter_map(|(u, c)| {
                u.map(|mut u| {
                    u.context = Context {
                        text: shared.clone(),
                        before: c.before,
                        label: c.label,
                        after: c.after,
                        before_cut: c.before_cut,
                        after_cut: c.after_cut,
                    };
                    u
                })
            })
            .collect();
        // A use inside a footnote belongs to the section of the footnote's reference.
        for (label, index) in self.footnote_uses {
            if let (Some(sec), Some(u)) = (self.footnote_sections.get(&label), uses.get_mut(index))
            {
                u.section = *sec;
            }
        }
        (uses, self.text, self.first_paragraph, self.words)
    }
}

/// At most this many characters of a sentence on each side of a use.
const MAX_SIDE: usize = 160;

/// For each mark `(use, start, end)` in `text`: the sentence containing `start..end`, split
/// around it, trimmed, each side cut to `MAX_SIDE` characters at a space. The stretches of
/// `text` these sentences cover are appended to `out` once (overlapping ones merged) and
/// `contexts[use]` gets ranges into `out`. Linear in the text (plus sorting the marks):
/// sentence starts are found once, and each use looks at no more than `MAX_SIDE`
/// characters on each side (a whitespace run is trimmed once per sentence).
fn sentences_around(
    text: &str,
    marks: &[(usize, usize, usize)],
    out: &mut String,
    contexts: &mut [ContextRanges],
) {
    if marks.is_empty() {
        return;
    }
    let bytes = text.as_bytes();
    let is_boundary = |i: usize| matches!(bytes[i], b'.' | b'?' | b'!') && bytes[i + 1] == b' ';
    // Where sentences start: just after ". ", "? " or "! ".
    let starts: Vec<usize> = (0..bytes.len().saturating_sub(1))
        .filter(|&i| is_boundary(i))
        .map(|i| i + 2)
        .collect();
    let mut trimmed_start: FxHashMap<usize, usize> = FxHashMap::default();
    let mut trimmed_end: FxHashMap<usize, usize> = FxHashMap::default();
    // (window start, window end, use, ranges relative to the text)
    let mut windows: Vec<(usize, usize, usize, ContextRanges)> = Vec::with_capacity(marks.len());
    for &(index, start, end) in marks {
        let start = start.min(text.len());
        let end = end.clamp(start, text.len());
        let s = starts
            .partition_point(|&st| st <= start)
            .checked_sub(1)
            .map_or(0, |k| starts[k]);
        let e = starts
            .get(starts.partition_point(|&st| st < end + 2))
            .map_or(text.len(), |&st| st - 1);
        // `text[s..start].trim_start()`, the whitespace skipped once per sentence.
        let first_word = *trimmed_start.entry(s).or_insert_with(|| {
            text[s..]
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(text.len(), |(i, _)| s + i)
        });
        let mut before = first_word.min(start)..start;
        let mut before_cut = false;
        if let Some((cut, _)) = text[before.clone()].char_indices().rev().nth(MAX_SIDE - 1)
            && cut > 0
        {
            // More than MAX_SIDE characters: the last MAX_SIDE, from the first space on.
            let from = before.start + cut;
            before.start = text[from..start].find(' ').map_or(from, |i| from + i + 1);
            before_cut = true;
        }
        // `text[end..e].trim_end()`, likewise once per sentence.
        let last_word = *trimmed_end.entry(e).or_insert_with(|| {
            text[..e]
                .char_indices()
                .rev()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8())
        });
        let mut after = end..last_word.max(end);
        let mut after_cut = false;
        if let Some((cut, _)) = text[after.clone()].char_indices().nth(MAX_SIDE) {
            // More than MAX_SIDE characters: the first MAX_SIDE, up to the last space.
            let to = end + cut;
            after.end = text[end..to].rfind(' ').map_or(to, |i| end + i);
            after_cut = true;
        }
        windows.push((
            before.start,
            after.end,
            index,
            ContextRanges {
                before,
                label: start..end,
                after,
                before_cut,
                after_cut,
            },
        ));
    }
    // Copy each stretch of text once: overlapping windows are merged.
    windows.sort_by_key(|w| w.0);
    let mut k = 0;
    while k < windows.len() {
        let from = windows[k].0;
        let mut to = windows[k].1;
        let mut j = k + 1;
        while j < windows.len() && windows[j].0 <= to {
            to = to.max(windows[j].1);
            j += 1;
        }
        let base = out.len();
        out.push_str(&text[from..to]);
        let shift = |r: &Range<usize>| base + r.start - from..base + r.end - from;
        for (_, _, index, ranges) in &windows[k..j] {
            if let Some(slot) = contexts.get_mut(*index) {
                *slot = ContextRanges {
                    before: shift(&ranges.before),
                    label: shift(&ranges.label),
                    after: shift(&ranges.after),
                    before_cut: ranges.before_cut,
                    after_cut: ranges.after_cut,
                };
            }
        }
        k = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::annotate;

    #[test]
    fn whitespace_words_are_counted_like_split_whitespace() {
        for text in [
            "",
            "  ",
            "one",
            " two  words ",
            "tab\tand\nnew\x0bline\x0cfeed\rreturn",
            "a\u{a0}b\u{2003}c é",
            "\u{85}x",
        ] {
            assert_eq!(
                count_whitespace_words(text),
                text.split_whitespace().count(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn count_words_counts_the_tokenizer_s_tokens() {
        let text = "Müller, MULLER and muller: 互联网 x 互联";
        let norm = crate::markdown::tokenize::normalize(text);
        let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
        count_words(&norm, &mut counts);
        assert_eq!(counts.get("muller"), Some(&3));
        assert_eq!(counts.get("互联"), Some(&2));
        assert_eq!(counts.get("联网"), Some(&1));
        assert!(!counts.contains_key("x") && !counts.contains_key("互联网"));
    }

    #[test]
    fn uses_have_sections_and_context() {
        let body = "Intro.\n\n## First part\n\nOne thing. The [[cyber-sovereignty|sovereignty]] idea spread [@wang2012, p. 3]. Next.\n\n## Second\n\nSee[^a].\n\n[^a]: A note on [[norm-diffusion]].\n";
        let a = annotate(body, &|_| false);
        let s = scan(&a, true);
        assert_eq!(s.headings.len(), 2);
        assert_eq!(s.uses.len(), 3);
        assert_eq!(s.uses[0].section, Some(0));
        assert_eq!(s.uses[0].context.label(), "sovereignty");
        assert_eq!(s.uses[0].context.before(), "The ");
        assert_eq!(s.uses[0].context.after(), " idea spread.");
        assert_eq!(
            s.uses[2].section,
            Some(1),
            "footnote use takes its reference's section"
        );
        assert_eq!(s.first_paragraph, "Intro.");
    }
}
