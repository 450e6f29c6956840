//! The render stage: one page at a time, in parallel, from the index. Pure: it reads the
//! `Site` and the compiled `Theme` and hands `(path, bytes)` to its caller; it never touches
//! the disk. The view structs below are the only `Serialize` types of the crate.

pub mod filters;
pub mod search;
pub mod theme;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::diagnostics::Diagnostic;
use crate::index::{DocId, Site, Target, UseRef};
use crate::markdown::{self, ResolvedUse, escape};
pub use theme::Theme;

/// One output file: its path under the output folder (`essays/x/index.html`) and bytes.
pub type Page = (String, Vec<u8>);

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    authors: &'a [String],
    language: &'a str,
    base: String,
    url: String,
    generator: &'static str,
    has_glossary: bool,
    has_sources: bool,
    has_tags: bool,
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
    before: &'a str,
    label: &'a str,
    label_html: std::borrow::Cow<'a, str>,
    after: &'a str,
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
    renderer: &'a Renderer<'a>,
    term: usize,
    titles: &'a DocTitles,
}

/// Every document's title as a template value, made once per glossary index (a clone is a
/// reference count, not a copy).
struct DocTitles {
    home: tera::Value,
    essays: Vec<tera::Value>,
    terms: Vec<tera::Value>,
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
        let uses = site
            .uses_of
            .get(&Target::Term(self.term))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut seq = serializer.serialize_seq(Some(uses.len()))?;
        let mut href = String::new();
        let mut doc_url: Option<(DocId, String)> = None;
        for u in uses {
            if doc_url.as_ref().is_none_or(|(d, _)| *d != u.doc) {
                doc_url = Some((u.doc, site.doc_url(u.doc)));
            }
            href.clear();
            let url = doc_url.as_ref().map_or("", |(_, url)| url.as_str());
            let _ = write!(href, "{url}#use_{}", u.index);
            let scan = site.scan(u.doc);
            let title = match u.doc {
                DocId::Home => &self.titles.home,
                DocId::Essay(i) => &self.titles.essays[i],
                DocId::Term(i) => &self.titles.terms[i],
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
    terms: Vec<IndexRow<'a>>,
}

#[derive(Serialize)]
struct SourceRow {
    key: String,
    url: String,
    html: String,
    count: usize,
}

/// Render every page of the site. Pages go to `emit` as they are made (in parallel);
/// template errors are returned as diagnostics.
pub fn render_site(site: &Site, theme: &Theme, emit: &(dyn Fn(Page) + Sync)) -> Vec<Diagnostic> {
    let r = Renderer {
        site,
        theme,
        base: site_context(site),
    };
    let errors = std::sync::Mutex::new(Vec::new());
    let run = |job: &Job| {
        let t = std::time::Instant::now();
        let res = r.job(job, emit);
        if !matches!(
            job,
            Job::Essay(_) | Job::Term(_) | Job::Source(_) | Job::Tag(_)
        ) {
            crate::pipeline::timing(&format!("{job:?}"), t);
        }
        if let Err(d) = res {
            errors.lock().unwrap_or_else(|e| e.into_inner()).push(d);
        }
    };
    let mut jobs: Vec<Job> = vec![
        Job::Home,
        Job::Glossary,
        Job::Citations,
        Job::Tags,
        Job::Search,
        Job::NotFound,
        Job::Feed,
        Job::Sitemap,
        Job::Statics,
    ];
    jobs.extend(site.published_essays().map(Job::Essay));
    jobs.extend((0..site.content.terms.len()).map(Job::Term));
    jobs.extend((0..site.bib.len()).map(Job::Source));
    jobs.extend(site.tags.keys().cloned().map(Job::Tag));
    jobs.par_iter().for_each(run);
    let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    errors.sort_by(|a, b| a.message.cmp(&b.message));
    errors.dedup();
    errors
}

/// Render the page at output path `rel` (e.g. `essays/x/index.html`), and whatever else the
/// same job makes (the search index is made whole), for `serve`'s on-demand rendering.
/// `None` when no page lives at that path.
pub fn render_path(site: &Site, theme: &Theme, rel: &str) -> Option<Result<Vec<Page>, Diagnostic>> {
    let job = job_for(site, rel)?;
    let r = Renderer {
        site,
        theme,
        base: site_context(site),
    };
    let pages = std::sync::Mutex::new(Vec::new());
    let result = r.job(&job, &|page: Page| {
        pages.lock().unwrap_or_else(|e| e.into_inner()).push(page)
    });
    Some(result.map(|()| pages.into_inner().unwrap_or_else(|e| e.into_inner())))
}

/// Which job makes the file at output path `rel`.
fn job_for(site: &Site, rel: &str) -> Option<Job> {
    let parts: Vec<&str> = rel.split('/').collect();
    Some(match parts.as_slice() {
        ["index.html"] => Job::Home,
        ["essays", slug, "index.html"] => Job::Essay(
            site.published_essays()
                .find(|&i| site.content.essays[i].slug == *slug)?,
        ),
        ["glossary", "index.html"] => Job::Glossary,
        ["glossary", slug, "index.html"] => Job::Term(*site.term_slugs.get(*slug)?),
        ["citations", "index.html"] => Job::Citations,
        ["citations", seg, "index.html"] => Job::Source(
            site.bib
                .sources
                .iter()
                .position(|s| crate::index::url_segment(&s.key) == *seg)?,
        ),
        ["tags", "index.html"] => Job::Tags,
        ["tags", slug, "index.html"] if site.tags.contains_key(*slug) => Job::Tag(slug.to_string()),
        ["search", ..] => Job::Search,
        ["404.html"] | [".nojekyll"] => Job::NotFound,
        ["atom.xml"] => Job::Feed,
        ["sitemap.xml"] => Job::Sitemap,
        ["static", ..] => Job::Statics,
        _ => return None,
    })
}

/// Output paths of one page of each template, rendered eagerly by `serve` so a template
/// error shows at once rather than on the next click.
pub fn sample_paths(site: &Site) -> Vec<String> {
    let mut paths = vec![
        "index.html".to_string(),
        "glossary/index.html".into(),
        "citations/index.html".into(),
        "tags/index.html".into(),
        "404.html".into(),
        "atom.xml".into(),
        "sitemap.xml".into(),
    ];
    if let Some(i) = site.published_essays().next() {
        paths.push(format!("essays/{}/index.html", site.content.essays[i].slug));
    }
    if let Some(t) = site.content.terms.first() {
        paths.push(format!("glossary/{}/index.html", t.slug));
    }
    if let Some(s) = site.bib.sources.first() {
        paths.push(format!(
            "citations/{}/index.html",
            crate::index::url_segment(&s.key)
        ));
    }
    if let Some(t) = site.tags.keys().next() {
        paths.push(format!("tags/{t}/index.html"));
    }
    paths
}

fn site_context(site: &Site) -> Context {
    let mut ctx = Context::new();
    ctx.insert(
        "site",
        &SiteView {
            title: &site.config.book.title,
            description: &site.config.book.description,
            authors: &site.config.book.authors,
            language: &site.config.book.language,
            base: site.base_path().to_string(),
            url: site.config.site_url(),
            generator: concat!("Scholion ", env!("CARGO_PKG_VERSION")),
            has_glossary: !site.content.terms.is_empty(),
            has_sources: !site.bib.is_empty(),
            has_tags: !site.tags.is_empty(),
        },
    );
    ctx
}

#[derive(Debug)]
enum Job {
    Home,
    Essay(usize),
    Term(usize),
    Source(usize),
    Tag(String),
    Glossary,
    Citations,
    Tags,
    Search,
    NotFound,
    Feed,
    Sitemap,
    Statics,
}

struct Renderer<'a> {
    site: &'a Site,
    theme: &'a Theme,
    base: Context,
}

fn page_path(url_path: &str) -> String {
    format!("{url_path}index.html")
}

impl Renderer<'_> {
    fn ctx(&self) -> Context {
        self.base.clone()
    }

    fn render(&self, template: &str, ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        let mut out = Vec::with_capacity(16 * 1024);
        self.theme
            .tera
            .render_to(template, ctx, &mut out)
            .map_err(|e| theme::template_error(&e, &self.theme.sources, &self.theme.templates))?;
        Ok(out)
    }

    /// A URL's path below the base path, as an output path.
    fn out_path(&self, url: &str) -> String {
        let base = self.site.base_path();
        let rel = url.strip_prefix(base).unwrap_or(url);
        page_path(rel)
    }

    fn job(&self, job: &Job, emit: &(dyn Fn(Page) + Sync)) -> Result<(), Diagnostic> {
        let site = self.site;
        match job {
            Job::Home => {
                let mut ctx = self.ctx();
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
                emit(("index.html".into(), self.render("home.html", &ctx)?));
            }
            Job::Essay(i) => {
                let bytes = self.essay(*i)?;
                emit((self.out_path(&site.essay_url(*i)), bytes));
            }
            Job::Term(i) => {
                let bytes = self.term(*i)?;
                emit((self.out_path(&site.term_url(*i)), bytes));
            }
            Job::Source(i) => {
                let bytes = self.source(*i)?;
                emit((self.out_path(&site.source_url(*i)), bytes));
            }
            Job::Tag(slug) => {
                let (name, essays) = &site.tags[slug];
                let mut ctx = self.ctx();
                ctx.insert(
                    "tag",
                    &LinkView {
                        title: name.clone(),
                        url: format!("{}tags/{slug}/", site.base_path()),
                    },
                );
                ctx.insert("essays", &self.essay_cards(essays.iter().copied()));
                emit((
                    format!("tags/{slug}/index.html"),
                    self.render("tag.html", &ctx)?,
                ));
            }
            Job::Tags => {
                let mut ctx = self.ctx();
                ctx.insert("tags", &self.tag_views());
                emit(("tags/index.html".into(), self.render("tags.html", &ctx)?));
            }
            Job::Glossary => {
                let titles = DocTitles {
                    home: tera::Value::from(site.doc_title(DocId::Home)),
                    essays: (0..site.content.essays.len())
                        .map(|i| tera::Value::from(site.content.essays[i].title.as_str()))
                        .collect(),
                    terms: (0..site.content.terms.len())
                        .map(|i| tera::Value::from(site.content.terms[i].name.as_str()))
                        .collect(),
                };
                let rows: Vec<IndexRow> = (0..site.content.terms.len())
                    .map(|i| {
                        let term = &site.content.terms[i];
                        IndexRow {
                            name: &term.name,
                            slug: &term.slug,
                            url: site.term_url(i),
                            short: self.short(i),
                            aliases: term.aliases.iter().map(|a| a.value.as_str()).collect(),
                            original: original_view(term),
                            count: site.uses_of.get(&Target::Term(i)).map_or(0, Vec::len),
                            uses: IndexUses {
                                renderer: self,
                                term: i,
                                titles: &titles,
                            },
                        }
                    })
                    .collect();
                let mut letters: BTreeMap<String, Vec<IndexRow>> = BTreeMap::new();
                for row in rows {
                    let letter = row
                        .name
                        .chars()
                        .next()
                        .map(|c| c.to_uppercase().collect::<String>())
                        .filter(|c| c.chars().all(char::is_alphabetic))
                        .unwrap_or_else(|| "#".into());
                    letters.entry(letter).or_default().push(row);
                }
                let letters: Vec<LetterGroup> = letters
                    .into_iter()
                    .map(|(letter, terms)| LetterGroup { letter, terms })
                    .collect();
                let mut ctx = self.ctx();
                ctx.insert("letters", &letters);
                ctx.insert("count", &site.content.terms.len());
                emit((
                    "glossary/index.html".into(),
                    self.render("glossary.html", &ctx)?,
                ));
            }
            Job::Citations => {
                let rows: Vec<SourceRow> = site
                    .bib
                    .sources
                    .iter()
                    .enumerate()
                    .map(|(i, s)| SourceRow {
                        key: s.key.clone(),
                        url: site.source_url(i),
                        html: s.html.clone(),
                        count: site.uses_of.get(&Target::Source(i)).map_or(0, Vec::len),
                    })
                    .collect();
                let mut ctx = self.ctx();
                ctx.insert("sources", &rows);
                emit((
                    "citations/index.html".into(),
                    self.render("citations.html", &ctx)?,
                ));
            }
            Job::Search => {
                let ctx = self.ctx();
                emit((
                    "search/index.html".into(),
                    self.render("search.html", &ctx)?,
                ));
                for page in search::index_files(site) {
                    emit(page);
                }
            }
            Job::NotFound => {
                let ctx = self.ctx();
                emit(("404.html".into(), self.render("404.html", &ctx)?));
                emit((".nojekyll".into(), Vec::new()));
            }
            Job::Feed => {
                let mut essays: Vec<usize> = site.published_essays().collect();
                essays.sort_by(|a, b| {
                    let (ea, eb) = (&site.content.essays[*a], &site.content.essays[*b]);
                    eb.date.cmp(&ea.date).then_with(|| ea.slug.cmp(&eb.slug))
                });
                let updated = essays
                    .iter()
                    .filter_map(|&i| site.content.essays[i].date)
                    .max()
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "1970-01-01".into());
                let mut ctx = self.ctx();
                ctx.insert("essays", &self.essay_cards(essays.into_iter()));
                ctx.insert("updated", &updated);
                emit(("atom.xml".into(), self.render("atom.xml", &ctx)?));
            }
            Job::Sitemap => {
                let url = site.config.site_url();
                let base = site.base_path();
                let abs = |u: &str| format!("{}{}", url, u.strip_prefix(base).unwrap_or(u));
                let mut urls = vec![abs(base)];
                urls.extend(site.published_essays().map(|i| abs(&site.essay_url(i))));
                urls.push(abs(&format!("{base}glossary/")));
                urls.extend((0..site.content.terms.len()).map(|i| abs(&site.term_url(i))));
                urls.push(abs(&format!("{base}citations/")));
                urls.extend((0..site.bib.len()).map(|i| abs(&site.source_url(i))));
                urls.push(abs(&format!("{base}tags/")));
                urls.extend(site.tags.keys().map(|t| abs(&format!("{base}tags/{t}/"))));
                let mut ctx = self.ctx();
                ctx.insert("urls", &urls);
                emit(("sitemap.xml".into(), self.render("sitemap.xml", &ctx)?));
            }
            Job::Statics => {
                for (path, bytes) in &self.theme.statics {
                    emit((format!("static/{path}"), bytes.clone()));
                }
            }
        }
        Ok(())
    }

    fn markdown(&self, doc: DocId) -> markdown::Rendered {
        let file = self.site.file(doc);
        let bib = &self.site.bib;
        let annotated = markdown::annotate(file.body(), &|k| bib.contains(k));
        let empty = Vec::new();
        let resolved = self.site.resolved.get(&doc).unwrap_or(&empty);
        markdown::render(annotated.nodes, resolved, &bib.cite_style)
    }

    fn cards(&self, ids: &std::collections::BTreeSet<String>) -> Vec<CardView> {
        let site = self.site;
        ids.iter()
            .filter_map(|id| {
                if let Some(slug) = id.strip_prefix("term:") {
                    let i = *site.term_slugs.get(slug)?;
                    let term = &site.content.terms[i];
                    Some(CardView {
                        id: id.clone(),
                        kind: "term",
                        title: term.name.clone(),
                        html: escape(&self.short(i)),
                        url: site.term_url(i),
                    })
                } else {
                    let key = id.strip_prefix("cite:")?;
                    let i = site.bib.index_of(key)?;
                    Some(CardView {
                        id: id.clone(),
                        kind: "source",
                        title: site.bib.sources[i].title.clone(),
                        html: site.bib.sources[i].html.clone(),
                        url: site.source_url(i),
                    })
                }
            })
            .collect()
    }

    fn short(&self, i: usize) -> String {
        let term = &self.site.content.terms[i];
        term.short
            .clone()
            .unwrap_or_else(|| self.site.term_scans[i].first_paragraph.clone())
    }

    fn summary(&self, i: usize) -> String {
        let e = &self.site.content.essays[i];
        e.summary.clone().unwrap_or_else(|| {
            let p = &self.site.essay_scans[i].first_paragraph;
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

    fn tag_views(&self) -> Vec<TagView> {
        self.site
            .tags
            .iter()
            .map(|(slug, (name, essays))| TagView {
                name: name.clone(),
                url: format!("{}tags/{slug}/", self.site.base_path()),
                count: essays.len(),
            })
            .collect()
    }

    fn essay_cards(&self, essays: impl Iterator<Item = usize>) -> Vec<EssayCard> {
        let site = self.site;
        let url = site.config.site_url();
        let base = site.base_path();
        essays
            .map(|i| {
                let e = &site.content.essays[i];
                let rel = site.essay_url(i);
                EssayCard {
                    title: e.title.clone(),
                    subtitle: e.subtitle.clone(),
                    abs_url: format!("{}{}", url, rel.strip_prefix(base).unwrap_or(&rel)),
                    url: rel,
                    summary: self.summary(i),
                    date: e.date.map(|d| d.to_string()),
                    authors: e.authors.clone(),
                    minutes: site.essay_scans[i].words.div_ceil(230).max(1),
                    tags: e
                        .tags
                        .iter()
                        .map(|t| TagView {
                            name: t.clone(),
                            url: format!("{base}tags/{}/", crate::index::tag_slug(t)),
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
            markdown::UseKind::Cite(item) => item
                .locator
                .as_ref()
                .map(|(k, v)| format!("{} {v}", locator_label(*k))),
            _ => None,
        };
        let label_html = match site.resolved.get(&u.doc).and_then(|r| r.get(u.index)) {
            Some(ResolvedUse::Cite { html, .. }) if the_use.context.label.is_empty() => {
                // Shown as in the essay: "(Ludwig 2015)" inside the sentence.
                match &the_use.kind {
                    markdown::UseKind::Cite(item) if !item.narrative => {
                        let style = &site.bib.cite_style;
                        let space = if the_use.context.before.is_empty() {
                            ""
                        } else {
                            " "
                        };
                        format!(
                            "{space}{}{html}{}",
                            escape(&style.open),
                            escape(&style.close)
                        )
                        .into()
                    }
                    _ => html.as_str().into(),
                }
            }
            Some(ResolvedUse::Link {
                display: Some(display),
                ..
            }) => escape(display).into(),
            _ => escape(&the_use.context.label).into(),
        };
        UseView {
            href: format!("{doc_url}#use_{}", u.index),
            section,
            before: &the_use.context.before,
            label: &the_use.context.label,
            label_html,
            after: &the_use.context.after,
            locator,
        }
    }

    /// The uses of `target`, grouped by document (the use-map lists a document's uses
    /// together), each with its sentence.
    fn grouped(&self, target: Target) -> Vec<UsesByDoc<'_>> {
        let site = self.site;
        let mut groups: Vec<UsesByDoc> = Vec::new();
        let mut last: Option<DocId> = None;
        for u in site.uses_of.get(&target).map(Vec::as_slice).unwrap_or(&[]) {
            if last != Some(u.doc) {
                groups.push(UsesByDoc {
                    title: site.doc_title(u.doc),
                    url: site.doc_url(u.doc),
                    kind: match u.doc {
                        DocId::Home => "home",
                        DocId::Essay(_) => "essay",
                        DocId::Term(_) => "term",
                    },
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

    /// A term for a page, with `uses` (empty where the page lists none).
    fn term_row<'s>(&'s self, i: usize, uses: Vec<UsesByDoc<'s>>) -> TermRow<'s> {
        let site = self.site;
        let term = &site.content.terms[i];
        TermRow {
            name: term.name.clone(),
            slug: term.slug.clone(),
            url: site.term_url(i),
            short: self.short(i),
            aliases: term.aliases.iter().map(|a| a.value.clone()).collect(),
            original: original_view(term),
            count: site.uses_of.get(&Target::Term(i)).map_or(0, Vec::len),
            uses,
        }
    }

    fn essay(&self, i: usize) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let e = &site.content.essays[i];
        let rendered = self.markdown(DocId::Essay(i));
        let published = &site.published;
        let pos = site.published_pos[i];
        let link = |j: usize| LinkView {
            title: site.content.essays[j].title.clone(),
            url: site.essay_url(j),
        };
        let prev = pos
            .and_then(|p| p.checked_sub(1))
            .map(|p| link(published[p]));
        let next = pos.and_then(|p| published.get(p + 1)).map(|&j| link(j));
        // Linked from: documents with a use targeting this essay (in document order).
        // The use-map lists a document's uses together, so one look back deduplicates
        // (an essay linked from 10,000 places stays linear).
        let mut linked_from: Vec<LinkView> = Vec::new();
        let mut last: Option<DocId> = None;
        for u in site
            .uses_of
            .get(&Target::Essay(i))
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if u.doc != DocId::Essay(i) && last != Some(u.doc) {
                linked_from.push(LinkView {
                    title: site.doc_title(u.doc),
                    url: site.doc_url(u.doc),
                });
            }
            last = Some(u.doc);
        }
        // Terms used and works cited, from this essay's resolved uses.
        let mut terms: Vec<usize> = Vec::new();
        let mut cited: Vec<usize> = Vec::new();
        let targets = site
            .use_targets
            .get(&DocId::Essay(i))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for target in targets.iter().flatten() {
            match *target {
                Target::Source(k) if !cited.contains(&k) => cited.push(k),
                Target::Term(t) if !terms.contains(&t) => terms.push(t),
                _ => {}
            }
        }
        cited.sort_unstable(); // bibliography order is the style's order
        terms.sort_unstable();
        let annotates = e
            .annotates
            .as_ref()
            .and_then(|a| site.bib.index_of(&a.value))
            .map(|k| SourceRow {
                key: site.bib.sources[k].key.clone(),
                url: site.source_url(k),
                html: site.bib.sources[k].html.clone(),
                count: 0,
            });
        let references: Vec<SourceRow> = cited
            .into_iter()
            .map(|k| SourceRow {
                key: site.bib.sources[k].key.clone(),
                url: site.source_url(k),
                html: site.bib.sources[k].html.clone(),
                count: 0,
            })
            .collect();
        let terms_used: Vec<TermRow> = terms
            .into_iter()
            .map(|t| self.term_row(t, Vec::new()))
            .collect();
        let card = &self.essay_cards(std::iter::once(i))[0];
        let mut ctx = self.ctx();
        ctx.insert("essay", card);
        ctx.insert("html", &rendered.html);
        ctx.insert("toc", &rendered.toc);
        ctx.insert("cards", &self.cards(&rendered.cards));
        ctx.insert("prev", &prev);
        ctx.insert("next", &next);
        ctx.insert("linked_from", &linked_from);
        ctx.insert("terms_used", &terms_used);
        ctx.insert("references", &references);
        ctx.insert("annotates", &annotates);
        ctx.insert("extra", &e.extra);
        let inline = |items: &Vec<String>| -> Vec<String> {
            items.iter().map(|q| markdown::inline_html(q)).collect()
        };
        ctx.insert("questions", &inline(&e.questions));
        ctx.insert("objectives", &inline(&e.objectives));
        self.render("essay.html", &ctx)
    }

    fn term(&self, i: usize) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let term = &site.content.terms[i];
        let rendered = self.markdown(DocId::Term(i));
        let slugs = &site.term_slugs;
        let mut see_also: Vec<usize> = term
            .see_also
            .iter()
            .filter_map(|s| slugs.get(s.value.as_str()).copied())
            .collect();
        for &j in site.see_also_from.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
            if !see_also.contains(&j) {
                see_also.push(j);
            }
        }
        see_also.retain(|&j| j != i);
        let see_also: Vec<LinkView> = see_also
            .into_iter()
            .map(|j| LinkView {
                title: site.content.terms[j].name.clone(),
                url: site.term_url(j),
            })
            .collect();
        let mut ctx = self.ctx();
        let uses = self.grouped(Target::Term(i));
        ctx.insert("term", &self.term_row(i, uses));
        ctx.insert("html", &rendered.html);
        ctx.insert("cards", &self.cards(&rendered.cards));
        ctx.insert("see_also", &see_also);
        self.render("term.html", &ctx)
    }

    fn source(&self, i: usize) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let s = &site.bib.sources[i];
        let link = s
            .doi
            .as_ref()
            .map(|d| format!("https://doi.org/{d}"))
            .or_else(|| s.url.clone());
        let annotated_by: Vec<LinkView> = site
            .annotated_by
            .get(&i)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&j| LinkView {
                title: site.content.essays[j].title.clone(),
                url: site.essay_url(j),
            })
            .collect();
        let uses = self.grouped(Target::Source(i));
        let mut ctx = self.ctx();
        ctx.insert(
            "source",
            &SourceRow {
                key: s.key.clone(),
                url: site.source_url(i),
                html: s.html.clone(),
                count: site.uses_of.get(&Target::Source(i)).map_or(0, Vec::len),
            },
        );
        ctx.insert("title", &s.title);
        ctx.insert("link", &link);
        ctx.insert("uses", &uses);
        ctx.insert("annotated_by", &annotated_by);
        self.render("source.html", &ctx)
    }
}

fn locator_label(kind: markdown::LocatorKind) -> &'static str {
    use markdown::LocatorKind as L;
    match kind {
        L::Page => "p.",
        L::Chapter => "ch.",
        L::Section => "sec.",
        L::Paragraph => "para.",
        L::Volume => "vol.",
        L::Figure => "fig.",
        L::Note => "n.",
        L::Line => "l.",
        L::Column => "col.",
        L::Book => "bk.",
        L::Part => "pt.",
        L::Verse => "v.",
        L::Table => "table",
    }
}
