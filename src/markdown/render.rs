//! The render pass: annotated nodes → HTML, given how each use resolved.
//!
//! Footnotes are rendered twice, as PRODUCT.md §2 asks: a numbered sidenote beside the
//! reference (`<span class="sidenote" hidden>`, shown by the theme's CSS on screens) and an
//! endnote in a Notes section (shown in print and without CSS). Uses get the stable anchor
//! `use_N`; only the sidenote copy of a use inside a note carries it, so ids stay unique.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Tag, TagEnd, html};

use super::{CitePart, Fold, FormattedCitation, LinkKind, Node, callout_key, escape, heading_ids};
use crate::ids::Target;

/// Where a link, image or embed of the document leads, as this HTML sink shows it (made by
/// the render stage from the index's `LinkTarget`s): `None` leaves it as written.
#[derive(Debug, Clone)]
pub enum LinkOut {
    /// A link's new URL (a page's, a file's, an anchor).
    Href(String),
    /// An image published by the site, with its size when known.
    Image {
        src: String,
        size: Option<(u32, u32)>,
    },
    /// Another note shown in place (`html`; empty where it is shown as a link only), with
    /// a link to it.
    Embed {
        html: String,
        href: String,
        title: String,
    },
}

/// How the document's links resolve: by how each is written and its destination.
pub type ResolveLink<'a> = &'a dyn Fn(LinkKind, &str) -> Option<LinkOut>;

/// An image (or embed) being rendered: its alt text is collected from its label's events.
enum Open {
    Image {
        src: String,
        size: Option<(u32, u32)>,
        title: String,
        /// `![[x.png|300]]`: the label may be a width (`300`) or a size (`300x200`).
        wiki: bool,
        alt: String,
    },
    /// `![[paper.pdf]]` or a note embedded where only a link fits: a link with the label
    /// (`![[x|label]]`), else `title` (for a note: its title).
    Link {
        href: String,
        label: String,
        dest: String,
        title: String,
    },
}

/// One use (by index) as this HTML sink shows it: made by the render stage from the index's
/// typed resolution (`index::Resolved`) and the route table.
#[derive(Debug, Clone)]
pub enum UseLink<'a> {
    /// A cross-reference. `display` replaces the label of an unpiped `[[slug]]`.
    Link {
        href: String,
        class: &'static str,
        card: Option<Card>,
        display: Option<&'a str>,
    },
    /// A cited work; `html` is the formatted item (with pandoc prefix and suffix).
    Cite {
        href: String,
        card: Option<Card>,
        html: &'a str,
    },
    /// Unresolved (already reported as an error): rendered as its label.
    Broken,
}

/// The citation style's cluster punctuation, e.g. `(`, `)` and `; ` for author-date.
#[derive(Debug, Clone)]
pub struct CiteStyle {
    pub open: String,
    pub close: String,
    pub delimiter: String,
    /// A note style (e.g. Chicago notes): each citation becomes a numbered note.
    pub note: bool,
}

impl Default for CiteStyle {
    fn default() -> Self {
        CiteStyle {
            open: "(".into(),
            close: ")".into(),
            delimiter: "; ".into(),
            note: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// The cards used on the page (by id), so it can embed their content.
    pub cards: BTreeMap<String, Target>,
}

/// A hover card a use opens: its id on the page (`data-card`) and what it shows.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: String,
    pub target: Target,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Body,
    Sidenote,
    Endnote,
}

struct Renderer<'r> {
    /// Code blocks another render shares (see [`Edition`]).
    highlights: Option<&'r super::highlight::Shared>,
    uses: &'r [UseLink<'r>],
    style: &'r CiteStyle,
    cards: BTreeMap<String, Target>,
    note_numbers: HashMap<String, usize>,
    definitions: HashMap<String, Vec<Node<'r>>>,
    references_seen: HashMap<String, usize>,
    heading_ids: HashMap<usize, String>,
    /// Endnote text of note-style citations, by note number.
    cite_notes: HashMap<usize, String>,
    /// The document's citations as the style formatted them, by first use number.
    citations: &'r HashMap<usize, FormattedCitation>,
    blocks: Blocks<'r>,
    /// Where the body is: nesting depth of block elements, the section (heading id), the
    /// ordinal of the last top-level block in it, and the document-wide block number.
    depth: usize,
    section: String,
    ordinal: usize,
    number: usize,
    /// Each open block: its id and number when it is addressed.
    open_blocks: Vec<Option<(String, usize)>>,
    /// Inside a top-level list (whose items are addressed).
    top_list: bool,
    /// The source offset of the event being rendered.
    offset: usize,
    /// Open links and images: whether each is kept (its URL passes the URL policy).
    links: Vec<bool>,
    /// The labels of paragraph links, in the book's language.
    paragraph_link: String,
    paragraph_number: String,
    /// The start of every id (see [`Edition`]).
    prefix: String,
    notes: NoteForm,
    /// The document's links, images and embeds.
    resolve: ResolveLink<'r>,
    /// Images and embeds being rendered (their labels are collected).
    open: Vec<Open>,
    /// Another note's text shown inside a page: no ids (they would repeat the page's) and
    /// no cards or notes.
    bare: bool,
    /// The theme's words (callout titles, task states) by key, and topic hrefs for the
    /// document's inline tags by name.
    words: HashMap<&'static str, String>,
    tag_hrefs: HashMap<String, String>,
    /// Open callouts: whether each folds (`<details>`) or not (`<div>`).
    callouts: Vec<bool>,
    /// The fenced code block being read (its language and text), highlighted at its end.
    code: Option<(String, String)>,
}

/// How the top-level blocks of a document (paragraphs, list items, block quotes, tables)
/// are addressed. Ids contain `_`, so they never collide with heading ids.
#[derive(Clone, Copy, Debug, Default)]
pub enum Blocks<'m> {
    /// No ids (terms, the home page).
    #[default]
    None,
    /// `p_<section>_<n>`: the n-th top-level block of its section (the id of the heading
    /// above it, `top` before the first heading). Edits in other sections, or to the text of
    /// an earlier block, leave the id as it is; a block inserted earlier in the same section
    /// renumbers the blocks after it in that section. A `¶` link to the block follows it.
    Sectioned,
    /// `p_<n>`, numbered through the document, the number shown beside the block (a primary
    /// text, cited by paragraph); `margin` holds HTML placed after block n (its commentary).
    Numbered { margin: &'m HashMap<usize, String> },
}

/// The note label of a note-style citation (`\0` keeps it apart from footnote labels).
fn cite_note_label(use_index: usize) -> String {
    format!("\0cite{use_index}")
}

/// The href of a tag's topic page, by the tag's name.
pub type TagHref<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// The theme's words in the rendered Markdown, in the book's language: the endnotes'
/// heading and the back link's label (`{n}` is the note's number).
pub struct NoteLabels<'a> {
    pub heading: &'a str,
    pub back: &'a str,
    /// The `¶` link's label, and a numbered paragraph's (`{n}` is its number).
    pub paragraph_link: &'a str,
    pub paragraph_number: &'a str,
    /// The theme's word for a key (`callout_note`, `task_done` …); `None`: English.
    pub words: Option<&'a dyn Fn(&str) -> &'a str>,
    /// The href of the topic page of an inline `#tag` (by its name); `None`, or a tag with
    /// no page: the tag is shown as text.
    pub tag_href: Option<&'a TagHref<'a>>,
}

impl Default for NoteLabels<'_> {
    /// The English words (the built-in theme's `en` table).
    fn default() -> Self {
        NoteLabels {
            heading: "Notes",
            back: "Back to note {n} in the text",
            paragraph_link: "Link to this paragraph",
            paragraph_number: "Paragraph {n}",
            words: None,
            tag_href: None,
        }
    }
}

/// How notes are written, by output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoteForm {
    /// The website: a sidenote beside the reference and an endnote list (PRODUCT.md §2).
    #[default]
    Web,
    /// The print edition: the reference and the endnote list only.
    Endnotes,
    /// EPUB 3: `epub:type="noteref"` references and `<aside epub:type="footnote">` notes,
    /// which reading systems open as pop-ups.
    Epub,
}

/// Where a document is rendered: a page of its own (the website), or one part of a larger
/// document (the print edition, an EPUB chapter), whose generated and heading ids all start
/// with `id_prefix` so that they stay unique beside the other parts. The part's title must
/// then carry the id `{id_prefix}chapter_title` (its notes are named after it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Edition<'a> {
    pub id_prefix: &'a str,
    pub notes: NoteForm,
    /// The document's citations as the style formatted them (see [`render_document`]).
    pub citations: Option<&'a HashMap<usize, FormattedCitation>>,
    /// Another note's text shown inside a page (an embed): no ids (they would repeat the
    /// page's), no cards and no notes.
    pub bare: bool,
    /// Code blocks highlighted by another render of the same documents (the print edition
    /// and the EPUB share theirs).
    pub highlights: Option<&'a super::highlight::Shared>,
}

/// Render a document's nodes. `uses` is indexed by use number.
pub fn render<'a>(
    nodes: Vec<(Node<'a>, Range<usize>)>,
    uses: &[UseLink<'_>],
    style: &CiteStyle,
    labels: &NoteLabels<'_>,
) -> Rendered {
    render_blocks(nodes, uses, style, Blocks::None, labels, &|_, _| None)
}

/// Another note's text (or a section of it) to show inside a page: its links resolved by
/// `links`, without ids, cards or notes.
pub fn render_embed<'a>(
    nodes: Vec<(Node<'a>, Range<usize>)>,
    uses: &[UseLink<'_>],
    style: &CiteStyle,
    links: ResolveLink<'_>,
) -> String {
    render_edition(
        nodes,
        uses,
        style,
        Blocks::None,
        &NoteLabels::default(),
        links,
        Edition {
            bare: true,
            ..Edition::default()
        },
    )
    .html
}

/// `render`, with the document's blocks addressed as `blocks` says and its links, images
/// and embeds resolved by `links`.
pub fn render_blocks<'a>(
    nodes: Vec<(Node<'a>, Range<usize>)>,
    uses: &[UseLink<'_>],
    style: &CiteStyle,
    blocks: Blocks<'_>,
    labels: &NoteLabels<'_>,
    links: ResolveLink<'_>,
) -> Rendered {
    render_document(nodes, uses, style, blocks, labels, links, &HashMap::new())
}

/// `render_blocks`, with the document's citations as the style formatted them (by the
/// use number of their first item); a citation not among them is its items joined.
pub fn render_document<'a>(
    nodes: Vec<(Node<'a>, Range<usize>)>,
    uses: &[UseLink<'_>],
    style: &CiteStyle,
    blocks: Blocks<'_>,
    labels: &NoteLabels<'_>,
    links: ResolveLink<'_>,
    citations: &HashMap<usize, FormattedCitation>,
) -> Rendered {
    render_edition(
        nodes,
        uses,
        style,
        blocks,
        labels,
        links,
        Edition {
            citations: Some(citations),
            ..Edition::default()
        },
    )
}

/// A paragraph that holds only a note embed (`![[Note]]` on its own line) becomes the
/// embedded text (a block: it cannot sit inside a `<p>`).
fn embed_blocks<'a>(
    nodes: Vec<(Node<'a>, Range<usize>)>,
    links: ResolveLink<'_>,
) -> Vec<(Node<'a>, Range<usize>)> {
    let is_para = |n: &Node<'_>| matches!(n, Node::Event(Event::Start(Tag::Paragraph)));
    if !nodes.iter().any(|(n, _)| {
        matches!(
            n,
            Node::Event(Event::Start(Tag::Image {
                link_type: pulldown_cmark::LinkType::WikiLink { .. },
                ..
            }))
        )
    }) {
        return nodes;
    }
    let mut out: Vec<(Node<'a>, Range<usize>)> = Vec::with_capacity(nodes.len());
    let mut iter = nodes.into_iter().peekable();
    while let Some((node, range)) = iter.next() {
        if !is_para(&node) {
            out.push((node, range));
            continue;
        }
        let embed = match iter.peek() {
            Some((
                Node::Event(Event::Start(Tag::Image {
                    link_type: pulldown_cmark::LinkType::WikiLink { .. },
                    dest_url,
                    ..
                })),
                _,
            )) => match links(LinkKind::Embed, dest_url) {
                Some(LinkOut::Embed { html, .. }) if !html.is_empty() => Some(html),
                _ => None,
            },
            _ => None,
        };
        let Some(html) = embed else {
            out.push((node, range));
            continue;
        };
        // Take the image's events; the paragraph must end right after it.
        let mut taken = vec![(node, range)];
        let mut depth = 0usize;
        for (n, r) in iter.by_ref() {
            let end = matches!(n, Node::Event(Event::End(TagEnd::Image)));
            let start = matches!(n, Node::Event(Event::Start(Tag::Image { .. })));
            taken.push((n, r));
            if start {
                depth += 1;
            }
            if end {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
        }
        let only = matches!(
            iter.peek(),
            Some((Node::Event(Event::End(TagEnd::Paragraph)), _))
        );
        if only {
            let (_, r) = iter.next().unwrap_or((Node::XrefEnd, 0..0));
            let start = taken[0].1.start;
            out.push((Node::Event(Event::Html(html.into())), start..r.end));
        } else {
            out.extend(taken);
        }
    }
    out
}

/// `render_document` for an edition other than the website's own page (see [`Edition`]).
pub fn render_edition<'a>(
    nodes: Vec<(Node<'a>, Range<usize>)>,
    uses: &[UseLink<'_>],
    style: &CiteStyle,
    blocks: Blocks<'_>,
    labels: &NoteLabels<'_>,
    links: ResolveLink<'_>,
    edition: Edition<'_>,
) -> Rendered {
    let p = edition.id_prefix;
    let bare = edition.bare;
    let no_citations = HashMap::new();
    let citations = edition.citations.unwrap_or(&no_citations);
    // In an EPUB, raw HTML from the Markdown is shown as text: an EPUB's pages must be
    // well-formed XML, which HTML as people write it (`<br>`, `<p>` left open) is not. (Before
    // embeds are placed: their HTML is ours.)
    let nodes = if edition.notes == NoteForm::Epub {
        nodes
            .into_iter()
            .map(|(n, r)| match n {
                Node::Event(Event::Html(h) | Event::InlineHtml(h)) => {
                    (Node::Event(Event::Text(h)), r)
                }
                other => (other, r),
            })
            .collect()
    } else {
        nodes
    };
    let nodes = embed_blocks(nodes, links);
    let headings = heading_ids(&nodes);
    let toc = headings
        .iter()
        .filter(|h| (2..=3).contains(&h.level))
        .map(|h| TocEntry {
            level: h.level,
            id: format!("{p}{}", h.id),
            text: h.text.clone(),
        })
        .collect();
    let heading_ids: HashMap<usize, String> = headings
        .into_iter()
        .map(|h| (h.offset, format!("{p}{}", h.id)))
        .collect();

    // Take the footnote definitions out of the flow.
    let mut main: Vec<(Node<'a>, Range<usize>)> = Vec::with_capacity(nodes.len());
    let mut definitions: HashMap<String, Vec<Node<'a>>> = HashMap::new();
    let mut current: Option<(String, Vec<Node<'a>>, usize)> = None;
    for (node, range) in nodes {
        if let Some((label, body, depth)) = &mut current {
            match &node {
                Node::Event(Event::Start(Tag::FootnoteDefinition(_))) => *depth += 1,
                Node::Event(Event::End(TagEnd::FootnoteDefinition)) => {
                    if *depth == 0 {
                        let (label, body, _) = current.take().unwrap_or_default();
                        definitions.entry(label).or_insert(body);
                        continue;
                    }
                    *depth -= 1;
                }
                _ => {}
            }
            let _ = label;
            body.push(node);
            continue;
        }
        if let Node::Event(Event::Start(Tag::FootnoteDefinition(label))) = &node {
            current = Some((label.to_string(), Vec::new(), 0));
            continue;
        }
        main.push((node, range));
    }

    // Number notes by first reference (and, in a note style, every citation).
    let mut note_numbers = HashMap::new();
    for (node, _) in main.iter().filter(|_| !bare) {
        if let Node::Event(Event::FootnoteReference(label)) = node
            && definitions.contains_key(label.as_ref())
            && !note_numbers.contains_key(label.as_ref())
        {
            let n = note_numbers.len() + 1;
            note_numbers.insert(label.to_string(), n);
        }
        if let Node::Cite(cluster) = node
            && style.note
            && let Some(first) = cluster.items.first()
        {
            let n = note_numbers.len() + 1;
            note_numbers.insert(cite_note_label(first.use_index), n);
        }
    }

    // SAFETY of lifetimes: definitions borrow the same source as main.
    let mut renderer = Renderer {
        uses,
        style,
        cards: BTreeMap::new(),
        note_numbers,
        definitions: HashMap::new(),
        references_seen: HashMap::new(),
        heading_ids,
        cite_notes: HashMap::new(),
        citations,
        blocks,
        depth: 0,
        section: "top".into(),
        ordinal: 0,
        number: 0,
        open_blocks: Vec::new(),
        top_list: false,
        offset: 0,
        links: Vec::new(),
        paragraph_link: labels.paragraph_link.to_string(),
        paragraph_number: labels.paragraph_number.to_string(),
        prefix: p.to_string(),
        notes: edition.notes,
        resolve: links,
        open: Vec::new(),
        bare,
        words: words(labels),
        tag_hrefs: main
            .iter()
            .filter_map(|(n, _)| match n {
                Node::Tag(name) => Some(name),
                _ => None,
            })
            .filter_map(|name| Some((name.clone(), (labels.tag_href?)(name)?)))
            .collect(),
        callouts: Vec::new(),
        code: None,
        highlights: edition.highlights,
    };
    let definitions: HashMap<String, Vec<Node<'_>>> = definitions;
    let mut out = String::new();
    let main_nodes: Vec<(Node<'_>, usize)> = main.into_iter().map(|(n, r)| (n, r.start)).collect();
    let events = renderer.events(main_nodes, Mode::Body, &definitions);
    html::push_html(&mut out, events.into_iter());

    // Endnotes, in note order.
    let mut numbered: Vec<(&String, &usize)> = renderer.note_numbers.iter().collect();
    numbered.sort_by_key(|(_, n)| **n);
    if !numbered.is_empty() {
        let epub = edition.notes == NoteForm::Epub;
        // Beside other parts' notes, the section is named by its part's title too (an element
        // `{p}chapter_title` of the edition's page), so each landmark's name is its own.
        let part_title = if p.is_empty() {
            String::new()
        } else {
            format!(" {p}chapter_title")
        };
        let _ = write!(
            out,
            "<section class=\"endnotes\" {role} aria-labelledby=\"{p}notes-title{part_title}\">\n<h2 id=\"{p}notes-title\">{}</h2>\n{}",
            escape(labels.heading),
            if epub { "" } else { "<ol>\n" },
            role = if epub {
                "epub:type=\"footnotes\""
            } else {
                "role=\"doc-endnotes\""
            },
        );
        let numbered: Vec<(String, usize)> =
            numbered.into_iter().map(|(l, n)| (l.clone(), *n)).collect();
        for (label, n) in numbered {
            let back = escape(&labels.back.replace("{n}", &n.to_string()));
            let inner = match renderer.cite_notes.get(&n) {
                Some(text) => format!("<p>{text}</p>"),
                None => {
                    let body: Vec<(Node<'_>, usize)> = definitions
                        .get(&label)
                        .map(|b| b.iter().cloned().map(|n| (n, usize::MAX)).collect())
                        .unwrap_or_default();
                    let events = renderer.events(body, Mode::Endnote, &definitions);
                    let mut inner = String::new();
                    html::push_html(&mut inner, events.into_iter());
                    inner
                }
            };
            if epub {
                // The number links back to the reference; the note is an aside a reading
                // system can show as a pop-up.
                let _ = writeln!(
                    out,
                    "<aside epub:type=\"footnote\" id=\"{p}note_{n}\"><p class=\"note-number\"><a href=\"#{p}noteref_{n}\" aria-label=\"{back}\">{n}</a></p>{inner}</aside>",
                );
            } else {
                let _ = writeln!(
                    out,
                    "<li id=\"{p}note_{n}\">{inner}<a class=\"note-back\" href=\"#{p}noteref_{n}\" role=\"doc-backlink\" aria-label=\"{back}\">↩</a></li>",
                );
            }
        }
        out.push_str(if epub {
            "</section>\n"
        } else {
            "</ol>\n</section>\n"
        });
    }
    let _ = &renderer.definitions;
    Rendered {
        html: out,
        toc,
        cards: renderer.cards,
    }
}

impl<'r> Renderer<'r> {
    /// Takes the nodes by value: each event is moved into the output, not cloned (a clone
    /// of a merged text copies it).
    fn events<'a>(
        &mut self,
        nodes: Vec<(Node<'a>, usize)>,
        mode: Mode,
        definitions: &HashMap<String, Vec<Node<'a>>>,
    ) -> Vec<Event<'a>> {
        let mut out: Vec<Event<'a>> = Vec::with_capacity(nodes.len() + 8);
        let mut skip_label_depth: Option<usize> = None;
        let mut link_depth = 0usize;
        // A note mark waiting for the punctuation after it (pandoc puts the mark after it).
        let mut mark: Option<Event<'a>> = None;
        for (node, offset) in nodes {
            if let Some(m) = mark.take() {
                if let Node::Event(Event::Text(t)) = &node {
                    let punct =
                        t.len() - t.trim_start_matches(['.', ',', ';', ':', '!', '?']).len();
                    if punct > 0 {
                        out.push(Event::Text(CowStr::from(t[..punct].to_string())));
                        out.push(m);
                        let rest = t[punct..].to_string();
                        if !rest.is_empty() {
                            out.push(Event::Text(CowStr::from(rest)));
                        }
                        continue;
                    }
                }
                out.push(m);
            }
            if let Some(depth) = skip_label_depth {
                match node {
                    Node::XrefEnd if link_depth == depth => {
                        skip_label_depth = None;
                        link_depth -= 1;
                        out.push(Event::InlineHtml("</a>".into()));
                    }
                    Node::XrefStart { .. } => link_depth += 1,
                    Node::XrefEnd => link_depth -= 1,
                    _ => {}
                }
                continue;
            }
            match node {
                Node::Event(event) => self.event(event, offset, mode, &mut out, definitions),
                Node::XrefStart { use_index, .. } => {
                    link_depth += 1;
                    match self.uses.get(use_index) {
                        Some(UseLink::Link {
                            href,
                            class,
                            card,
                            display,
                        }) => {
                            let mut tag = format!("<a class=\"{class}\" href=\"{}\"", escape(href));
                            if mode != Mode::Endnote && !self.bare {
                                let _ = write!(tag, " id=\"{}use_{use_index}\"", self.prefix);
                            }
                            if let Some(card) = card.as_ref().filter(|_| !self.bare) {
                                let _ = write!(tag, " data-card=\"{}\"", escape(&card.id));
                                self.cards.insert(card.id.clone(), card.target);
                            }
                            tag.push('>');
                            out.push(Event::InlineHtml(tag.into()));
                            if let Some(display) = display {
                                out.push(Event::Text(CowStr::from(display.to_string())));
                                skip_label_depth = Some(link_depth);
                            }
                        }
                        _ => out.push(Event::InlineHtml("<span class=\"xref-broken\">".into())),
                    }
                }
                Node::XrefEnd => {
                    link_depth = link_depth.saturating_sub(1);
                    out.push(Event::InlineHtml("</a>".into()));
                }
                Node::CalloutStart { kind, fold, titled } => {
                    self.callout_start(&kind, fold, titled, mode, &mut out);
                }
                Node::CalloutTitleEnd => {
                    let html = match (mode, self.callouts.last()) {
                        (Mode::Sidenote, _) => "</strong> ",
                        (_, Some(true)) => "</summary>\n",
                        _ => "</p>\n",
                    };
                    out.push(Event::Html(html.into()));
                }
                Node::CalloutEnd => {
                    let html = match (mode, self.callouts.pop()) {
                        (Mode::Sidenote, _) => "",
                        (_, Some(true)) => "</details>\n",
                        _ => "</div>\n",
                    };
                    out.push(Event::Html(html.into()));
                }
                Node::Tag(name) => {
                    let html = match self.tag_hrefs.get(&name) {
                        Some(href) => format!(
                            "<a class=\"tag\" rel=\"tag\" href=\"{}\">#{}</a>",
                            escape(href),
                            escape(&name)
                        ),
                        None => format!("<span class=\"tag\">#{}</span>", escape(&name)),
                    };
                    out.push(Event::InlineHtml(html.into()));
                }
                Node::Cite(cluster) if self.style.note && mode == Mode::Body && !self.bare => {
                    let narrative = cluster.narrative;
                    if !narrative {
                        // The mark follows the word: no space before it.
                        if let Some(Event::Text(t)) = out.last_mut()
                            && t.ends_with(char::is_whitespace)
                        {
                            *t = CowStr::from(t.trim_end().to_string());
                        }
                    }
                    let mut events = Vec::new();
                    self.cite_note(&cluster, &mut events);
                    if narrative {
                        out.extend(events);
                    } else {
                        mark = events.pop();
                        out.extend(events);
                    }
                }
                Node::Cite(cluster)
                    if cluster
                        .items
                        .first()
                        .is_some_and(|f| self.citations.contains_key(&f.use_index)) =>
                {
                    let first = cluster.items.first().map_or(0, |f| f.use_index);
                    let formatted = self.citations.get(&first).cloned().unwrap_or_default();
                    let ids = mode != Mode::Endnote && !self.bare;
                    let mut html = String::from("<span class=\"citation\">");
                    html.push_str(&self.cite_parts(&formatted.text, ids, &[]));
                    if ids {
                        self.hidden_anchors(&cluster.items, &formatted.text, &[], &mut html);
                    }
                    html.push_str("</span>");
                    out.push(Event::InlineHtml(html.into()));
                }
                Node::Cite(cluster) => {
                    let (open, close) = if cluster.narrative {
                        (String::new(), String::new())
                    } else {
                        (escape(&self.style.open), escape(&self.style.close))
                    };
                    let delimiter = escape(&self.style.delimiter);
                    let ids = mode != Mode::Endnote && !self.bare;
                    let items = self.cite_links(&cluster.items, &delimiter, ids);
                    let html = format!("<span class=\"citation\">{open}{items}{close}</span>");
                    out.push(Event::InlineHtml(html.into()));
                }
            }
        }
        if let Some(m) = mark {
            out.push(m);
        }
        out
    }

    /// A formatted citation's parts as HTML: text as it is, each item a link to its source
    /// (with its use anchor when `ids`, unless it is in `anchored`).
    fn cite_parts(&mut self, parts: &[CitePart], ids: bool, anchored: &[usize]) -> String {
        let mut html = String::new();
        for part in parts {
            match part {
                CitePart::Text(t) => html.push_str(t),
                CitePart::Item {
                    use_index,
                    html: text,
                } => match self.uses.get(*use_index) {
                    Some(UseLink::Cite { href, card, .. }) => {
                        let _ = write!(html, "<a class=\"cite\" href=\"{}\"", escape(href));
                        if ids && !anchored.contains(use_index) {
                            let _ = write!(html, " id=\"{}use_{use_index}\"", self.prefix);
                        }
                        if let Some(card) = card {
                            let _ = write!(html, " data-card=\"{}\"", escape(&card.id));
                            self.cards.insert(card.id.clone(), card.target);
                        }
                        let _ = write!(html, ">{text}</a>");
                    }
                    _ => html.push_str(text),
                },
            }
        }
        html
    }

    /// Anchors for the items a style left out of a citation (collapsed: `[1]–[3]` hides
    /// `[2]`), so every use keeps its `use_N`.
    fn hidden_anchors(
        &self,
        items: &[super::CiteItem],
        a: &[CitePart],
        b: &[CitePart],
        html: &mut String,
    ) {
        for item in items {
            let shown = a.iter().chain(b).any(
                |p| matches!(p, CitePart::Item { use_index, .. } if *use_index == item.use_index),
            );
            if !shown && matches!(self.uses.get(item.use_index), Some(UseLink::Cite { .. })) {
                let _ = write!(
                    html,
                    "<span id=\"{}use_{}\"></span>",
                    self.prefix, item.use_index
                );
            }
        }
    }

    /// The links of a citation's items, joined by `delimiter`; `ids` gives each its use
    /// anchor (not in the endnote copy, so ids stay unique).
    fn cite_links(&mut self, items: &[super::CiteItem], delimiter: &str, ids: bool) -> String {
        let mut html = String::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                html.push_str(delimiter);
            }
            match self.uses.get(item.use_index) {
                Some(UseLink::Cite {
                    href,
                    card,
                    html: text,
                }) => {
                    let _ = write!(html, "<a class=\"cite\" href=\"{}\"", escape(href));
                    if ids {
                        let _ = write!(html, " id=\"{}use_{}\"", self.prefix, item.use_index);
                    }
                    if let Some(card) = card.as_ref().filter(|_| ids) {
                        let _ = write!(html, " data-card=\"{}\"", escape(&card.id));
                        self.cards.insert(card.id.clone(), card.target);
                    }
                    let _ = write!(html, ">{text}</a>");
                }
                _ => {
                    let _ = write!(html, "@{}", escape(&item.key));
                }
            }
        }
        html
    }

    /// The theme's word for `key`, or `english` without a table.
    fn word<'w>(&'w self, key: &str, english: &'w str) -> &'w str {
        match self.words.get(key) {
            Some(w) if !w.is_empty() => w,
            _ => english,
        }
    }

    /// The opening of a callout and of its title (its default title when it has none).
    fn callout_start<'a>(
        &mut self,
        kind: &str,
        fold: Fold,
        titled: bool,
        mode: Mode,
        out: &mut Vec<Event<'a>>,
    ) {
        let key = callout_key(kind);
        let default_title = if titled {
            String::new()
        } else if key.is_empty() {
            // An unknown kind: shown as written, first letter in capitals.
            let mut chars = kind.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        } else {
            let english = ENGLISH_CALLOUTS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or("Note", |(_, w)| *w);
            self.word(&format!("callout_{key}"), english).to_string()
        };
        let title = escape(&default_title);
        let class_kind = if key.is_empty() { "note" } else { key };
        let html = if mode == Mode::Sidenote {
            format!("<strong class=\"callout-title\">{title}")
        } else {
            let foldable = fold != Fold::No;
            self.callouts.push(foldable);
            let kind = escape(kind);
            if foldable {
                let open = if fold == Fold::Open { " open" } else { "" };
                format!(
                    "<details class=\"callout callout-{class_kind}\" data-callout=\"{kind}\"{open}>\n<summary class=\"callout-title\">{title}"
                )
            } else {
                format!(
                    "<div class=\"callout callout-{class_kind}\" data-callout=\"{kind}\" role=\"note\">\n<p class=\"callout-title\">{title}"
                )
            }
        };
        out.push(Event::Html(html.into()));
    }

    /// A citation in a note style: a numbered sidenote (and endnote) holding the note text.
    fn cite_note<'a>(&mut self, cluster: &super::Cluster, out: &mut Vec<Event<'a>>) {
        let Some(first) = cluster.items.first() else {
            return;
        };
        let Some(&n) = self.note_numbers.get(&cite_note_label(first.use_index)) else {
            return;
        };
        let formatted = self.citations.get(&first.use_index).cloned();
        let (side, end) = match formatted {
            Some(FormattedCitation {
                text,
                note: Some(note),
            }) => {
                // A narrative citation's author stays in the sentence (with the anchor).
                if !text.is_empty() {
                    let html = self.cite_parts(&text, true, &[]);
                    out.push(Event::InlineHtml(
                        format!("<span class=\"citation\">{html}</span>").into(),
                    ));
                }
                let anchored: Vec<usize> = text
                    .iter()
                    .filter_map(|p| match p {
                        CitePart::Item { use_index, .. } => Some(*use_index),
                        CitePart::Text(_) => None,
                    })
                    .collect();
                let mut side = self.cite_parts(&note, true, &anchored);
                self.hidden_anchors(&cluster.items, &text, &note, &mut side);
                let end = self.cite_parts(&note, false, &[]);
                (side, end)
            }
            _ => {
                let mut side = self.cite_links(&cluster.items, "; ", true);
                let mut end = self.cite_links(&cluster.items, "; ", false);
                if !side.ends_with('.') {
                    side.push('.');
                    end.push('.');
                }
                (side, end)
            }
        };
        self.cite_notes.insert(n, end);
        let reference = self.note_reference(n, Some(&side));
        out.push(Event::InlineHtml(reference.into()));
    }

    /// A note's number in the text, as this edition writes it: with the note beside it as a
    /// sidenote (`side`, the website), or a plain link to the note.
    fn note_reference(&self, n: usize, side: Option<&str>) -> String {
        let p = &self.prefix;
        match (self.notes, side) {
            (NoteForm::Web, Some(side)) => format!(
                "<sup class=\"note-ref\" id=\"{p}noteref_{n}\"><a href=\"#{p}note_{n}\" role=\"doc-noteref\" aria-describedby=\"{p}sidenote_{n}\">{n}</a></sup><span class=\"sidenote\" id=\"{p}sidenote_{n}\" hidden><span class=\"sidenote-number\">{n}</span> {side}</span>"
            ),
            (NoteForm::Epub, Some(_)) => format!(
                "<sup class=\"note-ref\"><a epub:type=\"noteref\" id=\"{p}noteref_{n}\" href=\"#{p}note_{n}\" role=\"doc-noteref\">{n}</a></sup>"
            ),
            (_, Some(_)) => format!(
                "<sup class=\"note-ref\" id=\"{p}noteref_{n}\"><a href=\"#{p}note_{n}\" role=\"doc-noteref\">{n}</a></sup>"
            ),
            (NoteForm::Epub, None) => format!(
                "<sup class=\"note-ref\"><a epub:type=\"noteref\" href=\"#{p}note_{n}\" role=\"doc-noteref\">{n}</a></sup>"
            ),
            (_, None) => format!(
                "<sup class=\"note-ref\"><a href=\"#{p}note_{n}\" role=\"doc-noteref\">{n}</a></sup>"
            ),
        }
    }

    fn event<'a>(
        &mut self,
        event: Event<'a>,
        offset: usize,
        mode: Mode,
        out: &mut Vec<Event<'a>>,
        definitions: &HashMap<String, Vec<Node<'a>>>,
    ) {
        self.offset = offset;
        if mode == Mode::Sidenote {
            match event {
                Event::InlineMath(tex) => {
                    out.push(Event::InlineHtml(math_html(&tex, false).into()))
                }
                Event::DisplayMath(tex) => {
                    out.push(Event::InlineHtml(math_html(&tex, true).into()))
                }
                event => out.push(phrasing(self.relink(event))),
            }
            return;
        }
        if mode == Mode::Body && !matches!(self.blocks, Blocks::None) {
            if let Some(event) = self.addressed(event, out) {
                self.event_inner(event, offset, mode, out, definitions);
            }
            return;
        }
        self.event_inner(event, offset, mode, out, definitions);
    }

    /// The next block id, counting this block.
    fn next_block_id(&mut self) -> (String, usize) {
        self.ordinal += 1;
        self.number += 1;
        match self.blocks {
            Blocks::Numbered { .. } => (format!("{}p_{}", self.prefix, self.number), self.number),
            _ => (
                format!("{}p_{}_{}", self.prefix, self.section, self.ordinal),
                self.number,
            ),
        }
    }

    /// The link to a block, put at its start (numbered) or end (sectioned).
    fn block_mark(&self, id: &str, n: usize) -> String {
        match self.blocks {
            Blocks::Numbered { .. } => format!(
                "<a class=\"para-num\" href=\"#{id}\" aria-label=\"{}\">{n}</a> ",
                escape(&self.paragraph_number.replace("{n}", &n.to_string()))
            ),
            _ => format!(
                " <a class=\"para-mark\" href=\"#{id}\" aria-label=\"{}\">¶</a>",
                escape(&self.paragraph_link)
            ),
        }
    }

    /// Give top-level blocks their ids (and marks); track sections. Returns the event to
    /// render as usual, or `None` when it was written here.
    fn addressed<'a>(&mut self, event: Event<'a>, out: &mut Vec<Event<'a>>) -> Option<Event<'a>> {
        let numbered = matches!(self.blocks, Blocks::Numbered { .. });
        let opening = match &event {
            Event::Start(Tag::Heading { .. }) => {
                if self.depth == 0
                    && let Some(id) = self.heading_ids.get(&self.offset)
                {
                    self.section = id
                        .strip_prefix(self.prefix.as_str())
                        .unwrap_or(id)
                        .to_string();
                    self.ordinal = 0;
                }
                return Some(event);
            }
            Event::Start(Tag::Paragraph) if self.depth == 0 => Some("p"),
            Event::Start(Tag::Item) if self.depth == 1 && self.top_list => Some("li"),
            Event::Start(Tag::BlockQuote(None)) if self.depth == 0 => Some("blockquote"),
            Event::Start(Tag::Table(_)) if self.depth == 0 => Some("div class=\"table-wrap\""),
            Event::Start(
                Tag::Paragraph
                | Tag::Item
                | Tag::BlockQuote(_)
                | Tag::Table(_)
                | Tag::List(_)
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::DefinitionList,
            ) => {
                if self.depth == 0 && matches!(event, Event::Start(Tag::List(_))) {
                    self.top_list = true;
                }
                self.depth += 1;
                self.open_blocks.push(None);
                return Some(event);
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::Table
                | TagEnd::List(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::DefinitionList,
            ) => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.top_list = false;
                }
                let Some((id, n)) = self.open_blocks.pop().flatten() else {
                    return Some(event);
                };
                // The mark goes inside the block, at its end (after a table, inside its wrapper).
                let mark = (!numbered).then(|| Event::InlineHtml(self.block_mark(&id, n).into()));
                if matches!(event, Event::End(TagEnd::Table)) {
                    out.push(event);
                    out.extend(mark);
                    out.push(Event::Html("</div>\n".into()));
                } else {
                    out.extend(mark);
                    out.push(event);
                }
                if let Blocks::Numbered { margin } = self.blocks
                    && let Some(html) = margin.get(&n)
                {
                    out.push(Event::Html(format!("{html}</div>\n").into()));
                }
                return None;
            }
            _ => None,
        };
        let Some(tag) = opening else {
            return Some(event);
        };
        self.depth += 1;
        let (id, n) = self.next_block_id();
        let mark = if numbered {
            self.block_mark(&id, n)
        } else {
            String::new()
        };
        // A numbered block with commentary is wrapped with it (`.passage`), so the two can
        // sit side by side.
        if let Blocks::Numbered { margin } = self.blocks
            && margin.contains_key(&n)
        {
            out.push(Event::Html("<div class=\"passage\">\n".into()));
        }
        out.push(Event::Html(format!("<{tag} id=\"{id}\">{mark}").into()));
        if let Event::Start(Tag::Table(a)) = event {
            out.push(Event::Html("\n".into()));
            out.push(Event::Start(Tag::Table(a)));
        }
        self.open_blocks.push(Some((id, n)));
        None
    }

    /// A link with its URL resolved (a `.md` file's page, a file's published path).
    fn relink<'a>(&self, event: Event<'a>) -> Event<'a> {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = match (self.resolve)(LinkKind::Link, &dest_url) {
                    Some(LinkOut::Href(href)) => CowStr::from(href),
                    _ => dest_url,
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            other => other,
        }
    }

    /// Images and embeds: opened here, their label collected, written when they close.
    /// Returns the event when it is not theirs.
    fn image<'a>(&mut self, event: Event<'a>, out: &mut Vec<Event<'a>>) -> Option<Event<'a>> {
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                ..
            }) => {
                let wiki = matches!(link_type, pulldown_cmark::LinkType::WikiLink { .. });
                let kind = if wiki {
                    LinkKind::Embed
                } else {
                    LinkKind::Image
                };
                let open = match (self.resolve)(kind, &dest_url) {
                    Some(LinkOut::Image { src, size }) => Open::Image {
                        src,
                        size,
                        title: title.to_string(),
                        wiki,
                        alt: String::new(),
                    },
                    Some(LinkOut::Href(href)) if wiki => Open::Link {
                        href,
                        label: String::new(),
                        title: dest_url.to_string(),
                        dest: dest_url.to_string(),
                    },
                    Some(LinkOut::Embed {
                        href,
                        title: note_title,
                        ..
                    }) => Open::Link {
                        href,
                        label: String::new(),
                        title: note_title,
                        dest: dest_url.to_string(),
                    },
                    Some(LinkOut::Href(href)) => Open::Image {
                        src: href,
                        size: None,
                        title: title.to_string(),
                        wiki,
                        alt: String::new(),
                    },
                    // Unresolved (an external image, or an embed already reported).
                    None => Open::Image {
                        src: if wiki {
                            String::new()
                        } else {
                            dest_url.to_string()
                        },
                        size: None,
                        title: title.to_string(),
                        wiki,
                        alt: String::new(),
                    },
                };
                self.open.push(open);
                None
            }
            Event::Text(t) | Event::Code(t) if !self.open.is_empty() => {
                match self.open.last_mut() {
                    Some(Open::Image { alt, .. }) => alt.push_str(&t),
                    Some(Open::Link { label, .. }) => label.push_str(&t),
                    None => {}
                }
                None
            }
            Event::End(TagEnd::Image) => {
                if let Some(open) = self.open.pop() {
                    out.push(Event::InlineHtml(image_html(open).into()));
                }
                None
            }
            other if !self.open.is_empty() => {
                // Markup inside alt text (emphasis, a link) is dropped; its text is kept.
                let _ = other;
                None
            }
            other => Some(other),
        }
    }

    fn event_inner<'a>(
        &mut self,
        event: Event<'a>,
        offset: usize,
        mode: Mode,
        out: &mut Vec<Event<'a>>,
        definitions: &HashMap<String, Vec<Node<'a>>>,
    ) {
        // The URL policy: a link or image whose URL is refused is shown as its text.
        match &event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let safe = crate::route::is_safe_link(dest_url);
                self.links.push(safe);
                if !safe {
                    return;
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) if !self.links.pop().unwrap_or(true) => {
                return;
            }
            _ => {}
        }
        let Some(event) = self.image(event, out) else {
            return;
        };
        let event = self.relink(event);
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if !super::highlight::language(&info).is_empty() =>
            {
                self.code = Some((super::highlight::language(&info).to_string(), String::new()));
            }
            Event::Text(text) if self.code.is_some() => {
                if let Some((_, code)) = &mut self.code {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) if self.code.is_some() => {
                let Some((lang, code)) = self.code.take() else {
                    return;
                };
                let highlighted = match self.highlights {
                    Some(shared) => shared.highlight(&lang, &code),
                    None => super::highlight::highlight(&lang, &code),
                };
                match highlighted {
                    Some(html) => out.push(Event::Html(
                        format!(
                            "<pre class=\"highlight\"><code class=\"language-{}\">{html}</code></pre>\n",
                            escape(&lang)
                        )
                        .into(),
                    )),
                    None => {
                        out.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(
                            lang.into(),
                        ))));
                        out.push(Event::Text(code.into()));
                        out.push(Event::End(TagEnd::CodeBlock));
                    }
                }
            }
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                let id = self
                    .heading_ids
                    .get(&offset)
                    .cloned()
                    .filter(|_| !self.bare);
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: id.map(CowStr::from),
                    classes,
                    attrs,
                }));
            }
            Event::Start(Tag::Table(a)) => {
                out.push(Event::Html("<div class=\"table-wrap\">\n".into()));
                out.push(Event::Start(Tag::Table(a)));
            }
            Event::End(TagEnd::Table) => {
                out.push(Event::End(TagEnd::Table));
                out.push(Event::Html("</div>\n".into()));
            }
            Event::FootnoteReference(_) if self.bare => {}
            Event::InlineMath(tex) => out.push(Event::InlineHtml(math_html(&tex, false).into())),
            Event::DisplayMath(tex) => out.push(Event::InlineHtml(math_html(&tex, true).into())),
            Event::TaskListMarker(done) => {
                let (key, english, checked) = if done {
                    ("task_done", "Done", " checked")
                } else {
                    ("task_open", "To do", "")
                };
                let label = escape(self.word(key, english));
                out.push(Event::InlineHtml(
                    format!(
                        "<input type=\"checkbox\" class=\"task\" disabled{checked} aria-label=\"{label}\"> "
                    )
                    .into(),
                ));
            }
            Event::FootnoteReference(label) => {
                let Some(&n) = self.note_numbers.get(label.as_ref()) else {
                    out.push(Event::Text(format!("[^{label}]").into()));
                    return;
                };
                let seen = self.references_seen.entry(label.to_string()).or_insert(0);
                *seen += 1;
                if *seen > 1 || mode == Mode::Endnote {
                    out.push(Event::InlineHtml(self.note_reference(n, None).into()));
                    return;
                }
                // The sidenote's copy of the note, on the website only.
                let inner = if self.notes == NoteForm::Web {
                    let body: Vec<(Node<'a>, usize)> = definitions
                        .get(label.as_ref())
                        .map(|b| b.iter().cloned().map(|n| (n, usize::MAX)).collect())
                        .unwrap_or_default();
                    let events = self.events(body, Mode::Sidenote, definitions);
                    let mut inner = String::new();
                    html::push_html(&mut inner, events.into_iter());
                    inner
                } else {
                    String::new()
                };
                let reference = self.note_reference(n, Some(inner.trim()));
                out.push(Event::InlineHtml(reference.into()));
            }
            other => out.push(other),
        }
    }
}

/// An image as HTML: its size from the file (a wikilink's `|300` or `|300x200` sets it, the
/// height kept in proportion), loaded lazily; a file embed as a link.
fn image_html(open: Open) -> String {
    match open {
        Open::Link {
            href,
            label,
            dest,
            title,
        } => {
            let label = label.trim();
            let text = if label.is_empty() || label == dest.trim() {
                title.as_str()
            } else {
                label
            };
            format!(
                "<a class=\"file\" href=\"{}\">{}</a>",
                escape(&href),
                escape(text)
            )
        }
        Open::Image {
            src,
            size,
            title,
            wiki,
            alt,
        } => {
            if src.is_empty() {
                return escape(&alt);
            }
            let mut size = size;
            let mut alt = alt;
            if wiki {
                let label = alt.trim();
                let parsed = match label.split_once('x') {
                    Some((w, h)) => w.parse::<u32>().ok().zip(h.parse::<u32>().ok()),
                    None => label.parse::<u32>().ok().map(|w| {
                        let h = size.map_or(0, |(ow, oh)| {
                            (u64::from(w) * u64::from(oh) / u64::from(ow.max(1))) as u32
                        });
                        (w, h)
                    }),
                };
                if let Some((w, h)) = parsed.filter(|(w, _)| *w > 0) {
                    size = Some((w, h));
                    alt = String::new();
                } else if label == src.rsplit('/').next().unwrap_or("") || src.ends_with(label) {
                    // `![[x.png]]`: the label is the file name, not a description.
                    alt = String::new();
                }
            }
            let mut html = format!("<img src=\"{}\" alt=\"{}\"", escape(&src), escape(&alt));
            if let Some((w, h)) = size {
                let _ = write!(html, " width=\"{w}\"");
                if h > 0 {
                    let _ = write!(html, " height=\"{h}\"");
                }
            }
            if !title.is_empty() {
                let _ = write!(html, " title=\"{}\"", escape(&title));
            }
            html.push_str(" loading=\"lazy\" decoding=\"async\">");
            html
        }
    }
}

/// The theme's words the Markdown needs (callout titles, task states), by key.
fn words(labels: &NoteLabels<'_>) -> HashMap<&'static str, String> {
    let Some(lookup) = labels.words else {
        return HashMap::new();
    };
    let mut words: HashMap<&'static str, String> = CALLOUT_KEYS
        .iter()
        .map(|k| (*k, lookup(k).to_string()))
        .collect();
    for key in ["task_done", "task_open"] {
        words.insert(key, lookup(key).to_string());
    }
    words
}

/// The theme's keys of callout titles (`callout_` and a kind of `ENGLISH_CALLOUTS`).
const CALLOUT_KEYS: &[&str] = &[
    "callout_note",
    "callout_abstract",
    "callout_info",
    "callout_todo",
    "callout_tip",
    "callout_important",
    "callout_success",
    "callout_question",
    "callout_warning",
    "callout_caution",
    "callout_failure",
    "callout_danger",
    "callout_bug",
    "callout_example",
    "callout_quote",
];

/// The English callout titles (the theme's `callout_<kind>` keys translate them).
const ENGLISH_CALLOUTS: &[(&str, &str)] = &[
    ("note", "Note"),
    ("abstract", "Abstract"),
    ("info", "Info"),
    ("todo", "To do"),
    ("tip", "Tip"),
    ("important", "Important"),
    ("success", "Success"),
    ("question", "Question"),
    ("warning", "Warning"),
    ("caution", "Caution"),
    ("failure", "Failure"),
    ("danger", "Danger"),
    ("bug", "Bug"),
    ("example", "Example"),
    ("quote", "Quote"),
];

/// A formula as MathML; invalid TeX (reported by the scan) as its source in code.
fn math_html(tex: &str, display: bool) -> String {
    match super::math::to_mathml(tex, display) {
        Ok(mathml) => mathml,
        Err(_) => format!("<code class=\"math-error\">{}</code>", escape(tex)),
    }
}

/// Map block events to phrasing content for a sidenote (it sits inside a paragraph).
fn phrasing(event: Event<'_>) -> Event<'_> {
    let html = |s: &'static str| Event::InlineHtml(CowStr::Borrowed(s));
    match event {
        Event::Start(Tag::Paragraph) => html("<span class=\"sidenote-p\">"),
        Event::End(TagEnd::Paragraph) => html("</span> "),
        Event::Start(Tag::List(_)) | Event::End(TagEnd::List(_)) => html(""),
        Event::Start(Tag::Item) => html("<span class=\"sidenote-p\">• "),
        Event::End(TagEnd::Item) => html("</span> "),
        Event::Start(Tag::BlockQuote(_)) => html("<q>"),
        Event::End(TagEnd::BlockQuote(_)) => html("</q>"),
        Event::Start(Tag::CodeBlock(_)) => html("<code>"),
        Event::End(TagEnd::CodeBlock) => html("</code>"),
        Event::Start(Tag::Heading { .. }) => html("<strong>"),
        Event::End(TagEnd::Heading(_)) => html("</strong> "),
        Event::Start(
            Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell | Tag::HtmlBlock,
        ) => html(" "),
        Event::End(
            TagEnd::Table
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::TableCell
            | TagEnd::HtmlBlock,
        ) => html(" "),
        Event::Html(h) => Event::Text(h),
        Event::Rule => html(" "),
        Event::Start(Tag::Image { .. }) => html(""),
        Event::End(TagEnd::Image) => html(""),
        Event::Start(Tag::DefinitionList) | Event::End(TagEnd::DefinitionList) => html(""),
        Event::Start(Tag::DefinitionListTitle) => html("<strong>"),
        Event::End(TagEnd::DefinitionListTitle) => html("</strong> "),
        Event::Start(Tag::DefinitionListDefinition) => html("<span class=\"sidenote-p\">"),
        Event::End(TagEnd::DefinitionListDefinition) => html("</span> "),
        other => other,
    }
}
