//! The index stage: everything that needs the whole corpus. It owns the namespace of
//! essays and terms, the bibliography, and the one use-map of the site: every
//! cross-reference and citation recorded once (document, section, per-use anchor), resolved,
//! and inverted into target → uses. Glossary pages, source pages, "Linked from" and the
//! unused-term / uncited-source warnings all read that one map.

pub mod bibliography;
mod format_cache;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Content, DocKind, SourceFile};
use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
use crate::markdown::{self, ResolvedUse, Scan, UseKind};
pub use bibliography::{Bibliography, Source};

/// A document of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocId {
    Home,
    Essay(usize),
    Term(usize),
}

/// Something a use points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Essay(usize),
    Term(usize),
    Source(usize),
}

/// One entry of the use-map: document `doc`'s use number `index` (anchor `use_{index}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UseRef {
    pub doc: DocId,
    pub index: usize,
}

/// Options that change what is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    pub drafts: bool,
}

/// The loaded, indexed site: input of the render stage.
pub struct Site {
    pub root: PathBuf,
    /// `config.base_path()`, kept (every URL of every page starts with it).
    base: String,
    pub config: Config,
    pub content: Content,
    pub bib: Arc<Bibliography>,
    pub options: BuildOptions,
    /// Scan results, by document.
    pub home_scan: Option<Arc<Scan>>,
    pub essay_scans: Vec<Arc<Scan>>,
    pub term_scans: Vec<Arc<Scan>>,
    /// How each use resolved, by document and use number.
    pub resolved: HashMap<DocId, Vec<ResolvedUse>>,
    /// The use-map, inverted: target → uses, in document then source order.
    pub uses_of: HashMap<Target, Vec<UseRef>>,
    /// Topic slug → (display name, essays in reading order).
    pub tags: BTreeMap<String, (String, Vec<usize>)>,
    /// Terms whose `see-also` names each term (the other direction).
    pub see_also_from: HashMap<usize, Vec<usize>>,
    /// Built essays in reading order, and each essay's position in that list.
    pub published: Vec<usize>,
    pub published_pos: Vec<Option<usize>>,
    /// Glossary slug → term.
    pub term_slugs: HashMap<String, usize>,
    /// What each use of a built document resolved to (the use-map, forwards).
    pub use_targets: HashMap<DocId, Vec<Option<Target>>>,
    /// Source → built essays whose `annotates` names it.
    pub annotated_by: HashMap<usize, Vec<usize>>,
}

impl Site {
    /// The URL path the site lives under (`/` or `/reader/`), computed once.
    pub fn base_path(&self) -> &str {
        &self.base
    }

    /// Whether an essay is built (drafts only with `--drafts`).
    pub fn is_published(&self, essay: usize) -> bool {
        self.options.drafts || !self.content.essays[essay].draft
    }

    pub fn published_essays(&self) -> impl Iterator<Item = usize> + '_ {
        self.published.iter().copied()
    }

    pub fn file(&self, doc: DocId) -> &SourceFile {
        match doc {
            DocId::Home => &self.content.home.as_ref().expect("home exists").file,
            DocId::Essay(i) => &self.content.essays[i].file,
            DocId::Term(i) => &self.content.terms[i].file,
        }
    }

    pub fn scan(&self, doc: DocId) -> &Scan {
        match doc {
            DocId::Home => self.home_scan.as_ref().expect("home scanned"),
            DocId::Essay(i) => &self.essay_scans[i],
            DocId::Term(i) => &self.term_scans[i],
        }
    }

    /// Every document that is built, in a stable order.
    pub fn built_docs(&self) -> Vec<DocId> {
        let mut docs = Vec::new();
        if self.content.home.is_some() {
            docs.push(DocId::Home);
        }
        docs.extend(self.published_essays().map(DocId::Essay));
        docs.extend((0..self.content.terms.len()).map(DocId::Term));
        docs
    }

    pub fn essay_url(&self, i: usize) -> String {
        format!(
            "{}essays/{}/",
            self.base_path(),
            self.content.essays[i].slug
        )
    }

    pub fn term_url(&self, i: usize) -> String {
        format!(
            "{}glossary/{}/",
            self.base_path(),
            self.content.terms[i].slug
        )
    }

    pub fn source_url(&self, i: usize) -> String {
        format!(
            "{}citations/{}/",
            self.base_path(),
            url_segment(&self.bib.sources[i].key)
        )
    }

    pub fn doc_url(&self, doc: DocId) -> String {
        match doc {
            DocId::Home => self.base_path().to_string(),
            DocId::Essay(i) => self.essay_url(i),
            DocId::Term(i) => self.term_url(i),
        }
    }

    pub fn doc_title(&self, doc: DocId) -> String {
        match doc {
            DocId::Home => self
                .content
                .home
                .as_ref()
                .and_then(|h| h.title.clone())
                .unwrap_or_else(|| self.config.book.title.clone()),
            DocId::Essay(i) => self.content.essays[i].title.clone(),
            DocId::Term(i) => self.content.terms[i].name.clone(),
        }
    }
}

/// A citation key as a URL path segment (keys may hold `:` or `/`).
pub fn url_segment(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The tag slug used in `/tags/<slug>/`.
pub fn tag_slug(tag: &str) -> String {
    let s = slug::slugify(tag);
    if s.is_empty() { "tag".into() } else { s }
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

/// Scans kept between rebuilds (for `serve`), keyed by a document's body and the set of
/// bibliography keys (narrative `@key` depends on it). A scan is a pure function of those,
/// so a cached scan is exactly what a fresh one would be.
#[derive(Default)]
pub struct ScanCache {
    scans: Mutex<HashMap<(u64, u64), Arc<Scan>>>,
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Build the index from loaded content. Problems go to `diagnostics`.
pub fn index(
    root: &Path,
    config: Config,
    content: Content,
    bib: Arc<Bibliography>,
    options: BuildOptions,
    diagnostics: &Diagnostics,
    cache: Option<&ScanCache>,
) -> Site {
    let namespace = Namespace::build(&content, diagnostics);

    // Scan every document once, in parallel (or take it from the cache).
    let is_key = |k: &str| bib.contains(k);
    let keys_hash = hash_of(bib.keys().collect::<Vec<_>>());
    let scan_doc = |file: &SourceFile| -> Arc<Scan> {
        let scan = |annotated: &markdown::Annotated<'_>| Arc::new(markdown::scan(annotated, true));
        // Without a cache (a one-off build), hashing every body would be wasted work.
        let Some(cache) = cache else {
            return scan(&markdown::annotate(file.body(), &is_key));
        };
        let key = (hash_of(file.body()), keys_hash);
        if let Some(hit) = cache
            .scans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return hit.clone();
        }
        let scan = scan(&markdown::annotate(file.body(), &is_key));
        cache
            .scans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, scan.clone());
        scan
    };
    let scans_start = std::time::Instant::now();
    let home_scan = content.home.as_ref().map(|h| scan_doc(&h.file));
    let essay_scans: Vec<Arc<Scan>> = content
        .essays
        .par_iter()
        .map(|e| scan_doc(&e.file))
        .collect();
    let term_scans: Vec<Arc<Scan>> = content
        .terms
        .par_iter()
        .map(|t| scan_doc(&t.file))
        .collect();
    crate::pipeline::timing("scans", scans_start);

    let mut site = Site {
        root: root.to_path_buf(),
        base: config.base_path(),
        config,
        content,
        bib,
        options,
        home_scan,
        essay_scans,
        term_scans,
        resolved: HashMap::new(),
        uses_of: HashMap::new(),
        tags: BTreeMap::new(),
        see_also_from: HashMap::new(),
        published: Vec::new(),
        published_pos: Vec::new(),
        term_slugs: HashMap::new(),
        use_targets: HashMap::new(),
        annotated_by: HashMap::new(),
    };
    site.published = (0..site.content.essays.len())
        .filter(|&i| site.is_published(i))
        .collect();
    site.published_pos = vec![None; site.content.essays.len()];
    for (pos, &i) in site.published.iter().enumerate() {
        site.published_pos[i] = Some(pos);
    }
    site.term_slugs = site
        .content
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.clone(), i))
        .collect();

    // Every document is checked (drafts too), but only built ones enter the use-map.
    let mut all_docs: Vec<DocId> = Vec::new();
    if site.content.home.is_some() {
        all_docs.push(DocId::Home);
    }
    all_docs.extend((0..site.content.essays.len()).map(DocId::Essay));
    all_docs.extend((0..site.content.terms.len()).map(DocId::Term));

    // Format each distinct citation item once.
    let mut distinct: HashSet<(markdown::CiteItem, bool)> = HashSet::new();
    for &doc in &all_docs {
        for u in &site.scan(doc).uses {
            if let UseKind::Cite(item) = &u.kind
                && site.bib.contains(&item.key)
            {
                let mut item = item.clone();
                item.offset = 0;
                item.use_index = 0;
                let narrative = item.narrative;
                distinct.insert((item, narrative));
            }
        }
    }
    let distinct: Vec<(markdown::CiteItem, bool)> = distinct.into_iter().collect();
    let t = std::time::Instant::now();
    let formatted = site.bib.formatted(distinct);
    site.bib.save_cache();
    crate::pipeline::timing("format citations", t);

    let resolved: Vec<(DocId, Vec<ResolvedUse>)> = all_docs
        .par_iter()
        .map(|&doc| {
            (
                doc,
                resolve_doc(&site, &namespace, &formatted, doc, diagnostics),
            )
        })
        .collect();
    site.resolved = resolved.into_iter().collect();

    // Invert into target → uses, from built documents only.
    let mut uses_of: HashMap<Target, Vec<UseRef>> = HashMap::new();
    let mut use_targets: HashMap<DocId, Vec<Option<Target>>> = HashMap::new();
    for doc in site.built_docs() {
        let uses = &site.scan(doc).uses;
        let mut targets = Vec::with_capacity(uses.len());
        for (index, u) in uses.iter().enumerate() {
            let target = namespace.target_of(&site, u);
            targets.push(target);
            let Some(target) = target else { continue };
            if matches!((doc, target), (DocId::Term(a), Target::Term(b)) if a == b) {
                continue; // a term's definition mentioning itself is not a use
            }
            uses_of
                .entry(target)
                .or_default()
                .push(UseRef { doc, index });
        }
        use_targets.insert(doc, targets);
    }
    site.use_targets = use_targets;
    let mut annotated_by: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &site.published {
        if let Some(k) = site.content.essays[i]
            .annotates
            .as_ref()
            .and_then(|a| site.bib.index_of(&a.value))
        {
            annotated_by.entry(k).or_default().push(i);
        }
    }
    site.annotated_by = annotated_by;
    site.uses_of = uses_of;

    crate::pipeline::timing("resolve + use-map", scans_start);
    check_front_matter_references(&mut site, diagnostics);
    warn_unused(&site, diagnostics);
    site
}

fn resolve_doc(
    site: &Site,
    namespace: &Namespace,
    formatted: &HashMap<(markdown::CiteItem, bool), String>,
    doc: DocId,
    diagnostics: &Diagnostics,
) -> Vec<ResolvedUse> {
    let file = site.file(doc);
    let scan = site.scan(doc);
    let from_published = match doc {
        DocId::Essay(i) => !site.content.essays[i].draft,
        _ => true,
    };
    let mut out = Vec::with_capacity(scan.uses.len());
    for u in &scan.uses {
        // Made only for an error: computing a position counts the lines before it, and
        // doing that for every use of a long document is quadratic.
        let location = || file.location(file.body_offset + u.offset, u.len);
        match &u.kind {
            UseKind::Xref {
                target,
                anchor,
                piped,
            } => {
                let found = namespace.lookup(target);
                let resolved_target = match found.as_slice() {
                    [] => {
                        diagnostics.push(
                            Diagnostic::error(format!("unknown cross-reference target `{target}`"))
                                .at(location())
                                .maybe_hint(namespace.suggest(target).or_else(|| {
                                    Some("a target is an essay slug, a glossary slug, or a term's name or alias".into())
                                })),
                        );
                        None
                    }
                    [(t, how)] => Some((*t, *how)),
                    many => {
                        let names: Vec<String> = many
                            .iter()
                            .map(|(t, _)| namespace.describe(site, *t))
                            .collect();
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "ambiguous cross-reference target `{target}`"
                            ))
                            .at(location())
                            .hint(format!(
                                "it names {}; use a slug to choose one",
                                names.join(" and ")
                            )),
                        );
                        None
                    }
                };
                let Some((t, by_slug)) = resolved_target else {
                    out.push(ResolvedUse::Broken);
                    continue;
                };
                let (base_href, class, card, title, headings) = match t {
                    Target::Essay(i) => {
                        if site.content.essays[i].draft && !site.options.drafts && from_published {
                            diagnostics.push(
                                Diagnostic::error(format!(
                                    "this links to the draft essay `{}`, which is not built",
                                    site.content.essays[i].slug
                                ))
                                .at(location())
                                .hint("publish the draft (remove `draft: true`), remove the link, or build with `--drafts`"),
                            );
                        }
                        (
                            site.essay_url(i),
                            "xref xref-essay",
                            None,
                            site.content.essays[i].title.clone(),
                            &site.essay_scans[i].headings,
                        )
                    }
                    Target::Term(i) => (
                        site.term_url(i),
                        "xref xref-term",
                        Some(format!("term:{}", site.content.terms[i].slug)),
                        site.content.terms[i].name.clone(),
                        &site.term_scans[i].headings,
                    ),
                    Target::Source(_) => unreachable!("cross-references never name sources"),
                };
                let href = match anchor {
                    Some(a) if !a.is_empty() => {
                        if !headings.iter().any(|h| &h.id == a) {
                            let ids: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
                            diagnostics.push(
                                Diagnostic::error(format!(
                                    "`{target}` has no heading with the anchor `#{a}`"
                                ))
                                .at(location())
                                .hint(
                                    did_you_mean(a, ids.iter().copied()).unwrap_or_else(|| {
                                        if ids.is_empty() {
                                            "that page has no headings".to_string()
                                        } else {
                                            format!("its anchors are: {}", ids.join(", "))
                                        }
                                    }),
                                ),
                            );
                        }
                        format!("{base_href}#{a}")
                    }
                    _ => base_href,
                };
                out.push(ResolvedUse::Link {
                    href,
                    class,
                    card,
                    display: (!piped && by_slug)
                        .then(|| display_name(target, &title))
                        .flatten(),
                });
            }
            UseKind::Cite(item) => match site.bib.index_of(&item.key) {
                Some(i) => {
                    let mut key = item.clone();
                    key.offset = 0;
                    key.use_index = 0;
                    let html = formatted
                        .get(&(key, item.narrative))
                        .cloned()
                        .unwrap_or_else(|| markdown::escape(&item.key));
                    out.push(ResolvedUse::Cite {
                        href: site.source_url(i),
                        card: Some(format!("cite:{}", item.key)),
                        html,
                    });
                }
                None => {
                    let hint = did_you_mean(&item.key, site.bib.keys()).or_else(|| {
                        Some(if let Some(file) = site.bib.failed_files.first() {
                            format!(
                                "the bibliography could not be loaded: fix the errors in `{}` first",
                                file.display()
                            )
                        } else if site.bib.is_empty() {
                            "there is no bibliography: add `content/references.bib` or set `bibliography` in book.toml".to_string()
                        } else {
                            "add the entry to the bibliography, or check the key's spelling".to_string()
                        })
                    });
                    diagnostics.push(
                        Diagnostic::error(format!("unknown citation key `{}`", item.key))
                            .at(location())
                            .maybe_hint(hint),
                    );
                    out.push(ResolvedUse::Broken);
                }
            },
        }
    }
    out
}

/// `annotates:` and `see-also:` must name something; fills tags and reverse see-also.
fn check_front_matter_references(site: &mut Site, diagnostics: &Diagnostics) {
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
    let slugs: HashMap<&str, usize> = site
        .content
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let mut from: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, term) in site.content.terms.iter().enumerate() {
        for s in &term.see_also {
            match slugs.get(s.value.as_str()) {
                Some(&j) => {
                    if j != i {
                        from.entry(j).or_default().push(i);
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
    site.see_also_from = from;
    let mut tags: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    for i in site.published_essays().collect::<Vec<_>>() {
        for tag in &site.content.essays[i].tags {
            let entry = tags
                .entry(tag_slug(tag))
                .or_insert_with(|| (tag.clone(), Vec::new()));
            if !entry.1.contains(&i) {
                entry.1.push(i);
            }
        }
    }
    site.tags = tags;
}

fn warn_unused(site: &Site, diagnostics: &Diagnostics) {
    for (i, term) in site.content.terms.iter().enumerate() {
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
        .filter_map(|i| {
            site.content.essays[i]
                .annotates
                .as_ref()
                .map(|a| a.value.as_str())
        })
        .collect();
    for (i, source) in site.bib.sources.iter().enumerate() {
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
}

impl Namespace {
    fn build(content: &Content, diagnostics: &Diagnostics) -> Namespace {
        let mut slugs: HashMap<String, Vec<Target>> = HashMap::new();
        let mut names: HashMap<String, Vec<Target>> = HashMap::new();
        let mut owner: HashMap<String, Target> = HashMap::new();
        let describe = |t: Target| match t {
            Target::Essay(i) => format!("the essay {}", content.essays[i].file.path.display()),
            Target::Term(i) => format!("the term {}", content.terms[i].file.path.display()),
            Target::Source(_) => String::new(),
        };
        // Essays first, then terms: the second file to claim a slug gets the error.
        let essays = content
            .essays
            .iter()
            .enumerate()
            .map(|(i, e)| (Target::Essay(i), &e.slug, &e.file));
        let terms = content
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (Target::Term(i), &t.slug, &t.file));
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
        for (i, term) in content.terms.iter().enumerate() {
            let t = Target::Term(i);
            let mut own: Vec<(String, crate::diagnostics::Location, &str)> =
                vec![(term.name.to_lowercase(), term.name_location.clone(), "name")];
            for a in &term.aliases {
                own.push((a.value.to_lowercase(), a.location.clone(), "alias"));
            }
            if let Some(o) = &term.original {
                own.push((o.value.to_lowercase(), o.location.clone(), "original name"));
            }
            if let Some(t) = &term.transliteration {
                let at = term
                    .original
                    .as_ref()
                    .map_or(&term.name_location, |o| &o.location);
                own.push((t.to_lowercase(), at.clone(), "transliteration"));
            }
            let mut mine: HashSet<String> = HashSet::new();
            mine.insert(term.slug.clone());
            for (name, location, what) in own {
                if !mine.insert(name.clone()) {
                    continue; // an alias equal to its own term's name or slug is harmless
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
        Namespace { slugs, names }
    }

    /// Candidates for a target, each with whether it matched by slug.
    fn lookup(&self, target: &str) -> Vec<(Target, bool)> {
        if let Some(ts) = self.slugs.get(target) {
            return ts.iter().map(|t| (*t, true)).collect();
        }
        // Names and aliases match case-insensitively; so does a slug written in capitals,
        // but only an exact slug shows the target's name instead of the written text.
        let lower = target.to_lowercase();
        if let Some(ts) = self.names.get(&lower) {
            return ts.iter().map(|t| (*t, false)).collect();
        }
        self.slugs
            .get(&lower)
            .map(|ts| ts.iter().map(|t| (*t, false)).collect())
            .unwrap_or_default()
    }

    fn suggest(&self, target: &str) -> Option<String> {
        let mut all: Vec<&str> = self.slugs.keys().map(String::as_str).collect();
        all.extend(self.names.keys().map(String::as_str));
        all.sort_unstable();
        did_you_mean(target, all)
    }

    fn describe(&self, site: &Site, t: Target) -> String {
        match t {
            Target::Essay(i) => format!("the essay `{}`", site.content.essays[i].slug),
            Target::Term(i) => format!("the term `{}`", site.content.terms[i].slug),
            Target::Source(i) => format!("the source `{}`", site.bib.sources[i].key),
        }
    }

    fn target_of(&self, site: &Site, u: &markdown::Use) -> Option<Target> {
        match &u.kind {
            UseKind::Xref { target, .. } => match self.lookup(target).as_slice() {
                [(t, _)] => Some(*t),
                _ => None,
            },
            UseKind::Cite(item) => site.bib.index_of(&item.key).map(Target::Source),
        }
    }
}

/// Which kinds of document exist, for the render stage.
pub fn kind_of(doc: DocId) -> DocKind {
    match doc {
        DocId::Home => DocKind::Home,
        DocId::Essay(_) => DocKind::Essay,
        DocId::Term(_) => DocKind::Term,
    }
}
