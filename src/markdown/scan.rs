//! The scan pass (index stage): from a document's annotated nodes, collect its headings,
//! every use (cross-reference or cited work) with its section and a sentence of context,
//! its first paragraph, word count and plain text.

use pulldown_cmark::{Event, Tag, TagEnd};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

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

/// The sentence around a use, split at the use's label.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub before: String,
    pub label: String,
    pub after: String,
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

struct Block {
    text: String,
    /// (use index, start, end) byte positions in `text`.
    marks: Vec<(usize, usize, usize)>,
}

pub fn scan(annotated: &Annotated<'_>, want_text: bool) -> Scan {
    let nodes = &annotated.nodes;
    let headings = heading_ids(nodes);
    let mut uses: Vec<Option<Use>> = vec![None; annotated.use_count];
    let mut section: Option<usize> = None;
    let mut heading_cursor = 0usize;
    let mut block = Block {
        text: String::new(),
        marks: Vec::new(),
    };
    let mut contexts: Vec<Context> = vec![Context::default(); annotated.use_count];
    let mut first_paragraph = String::new();
    let mut words = 0usize;
    let mut text = String::new();
    let mut footnote: Option<String> = None;
    let mut footnote_uses: Vec<(String, usize)> = Vec::new();
    let mut footnote_sections: HashMap<String, Option<usize>> = HashMap::new();
    let mut open_xref: Option<(usize, usize)> = None;

    let flush = |block: &mut Block, contexts: &mut Vec<Context>, text: &mut String| {
        if block.text.trim().is_empty() {
            block.text.clear();
            block.marks.clear();
            return;
        }
        for &(index, start, end) in &block.marks {
            contexts[index] = sentence_around(&block.text, start, end);
        }
        if want_text {
            text.push_str(block.text.trim());
            text.push('\n');
        }
        block.text.clear();
        block.marks.clear();
    };

    for (node, range) in nodes {
        match node {
            Node::Event(Event::Start(Tag::Heading { .. })) => {
                flush(&mut block, &mut contexts, &mut text);
                if heading_cursor < headings.len() && headings[heading_cursor].offset == range.start
                {
                    section = Some(heading_cursor);
                    heading_cursor += 1;
                }
            }
            Node::Event(Event::Start(Tag::FootnoteDefinition(label))) => {
                flush(&mut block, &mut contexts, &mut text);
                footnote = Some(label.to_string());
            }
            Node::Event(Event::End(TagEnd::FootnoteDefinition)) => {
                flush(&mut block, &mut contexts, &mut text);
                footnote = None;
            }
            Node::Event(Event::FootnoteReference(label)) => {
                footnote_sections
                    .entry(label.to_string())
                    .or_insert(section);
            }
            Node::Event(Event::End(TagEnd::Paragraph)) => {
                if first_paragraph.is_empty() && footnote.is_none() {
                    first_paragraph = block.text.trim().to_string();
                }
                flush(&mut block, &mut contexts, &mut text);
            }
            Node::Event(
                Event::End(
                    TagEnd::Heading(_)
                    | TagEnd::Item
                    | TagEnd::TableCell
                    | TagEnd::BlockQuote(_)
                    | TagEnd::CodeBlock,
                )
                | Event::Start(Tag::List(_) | Tag::Item),
            ) => flush(&mut block, &mut contexts, &mut text),
            Node::Event(Event::Text(t) | Event::Code(t)) => {
                words += count_whitespace_words(t);
                block.text.push_str(t);
            }
            Node::Event(Event::SoftBreak | Event::HardBreak) => block.text.push(' '),
            Node::XrefStart {
                target,
                anchor,
                piped,
                use_index,
            } => {
                open_xref = Some((*use_index, block.text.len()));
                uses[*use_index] = Some(Use {
                    kind: UseKind::Xref {
                        target: target.clone(),
                        anchor: anchor.clone(),
                        piped: *piped,
                    },
                    offset: range.start,
                    len: range.len(),
                    section,
                    context: Context::default(),
                });
                if let Some(label) = &footnote {
                    footnote_uses.push((label.clone(), *use_index));
                }
            }
            Node::XrefEnd => {
                if let Some((index, start)) = open_xref.take() {
                    block.marks.push((index, start, block.text.len()));
                }
            }
            Node::Cite(cluster) => {
                // A bracketed citation leaves no text behind: drop the space before it so
                // the sentence reads "states." and not "states ." (contexts, search).
                if !cluster.narrative {
                    let trimmed = block.text.trim_end().len();
                    block.text.truncate(trimmed);
                }
                let at = block.text.len();
                for item in &cluster.items {
                    block.marks.push((item.use_index, at, at));
                    uses[item.use_index] = Some(Use {
                        kind: UseKind::Cite(item.clone()),
                        offset: item.offset,
                        len: item.key.len() + 1,
                        section,
                        context: Context::default(),
                    });
                    if let Some(label) = &footnote {
                        footnote_uses.push((label.clone(), item.use_index));
                    }
                }
            }
            _ => {}
        }
    }
    flush(&mut block, &mut contexts, &mut text);

    let mut uses: Vec<Use> = uses
        .into_iter()
        .zip(contexts)
        .filter_map(|(u, c)| {
            u.map(|mut u| {
                u.context = c;
                u
            })
        })
        .collect();
    // A use inside a footnote belongs to the section of the footnote's reference.
    for (label, index) in footnote_uses {
        if let (Some(sec), Some(u)) = (footnote_sections.get(&label), uses.get_mut(index)) {
            u.section = *sec;
        }
    }
    let tokens = WordCounts::of(&text);
    Scan {
        headings,
        uses,
        first_paragraph,
        words,
        tokens,
    }
}

/// The sentence of `text` containing `start..end`, split around that range.
fn sentence_around(text: &str, start: usize, end: usize) -> Context {
    const MAX_SIDE: usize = 160;
    let is_boundary = |w: &[u8]| matches!(w[0], b'.' | b'?' | b'!') && w[1] == b' ';
    let bytes = text.as_bytes();
    let mut s = 0;
    let mut i = start.min(bytes.len());
    while i >= 2 {
        if is_boundary(&bytes[i - 2..i]) {
            s = i;
            break;
        }
        i -= 1;
    }
    let mut e = text.len();
    let mut j = end.min(bytes.len());
    while j + 1 < bytes.len() {
        if is_boundary(&bytes[j..j + 2]) {
            e = j + 1;
            break;
        }
        j += 1;
    }
    let mut before = text[s..start].trim_start().to_string();
    let label = text[start..end].to_string();
    let mut after = text[end..e].trim_end().to_string();
    if before.chars().count() > MAX_SIDE {
        let skip = before.chars().count() - MAX_SIDE;
        let cut: String = before.chars().skip(skip).collect();
        let cut = cut
            .split_once(' ')
            .map_or(cut.as_str(), |(_, r)| r)
            .to_string();
        before = format!("… {cut}");
    }
    if after.chars().count() > MAX_SIDE {
        let cut: String = after.chars().take(MAX_SIDE).collect();
        let cut = cut
            .rsplit_once(' ')
            .map_or(cut.as_str(), |(l, _)| l)
            .to_string();
        after = format!("{cut} …");
    }
    Context {
        before,
        label,
        after,
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
        assert_eq!(s.uses[0].context.label, "sovereignty");
        assert_eq!(s.uses[0].context.before, "The ");
        assert_eq!(s.uses[0].context.after, " idea spread.");
        assert_eq!(
            s.uses[2].section,
            Some(1),
            "footnote use takes its reference's section"
        );
        assert_eq!(s.first_paragraph, "Intro.");
    }
}
