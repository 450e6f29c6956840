//! Inline syntax people write in Obsidian and Zettlr that CommonMark does not have:
//! `==highlight==` (a `<mark>`) and `#tags` in running text (the essay joins that topic).
//!
//! Both are found only in text as written (not in code, math, links, raw HTML or headings).
//! A tag is `#` at the start of a text or after a space or `(`, then letters, digits, `_`,
//! `-` or `/`, with at least one that is not a digit (`#1` is a number, as in Obsidian).
//! A highlight opens at `==` followed by a non-space and closes at the next `==` after a
//! non-space in the same block and at the same level of emphasis or link.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::Node;

const MARK_OPEN: &str = "<mark>";
const MARK_CLOSE: &str = "</mark>";

/// A `==` found in a text node: node index, byte offset in its text, inline depth, and
/// whether it may open and close.
struct Delimiter {
    node: usize,
    at: usize,
    depth: usize,
    open: bool,
    close: bool,
}

/// Apply highlights and tags to a document's nodes.
pub fn marks_and_tags<'a>(
    body: &'a str,
    nodes: Vec<(Node<'a>, Range<usize>)>,
) -> Vec<(Node<'a>, Range<usize>)> {
    if !body.contains("==") && !body.contains('#') {
        return nodes;
    }
    // Which text nodes are running text as written, and where `==` is in them.
    let mut verbatim = vec![false; nodes.len()];
    let mut delimiters: Vec<Delimiter> = Vec::new();
    // Skipped: code blocks, headings, links/images, raw HTML blocks.
    let mut skip = 0usize;
    let mut depth = 0usize;
    // The `==` pairs found, as (node, offset) of each delimiter.
    let mut pairs: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let flush = |delimiters: &mut Vec<Delimiter>, pairs: &mut Vec<_>| {
        let mut open: Option<&Delimiter> = None;
        for d in delimiters.iter() {
            match open {
                Some(o) if d.close && d.depth == o.depth => {
                    pairs.push(((o.node, o.at), (d.node, d.at)));
                    open = None;
                }
                _ if d.open => open = Some(d),
                _ => {}
            }
        }
        delimiters.clear();
    };
    for (i, (node, range)) in nodes.iter().enumerate() {
        let Node::Event(event) = node else {
            flush(&mut delimiters, &mut pairs);
            continue;
        };
        match event {
            Event::Start(
                Tag::CodeBlock(_)
                | Tag::Heading { .. }
                | Tag::Link { .. }
                | Tag::Image { .. }
                | Tag::HtmlBlock
                | Tag::MetadataBlock(_),
            ) => {
                skip += 1;
                if !matches!(event, Event::Start(Tag::Link { .. } | Tag::Image { .. })) {
                    flush(&mut delimiters, &mut pairs);
                }
            }
            Event::End(
                TagEnd::CodeBlock
                | TagEnd::Heading(_)
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::HtmlBlock
                | TagEnd::MetadataBlock(_),
            ) => {
                skip = skip.saturating_sub(1);
                if !matches!(event, Event::End(TagEnd::Link | TagEnd::Image)) {
                    flush(&mut delimiters, &mut pairs);
                }
            }
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough) => depth += 1,
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if skip == 0 && body.get(range.clone()) == Some(t.as_ref()) => {
                verbatim[i] = true;
                let bytes = t.as_bytes();
                let mut k = 0;
                while let Some(found) = t[k..].find("==") {
                    let at = k + found;
                    // A run of three or more `=` is not a delimiter.
                    let mut run_end = at + 2;
                    while run_end < bytes.len() && bytes[run_end] == b'=' {
                        run_end += 1;
                    }
                    let before = body[..range.start + at].chars().next_back();
                    let after = t[run_end..].chars().next();
                    if run_end == at + 2 && before != Some('=') {
                        delimiters.push(Delimiter {
                            node: i,
                            at,
                            depth,
                            open: after.is_some_and(|c| !c.is_whitespace()),
                            close: before.is_some_and(|c| !c.is_whitespace()),
                        });
                    }
                    k = run_end;
                }
            }
            Event::Text(_)
            | Event::Code(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_)
            | Event::InlineHtml(_)
            | Event::SoftBreak
            | Event::HardBreak
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_) => {}
            _ => flush(&mut delimiters, &mut pairs),
        }
    }
    flush(&mut delimiters, &mut pairs);

    // Cut points per node: (offset, length of the delimiter, html); sorted by offset.
    let mut cuts: Vec<Vec<(usize, usize, &'static str)>> = vec![Vec::new(); nodes.len()];
    for ((on, oa), (cn, ca)) in pairs {
        cuts[on].push((oa, 2, MARK_OPEN));
        cuts[cn].push((ca, 2, MARK_CLOSE));
    }
    let mut out = Vec::with_capacity(nodes.len());
    for (i, (node, range)) in nodes.into_iter().enumerate() {
        if !verbatim[i] {
            out.push((node, range));
            continue;
        }
        let Node::Event(Event::Text(_)) = node else {
            out.push((node, range));
            continue;
        };
        let mut node_cuts = std::mem::take(&mut cuts[i]);
        node_cuts.sort_by_key(|c| c.0);
        let mut from = 0;
        let emit_text = |out: &mut Vec<(Node<'a>, Range<usize>)>, a: usize, b: usize| {
            if a < b {
                tags(body, range.start + a..range.start + b, out);
            }
        };
        for (at, len, html) in node_cuts {
            emit_text(&mut out, from, at);
            let r = range.start + at..range.start + at + len;
            out.push((Node::Event(Event::InlineHtml(CowStr::Borrowed(html))), r));
            from = at + len;
        }
        emit_text(&mut out, from, range.len());
    }
    out
}

/// The text `body[range]` as text nodes and `Tag` nodes.
fn tags<'a>(body: &'a str, range: Range<usize>, out: &mut Vec<(Node<'a>, Range<usize>)>) {
    let text = &body[range.clone()];
    let mut from = 0;
    for (at, _) in text.match_indices('#') {
        if at < from {
            continue;
        }
        let abs = range.start + at;
        let before = body[..abs].chars().next_back();
        if !before.is_none_or(|c| c.is_whitespace() || c == '(') {
            continue;
        }
        let name_len: usize = text[at + 1..]
            .chars()
            .take_while(|&c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/'))
            .map(char::len_utf8)
            .sum();
        let name = text[at + 1..at + 1 + name_len].trim_end_matches(['/', '-']);
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit() || c == '/') {
            continue;
        }
        if from < at {
            out.push((
                Node::Event(Event::Text(CowStr::Borrowed(&text[from..at]))),
                range.start + from..abs,
            ));
        }
        let end = at + 1 + name.len();
        out.push((Node::Tag(name.to_string()), abs..range.start + end));
        from = end;
    }
    if from < text.len() {
        out.push((
            Node::Event(Event::Text(CowStr::Borrowed(&text[from..]))),
            range.start + from..range.end,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(body: &str) -> String {
        let events: Vec<_> = pulldown_cmark::Parser::new_ext(body, crate::markdown::options())
            .into_offset_iter()
            .map(|(e, r)| (Node::Event(e), r))
            .collect();
        marks_and_tags(body, events)
            .into_iter()
            .filter_map(|(n, _)| match n {
                Node::Event(Event::Text(t)) => Some(t.to_string()),
                Node::Event(Event::InlineHtml(h)) => Some(h.to_string()),
                Node::Event(Event::Code(c)) => Some(format!("`{c}`")),
                Node::Tag(t) => Some(format!("[tag {t}]")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn highlights_pair_up_within_a_block() {
        assert_eq!(shown("a ==b c== d"), "a <mark>b c</mark> d");
        assert_eq!(
            shown("==one *two*== and ==three=="),
            "<mark>one two</mark> and <mark>three</mark>"
        );
        assert_eq!(shown("x == y and a === b"), "x == y and a === b");
        assert_eq!(shown("`==code==` ==\n\nx=="), "`==code==` ==x==");
    }

    #[test]
    fn tags_are_words_after_a_hash_in_running_text() {
        assert_eq!(
            shown("About #ethics and #ai/safety, not #1 or a#b or `#code`."),
            "About [tag ethics] and [tag ai/safety], not #1 or a#b or `#code`."
        );
        assert_eq!(
            shown("# Heading #x\n\n[#y](https://e.org/#z)"),
            "Heading #x#y"
        );
        assert_eq!(shown("#über-alles (#y2k)"), "[tag über-alles] ([tag y2k])");
    }
}
