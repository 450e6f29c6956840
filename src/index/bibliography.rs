//! The bibliography: loading `.bib`/`.yaml` files with hayagriva, choosing the CSL style,
//! formatting entries (once, for the whole site) and in-text citation items.

mod guard;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hayagriva::citationberg::{IndependentStyle, Locale, Style, StyleClass};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, BufWriteFormat, CitationItem, CitationRequest,
    CitePurpose, Elem, ElemChild, ElemChildren, Entry, Formatted, Library, LocatorPayload,
    SpecificLocator,
};

use super::format_cache::FormatCache;
use crate::config::{Config, setting_at};
use crate::diagnostics::{Diagnostic, Diagnostics, LineIndex, Location, did_you_mean};
use crate::input::{self, read_capped, read_text};
use crate::markdown::{CiteItem, CiteStyle, LocatorKind, escape};

/// One bibliography entry, formatted by the style.
#[derive(Debug, Clone)]
pub struct Source {
    pub key: String,
    /// The formatted bibliography entry (HTML).
    pub html: String,
    /// The entry's title as plain text (for page titles and search).
    pub title: String,
    pub url: Option<String>,
    /// A `url` the URL policy refuses (`javascript:` …): not linked, reported as a warning.
    pub refused_url: Option<String>,
    pub doi: Option<String>,
    /// Its fields, as reference managers exchange them.
    pub record: super::record::Record,
    /// The file that defines it, for "uncited source" warnings.
    pub location: Location,
}

pub struct Bibliography {
    /// Bibliography files that exist but could not be loaded (already reported).
    pub failed_files: Vec<PathBuf>,
    /// Where the first of those problems was reported (a missing file: its line in
    /// book.toml), for the one note that stands in for every citation left unchecked.
    pub failed_at: Option<Location>,
    /// Bibliography files that loaded (with entries or without).
    pub loaded_files: Vec<PathBuf>,
    library: Library,
    style: IndependentStyle,
    locales: Vec<Locale>,
    /// All entries in the style's bibliography order.
    pub sources: Vec<Source>,
    by_key: HashMap<String, usize>,
    pub cite_style: CiteStyle,
    pub note_style: bool,
    /// Keys whose in-text form the style disambiguates (e.g. `2024a`/`2024b`): their
    /// citations are formatted through a driver that sees the whole bibliography.
    disambiguated: HashSet<String>,
    /// Formatted in-text items, kept for the life of this bibliography (across `serve`
    /// rebuilds while the bibliography and style are unchanged).
    format_cache: Mutex<HashMap<(CiteItem, bool), Option<String>>>,
    /// Formatted entries and items kept on disk between builds.
    disk: FormatCache,
}

impl Bibliography {
    pub fn empty(style: IndependentStyle) -> Bibliography {
        let cite_style = cite_style(&style);
        Bibliography {
            failed_files: Vec::new(),
            failed_at: None,
            loaded_files: Vec::new(),
            library: Library::new(),
            note_style: style.settings.class == StyleClass::Note,
            style,
            locales: english_locales(),
            sources: Vec::new(),
            by_key: HashMap::new(),
            cite_style,
            disambiguated: HashSet::new(),
            format_cache: Mutex::new(HashMap::new()),
            disk: FormatCache::disabled(),
        }
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|s| s.key.as_str())
    }

    /// Load the configured bibliography files and style.
    pub fn load(
        root: &Path,
        config: &Config,
        config_text: &str,
        diagnostics: &Diagnostics,
    ) -> Bibliography {
        let style = match load_style(root, &config.citations.style, config_text) {
            Ok(style) => style,
            Err(d) => {
                diagnostics.push(d);
                hayagriva::archive::ArchivedStyle::ChicagoAuthorDate
                    .get()
                    .into_independent()
            }
        };
        let mut bib = Bibliography::empty(style);
        // The on-disk cache is keyed by the style: its name, or the text of its file.
        let identity = if config.citations.style.ends_with(".csl") {
            read_capped(&root.join(&config.citations.style), input::CSL_STYLE)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        } else {
            config.citations.style.clone()
        };
        bib.disk = FormatCache::open(root, &identity);
        let content_dir = root.join(&config.build.content_dir);
        let (files, explicit): (Vec<PathBuf>, bool) = match &config.citations.bibliography {
            Some(files) => (files.clone(), true),
            None => (vec![PathBuf::from("references.bib")], false),
        };
        let mut library = Library::new();
        let mut defined_in: HashMap<String, Location> = HashMap::new();
        for file in files {
            let path = content_dir.join(&file);
            let display = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if std::fs::metadata(&path).is_err() {
                if explicit {
                    let at = setting_at(config_text, "citations", "bibliography");
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "bibliography file `{}` not found",
                            display.display()
                        ))
                        .at(at.clone())
                        .hint("`bibliography` paths are relative to the content folder"),
                    );
                    bib.failed_at.get_or_insert(at);
                    bib.failed_files.push(display);
                }
                continue;
            }
            let text = match read_text(&path, &display, input::BIBLIOGRAPHY) {
                Ok(t) => t,
                Err(d) => {
                    diagnostics.push(d);
                    bib.failed_at.get_or_insert(Location::file(&display));
                    bib.failed_files.push(display);
                    continue;
                }
            };
            let is_yaml = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            );
            let parsed = parse_file(&display, &text, is_yaml);
            match parsed {
                Ok(lib) => {
                    bib.loaded_files.push(display.clone());
                    // Entries come in file order: look for each key after the previous one
                    // (and the line in an index), so locating them all is one pass.
                    let lines = LineIndex::new(&text);
                    let mut cursor = 0;
                    for entry in lib.iter() {
                        let offset = text[cursor..]
                            .find(entry.key())
                            .map(|i| cursor + i)
                            .or_else(|| text.find(entry.key()))
                            .unwrap_or(0);
                        cursor = offset + entry.key().len();
                        let location = Location::at_offset_indexed(
                            &display,
                            &text,
                            &lines,
                            offset,
                            entry.key().len(),
                        );
                        if let Some(first) = defined_in.get(entry.key()) {
                            diagnostics.push(
                                Diagnostic::error(format!(
                                    "duplicate bibliography key `{}`",
                                    entry.key()
                                ))
                                .at(location)
                                .hint(format!(
                                    "it is already defined in {}:{}",
                                    first.path.display(),
                                    first.line
                                )),
                            );
                            continue;
                        }
                        defined_in.insert(entry.key().to_string(), location);
                        library.push(entry);
                    }
                }
                Err(ds) => {
                    diagnostics.extend(ds);
                    bib.failed_at.get_or_insert(Location::file(&display));
                    bib.failed_files.push(display);
                }
            }
        }
        bib.fill(library, defined_in, &config.book.language);
        bib
    }

    /// Format every entry once, in the style's bibliography order.
    fn fill(
        &mut self,
        library: Library,
        mut defined_in: HashMap<String, Location>,
        language: &str,
    ) {
        use rayon::prelude::*;
        // Only entries whose first author's family name (or, without authors, title) is
        // shared can be disambiguated by an author-date style (2024a/2024b, added
        // initials). Those go through one hayagriva driver, which sees them together; every
        // other entry is formatted alone, in parallel. (The driver is sequential and grows
        // faster than linearly: 2,000 entries took seconds.)
        let name_key = |e: &Entry| -> String {
            e.authors()
                .and_then(|a| a.first())
                .map(|p| p.name.to_lowercase())
                .or_else(|| e.title().map(|t| t.to_string().to_lowercase()))
                .unwrap_or_default()
        };
        let mut name_count: HashMap<String, usize> = HashMap::new();
        for entry in library.iter() {
            *name_count.entry(name_key(entry)).or_insert(0) += 1;
        }
        let shared: Vec<&Entry> = library
            .iter()
            .filter(|e| name_count.get(&name_key(e)).copied().unwrap_or(0) > 1)
            .collect();
        let t = std::time::Instant::now();
        let mut formatted: HashMap<String, (usize, String)> = HashMap::new();
        if !shared.is_empty() {
            let mut driver: BibliographyDriver<'_, Entry> = BibliographyDriver::new();
            for entry in &shared {
                driver.citation(CitationRequest::from_items(
                    vec![CitationItem::with_entry(entry)],
                    &self.style,
                    &self.locales,
                ));
            }
            let rendered = driver.finish(BibliographyRequest {
                style: &self.style,
                locale: None,
                locale_files: &self.locales,
            });
            for (entry, cited) in shared.iter().zip(&rendered.citations) {
                let mut full = String::new();
                let _ = escaped(&cited.citation).write_buf(&mut full, BufWriteFormat::Html);
                if full != self.render_alone(entry, None) {
                    self.disambiguated.insert(entry.key().to_string());
                }
            }
            let items = rendered.bibliography.map(|b| b.items).unwrap_or_default();
            for (rank, item) in items.into_iter().enumerate() {
                let mut html = String::new();
                if let Some(first) = &item.first_field {
                    let _ = escaped_child(first).write_buf(&mut html, BufWriteFormat::Html);
                    html.push(' ');
                }
                let _ = escaped(&item.content).write_buf(&mut html, BufWriteFormat::Html);
                formatted.insert(item.key.clone(), (rank, html));
            }
        }
        crate::timing::timing("bibliography driver", t);
        let alone: Vec<(String, String)> = library
            .iter()
            .collect::<Vec<_>>()
            .par_iter()
            .filter(|e| !formatted.contains_key(e.key()))
            .map(|e| {
                let key = self.disk.key(("entry", e));
                let html = self.disk.get(key).unwrap_or_else(|| {
                    let html = self.render_alone(e, Some(CitePurpose::Full));
                    self.disk.put(key, &html);
                    html
                });
                (e.key().to_string(), html)
            })
            .collect();
        for (key, html) in alone {
            formatted.insert(key, (0, html));
        }
        // Bibliography order: by first author (or title), then the driver's order within a
        // shared name, then year and title.
        let order: Vec<&Entry> = library.iter().collect();
        let year = |e: &Entry| e.date_any().map(|d| d.year).unwrap_or(i32::MAX);
        let title = |e: &Entry| {
            e.title()
                .map(|t| t.to_string().to_lowercase())
                .unwrap_or_default()
        };
        // Names and titles compared by the book's language's collation rules.
        let collation = crate::i18n::Collation::new(language);
        let mut keyed: Vec<(String, usize, i32, String, &Entry)> = order
            .into_iter()
            .map(|e| {
                let rank = formatted.get(e.key()).map_or(0, |(r, _)| *r);
                (name_key(e), rank, year(e), title(e), e)
            })
            .collect();
        let sorting = std::time::Instant::now();
        keyed.sort_by(|a, b| {
            collation
                .compare(&a.0, &b.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then_with(|| collation.compare(&a.3, &b.3))
                .then_with(|| a.4.key().cmp(b.4.key()))
        });
        crate::timing::timing("bibliography collation", sorting);
        let order: Vec<&Entry> = keyed.into_iter().map(|k| k.4).collect();
        let sources: Vec<Source> = order
            .into_iter()
            .map(|e| {
                let html = formatted
                    .remove(e.key())
                    .map(|(_, h)| h)
                    .unwrap_or_default();
                source(e, html, defined_in.remove(e.key()))
            })
            .collect();
        self.by_key = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.clone(), i))
            .collect();
        self.sources = sources;
        self.library = library;
    }

    /// One entry formatted on its own (no disambiguation), as a citation or, with
    /// `CitePurpose::Full`, as its bibliography entry.
    fn render_alone(&self, entry: &Entry, purpose: Option<CitePurpose>) -> String {
        let mut item = CitationItem::with_entry(entry);
        item.purpose = purpose;
        let children = hayagriva::standalone_citation(CitationRequest::from_items(
            vec![item],
            &self.style,
            &self.locales,
        ));
        let mut html = String::new();
        let _ = escaped(&children).write_buf(&mut html, BufWriteFormat::Html);
        if purpose == Some(CitePurpose::Full) {
            // A full entry comes wrapped in the citation layout's affixes: drop them.
            let mut entry = self.without_layout_affixes(&html).trim().to_string();
            // …and it lacks the bibliography layout's closing punctuation.
            let closing = self
                .style
                .bibliography
                .as_ref()
                .and_then(|b| b.layout.suffix.clone());
            if let Some(closing) = closing.filter(|c| !c.is_empty())
                && !entry.ends_with(closing.as_str())
                && !entry.ends_with(['.', '?', '!', '>'])
            {
                entry.push_str(&closing);
            }
            return entry;
        }
        html
    }

    /// The bibliography entry (HTML, in the style) of the first entry of a BibLaTeX text:
    /// how the reader and its essays format their own "Cite this" entries.
    pub fn format_bibtex(&self, bibtex: &str) -> Option<String> {
        // Through the on-disk cache (keyed by the entry's text and the style): formatting
        // an essay's entry with hayagriva is ~1 ms, once per essay per build otherwise.
        let key = self.disk.key(("bibtex-entry", bibtex));
        if let Some(html) = self.disk.get(key) {
            return Some(html);
        }
        let library = hayagriva::io::from_biblatex_str(bibtex).ok()?;
        let entry = library.iter().next()?;
        let html = tidy_punctuation(&self.render_alone(entry, Some(CitePurpose::Full)));
        self.disk.put(key, &html);
        Some(html)
    }

    /// Formatted HTML of each distinct item, from the cache or formatted now.
    pub fn formatted(&self, distinct: Vec<(CiteItem, bool)>) -> HashMap<(CiteItem, bool), String> {
        let mut cache = self.format_cache.lock().unwrap_or_else(|e| e.into_inner());
        // Items that differ only in their locator's value share one formatting: the style is
        // run once with a placeholder value, then the value is put in. hayagriva takes about
        // 100 µs a citation, so this turns thousands of calls into one per source and form.
        let mut templates: Vec<(CiteItem, bool)> = Vec::new();
        let mut seen: HashSet<(CiteItem, bool)> = HashSet::new();
        for (item, narrative) in &distinct {
            let template = (locator_template(item), *narrative);
            if !cache.contains_key(&template) && seen.insert(template.clone()) {
                templates.push(template);
            }
        }
        if !templates.is_empty() {
            let done = self.format_items(&templates);
            cache.extend(templates.into_iter().zip(done));
        }
        distinct
            .into_iter()
            .filter_map(|(item, narrative)| {
                let template = cache
                    .get(&(locator_template(&item), narrative))
                    .cloned()
                    .flatten()?;
                let html = fill_locator(&template, &item);
                Some(((item, narrative), html))
            })
            .collect()
    }

    /// The on-disk cache of formatted entries and items to write after a build (path and
    /// bytes), when it changed.
    pub fn cache_file(&self) -> Option<(PathBuf, Vec<u8>)> {
        self.disk.pending()
    }

    /// A fingerprint of everything a bibliography is made from (style, files and their
    /// text), so `serve` can keep it while it is unchanged.
    pub fn fingerprint(root: &Path, config: &Config) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        config.citations.style.hash(&mut h);
        config.book.language.hash(&mut h); // the collation of the bibliography order
        format!("{:?}", config.citations.bibliography).hash(&mut h);
        config.build.content_dir.hash(&mut h);
        let files = config
            .citations
            .bibliography
            .clone()
            .unwrap_or_else(|| vec![PathBuf::from("references.bib")]);
        for f in files {
            read_capped(
                &root.join(&config.build.content_dir).join(f),
                input::BIBLIOGRAPHY,
            )
            .ok()
            .hash(&mut h);
        }
        if config.citations.style.ends_with(".csl") {
            read_capped(&root.join(&config.citations.style), input::CSL_STYLE)
                .ok()
                .hash(&mut h);
        }
        h.finish()
    }

    /// The purposes an item needs rendered: the regular form, or prose (narrative), or
    /// prose and author (author suppressed).
    fn purposes(&self, item: &CiteItem, narrative: bool) -> Vec<Option<CitePurpose>> {
        if self.note_style {
            vec![None]
        } else if narrative {
            vec![Some(CitePurpose::Prose)]
        } else if item.suppress_author {
            vec![Some(CitePurpose::Prose), Some(CitePurpose::Author)]
        } else {
            vec![None]
        }
    }

    /// Format distinct in-text citation items as HTML: `Lieberthal 1992, 3` inside a
    /// bracketed citation (the cluster adds the style's parentheses), `1992, 3` when the
    /// author is suppressed, `Lieberthal (1992, 3)` when narrative; pandoc prefix and suffix
    /// included. Each item is formatted once; items of disambiguated entries go through one
    /// driver that sees the whole bibliography, the rest are formatted alone in parallel.
    pub fn format_items(&self, items: &[(CiteItem, bool)]) -> Vec<Option<String>> {
        use rayon::prelude::*;
        fn locator_of(item: &CiteItem) -> Option<SpecificLocator<'_>> {
            item.locator.as_ref().map(|(kind, value)| {
                SpecificLocator(csl_locator(*kind), LocatorPayload::Str(value.as_str()))
            })
        }
        fn citation_of<'a>(
            library: &'a Library,
            item: &'a CiteItem,
            purpose: Option<CitePurpose>,
        ) -> Option<CitationItem<'a, Entry>> {
            let entry = library.get(&item.key)?;
            let mut citation = CitationItem::with_locator(entry, locator_of(item));
            citation.purpose = purpose;
            Some(citation)
        }
        // Disambiguated entries: one driver with every entry first (the context), then ours.
        let mut through_driver: HashMap<(usize, usize), String> = HashMap::new();
        let wanted: Vec<(usize, usize, Option<CitePurpose>)> = items
            .iter()
            .enumerate()
            .filter(|(_, (item, _))| self.disambiguated.contains(&item.key))
            .flat_map(|(i, (item, narrative))| {
                self.purposes(item, *narrative)
                    .into_iter()
                    .enumerate()
                    .map(move |(p, purpose)| (i, p, purpose))
            })
            .collect();
        if !wanted.is_empty() {
            let mut driver: BibliographyDriver<'_, Entry> = BibliographyDriver::new();
            for entry in self.library.iter() {
                driver.citation(CitationRequest::from_items(
                    vec![CitationItem::with_entry(entry)],
                    &self.style,
                    &self.locales,
                ));
            }
            let mut kept = Vec::new();
            for &(i, p, purpose) in &wanted {
                if let Some(c) = citation_of(&self.library, &items[i].0, purpose) {
                    driver.citation(CitationRequest::from_items(
                        vec![c],
                        &self.style,
                        &self.locales,
                    ));
                    kept.push((i, p));
                }
            }
            let rendered = driver.finish(BibliographyRequest {
                style: &self.style,
                locale: None,
                locale_files: &self.locales,
            });
            let skip = self.library.len();
            for ((i, p), cited) in kept.into_iter().zip(rendered.citations.iter().skip(skip)) {
                let mut s = String::new();
                let _ = escaped(&cited.citation).write_buf(&mut s, BufWriteFormat::Html);
                through_driver.insert((i, p), s);
            }
        }
        items
            .par_iter()
            .enumerate()
            .map(|(i, (item, narrative))| {
                let entry = self.library.get(&item.key)?;
                // Items of disambiguated entries depend on their neighbours: never cached.
                let cache_key = (!self.disambiguated.contains(&item.key))
                    .then(|| self.disk.key(("item", entry, item, *narrative)));
                if let Some(html) = cache_key.and_then(|k| self.disk.get(k)) {
                    return Some(html);
                }
                let purposes = self.purposes(item, *narrative);
                let forms: Vec<String> = purposes
                    .iter()
                    .enumerate()
                    .map(|(p, purpose)| {
                        through_driver.get(&(i, p)).cloned().unwrap_or_else(|| {
                            let mut s = String::new();
                            if let Some(c) = citation_of(&self.library, item, *purpose) {
                                let children =
                                    hayagriva::standalone_citation(CitationRequest::from_items(
                                        vec![c],
                                        &self.style,
                                        &self.locales,
                                    ));
                                let _ = escaped(&children).write_buf(&mut s, BufWriteFormat::Html);
                            }
                            s
                        })
                    })
                    .collect();
                let html = self.finish_item(item, *narrative, &forms);
                if let Some(k) = cache_key {
                    self.disk.put(k, &html);
                }
                Some(html)
            })
            .collect()
    }

    /// `html` trimmed and without the citation layout's prefix and suffix (`(`, `)`).
    fn without_layout_affixes<'s>(&self, html: &'s str) -> &'s str {
        let layout = &self.style.citation.layout;
        let escaped = |affix: &Option<String>| affix.as_deref().map(escape).unwrap_or_default();
        let (prefix, suffix) = (escaped(&layout.prefix), escaped(&layout.suffix));
        let t = html.trim();
        let t = t.strip_prefix(prefix.as_str()).unwrap_or(t);
        t.strip_suffix(suffix.as_str()).unwrap_or(t)
    }

    /// Assemble an item from its rendered forms (see `purposes`).
    fn finish_item(&self, item: &CiteItem, narrative: bool, forms: &[String]) -> String {
        let layout = &self.style.citation.layout;
        let prefix = layout.prefix.as_deref().map(escape).unwrap_or_default();
        let first = forms.first().map(String::as_str).unwrap_or("");
        if self.note_style {
            // The note adds its own closing full stop after all its items.
            first.trim().trim_end_matches('.').to_string()
        } else if narrative {
            // hayagriva may put the layout prefix before a prose citation: "(Fu et al. (2013)".
            let t = first.trim();
            let unbalanced = t.matches('(').count() > t.matches(')').count();
            match t.strip_prefix(prefix.as_str()) {
                Some(rest) if unbalanced && !prefix.is_empty() => rest.to_string(),
                _ => t.to_string(),
            }
        } else if item.suppress_author {
            let author = self.without_layout_affixes(forms.get(1).map_or("", String::as_str));
            let prose = first.trim();
            let prose = prose
                .strip_prefix(prefix.as_str())
                .filter(|_| {
                    !prefix.is_empty() && prose.matches('(').count() > prose.matches(')').count()
                })
                .unwrap_or(prose);
            let rest = prose
                .strip_prefix(author)
                .map(str::trim_start)
                .unwrap_or(prose)
                .trim();
            let rest = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .unwrap_or(rest);
            rest.to_string()
        } else {
            self.without_layout_affixes(first).to_string()
        }
    }
}

const PLACEHOLDER: &str = "90417";
const PLACEHOLDER_RANGE: &str = "90417-90418";

/// Whether a locator value is a range or list (styles say "pp." for those).
fn is_plural(value: &str) -> bool {
    value.contains(['-', '–', '—', ',', '&'])
}

/// The item with its locator value replaced by a placeholder of the same plurality.
fn locator_template(item: &CiteItem) -> CiteItem {
    let mut t = item.clone();
    t.offset = 0;
    t.use_index = 0;
    t.prefix.clear();
    t.suffix.clear();
    if let Some((_, value)) = &mut t.locator {
        *value = if is_plural(value) {
            PLACEHOLDER_RANGE
        } else {
            PLACEHOLDER
        }
        .to_string();
    }
    t
}

/// Put the item's locator value (and pandoc prefix/suffix) into a formatted template.
fn fill_locator(template: &str, item: &CiteItem) -> String {
    let mut html = match &item.locator {
        Some((_, value)) => {
            let value = escape(value);
            if template.contains("90417–90418") {
                template.replace("90417–90418", &value.replace('-', "–"))
            } else if template.contains(PLACEHOLDER_RANGE) {
                template.replace(PLACEHOLDER_RANGE, &value)
            } else {
                template.replace(PLACEHOLDER, &value)
            }
        }
        None => template.to_string(),
    };
    if !item.prefix.is_empty() {
        html = format!("{} {html}", escape(&item.prefix));
    }
    html.push_str(&escape(&item.suffix));
    html
}

/// Mend doubled punctuation hayagriva leaves when an entry lacks trailing fields
/// (`“Title.”.`, `“Why?.”`, `Journal,.`), a known quirk of its CSL renderer.
fn tidy_punctuation(html: &str) -> String {
    html.replace(".”.", ".”")
        .replace("?.”", "?”")
        .replace("!.”", "!”")
        .replace(",.", ".")
        .replace("?.", "?")
}

/// hayagriva writes an entry's text into its HTML as it is, markup and `&` included: a copy
/// with every text leaf and link escaped, so a field such as `title = {<script>…}` shows
/// as text. (The style's own markup, `ElemChild::Markup`, is kept.)
fn escaped(children: &ElemChildren) -> ElemChildren {
    ElemChildren(children.0.iter().map(escaped_child).collect())
}

fn escaped_child(child: &ElemChild) -> ElemChild {
    let text = |t: &Formatted| Formatted {
        text: escape(&t.text),
        formatting: t.formatting,
    };
    match child {
        ElemChild::Text(t) => ElemChild::Text(text(t)),
        ElemChild::Elem(e) => ElemChild::Elem(Elem {
            children: escaped(&e.children),
            ..e.clone()
        }),
        // The URL policy: a `javascript:` (or any other refused) URL is shown as text.
        ElemChild::Link { text: t, url } if crate::route::is_safe_link(url) => ElemChild::Link {
            text: text(t),
            url: escape(url),
        },
        ElemChild::Link { text: t, .. } => ElemChild::Text(text(t)),
        other => other.clone(),
    }
}

fn source(entry: &Entry, html: String, location: Option<Location>) -> Source {
    let html = tidy_punctuation(&html);
    Source {
        key: entry.key().to_string(),
        html,
        title: entry
            .title()
            .map(|t| t.to_string())
            .unwrap_or_else(|| entry.key().to_string()),
        url: entry
            .url()
            .map(|u| u.value.to_string())
            .filter(|u| crate::route::is_safe_link(u)),
        refused_url: entry
            .url()
            .map(|u| u.value.to_string())
            .filter(|u| !crate::route::is_safe_link(u)),
        doi: entry.doi().map(str::to_string),
        record: super::record::Record::from_entry(entry),
        location: location.unwrap_or_else(|| Location::file(Path::new("references.bib"))),
    }
}

fn cite_style(style: &IndependentStyle) -> CiteStyle {
    let layout = &style.citation.layout;
    CiteStyle {
        open: layout.prefix.clone().unwrap_or_default(),
        close: layout.suffix.clone().unwrap_or_default(),
        delimiter: layout.delimiter.clone().unwrap_or_else(|| "; ".into()),
        note: style.settings.class == StyleClass::Note,
    }
}

fn csl_locator(kind: LocatorKind) -> hayagriva::citationberg::taxonomy::Locator {
    use hayagriva::citationberg::taxonomy::Locator as L;
    match kind {
        LocatorKind::Page => L::Page,
        LocatorKind::Chapter => L::Chapter,
        LocatorKind::Section => L::Section,
        LocatorKind::Paragraph => L::Paragraph,
        LocatorKind::Volume => L::Volume,
        LocatorKind::Figure => L::Figure,
        LocatorKind::Note => L::Note,
        LocatorKind::Line => L::Line,
        LocatorKind::Column => L::Column,
        LocatorKind::Book => L::Book,
        LocatorKind::Part => L::Part,
        LocatorKind::Verse => L::Verse,
        LocatorKind::Table => L::Table,
    }
}

trait IntoIndependent {
    fn into_independent(self) -> IndependentStyle;
}

impl IntoIndependent for Style {
    fn into_independent(self) -> IndependentStyle {
        match self {
            Style::Independent(s) => s,
            Style::Dependent(_) => match hayagriva::archive::ArchivedStyle::ChicagoAuthorDate.get()
            {
                Style::Independent(s) => s,
                Style::Dependent(_) => unreachable!("the archived Chicago style is independent"),
            },
        }
    }
}

/// Parse one bibliography file (`yaml`: hayagriva YAML, else BibLaTeX), reporting problems
/// at positions of `display`, the file's display path.
pub fn parse_file(display: &Path, text: &str, yaml: bool) -> Result<Library, Vec<Diagnostic>> {
    if yaml {
        return hayagriva::io::from_yaml_str(text).map_err(|err| {
            let loc = err
                .location()
                .map(|l| Location::at_line_col(display, text, l.line(), l.column()))
                .unwrap_or_else(|| Location::file(display));
            let message = err.to_string();
            let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
            vec![Diagnostic::error(format!("malformed bibliography: {message}"))
                .at(loc)
                .hint("see hayagriva's YAML format: each entry is `key:` with `type`, `title`, `author` …")]
        });
    }
    guard::from_biblatex_str(display, text)?.map_err(|errors| {
        // An unbalanced brace makes the parser read on to the end of the file and report
        // there, far from the mistake: point at the brace instead.
        if let Some(d) = unbalanced_brace(display, text) {
            return vec![d];
        }
        errors
            .into_iter()
            .map(|err| {
                let (span, message) = match &err {
                    hayagriva::io::BibLaTeXError::Parse(e) => (e.span.clone(), e.kind.to_string()),
                    hayagriva::io::BibLaTeXError::Type(e) => (e.span.clone(), e.kind.to_string()),
                };
                Diagnostic::error(format!("malformed bibliography: {message}"))
                    .at(Location::at_offset(
                        display,
                        text,
                        span.start,
                        span.len().max(1),
                    ))
                    .hint(if message.starts_with("duplicate key") {
                        "keys must be unique: rename or remove one of the entries"
                    } else {
                        "check the entry's braces and commas: `@book{key, title = {…}, }`"
                    })
            })
            .collect()
    })
}

/// The brace that unbalances a BibLaTeX file: a `}` that closes nothing, or the innermost
/// `{` still open where a new field (`name =`) or a new entry (`@`) starts, or at the end.
/// `\{` and `\}` are literal braces.
fn unbalanced_brace(display: &Path, text: &str) -> Option<Diagnostic> {
    let unclosed = |at: usize| {
        Diagnostic::error("malformed bibliography: this `{` is never closed")
            .at(Location::at_offset(display, text, at, 1))
            .hint("add the matching `}`: braces in an entry must balance")
    };
    let mut open: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let starts_field = trimmed.split_once('=').is_some_and(|(name, _)| {
            let name = name.trim_end();
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if (open.len() >= 2 && starts_field) || (!open.is_empty() && trimmed.starts_with('@')) {
            return open.last().map(|&at| unclosed(at));
        }
        let mut escaped = false;
        for (i, b) in line.bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'{' => open.push(offset + i),
                b'}' if open.pop().is_none() => {
                    return Some(
                        Diagnostic::error("malformed bibliography: this `}` closes no `{`")
                            .at(Location::at_offset(display, text, offset + i, 1))
                            .hint("remove it, or add the `{` it should close"),
                    );
                }
                _ => {}
            }
        }
        offset += line.len();
    }
    open.last().map(|&at| unclosed(at))
}

/// The locale files citations are formatted with: US and British English. (hayagriva
/// looks terms up by scanning the files it is given; all 60 of its locales made every
/// citation several times slower, and the reader's language is English.) Only those two are
/// decoded, once per process: decoding all 60 took ~100 ms of every build. A locale's CBOR
/// holds its language code as a five-byte text string (header byte 0x65, then `en-GB`), so
/// files without those bytes cannot be an English locale; the candidates are decoded and
/// checked properly.
fn english_locales() -> Vec<Locale> {
    static ENGLISH: std::sync::OnceLock<Vec<Locale>> = std::sync::OnceLock::new();
    ENGLISH
        .get_or_init(|| {
            hayagriva::archive::LOCALES
                .iter()
                .filter(|bytes| bytes.windows(4).any(|w| w == b"\x65en-"))
                .filter_map(|bytes| ciborium::de::from_reader::<Locale, _>(*bytes).ok())
                .filter(|l| l.lang.as_ref().is_some_and(|c| c.0.starts_with("en")))
                .collect()
        })
        .clone()
}

/// Every built-in style name.
pub fn style_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = hayagriva::archive::ArchivedStyle::all()
        .iter()
        .flat_map(|s| s.names().iter().copied())
        .collect();
    names.sort_unstable();
    names
}

/// A `.csl` file's text as an independent style; `name` is its path as written in book.toml.
/// citationberg parses by recursion and hayagriva renders macros by recursion: a deep or
/// looping style is refused (`guard::check_csl`) before either sees it.
pub fn parse_csl(name: &str, text: &str) -> Result<IndependentStyle, Diagnostic> {
    if let Err((offset, message, hint)) = guard::check_csl(text) {
        return Err(Diagnostic::error(message)
            .at(Location::at_offset(Path::new(name), text, offset, 1))
            .hint(hint));
    }
    IndependentStyle::from_xml(text).map_err(|e| {
        Diagnostic::error(format!(
            "the CSL style `{name}` is not a valid independent style: {e}"
        ))
        .at(Location::file(Path::new(name)))
        .hint("dependent styles are not supported; use the parent style's file")
    })
}

fn load_style(root: &Path, name: &str, config_text: &str) -> Result<IndependentStyle, Diagnostic> {
    let at = || setting_at(config_text, "citations", "style");
    if name.ends_with(".csl") {
        let path = root.join(name);
        let bytes = read_capped(&path, input::CSL_STYLE).map_err(|err| {
            let hint = match &err {
                input::ReadError::Io(_) => {
                    "a `.csl` path is relative to the folder holding book.toml"
                }
                input::ReadError::TooLarge(_) => "CSL styles are a few dozen KiB; check the file",
                input::ReadError::NotAFile(_) => err.hint(),
            };
            Diagnostic::error(format!("cannot read the CSL style `{name}`: {err}"))
                .at(at())
                .hint(hint)
        })?;
        let text = crate::input::decode_text(bytes, Path::new(name))?;
        return parse_csl(name, &text);
    }
    match hayagriva::archive::ArchivedStyle::by_name(name) {
        Some(style) => Ok(style.get().into_independent()),
        None => {
            let names = style_names();
            let hint = did_you_mean(name, names.iter().copied()).map_or_else(
                || format!("the built-in styles are: {}", names.join(", ")),
                |d| format!("{d} The built-in styles are: {}", names.join(", ")),
            );
            Err(
                Diagnostic::error(format!("unknown citation style `{name}`"))
                    .at(at())
                    .hint(hint),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn english_locales_are_exactly_the_english_archive_locales() {
        let mut langs: Vec<String> = super::english_locales()
            .iter()
            .filter_map(|l| l.lang.as_ref().map(|c| c.0.clone()))
            .collect();
        langs.sort();
        // The byte pre-filter must not lose one: compare with decoding every locale.
        let mut all: Vec<String> = hayagriva::archive::locales()
            .into_iter()
            .filter_map(|l| l.lang.map(|c| c.0))
            .filter(|c| c.starts_with("en"))
            .collect();
        all.sort();
        assert_eq!(langs, all);
        assert!(langs.contains(&"en-US".to_string()));
    }
}
