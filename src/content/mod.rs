//! The content model (`Essay`, `Term`, `Home`) and loading it from disk: discovery with
//! walkdir, reading, front-matter parsing and validation. Nothing here writes to disk and
//! nothing here needs the whole corpus; cross-file checks belong to `index`.

pub mod frontmatter;
pub mod names;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value as Json;
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use frontmatter::{ESSAY_KEYS, EssayMeta, TERM_KEYS, TEXT_KEYS, TermMeta, TextMeta};

/// A content file as read: its display path, full text (BOM removed) and where its body starts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in diagnostics, relative to the project root (e.g. `content/essays/x.md`).
    pub path: PathBuf,
    /// Shared, so `serve`'s cache of parsed files hands it to each generation without a copy
    /// (cloning 10,000 essays' text was an eighth of an edit's rebuild).
    pub text: std::sync::Arc<str>,
    pub body_offset: usize,
    /// The path under the content folder, with `/` (`essays/notes/First essay.md`): what
    /// relative links and wikilink paths are resolved against.
    pub rel: String,
    /// Where its lines start, made on the first diagnostic: 20,000 broken references in one
    /// file must not each count the lines from the start (quadratic).
    pub lines: std::sync::OnceLock<crate::diagnostics::LineIndex>,
}

impl SourceFile {
    /// A file as read: its display path, its text and where its body starts.
    pub fn new(display: &Path, text: String, body_offset: usize) -> SourceFile {
        SourceFile {
            path: display.to_path_buf(),
            text: text.into(),
            body_offset,
            rel: String::new(),
            lines: Default::default(),
        }
    }

    pub fn body(&self) -> &str {
        &self.text[self.body_offset..]
    }

    /// A diagnostic location at a byte offset of the whole file.
    pub fn location(&self, offset: usize, len: usize) -> Location {
        let lines = self
            .lines
            .get_or_init(|| crate::diagnostics::LineIndex::new(&self.text));
        Location::at_offset_indexed(&self.path, &self.text, lines, offset, len)
    }
}

/// What kind of document a Markdown file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    Home,
    Essay,
    Term,
    Text,
}

/// A value from the front matter with the place it was written.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub struct Essay {
    pub file: SourceFile,
    pub slug: String,
    /// Whether the slug comes from the file name (no `slug:`): two files of one name in
    /// different folders then get their folders in the slug, not an error.
    pub slug_from_file: bool,
    /// Other names a cross-reference may use (`aliases:`).
    pub aliases: Vec<Located<String>>,
    pub title: String,
    pub subtitle: Option<String>,
    pub authors: Vec<String>,
    pub date: Option<jiff::civil::Date>,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub annotates: Option<Located<String>>,
    pub order: Option<i64>,
    pub draft: bool,
    /// The essay's DOI (without `https://doi.org/`).
    pub doi: Option<String>,
    /// Reading questions and learning objectives (Markdown strings).
    pub questions: Vec<String>,
    pub objectives: Vec<String>,
    pub extra: Json,
}

#[derive(Debug, Clone)]
pub struct Term {
    pub file: SourceFile,
    pub slug: String,
    pub name: String,
    pub aliases: Vec<Located<String>>,
    pub short: Option<String>,
    pub see_also: Vec<Located<String>>,
    /// The term in its own language, that language's BCP 47 tag, and a transliteration.
    pub original: Option<Located<String>>,
    pub original_lang: Option<String>,
    pub transliteration: Option<String>,
    /// Where the `term:` key is, for duplicate-name errors.
    pub name_location: Location,
}

/// A primary text the reader publishes (`content/texts/<name>.md`): the work of a
/// bibliography entry, with numbered paragraphs that essays cite by `para.`.
#[derive(Debug, Clone)]
pub struct Text {
    pub file: SourceFile,
    pub slug: String,
    /// The citation key of the work (`source:`).
    pub source: Located<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Home {
    pub file: SourceFile,
    pub title: Option<String>,
}

/// A file published as it is: any file under the content folder that is not Markdown, or
/// under the project's `static/` folder.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Where it is read from.
    pub source: PathBuf,
    /// The path shown in diagnostics (`content/essays/fig.png`).
    pub display: PathBuf,
    /// Its path in the output (and in links): under the content folder, or under `static/`.
    pub rel: String,
    /// An image's width and height in pixels, read from its header.
    pub size: Option<(u32, u32)>,
    /// From `static/` (published at the site's root), not the content folder.
    pub from_static: bool,
}

/// Everything under `content/`, validated file by file, in a deterministic order:
/// essays in reading order, terms A–Z by name.
#[derive(Debug, Default)]
pub struct Content {
    pub home: Option<Home>,
    pub essays: Vec<Essay>,
    pub terms: Vec<Term>,
    /// Primary texts, by file name.
    pub texts: Vec<Text>,
    /// The slugs of essays and terms left out for errors in their front matter: they still
    /// own their names, so links to them are not reported a second time.
    pub broken: Vec<String>,
    /// Files published as they are: the content folder's, then `static/`'s, each by path.
    pub assets: Vec<Asset>,
}

/// A parsed file and the warnings parsing it gave.
type ParsedFile = (Loaded, Vec<Diagnostic>);

/// Parsed files kept between `serve` rebuilds, keyed by path, size and modification time:
/// a file that has not changed parses to the same thing, so it is taken from here.
type ImageSize = Option<(u32, u32)>;

/// Only the files of the latest load are kept (a day of saves must not pile up every
/// version of every file).
#[derive(Default)]
pub struct LoadCache {
    files: std::sync::Mutex<std::collections::HashMap<(PathBuf, u64), std::sync::Arc<ParsedFile>>>,
    /// Images' width and height.
    sizes: std::sync::Mutex<std::collections::HashMap<(PathBuf, u64), ImageSize>>,
    used: std::sync::Mutex<std::collections::HashSet<(PathBuf, u64)>>,
}

impl LoadCache {
    fn mark(&self, key: &(PathBuf, u64)) {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone());
    }

    /// Drop what the load that just ended did not use.
    fn prune(&self) {
        let used = std::mem::take(&mut *self.used.lock().unwrap_or_else(|e| e.into_inner()));
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| used.contains(k));
        self.sizes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| used.contains(k));
    }
}

/// Find and load every content file under `content_dir`. `root` is the project root, used to
/// make display paths. Problems go to `diagnostics`; bad files are left out. With a cache
/// (`serve`), files parsed by an earlier run are reused when their text is unchanged.
pub fn load_cached(
    root: &Path,
    inputs: &crate::config::Inputs,
    diagnostics: &Diagnostics,
    cache: Option<&LoadCache>,
) -> Content {
    let walk_start = std::time::Instant::now();
    let content_dir = inputs.content.as_path();
    let mut paths: Vec<(DocKind, PathBuf)> = Vec::new();
    let mut assets: Vec<(PathBuf, String, bool)> = Vec::new();
    if !content_dir.is_dir() {
        diagnostics.push(
            Diagnostic::error(format!(
                "the content folder `{}` does not exist",
                display_path(root, content_dir).display()
            ))
            .hint("create it, or set `content-dir` under [build] in book.toml"),
        );
        return Content::default();
    }
    // The bibliography and a style inside the content folder are inputs, not downloads.
    // (Compared by components, which drops `./` and doubled slashes.)
    let not_published: Vec<&PathBuf> = inputs.bibliography.iter().chain(&inputs.style).collect();
    let is_input = |path: &Path| {
        not_published
            .iter()
            .any(|p| p.components().eq(path.components()))
    };
    let folders = [(content_dir, false), (inputs.statics.as_path(), true)];
    for (folder, from_static) in folders {
        if from_static && !folder.is_dir() {
            continue;
        }
        // Hidden files and folders of the content folder (`.obsidian/`, `.DS_Store`, `.git/`)
        // are an editor's; `static/` is copied as it is (`.well-known/` is for the web),
        // less what only a system or git leaves.
        let walk = WalkDir::new(folder)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(move |e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0
                    || if from_static {
                        !matches!(name.as_ref(), ".DS_Store" | ".git" | "Thumbs.db")
                    } else {
                        !name.starts_with('.')
                    }
            });
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    let path = err
                        .path()
                        .map(|p| display_path(root, p))
                        .unwrap_or_default();
                    let message = if err.loop_ancestor().is_some() {
                        "a symbolic link loops back to a folder that contains it".to_string()
                    } else {
                        format!("cannot read: {}", io_reason(&err))
                    };
                    diagnostics.push(
                        Diagnostic::error(message)
                            .at(Location::file(&path))
                            .hint("remove the link or fix the file's permissions"),
                    );
                    continue;
                }
            };
            // Anything but a folder is read: a FIFO or device named `.md` is then reported
            // (read without blocking), not skipped in silence.
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.path();
            let rel = path.strip_prefix(folder).unwrap_or(path);
            let is_md = path.extension().and_then(|e| e.to_str()) == Some("md");
            if from_static || !is_md {
                let Some(rel) = rel_string(rel) else { continue };
                if !from_static && is_input(path) {
                    continue;
                }
                assets.push((path.to_path_buf(), rel, from_static));
                continue;
            }
            let kind = match rel.components().next().and_then(|c| c.as_os_str().to_str()) {
                Some("essays") => DocKind::Essay,
                Some("glossary") => DocKind::Term,
                Some("texts") => DocKind::Text,
                Some("index.md") if rel.components().count() == 1 => DocKind::Home,
                _ => continue,
            };
            paths.push((kind, path.to_path_buf()));
        }
    }

    crate::timing::timing("content walk", walk_start);
    let load_start = std::time::Instant::now();
    let load = || -> Vec<Option<Loaded>> {
        paths
            .par_iter()
            .map(|(kind, path)| {
                let display = display_path(root, path);
                match load_file(*kind, path, &display, cache) {
                    Ok((mut loaded, warnings)) => {
                        diagnostics.extend(warnings);
                        let rel = path.strip_prefix(content_dir).ok().and_then(rel_string);
                        if let Some(file) = loaded.file_mut() {
                            file.rel = rel.unwrap_or_default();
                        }
                        Some(loaded)
                    }
                    Err(errors) => {
                        diagnostics.extend(errors);
                        None
                    }
                }
            })
            .collect()
    };
    // Reading waits on the disk when the files are not in the page cache: 10,000 essays took
    // 2.6 s with one read in flight per core, against 0.3 s cached. More threads than cores
    // keep more reads in flight; parsing front matter is short.
    let loaded = match rayon::ThreadPoolBuilder::new()
        .num_threads(IO_THREADS.max(rayon::current_num_threads()))
        .build()
    {
        Ok(pool) if paths.len() > 64 => pool.install(load),
        _ => load(),
    };
    crate::timing::timing("content load", load_start);
    let load_start = std::time::Instant::now();
    let mut content = Content {
        assets: read_assets(root, assets, cache),
        ..Content::default()
    };
    if let Some(cache) = cache {
        cache.prune();
    }
    for item in loaded.into_iter().flatten() {
        match item {
            Loaded::Home(home) => content.home = Some(home),
            Loaded::Essay(essay) => content.essays.push(*essay),
            Loaded::Term(term) => content.terms.push(*term),
            Loaded::Text(text) => content.texts.push(*text),
            Loaded::Broken(slug) => content.broken.push(slug),
        }
    }
    crate::timing::timing("content assets", load_start);
    let load_start = std::time::Instant::now();
    unique_file_slugs(&mut content.essays);
    content.essays.sort_by_cached_key(reading_key);
    content
        .terms
        .sort_by_cached_key(|t| (t.name.to_lowercase(), t.slug.clone()));
    crate::timing::timing("content slugs + order", load_start);
    content
}

/// A relative path as a string with `/` between its parts (`None` if not UTF-8).
fn rel_string(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// The assets' records: each image's size from its header (read in parallel; a file that
/// is not an image, or whose header cannot be read, has none).
/// A file's cache key in `serve`: its path, and a hash of `salt`, its size and its
/// modification time (to the nanosecond). `None` when `stat` fails.
fn stamp_key(path: &Path, salt: impl std::hash::Hash) -> Option<(PathBuf, u64)> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (salt, m.len(), modified.as_nanos()).hash(&mut h);
    Some((path.to_path_buf(), h.finish()))
}

fn read_assets(
    root: &Path,
    found: Vec<(PathBuf, String, bool)>,
    cache: Option<&LoadCache>,
) -> Vec<Asset> {
    // An image's width and height come from its header; `serve` keeps them while the file
    // is unchanged (opening 1,000 images on every rebuild was half of loading the content).
    let image_size = |source: &Path| -> Option<(u32, u32)> {
        let read = || {
            imagesize::size(source)
                .ok()
                .and_then(|s| Some((u32::try_from(s.width).ok()?, u32::try_from(s.height).ok()?)))
        };
        let Some(cache) = cache else { return read() };
        let Some(key) = stamp_key(source, "image") else {
            return read();
        };
        cache.mark(&key);
        let lock = || cache.sizes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = lock().get(&key) {
            return *hit;
        }
        let size = read();
        lock().insert(key, size);
        size
    };
    found
        .into_par_iter()
        .map(|(source, rel, from_static)| {
            let size = if is_image(&rel) {
                image_size(&source)
            } else {
                None
            };
            Asset {
                display: display_path(root, &source),
                source,
                rel,
                size,
                from_static,
            }
        })
        .collect()
}

/// Whether a file name is an image a page shows with `<img>` (by extension, any case).
pub fn is_image(name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    matches!(
        ext.as_str(),
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "svg" | "bmp" | "ico" | "tif" | "tiff"
    )
}

/// Slugs from file names, made to fit notes as Obsidian and Zettlr users keep them: a
/// folder's `index.md` (or `README.md`) is named by its folder (`essays/lecture 1/index.md` →
/// `lecture-1`), as Zola and Hugo name page bundles; essays whose slugs still coincide (two
/// `notes.md` in two folders) are told apart by their folders (`a/notes.md` → `a-notes`). A
/// slug written in `slug:` is kept (a duplicate is an error).
fn unique_file_slugs(essays: &mut [Essay]) {
    let path_of = |e: &Essay| -> String {
        let path = e.file.rel.strip_prefix("essays/").unwrap_or(&e.file.rel);
        let path = path.strip_suffix(".md").unwrap_or(path);
        match path.rsplit_once('/') {
            Some((folder, name)) if is_folder_note(name) => folder.to_string(),
            _ => path.to_string(),
        }
    };
    for e in essays.iter_mut().filter(|e| e.slug_from_file) {
        let path = path_of(e);
        let name = path.rsplit('/').next().unwrap_or(&path);
        let slug = slug::slugify(name);
        if !slug.is_empty() {
            e.slug = slug;
        }
    }
    let mut count: std::collections::HashMap<String, usize> = Default::default();
    for e in essays.iter() {
        *count.entry(e.slug.clone()).or_default() += 1;
    }
    for e in essays.iter_mut() {
        if !e.slug_from_file || count.get(&e.slug).copied().unwrap_or(0) < 2 {
            continue;
        }
        let slug = slug::slugify(path_of(e).replace('/', " "));
        if !slug.is_empty() {
            e.slug = slug;
        }
    }
}

fn is_folder_note(name: &str) -> bool {
    name.eq_ignore_ascii_case("index") || name.eq_ignore_ascii_case("readme")
}

/// Threads that read the content files (see `load_cached`).
const IO_THREADS: usize = 8;

/// The reading order's sort key: essays with `order` first (ascending), then by date, then
/// by title (computed once per essay, not per comparison).
#[allow(clippy::type_complexity)]
fn reading_key(
    e: &Essay,
) -> (
    bool,
    Option<i64>,
    bool,
    Option<jiff::civil::Date>,
    String,
    String,
) {
    (
        e.order.is_none(),
        e.order,
        e.date.is_none(),
        e.date,
        e.title.to_lowercase(),
        e.slug.clone(),
    )
}

impl Loaded {
    fn file_mut(&mut self) -> Option<&mut SourceFile> {
        match self {
            Loaded::Home(h) => Some(&mut h.file),
            Loaded::Essay(e) => Some(&mut e.file),
            Loaded::Term(t) => Some(&mut t.file),
            Loaded::Text(t) => Some(&mut t.file),
            Loaded::Broken(_) => None,
        }
    }
}

#[derive(Clone)]
pub enum Loaded {
    Home(Home),
    Essay(Box<Essay>),
    Term(Box<Term>),
    Text(Box<Text>),
    /// An essay or term with errors, by the slug it claims.
    Broken(String),
}

/// Whether the front matter has a top-level `key:` line (readable or not).
fn has_key(split: &frontmatter::Split<'_>, key: &str) -> bool {
    split.yaml.unwrap_or("").lines().any(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn io_reason(err: &walkdir::Error) -> String {
    err.io_error()
        .map(|e| e.to_string())
        .unwrap_or_else(|| err.to_string())
}

/// Read a file as UTF-8 text, with the BOM removed and a diagnostic for anything else.
/// (A Markdown file: at most `input::MARKDOWN` bytes; see `input::read_text`.)
pub fn read_text(path: &Path, display: &Path) -> Result<String, Diagnostic> {
    crate::input::read_text(path, display, crate::input::MARKDOWN)
}

pub use crate::input::decode_text;

fn load_file(
    kind: DocKind,
    path: &Path,
    display: &Path,
    cache: Option<&LoadCache>,
) -> Result<(Loaded, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Some(cache) = cache else {
        let text = read_text(path, display).map_err(|d| vec![d])?;
        return parse_file(kind, path, display, text);
    };
    // Keyed by what `stat` says (size and modification time, to the nanosecond): an
    // editor's save changes the time, so an unchanged key means unchanged text, and
    // unchanged files are not even read.
    let key = stamp_key(path, kind);
    if let Some(key) = &key {
        cache.mark(key);
        // Copied outside the lock: the IO pool's threads all pass through it.
        let hit = cache
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned();
        if let Some(hit) = hit {
            return Ok((*hit).clone());
        }
    }
    let text = read_text(path, display).map_err(|d| vec![d])?;
    let parsed = parse_file(kind, path, display, text)?;
    if let Some(key) = key {
        cache
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, std::sync::Arc::new(parsed.clone()));
    }
    Ok(parsed)
}

/// What every kind of content file starts from: its text split at the front matter, its
/// display path and file stem.
struct Raw<'f> {
    display: &'f Path,
    text: String,
    stem: String,
}

fn parse_file(
    kind: DocKind,
    path: &Path,
    display: &Path,
    text: String,
) -> Result<(Loaded, Vec<Diagnostic>), Vec<Diagnostic>> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("untitled")
        .to_string();
    let raw = Raw {
        display,
        text,
        stem,
    };
    match kind {
        DocKind::Home => parse_home(raw),
        DocKind::Essay => parse_essay(raw),
        DocKind::Term => parse_term(raw),
        DocKind::Text => parse_text(raw),
    }
}

fn parse_home(raw: Raw<'_>) -> Result<(Loaded, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Raw { display, text, .. } = raw;
    let split = frontmatter::split(display, &text).map_err(|d| vec![d])?;
    let body_offset = split.body_offset;
    let (meta, errors): (EssayMeta, _) = frontmatter::parse(display, &text, &split, ESSAY_KEYS);
    if !errors.is_empty() {
        return Err(errors);
    }
    let loaded = Loaded::Home(Home {
        title: meta.title,
        file: SourceFile::new(display, text, body_offset),
    });
    Ok((loaded, Vec::new()))
}

fn parse_essay(raw: Raw<'_>) -> Result<(Loaded, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Raw {
        display,
        text,
        stem,
        ..
    } = raw;
    let split = frontmatter::split(display, &text).map_err(|d| vec![d])?;
    let body_offset = split.body_offset;
    let mut warnings = Vec::new();
    if split.yaml.is_none() {
        return Err(vec![
            Diagnostic::error("this essay has no front matter")
                .at(Location::at_offset(display, &text, 0, 1))
                .hint("start the file with a front matter block: `---`, `title: \"…\"`, `---`"),
        ]);
    }
    // Every problem of the front matter at once; the checks below run on what was readable.
    let (meta, mut errors): (EssayMeta, _) = frontmatter::parse(display, &text, &split, ESSAY_KEYS);
    let broken_front_matter = !errors.is_empty();
    let at = |key: &str| frontmatter::key_location(display, &text, &split, key);
    let title = match meta.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        // A `title:` that was there but unreadable is already reported.
        _ if broken_front_matter && has_key(&split, "title") => String::new(),
        _ => {
            errors.push(
                Diagnostic::error("this essay has no `title`")
                    .at(Location::at_offset(display, &text, 0, 3))
                    .hint("add `title: \"…\"` to the front matter"),
            );
            String::new()
        }
    };
    let date =
        meta.date.as_ref().and_then(|d| match parse_date(&d.0) {
            Ok(date) => Some(date),
            Err(message) => {
                errors.push(Diagnostic::error(message).at(at("date")).hint(
                    "write dates as YYYY-MM-DD, e.g. `2014-11-19`, and use a day that exists",
                ));
                None
            }
        });
    let slug = match &meta.slug {
        Some(s) => {
            if !is_slug(s) {
                let suggestion = Some(slug::slugify(s))
                    .filter(|s| !s.is_empty())
                    .or_else(|| Some(slug::slugify(&stem)).filter(|s| !s.is_empty()))
                    .unwrap_or_else(|| "my-essay".into());
                errors.push(
                    Diagnostic::error(format!("`{s}` is not a valid slug"))
                        .at(at("slug"))
                        .hint(format!(
                            "slugs are lowercase letters, digits and hyphens, e.g. `{suggestion}`"
                        )),
                );
            }
            s.clone()
        }
        // A folder's `index.md` is named by its folder (see `unique_file_slugs`), also when
        // it is left out for errors and only claims its slug.
        None => match display.parent().and_then(|p| p.file_name()) {
            Some(folder) if is_folder_note(&stem) => slug::slugify(folder.to_string_lossy()),
            _ => slug::slugify(&stem),
        },
    };
    if slug.is_empty() && meta.slug.is_none() {
        errors.push(empty_slug(
            display,
            &text,
            "essay",
            "or set `slug:` in the front matter",
        ));
    }
    if text[body_offset..].trim().is_empty() {
        warnings.push(
            Diagnostic::warning("empty essay: the front matter has no text after it")
                .at(Location::at_offset(display, &text, 0, 3))
                .hint("write the essay below the closing `---`"),
        );
    }
    let annotates = meta.annotates.map(|value| Located {
        value,
        location: at("annotates"),
    });
    let extra = meta
        .extra
        .as_ref()
        .map_or(Json::Object(Default::default()), frontmatter::yaml_to_json);
    if !errors.is_empty() {
        // The essay still claims its slug, so links to it are not reported as well.
        return Ok((Loaded::Broken(slug), errors));
    }
    let aliases_at = at("aliases");
    let loaded = Loaded::Essay(Box::new(Essay {
        slug_from_file: meta.slug.is_none(),
        aliases: located_aliases(meta.aliases, display, &text, &aliases_at),
        slug,
        title,
        subtitle: meta.subtitle,
        authors: meta.authors,
        date,
        // `summary: ""` (as `new essay` writes it) means none: lists use the first paragraph.
        summary: meta.summary.filter(|s| !s.trim().is_empty()),
        tags: meta.tags,
        annotates,
        order: meta.order,
        draft: meta.draft,
        doi: meta.doi,
        questions: meta.questions,
        objectives: meta.objectives,
        extra,
        file: SourceFile::new(display, text, body_offset),
    }));
    Ok((loaded, warnings))
}

fn parse_term(raw: Raw<'_>) -> Result<(Loaded, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Raw {
        display,
        text,
        stem,
        ..
    } = raw;
    let split = frontmatter::split(display, &text).map_err(|d| vec![d])?;
    let body_offset = split.body_offset;
    if split.yaml.is_none() {
        return Err(vec![
            Diagnostic::error("this glossary term has no front matter")
                .at(Location::at_offset(display, &text, 0, 1))
                .hint("start the file with `---`, `term: \"…\"`, `---`"),
        ]);
    }
    let (meta, mut errors): (TermMeta, _) = frontmatter::parse(display, &text, &split, TERM_KEYS);
    let at = |key: &str| frontmatter::key_location(display, &text, &split, key);
    let name = match meta.term.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ if !errors.is_empty() && has_key(&split, "term") => String::new(),
        _ => {
            errors.push(
                Diagnostic::error("this glossary term has no `term` name")
                    .at(Location::at_offset(display, &text, 0, 3))
                    .hint("add `term: \"…\"` to the front matter"),
            );
            String::new()
        }
    };
    if !errors.is_empty() {
        // The term still claims its slug (its file name), so links to it are not
        // reported as well.
        return Ok((Loaded::Broken(slug::slugify(&stem)), errors));
    }
    if slug::slugify(&stem).is_empty() {
        return Err(vec![empty_slug(
            display,
            &text,
            "term",
            "its slug is its file name",
        )]);
    }
    let aliases_at = at("aliases");
    let see_also_at = at("see-also");
    let original = meta
        .original
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .map(|value| Located {
            location: at("original"),
            value,
        });
    let loaded = Loaded::Term(Box::new(Term {
        original,
        original_lang: meta.original_lang.filter(|l| !l.trim().is_empty()),
        transliteration: meta.transliteration.filter(|t| !t.trim().is_empty()),
        slug: slug::slugify(&stem),
        name_location: at("term"),
        name,
        aliases: located_aliases(meta.aliases, display, &text, &aliases_at),
        short: meta.short.filter(|s| !s.trim().is_empty()),
        see_also: meta
            .see_also
            .into_iter()
            .map(|value| Located {
                location: alias_location(display, &text, &value).unwrap_or(see_also_at.clone()),
                value,
            })
            .collect(),
        file: SourceFile::new(display, text, body_offset),
    }));
    Ok((loaded, Vec::new()))
}

fn parse_text(raw: Raw<'_>) -> Result<(Loaded, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Raw {
        display,
        text,
        stem,
        ..
    } = raw;
    let split = frontmatter::split(display, &text).map_err(|d| vec![d])?;
    let body_offset = split.body_offset;
    if split.yaml.is_none() {
        return Err(vec![
            Diagnostic::error("this text has no front matter")
                .at(Location::at_offset(display, &text, 0, 1))
                .hint("start the file with `---`, `source: <citation key>`, `---`"),
        ]);
    }
    let (meta, errors): (TextMeta, _) = frontmatter::parse(display, &text, &split, TEXT_KEYS);
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(source) = meta
        .source
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    else {
        return Err(vec![
            Diagnostic::error("this text has no `source`")
                .at(Location::at_offset(display, &text, 0, 3))
                .hint("add `source: <citation key>`: the bibliography entry this is the text of"),
        ]);
    };
    let slug = slug::slugify(&stem);
    if slug.is_empty() {
        return Err(vec![empty_slug(
            display,
            &text,
            "text",
            "its slug is its file name",
        )]);
    }
    let location = frontmatter::key_location(display, &text, &split, "source");
    let loaded = Loaded::Text(Box::new(Text {
        slug,
        source: Located {
            value: source,
            location,
        },
        title: meta.title.filter(|t| !t.trim().is_empty()),
        file: SourceFile::new(display, text, body_offset),
    }));
    Ok((loaded, Vec::new()))
}

/// A file whose name has no letter or digit has no slug (and no page address).
fn empty_slug(display: &Path, text: &str, what: &str, more: &str) -> Diagnostic {
    let name = display
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    Diagnostic::error(format!("the file name `{name}` gives this {what} no slug"))
        .at(Location::at_offset(display, text, 0, 3))
        .hint(format!(
            "rename the file with letters or digits, e.g. `my-{what}.md` ({more})"
        ))
}

/// The non-empty aliases of a file, each located where its front matter writes it (else at
/// the `aliases:` key, `key_at`).
fn located_aliases(
    aliases: Vec<String>,
    display: &Path,
    text: &str,
    key_at: &Location,
) -> Vec<Located<String>> {
    aliases
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .map(|value| Located {
            location: alias_location(display, text, &value).unwrap_or_else(|| key_at.clone()),
            value,
        })
        .collect()
}

/// The place a list item value is written in the front matter (first occurrence).
fn alias_location(display: &Path, text: &str, value: &str) -> Option<Location> {
    let end = text.get(3..)?.find("\n---").map_or(text.len(), |i| i + 3);
    let offset = text[..end].find(value)?;
    Some(Location::at_offset(display, text, offset, value.len()))
}

/// A real calendar date written YYYY-MM-DD.
pub fn parse_date(text: &str) -> Result<jiff::civil::Date, String> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !well_formed {
        return Err(format!("`{text}` is not a date in the form YYYY-MM-DD"));
    }
    text.parse::<jiff::civil::Date>()
        .map_err(|_| format!("`{text}` is not a real calendar date"))
}

/// Lowercase ASCII letters, digits and single hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist() {
        assert!(parse_date("1993-02-30").is_err());
        assert!(parse_date("2014-11-19").is_ok());
        assert!(parse_date("2014-1-19").is_err());
    }
}
