//! The bibliography: loading `.bib`/`.yaml` files with hayagriva, choosing the CSL style,
//! formatting entries (once, for the whole site) and in-text citation items.

mod csl;
pub use csl::escape as tex_escape;
mod guard;
mod mapping;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hayagriva::citationberg::{IndependentStyle, Locale, LocaleCode, Style, StyleClass};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, BufWriteFormat, CitationItem, CitationRequest, Elem,
    ElemChild, ElemChildren, ElemMeta, Entry, Formatted, Library, LocatorPayload, SpecificLocator,
};

use super::format_cache::FormatCache;
use crate::config::{Config, setting_at};
use crate::diagnostics::{Diagnostic, Diagnostics, LineIndex, Location, did_you_mean};
use crate::input::{self, read_capped, read_text};
use crate::markdown::{
    CitationAt, CiteItem, CitePart, CiteStyle, FormattedCitation, LocatorKind, LocatorWords, escape,
};

/// What a formatted citation item depends on: key, locator, prefix, suffix, suppressed
/// author, use number.
type ItemInput<'a> = (
    &'a str,
    &'a Option<(LocatorKind, String)>,
    &'a str,
    &'a str,
    bool,
    usize,
);

/// The most citations one driver formats (see `format_document`).
const DRIVER_CITATIONS: usize = 2_000;

/// A cited item, its entry and its locator value as the style shows it.
type Prepared<'a> = (&'a CiteItem, &'a Entry, Option<String>);

/// How the reader-wide bibliography is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By the style's `<sort>` (author-date and note styles).
    Style,
    /// The style has no `<sort>`: it numbers entries by first citation (a numeric style).
    /// Each essay numbers its references so; the reader-wide list is by author, unnumbered.
    Cited,
}

/// A document's citations as the style formatted them, together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocCitations {
    /// Each citation, by the use number of its first item.
    pub citations: HashMap<usize, FormattedCitation>,
    /// Each cited item's own text (HTML), by use number.
    pub items: HashMap<usize, String>,
    /// The document's references: (citation key, entry HTML) in the style's order,
    /// numbered as its citations number them.
    pub references: Vec<(String, String)>,
}

impl DocCitations {
    /// As a JSON text, for the on-disk cache (written by hand: `Serialize` is kept to the
    /// render stage's view types).
    fn to_json(&self) -> String {
        use serde_json::{Value, json};
        let parts = |ps: &[CitePart]| -> Value {
            Value::Array(
                ps.iter()
                    .map(|p| match p {
                        CitePart::Text(t) => json!(t),
                        CitePart::Item { use_index, html } => json!([use_index, html]),
                    })
                    .collect(),
            )
        };
        let mut citations: Vec<(&usize, &FormattedCitation)> = self.citations.iter().collect();
        citations.sort_by_key(|(k, _)| **k);
        let mut items: Vec<(&usize, &String)> = self.items.iter().collect();
        items.sort_by_key(|(k, _)| **k);
        json!({
            "citations": citations.iter().map(|(k, c)| json!([k, parts(&c.text), c.note.as_deref().map(parts)])).collect::<Vec<_>>(),
            "items": items.iter().map(|(k, h)| json!([k, h])).collect::<Vec<_>>(),
            "references": self.references.iter().map(|(k, h)| json!([k, h])).collect::<Vec<_>>(),
        })
        .to_string()
    }

    fn from_json(text: &str) -> Option<DocCitations> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Part {
            Text(String),
            Item(usize, String),
        }
        #[derive(serde::Deserialize)]
        struct Doc {
            citations: Vec<(usize, Vec<Part>, Option<Vec<Part>>)>,
            items: Vec<(usize, String)>,
            references: Vec<(String, String)>,
        }
        let parts = |ps: Vec<Part>| -> Vec<CitePart> {
            ps.into_iter()
                .map(|p| match p {
                    Part::Text(t) => CitePart::Text(t),
                    Part::Item(use_index, html) => CitePart::Item { use_index, html },
                })
                .collect()
        };
        let doc: Doc = serde_json::from_str(text).ok()?;
        Some(DocCitations {
            citations: doc
                .citations
                .into_iter()
                .map(|(k, text, note)| {
                    (
                        k,
                        FormattedCitation {
                            text: parts(text),
                            note: note.map(parts),
                        },
                    )
                })
                .collect(),
            items: doc.items.into_iter().collect(),
            references: doc.references,
        })
    }
}

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
    /// Each entry's hash, by key, made once per load: the cache key of a document's
    /// citations hashes its entries, and hashing them afresh for each document was a tenth
    /// of a `serve` rebuild at 10,000 essays.
    entry_hash: HashMap<String, u64>,
    style: IndependentStyle,
    /// The locale citations are formatted in (the book's language, or the style's
    /// `default-locale` when the book's language is the default English), and the locale
    /// files: that language's and US English (the fallback of every CSL processor).
    pub locale: LocaleCode,
    locales: Vec<Locale>,
    /// How the reader-wide bibliography is ordered.
    pub order: Order,
    /// The style without its bibliography: a document's driver formats only its citations
    /// when its reference list is the reader-wide entries (see `format_document_now`).
    citations_only: IndependentStyle,
    /// The style with an empty citation layout, for a bibliography of one entry (a "Cite
    /// this" entry, `format_bibtex`), when that is exactly the same entry: its citation
    /// is rendered twice by the driver and thrown away. With one entry nothing is
    /// ambiguous (no disambiguation, no year suffix), its citation number, position and
    /// ibid state do not depend on the layout. What the entry can still take from the
    /// citation layout, and when the layout is therefore kept (`None`) or kept for an entry
    /// without authors (`true`): `entry_only_when`.
    entry_only: Option<(IndependentStyle, bool)>,
    /// Keys of entries whose first author (or, without one, title) another entry shares.
    shared_name: HashSet<String>,
    /// The locator words citations are read with (the locale's terms and English).
    pub locator_words: LocatorWords,
    /// The locale puts a period or comma after a quotation inside the quotation marks.
    punctuation_in_quote: bool,
    /// All entries in the style's bibliography order.
    pub sources: Vec<Source>,
    by_key: HashMap<String, usize>,
    pub cite_style: CiteStyle,
    pub note_style: bool,
    /// Formatted documents, kept for the life of this bibliography (across `serve`
    /// rebuilds while the bibliography and style are unchanged), by the cache key of all
    /// their inputs.
    documents: Mutex<HashMap<u64, Arc<DocCitations>>>,
    /// Formatted entries and items kept on disk between builds.
    disk: FormatCache,
}

impl Bibliography {
    pub fn empty(style: IndependentStyle) -> Bibliography {
        Bibliography::empty_in(style, "en")
    }

    /// An empty bibliography formatting in `language` (a BCP 47 tag).
    pub fn empty_in(style: IndependentStyle, language: &str) -> Bibliography {
        let cite_style = cite_style(&style);
        let locale = match &style.default_locale {
            Some(own) if language == "en" || language.is_empty() => own.clone(),
            _ => LocaleCode(language.to_string()),
        };
        let order = if style
            .bibliography
            .as_ref()
            .and_then(|b| b.sort.as_ref())
            .is_some()
            || style.bibliography.is_none()
        {
            Order::Style
        } else {
            Order::Cited
        };
        let citations_only = IndependentStyle {
            bibliography: None,
            ..style.clone()
        };
        let entry_only = entry_only_when(&style).map(|needs_authors| {
            let mut s = style.clone();
            s.citation.layout.elements = Vec::new();
            (s, needs_authors)
        });
        let mut bib = Bibliography {
            failed_files: Vec::new(),
            failed_at: None,
            loaded_files: Vec::new(),
            library: Library::new(),
            entry_hash: HashMap::new(),
            note_style: style.settings.class == StyleClass::Note,
            style,
            locator_words: LocatorWords::english().clone(),
            citations_only,
            entry_only,
            shared_name: HashSet::new(),
            punctuation_in_quote: false,
            locales: locales_for(&locale),
            locale,
            order,
            sources: Vec::new(),
            by_key: HashMap::new(),
            cite_style,
            documents: Mutex::new(HashMap::new()),
            disk: FormatCache::disabled(),
        };
        bib.locator_words = locator_words(&bib.locale, &bib.locales, &bib.style);
        bib.punctuation_in_quote = punctuation_in_quote(&bib.locale, &bib.locales, &bib.style);
        bib
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
        let mut bib = Bibliography::empty_in(style, &config.book.language);
        // The on-disk cache is keyed by the style: its name, or the text of its file.
        let identity = if config.citations.style.ends_with(".csl") {
            read_capped(&root.join(&config.citations.style), input::CSL_STYLE)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        } else {
            config.citations.style.clone()
        };
        bib.disk = FormatCache::open(root, &format!("{identity}\n{}", bib.locale.0));
        let content_dir = root.join(&config.build.content_dir);
        let (files, explicit): (Vec<PathBuf>, bool) = match &config.citations.bibliography {
            Some(files) => (files.clone(), true),
            None => (vec![PathBuf::from("references.bib")], false),
        };
        let mut library = Library::new();
        let mut defined_in: HashMap<String, Location> = HashMap::new();
        // Keys read from CSL-JSON or CSL-YAML (their titles are already in sentence case).
        let mut csl_keys: HashSet<String> = HashSet::new();
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
            let parsed = parse_any(&display, &text).map(|(lib, from_csl)| {
                if from_csl {
                    csl_keys.extend(lib.iter().map(|e| e.key().to_string()));
                }
                lib
            });
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
        bib.fill(library, defined_in, &csl_keys);
        bib
    }

    /// Format every entry once, in the style's bibliography order: one driver sees the
    /// whole bibliography (so it sorts by the style's `<sort>` and disambiguates as the
    /// style says), its result kept in the on-disk cache under all of its entries.
    fn fill(
        &mut self,
        library: Library,
        mut defined_in: HashMap<String, Location>,
        csl_keys: &HashSet<String>,
    ) {
        // The citation processor gets the entries as pandoc reads them (see `mapping`); the
        // sources keep them as written (their "Cite this" files).
        let mut formatting = Library::new();
        for entry in library.iter() {
            formatting.push(&mapping::for_formatting(
                entry,
                !csl_keys.contains(entry.key()),
            ));
        }
        // The order a style without a `<sort>` (a numeric style) keeps, and the driver's
        // input order: first author (or title), year, title, by the language's collation.
        let name_key = |e: &Entry| -> String {
            e.authors()
                .and_then(|a| a.first())
                .map(|p| p.name.to_lowercase())
                .or_else(|| e.title().map(|t| t.to_string().to_lowercase()))
                .unwrap_or_default()
        };
        let year = |e: &Entry| e.date_any().map(|d| d.year).unwrap_or(i32::MAX);
        let title = |e: &Entry| {
            e.title()
                .map(|t| t.to_string().to_lowercase())
                .unwrap_or_default()
        };
        let collation = crate::i18n::Collation::new(&self.locale.0);
        let mut keyed: Vec<(String, i32, String, &Entry)> = formatting
            .iter()
            .map(|e| (name_key(e), year(e), title(e), e))
            .collect();
        let sorting = std::time::Instant::now();
        keyed.sort_by(|a, b| {
            collation
                .compare(&a.0, &b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| collation.compare(&a.2, &b.2))
                .then_with(|| a.3.key().cmp(b.3.key()))
        });
        crate::timing::timing("bibliography collation", sorting);
        // Entries sharing a first author are neighbours after the sort.
        self.shared_name = keyed
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                let same = |j: Option<usize>| {
                    j.and_then(|j| keyed.get(j))
                        .is_some_and(|o: &(String, i32, String, &Entry)| {
                            collation.compare(&o.0, &k.0).is_eq()
                        })
                };
                same(i.checked_sub(1)) || same(Some(i + 1))
            })
            .map(|(_, k)| k.3.key().to_string())
            .collect();
        let entries: Vec<&Entry> = keyed.into_iter().map(|k| k.3).collect();
        let t = std::time::Instant::now();
        let key = self.disk.key(("bibliography", &self.locale.0, &entries));
        let rendered: Vec<(String, String)> = match self
            .disk
            .get(key)
            .and_then(|j| serde_json::from_str::<Vec<(String, String)>>(&j).ok())
        {
            Some(hit) => hit,
            None => {
                let items = self.bibliography_of(&entries);
                let json = serde_json::Value::Array(
                    items
                        .iter()
                        .map(|(k, h)| serde_json::json!([k, h]))
                        .collect(),
                );
                self.disk.put(key, &json.to_string());
                items
            }
        };
        crate::timing::timing("bibliography driver", t);
        let mut html_of: HashMap<String, String> = rendered.iter().cloned().collect();
        // The driver's order; entries it left out (a style with no bibliography) after.
        let mut order: Vec<&Entry> = rendered
            .iter()
            .filter_map(|(k, _)| library.get(k))
            .collect();
        let listed: HashSet<&str> = order.iter().map(|e| e.key()).collect();
        order.extend(
            entries
                .iter()
                .filter(|e| !listed.contains(e.key()))
                .filter_map(|e| library.get(e.key())),
        );
        let sources: Vec<Source> = order
            .into_iter()
            .map(|e| {
                let html = html_of.remove(e.key()).unwrap_or_default();
                source(e, html, defined_in.remove(e.key()))
            })
            .collect();
        self.by_key = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.clone(), i))
            .collect();
        self.sources = sources;
        self.entry_hash = formatting
            .iter()
            .map(|e| (e.key().to_string(), super::format_cache::hash_of(e)))
            .collect();
        self.library = formatting;
    }

    /// The bibliography of `entries` (each cited once, in this order) as the style formats
    /// it: (key, HTML) in the style's order. A style without a `<sort>` numbers entries in
    /// citation order; for the reader-wide list the number is left out (each essay numbers
    /// its own references by first citation).
    fn bibliography_of(&self, entries: &[&Entry]) -> Vec<(String, String)> {
        self.bibliography_in(&self.style, entries)
    }

    /// `bibliography_of` through `style` (the book's, or `entry_only` for one entry).
    fn bibliography_in(
        &self,
        style: &IndependentStyle,
        entries: &[&Entry],
    ) -> Vec<(String, String)> {
        let mut driver: BibliographyDriver<'_, Entry> = BibliographyDriver::new();
        for entry in entries {
            driver.citation(CitationRequest::new(
                vec![CitationItem::with_entry(*entry)],
                style,
                Some(self.locale.clone()),
                &self.locales,
                None,
            ));
        }
        let rendered = driver.finish(BibliographyRequest {
            style,
            locale: Some(self.locale.clone()),
            locale_files: &self.locales,
        });
        let numbered = self.order == Order::Cited;
        rendered
            .bibliography
            .map(|b| b.items)
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let mut html = String::new();
                if let Some(first) = item.first_field.as_ref().filter(|_| !numbered) {
                    let _ = escaped_child(first).write_buf(&mut html, BufWriteFormat::Html);
                    html.push(' ');
                }
                let _ = escaped(&item.content).write_buf(&mut html, BufWriteFormat::Html);
                (item.key, self.tidy(html.trim()))
            })
            .collect()
    }

    /// Format a document's citations through one driver, in the order a citation processor
    /// reads them (`Scan::citations`), so positions (first, subsequent, ibid), numbers by
    /// first citation, the sorting and collapsing of a citation's items and disambiguation
    /// are the style's. `citations` pairs each citation with its items (uses in order).
    /// The result is cached (memory, and disk between builds) under everything it depends
    /// on: the entries cited, the items, their order and notes, the style and locale.
    pub fn format_document(&self, citations: &[(CitationAt, Vec<CiteItem>)]) -> Arc<DocCitations> {
        if citations.is_empty() {
            return Arc::new(DocCitations::default());
        }
        let mut seen: HashSet<&str> = HashSet::new();
        // The entries cited, by their hashes (the same for the same entry in every build).
        let entries: Vec<u64> = citations
            .iter()
            .flat_map(|(_, items)| items.iter())
            .filter(|i| seen.insert(i.key.as_str()))
            .filter_map(|i| self.entry_hash.get(&i.key).copied())
            .collect();
        // Everything of the items but their offsets in the text.
        let inputs: Vec<(&CitationAt, Vec<ItemInput<'_>>)> = citations
            .iter()
            .map(|(c, items)| {
                let items = items
                    .iter()
                    .map(|i| {
                        (
                            i.key.as_str(),
                            &i.locator,
                            i.prefix.as_str(),
                            i.suffix.as_str(),
                            i.suppress_author,
                            i.use_index,
                        )
                    })
                    .collect();
                (c, items)
            })
            .collect();
        let key = self
            .disk
            .key(("document", &self.locale.0, &entries, &inputs));
        let memory = || self.documents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = memory().get(&key) {
            return hit.clone();
        }
        let doc = match self.disk.get(key).and_then(|j| DocCitations::from_json(&j)) {
            Some(doc) => doc,
            None => {
                // A driver's cost grows faster than linearly with its citations (it looks
                // back over earlier ones): a document of more than `DRIVER_CITATIONS` is
                // formatted in runs of that many (positions and numbers restart per run; no
                // real essay comes near it).
                let mut doc = DocCitations::default();
                let mut listed: HashSet<String> = HashSet::new();
                for run in citations.chunks(DRIVER_CITATIONS) {
                    let part = self.format_document_now(run);
                    doc.citations.extend(part.citations);
                    doc.items.extend(part.items);
                    for (key, html) in part.references {
                        if listed.insert(key.clone()) {
                            doc.references.push((key, html));
                        }
                    }
                }
                self.disk.put(key, &doc.to_json());
                doc
            }
        };
        let doc = Arc::new(doc);
        memory().insert(key, doc.clone());
        doc
    }

    fn format_document_now(&self, citations: &[(CitationAt, Vec<CiteItem>)]) -> DocCitations {
        let note_style = self.note_style;
        let mut doc_references_from_sources: Option<Vec<usize>> = None;
        let mut driver: BibliographyDriver<'_, Entry> = BibliographyDriver::new();
        // Each citation's known items with their locator values as the style shows them.
        let range_format = self.style.settings.page_range_format;
        let prepared: Vec<(&CitationAt, Vec<Prepared<'_>>)> = citations
            .iter()
            .map(|(at, items)| {
                let known = items
                    .iter()
                    .filter_map(|i| {
                        let entry = self.library.get(&i.key)?;
                        let value = i.locator.as_ref().map(|(kind, value)| match kind {
                            LocatorKind::Page => page_ranges(value, range_format),
                            _ => value.clone(),
                        });
                        Some((i, entry, value))
                    })
                    .collect();
                (at, known)
            })
            .collect();
        // The items handed to the driver, per citation (citations with none are skipped).
        let mut submitted: Vec<(&CitationAt, Vec<&CiteItem>)> = Vec::new();
        for (at, known) in &prepared {
            if known.is_empty() {
                continue;
            }
            let request_items = known
                .iter()
                .map(|(item, entry, value)| {
                    let locator =
                        item.locator
                            .as_ref()
                            .zip(value.as_ref())
                            .map(|((kind, _), value)| {
                                SpecificLocator(
                                    csl_locator(*kind),
                                    LocatorPayload::Str(value.as_str()),
                                )
                            });
                    CitationItem::with_locator(*entry, locator)
                })
                .collect();
            driver.citation(CitationRequest::new(
                request_items,
                &self.style,
                Some(self.locale.clone()),
                &self.locales,
                at.note.filter(|_| note_style),
            ));
            submitted.push((at, known.iter().map(|(i, _, _)| *i).collect()));
        }
        // The document's own reference list is rendered only when it can differ from the
        // reader-wide entries: a numeric style (numbers by first citation), or a cited work
        // whose first author has other works (disambiguation, "———" for a repeated author
        // depend on what else is cited). Otherwise the reader-wide entries are the same,
        // already formatted (an entry costs milliseconds in a large style).
        let own_list = self.order == Order::Cited
            || submitted
                .iter()
                .flat_map(|(_, items)| items.iter())
                .any(|i| self.shared_name.contains(&i.key));
        let rendered = driver.finish(BibliographyRequest {
            style: if own_list {
                &self.style
            } else {
                &self.citations_only
            },
            locale: Some(self.locale.clone()),
            locale_files: &self.locales,
        });
        if !own_list {
            let mut cited: Vec<usize> = submitted
                .iter()
                .flat_map(|(_, items)| items.iter())
                .filter_map(|i| self.index_of(&i.key))
                .collect();
            cited.sort_unstable();
            cited.dedup();
            doc_references_from_sources = Some(cited);
        }
        let mut doc = DocCitations::default();
        if let Some(cited) = doc_references_from_sources {
            doc.references = cited
                .into_iter()
                .map(|i| (self.sources[i].key.clone(), self.sources[i].html.clone()))
                .collect();
        }
        for ((at, items), cited) in submitted.into_iter().zip(&rendered.citations) {
            let formatted = self.citation_parts(at, &items, &cited.citation, &mut doc.items);
            doc.citations.insert(at.first_use, formatted);
        }
        let numbered = self.order == Order::Cited;
        for item in rendered.bibliography.map(|b| b.items).unwrap_or_default() {
            let mut html = String::new();
            if let Some(first) = item.first_field.as_ref().filter(|_| numbered) {
                let _ = escaped_child(first).write_buf(&mut html, BufWriteFormat::Html);
                html.push(' ');
            }
            let _ = escaped(&item.content).write_buf(&mut html, BufWriteFormat::Html);
            doc.references.push((item.key, self.tidy(html.trim())));
        }
        doc
    }

    /// One citation's output as parts: text, and each item (its prefix and suffix added;
    /// the author taken out where it is suppressed or stands in the sentence).
    fn citation_parts(
        &self,
        at: &CitationAt,
        items: &[&CiteItem],
        children: &ElemChildren,
        item_html: &mut HashMap<usize, String>,
    ) -> FormattedCitation {
        let layout = &self.style.citation.layout;
        let open = layout.prefix.as_deref().unwrap_or("");
        let close = layout.suffix.as_deref().unwrap_or("");
        let mut parts: Vec<CitePart> = Vec::new();
        // A narrative citation's author, to stand in the sentence.
        let mut author: Option<(usize, String, bool)> = None;
        for child in &children.0 {
            let entry_of = match child {
                ElemChild::Elem(e) => match e.meta {
                    Some(ElemMeta::Entry(i)) => items.get(i).map(|item| (item, e)),
                    _ => None,
                },
                _ => None,
            };
            let Some((item, elem)) = entry_of else {
                let mut html = String::new();
                let _ = escaped_child(child).write_buf(&mut html, BufWriteFormat::Html);
                match parts.last_mut() {
                    Some(CitePart::Text(t)) => t.push_str(&html),
                    _ => parts.push(CitePart::Text(html)),
                }
                continue;
            };
            let mut inner = elem.children.clone();
            // A narrative citation in a footnote of a note style keeps its names: pandoc
            // writes it whole ("Compare Goldsmith and Wu, Who Controls …").
            let in_note_text = self.note_style && at.in_footnote;
            let narrative = at.narrative && !in_note_text;
            let names = if narrative || item.suppress_author {
                take_names(&mut inner)
            } else {
                None
            };
            let mut core = String::new();
            let _ = escaped(&inner).write_buf(&mut core, BufWriteFormat::Html);
            let mut core = if names.is_some() {
                core.trim_start_matches([' ', ',', ';', ':'])
                    .trim_end()
                    .to_string()
            } else {
                core.trim().to_string()
            };
            if narrative {
                let name = match &names {
                    Some(n) => {
                        let mut html = String::new();
                        let _ = escaped(n).write_buf(&mut html, BufWriteFormat::Html);
                        html
                    }
                    // The style's citation shows no names (a numeric style): as pandoc
                    // does, the citation alone ("[8]").
                    None => {
                        core = format!("{open}{core}{close}");
                        String::new()
                    }
                };
                author = Some((item.use_index, name, names.is_some()));
            }
            let mut html = String::new();
            if !item.prefix.is_empty() {
                html.push_str(&escape(&item.prefix));
                html.push(' ');
            }
            html.push_str(&core);
            if !item.suffix.is_empty() {
                if !item.suffix.starts_with([',', ';', '.', ':']) {
                    html.push(' ');
                }
                html.push_str(&escape(&item.suffix));
            }
            item_html.insert(item.use_index, html.clone());
            parts.push(CitePart::Item {
                use_index: item.use_index,
                html,
            });
        }
        // The style's own affixes around a narrative citation are not wanted.
        if at.narrative {
            parts.retain(|p| matches!(p, CitePart::Item { .. }));
        }
        // Nothing left to print (an author suppressed from a citation that is only the
        // author, as in MLA): pandoc prints nothing.
        if !at.narrative
            && parts
                .iter()
                .all(|p| !matches!(p, CitePart::Item { html, .. } if !html.is_empty()))
        {
            return FormattedCitation::default();
        }
        // As pandoc does, a citation whose items have a prefix or suffix keeps the order
        // they were written in (the style sorts the others).
        if items.len() > 1
            && items
                .iter()
                .any(|i| !i.prefix.is_empty() || !i.suffix.is_empty())
        {
            parts = written_order(parts, items, open, close, layout.delimiter.as_deref());
        }
        let is_note = self.note_style && !at.in_footnote;
        match (at.narrative, is_note) {
            // "Author (1992, 33)"; the style's brackets when it shows no names ("Author [1]").
            (true, false) => {
                let Some((use_index, name, had_names)) = author else {
                    return FormattedCitation {
                        text: parts,
                        note: None,
                    };
                };
                let rest = plain_parts(&parts);
                let html = if rest.is_empty() {
                    name
                } else if had_names {
                    format!("{name} ({rest})")
                } else {
                    rest
                };
                item_html.insert(use_index, html.clone());
                FormattedCitation {
                    text: vec![CitePart::Item { use_index, html }],
                    note: None,
                }
            }
            // A note: the author stays in the sentence, the rest becomes the note.
            (narrative, true) => {
                let mut note = parts;
                trim_note(&mut note, close);
                capitalize_first(&mut note);
                let text = match (narrative, author) {
                    (true, Some((use_index, name, _))) => {
                        vec![CitePart::Item {
                            use_index,
                            html: name,
                        }]
                    }
                    _ => Vec::new(),
                };
                FormattedCitation {
                    text,
                    note: Some(note),
                }
            }
            // In a note style, a citation written inside a footnote stays in its text, in
            // parentheses and without the note's closing period (as pandoc does).
            (false, false) if self.note_style => {
                let mut text = parts;
                if let Some(CitePart::Text(t)) = text.last_mut()
                    && !close.is_empty()
                    && t.ends_with(&escape(close))
                {
                    t.truncate(t.len() - escape(close).len());
                }
                if matches!(text.last(), Some(CitePart::Text(t)) if t.is_empty()) {
                    text.pop();
                }
                text.insert(0, CitePart::Text("(".into()));
                text.push(CitePart::Text(")".into()));
                FormattedCitation { text, note: None }
            }
            (false, false) => FormattedCitation {
                text: parts,
                note: None,
            },
        }
    }

    /// `tidy_punctuation`, and a period or comma after a closing quotation mark moved
    /// inside it where the locale says so (American English), which hayagriva leaves
    /// outside in bibliography entries.
    fn tidy(&self, html: &str) -> String {
        let html = tidy_punctuation(html);
        if self.punctuation_in_quote {
            html.replace("”.", ".”").replace("”,", ",”")
        } else {
            html
        }
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
        let entry = mapping::for_formatting(library.iter().next()?, true);
        let has_authors = entry.authors().is_some_and(|a| !a.is_empty());
        let style = match &self.entry_only {
            Some((style, needs_authors)) if has_authors || !needs_authors => style,
            _ => &self.style,
        };
        let html = self.bibliography_in(style, &[&entry]).into_iter().next()?.1;
        self.disk.put(key, &html);
        Some(html)
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
}

/// Whether a style names the citation number or label anywhere (its citation, bibliography,
/// macros), which a bibliography entry takes from how its citation identified it. Read
/// from the parsed style's debug form: a false "yes" only keeps the slower path.
fn names_identifier(style: &IndependentStyle) -> bool {
    let text = format!("{style:?}");
    text.contains("CitationNumber") || text.contains("CitationLabel")
}

/// Whether `found` holds for an element the bibliography layout can render (directly or
/// through macros, in any branch), given whether it is inside a `<substitute>`. A macro call
/// too deep to follow counts as found.
fn in_bibliography_layout(
    style: &IndependentStyle,
    found: &dyn Fn(&hayagriva::citationberg::LayoutRenderingElement, bool) -> bool,
) -> bool {
    use hayagriva::citationberg::{LayoutRenderingElement as E, TextTarget};
    struct Walk<'a, 'f> {
        style: &'a IndependentStyle,
        found: &'f dyn Fn(&E, bool) -> bool,
        seen: HashSet<(&'a str, bool)>,
    }
    impl<'a> Walk<'a, '_> {
        fn any(&mut self, elements: &'a [E], in_substitute: bool, depth: usize) -> bool {
            if depth > 256 {
                return true;
            }
            let style = self.style;
            elements.iter().any(|e| {
                (self.found)(e, in_substitute)
                    || match e {
                        E::Text(t) => {
                            match &t.target {
                                TextTarget::Macro { name } => {
                                    self.seen.insert((name.as_str(), in_substitute))
                                        && style.macros.iter().filter(|m| &m.name == name).any(
                                            |m| self.any(&m.children, in_substitute, depth + 1),
                                        )
                                }
                                _ => false,
                            }
                        }
                        E::Names(n) => n
                            .substitute()
                            .is_some_and(|s| self.any(&s.children, true, depth + 1)),
                        E::Group(g) => self.any(&g.children, in_substitute, depth + 1),
                        E::Choose(c) => {
                            c.branches()
                                .any(|b| self.any(&b.children, in_substitute, depth + 1))
                                || c.otherwise.as_ref().is_some_and(|o| {
                                    self.any(&o.children, in_substitute, depth + 1)
                                })
                        }
                        E::Date(_) | E::Number(_) | E::Label(_) => false,
                    }
            })
        }
    }
    let Some(bibliography) = &style.bibliography else {
        return false;
    };
    let mut walk = Walk {
        style,
        found,
        seen: HashSet::new(),
    };
    walk.any(&bibliography.layout.elements, false, 0)
}

/// When a lone entry can be formatted with `entry_only` (see there): `Some(false)` for
/// every entry, `Some(true)` for an entry with authors, `None` never.
///
/// Besides the citation number or label, the citation layout reaches the entry in one
/// way: at the entry's first year, hayagriva asks whether the citation layout shows a year
/// suffix, and inside a `<substitute>` that question suppresses the variables it reads.
/// So either no date can be rendered in a substitute, or no substitute is rendered: each
/// `<names>` with one lists `author`, and the entry has authors.
fn entry_only_when(style: &IndependentStyle) -> Option<bool> {
    use hayagriva::citationberg::LayoutRenderingElement as E;
    use hayagriva::citationberg::taxonomy::NameVariable;
    if names_identifier(style) {
        return None;
    }
    if !in_bibliography_layout(style, &|e, in_substitute| {
        in_substitute && matches!(e, E::Date(_))
    }) {
        return Some(false);
    }
    let unauthored_substitute = in_bibliography_layout(style, &|e, _| {
        matches!(e, E::Names(n) if n.substitute().is_some()
            && !n.variable.contains(&NameVariable::Author))
    });
    (!unauthored_substitute).then_some(true)
}

/// Mend doubled punctuation hayagriva leaves when an entry lacks trailing fields
/// (`“Title.”.`, `“Why?.”`, `Journal,.`), a known quirk of its CSL renderer.
fn tidy_punctuation(html: &str) -> String {
    let mut out = html
        .replace(".”.", ".”")
        .replace("?.”", "?”")
        .replace("!.”", "!”")
        .replace(",.", ".")
        .replace("?.", "?")
        .replace(",)", ")");
    // A number's affix leaves a space before the punctuation after it (`no. 1 .`).
    for p in [" .", " :", " ,"] {
        let mut from = 0;
        while let Some(i) = out[from..].find(p).map(|i| from + i) {
            if out[..i].ends_with(|c: char| c.is_ascii_digit()) {
                out.replace_range(i..i + 1, "");
            }
            from = i + 1;
        }
    }
    out
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

/// Scholion's locator kinds and CSL's, both ways.
const LOCATORS: &[(LocatorKind, hayagriva::citationberg::taxonomy::Locator)] = {
    use hayagriva::citationberg::taxonomy::Locator as L;
    &[
        (LocatorKind::Page, L::Page),
        (LocatorKind::Chapter, L::Chapter),
        (LocatorKind::Section, L::Section),
        (LocatorKind::Paragraph, L::Paragraph),
        (LocatorKind::Volume, L::Volume),
        (LocatorKind::Figure, L::Figure),
        (LocatorKind::Note, L::Note),
        (LocatorKind::Line, L::Line),
        (LocatorKind::Column, L::Column),
        (LocatorKind::Book, L::Book),
        (LocatorKind::Part, L::Part),
        (LocatorKind::Verse, L::Verse),
        (LocatorKind::Table, L::Table),
        (LocatorKind::Act, L::Act),
        (LocatorKind::Appendix, L::Appendix),
        (LocatorKind::Canon, L::Canon),
        (LocatorKind::Equation, L::Equation),
        (LocatorKind::Folio, L::Folio),
        (LocatorKind::Issue, L::Issue),
        (LocatorKind::Opus, L::Opus),
        (LocatorKind::Rule, L::Rule),
        (LocatorKind::Scene, L::Scene),
        (LocatorKind::SubVerbo, L::SubVerbo),
        (LocatorKind::Supplement, L::Supplement),
        (LocatorKind::Timestamp, L::Timestamp),
        (LocatorKind::Title, L::Title),
    ]
};

fn csl_locator(kind: LocatorKind) -> hayagriva::citationberg::taxonomy::Locator {
    LOCATORS.iter().find(|(k, _)| *k == kind).map_or(
        hayagriva::citationberg::taxonomy::Locator::Page,
        |(_, l)| *l,
    )
}

/// The locator words of `locale`: every form of every locator term in its language's
/// locale files and the style's own locale overrides, added to the English words.
fn locator_words(locale: &LocaleCode, files: &[Locale], style: &IndependentStyle) -> LocatorWords {
    use hayagriva::citationberg::taxonomy::Term;
    let language = locale
        .0
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    let same_language = |l: &Locale| {
        l.lang.as_ref().is_none_or(|c| {
            c.0.split('-')
                .next()
                .is_some_and(|p| p.eq_ignore_ascii_case(&language))
        })
    };
    let mut terms = Vec::new();
    for file in files
        .iter()
        .chain(&style.locale)
        .filter(|l| same_language(l))
    {
        for term in file.terms.iter().flat_map(|t| &t.terms) {
            let Term::Locator(csl) = term.name else {
                continue;
            };
            let Some(kind) = LOCATORS.iter().find(|(_, l)| *l == csl).map(|(k, _)| *k) else {
                continue;
            };
            for word in [term.single(), term.multiple()].into_iter().flatten() {
                terms.push((word.to_string(), kind));
            }
        }
    }
    LocatorWords::with_terms(terms)
}

/// Whether `locale` puts punctuation inside quotation marks: the style's own locale
/// options, else the locale file's (a bare language means its main region: `en` → `en-US`).
fn punctuation_in_quote(locale: &LocaleCode, files: &[Locale], style: &IndependentStyle) -> bool {
    let code = locale.0.as_str();
    let language = code.split(['-', '_']).next().unwrap_or("en");
    let main = match language {
        "en" => "en-US",
        "de" => "de-DE",
        "fr" => "fr-FR",
        "es" => "es-ES",
        "pt" => "pt-PT",
        _ => code,
    };
    let option = |l: &Locale| l.style_options.and_then(|o| o.punctuation_in_quote);
    style
        .locale
        .iter()
        .filter(|l| {
            l.lang
                .as_ref()
                .is_none_or(|c| c.0 == code || c.0 == language)
        })
        .find_map(option)
        .or_else(|| {
            files
                .iter()
                .filter(|l| l.lang.as_ref().is_some_and(|c| c.0 == code || c.0 == main))
                .find_map(option)
        })
        .unwrap_or(false)
}

/// A page locator's ranges in the style's `page-range-format` (`779-780` → `779-80` in
/// Chicago), which hayagriva applies to the `page` variable but not to locators.
fn page_ranges(value: &str, format: Option<hayagriva::citationberg::PageRangeFormat>) -> String {
    let Some(format) = format else {
        return value.to_string();
    };
    let mut out = String::new();
    for (i, part) in value.split(',').enumerate() {
        if i > 0 {
            out.push(',');
        }
        let bounds = part.split_once(['-', '–']);
        match bounds {
            Some((a, b))
                if a.trim().chars().all(|c| c.is_ascii_digit())
                    && b.trim().chars().all(|c| c.is_ascii_digit())
                    && !a.trim().is_empty()
                    && !b.trim().is_empty() =>
            {
                let lead = &part[..part.len() - part.trim_start().len()];
                out.push_str(lead);
                let mut range = String::new();
                if format.format(&mut range, a, b, Some("-")).is_ok() {
                    out.push_str(&range);
                } else {
                    out.push_str(part.trim_start());
                }
            }
            _ => out.push_str(part),
        }
    }
    out
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

/// The formats a bibliography file may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    BibLaTeX,
    HayagrivaYaml,
    CslJson,
    CslYaml,
}

/// A file's format, from its extension, else from its content; `None`: none of them.
fn format_of(display: &Path, text: &str) -> Option<Format> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let yaml_kind = || {
        // CSL-YAML is a list of items (or `references:` holding one, as pandoc writes it);
        // hayagriva's YAML maps each key to its entry.
        let first = body
            .lines()
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l.trim() != "---")
            .unwrap_or("");
        if first.starts_with("- ") || first.starts_with("references:") {
            Format::CslYaml
        } else {
            Format::HayagrivaYaml
        }
    };
    match display
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("bib" | "bibtex" | "biblatex") => return Some(Format::BibLaTeX),
        Some("json" | "csljson") => return Some(Format::CslJson),
        Some("yaml" | "yml") => return Some(yaml_kind()),
        _ => {}
    }
    if body.starts_with('[') || body.starts_with('{') {
        Some(Format::CslJson)
    } else if body.starts_with('@') || body.starts_with('%') {
        Some(Format::BibLaTeX)
    } else if body.contains(':') && !body.contains(['@', '{']) {
        Some(yaml_kind())
    } else {
        None
    }
}

/// Parse a bibliography file in any of the formats (BibLaTeX/BibTeX, hayagriva YAML,
/// CSL-JSON, CSL-YAML), from its extension or content; `true` with entries read from CSL.
pub fn parse_any(display: &Path, text: &str) -> Result<(Library, bool), Vec<Diagnostic>> {
    let format = format_of(display, text).ok_or_else(|| {
        vec![Diagnostic::error(format!(
            "`{}` is not a bibliography file Scholion reads",
            display.display()
        ))
        .at(Location::file(display))
        .hint("use BibLaTeX/BibTeX (`.bib`), CSL-JSON (`.json`, Zotero's export), CSL-YAML or hayagriva YAML (`.yaml`)")]
    })?;
    let csl_doc = match format {
        Format::BibLaTeX => return parse_file(display, text, false).map(|l| (l, false)),
        Format::HayagrivaYaml => return parse_file(display, text, true).map(|l| (l, false)),
        Format::CslJson => serde_json::from_str::<serde_json::Value>(text).map_err(|e| {
            vec![Diagnostic::error(format!("malformed CSL-JSON: {e}"))
                .at(Location::at_line_col(display, text, e.line().max(1), e.column().max(1)))
                .hint("a CSL-JSON file is a list of items: `[{\"id\": \"key\", \"type\": \"book\", …}]`")]
        })?,
        Format::CslYaml => crate::content::frontmatter::yaml_document(text).map_err(|(message, at)| {
            let loc = at.map_or_else(
                || Location::file(display),
                |(l, c)| Location::at_line_col(display, text, l, c),
            );
            vec![Diagnostic::error(format!("malformed CSL-YAML: {message}"))
                .at(loc)
                .hint("a CSL-YAML file is a list of items: `- id: key` with `type`, `title` …")]
        })?,
    };
    let (bibtex, _) = csl::to_biblatex(&csl_doc).map_err(|message| {
        vec![
            Diagnostic::error(format!("malformed CSL bibliography: {message}"))
                .at(Location::file(display))
                .hint("each item needs an `id` (its citation key) and a `type`"),
        ]
    })?;
    // Problems of the BibLaTeX made from it are the file's, not of a text the user never saw.
    parse_file(display, &bibtex, false)
        .map(|l| (l, true))
        .map_err(|ds| {
            ds.into_iter()
                .map(|d| {
                    Diagnostic::error(format!("malformed CSL bibliography: {}", d.message))
                        .at(Location::file(display))
                })
                .collect()
        })
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

/// The locale files citations in `locale` are formatted with: those of its language
/// (`de` → `de-DE`, `de-AT`; hayagriva picks the right one) and US English, every CSL
/// processor's fallback. (hayagriva looks terms up by scanning the files it is given; all
/// 60 of its locales made every citation several times slower.) Only those are decoded:
/// decoding all 60 took ~100 ms. A locale's CBOR holds its code as a short text string
/// (header byte 0x65 for five bytes, then `de-DE`), so files without the language's bytes
/// cannot be one of its locales; the candidates are decoded and checked properly.
fn locales_for(locale: &LocaleCode) -> Vec<Locale> {
    let language = locale
        .0
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    let wanted = |code: &str| {
        code == "en-US"
            || code
                .split('-')
                .next()
                .is_some_and(|l| l.eq_ignore_ascii_case(&language))
    };
    let needles: Vec<Vec<u8>> = [format!("{language}-"), "en-US".to_string()]
        .iter()
        .map(|n| n.as_bytes().to_vec())
        .collect();
    hayagriva::archive::LOCALES
        .iter()
        .filter(|bytes| {
            needles
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        })
        .filter_map(|bytes| ciborium::de::from_reader::<Locale, _>(*bytes).ok())
        .filter(|l| l.lang.as_ref().is_some_and(|c| wanted(&c.0)))
        .collect()
}

/// Take the first names (`cs:names`) out of a rendered item: how pandoc suppresses the
/// author (`[-@key]`) and takes it into the sentence (`@key`). The tree's depth is the
/// style's nesting, which the CSL guard bounds (PRODUCT.md §5).
fn take_names(children: &mut ElemChildren) -> Option<ElemChildren> {
    for i in 0..children.0.len() {
        if let ElemChild::Elem(e) = &mut children.0[i] {
            if matches!(e.meta, Some(ElemMeta::Names(_))) {
                let ElemChild::Elem(e) = children.0.remove(i) else {
                    return None;
                };
                return Some(e.children);
            }
            if let Some(found) = take_names(&mut e.children) {
                return Some(found);
            }
        }
    }
    None
}

/// A citation's parts with its items in the order they were written: the layout's
/// prefix, the items joined by its delimiter, its suffix.
fn written_order(
    parts: Vec<CitePart>,
    items: &[&CiteItem],
    open: &str,
    close: &str,
    delimiter: Option<&str>,
) -> Vec<CitePart> {
    let mut shown: HashMap<usize, String> = HashMap::new();
    for part in parts {
        if let CitePart::Item { use_index, html } = part {
            shown.insert(use_index, html);
        }
    }
    let delimiter = escape(delimiter.unwrap_or("; "));
    let mut out = Vec::new();
    if !open.is_empty() {
        out.push(CitePart::Text(escape(open)));
    }
    for item in items {
        if let Some(html) = shown.remove(&item.use_index) {
            if out.iter().any(|p| matches!(p, CitePart::Item { .. })) {
                out.push(CitePart::Text(delimiter.clone()));
            }
            out.push(CitePart::Item {
                use_index: item.use_index,
                html,
            });
        }
    }
    if !close.is_empty() {
        out.push(CitePart::Text(escape(close)));
    }
    out
}

/// The parts' HTML, joined.
fn plain_parts(parts: &[CitePart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            CitePart::Text(t) => t.as_str(),
            CitePart::Item { html, .. } => html.as_str(),
        })
        .collect()
}

/// A note's text ends with one full stop (the layout's suffix, or added).
fn trim_note(note: &mut Vec<CitePart>, close: &str) {
    let ends = plain_parts(note);
    let ends = ends.trim_end();
    if ends.ends_with(['.', '?', '!']) || ends.ends_with(".”") || ends.ends_with(".</a>") {
        return;
    }
    let _ = close;
    note.push(CitePart::Text(".".into()));
}

/// Capitalise a note's first letter (outside markup), as at the start of a sentence.
fn capitalize_first(parts: &mut [CitePart]) {
    for part in parts {
        let html = match part {
            CitePart::Text(t) => t,
            CitePart::Item { html, .. } => html,
        };
        let mut in_tag = false;
        let mut at = None;
        for (i, c) in html.char_indices() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                '&' if !in_tag => return,
                c if !in_tag && c.is_alphabetic() => {
                    at = Some((i, c));
                    break;
                }
                c if !in_tag && !c.is_whitespace() && !"“‘\"'([".contains(c) => return,
                _ => {}
            }
        }
        if let Some((i, c)) = at {
            if c.is_lowercase() {
                let upper: String = c.to_uppercase().collect();
                html.replace_range(i..i + c.len_utf8(), &upper);
            }
            return;
        }
    }
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
    fn locale_files_are_the_language_s_and_us_english() {
        let mut langs: Vec<String> = super::locales_for(&super::LocaleCode("en".into()))
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
        let mut german: Vec<String> = super::locales_for(&super::LocaleCode("de".into()))
            .iter()
            .filter_map(|l| l.lang.as_ref().map(|c| c.0.clone()))
            .collect();
        german.sort();
        assert_eq!(german, ["de-AT", "de-CH", "de-DE", "en-US"]);
    }
}

#[cfg(test)]
mod entry_only_tests {
    use super::*;

    fn archived(name: &str) -> IndependentStyle {
        hayagriva::archive::ArchivedStyle::by_name(name)
            .unwrap()
            .get()
            .into_independent()
    }

    #[test]
    fn which_styles_format_a_lone_entry_without_its_citation() {
        for name in [
            "chicago-author-date",
            "apa",
            "ieee",
            "chicago-notes",
            "modern-language-association",
        ] {
            let style = archived(name);
            eprintln!("{name}: {:?}", entry_only_when(&style));
        }
        assert_eq!(entry_only_when(&archived("ieee")), None);
        assert_eq!(entry_only_when(&archived("apa")), Some(false));
        // A `<names variable="composer">` has a substitute (with a date in it, through
        // the author's): the citation layout stays.
        assert_eq!(entry_only_when(&archived("chicago-author-date")), None);
    }
}
