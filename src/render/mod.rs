//! The render stage: one page at a time, in parallel, from the index. Pure: it reads the
//! `Site` (typed facts and the route table) and hands `(path, bytes)` to its caller; it never
//! touches the disk. A renderer is anything that implements [`Renderer`]: this module's
//! [`HtmlRenderer`] makes the website through the theme's Tera templates; a second output
//! (print, EPUB, JSON) is another implementation reading the same `Site`. The view structs
//! below are the only `Serialize` types of the crate.

pub mod book;
pub mod cite;
pub mod epub;
pub mod filters;
pub mod preview;
pub mod search;
pub mod theme;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::diagnostics::Diagnostic;
use crate::index::record::{Kind, Name, Record, RecordDate};
use crate::index::{
    DocId, EssayId, LinkTarget, Resolved, Site, SourceId, TagId, Target, TermId, TextId, UseRef,
};
use crate::markdown::{self, Card, UseLink, escape};
use crate::route::{CiteFormat, Route};
pub use theme::Theme;

/// How many chapters of the print edition and the EPUB are rendered at once (in parallel),
/// then written in order: the memory the editions hold is a batch's, not the book's.
pub const BOOK_BATCH: usize = 64;

/// One output file: its path under the output folder (`essays/x/index.html`) and bytes.
pub type Page = (String, Vec<u8>);

/// Where a renderer hands its files (called from many threads): whole (`emit`), or, for a
/// file too large to hold (the print edition, the EPUB), written as it is made (`stream`).
pub trait Emitter: Sync {
    fn emit(&self, page: Page);

    /// Write the file at `path` through `make`. An error `make` returns (its own, or the
    /// writer's) cancels the file; a writer's failure is reported by the emitter itself.
    /// By default the bytes are collected and emitted whole (`serve` keeps pages in memory).
    fn stream(&self, path: String, make: &mut Make<'_>) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        make(&mut bytes)?;
        self.emit((path, bytes));
        Ok(())
    }
}

/// What writes a streamed file.
pub type Make<'m> = dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()> + 'm;

impl<F: Fn(Page) + Sync> Emitter for F {
    fn emit(&self, page: Page) {
        self(page)
    }
}

/// Where a renderer hands its files.
pub type Emit<'e> = dyn Emitter + 'e;

/// An output format made from the indexed site: the routes it makes, and each route's files.
/// `render_site` runs every route in parallel; `serve` renders the route a request asks for.
pub trait Renderer: Sync {
    /// Every route this renderer makes, in a stable order. A route whose files are made by
    /// another route's job (`Route::job`) is not listed.
    fn routes(&self) -> Vec<Route>;
    /// Make the files of `route` (a job route) and hand them to `emit`.
    fn render(&self, route: &Route, emit: &Emit) -> Result<(), Diagnostic>;
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    authors: &'a [String],
    language: &'a str,
    /// `ltr`, or `rtl` for a right-to-left language.
    dir: &'static str,
    base: String,
    url: String,
    generator: &'static str,
    has_glossary: bool,
    has_sources: bool,
    has_tags: bool,
    has_guide: bool,
    /// The print edition and the EPUB are written (`[build] editions`).
    has_editions: bool,
    /// The hrefs of the site's fixed pages and files, from the route table.
    urls: SiteUrls,
}

/// The site-wide links templates use (`site.urls.glossary` …).
#[derive(Serialize)]
struct SiteUrls {
    home: String,
    glossary: String,
    citations: String,
    tags: String,
    guide: String,
    print: String,
    epub: String,
    search: String,
    feed: String,
    style: String,
    script: String,
    search_js: String,
}

#[derive(Serialize, Clone)]
struct LinkView {
    title: String,
    url: String,
}

#[derive(Serialize)]
struct TagView {
    name: String,
    url: String,
    count: usize,
}

#[derive(Serialize)]
struct EssayCard {
    title: String,
    subtitle: Option<String>,
    url: String,
    abs_url: String,
    summary: String,
    date: Option<String>,
    authors: Vec<String>,
    minutes: usize,
    tags: Vec<TagView>,
    draft: bool,
}

/// An essay's link-preview image (`og:image`).
#[derive(Serialize)]
struct PreviewView {
    url: String,
    width: usize,
    height: usize,
    alt: String,
}

#[derive(Serialize)]
struct CardView {
    id: String,
    kind: &'static str,
    title: String,
    html: String,
    url: String,
}

/// A use with its sentence, borrowing the sentence from the scan (term and source pages list
/// 120,000 of them at 10,000 essays).
#[derive(Serialize)]
struct UseView<'a> {
    href: String,
    section: Option<&'a str>,
    before: std::borrow::Cow<'a, str>,
    label: &'a str,
    label_html: std::borrow::Cow<'a, str>,
    after: std::borrow::Cow<'a, str>,
    locator: Option<String>,
}

/// The uses of one document, each with its sentence.
#[derive(Serialize)]
struct UsesByDoc<'a> {
    title: String,
    url: String,
    kind: &'static str,
    uses: Vec<UseView<'a>>,
}

#[derive(Serialize)]
struct TermRow<'a> {
    name: String,
    slug: String,
    url: String,
    short: String,
    /// Whether `short` is the term's own (its `short:`), not its first paragraph: the term
    /// page shows it above the body only then, or the paragraph would appear twice.
    short_given: bool,
    aliases: Vec<String>,
    original: Option<OriginalView<'a>>,
    count: usize,
    uses: Vec<UsesByDoc<'a>>,
}

/// A term's name in its own language: the text, its language tag, a transliteration.
#[derive(Serialize)]
struct OriginalView<'a> {
    text: &'a str,
    lang: Option<&'a str>,
    transliteration: Option<&'a str>,
}

fn original_view(term: &crate::content::Term) -> Option<OriginalView<'_>> {
    term.original.as_ref().map(|o| OriginalView {
        text: &o.value,
        lang: term.original_lang.as_deref(),
        transliteration: term.transliteration.as_deref(),
    })
}

/// A term on the glossary index: its row, and every use as a bare link.
#[derive(Serialize)]
struct IndexRow<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
    short: String,
    aliases: Vec<&'a str>,
    original: Option<OriginalView<'a>>,
    count: usize,
    uses: IndexUses<'a>,
}

/// The uses of a term on the glossary index, serialized straight from the use-map. At
/// 10,000 essays the index lists 80,000 uses: as a tree of view structs (one per document
/// and use, each string owned) it was 115 MB and 0.7 s, the largest single page. Here each
/// use is a `{href, title, section}` map whose `title` is a shared value of its document's
/// title, and whose `href` is written into one reused buffer.
struct IndexUses<'a> {
    renderer: &'a HtmlRenderer<'a>,
    term: TermId,
    titles: &'a DocTitles,
}

/// Every document's title as a template value, made once per glossary index (a clone is a
/// reference count, not a copy).
struct DocTitles {
    home: tera::Value,
    essays: Vec<tera::Value>,
    terms: Vec<tera::Value>,
    texts: Vec<tera::Value>,
}

#[derive(Serialize)]
struct IndexUse<'a> {
    href: &'a str,
    title: tera::Value,
    section: Option<&'a str>,
}

impl Serialize for IndexUses<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        use std::fmt::Write as _;
        let site = self.renderer.site;
        let uses = site.uses(Target::Term(self.term));
        let mut seq = serializer.serialize_seq(Some(uses.len()))?;
        let mut href = String::new();
        let mut doc_url: Option<(DocId, String)> = None;
        for u in uses {
            if doc_url.as_ref().is_none_or(|(d, _)| *d != u.doc) {
                doc_url = Some((u.doc, site.href(&Site::doc_route(u.doc))));
            }
            href.clear();
            let url = doc_url.as_ref().map_or("", |(_, url)| url.as_str());
            let _ = write!(href, "{url}#use_{}", u.index);
            let scan = site.scan(u.doc);
            let title = match u.doc {
                DocId::Home => &self.titles.home,
                DocId::Essay(i) => &self.titles.essays[i.0],
                DocId::Term(i) => &self.titles.terms[i.0],
                DocId::Text(i) => &self.titles.texts[i.0],
            };
            seq.serialize_element(&IndexUse {
                href: &href,
                title: title.clone(),
                section: scan.uses[u.index]
                    .section
                    .map(|s| scan.headings[s].text.as_str()),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct LetterGroup<'a> {
    letter: String,
    /// Its heading's id (`letter-1` …: a letter of any script makes a valid fragment).
    id: String,
    terms: Vec<IndexRow<'a>>,
}

#[derive(Serialize)]
struct SourceRow<'a> {
    key: &'a str,
    url: String,
    html: &'a str,
    count: usize,
}

/// The passages citing one locator of a source, in reading order.
#[derive(Serialize)]
struct CompanionGroup<'a> {
    locator: String,
    uses: Vec<CompanionUse<'a>>,
}

/// A citing passage in the companion, with the title of its document.
#[derive(Serialize)]
struct CompanionUse<'a> {
    title: String,
    #[serde(flatten)]
    view: UseView<'a>,
}

/// One essay in the study guide.
#[derive(Serialize)]
struct GuideEssay {
    title: String,
    url: String,
    questions: Vec<String>,
    objectives: Vec<String>,
    terms: Vec<LinkView>,
    sources: Vec<LinkView>,
}

/// How to cite a page's work: the formatted entry, its downloads, its meta tags and COinS.
#[derive(Serialize)]
struct CiteView {
    html: String,
    /// The downloads' file name without its extension (`download="<name>.bib"`).
    name: String,
    bibtex: String,
    ris: String,
    csl_json: String,
    meta: Vec<cite::MetaTag>,
    coins: String,
}

/// The bibliography's files.
#[derive(Serialize)]
struct CiteDownloads {
    bibtex: String,
    ris: String,
    csl_json: String,
}

/// A heading in an essay's table of contents.
#[derive(Serialize)]
struct TocView<'a> {
    level: u8,
    id: &'a str,
    text: &'a str,
}

/// Render every route of `renderer`. Files go to `emit` as they are made (in parallel);
/// template errors are returned as diagnostics, sorted.
pub fn render_site(renderer: &dyn Renderer, emit: &Emit) -> Vec<Diagnostic> {
    let errors = std::sync::Mutex::new(Vec::new());
    let one = |route: &Route| {
        let t = std::time::Instant::now();
        let res = renderer.render(route, emit);
        if !matches!(
            route,
            Route::Essay(_) | Route::Term(_) | Route::Source(_) | Route::Tag(_) | Route::Static(_)
        ) {
            crate::timing::timing(&format!("{route:?}"), t);
        }
        if let Err(d) = res {
            errors.lock().unwrap_or_else(|e| e.into_inner()).push(d);
        }
    };
    // The editions are each one long job over the whole reader: started first, as tasks
    // the other threads take while this one renders the pages, they no longer run alone
    // at the end (a rebuild of 1,000 generated essays: render + write 2.1 s → 0.74 s).
    let (heavy, rest): (Vec<Route>, Vec<Route>) = renderer
        .routes()
        .into_iter()
        .partition(|r| matches!(r, Route::Print | Route::Epub));
    rayon::scope(|s| {
        for route in &heavy {
            s.spawn(|_| one(route));
        }
        rest.par_iter().for_each(one);
    });
    let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    errors.sort_by(|a, b| a.message.cmp(&b.message));
    errors.dedup();
    errors
}

/// Render the job that makes output path `rel` (decoded, e.g. `essays/x/index.html`), for
/// `serve`'s on-demand rendering: the files it made, or the template error. `None` when no
/// route of the site lives at that path.
pub fn render_path(
    renderer: &dyn Renderer,
    site: &Site,
    rel: &str,
) -> Option<Result<Vec<Page>, Diagnostic>> {
    let route = site.routes.parse(rel)?.job();
    if !renderer.routes().contains(&route) {
        return None;
    }
    let pages = std::sync::Mutex::new(Vec::new());
    let result = renderer.render(&route, &|page: Page| {
        pages.lock().unwrap_or_else(|e| e.into_inner()).push(page)
    });
    Some(result.map(|()| pages.into_inner().unwrap_or_else(|e| e.into_inner())))
}

/// One route of each kind the renderer makes (the first essay, term, source …), rendered
/// eagerly by `serve` so a template error shows at once rather than on the next click.
pub fn sample_routes(renderer: &dyn Renderer) -> Vec<Route> {
    let mut seen = std::collections::HashSet::new();
    renderer
        .routes()
        .into_iter()
        .filter(|r| seen.insert(std::mem::discriminant(r)))
        .collect()
}

/// The website: every page through the theme's templates.
pub struct HtmlRenderer<'a> {
    site: &'a Site,
    theme: &'a Theme,
    base: Context,
}

impl Renderer for HtmlRenderer<'_> {
    fn routes(&self) -> Vec<Route> {
        let site = self.site;
        let mut routes = vec![
            Route::Home,
            Route::Glossary,
            Route::Citations,
            Route::Tags,
            Route::StudyGuide,
            Route::Search,
            Route::NotFound,
            Route::Feed,
            Route::Sitemap,
        ];
        if site.config.build.editions {
            routes.extend([Route::Print, Route::Epub]);
        }
        routes.extend(self.theme.statics.keys().cloned().map(Route::Static));
        routes.extend(site.published_essays().map(Route::Essay));
        routes.extend(site.term_ids().map(Route::Term));
        routes.extend(site.source_ids().map(Route::Source));
        routes.extend(site.tag_ids().map(Route::Tag));
        // A text whose source is unknown is an error (nothing is built then).
        routes.extend(site.text_ids().map(Route::Text));
        routes
    }

    fn render(&self, route: &Route, emit: &Emit) -> Result<(), Diagnostic> {
        let site = self.site;
        let page = |template: &str, ctx: &Context| -> Result<(), Diagnostic> {
            emit.emit((
                site.routes.output_path(route),
                self.template(template, ctx)?,
            ));
            Ok(())
        };
        match route {
            Route::Home => {
                page("home.html", &self.home())?;
                self.cite_files(&[&self.reader_record()], Route::ReaderCite, emit);
                Ok(())
            }
            Route::Essay(i) => {
                page("essay.html", &self.essay(*i))?;
                let title = &site.essay(*i).title;
                emit.emit((
                    site.routes.output_path(&Route::Preview(*i)),
                    preview::png(title, &site.config.book.title),
                ));
                Ok(())
            }
            Route::Term(i) => page("term.html", &self.term(*i)),
            Route::Source(i) => page("source.html", &self.source(*i)),
            Route::Text(i) => page("text.html", &self.text(*i)),
            Route::Tag(i) => page("tag.html", &self.tag(*i)),
            Route::Tags => page("tags.html", &self.tags()),
            Route::StudyGuide => page("guide.html", &self.study_guide()),
            Route::Print => self.print(emit),
            Route::Epub => {
                // A write error is the emitter's to report; the EPUB itself cannot fail.
                let _ = emit.stream(site.routes.output_path(route), &mut |w| {
                    epub::write(site, w)
                });
                Ok(())
            }
            Route::Glossary => self.glossary(emit),
            Route::Citations => {
                page("citations.html", &self.citations())?;
                let records: Vec<&Record> = site.bib.sources.iter().map(|s| &s.record).collect();
                self.cite_files(&records, Route::BibliographyFile, emit);
                Ok(())
            }
            Route::Search => {
                let mut ctx = self.ctx(route);
                ctx.insert("search_strings", &search_strings(site));
                page("search.html", &ctx)?;
                for file in search::index_files(site) {
                    emit.emit(file);
                }
                Ok(())
            }
            Route::NotFound => {
                page("404.html", &self.ctx(route))?;
                emit.emit((site.routes.output_path(&Route::NoJekyll), Vec::new()));
                Ok(())
            }
            Route::Feed => page("atom.xml", &self.feed()),
            Route::Sitemap => page("sitemap.xml", &self.sitemap()),
            Route::Static(path) => {
                if let Some(bytes) = self.theme.statics.get(path) {
                    emit.emit((site.routes.output_path(route), bytes.clone()));
                }
                Ok(())
            }
            // Copied as they are by the write stage (render reads no files).
            Route::Asset(_) => Ok(()),
            Route::SearchMeta
            | Route::SearchShard(_)
            | Route::SearchDocs(_)
            | Route::NoJekyll
            | Route::Preview(_)
            | Route::ReaderCite(_)
            | Route::BibliographyFile(_) => Renderer::render(self, &route.job(), emit),
        }
    }
}

impl<'a> HtmlRenderer<'a> {
    pub fn new(site: &'a Site, theme: &'a Theme) -> HtmlRenderer<'a> {
        HtmlRenderer {
            site,
            theme,
            base: site_context(site),
        }
    }

    /// The shared context with the page's canonical URL (the home page's for the 404 page,
    /// which is served at every missing address).
    fn ctx(&self, route: &Route) -> Context {
        let mut ctx = self.base.clone();
        let canonical = match route {
            Route::NotFound => &Route::Home,
            other => other,
        };
        ctx.insert(
            "canonical",
            &self
                .site
                .routes
                .absolute(&self.site.config.site_url(), canonical),
        );
        ctx
    }

    /// The records as a file in each citation format, at the routes `route` gives.
    fn cite_files(&self, records: &[&Record], route: impl Fn(CiteFormat) -> Route, emit: &Emit) {
        for format in CiteFormat::ALL {
            emit.emit((
                self.site.routes.output_path(&route(format)),
                cite::file(format, records),
            ));
        }
    }

    /// The reader as a whole: a book by its authors (as editors), dated by its latest essay.
    fn reader_record(&self) -> Record {
        let site = self.site;
        let book = &site.config.book;
        let mut r = Record::new("reader", Kind::Book, &book.title);
        r.editors = book.authors.iter().map(|a| person(a)).collect();
        r.date = site
            .published_essays()
            .filter_map(|i| site.essay(i).date)
            .max()
            .map(|d| RecordDate {
                year: i32::from(d.year()),
                month: None,
                day: None,
            });
        r.publisher = book.publisher.clone();
        r.doi = book.doi.clone();
        r.url = Some(site.routes.absolute(&site.config.site_url(), &Route::Home));
        r.abstract_ = (!book.description.is_empty()).then(|| book.description.clone());
        r.language = Some(book.language.clone());
        r
    }

    /// An essay as a chapter of the reader: its authors (else the reader's), date, DOI,
    /// summary and topics; the reader's title, editors and publisher.
    fn essay_record(&self, i: EssayId) -> Record {
        let site = self.site;
        let e = site.essay(i);
        let book = &site.config.book;
        let title = match &e.subtitle {
            Some(sub) => format!("{}: {sub}", e.title),
            None => e.title.clone(),
        };
        let mut r = Record::new(&e.slug, Kind::Chapter, &title);
        r.authors = if e.authors.is_empty() {
            book.authors.iter().map(|a| person(a)).collect()
        } else {
            e.authors.iter().map(|a| person(a)).collect()
        };
        r.editors = book.authors.iter().map(|a| person(a)).collect();
        r.date = e.date.map(|d| RecordDate {
            year: i32::from(d.year()),
            month: u8::try_from(d.month()).ok(),
            day: u8::try_from(d.day()).ok(),
        });
        r.container = Some(crate::index::record::Title::plain(&book.title));
        r.publisher = book.publisher.clone();
        r.doi = e.doi.clone();
        r.url = Some(
            site.routes
                .absolute(&site.config.site_url(), &Route::Essay(i)),
        );
        r.abstract_ = Some(self.summary(i)).filter(|s| !s.is_empty());
        r.language = Some(book.language.clone());
        r.keywords = e.tags.clone();
        r
    }

    /// The "Cite this" block of a record: its entry in the reader's style, the download
    /// links, and the page's meta tags.
    /// `html` is the formatted entry when it is known (a source's), else it is formatted.
    /// The downloads are the files at `route`'s addresses when given (the reader's own
    /// record), else `data:` URLs in the page: three files for each of 10,000 essays and
    /// 2,000 sources were three quarters of a build's files (PRODUCT.md §8).
    fn cite_view(
        &self,
        record: &Record,
        route: Option<fn(CiteFormat) -> Route>,
        name: &str,
        html: Option<String>,
    ) -> CiteView {
        let site = self.site;
        let link = |format: CiteFormat| match route {
            Some(route) => self.href(&route(format)),
            None => cite::data_url(format, &[record]),
        };
        CiteView {
            html: html.unwrap_or_else(|| {
                site.bib
                    .format_bibtex(&cite::bibtex(record))
                    .unwrap_or_else(|| escape(&record.title.text))
            }),
            name: name.to_string(),
            bibtex: link(CiteFormat::Bibtex),
            ris: link(CiteFormat::Ris),
            csl_json: link(CiteFormat::CslJson),
            meta: cite::meta_tags(record, site.config.book.license.as_deref()),
            coins: cite::coins(record),
        }
    }

    fn template(&self, template: &str, ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        let mut out = Vec::with_capacity(16 * 1024);
        self.theme
            .tera
            .render_to(template, ctx, &mut out)
            .map_err(|e| theme::template_error(&e, &self.theme.sources, &self.theme.templates))?;
        Ok(out)
    }

    fn href(&self, route: &Route) -> String {
        self.site.href(route)
    }

    fn home(&self) -> Context {
        let site = self.site;
        let mut ctx = self.ctx(&Route::Home);
        let (title, html, cards) = match &site.content.home {
            Some(_) => {
                let rendered = self.markdown(DocId::Home);
                (
                    site.doc_title(DocId::Home),
                    rendered.html,
                    self.cards(&rendered.cards),
                )
            }
            None => (site.config.book.title.clone(), String::new(), Vec::new()),
        };
        ctx.insert(
            "page",
            &LinkView {
                title,
                url: site.base_path().to_string(),
            },
        );
        ctx.insert("html", &html);
        ctx.insert("cards", &cards);
        ctx.insert("essays", &self.essay_cards(site.published_essays()));
        ctx.insert(
            "cite",
            &self.cite_view(&self.reader_record(), Some(Route::ReaderCite), "cite", None),
        );
        ctx
    }

    fn tag(&self, i: TagId) -> Context {
        let tag = &self.site.tags[i.0];
        let mut ctx = self.ctx(&Route::Tag(i));
        ctx.insert(
            "tag",
            &LinkView {
                title: tag.name.clone(),
                url: self.href(&Route::Tag(i)),
            },
        );
        ctx.insert("essays", &self.essay_cards(tag.essays.iter().copied()));
        ctx
    }

    fn tags(&self) -> Context {
        let mut ctx = self.ctx(&Route::Tags);
        let collation = crate::i18n::Collation::new(&self.site.translations.language);
        let mut tags: Vec<TagView> = self
            .site
            .tag_ids()
            .map(|i| TagView {
                name: self.site.tags[i.0].name.clone(),
                url: self.href(&Route::Tag(i)),
                count: self.site.tags[i.0].essays.len(),
            })
            .collect();
        tags.sort_by(|a, b| collation.compare(&a.name, &b.name));
        ctx.insert("tags", &tags);
        ctx
    }

    fn glossary(&self, emit: &Emit) -> Result<(), Diagnostic> {
        let site = self.site;
        let titles = DocTitles {
            home: tera::Value::from(site.doc_title(DocId::Home)),
            essays: (site.content.essays.iter())
                .map(|e| tera::Value::from(e.title.as_str()))
                .collect(),
            terms: (site.content.terms.iter())
                .map(|t| tera::Value::from(t.name.as_str()))
                .collect(),
            texts: site
                .text_ids()
                .map(|i| tera::Value::from(site.doc_title(DocId::Text(i))))
                .collect(),
        };
        // Terms in the language's collation order, grouped by their first letter (groups in
        // the order of their first term; a letter met again joins its group).
        let collation = crate::i18n::Collation::new(&site.translations.language);
        let sorting = std::time::Instant::now();
        let mut ids: Vec<TermId> = site.term_ids().collect();
        ids.sort_by(|a, b| collation.compare(&site.term(*a).name, &site.term(*b).name));
        crate::timing::timing("glossary collation", sorting);
        let mut letters: Vec<LetterGroup> = Vec::new();
        for i in ids {
            let term = site.term(i);
            let row = IndexRow {
                name: &term.name,
                slug: &term.slug,
                url: self.href(&Route::Term(i)),
                short: self.short(i),
                aliases: term.aliases.iter().map(|a| a.value.as_str()).collect(),
                original: original_view(term),
                count: site.uses(Target::Term(i)).len(),
                uses: IndexUses {
                    renderer: self,
                    term: i,
                    titles: &titles,
                },
            };
            let letter = crate::i18n::index_letter(&term.name);
            match letters.iter_mut().find(|g| g.letter == letter) {
                Some(g) => g.terms.push(row),
                None => {
                    let n = letters.len() + 1;
                    letters.push(LetterGroup {
                        letter,
                        id: format!("letter-{n}"),
                        terms: vec![row],
                    })
                }
            }
        }
        let mut ctx = self.ctx(&Route::Glossary);
        ctx.insert("letters", &letters);
        ctx.insert("count", &site.content.terms.len());
        let bytes = self.template("glossary.html", &ctx)?;
        emit.emit((site.routes.output_path(&Route::Glossary), bytes));
        Ok(())
    }

    fn citations(&self) -> Context {
        let rows: Vec<SourceRow> = self
            .site
            .source_ids()
            .map(|i| self.source_row(i, self.site.uses(Target::Source(i)).len()))
            .collect();
        let mut ctx = self.ctx(&Route::Citations);
        ctx.insert("sources", &rows);
        // How the list is ordered: the style's `<sort>`, or (a numeric style, which numbers
        // by first citation in each essay) by author.
        ctx.insert(
            "bibliography_order",
            match self.site.bib.order {
                crate::index::Order::Style => "style",
                crate::index::Order::Cited => "cited",
            },
        );
        ctx.insert(
            "downloads",
            &CiteDownloads {
                bibtex: self.href(&Route::BibliographyFile(CiteFormat::Bibtex)),
                ris: self.href(&Route::BibliographyFile(CiteFormat::Ris)),
                csl_json: self.href(&Route::BibliographyFile(CiteFormat::CslJson)),
            },
        );
        ctx
    }

    /// The study guide: for each essay in reading order, its objectives and questions, the
    /// terms whose first use in the reader is there, and the sources it reads or cites.
    fn study_guide(&self) -> Context {
        let site = self.site;
        let mut introduced: BTreeMap<EssayId, Vec<TermId>> = BTreeMap::new();
        for t in site.term_ids() {
            let first = site.uses(Target::Term(t)).iter().find_map(|u| match u.doc {
                DocId::Essay(e) => Some(e),
                _ => None,
            });
            if let Some(e) = first {
                introduced.entry(e).or_default().push(t);
            }
        }
        let inline = |items: &[String]| -> Vec<String> {
            items.iter().map(|q| markdown::inline_html(q)).collect()
        };
        let essays: Vec<GuideEssay> = site
            .published_essays()
            .map(|i| {
                let e = site.essay(i);
                let mut sources: Vec<SourceId> = e
                    .annotates
                    .as_ref()
                    .and_then(|a| site.bib.index_of(&a.value))
                    .map(SourceId)
                    .into_iter()
                    .collect();
                for t in site
                    .resolved_uses(DocId::Essay(i))
                    .iter()
                    .filter_map(Resolved::target)
                {
                    if let Target::Source(k) = t
                        && !sources.contains(&k)
                    {
                        sources.push(k);
                    }
                }
                GuideEssay {
                    title: e.title.clone(),
                    url: self.href(&Route::Essay(i)),
                    questions: inline(&e.questions),
                    objectives: inline(&e.objectives),
                    terms: introduced
                        .get(&i)
                        .map_or(&[][..], Vec::as_slice)
                        .iter()
                        .map(|&t| self.link(Route::Term(t), &site.term(t).name))
                        .collect(),
                    sources: sources
                        .into_iter()
                        .map(|k| self.link(Route::Source(k), &site.source(k).title))
                        .collect(),
                }
            })
            .collect();
        let mut ctx = self.ctx(&Route::StudyGuide);
        ctx.insert("essays", &essays);
        ctx
    }

    /// The print edition: the whole reader as one page (see `book`), written as it is made.
    /// The theme's `print.html` is rendered once with every chapter's body replaced by a
    /// marker; the page is then written piece by piece, each marker replaced by its body,
    /// the bodies rendered in parallel in batches (memory does not grow with the reader: at
    /// 10,000 essays the page is ~300 MB). A template that does anything with a body but
    /// print it once (`| safe`) gets the whole book instead, rendered in memory.
    fn print(&self, emit: &Emit) -> Result<(), Diagnostic> {
        let site = self.site;
        let path = site.routes.output_path(&Route::Print);
        let layout = book::Layout::Print;
        let parts = book::parts(site);
        let marker = |k: usize| format!("\u{E000}<{k}>\u{E000}");
        let mut frame = book::Book::frame(site, layout);
        let chapters = frame.intro.iter_mut().chain(frame.chapters.iter_mut());
        for (k, c) in chapters.enumerate() {
            c.html = marker(k);
        }
        let page = self.template("print.html", &self.print_context(&frame))?;
        drop(frame);
        // The page around the bodies: `pieces[k]` comes before body `k`, the last after all.
        let pieces = String::from_utf8(page).ok().and_then(|page| {
            let mut pieces = Vec::with_capacity(parts.len() + 1);
            let mut rest = page.as_str();
            for k in 0..parts.len() {
                let m = marker(k);
                let at = rest.find(&m)?;
                pieces.push(&rest[..at]);
                rest = &rest[at + m.len()..];
            }
            pieces.push(rest);
            // No marker left over (one printed twice, or a title holding one).
            let clean = pieces.iter().all(|p| !p.contains('\u{E000}'));
            clean.then(|| {
                pieces
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<String>>()
            })
        });
        let Some(pieces) = pieces else {
            let book = book::Book::new(site, layout);
            emit.emit((
                path,
                self.template("print.html", &self.print_context(&book))?,
            ));
            return Ok(());
        };
        // A write error is the emitter's to report.
        let _ = emit.stream(path, &mut |w| {
            w.write_all(pieces[0].as_bytes())?;
            for (batch, docs) in parts.chunks(BOOK_BATCH).enumerate() {
                let bodies: Vec<String> = docs
                    .par_iter()
                    .map(|&doc| book::Book::body(site, layout, doc).html)
                    .collect();
                for (j, body) in bodies.iter().enumerate() {
                    w.write_all(body.as_bytes())?;
                    w.write_all(pieces[batch * BOOK_BATCH + j + 1].as_bytes())?;
                }
            }
            Ok(())
        });
        Ok(())
    }

    /// The print page's context: the book, its running head, the home page's URL.
    fn print_context(&self, book: &book::Book) -> Context {
        let site = self.site;
        let mut ctx = self.ctx(&Route::Print);
        ctx.insert("book", book);
        // The running head: the reader's title as a CSS string (in the page's `<style>`).
        ctx.insert("running_head", &css_string(&site.config.book.title));
        ctx.insert(
            "home_url",
            &site.routes.absolute(&site.config.site_url(), &Route::Home),
        );
        ctx
    }

    fn feed(&self) -> Context {
        let site = self.site;
        let mut essays: Vec<EssayId> = site.published_essays().collect();
        essays.sort_by(|a, b| {
            let (ea, eb) = (site.essay(*a), site.essay(*b));
            eb.date.cmp(&ea.date).then_with(|| ea.slug.cmp(&eb.slug))
        });
        let updated = essays
            .iter()
            .filter_map(|&i| site.essay(i).date)
            .max()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "1970-01-01".into());
        let mut ctx = self.ctx(&Route::Feed);
        ctx.insert("essays", &self.essay_cards(essays.into_iter()));
        ctx.insert("updated", &updated);
        ctx
    }

    /// Every HTML page a reader can land on, in site order (not search or 404).
    fn sitemap(&self) -> Context {
        let url = self.site.config.site_url();
        let urls: Vec<String> = self
            .routes()
            .iter()
            // The print edition repeats the essays: search engines should find them.
            .filter(|r| r.is_page() && !matches!(r, Route::Search | Route::NotFound | Route::Print))
            .map(|r| (sitemap_rank(r), r))
            .collect::<BTreeMap<_, _>>()
            .into_values()
            .map(|r| self.site.routes.absolute(&url, r))
            .collect();
        let mut ctx = self.ctx(&Route::Sitemap);
        ctx.insert("urls", &urls);
        ctx
    }

    fn markdown(&self, doc: DocId) -> markdown::Rendered {
        self.markdown_with(doc, &HashMap::new())
    }

    /// A document's HTML; `margin` holds the commentary after each numbered paragraph of a
    /// text.
    fn markdown_with(&self, doc: DocId, margin: &HashMap<usize, String>) -> markdown::Rendered {
        let site = self.site;
        let file = site.file(doc);
        let bib = &site.bib;
        let annotated =
            markdown::annotate_with(file.body(), &|k| bib.contains(k), &bib.locator_words);
        let links = self.use_links(doc);
        // An essay's paragraphs are addressable (links to a passage; the reading companion);
        // a text's are numbered, as its citations count them.
        let blocks = match doc {
            DocId::Essay(_) => markdown::Blocks::Sectioned,
            DocId::Text(_) => markdown::Blocks::Numbered { margin },
            _ => markdown::Blocks::None,
        };
        let t = &site.translations;
        let words = |key: &str| t.str(key);
        // An essay's inline `#tags` link to their topic pages (it is in each of them).
        let topics: HashMap<String, crate::ids::TagId> = match doc {
            DocId::Essay(i) => site.essay_tags.get(&i).map_or_else(HashMap::new, |tags| {
                tags.iter()
                    .filter_map(|(id, name)| Some((crate::index::tag_slug(name)?, *id)))
                    .collect()
            }),
            _ => HashMap::new(),
        };
        let tag_href = |name: &str| {
            let id = topics.get(&crate::index::tag_slug(name)?)?;
            Some(self.href(&Route::Tag(*id)))
        };
        let labels = markdown::NoteLabels {
            heading: t.str("notes"),
            back: t.str("back_to_note"),
            paragraph_link: t.str("paragraph_link"),
            paragraph_number: t.str("paragraph_number"),
            words: Some(&words),
            tag_href: Some(&tag_href),
        };
        let resolve = |kind, dest: &str| self.link_out(doc, kind, dest, true);
        let empty = HashMap::new();
        let citations = site.citations.get(&doc).map_or(&empty, |c| &c.citations);
        markdown::render_document(
            annotated.nodes,
            &links,
            &bib.cite_style,
            blocks,
            &labels,
            &resolve,
            citations,
        )
    }

    /// How a document's link, image or embed shows: hrefs from the route table, images
    /// with their size, another note's text (when `embeds`; else a link to it).
    fn link_out(
        &self,
        doc: DocId,
        kind: markdown::LinkKind,
        dest: &str,
        embeds: bool,
    ) -> Option<markdown::LinkOut> {
        let site = self.site;
        let with_anchor = |mut href: String, anchor: Option<&String>| {
            if let Some(a) = anchor {
                href.push('#');
                href.push_str(a);
            }
            href
        };
        Some(match site.link(doc, kind, dest)? {
            LinkTarget::Route(route, anchor) => {
                let href = with_anchor(self.href(route), anchor.as_ref());
                match route {
                    Route::Asset(a)
                        if kind != markdown::LinkKind::Link
                            && crate::content::is_image(&site.asset(*a).rel) =>
                    {
                        markdown::LinkOut::Image {
                            src: href,
                            size: site.asset(*a).size,
                        }
                    }
                    _ => markdown::LinkOut::Href(href),
                }
            }
            // Inside another page (an embed), an anchor of this note leads to this note.
            LinkTarget::Anchor(a) if !embeds => {
                markdown::LinkOut::Href(format!("{}#{a}", self.href(&Site::doc_route(doc))))
            }
            LinkTarget::Anchor(a) => markdown::LinkOut::Href(format!("#{a}")),
            LinkTarget::Embed(target, section) => {
                let href = with_anchor(self.href(&Site::doc_route(*target)), section.as_ref());
                let mut title = site.doc_title(*target);
                let headings = &site.scan(*target).headings;
                if let Some(h) = section
                    .as_ref()
                    .and_then(|id| headings.iter().find(|h| &h.id == id))
                {
                    title = format!("{title} › {}", h.text);
                }
                let html = if embeds {
                    self.embed_html(*target, section.as_deref(), &href, &title)
                } else {
                    String::new()
                };
                markdown::LinkOut::Embed { html, href, title }
            }
        })
    }

    /// Another note (or the section under one of its headings) shown in place, with a link
    /// to its source. Embeds inside it are links (no embed within an embed).
    fn embed_html(&self, doc: DocId, section: Option<&str>, href: &str, title: &str) -> String {
        let site = self.site;
        let body = site.file(doc).body();
        let scan = site.scan(doc);
        let (start, end) = match section.and_then(|id| {
            let i = scan.headings.iter().position(|h| h.id == id)?;
            let h = &scan.headings[i];
            let end = scan.headings[i + 1..]
                .iter()
                .find(|n| n.level <= h.level)
                .map_or(body.len(), |n| n.offset);
            Some((h.offset, end))
        }) {
            Some(range) => range,
            None => (0, body.len()),
        };
        let Some(text) = body.get(start..end) else {
            return String::new();
        };
        // The uses before the section are not in it: its first use is the next one.
        let skip = scan.uses.iter().filter(|u| u.offset < start).count();
        let page = self.href(&Site::doc_route(doc));
        let mut uses = self.use_links(doc);
        for u in &mut uses {
            if let UseLink::Link { href, .. } = u
                && href.starts_with('#')
            {
                *href = format!("{page}{href}");
            }
        }
        let uses = uses.get(skip..).unwrap_or(&[]);
        let annotated = markdown::annotate(text, &|k| site.bib.contains(k));
        let resolve = |kind, dest: &str| self.link_out(doc, kind, dest, false);
        let inner = markdown::render_embed(annotated.nodes, uses, &site.bib.cite_style, &resolve);
        format!(
            "<figure class=\"embed\"><blockquote class=\"embed-body\" cite=\"{href}\">\n{inner}</blockquote><figcaption><a class=\"embed-source\" href=\"{href}\">{title}</a></figcaption></figure>\n",
            href = escape(href),
            title = escape(title),
        )
    }

    /// The index's resolved uses of a document as links: hrefs from the route table, the
    /// theme's classes, card ids. A citation of a paragraph of a source the reader publishes
    /// the text of links to that paragraph.
    fn use_links(&self, doc: DocId) -> Vec<UseLink<'_>> {
        let site = self.site;
        let scan = site.scan(doc);
        site.resolved_uses(doc)
            .iter()
            .enumerate()
            .map(|(n, r)| match r {
                Resolved::Xref {
                    target,
                    anchor,
                    display,
                } => {
                    let mut href = self.href(&Site::target_route(*target));
                    if let Some(a) = anchor {
                        href.push('#');
                        href.push_str(a);
                    }
                    let (class, card) = match *target {
                        Target::Term(i) => (
                            "xref xref-term",
                            Some(Card {
                                id: format!("term:{}", site.term(i).slug),
                                target: *target,
                            }),
                        ),
                        _ => ("xref xref-essay", None),
                    };
                    UseLink::Link {
                        href,
                        class,
                        card,
                        display: display.as_deref(),
                    }
                }
                Resolved::Cite { source, text } => UseLink::Cite {
                    href: self.cite_href(*source, scan.uses.get(n), doc),
                    card: Some(Card {
                        id: format!("cite:{}", site.source(*source).key),
                        target: Target::Source(*source),
                    }),
                    html: text,
                },
                Resolved::Anchor { anchor, display } => UseLink::Link {
                    href: format!("#{anchor}"),
                    class: "xref",
                    card: None,
                    display: display.as_deref(),
                },
                Resolved::File(a) => UseLink::Link {
                    href: self.href(&Route::Asset(*a)),
                    class: "xref xref-file",
                    card: None,
                    display: None,
                },
                Resolved::Broken => UseLink::Broken,
            })
            .collect()
    }

    /// Where a citation links: the cited paragraph of the source's text when the reader
    /// publishes it and the locator names a paragraph, else the source's page.
    fn cite_href(&self, source: SourceId, the_use: Option<&markdown::Use>, from: DocId) -> String {
        let site = self.site;
        let paragraph = the_use.and_then(|u| match &u.kind {
            markdown::UseKind::Cite(item) => match &item.locator {
                Some((markdown::LocatorKind::Paragraph, value)) => {
                    markdown::locator::position(markdown::LocatorKind::Paragraph, value)
                        .and_then(|p| p.first())
                }
                _ => None,
            },
            _ => None,
        });
        match (site.text_of.get(&source), paragraph) {
            (Some(&text), Some(n)) if from != DocId::Text(text) => {
                format!("{}#p_{n}", self.href(&Route::Text(text)))
            }
            _ => self.href(&Route::Source(source)),
        }
    }

    fn cards(&self, cards: &BTreeMap<String, Target>) -> Vec<CardView> {
        let site = self.site;
        cards
            .iter()
            .filter_map(|(id, target)| match *target {
                Target::Term(i) => Some(CardView {
                    id: id.clone(),
                    kind: "term",
                    title: site.term(i).name.clone(),
                    html: escape(&self.short(i)),
                    url: self.href(&Route::Term(i)),
                }),
                Target::Source(i) => Some(CardView {
                    id: id.clone(),
                    kind: "source",
                    title: site.source(i).title.clone(),
                    html: site.source(i).html.clone(),
                    url: self.href(&Route::Source(i)),
                }),
                Target::Essay(_) => None,
            })
            .collect()
    }

    fn short(&self, i: TermId) -> String {
        let term = self.site.term(i);
        term.short
            .clone()
            .unwrap_or_else(|| self.site.term_scans[i.0].first_paragraph.clone())
    }

    fn summary(&self, i: EssayId) -> String {
        let e = self.site.essay(i);
        e.summary.clone().unwrap_or_else(|| {
            let p = &self.site.essay_scans[i.0].first_paragraph;
            if p.chars().count() > 280 {
                let cut: String = p.chars().take(280).collect();
                format!(
                    "{} …",
                    cut.rsplit_once(' ').map_or(cut.as_str(), |(l, _)| l)
                )
            } else {
                p.clone()
            }
        })
    }

    fn essay_cards(&self, essays: impl Iterator<Item = EssayId>) -> Vec<EssayCard> {
        let site = self.site;
        let url = site.config.site_url();
        essays
            .map(|i| {
                let e = site.essay(i);
                let route = Route::Essay(i);
                let tags = site.essay_tags.get(&i).map_or(&[][..], Vec::as_slice);
                EssayCard {
                    title: e.title.clone(),
                    subtitle: e.subtitle.clone(),
                    abs_url: site.routes.absolute(&url, &route),
                    url: self.href(&route),
                    summary: self.summary(i),
                    date: e.date.map(|d| d.to_string()),
                    authors: e.authors.clone(),
                    minutes: site.essay_scans[i.0].words.div_ceil(230).max(1),
                    tags: tags
                        .iter()
                        .map(|(t, name)| TagView {
                            name: name.clone(),
                            url: self.href(&Route::Tag(*t)),
                            count: 0,
                        })
                        .collect(),
                    draft: e.draft,
                }
            })
            .collect()
    }

    /// A use for a term or source page: the link, with its sentence.
    /// `doc_url` is the URL of the use's document.
    fn use_view(&self, u: &UseRef, doc_url: &str) -> UseView<'_> {
        let site = self.site;
        let scan = site.scan(u.doc);
        let the_use = &scan.uses[u.index];
        let section = the_use.section.map(|s| scan.headings[s].text.as_str());
        let locator = match &the_use.kind {
            markdown::UseKind::Cite(item) => {
                item.locator.as_ref().map(|(k, v)| locator_text(*k, v))
            }
            _ => None,
        };
        let label_html = match site.resolved_uses(u.doc).get(u.index) {
            Some(Resolved::Cite { text, .. }) if the_use.context.label().is_empty() => {
                // Shown as in the essay: "(Ludwig 2015)" inside the sentence.
                match &the_use.kind {
                    markdown::UseKind::Cite(item) if !item.narrative => {
                        let style = &site.bib.cite_style;
                        let space = if the_use.context.before().is_empty() {
                            ""
                        } else {
                            " "
                        };
                        format!(
                            "{space}{}{text}{}",
                            escape(&style.open),
                            escape(&style.close)
                        )
                        .into()
                    }
                    _ => text.as_str().into(),
                }
            }
            Some(Resolved::Xref {
                display: Some(display),
                ..
            }) => escape(display).into(),
            _ => escape(the_use.context.label()).into(),
        };
        UseView {
            href: format!("{doc_url}#use_{}", u.index),
            section,
            before: the_use.context.before(),
            label: the_use.context.label(),
            label_html,
            after: the_use.context.after(),
            locator,
        }
    }

    /// The uses of `target`, grouped by document (the use-map lists a document's uses
    /// together), each with its sentence.
    fn grouped(&self, target: Target) -> Vec<UsesByDoc<'_>> {
        let site = self.site;
        let mut groups: Vec<UsesByDoc> = Vec::new();
        let mut last: Option<DocId> = None;
        for u in site.uses(target) {
            if last != Some(u.doc) {
                groups.push(UsesByDoc {
                    title: site.doc_title(u.doc),
                    url: self.href(&Site::doc_route(u.doc)),
                    kind: doc_kind(u.doc),
                    uses: Vec::new(),
                });
                last = Some(u.doc);
            }
            if let Some(g) = groups.last_mut() {
                let view = self.use_view(u, &g.url);
                g.uses.push(view);
            }
        }
        groups
    }

    /// The reading companion of a source: every citing passage, grouped by the locator it
    /// cites and ordered by the position in the source (then reading order); the citations
    /// without a (numbered) locator after, by document.
    fn companion(&self, i: SourceId) -> (Vec<CompanionGroup<'_>>, Vec<UsesByDoc<'_>>) {
        let site = self.site;
        let mut located: BTreeMap<(markdown::locator::Position, String), Vec<CompanionUse>> =
            BTreeMap::new();
        let mut unlocated: Vec<UsesByDoc> = Vec::new();
        let mut doc_urls: Vec<(DocId, String)> = Vec::new();
        for u in site.uses(Target::Source(i)) {
            let url = match doc_urls.iter().find(|(d, _)| *d == u.doc) {
                Some((_, url)) => url.clone(),
                None => {
                    let url = self.href(&Site::doc_route(u.doc));
                    doc_urls.push((u.doc, url.clone()));
                    url
                }
            };
            let locator = match &site.scan(u.doc).uses[u.index].kind {
                markdown::UseKind::Cite(item) => item.locator.as_ref(),
                _ => None,
            };
            let position =
                locator.and_then(|(k, v)| Some((markdown::locator::position(*k, v)?, *k, v)));
            let view = self.use_view(u, &url);
            match position {
                Some((position, kind, value)) => {
                    let label = locator_text(kind, value);
                    located
                        .entry((position, label))
                        .or_default()
                        .push(CompanionUse {
                            title: site.doc_title(u.doc),
                            view,
                        });
                }
                None => {
                    if unlocated.last().is_none_or(|g| g.url != url) {
                        unlocated.push(UsesByDoc {
                            title: site.doc_title(u.doc),
                            url: url.clone(),
                            kind: doc_kind(u.doc),
                            uses: Vec::new(),
                        });
                    }
                    if let Some(g) = unlocated.last_mut() {
                        g.uses.push(view);
                    }
                }
            }
        }
        let groups = located
            .into_iter()
            .map(|((_, locator), uses)| CompanionGroup { locator, uses })
            .collect();
        (groups, unlocated)
    }

    /// A term for a page, with `uses` (empty where the page lists none).
    fn term_row<'s>(&'s self, i: TermId, uses: Vec<UsesByDoc<'s>>) -> TermRow<'s> {
        let site = self.site;
        let term = site.term(i);
        TermRow {
            name: term.name.clone(),
            slug: term.slug.clone(),
            url: self.href(&Route::Term(i)),
            short: self.short(i),
            short_given: term.short.is_some(),
            aliases: term.aliases.iter().map(|a| a.value.clone()).collect(),
            original: original_view(term),
            count: site.uses(Target::Term(i)).len(),
            uses,
        }
    }

    /// A bibliography entry with its page's link and its number of citations.
    fn source_row(&self, i: SourceId, count: usize) -> SourceRow<'_> {
        let s = self.site.source(i);
        SourceRow {
            key: &s.key,
            url: self.href(&Route::Source(i)),
            html: &s.html,
            count,
        }
    }

    fn link(&self, route: Route, title: &str) -> LinkView {
        LinkView {
            title: title.to_string(),
            url: self.href(&route),
        }
    }

    fn essay(&self, i: EssayId) -> Context {
        let site = self.site;
        let e = site.essay(i);
        let rendered = self.markdown(DocId::Essay(i));
        let published = &site.published;
        let pos = site.published_pos[i.0];
        let link = |j: EssayId| self.link(Route::Essay(j), &site.essay(j).title);
        let prev = pos
            .and_then(|p| p.checked_sub(1))
            .map(|p| link(published[p]));
        let next = pos.and_then(|p| published.get(p + 1)).map(|&j| link(j));
        // Linked from: documents with a use targeting this essay (in document order).
        // The use-map lists a document's uses together, so one look back deduplicates
        // (an essay linked from 10,000 places stays linear).
        let mut linked_from: Vec<LinkView> = Vec::new();
        let mut last: Option<DocId> = None;
        for u in site.uses(Target::Essay(i)) {
            if u.doc != DocId::Essay(i) && last != Some(u.doc) {
                linked_from.push(self.link(Site::doc_route(u.doc), &site.doc_title(u.doc)));
            }
            last = Some(u.doc);
        }
        // Terms used and works cited, from this essay's resolved uses.
        let mut terms: Vec<TermId> = Vec::new();
        let mut cited: Vec<SourceId> = Vec::new();
        for target in site
            .resolved_uses(DocId::Essay(i))
            .iter()
            .filter_map(Resolved::target)
        {
            match target {
                Target::Source(k) if !cited.contains(&k) => cited.push(k),
                Target::Term(t) if !terms.contains(&t) => terms.push(t),
                _ => {}
            }
        }
        cited.sort_unstable(); // bibliography order is the style's order
        terms.sort_unstable();
        // The essay's references as the style lists them for it (in its order, numbered
        // by first citation in a numeric style); a work cited in an essay whose citations
        // the style could not list keeps its reader-wide entry.
        let own: Vec<(SourceId, &str)> = site
            .citations
            .get(&DocId::Essay(i))
            .map(|c| {
                c.references
                    .iter()
                    .filter_map(|(key, html)| {
                        Some((SourceId(site.bib.index_of(key)?), html.as_str()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !own.is_empty() {
            let listed: Vec<SourceId> = own.iter().map(|(k, _)| *k).collect();
            cited.retain(|k| !listed.contains(k));
            let mut ordered = listed;
            ordered.extend(cited);
            cited = ordered;
        }
        let annotates = e
            .annotates
            .as_ref()
            .and_then(|a| site.bib.index_of(&a.value))
            .map(|k| self.source_row(SourceId(k), 0));
        let references: Vec<SourceRow> = cited
            .into_iter()
            .map(|k| {
                let mut row = self.source_row(k, 0);
                if let Some((_, html)) = own.iter().find(|(o, _)| *o == k) {
                    row.html = html;
                }
                row
            })
            .collect();
        let terms_used: Vec<TermRow> = terms
            .into_iter()
            .map(|t| self.term_row(t, Vec::new()))
            .collect();
        let toc: Vec<TocView> = rendered
            .toc
            .iter()
            .map(|h| TocView {
                level: h.level,
                id: &h.id,
                text: &h.text,
            })
            .collect();
        let card = &self.essay_cards(std::iter::once(i))[0];
        let inline = |items: &[String]| -> Vec<String> {
            items.iter().map(|q| markdown::inline_html(q)).collect()
        };
        let mut ctx = self.ctx(&Route::Essay(i));
        ctx.insert("essay", card);
        ctx.insert("html", &rendered.html);
        ctx.insert("toc", &toc);
        ctx.insert("cards", &self.cards(&rendered.cards));
        ctx.insert("prev", &prev);
        ctx.insert("next", &next);
        ctx.insert("linked_from", &linked_from);
        ctx.insert("terms_used", &terms_used);
        ctx.insert("references", &references);
        ctx.insert("annotates", &annotates);
        ctx.insert("extra", &e.extra);
        ctx.insert("questions", &inline(&e.questions));
        ctx.insert(
            "preview",
            &PreviewView {
                url: site
                    .routes
                    .absolute(&site.config.site_url(), &Route::Preview(i)),
                width: preview::WIDTH,
                height: preview::HEIGHT,
                alt: format!("{} · {}", e.title, site.config.book.title),
            },
        );
        ctx.insert("objectives", &inline(&e.objectives));
        ctx.insert(
            "cite",
            &self.cite_view(&self.essay_record(i), None, &e.slug, None),
        );
        ctx
    }

    fn term(&self, i: TermId) -> Context {
        let site = self.site;
        let rendered = self.markdown(DocId::Term(i));
        let see_also: Vec<LinkView> = site.see_also[i.0]
            .iter()
            .map(|&j| self.link(Route::Term(j), &site.term(j).name))
            .collect();
        let mut ctx = self.ctx(&Route::Term(i));
        let uses = self.grouped(Target::Term(i));
        ctx.insert("term", &self.term_row(i, uses));
        ctx.insert("html", &rendered.html);
        ctx.insert("cards", &self.cards(&rendered.cards));
        ctx.insert("see_also", &see_also);
        ctx
    }

    /// A primary text: its paragraphs numbered, and beside each the commentary that cites
    /// it (`[@key, para. 12]`) from the rest of the reader.
    fn text(&self, i: TextId) -> Context {
        let site = self.site;
        let mut margin: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        if let Some(source) = site.text_source(i) {
            for u in site.uses(Target::Source(source)) {
                if u.doc == DocId::Text(i) {
                    continue;
                }
                let Some(position) = (match &site.scan(u.doc).uses[u.index].kind {
                    markdown::UseKind::Cite(item) => match &item.locator {
                        Some((markdown::LocatorKind::Paragraph, v)) => {
                            markdown::locator::position(markdown::LocatorKind::Paragraph, v)
                        }
                        _ => None,
                    },
                    _ => None,
                }) else {
                    continue;
                };
                let url = self.href(&Site::doc_route(u.doc));
                let view = self.use_view(u, &url);
                let card = commentary_card(&site.doc_title(u.doc), &view);
                for n in position.numbers(MAX_COMMENTED_RANGE) {
                    margin.entry(n as usize).or_default().push(card.clone());
                }
            }
        }
        let margin: HashMap<usize, String> = margin
            .into_iter()
            .map(|(n, cards)| {
                let t = &site.translations;
                let html = format!(
                    "<aside class=\"commentary\" aria-label=\"{label}\" data-show=\"{show}\" data-hide=\"{hide}\"><p class=\"commentary-title\">¶ {n} · {count}</p><ul>{}</ul></aside>\n",
                    cards.concat(),
                    label = escape(&t.str("commentary_on").replace("{n}", &n.to_string())),
                    show = escape(t.str("show")),
                    hide = escape(t.str("hide")),
                    count = escape(&t.count("passages", cards.len() as u64)),
                );
                (n, html)
            })
            .collect();
        let rendered = self.markdown_with(DocId::Text(i), &margin);
        let source = site.text_source(i);
        let mut ctx = self.ctx(&Route::Text(i));
        ctx.insert("title", &site.doc_title(DocId::Text(i)));
        ctx.insert("html", &rendered.html);
        ctx.insert("cards", &self.cards(&rendered.cards));
        ctx.insert(
            "source",
            &source.map(|k| self.source_row(k, site.uses(Target::Source(k)).len())),
        );
        ctx
    }

    fn source(&self, i: SourceId) -> Context {
        let site = self.site;
        let s = site.source(i);
        let link = s
            .doi
            .as_ref()
            .map(|d| format!("https://doi.org/{d}"))
            .or_else(|| s.url.clone());
        let annotated_by: Vec<LinkView> = site
            .annotated_by
            .get(&i)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&j| self.link(Route::Essay(j), &site.essay(j).title))
            .collect();
        let uses = self.grouped(Target::Source(i));
        let (companion, unlocated) = self.companion(i);
        let mut ctx = self.ctx(&Route::Source(i));
        ctx.insert("companion", &companion);
        ctx.insert(
            "text_url",
            &site.text_of.get(&i).map(|&t| self.href(&Route::Text(t))),
        );
        ctx.insert("unlocated", &unlocated);
        ctx.insert(
            "source",
            &self.source_row(i, site.uses(Target::Source(i)).len()),
        );
        ctx.insert("title", &s.title);
        ctx.insert("link", &link);
        ctx.insert("uses", &uses);
        ctx.insert("annotated_by", &annotated_by);
        let mut cite = self.cite_view(
            &s.record,
            None,
            site.routes.path(&Route::Source(i))["citations/".len()..].trim_end_matches('/'),
            Some(s.html.clone()),
        );
        cite.meta = Vec::new(); // the page is about the source, not published with it
        ctx.insert("cite", &cite);
        ctx
    }
}

/// A name as written in book.toml or front matter: `Family, Given` is a person; anything
/// else is kept whole (`Scholion editors`, `Jane Doe`), so it is never split wrongly.
fn person(name: &str) -> Name {
    match name.split_once(',') {
        Some((family, given)) if !given.trim().is_empty() => Name {
            family: family.trim().to_string(),
            given: Some(given.trim().to_string()),
        },
        _ => Name::literal(name.trim()),
    }
}

/// A locator range longer than this many paragraphs puts its card beside its first only.
const MAX_COMMENTED_RANGE: u32 = 50;

/// One passage of commentary beside a text's paragraph: where it is, and its sentence.
fn commentary_card(title: &str, u: &UseView<'_>) -> String {
    let clip = |s: &str, max: usize, from_end: bool| -> String {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() <= max {
            return s.to_string();
        }
        if from_end {
            format!("…{}", chars[chars.len() - max..].iter().collect::<String>())
        } else {
            format!("{}…", chars[..max].iter().collect::<String>())
        }
    };
    format!(
        "<li><a href=\"{}\">{}{}</a> <span class=\"commentary-context\">{}<mark>{}</mark>{}</span></li>",
        escape(&u.href),
        escape(title),
        u.section
            .map(|s| format!(" § {}", escape(s)))
            .unwrap_or_default(),
        escape(&clip(&u.before, 90, true)),
        u.label_html,
        escape(&clip(&u.after, 90, false)),
    )
}

/// A document's kind, as the templates name it.
fn doc_kind(doc: DocId) -> &'static str {
    match doc {
        DocId::Home => "home",
        DocId::Essay(_) => "essay",
        DocId::Term(_) => "term",
        DocId::Text(_) => "text",
    }
}

/// The sitemap's order: home, essays, glossary, terms, citations, sources, topics, topic pages.
fn sitemap_rank(route: &Route) -> (u8, usize) {
    match route {
        Route::Home => (0, 0),
        Route::Essay(i) => (1, i.0),
        Route::Glossary => (2, 0),
        Route::Term(i) => (3, i.0),
        Route::Citations => (4, 0),
        Route::Source(i) => (5, i.0),
        Route::Tags => (6, 0),
        Route::Tag(i) => (7, i.0),
        Route::StudyGuide => (8, 0),
        Route::Text(i) => (9, i.0),
        _ => (10, 0),
    }
}

fn site_context(site: &Site) -> Context {
    let mut ctx = Context::new();
    ctx.insert(
        "site",
        &SiteView {
            title: &site.config.book.title,
            description: &site.config.book.description,
            authors: &site.config.book.authors,
            language: &site.translations.language,
            dir: site.translations.dir(),
            base: site.base_path().to_string(),
            url: site.config.site_url(),
            generator: concat!("Scholion ", env!("CARGO_PKG_VERSION")),
            has_glossary: !site.content.terms.is_empty(),
            has_sources: !site.bib.is_empty(),
            has_tags: !site.tags.is_empty(),
            has_guide: site
                .published_essays()
                .any(|i| !site.essay(i).questions.is_empty()),
            has_editions: site.config.build.editions,
            urls: SiteUrls {
                home: site.href(&Route::Home),
                glossary: site.href(&Route::Glossary),
                citations: site.href(&Route::Citations),
                tags: site.href(&Route::Tags),
                guide: site.href(&Route::StudyGuide),
                print: site.href(&Route::Print),
                epub: site.href(&Route::Epub),
                search: site.href(&Route::Search),
                feed: site.href(&Route::Feed),
                style: site.href(&Route::Static("style.css".into())),
                script: site.href(&Route::Static("scholion.js".into())),
                search_js: site.href(&Route::Static("search.js".into())),
            },
        },
    );
    ctx.insert("t", &TableView(&site.translations.table));
    ctx
}

/// The translation table for templates: `t.glossary` (a string), `t.months` (a list),
/// `t.uses` (plural forms, for the `count` filter).
struct TableView<'a>(&'a BTreeMap<String, crate::i18n::Text>);

impl Serialize for TableView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use crate::i18n::Text;
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            match v {
                Text::Str(s) => map.serialize_entry(k, s)?,
                Text::List(l) => map.serialize_entry(k, l)?,
                Text::Forms(f) => map.serialize_entry(k, f)?,
            }
        }
        map.end()
    }
}

/// The strings search.js shows, as JSON for a `<script type="application/json">` (with `<`
/// escaped, so no text can close the element).
fn search_strings(site: &Site) -> String {
    const KEYS: &[&str] = &[
        "searching",
        "type_more",
        "no_results",
        "results",
        "best_shown",
        "unavailable",
        "kind_essay",
        "kind_term",
        "kind_source",
    ];
    let table = &site.translations.table;
    let subset: BTreeMap<&str, &crate::i18n::Text> = KEYS
        .iter()
        .filter_map(|k| table.get(*k).map(|v| (*k, v)))
        .collect();
    let owned: BTreeMap<String, crate::i18n::Text> = subset
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    serde_json::to_string(&TableView(&owned))
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// Text for the inside of a CSS string in a `<style>` element: every character that could
/// end the string, the rule or the element (`"`, `\\`, `<`, `>`, `&`, line breaks, controls)
/// as a CSS escape.
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric()
            || matches!(
                c,
                ' ' | ',' | '.' | ':' | ';' | '-' | '!' | '?' | '\'' | '(' | ')'
            )
        {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", u32::from(c)));
        }
    }
    out
}

/// A locator as shown: its abbreviated word, plural when the value is a range or a list
/// (`p. 3`, `pp. 10–12`, `paras. 18–19`), and the value.
fn locator_text(kind: markdown::LocatorKind, value: &str) -> String {
    use markdown::LocatorKind as L;
    let plural = value.contains(['-', '–', '—', ',', '&']);
    let word = match (kind, plural) {
        (L::Page, false) => "p.",
        (L::Page, true) => "pp.",
        (L::Chapter, false) => "ch.",
        (L::Chapter, true) => "chs.",
        (L::Section, false) => "sec.",
        (L::Section, true) => "secs.",
        (L::Paragraph, false) => "para.",
        (L::Paragraph, true) => "paras.",
        (L::Volume, false) => "vol.",
        (L::Volume, true) => "vols.",
        (L::Figure, false) => "fig.",
        (L::Figure, true) => "figs.",
        (L::Note, false) => "n.",
        (L::Note, true) => "nn.",
        (L::Line, false) => "l.",
        (L::Line, true) => "ll.",
        (L::Column, _) => "col.",
        (L::Book, _) => "bk.",
        (L::Part, _) => "pt.",
        (L::Verse, false) => "v.",
        (L::Verse, true) => "vv.",
        (L::Act, _) => "act",
        (L::Appendix, _) => "app.",
        (L::Canon, _) => "can.",
        (L::Equation, _) => "eq.",
        (L::Folio, _) => "fol.",
        (L::Issue, _) => "no.",
        (L::Opus, _) => "op.",
        (L::Rule, _) => "r.",
        (L::Scene, _) => "sc.",
        (L::SubVerbo, _) => "s.v.",
        (L::Supplement, _) => "supp.",
        (L::Timestamp, _) => "at",
        (L::Title, _) => "tit.",
        (L::Table, _) => "table",
    };
    format!("{word} {}", value.replace('-', "–"))
}

#[cfg(test)]
mod tests {
    use super::css_string;

    #[test]
    fn a_running_head_cannot_end_its_string_rule_or_style_element() {
        let title = "A \"Reader\" \\ </style><script>x</script> & {}; 网络";
        let css = css_string(title);
        for bad in ['"', '<', '>', '{', '}', '&'] {
            assert!(!css.contains(bad), "{css}");
        }
        // Backslashes appear only as CSS escapes (`\5c ` for the title's own).
        assert!(css.contains("\\22 Reader\\22 "), "{css}");
        assert!(css.contains("\\5c "), "{css}");
        assert!(css.ends_with("网络"), "{css}");
    }
}
