//! The index stage: everything that needs the whole corpus. It owns the namespace of
//! essays and terms, the bibliography, the route table, and the one use-map of the site:
//! every cross-reference and citation recorded once (document, section, per-use anchor),
//! resolved to a typed target, and inverted into target → uses. Glossary pages, source
//! pages, "Linked from" and the unused-term / uncited-source warnings all read that one map.
//!
//! The index holds facts, not presentation: targets are typed ids, links are routes; HTML,
//! CSS classes and hrefs are made by the render stage.

pub mod bibliography;
mod format_cache;
pub mod links;
pub mod record;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Content, SourceFile};
use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
pub use crate::ids::{AssetId, DocId, EssayId, SourceId, TagId, Target, TermId, TextId};
use crate::markdown::{self, Scan, UseKind};
use crate::route::{Route, Routes, Segments};
use crate::timing::timing;
pub use bibliography::{Bibliography, DocCitations, Order, Source};
pub use format_cache::HighlightCache;
use format_cache::hash_of;
pub use links::{LinkKey, LinkTarget};

/// How one use of a document resolved: the index's fact, rendered by the render stage.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A cross-reference to an essay or a term, with a heading id of the target page;
    /// `display` replaces the label of an unpiped `[[slug]]` (the target's name).
    Xref {
        target: Target,
        anchor: Option<String>,
        display: Option<String>,
    },
    /// A cited work, with its in-text form as the citation processor formatted it (inline
    /// markup only: `<i>`, `<b>`, `<span>`; pandoc prefix and suffix included).
    Cite { source: SourceId, text: String },
    /// `[[#Heading]]`: a heading of the same page (its id); `display` replaces the label
    /// of an unpiped link (the heading's text).
    Anchor {
        anchor: String,
        display: Option<String>,
    },
    /// `[[paper.pdf]]`: a file published as it is.
    File(AssetId),
    /// Unresolved (already reported as an error): shown as its label.
    Broken,
}

impl Resolved {
    pub fn target(&self) -> Option<Target> {
        match self {
            Resolved::Xref { target, .. } => Some(*target),
            Resolved::Cite { source, .. } => Some(Target::Source(*source)),
            Resolved::Anchor { .. } | Resolved::File(_) | Resolved::Broken => None,
        }
    }
}

/// A cover image: its bytes and kind (checked by its first bytes, not its name).
#[derive(Debug, Clone)]
pub struct Cover {
    pub bytes: Vec<u8>,
    /// `png` or `jpg`: its file extension in the EPUB.
    pub extension: &'static str,
    pub media_type: &'static str,
}

impl Cover {
    /// The image in `bytes`, if it is a PNG or a JPEG.
    pub fn sniff(bytes: Vec<u8>) -> Option<Cover> {
        let (extension, media_type) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            ("png", "image/png")
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            ("jpg", "image/jpeg")
        } else {
            return None;
        };
        Some(Cover {
            bytes,
            extension,
            media_type,
        })
    }
}

/// One entry of the use-map: document `doc`'s use number `index` (anchor `use_{index}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UseRef {
    pub doc: DocId,
    pub index: usize,
}

/// A topic: the tag as first written, and the built essays that carry it, in reading order.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub essays: Vec<EssayId>,
}

/// Options that change what is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    pub drafts: bool,
}

/// The loaded, indexed site: input of the render stage.
pub struct Site {
    pub config: Config,
    /// The theme's text in the book's language (`i18n`), overrides applied.
    pub translations: crate::i18n::Translations,
    pub content: Content,
    pub bib: Arc<Bibliography>,
    pub options: BuildOptions,
    /// Every page's and file's href and output path.
    pub routes: Routes,
    /// Scan results, by document.
    pub home_scan: Option<Arc<Scan>>,
    pub essay_scans: Vec<Arc<Scan>>,
    pub term_scans: Vec<Arc<Scan>>,
    pub text_scans: Vec<Arc<Scan>>,
    /// The primary text of a source (`content/texts/`).
    pub text_of: HashMap<SourceId, TextId>,
    /// How each use resolved, by document and use number.
    pub resolved: HashMap<DocId, Vec<Resolved>>,
    /// Each document's links into the site (Markdown links and images, embeds), by how
    /// they are written.
    pub links: HashMap<DocId, HashMap<LinkKey, LinkTarget>>,
    /// Each document's citations and references as the style formatted them.
    pub citations: HashMap<DocId, Arc<DocCitations>>,
    /// The use-map, inverted: target → uses, in document then source order.
    pub uses_of: HashMap<Target, Vec<UseRef>>,
    /// Topics, by slug.
    pub tags: Vec<Tag>,
    pub essay_tags: EssayTags,
    /// Each term's related terms: its own `see-also`, then the terms whose `see-also` names it.
    pub see_also: Vec<Vec<TermId>>,
    /// Built essays in reading order, and each essay's position in that list.
    pub published: Vec<EssayId>,
    pub published_pos: Vec<Option<usize>>,
    /// Source → built essays whose `annotates` names it.
    pub annotated_by: HashMap<SourceId, Vec<EssayId>>,
    /// The EPUB's cover image from book.toml (read in the load stage), if any.
    pub cover: Option<Cover>,
}

impl Site {
    /// The URL path the site lives under (`/` or `/reader/`).
    pub fn base_path(&self) -> &str {
        self.routes.base()
    }

    /// Whether an essay is built (drafts only with `--drafts`).
    pub fn is_published(&self, essay: EssayId) -> bool {
        self.options.drafts || !self.essay(essay).draft
    }

    /// How many drafts this build leaves out (none with `--drafts`).
    pub fn drafts_left_out(&self) -> usize {
        if self.options.drafts {
            0
        } else {
            self.content.essays.iter().filter(|e| e.draft).count()
        }
    }

    pub fn published_essays(&self) -> impl Iterator<Item = EssayId> + '_ {
        self.published.iter().copied()
    }

    pub fn essay(&self, id: EssayId) -> &crate::content::Essay {
        &self.content.essays[id.0]
    }

    pub fn term(&self, id: TermId) -> &crate::content::Term {
        &self.content.terms[id.0]
    }

    pub fn source(&self, id: SourceId) -> &Source {
        &self.bib.sources[id.0]
    }

    pub fn text(&self, id: TextId) -> &crate::content::Text {
        &self.content.texts[id.0]
    }

    pub fn text_ids(&self) -> impl Iterator<Item = TextId> + use<> {
        (0..self.content.texts.len()).map(TextId)
    }

    /// The source a text is the text of (checked by the index: every built text has one).
    pub fn text_source(&self, id: TextId) -> Option<SourceId> {
        self.bib.index_of(&self.text(id).source.value).map(SourceId)
    }

    pub fn term_ids(&self) -> impl Iterator<Item = TermId> + use<> {
        (0..self.content.terms.len()).map(TermId)
    }

    pub fn source_ids(&self) -> impl Iterator<Item = SourceId> + use<> {
        (0..self.bib.len()).map(SourceId)
    }

    pub fn tag_ids(&self) -> impl Iterator<Item = TagId> + use<> {
        (0..self.tags.len()).map(TagId)
    }

    pub fn file(&self, doc: DocId) -> &SourceFile {
        match doc {
            DocId::Home => &self.content.home.as_ref().expect("home exists").file,
            DocId::Essay(i) => &self.essay(i).file,
            DocId::Term(i) => &self.term(i).file,
            DocId::Text(i) => &self.text(i).file,
        }
    }

    pub fn scan(&self, doc: DocId) -> &Scan {
        match doc {
            DocId::Home => self.home_scan.as_ref().expect("home scanned"),
            DocId::Essay(i) => &self.essay_scans[i.0],
            DocId::Term(i) => &self.term_scans[i.0],
            DocId::Text(i) => &self.text_scans[i.0],
        }
    }

    /// Every document that is built, in a stable order.
    pub fn built_docs(&self) -> Vec<DocId> {
        let mut docs = Vec::new();
        if self.content.home.is_some() {
            docs.push(DocId::Home);
        }
        docs.extend(self.published_essays().map(DocId::Essay));
        docs.extend(self.term_ids().map(DocId::Term));
        docs.extend(self.text_ids().map(DocId::Text));
        docs
    }

    /// The page of a document.
    pub fn doc_route(doc: DocId) -> Route {
        match doc {
            DocId::Home => Route::Home,
            DocId::Essay(i) => Route::Essay(i),
            DocId::Term(i) => Route::Term(i),
            DocId::Text(i) => Route::Text(i),
        }
    }

    /// The page of a use's target.
    pub fn target_route(target: Target) -> Route {
        match target {
            Target::Essay(i) => Route::Essay(i),
            Target::Term(i) => Route::Term(i),
            Target::Source(i) => Route::Source(i),
        }
    }

    pub fn href(&self, route: &Route) -> String {
        self.routes.href(route)
    }

    pub fn doc_title(&self, doc: DocId) -> String {
        match doc {
            DocId::Home => self
                .content
                .home
                .as_ref()
                .and_then(|h| h.title.clone())
                .unwrap_or_else(|| self.config.book.title.clone()),
            DocId::Essay(i) => self.essay(i).title.clone(),
            DocId::Term(i) => self.term(i).name.clone(),
            DocId::Text(i) => {
                let text = self.text(i);
                text.title.clone().unwrap_or_else(|| {
                    self.text_source(i)
                        .map_or_else(|| text.slug.clone(), |s| self.source(s).title.clone())
                })
            }
        }
    }

    /// The uses of a target in the use-map (document then source order).
    pub fn uses(&self, target: Target) -> &[UseRef] {
        self.uses_of.get(&target).map_or(&[], Vec::as_slice)
    }

    /// The resolved uses of a document, by use number.
    pub fn resolved_uses(&self, doc: DocId) -> &[Resolved] {
        self.resolved.get(&doc).map_or(&[], Vec::as_slice)
    }

    /// Where a document's link, image or embed leads, when it points inside the site.
    pub fn link(&self, doc: DocId, kind: markdown::LinkKind, dest: &str) -> Option<&LinkTarget> {
        self.links.get(&doc)?.get(&(kind, dest.to_string()))
    }

    pub fn asset(&self, id: AssetId) -> &crate::content::Asset {
        &self.content.assets[id.0]
    }

    /// The assets published (those whose path no page or other file takes).
    pub fn asset_ids(&self) -> impl Iterator<Item = AssetId> + '_ {
        (0..self.content.assets.len())
            .map(AssetId)
            .filter(|&i| self.routes.parse(&self.content.assets[i.0].rel) == Some(Route::Asset(i)))
    }
}

/// The tag slug: the tag's slug (ASCII), or for a tag of another script its own letters
/// (`网络` stays `网络`); `None` for a tag with no letter or digit.
pub fn tag_slug(tag: &str) -> Option<String> {
    let s = slug::slugify(tag);
    if s.is_empty() {
        crate::route::segment(tag.trim())
    } else {
        Some(s)
    }
}

/// What an unpiped `[[slug]]` shows: the target's name, in sentence case when the author
/// wrote the slug in lower case and the name is a common noun ("Cyber sovereignty" →
/// "cyber sovereignty"; "World Internet Conference" and "ICANN" stay as they are). `None`
/// keeps the text as written (it already is the name, in the author's case).
fn display_name(written: &str, name: &str) -> Option<String> {
    if written.eq_ignore_ascii_case(name) {
        return None;
    }
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or("");
    let common = first.chars().skip(1).all(|c| !c.is_uppercase())
        && words.all(|w| w.chars().all(|c| !c.is_uppercase()));
    if common && written.chars().next().is_some_and(char::is_lowercase) {
        let mut chars = name.chars();
        let head: String = chars
            .next()
            .map(|c| c.to_lowercase().collect())
            .unwrap_or_default();
        return Some(head + chars.as_str());
    }
    Some(name.to_string())
}

/// What an unpiped `[[folder/Name]]` or `[[Name#Heading]]` shows, as Obsidian shows it: the
/// file's name without its folders, and the heading's text (`Name › Heading`). `None` keeps
/// the text as written.
fn path_display(
    written: &str,
    title: &str,
    anchor: Option<&str>,
    headings: &[markdown::Heading],
) -> Option<String> {
    let mut name = written.rsplit('/').next().unwrap_or(written);
    // `[[lecture 2/index]]`: the folder's note, and Zettlr's `[[20200318120000]]`, by title.
    let zettel_id = name.len() == 14 && name.bytes().all(|b| b.is_ascii_digit());
    if name.eq_ignore_ascii_case("index") || name.eq_ignore_ascii_case("readme") || zettel_id {
        name = title;
    }
    let heading = anchor.and_then(|a| headings.iter().find(|h| h.id == a));
    match heading {
        Some(h) => Some(format!("{name} › {}", h.text)),
        None if name != written => Some(name.to_string()),
        None => None,
    }
}

/// The name a file left out for errors claims, from a wikilink's path: its file name, or for
/// a folder's `index` its folder (`[[week 1/index]]` → `week 1`).
fn broken_name(target: &str) -> &str {
    let mut parts = target.rsplit('/');
    let name = parts.next().unwrap_or(target);
    if name.eq_ignore_ascii_case("index") || name.eq_ignore_ascii_case("readme") {
        return parts.next().unwrap_or(name);
    }
    name
}

/// Scans kept between rebuilds (for `serve`), keyed by a document's body and the set of
/// bibliography keys (narrative `@key` depends on it). A scan is a pure function of those,
/// so a cached scan is exactly what a fresh one would be.
///
/// Keyed by the address of the file's text: `serve`'s cache of parsed files hands an
/// unchanged file the same shared text in every generation, so an unchanged address is an
/// unchanged body with no need to hash it (hashing 10,000 bodies was 6% of an edit's
/// rebuild). Each entry holds its text, so no other text can take that address while the
/// entry exists; only the entries of the latest build are kept.
#[derive(Default)]
pub struct ScanCache {
    scans: Mutex<ScanMap>,
}

type ScanMap = HashMap<(usize, usize, u64), (Arc<str>, Arc<Scan>)>;

/// Every document's scan: the home page's, the essays', the terms', the texts'.
type Scans = (
    Option<Arc<Scan>>,
    Vec<Arc<Scan>>,
    Vec<Arc<Scan>>,
    Vec<Arc<Scan>>,
);

/// Scan every document once, in parallel (or take it from the cache).
fn scan_all(content: &Content, bib: &Bibliography, cache: Option<&ScanCache>) -> Scans {
    let is_key = |k: &str| bib.contains(k);
    let keys_hash = hash_of(&(bib.keys().collect::<Vec<_>>(), &bib.locator_words));
    let fresh: Mutex<ScanMap> = Mutex::new(HashMap::new());
    let scan_doc = |file: &SourceFile| -> Arc<Scan> {
        let scan = |annotated: &markdown::Annotated<'_>| {
            Arc::new(markdown::scan(annotated, file.body(), true))
        };
        // Without a cache (a one-off build) there is nothing to look up or keep.
        let Some(cache) = cache else {
            return scan(&markdown::annotate_with(
                file.body(),
                &is_key,
                &bib.locator_words,
            ));
        };
        let key = (
            Arc::as_ptr(&file.text) as *const u8 as usize,
            file.body_offset,
            keys_hash,
        );
        let hit = cache
            .scans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map(|(_, scan)| scan.clone());
        let scan = hit.unwrap_or_else(|| {
            scan(&markdown::annotate_with(
                file.body(),
                &is_key,
                &bib.locator_words,
            ))
        });
        fresh
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (file.text.clone(), scan.clone()));
        scan
    };
    let home = content.home.as_ref().map(|h| scan_doc(&h.file));
    let essays = content
        .essays
        .par_iter()
        .map(|e| scan_doc(&e.file))
        .collect();
    let terms = content
        .terms
        .par_iter()
        .map(|t| scan_doc(&t.file))
        .collect();
    let texts = content
        .texts
        .par_iter()
        .map(|t| scan_doc(&t.file))
        .collect();
    if let Some(cache) = cache {
        *cache.scans.lock().unwrap_or_else(|e| e.into_inner()) =
            fresh.into_inner().unwrap_or_else(|e| e.into_inner());
    }
    (home, essays, terms, texts)
}

/// Build the index from loaded content. Problems go to `diagnostics`.
pub fn index(
    config: Config,
    translations: crate::i18n::Translations,
    content: Content,
    bib: Arc<Bibliography>,
    options: BuildOptions,
    diagnostics: &Diagnostics,
    cache: Option<&ScanCache>,
) -> Site {
    let scans_start = std::time::Instant::now();
    // Independent: the names (one thread) while the documents are scanned (the others).
    let (namespace, (home_scan, essay_scans, term_scans, text_scans)) = rayon::join(
        || Namespace::build(&content, diagnostics),
        || scan_all(&content, &bib, cache),
    );
    timing("namespace + scans", scans_start);

    let published: Vec<EssayId> = (0..content.essays.len())
        .map(EssayId)
        .filter(|&i| options.drafts || !content.essays[i.0].draft)
        .collect();
    let mut published_pos = vec![None; content.essays.len()];
    for (pos, i) in published.iter().enumerate() {
        published_pos[i.0] = Some(pos);
    }
    let t = std::time::Instant::now();
    let (tags, essay_tags) = topics(&content, &essay_scans, &published, diagnostics);
    timing("topics", t);
    let t = std::time::Instant::now();
    let mut routes = routes(&config, &content, &bib, &tags);
    timing("routes", t);
    let t = std::time::Instant::now();
    let routable = publish_assets(&mut routes, &content, diagnostics);
    timing("assets' routes", t);
    let mut site = Site {
        config,
        translations,
        content,
        bib,
        options,
        routes,
        home_scan,
        essay_scans,
        term_scans,
        text_scans,
        text_of: HashMap::new(),
        resolved: HashMap::new(),
        links: HashMap::new(),
        citations: HashMap::new(),
        uses_of: HashMap::new(),
        tags,
        essay_tags,
        see_also: Vec::new(),
        published,
        published_pos,
        annotated_by: HashMap::new(),
        cover: None,
    };

    // Every document is checked (drafts too), but only built ones enter the use-map.
    let mut all_docs: Vec<DocId> = Vec::new();
    if site.content.home.is_some() {
        all_docs.push(DocId::Home);
    }
    all_docs.extend((0..site.content.essays.len()).map(|i| DocId::Essay(EssayId(i))));
    all_docs.extend(site.term_ids().map(DocId::Term));
    all_docs.extend(site.text_ids().map(DocId::Text));
    site.text_of = texts_of_sources(&site, diagnostics);

    let t = std::time::Instant::now();
    // Independent: the map of files (one thread) while citations are formatted.
    let (citations, files) = rayon::join(
        || format_citations(&site, &all_docs),
        || links::Files::new(&site, &routable),
    );
    site.citations = citations;
    timing("format citations + files", t);
    let t = std::time::Instant::now();
    let resolved: Vec<(DocId, Vec<Resolved>, HashMap<LinkKey, LinkTarget>)> = all_docs
        .par_iter()
        .map(|&doc| {
            let uses = resolve_doc(&site, &namespace, &files, doc, diagnostics);
            let links = links::resolve(&site, &namespace, &files, doc, diagnostics);
            (doc, uses, links)
        })
        .collect();
    for (doc, uses, links) in resolved {
        site.resolved.insert(doc, uses);
        if !links.is_empty() {
            site.links.insert(doc, links);
        }
    }
    timing("resolve", t);
    let unchecked = namespace.unchecked_cites.load(Ordering::Relaxed);
    if unchecked > 0 {
        let mut note = Diagnostic::note(format!(
            "{unchecked} citation{} not checked: the bibliography did not load",
            if unchecked == 1 { " was" } else { "s were" }
        ))
        .hint("fix the bibliography error above; its citation keys are checked then");
        if let Some(at) = &site.bib.failed_at {
            note = note.at(at.clone());
        }
        diagnostics.push(note);
    }
    site.uses_of = invert(&site);
    for &i in &site.published {
        if let Some(k) = site
            .essay(i)
            .annotates
            .as_ref()
            .and_then(|a| site.bib.index_of(&a.value))
        {
            site.annotated_by.entry(SourceId(k)).or_default().push(i);
        }
    }
    timing("resolve + use-map", scans_start);
    let t = std::time::Instant::now();
    check_annotates(&site, diagnostics);
    site.see_also = see_also(&site.content, diagnostics);
    // Follow-on warnings: while errors stand, a term or source used only in a file left
    // out for them would be reported unused. They are checked once the errors are fixed.
    if diagnostics.error_count() == 0 {
        warn_unused(&site, diagnostics);
    }
    warn_refused_urls(&site, diagnostics);
    report_math_errors(&site, diagnostics);
    warn_near_miss_keys(&site, &all_docs, diagnostics);
    timing("checks", t);
    site
}

/// Invalid TeX in a formula: an error where the mistake is.
fn report_math_errors(site: &Site, diagnostics: &Diagnostics) {
    let mut docs: Vec<DocId> = Vec::new();
    if site.content.home.is_some() {
        docs.push(DocId::Home);
    }
    docs.extend((0..site.content.essays.len()).map(|i| DocId::Essay(EssayId(i))));
    docs.extend(site.term_ids().map(DocId::Term));
    docs.extend(site.text_ids().map(DocId::Text));
    for doc in docs {
        let file = site.file(doc);
        for error in &site.scan(doc).math_errors {
            diagnostics.push(
                Diagnostic::error(format!("invalid math: {}", error.message))
                    .at(file.location(file.body_offset + error.range.start, error.range.len()))
                    .hint("formulas are TeX between `$…$`, `$$…$$`, `\\(…\\)` or `\\[…\\]`; write a literal dollar sign as `\\$`"),
            );
        }
    }
}

/// Each source's text; a text must name a source, and a source has at most one text.
fn texts_of_sources(site: &Site, diagnostics: &Diagnostics) -> HashMap<SourceId, TextId> {
    let mut text_of: HashMap<SourceId, TextId> = HashMap::new();
    for i in site.text_ids() {
        let text = site.text(i);
        let Some(source) = site.text_source(i) else {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`source` names `{}`, which is not in the bibliography",
                    text.source.value
                ))
                .at(text.source.location.clone())
                .maybe_hint(
                    did_you_mean(&text.source.value, site.bib.keys()).or_else(|| {
                        Some("a text's `source` is the citation key of its work".into())
                    }),
                ),
            );
            continue;
        };
        if let Some(other) = text_of.get(&source) {
            diagnostics.push(
                Diagnostic::error(format!("a second text of `{}`", text.source.value))
                    .at(text.source.location.clone())
                    .hint(format!(
                        "{} is already its text; a source has one",
                        site.text(*other).file.path.display()
                    )),
            );
            continue;
        }
        text_of.insert(source, i);
    }
    text_of
}

/// The route table: a unique path segment for every essay, term, source and topic.
fn routes(config: &Config, content: &Content, bib: &Bibliography, tags: &[Tag]) -> Routes {
    let unique = |names: Vec<&str>, fallback: &'static str| -> Vec<String> {
        let mut segments = Segments::new(fallback);
        names.into_iter().map(|n| segments.claim(n)).collect()
    };
    // Citation keys are claimed in key order, so a key's segment does not depend on the
    // style's bibliography order.
    let mut by_key: Vec<(usize, &str)> = bib
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.key.as_str()))
        .collect();
    by_key.sort_by(|a, b| a.1.cmp(b.1));
    let mut segments = Segments::new("source");
    let mut sources = vec![String::new(); bib.sources.len()];
    for (i, key) in by_key {
        sources[i] = segments.claim(key);
    }
    Routes::new(
        config.base_path(),
        unique(
            content.essays.iter().map(|e| e.slug.as_str()).collect(),
            "essay",
        ),
        unique(
            content.terms.iter().map(|t| t.slug.as_str()).collect(),
            "term",
        ),
        sources,
        unique(
            tags.iter()
                .map(|t| tag_slug(&t.name).unwrap_or_default())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
            "topic",
        ),
        unique(
            content.texts.iter().map(|t| t.slug.as_str()).collect(),
            "text",
        ),
    )
    .with_book_title(&config.book.title)
}

/// Give each asset its route; a file whose path a page (or a file of `static/` and of the
/// content folder both) takes is an error. Returns which assets are published.
fn publish_assets(routes: &mut Routes, content: &Content, diagnostics: &Diagnostics) -> Vec<bool> {
    let paths: Vec<String> = content.assets.iter().map(|a| a.rel.clone()).collect();
    let taken = routes.set_assets(paths);
    let mut routable = vec![true; content.assets.len()];
    for i in taken {
        routable[i] = false;
        let asset = &content.assets[i];
        let other = content
            .assets
            .iter()
            .take(i)
            .find(|a| a.rel == asset.rel)
            .map(|a| a.display.display().to_string());
        let hint = match other {
            Some(other) => format!("`{other}` is published at the same path; rename or remove one"),
            None => "Scholion writes a page or file of its own there; rename the file or move it to another folder".to_string(),
        };
        diagnostics.push(
            Diagnostic::error(format!("this file cannot be published at `/{}`", asset.rel))
                .at(crate::diagnostics::Location::file(&asset.display))
                .hint(hint),
        );
    }
    routable
}

/// Format each document's citations, documents in parallel: each document's go through
/// one driver in reading order (see `Bibliography::format_document`).
fn format_citations(site: &Site, docs: &[DocId]) -> HashMap<DocId, Arc<DocCitations>> {
    docs.par_iter()
        .map(|&doc| {
            let scan = site.scan(doc);
            let citations: Vec<(markdown::CitationAt, Vec<markdown::CiteItem>)> = scan
                .citations
                .iter()
                .map(|c| {
                    let items = (c.first_use..c.first_use + c.len)
                        .filter_map(|i| match scan.uses.get(i).map(|u| &u.kind) {
                            Some(UseKind::Cite(item)) => Some(item.clone()),
                            _ => None,
                        })
                        .collect();
                    (c.clone(), items)
                })
                .collect();
            (doc, site.bib.format_document(&citations))
        })
        .collect()
}

/// The use-map: target → every use of it, from built documents, in document then source
/// order.
fn invert(site: &Site) -> HashMap<Target, Vec<UseRef>> {
    let mut uses_of: HashMap<Target, Vec<UseRef>> = HashMap::new();
    for doc in site.built_docs() {
        for (index, r) in site.resolved_uses(doc).iter().enumerate() {
            let Some(target) = r.target() else { continue };
            if target.doc() == Some(doc) && matches!(doc, DocId::Term(_)) {
                continue; // a term's definition mentioning itself is not a use
            }
            uses_of
                .entry(target)
                .or_default()
                .push(UseRef { doc, index });
        }
    }
    uses_of
}

fn resolve_doc(
    site: &Site,
    namespace: &Namespace,
    files: &links::Files,
    doc: DocId,
    diagnostics: &Diagnostics,
) -> Vec<Resolved> {
    let file = site.file(doc);
    let scan = site.scan(doc);
    let from_published = match doc {
        DocId::Essay(i) => !site.essay(i).draft,
        _ => true,
    };
    scan.uses
        .iter()
        .map(|u| {
            // Made only for an error: computing a position counts the lines before it, and
            // doing that for every use of a long document is quadratic.
            let location = || file.location(file.body_offset + u.offset, u.len);
            match &u.kind {
                UseKind::Xref {
                    target,
                    anchor,
                    piped,
                } => {
                    // `[[#Heading]]`: a heading of this page.
                    if target.is_empty()
                        && let Some(a) = anchor
                    {
                        let headings = &scan.headings;
                        return match links::find_anchor(headings, a) {
                            Some(id) => Resolved::Anchor {
                                anchor: id.to_string(),
                                display: (!piped).then(|| {
                                    headings
                                        .iter()
                                        .find(|h| h.id == id)
                                        .map_or_else(|| a.clone(), |h| h.text.clone())
                                }),
                            },
                            None => {
                                let ids: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
                                diagnostics.push(
                                    Diagnostic::error(format!("this page has no heading `{a}`"))
                                        .at(location())
                                        .maybe_hint(did_you_mean(a, ids.iter().copied()).or_else(|| {
                                            Some("`[[#…]]` names a heading of this page by its text or id".into())
                                        })),
                                );
                                Resolved::Broken
                            }
                        };
                    }
                    // `[[paper.pdf]]`: a file, found by name as Obsidian does.
                    if links::names_file(target) && namespace.lookup(files, target).is_empty() {
                        let dir = file.rel.rsplit_once('/').map_or("", |(d, _)| d);
                        match files.assets_named(site, target, dir).as_slice() {
                            [one] => return Resolved::File(*one),
                            [] => {
                                let names: Vec<&str> = site
                                    .content
                                    .assets
                                    .iter()
                                    .filter(|a| !a.from_static)
                                    .map(|a| a.rel.as_str())
                                    .collect();
                                let wanted = target.rsplit('/').next().unwrap_or(target);
                                let hint = crate::diagnostics::closest(
                                    wanted,
                                    names.iter().map(|n| n.rsplit('/').next().unwrap_or(n)),
                                )
                                .and_then(|c| names.iter().find(|n| n.ends_with(c)))
                                .map_or_else(
                                    || "put the file under the content folder; it is found by its name".to_string(),
                                    |p| format!("did you mean `{p}`?"),
                                );
                                diagnostics.push(
                                    Diagnostic::error(format!("no file named `{target}`"))
                                        .at(location())
                                        .hint(hint),
                                );
                                return Resolved::Broken;
                            }
                            many => {
                                let paths: Vec<String> = many
                                    .iter()
                                    .map(|a| format!("`{}`", site.asset(*a).display.display()))
                                    .collect();
                                diagnostics.push(
                                    Diagnostic::error(format!("ambiguous link `{target}`"))
                                        .at(location())
                                        .hint(format!(
                                            "it names {}; write the path to choose one, e.g. `[[{}]]`",
                                            paths.join(" and "),
                                            site.asset(many[0]).rel
                                        )),
                                );
                                return Resolved::Broken;
                            }
                        }
                    }
                    let Some((t, by_slug)) =
                        namespace.resolve(site, files, target, &location, diagnostics)
                    else {
                        return Resolved::Broken;
                    };
                    if let Target::Essay(i) = t
                        && site.essay(i).draft
                        && !site.options.drafts
                        && from_published
                    {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "this links to the draft essay `{}`, which is not built",
                                site.essay(i).slug
                            ))
                            .at(location())
                            .hint("publish the draft (remove `draft: true`), remove the link, or build with `--drafts`"),
                        );
                    }
                    let anchor = anchor.as_ref().filter(|a| !a.is_empty());
                    let anchor = match anchor {
                        Some(a) => check_anchor(site, t, target, a, &location, diagnostics),
                        None => None,
                    };
                    let title = match t {
                        Target::Essay(i) => &site.essay(i).title,
                        Target::Term(i) => &site.term(i).name,
                        Target::Source(_) => unreachable!("cross-references never name sources"),
                    };
                    let display = if *piped {
                        None
                    } else if by_slug {
                        // `[[two#Part]]` written as the name: `Two › Part`, not the raw text.
                        display_name(target, title).or_else(|| {
                            let d = t.doc()?;
                            anchor.as_deref().and_then(|_| {
                                path_display(title, title, anchor.as_deref(), &site.scan(d).headings)
                            })
                        })
                    } else {
                        t.doc().and_then(|d| {
                            path_display(target, title, anchor.as_deref(), &site.scan(d).headings)
                        })
                    };
                    Resolved::Xref {
                        target: t,
                        anchor,
                        display,
                    }
                }
                UseKind::Cite(item) => match site.bib.index_of(&item.key) {
                    Some(i) => {
                        let text = site
                            .citations
                            .get(&doc)
                            .and_then(|c| c.items.get(&item.use_index))
                            .cloned()
                            .unwrap_or_else(|| markdown::escape(&item.key));
                        Resolved::Cite {
                            source: SourceId(i),
                            text,
                        }
                    }
                    // The bibliography did not load: its error says so once, and a note
                    // counts the citations it leaves unchecked (no error for each).
                    None if !site.bib.failed_files.is_empty() => {
                        namespace.unchecked_cites.fetch_add(1, Ordering::Relaxed);
                        Resolved::Broken
                    }
                    None => {
                        diagnostics.push(
                            Diagnostic::error(format!("unknown citation key `{}`", item.key))
                                .at(location())
                                .maybe_hint(unknown_key_hint(site, &item.key)),
                        );
                        Resolved::Broken
                    }
                },
            }
        })
        .collect()
}

/// An anchor of a cross-reference must name a heading of the target page, by its id or
/// its text (`[[page#Heading Text]]`): the heading's id, or `None` (reported).
fn check_anchor(
    site: &Site,
    t: Target,
    target: &str,
    anchor: &str,
    location: &dyn Fn() -> crate::diagnostics::Location,
    diagnostics: &Diagnostics,
) -> Option<String> {
    let doc = t.doc()?;
    let headings = &site.scan(doc).headings;
    if let Some(id) = links::find_anchor(headings, anchor) {
        return Some(id.to_string());
    }
    let ids: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
    diagnostics.push(
        Diagnostic::error(format!(
            "`{target}` has no heading with the anchor `#{anchor}`"
        ))
        .at(location())
        .hint(
            did_you_mean(anchor, ids.iter().copied()).unwrap_or_else(|| {
                if ids.is_empty() {
                    "that page has no headings".to_string()
                } else {
                    format!("its anchors are: {}", ids.join(", "))
                }
            }),
        ),
    );
    None
}

fn unknown_key_hint(site: &Site, key: &str) -> Option<String> {
    did_you_mean(key, site.bib.keys()).or_else(|| {
        Some(if let Some(file) = site.bib.failed_files.first() {
            format!(
                "the bibliography could not be loaded: fix the errors in `{}` first",
                file.display()
            )
        } else if let Some(file) = site.bib.loaded_files.first().filter(|_| site.bib.is_empty()) {
            format!(
                "the bibliography `{}` has no entries: add one for `{key}`",
                file.display()
            )
        } else if site.bib.is_empty() {
            "there is no bibliography: add `content/references.bib` or set `bibliography` in book.toml".to_string()
        } else {
            "add the entry to the bibliography, or check the key's spelling".to_string()
        })
    })
}

/// `annotates:` must name a source.
fn check_annotates(site: &Site, diagnostics: &Diagnostics) {
    for essay in &site.content.essays {
        if let Some(a) = &essay.annotates
            && !site.bib.contains(&a.value)
        {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`annotates` names `{}`, which is not in the bibliography",
                    a.value
                ))
                .at(a.location.clone())
                .maybe_hint(
                    did_you_mean(&a.value, site.bib.keys())
                        .or_else(|| Some("use a citation key from the bibliography".into())),
                ),
            );
        }
    }
}

/// Each term's related terms: its own `see-also` (which must name terms), then the terms
/// whose `see-also` names it.
fn see_also(content: &Content, diagnostics: &Diagnostics) -> Vec<Vec<TermId>> {
    let slugs: HashMap<&str, TermId> = content
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), TermId(i)))
        .collect();
    let mut own: Vec<Vec<TermId>> = vec![Vec::new(); content.terms.len()];
    let mut from: Vec<Vec<TermId>> = vec![Vec::new(); content.terms.len()];
    for (i, term) in content.terms.iter().enumerate() {
        for s in &term.see_also {
            match slugs.get(s.value.as_str()) {
                Some(&j) => {
                    own[i].push(j);
                    if j.0 != i {
                        from[j.0].push(TermId(i));
                    }
                }
                None => diagnostics.push(
                    Diagnostic::error(format!(
                        "`see-also` names `{}`, which is not a glossary term",
                        s.value
                    ))
                    .at(s.location.clone())
                    .maybe_hint(
                        did_you_mean(&s.value, slugs.keys().copied()).or_else(|| {
                            Some(
                                "`see-also` lists glossary slugs (file names without `.md`)".into(),
                            )
                        }),
                    ),
                ),
            }
        }
    }
    own.into_iter()
        .zip(from)
        .enumerate()
        .map(|(i, (mut list, from))| {
            for j in from {
                if !list.contains(&j) {
                    list.push(j);
                }
            }
            list.retain(|j| j.0 != i);
            list
        })
        .collect()
}

/// Each built essay's topics, as written there.
pub type EssayTags = HashMap<EssayId, Vec<(TagId, String)>>;

/// Topics of the built essays, by slug; a tag with no letter or digit is an error.
fn topics(
    content: &Content,
    scans: &[Arc<Scan>],
    published: &[EssayId],
    diagnostics: &Diagnostics,
) -> (Vec<Tag>, EssayTags) {
    let mut by_slug: BTreeMap<String, Tag> = BTreeMap::new();
    // The same few tags recur in thousands of essays: each is slugged once.
    let mut slugged: HashMap<String, Option<String>> = HashMap::new();
    let mut slug_of = |tag: &str| -> Option<String> {
        if let Some(known) = slugged.get(tag) {
            return known.clone();
        }
        let slug = tag_slug(tag);
        slugged.insert(tag.to_string(), slug.clone());
        slug
    };
    let mut written: Vec<(EssayId, Vec<(String, String)>)> = Vec::new();
    for &i in published {
        let essay = &content.essays[i.0];
        let mut slugs: Vec<(String, String)> = Vec::new();
        for tag in &essay.tags {
            let Some(slug) = slug_of(tag) else {
                let file = &essay.file;
                let at = file.text[..file.body_offset]
                    .find(tag.as_str())
                    .filter(|_| !tag.is_empty())
                    .map_or_else(|| file.location(0, 3), |o| file.location(o, tag.len()));
                diagnostics.push(
                    Diagnostic::error(format!("the tag `{tag}` has no letter or digit"))
                        .at(at)
                        .hint(
                            "a tag names a topic: write it with words, e.g. `internet governance`",
                        ),
                );
                continue;
            };
            let entry = by_slug.entry(slug.clone()).or_insert_with(|| Tag {
                name: tag.clone(),
                essays: Vec::new(),
            });
            // Essays are taken one at a time: `i` can only be the last one pushed
            // (`contains` over a topic of thousands of essays was quadratic).
            if entry.essays.last() != Some(&i) {
                entry.essays.push(i);
            }
            slugs.push((slug, tag.clone()));
        }
        // Inline `#tags` in the text join the front matter's, after them (a tag has letters or digits,
        // so it always has a slug).
        let inline = scans.get(i.0).map_or(&[][..], |s| s.tags.as_slice());
        let mut seen: HashSet<String> = slugs.iter().map(|(s, _)| s.clone()).collect();
        for (tag, _) in inline {
            let Some(slug) = slug_of(tag) else { continue };
            if !seen.insert(slug.clone()) {
                continue;
            }
            let entry = by_slug.entry(slug.clone()).or_insert_with(|| Tag {
                name: tag.clone(),
                essays: Vec::new(),
            });
            // Essays are taken one at a time: `i` can only be the last one pushed
            // (`contains` over a topic of thousands of essays was quadratic).
            if entry.essays.last() != Some(&i) {
                entry.essays.push(i);
            }
            slugs.push((slug, tag.clone()));
        }
        written.push((i, slugs));
    }
    let ids: HashMap<&str, TagId> = by_slug
        .keys()
        .enumerate()
        .map(|(n, slug)| (slug.as_str(), TagId(n)))
        .collect();
    let essay_tags = written
        .iter()
        .map(|(i, slugs)| {
            let tags = slugs
                .iter()
                .map(|(slug, name)| (ids[slug.as_str()], name.clone()))
                .collect();
            (*i, tags)
        })
        .collect();
    let tags = by_slug.into_values().collect();
    (tags, essay_tags)
}

/// Links the URL policy refuses (only `http`, `https`, `mailto` and relative URLs become
/// links): shown as text, each reported where it is written.
/// A narrative `@word` that is no key but close to one (`@jakson2001`, with `jackson2001`
/// in the bibliography) is printed as written: a warning says so, with the key it may mean.
fn warn_near_miss_keys(site: &Site, docs: &[DocId], diagnostics: &Diagnostics) {
    for &doc in docs {
        let file = site.file(doc);
        // Each word once, and at most 50 per document: comparing with every key costs
        // (a document of a million `@x1` must stay linear).
        let mut seen: HashSet<&str> = HashSet::new();
        for (offset, word) in &site.scan(doc).unknown_keys {
            if !seen.insert(word.as_str()) {
                continue;
            }
            if seen.len() > 50 {
                break;
            }
            if let Some(hint) = did_you_mean(word, site.bib.keys()) {
                diagnostics.push(
                    Diagnostic::warning(format!(
                        "`@{word}` is not a citation: the bibliography has no key `{word}`"
                    ))
                    .at(file.location(file.body_offset + offset, word.len() + 1))
                    .hint(hint),
                );
            }
        }
    }
}

fn warn_refused_urls(site: &Site, diagnostics: &Diagnostics) {
    let hint =
        "only http, https, mailto and relative links are published as links; it is shown as text";
    for doc in site.built_docs() {
        let file = site.file(doc);
        for (offset, len, url) in &site.scan(doc).unsafe_links {
            diagnostics.push(
                Diagnostic::warning(format!("the link `{url}` is not published as a link"))
                    .at(file.location(file.body_offset + offset, *len))
                    .hint(hint),
            );
        }
    }
    for i in site.source_ids() {
        let source = site.source(i);
        if let Some(url) = &source.refused_url {
            diagnostics.push(
                Diagnostic::warning(format!(
                    "the `url` of `{}` is not published as a link: `{url}`",
                    source.key
                ))
                .at(source.location.clone())
                .hint(hint),
            );
        }
    }
}

fn warn_unused(site: &Site, diagnostics: &Diagnostics) {
    for i in site.term_ids() {
        let term = site.term(i);
        if !site.uses_of.contains_key(&Target::Term(i)) {
            diagnostics.push(
                Diagnostic::warning(format!("the glossary term `{}` is never used", term.name))
                    .at(term.name_location.clone())
                    .hint(format!(
                        "link to it from an essay with `[[{}]]`, or remove it",
                        term.slug
                    )),
            );
        }
    }
    let annotated: HashSet<&str> = site
        .published_essays()
        .filter_map(|i| site.essay(i).annotates.as_ref().map(|a| a.value.as_str()))
        .collect();
    for i in site.source_ids() {
        let source = site.source(i);
        if !site.uses_of.contains_key(&Target::Source(i))
            && !annotated.contains(source.key.as_str())
        {
            diagnostics.push(
                Diagnostic::warning(format!("the source `{}` is never cited", source.key))
                    .at(source.location.clone())
                    .hint(format!(
                        "cite it with `[@{}]`, or remove it from the bibliography",
                        source.key
                    )),
            );
        }
    }
}

/// The one namespace of essays and terms.
struct Namespace {
    /// Slug → target (essays and terms).
    slugs: HashMap<String, Vec<Target>>,
    /// Lowercased term name or alias → terms.
    names: HashMap<String, Vec<Target>>,
    /// Slugs of essays and terms left out for errors (`Content::broken`): a link to one is
    /// not an unknown target, the file's own error stands for it.
    broken: HashSet<String>,
    /// Citations left unresolved because the bibliography did not load.
    unchecked_cites: AtomicUsize,
}

/// A name a term or essay claims besides its slug: the name's key, where it is written, and
/// what it is (`alias`, `original name` …).
type OwnName<'a> = (String, crate::diagnostics::Location, &'a str);

impl Namespace {
    fn build(content: &Content, diagnostics: &Diagnostics) -> Namespace {
        let mut slugs: HashMap<String, Vec<Target>> = HashMap::new();
        let mut names: HashMap<String, Vec<Target>> = HashMap::new();
        let mut owner: HashMap<String, Target> = HashMap::new();
        let describe = |t: Target| match t {
            Target::Essay(i) => format!("the essay {}", content.essays[i.0].file.path.display()),
            Target::Term(i) => format!("the term {}", content.terms[i.0].file.path.display()),
            Target::Source(_) => String::new(),
        };
        // Essays first, then terms: the second file to claim a slug gets the error.
        let essays = content
            .essays
            .iter()
            .enumerate()
            .map(|(i, e)| (Target::Essay(EssayId(i)), &e.slug, &e.file));
        let terms = content
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (Target::Term(TermId(i)), &t.slug, &t.file));
        for (t, slug, file) in essays.chain(terms) {
            if let Some(other) = owner.get(slug) {
                let (message, hint) = match t {
                    Target::Essay(_) => (
                        format!("duplicate slug `{slug}`"),
                        "rename a file or set `slug:`",
                    ),
                    _ => (
                        format!(
                            "duplicate id `{slug}`: essays and glossary terms share one namespace"
                        ),
                        "rename one of the files",
                    ),
                };
                diagnostics.push(
                    Diagnostic::error(message)
                        .at(file.location(0, 3))
                        .hint(format!("{} already uses it; {hint}", describe(*other))),
                );
            } else {
                owner.insert(slug.clone(), t);
            }
            slugs.entry(slug.clone()).or_default().push(t);
        }
        // Each term's and essay's own names (its slug aside), terms first: the second
        // target to claim a name gets the error.
        let mut claims: Vec<(Target, &String, Vec<OwnName<'_>>)> = Vec::new();
        for (i, term) in content.terms.iter().enumerate() {
            let t = Target::Term(TermId(i));
            let mut own: Vec<OwnName<'_>> = vec![(
                crate::content::names::name_key(&term.name),
                term.name_location.clone(),
                "name",
            )];
            for a in &term.aliases {
                own.push((
                    crate::content::names::name_key(&a.value),
                    a.location.clone(),
                    "alias",
                ));
            }
            if let Some(o) = &term.original {
                own.push((
                    crate::content::names::name_key(&o.value),
                    o.location.clone(),
                    "original name",
                ));
            }
            if let Some(t) = &term.transliteration {
                let at = term
                    .original
                    .as_ref()
                    .map_or(&term.name_location, |o| &o.location);
                own.push((
                    crate::content::names::name_key(t),
                    at.clone(),
                    "transliteration",
                ));
            }
            claims.push((t, &term.slug, own));
        }
        // Essays' aliases (Obsidian's `aliases:`), after the terms' names.
        for (i, essay) in content.essays.iter().enumerate() {
            let own = essay
                .aliases
                .iter()
                .map(|a| {
                    (
                        crate::content::names::name_key(&a.value),
                        a.location.clone(),
                        "alias",
                    )
                })
                .collect();
            claims.push((Target::Essay(EssayId(i)), &essay.slug, own));
        }
        for (t, slug, own) in claims {
            let mut mine: HashSet<String> = HashSet::new();
            mine.insert(slug.clone());
            for (name, location, what) in own {
                if !mine.insert(name.clone()) {
                    continue; // a name equal to its own target's name or slug is harmless
                }
                if let Some(other) = owner.get(&name).filter(|o| **o != t) {
                    diagnostics.push(
                        Diagnostic::error(format!("the {what} `{name}` is already taken"))
                            .at(location)
                            .hint(format!(
                                "{} has the same slug, name or alias; names must be unique",
                                describe(*other)
                            )),
                    );
                    continue;
                }
                owner.insert(name.clone(), t);
                names.entry(name).or_default().push(t);
            }
        }
        let broken = content.broken.iter().cloned().collect();
        Namespace {
            slugs,
            names,
            broken,
            unchecked_cites: AtomicUsize::new(0),
        }
    }

    /// Candidates for a target, each with whether it matched by slug. The order (the
    /// first rule that matches decides): a slug as written; a term's name, alias, original
    /// name or transliteration, or an essay's alias (any case); a file name without `.md`
    /// (any case), or a path ending in one (`folder/Name`); a slug in other capitals.
    fn lookup(&self, files: &links::Files, target: &str) -> Vec<(Target, bool)> {
        if let Some(ts) = self.slugs.get(target) {
            return ts.iter().map(|t| (*t, true)).collect();
        }
        // Names and aliases match case-insensitively; so does a slug written in capitals,
        // but only an exact slug shows the target's name instead of the written text.
        let lower = crate::content::names::name_key(target);
        if let Some(ts) = self.names.get(&lower) {
            return ts.iter().map(|t| (*t, false)).collect();
        }
        let by_file = links::by_file(files, target);
        if !by_file.is_empty() {
            return by_file.into_iter().map(|t| (t, false)).collect();
        }
        self.slugs
            .get(&lower)
            .map(|ts| ts.iter().map(|t| (*t, false)).collect())
            .unwrap_or_default()
    }

    fn suggest(&self, site: &Site, target: &str) -> Option<String> {
        let mut all: Vec<&str> = self.slugs.keys().map(String::as_str).collect();
        all.extend(self.names.keys().map(String::as_str));
        let stems: Vec<&str> = site
            .content
            .essays
            .iter()
            .map(|e| &e.file.rel)
            .chain(site.content.terms.iter().map(|t| &t.file.rel))
            .filter_map(|rel| rel.rsplit('/').next()?.strip_suffix(".md"))
            .collect();
        all.extend(stems);
        all.sort_unstable();
        all.dedup();
        did_you_mean(target, all)
    }

    fn describe(&self, site: &Site, t: Target) -> String {
        match t {
            Target::Essay(i) => format!("the essay `{}`", site.essay(i).file.path.display()),
            Target::Term(i) => format!("the term `{}`", site.term(i).file.path.display()),
            Target::Source(i) => format!("the source `{}`", site.source(i).key),
        }
    }

    /// Whether `target` names an essay or term left out for errors (`Content::broken`), by
    /// its slug or file name as a link may write it: any case, with or without a folder
    /// (`[[notes/My Essay]]`) or `.md`. Such a link is not reported again.
    fn names_broken(&self, target: &str) -> bool {
        let target = target.strip_suffix(".md").unwrap_or(target);
        // (A folder's index.md is named after its folder: `week 1/index` → `week 1`.)
        let name = broken_name(target);
        [target, name].iter().any(|t| {
            self.broken.contains(*t)
                || self.broken.contains(&t.to_lowercase())
                || self.broken.contains(&slug::slugify(t))
        })
    }

    /// The one target `target` names, with whether it matched by slug; an unknown or
    /// ambiguous target is reported.
    fn resolve(
        &self,
        site: &Site,
        files: &links::Files,
        target: &str,
        location: &dyn Fn() -> crate::diagnostics::Location,
        diagnostics: &Diagnostics,
    ) -> Option<(Target, bool)> {
        match self.lookup(files, target).as_slice() {
            [] if self.names_broken(target) => None,
            [] => {
                diagnostics.push(
                    Diagnostic::error(format!("unknown cross-reference target `{target}`"))
                        .at(location())
                        .maybe_hint(self.suggest(site, target).or_else(|| {
                            Some("a target is an essay or glossary slug, a file name, or a term's or essay's name or alias".into())
                        })),
                );
                None
            }
            [one] => Some(*one),
            many => {
                let names: Vec<String> =
                    many.iter().map(|(t, _)| self.describe(site, *t)).collect();
                diagnostics.push(
                    Diagnostic::error(format!("ambiguous cross-reference target `{target}`"))
                        .at(location())
                        .hint(format!(
                            "it names {}; use a slug or the file's path (`[[folder/{}]]`) to choose one",
                            names.join(" and "),
                            target.rsplit('/').next().unwrap_or(target)
                        )),
                );
                None
            }
        }
    }
}
