//! Markdown: pulldown-cmark options and the chain of event adapters.
//!
//! `annotate` is the one recogniser of Scholion's annotations (cross-references, citations)
//! and it is shared by both passes over a document, so they agree on every use's number:
//!
//! - `scan` (index stage) walks the annotated nodes and records headings, uses with their
//!   section and sentence of context, the first paragraph and plain text;
//! - `render` (render stage) turns the same nodes into HTML, given how each use resolved.
//!
//! The adapters, in order: parse with offsets → pandoc math delimiters → callouts →
//! highlights and inline tags → merge text → annotate (wikilinks to cross-references,
//! pandoc citations in text) → heading ids → render (notes, uses, tables, math).

mod callout;
pub mod cite;
pub mod highlight;
mod inline;
pub mod locator;
pub mod math;
mod render;
mod scan;
pub mod tokenize;

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

pub use callout::{Fold, kind_key as callout_key};
pub use cite::{CiteItem, CitePart, Cluster, FormattedCitation, LocatorKind, LocatorWords};
pub use render::{
    Blocks, Card, CiteStyle, Edition, LinkOut, NoteForm, NoteLabels, Rendered, ResolveLink,
    TocEntry, UseLink, render, render_blocks, render_document, render_edition, render_embed,
};
pub use scan::{
    CitationAt, Context, Heading, LinkKind, LinkUse, Scan, Use, UseKind, WordCounts, count_words,
    scan,
};

/// The Markdown dialect: CommonMark plus tables, strikethrough, footnotes, heading
/// attributes, smart punctuation, wikilinks (our cross-references), math (`$…$`, `$$…$$`),
/// task lists and definition lists. `annotate` adds pandoc's `\(…\)`/`\[…\]` math,
/// callouts, `==highlights==` and inline `#tags`.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_WIKILINKS
        | Options::ENABLE_MATH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_DEFINITION_LIST
}

/// A Markdown event, or one of our annotations. `use_index` numbers the uses of a document
/// in source order; it is the stable per-use anchor `use_N` in the rendered page.
#[derive(Debug, Clone)]
pub enum Node<'a> {
    Event(Event<'a>),
    /// `[[target#anchor|label]]` starts; the label's events follow, then `XrefEnd`.
    XrefStart {
        target: String,
        anchor: Option<String>,
        piped: bool,
        use_index: usize,
    },
    XrefEnd,
    /// A whole citation: `[see @a, p. 3; @b]` or narrative `@a`.
    Cite(Cluster),
    /// A callout (`> [!kind]- Title`) starts; its title's events follow (none: the theme's
    /// word for the kind), then `CalloutTitleEnd`, its body, and `CalloutEnd`.
    CalloutStart {
        kind: String,
        fold: Fold,
        titled: bool,
    },
    CalloutTitleEnd,
    CalloutEnd,
    /// An inline `#tag` in running text (the name, without `#`).
    Tag(String),
}

/// A document's annotated node stream; ranges are byte ranges of the Markdown body.
pub struct Annotated<'a> {
    pub nodes: Vec<(Node<'a>, Range<usize>)>,
    pub use_count: usize,
    /// Narrative `@word`s in the text that are not a bibliography key but look like one
    /// (body offset, word), for a "did you mean" warning.
    pub unknown_keys: Vec<(usize, String)>,
}

/// Parse `body` and recognise annotations. `is_key` says whether a citation key exists in
/// the bibliography (narrative `@key` is a citation only then).
pub fn annotate<'a>(body: &'a str, is_key: &dyn Fn(&str) -> bool) -> Annotated<'a> {
    annotate_with(body, is_key, LocatorWords::english())
}

/// `annotate`, recognising the locator words `words` (the document's locale's).
pub fn annotate_with<'a>(
    body: &'a str,
    is_key: &dyn Fn(&str) -> bool,
    words: &LocatorWords,
) -> Annotated<'a> {
    let events: Vec<(Event<'a>, Range<usize>)> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let events = math::pandoc_delimiters(body, events);
    let parser = inline::marks_and_tags(body, callout::callouts(body, events));
    let mut nodes: Vec<(Node<'a>, Range<usize>)> = Vec::new();
    let mut use_count = 0usize;
    let mut unknown_keys: Vec<(usize, String)> = Vec::new();
    let mut link_stack: Vec<bool> = Vec::new(); // true = a wikilink
    let mut code_depth = 0usize;
    // Adjacent text events merged into one (the parser splits text at `[`, quotes, entities):
    // a single piece stays as the parser gave it (usually borrowed from the body).
    let mut pending_text: Option<(Pending<'a>, Range<usize>)> = None;
    // Whether the pending text has a `[` after its last `]`.
    let mut open_bracket = false;

    let flush = |pending: &mut Option<(Pending<'a>, Range<usize>)>,
                 nodes: &mut Vec<(Node<'a>, Range<usize>)>,
                 use_count: &mut usize,
                 unknown: &mut Vec<(usize, String)>,
                 in_code: bool| {
        if let Some((text, range)) = pending.take() {
            let (text, pieces) = match text {
                Pending::One(t) => {
                    let piece = cite::Piece {
                        text_start: 0,
                        source: range.clone(),
                    };
                    (t, vec![piece])
                }
                Pending::Many(t, pieces) => (CowStr::from(t), pieces),
            };
            if in_code || !text.contains('@') {
                nodes.push((Node::Event(Event::Text(text)), range));
            } else {
                cite::split_text(
                    &text,
                    &pieces,
                    range,
                    (is_key, words),
                    use_count,
                    nodes,
                    unknown,
                );
            }
        }
    };

    for (node, range) in parser {
        let event = match node {
            Node::Event(event) => event,
            other => {
                flush(
                    &mut pending_text,
                    &mut nodes,
                    &mut use_count,
                    &mut unknown_keys,
                    code_depth > 0,
                );
                nodes.push((other, range));
                continue;
            }
        };
        // A line break inside an open `[` joins the text on both sides, so a citation may
        // span lines (`[see⏎@key, p. 4]`), as in pandoc. Elsewhere the break stays an event.
        let event = match event {
            Event::SoftBreak if pending_text.is_some() && open_bracket => {
                Event::Text(CowStr::Borrowed("\n"))
            }
            other => other,
        };
        match event {
            Event::Text(text) => {
                // Each piece is looked at once: the scan stays linear.
                if let Some(i) = text.rfind(['[', ']']) {
                    open_bracket = text.as_bytes()[i] == b'[';
                }
                match &mut pending_text {
                    Some((pending, r)) => {
                        let first_end = r.end;
                        r.end = range.end;
                        match pending {
                            Pending::Many(buf, pieces) => {
                                pieces.push(cite::Piece {
                                    text_start: buf.len(),
                                    source: range.clone(),
                                });
                                buf.push_str(&text);
                            }
                            Pending::One(first) => {
                                let mut buf = String::with_capacity(2 * (first.len() + text.len()));
                                buf.push_str(first);
                                let pieces = vec![
                                    cite::Piece {
                                        text_start: 0,
                                        source: r.start..first_end,
                                    },
                                    cite::Piece {
                                        text_start: buf.len(),
                                        source: range.clone(),
                                    },
                                ];
                                buf.push_str(&text);
                                *pending = Pending::Many(buf, pieces);
                            }
                        }
                    }
                    None => pending_text = Some((Pending::One(text), range)),
                }
                continue;
            }
            _ => {
                open_bracket = false;
                flush(
                    &mut pending_text,
                    &mut nodes,
                    &mut use_count,
                    &mut unknown_keys,
                    code_depth > 0,
                )
            }
        }
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                code_depth += 1;
                nodes.push((Node::Event(event), range));
            }
            Event::End(TagEnd::CodeBlock) => {
                code_depth = code_depth.saturating_sub(1);
                nodes.push((Node::Event(event), range));
            }
            Event::Start(Tag::Link {
                link_type: LinkType::WikiLink { has_pothole },
                dest_url,
                ..
            }) => {
                link_stack.push(true);
                let (target, anchor) = match dest_url.split_once('#') {
                    Some((t, a)) => (t.trim().to_string(), Some(a.trim().to_string())),
                    None => (dest_url.trim().to_string(), None),
                };
                nodes.push((
                    Node::XrefStart {
                        target,
                        anchor,
                        piped: has_pothole,
                        use_index: use_count,
                    },
                    range,
                ));
                use_count += 1;
            }
            Event::Start(Tag::Link { .. }) => {
                link_stack.push(false);
                nodes.push((Node::Event(event), range));
            }
            Event::End(TagEnd::Link) => {
                if link_stack.pop() == Some(true) {
                    nodes.push((Node::XrefEnd, range));
                } else {
                    nodes.push((Node::Event(event), range));
                }
            }
            other => nodes.push((Node::Event(other), range)),
        }
    }
    flush(
        &mut pending_text,
        &mut nodes,
        &mut use_count,
        &mut unknown_keys,
        code_depth > 0,
    );
    Annotated {
        nodes,
        use_count,
        unknown_keys,
    }
}

/// Text being merged by `annotate`: one piece as parsed, or several copied together (with
/// where each came from in the body).
enum Pending<'a> {
    One(CowStr<'a>),
    Many(String, Vec<cite::Piece>),
}

/// Heading ids for a document, in order: an explicit `{#id}` or the slug of the heading
/// text, made unique (`-1`, `-2` …). Ids never contain `_`, which our generated ids
/// (`use_N`, `note_N`, `noteref_N`) always do, so they never collide.
pub fn heading_ids(nodes: &[(Node<'_>, Range<usize>)]) -> Vec<Heading> {
    let mut headings = Vec::new();
    let mut seen: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
    // The next suffix to try for each base id: 20,000 headings `# Same` try each suffix
    // once in all, not 1, 2, … again for every heading (quadratic).
    let mut next_suffix: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
    let mut i = 0;
    while i < nodes.len() {
        if let Node::Event(Event::Start(Tag::Heading { level, id, .. })) = &nodes[i].0 {
            let mut text = String::new();
            let mut j = i + 1;
            while j < nodes.len() {
                match &nodes[j].0 {
                    Node::Event(Event::End(TagEnd::Heading(_))) => break,
                    Node::Event(Event::Text(t) | Event::Code(t) | Event::InlineMath(t)) => {
                        text.push_str(t)
                    }
                    _ => {}
                }
                j += 1;
            }
            let base = match id {
                Some(id) => id.replace('_', "-"),
                None => {
                    let s = slug::slugify(&text);
                    if s.is_empty() {
                        "section".to_string()
                    } else {
                        s
                    }
                }
            };
            let mut unique = base.clone();
            // Every suffix below the counter is taken (and stays taken), so starting there
            // gives the same id as starting from 1.
            let n = next_suffix.entry(base.clone()).or_insert(1);
            while RESERVED_IDS.contains(&unique.as_str()) || seen.contains(&unique) {
                unique = format!("{base}-{n}");
                *n += 1;
            }
            seen.insert(unique.clone());
            headings.push(Heading {
                level: *level as u8,
                id: unique,
                text: text.trim().to_string(),
                offset: nodes[i].1.start,
            });
            i = j;
        }
        i += 1;
    }
    headings
}

/// Ids the theme uses on every essay page; headings never take them.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "top",
    "contents",
    "notes",
    "notes-title",
    "references",
    "references-title",
    "linked-from",
    "terms-used",
    "search",
    "site-header",
    "card",
];

/// Minimal HTML escaping for text we put into markup ourselves.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// A formula in a short text (a reading question) as MathML, or its TeX as code.
fn math_inline(tex: &str, display: bool) -> String {
    math::to_mathml(tex, display).unwrap_or_else(|_| format!("<code>{}</code>", escape(tex)))
}

/// A short Markdown text (a reading question) as inline HTML: one paragraph's content,
/// without the `<p>` around it. Raw HTML in it is escaped, as in front matter everywhere.
/// A `[[cross-reference]]` in it shows as its label (it is not a use of the document).
pub fn inline_html(text: &str) -> String {
    let mut links: Vec<bool> = Vec::new(); // true = a wikilink, shown as its label
    let events = Parser::new_ext(text, options()).filter_map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
        Event::InlineMath(tex) => Some(Event::InlineHtml(math_inline(&tex, false).into())),
        Event::DisplayMath(tex) => Some(Event::InlineHtml(math_inline(&tex, true).into())),
        Event::Start(Tag::Link {
            link_type: LinkType::WikiLink { .. },
            ..
        }) => {
            links.push(true);
            None
        }
        Event::Start(tag @ Tag::Link { .. }) => {
            links.push(false);
            Some(Event::Start(tag))
        }
        Event::End(TagEnd::Link) => (!links.pop().unwrap_or(false)).then_some(e),
        other => Some(other),
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    let trimmed = out.trim();
    let inner = trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
        .filter(|t| !t.contains("<p>"))
        .unwrap_or(trimmed);
    inner.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_ids_are_unique_and_never_take_the_theme_ids() {
        let body = "## Notes\n\n## Notes\n\n## Part\n\n## Part\n\n## Contents {#main}\n\n## Main\n";
        let annotated = annotate(body, &|_| false);
        let ids: Vec<String> = heading_ids(&annotated.nodes)
            .into_iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(
            ids,
            ["notes-1", "notes-2", "part", "part-1", "main-1", "main-2"]
        );
    }

    #[test]
    fn inline_html_shows_wikilinks_as_labels_and_keeps_links() {
        assert_eq!(
            inline_html("Is [[cyber-sovereignty|sovereignty]] *new*? See [x](https://e.org)."),
            "Is sovereignty <em>new</em>? See <a href=\"https://e.org\">x</a>."
        );
        assert_eq!(inline_html("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
        assert!(inline_html("Why is $x^2$ convex?").contains("<msup>"));
    }
}
