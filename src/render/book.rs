//! The reader as one book, for the print edition (`/print/`) and the EPUB: the home page's
//! text, the essays in reading order (each with its notes as endnotes), the glossary and the
//! bibliography, made from the model (never from the website's pages). A cross-reference or
//! citation links inside the book: to a chapter (and a heading in it), a glossary entry, a
//! bibliography entry. Where those are (one page, or one file per chapter) is the layout's.
//!
//! Every id in a part starts with the part's prefix (`e3-`, `t12-`, `intro-`), so ids stay
//! unique when the parts share one page; the part's own anchor is the prefix without its `-`.

use rayon::prelude::*;
use serde::Serialize;

use crate::ids::{DocId, EssayId, SourceId, Target, TermId};
use crate::index::{LinkTarget, Resolved, Site};
use crate::markdown::{self, Blocks, Edition, NoteForm, UseLink};
use crate::route::Route;

/// Where the parts of the book are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One page: every link is a fragment (`#e2-history`).
    Print,
    /// An EPUB: one XHTML file per chapter, one for the glossary and the bibliography.
    Epub,
}

/// A chapter: the home page's text or an essay.
#[derive(Serialize)]
pub struct Chapter {
    /// Its number in the contents (essays 1, 2, 3 …; the introduction has none).
    pub number: Option<usize>,
    /// Its anchor (`e1`), and its file in the EPUB (`e1.xhtml`).
    pub id: String,
    pub file: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub authors: Vec<String>,
    /// The date as the language writes it.
    pub date: Option<String>,
    /// The body, with its notes at the end.
    pub html: String,
    /// Its headings (levels 2 and 3), for the contents.
    pub toc: Vec<Heading>,
}

/// A heading of a chapter in the contents.
#[derive(Serialize)]
pub struct Heading {
    /// Its number in the contents (`2.3`: the third section of chapter 2).
    pub number: String,
    pub id: String,
    pub text: String,
}

/// A glossary entry or a bibliography entry.
#[derive(Serialize)]
pub struct Entry {
    pub id: String,
    pub name: String,
    /// The term's name in its own language, with its language tag.
    pub original: Option<String>,
    pub original_lang: Option<String>,
    pub html: String,
}

/// The whole reader, ready to lay out.
#[derive(Serialize)]
pub struct Book {
    pub title: String,
    pub description: String,
    pub authors: Vec<String>,
    pub publisher: Option<String>,
    pub license: Option<String>,
    /// The newest essay date (ISO), the book's date.
    pub date: Option<String>,
    /// The same, as the language writes it.
    pub long_date: Option<String>,
    pub intro: Option<Chapter>,
    pub chapters: Vec<Chapter>,
    pub glossary: Vec<Entry>,
    pub bibliography: Vec<Entry>,
}

/// The files of the EPUB's glossary and bibliography (their anchors in the print edition).
pub const GLOSSARY: &str = "glossary";
pub const BIBLIOGRAPHY: &str = "bibliography";

impl Book {
    /// The whole book, every chapter's body rendered (in memory: a large reader's print
    /// edition streams its bodies instead, see `frame` and `body`).
    pub fn new(site: &Site, layout: Layout) -> Book {
        let mut book = Book::frame(site, layout);
        let parts = parts(site);
        let mut bodies: Vec<markdown::Rendered> = parts
            .par_iter()
            .map(|&doc| Book::body(site, layout, doc))
            .collect::<Vec<_>>();
        let chapters = book.intro.iter_mut().chain(book.chapters.iter_mut());
        for (c, rendered) in chapters.zip(bodies.iter_mut()) {
            c.html = std::mem::take(&mut rendered.html);
            if layout == Layout::Epub
                && let Some(n) = c.number
            {
                c.toc = toc(
                    n,
                    std::mem::take(&mut rendered.toc)
                        .into_iter()
                        .map(|h| (h.level, h.id, h.text)),
                );
            }
        }
        book
    }

    /// The book without its chapters' bodies (`html` is empty): the title page, the
    /// contents, the glossary and the bibliography. The print edition's contents come from
    /// the index's headings (the same ids and text its render gives); the EPUB's are left
    /// empty (its bodies are rendered where they are written, with their headings).
    pub fn frame(site: &Site, layout: Layout) -> Book {
        Builder { site, layout }.build()
    }

    /// A part's body (`parts`) in `layout`: its Markdown rendered for the book (its code
    /// blocks highlighted once for every render: see `markdown::highlight`).
    pub fn body(site: &Site, layout: Layout, doc: DocId) -> markdown::Rendered {
        let builder = Builder { site, layout };
        let prefix = match doc {
            DocId::Essay(i) => format!("{}-", builder.essay_id(i)),
            _ => "intro-".to_string(),
        };
        builder.markdown(doc, &prefix)
    }
}

/// The documents whose bodies are the book's chapters, in order: the home page's text (the
/// introduction), if any, then the published essays in reading order.
pub fn parts(site: &Site) -> Vec<DocId> {
    site.content
        .home
        .as_ref()
        .map(|_| DocId::Home)
        .into_iter()
        .chain(site.published.iter().map(|&i| DocId::Essay(i)))
        .collect()
}

/// A chapter's contents: its level-2 headings, numbered `n.k`.
pub fn toc(n: usize, headings: impl Iterator<Item = (u8, String, String)>) -> Vec<Heading> {
    headings
        .filter(|(level, _, _)| *level == 2)
        .enumerate()
        .map(|(k, (_, id, text))| Heading {
            number: format!("{}.{}", n, k + 1),
            id,
            text,
        })
        .collect()
}

struct Builder<'a> {
    site: &'a Site,
    layout: Layout,
}

impl Builder<'_> {
    fn build(&self) -> Book {
        let site = self.site;
        let config = &site.config.book;
        let t = &site.translations;
        let date = site
            .published_essays()
            .filter_map(|i| site.essay(i).date)
            .max()
            .map(|d| d.to_string());
        let intro = site.content.home.as_ref().map(|_| Chapter {
            number: None,
            id: "intro".into(),
            file: "intro.xhtml".into(),
            title: t.str("introduction").to_string(),
            subtitle: None,
            authors: Vec::new(),
            date: None,
            html: String::new(),
            toc: Vec::new(),
        });
        let chapters = site
            .published
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let e = site.essay(i);
                let id = self.essay_id(i);
                Chapter {
                    number: Some(n + 1),
                    file: format!("{id}.xhtml"),
                    title: e.title.clone(),
                    subtitle: e.subtitle.clone(),
                    authors: e.authors.clone(),
                    date: e.date.map(|d| t.long_date(&d.to_string())),
                    html: String::new(),
                    toc: match self.layout {
                        // The headings the render finds: the scan's (the same recogniser
                        // over the same nodes; the book's embeds are links, adding none).
                        Layout::Print => toc(
                            n + 1,
                            site.scan(DocId::Essay(i))
                                .headings
                                .iter()
                                .map(|h| (h.level, format!("{id}-{}", h.id), h.text.clone())),
                        ),
                        Layout::Epub => Vec::new(),
                    },
                    id,
                }
            })
            .collect();
        let collation = crate::i18n::Collation::new(&t.language);
        let mut terms: Vec<TermId> = site.term_ids().collect();
        terms.sort_by(|a, b| collation.compare(&site.term(*a).name, &site.term(*b).name));
        let glossary = terms
            .into_par_iter()
            .map(|i| {
                let term = site.term(i);
                let id = term_id(i);
                Entry {
                    html: self.markdown(DocId::Term(i), &format!("{id}-")).html,
                    id,
                    name: term.name.clone(),
                    original: term.original.as_ref().map(|o| o.value.clone()),
                    original_lang: term.original_lang.clone(),
                }
            })
            .collect();
        let bibliography = site
            .source_ids()
            .map(|i| {
                let s = site.source(i);
                Entry {
                    id: source_id(i),
                    name: s.title.clone(),
                    original: None,
                    original_lang: None,
                    html: s.html.clone(),
                }
            })
            .collect();
        Book {
            title: config.title.clone(),
            description: config.description.clone(),
            authors: config.authors.clone(),
            publisher: config.publisher.clone(),
            license: config.license.clone(),
            long_date: date.as_deref().map(|d| t.long_date(d)),
            date,
            intro,
            chapters,
            glossary,
            bibliography,
        }
    }

    /// An essay's anchor: `e` and its place in reading order.
    fn essay_id(&self, i: EssayId) -> String {
        let n = self.site.published_pos[i.0].unwrap_or(0) + 1;
        format!("e{n}")
    }

    /// The link to a part of the book (`file` in the EPUB) and an id in it.
    fn link(&self, file: &str, id: &str) -> String {
        match self.layout {
            Layout::Print => format!("#{id}"),
            Layout::Epub => format!("{file}.xhtml#{id}"),
        }
    }

    /// Where a cross-reference or citation leads inside the book.
    fn target_href(&self, target: Target, anchor: Option<&str>) -> String {
        match target {
            Target::Essay(i) => {
                let id = self.essay_id(i);
                match anchor {
                    Some(a) => self.link(&id, &format!("{id}-{a}")),
                    None => self.link(&id, &id),
                }
            }
            Target::Term(i) => self.link(GLOSSARY, &term_id(i)),
            Target::Source(i) => self.link(BIBLIOGRAPHY, &source_id(i)),
        }
    }

    /// A document's body for the book: ids under `prefix`, notes as endnotes (footnotes in
    /// the EPUB), every use linked inside the book, no hover cards.
    fn markdown(&self, doc: DocId, prefix: &str) -> markdown::Rendered {
        let site = self.site;
        let bib = &site.bib;
        let annotated = markdown::annotate(site.file(doc).body(), &|k| bib.contains(k));
        let links: Vec<UseLink<'_>> = site
            .resolved_uses(doc)
            .iter()
            .map(|r| match r {
                Resolved::Xref {
                    target,
                    anchor,
                    display,
                } => UseLink::Link {
                    href: self.target_href(*target, anchor.as_deref()),
                    class: match target {
                        Target::Term(_) => "xref xref-term",
                        _ => "xref xref-essay",
                    },
                    card: None,
                    display: display.as_deref(),
                },
                Resolved::Cite { source, text } => UseLink::Cite {
                    href: self.target_href(Target::Source(*source), None),
                    card: None,
                    html: text,
                },
                Resolved::Anchor { anchor, display } => UseLink::Link {
                    href: format!("#{prefix}{anchor}"),
                    class: "xref",
                    card: None,
                    display: display.as_deref(),
                },
                Resolved::File(a) => UseLink::Link {
                    href: site
                        .routes
                        .absolute(&site.config.site_url(), &Route::Asset(*a)),
                    class: "xref xref-file",
                    card: None,
                    display: None,
                },
                Resolved::Broken => UseLink::Broken,
            })
            .collect();
        let t = &site.translations;
        let words = |key: &str| t.str(key);
        // (Inline `#tags` show as text in the book: topics are pages of the site.)
        let labels = markdown::NoteLabels {
            heading: t.str("notes"),
            back: t.str("back_to_note"),
            paragraph_link: t.str("paragraph_link"),
            paragraph_number: t.str("paragraph_number"),
            words: Some(&words),
            tag_href: None,
        };
        let edition = Edition {
            id_prefix: prefix,
            notes: match self.layout {
                Layout::Print => NoteForm::Endnotes,
                Layout::Epub => NoteForm::Epub,
            },
            citations: site.citations.get(&doc).map(|c| &c.citations),
            bare: false,
        };
        // Links and images as the author wrote them: an essay or a heading of one leads
        // inside the book; anything else (a term page, an asset) to the published site.
        // Embeds show as links (PRODUCT.md §3 "Print edition and EPUB").
        let resolve = |kind, dest: &str| -> Option<markdown::LinkOut> {
            let site_url = |route: &Route, anchor: Option<&String>| {
                let mut href = site.routes.absolute(&site.config.site_url(), route);
                if let Some(a) = anchor {
                    href.push('#');
                    href.push_str(a);
                }
                href
            };
            // An EPUB may not load images from the web (epubcheck: remote resources must be
            // in the package), so there an image is a link to it: on the published site, or
            // its own URL.
            if self.layout == Layout::Epub && kind != markdown::LinkKind::Link {
                let target = site.link(doc, kind, dest);
                let image_href = match &target {
                    Some(LinkTarget::Route(route @ Route::Asset(_), anchor)) => {
                        Some(site_url(route, anchor.as_ref()))
                    }
                    None if crate::route::is_safe_link(dest) && dest.contains("://") => {
                        Some(dest.to_string())
                    }
                    _ => None,
                };
                if let Some(href) = image_href {
                    let name = dest.rsplit('/').next().unwrap_or(dest).to_string();
                    return Some(markdown::LinkOut::Embed {
                        html: String::new(),
                        href,
                        title: name,
                    });
                }
            }
            Some(match site.link(doc, kind, dest)? {
                LinkTarget::Route(Route::Essay(i), anchor) => {
                    markdown::LinkOut::Href(self.target_href(Target::Essay(*i), anchor.as_deref()))
                }
                LinkTarget::Route(route @ Route::Asset(a), anchor) => {
                    let href = site_url(route, anchor.as_ref());
                    if kind != markdown::LinkKind::Link
                        && crate::content::is_image(&site.asset(*a).rel)
                    {
                        markdown::LinkOut::Image {
                            src: href,
                            size: site.asset(*a).size,
                        }
                    } else {
                        markdown::LinkOut::Href(href)
                    }
                }
                LinkTarget::Route(route, anchor) => {
                    markdown::LinkOut::Href(site_url(route, anchor.as_ref()))
                }
                LinkTarget::Anchor(a) => markdown::LinkOut::Href(format!("#{prefix}{a}")),
                LinkTarget::Embed(target, section) => markdown::LinkOut::Embed {
                    html: String::new(),
                    href: match target {
                        DocId::Essay(i) => self.target_href(Target::Essay(*i), section.as_deref()),
                        other => site_url(&Site::doc_route(*other), section.as_ref()),
                    },
                    title: site.doc_title(*target),
                },
            })
        };
        markdown::render_edition(
            annotated.nodes,
            &links,
            &bib.cite_style,
            Blocks::None,
            &labels,
            &resolve,
            edition,
        )
    }
}

/// A glossary entry's anchor.
fn term_id(i: TermId) -> String {
    format!("t{}", i.0 + 1)
}

/// A bibliography entry's anchor.
fn source_id(i: SourceId) -> String {
    format!("s{}", i.0 + 1)
}
