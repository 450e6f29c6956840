//! The route table: every page and file of the site, and the one place that knows, for each,
//! its `href` under the base path, its path in the output folder, and how a request path maps
//! back to it. Every link, every written file, the sitemap and `serve`'s lookup go through it,
//! so a name that is not plain ASCII works everywhere or nowhere.
//!
//! Names become path segments by [`segment`]: readable, safe on every file system, and made
//! unique by [`Segments`]. Output paths are the *decoded* form (UTF-8 file names, what a static
//! server looks up after decoding a request); hrefs are percent-encoded.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::ids::{AssetId, EssayId, SourceId, TagId, TermId, TextId};

/// A format reference managers import: a file for the reader and for the whole
/// bibliography; an essay's or a source's record is a `data:` URL in its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CiteFormat {
    /// BibTeX/BibLaTeX (`.bib`).
    Bibtex,
    /// RIS (`.ris`).
    Ris,
    /// CSL-JSON (`.json`).
    CslJson,
}

impl CiteFormat {
    pub const ALL: [CiteFormat; 3] = [CiteFormat::Bibtex, CiteFormat::Ris, CiteFormat::CslJson];

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            CiteFormat::Bibtex => "bib",
            CiteFormat::Ris => "ris",
            CiteFormat::CslJson => "json",
        }
    }

    fn from_file(file: &str, stem: &str) -> Option<CiteFormat> {
        let ext = file.strip_prefix(stem)?.strip_prefix('.')?;
        CiteFormat::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

/// Every page and file of a site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    Home,
    /// The reader's own record (`cite.bib` …), made with the home page.
    ReaderCite(CiteFormat),
    Essay(EssayId),
    /// An essay's link-preview image (`essays/x/preview.png`, the `og:image`), made with the
    /// essay's page.
    Preview(EssayId),
    Glossary,
    Term(TermId),
    Citations,
    /// The whole bibliography as one file (`citations/bibliography.bib` …), made with the
    /// bibliography page.
    BibliographyFile(CiteFormat),
    Source(SourceId),
    /// A primary text, with numbered paragraphs and the commentary beside them.
    Text(TextId),
    Tags,
    Tag(TagId),
    /// The study guide: each essay's questions, the terms it introduces, the sources it reads.
    StudyGuide,
    /// The print edition: the whole reader as one page (`print/`).
    Print,
    /// The EPUB: the whole reader as an e-book (`<title>.epub`).
    Epub,
    /// The search page; the index files below are made with it.
    Search,
    SearchMeta,
    /// A shard of the search index: the words starting with these characters.
    SearchShard(String),
    /// A chunk of the search index's document records.
    SearchDocs(usize),
    /// A static file of the theme, by its path under `static/`.
    Static(String),
    /// A file of the project published as it is: from the content folder at its path there
    /// (`essays/fig.png`), from the project's `static/` at the site's root (`CNAME`).
    Asset(AssetId),
    Feed,
    Sitemap,
    NotFound,
    /// `.nojekyll`, made with the 404 page (GitHub Pages serves folders starting with `_`).
    NoJekyll,
}

impl Route {
    /// The route whose rendering also makes this one (files made together, such as the
    /// search page and its index), so `serve` renders each job once.
    pub fn job(&self) -> Route {
        match self {
            Route::SearchMeta | Route::SearchShard(_) | Route::SearchDocs(_) => Route::Search,
            Route::NoJekyll => Route::NotFound,
            Route::ReaderCite(_) => Route::Home,
            Route::Preview(i) => Route::Essay(*i),
            Route::BibliographyFile(_) => Route::Citations,
            other => other.clone(),
        }
    }

    /// Whether the route is an HTML page a reader visits (listed in the sitemap).
    pub fn is_page(&self) -> bool {
        matches!(
            self,
            Route::Home
                | Route::Essay(_)
                | Route::Glossary
                | Route::Term(_)
                | Route::Citations
                | Route::Source(_)
                | Route::Text(_)
                | Route::Tags
                | Route::Tag(_)
                | Route::StudyGuide
                | Route::Print
                | Route::Search
                | Route::NotFound
        )
    }
}

/// Characters percent-encoded in an href's path: controls, space, and what ends or changes a
/// path (`"`, `#`, `%`, `<`, `>`, `?`, backquote, braces) — non-ASCII is always encoded.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// The URL policy for every URL that comes from input (bibliography fields, Markdown links
/// and images): only `http:`, `https:`, `mailto:` and relative URLs become links; any other
/// scheme (`javascript:`, `data:`, `vbscript:`, `file:` …, in any case, with any control
/// characters or spaces a browser would skip) is shown as text.
pub fn is_safe_link(url: &str) -> bool {
    // Browsers ignore leading spaces and control characters, and tabs/newlines anywhere.
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let scheme_end = cleaned.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    match scheme_end {
        Some(i) if cleaned[i..].starts_with(':') && i > 0 => {
            let scheme = cleaned[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true, // no scheme: relative (or a fragment, or a path)
    }
}

/// The longest segment made from a name, in bytes (file systems allow 255).
const MAX_SEGMENT: usize = 100;

/// A name (citation key, slug, tag) as a path segment: letters and digits of any script,
/// `-`, `_` and `.` are kept as they are (so `wesley2018` and `müller2020` stay readable);
/// every other run of characters (`:`, `/`, spaces, `%`, `?`, `#` …) becomes one `-`; leading
/// dots and hyphens and trailing hyphens are dropped (no `.`, `..` or hidden files); the
/// result is at most 100 bytes. `None` when nothing is left (a name of punctuation only).
pub fn segment(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            if c == '-' {
                if !dash && !out.is_empty() {
                    out.push('-');
                }
                dash = true;
                continue;
            }
            if (c == '.') && out.is_empty() {
                continue;
            }
            out.push(c);
            dash = false;
        } else if !out.is_empty() && !dash {
            out.push('-');
            dash = true;
        }
    }
    if out.len() > MAX_SEGMENT {
        let mut end = MAX_SEGMENT;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    while out.ends_with('-') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

/// Unique segments for the names of one folder (`citations/`, `tags/` …). Segments are
/// compared without case (macOS and Windows file systems ignore it): a later name whose
/// segment is taken gets `-2`, `-3` …; a name with no segment gets `-N` after the folder's
/// fallback word. `index.html` is never a segment (the folder's own page).
pub struct Segments {
    taken: HashSet<String>,
    fallback: &'static str,
}

impl Segments {
    pub fn new(fallback: &'static str) -> Segments {
        let mut taken = HashSet::new();
        taken.insert("index.html".to_string());
        Segments { taken, fallback }
    }

    pub fn claim(&mut self, name: &str) -> String {
        let base = segment(name).unwrap_or_else(|| self.fallback.to_string());
        let mut candidate = base.clone();
        let mut n = 1;
        while !self.taken.insert(candidate.to_lowercase()) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        candidate
    }
}

/// The route table of one site: the base path and the segment of every essay, term, source
/// and topic, and the reverse maps for parsing request paths.
#[derive(Debug, Default)]
pub struct Routes {
    base: String,
    essays: Vec<String>,
    terms: Vec<String>,
    sources: Vec<String>,
    tags: Vec<String>,
    texts: Vec<String>,
    /// The book's file name without extension (the EPUB's), from its title.
    book: String,
    /// Each asset's path under the base path (decoded).
    assets: Vec<String>,
    asset_by_path: HashMap<String, AssetId>,
    essay_by_segment: HashMap<String, EssayId>,
    term_by_segment: HashMap<String, TermId>,
    source_by_segment: HashMap<String, SourceId>,
    tag_by_segment: HashMap<String, TagId>,
    text_by_segment: HashMap<String, TextId>,
}

impl Routes {
    /// `essays` are given for every essay (built or not; unbuilt ones are never routed to),
    /// `sources` in bibliography order, each already unique (see [`Segments`]).
    pub fn new(
        base: String,
        essays: Vec<String>,
        terms: Vec<String>,
        sources: Vec<String>,
        tags: Vec<String>,
        texts: Vec<String>,
    ) -> Routes {
        fn reverse<I: Copy>(segments: &[String], id: impl Fn(usize) -> I) -> HashMap<String, I> {
            segments
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), id(i)))
                .collect()
        }
        Routes {
            essay_by_segment: reverse(&essays, EssayId),
            term_by_segment: reverse(&terms, TermId),
            source_by_segment: reverse(&sources, SourceId),
            tag_by_segment: reverse(&tags, TagId),
            text_by_segment: reverse(&texts, TextId),
            assets: Vec::new(),
            asset_by_path: HashMap::new(),
            base,
            essays,
            terms,
            sources,
            tags,
            texts,
            book: "reader".into(),
        }
    }

    /// Name the book's files (the EPUB) after its title: its segment, or `reader`.
    pub fn with_book_title(mut self, title: &str) -> Routes {
        self.book = segment(title).unwrap_or_else(|| "reader".into());
        self
    }

    /// Publish the assets, by their paths (decoded, relative to the base path): asset `i`
    /// is `AssetId(i)`. Returns the indexes of those that cannot be published because a page
    /// or an earlier asset has that path (they get no route).
    pub fn set_assets(&mut self, paths: Vec<String>) -> Vec<usize> {
        let mut taken = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            if self.parse(path).is_some() {
                taken.push(i);
                continue;
            }
            self.asset_by_path.insert(path.clone(), AssetId(i));
        }
        self.assets = paths;
        taken
    }

    /// The asset at output path `path`, if any.
    pub fn asset(&self, path: &str) -> Option<AssetId> {
        self.asset_by_path.get(path).copied()
    }

    /// The URL path the site lives under (`/` or `/reader/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The route's path below the base path, decoded: `essays/x/`, `search/meta.json`, ``
    /// for the home page. Folders end in `/`.
    pub fn path(&self, route: &Route) -> Cow<'static, str> {
        match route {
            Route::Home => "".into(),
            Route::ReaderCite(f) => format!("cite.{}", f.extension()).into(),
            Route::Essay(i) => format!("essays/{}/", self.essays[i.0]).into(),
            Route::Preview(i) => format!("essays/{}/preview.png", self.essays[i.0]).into(),
            Route::Glossary => "glossary/".into(),
            Route::Term(i) => format!("glossary/{}/", self.terms[i.0]).into(),
            Route::Citations => "citations/".into(),
            Route::Source(i) => format!("citations/{}/", self.sources[i.0]).into(),
            Route::BibliographyFile(f) => {
                format!("citations/bibliography.{}", f.extension()).into()
            }
            Route::Text(i) => format!("texts/{}/", self.texts[i.0]).into(),
            Route::Tags => "tags/".into(),
            Route::Tag(i) => format!("tags/{}/", self.tags[i.0]).into(),
            Route::StudyGuide => "guide/".into(),
            Route::Print => "print/".into(),
            Route::Epub => format!("{}.epub", self.book).into(),
            Route::Search => "search/".into(),
            Route::SearchMeta => "search/meta.json".into(),
            Route::SearchShard(prefix) => format!("search/shard/{prefix}.json").into(),
            Route::SearchDocs(n) => format!("search/docs/{n}.json").into(),
            Route::Static(path) => format!("static/{path}").into(),
            Route::Asset(i) => self.assets[i.0].clone().into(),
            Route::Feed => "atom.xml".into(),
            Route::Sitemap => "sitemap.xml".into(),
            Route::NotFound => "404.html".into(),
            Route::NoJekyll => ".nojekyll".into(),
        }
    }

    /// The link to the route from any page of the site: the base path and the
    /// percent-encoded path (`/reader/citations/M%C3%BCller2020/`).
    pub fn href(&self, route: &Route) -> String {
        self.absolute(&self.base, route)
    }

    /// The route's URL under `prefix` (ending with `/`): the site URL for an absolute URL on
    /// the published site, the base path for a link.
    pub fn absolute(&self, prefix: &str, route: &Route) -> String {
        let path = self.path(route);
        let mut out = String::with_capacity(prefix.len() + path.len());
        out.push_str(prefix);
        out.extend(utf8_percent_encode(&path, PATH));
        out
    }

    /// Where the route's file goes under the output folder (decoded; `index.html` in folders).
    pub fn output_path(&self, route: &Route) -> String {
        let path = self.path(route);
        if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.into_owned()
        }
    }

    /// The route whose file is at output path `rel` (decoded, e.g. `essays/x/index.html`),
    /// if the site has one. Files the route table cannot check (search shards, statics) are
    /// parsed by shape; the renderer says whether they exist.
    pub fn parse(&self, rel: &str) -> Option<Route> {
        if let Some(&id) = self.asset_by_path.get(rel) {
            return Some(Route::Asset(id));
        }
        let parts: Vec<&str> = rel.split('/').collect();
        Some(match parts.as_slice() {
            ["index.html"] => Route::Home,
            [file] if file.starts_with("cite.") => {
                Route::ReaderCite(CiteFormat::from_file(file, "cite")?)
            }
            ["essays", seg, "index.html"] => Route::Essay(*self.essay_by_segment.get(*seg)?),
            ["essays", seg, "preview.png"] => Route::Preview(*self.essay_by_segment.get(*seg)?),
            ["glossary", "index.html"] => Route::Glossary,
            ["glossary", seg, "index.html"] => Route::Term(*self.term_by_segment.get(*seg)?),
            ["citations", "index.html"] => Route::Citations,
            ["citations", seg, "index.html"] => Route::Source(*self.source_by_segment.get(*seg)?),
            ["citations", file] => {
                Route::BibliographyFile(CiteFormat::from_file(file, "bibliography")?)
            }
            ["texts", seg, "index.html"] => Route::Text(*self.text_by_segment.get(*seg)?),
            ["tags", "index.html"] => Route::Tags,
            ["tags", seg, "index.html"] => Route::Tag(*self.tag_by_segment.get(*seg)?),
            ["guide", "index.html"] => Route::StudyGuide,
            ["print", "index.html"] => Route::Print,
            [file] if file.strip_suffix(".epub") == Some(self.book.as_str()) => Route::Epub,
            ["search", "index.html"] => Route::Search,
            ["search", "meta.json"] => Route::SearchMeta,
            ["search", "shard", file] => Route::SearchShard(file.strip_suffix(".json")?.into()),
            ["search", "docs", file] => {
                Route::SearchDocs(file.strip_suffix(".json")?.parse().ok()?)
            }
            ["static", rest @ ..] if !rest.is_empty() => Route::Static(rest.join("/")),
            ["atom.xml"] => Route::Feed,
            ["sitemap.xml"] => Route::Sitemap,
            ["404.html"] => Route::NotFound,
            [".nojekyll"] => Route::NoJekyll,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_readable_safe_and_never_empty() {
        for (name, want) in [
            ("wesley2018", Some("wesley2018")),
            ("Smith:2020", Some("Smith-2020")),
            ("smith/2020 draft", Some("smith-2020-draft")),
            ("Müller2020", Some("Müller2020")),
            ("网络 主权", Some("网络-主权")),
            ("../..", None),
            ("..", None),
            (".hidden", Some("hidden")),
            ("a%2Fb?c#d", Some("a-2Fb-c-d")),
            ("---", None),
            ("!!!", None),
            ("", None),
            ("index.html", Some("index.html")),
        ] {
            assert_eq!(segment(name).as_deref(), want, "{name}");
        }
        let long = "é".repeat(200);
        let s = segment(&long).unwrap();
        assert!(s.len() <= MAX_SEGMENT && s.chars().all(|c| c == 'é'));
    }

    #[test]
    fn only_web_and_mail_schemes_and_relative_urls_are_links() {
        for ok in [
            "https://e.org/x",
            "HTTP://e.org",
            "mailto:a@b.c",
            "../x.pdf",
            "/a/b",
            "#top",
            "a/b:c",
            "?q=x:y",
        ] {
            assert!(is_safe_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(document.domain)",
            " javascript:x",
            "java\tscript:x",
            "\u{1}javascript:x",
            "data:text/html,<script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
        ] {
            assert!(!is_safe_link(bad), "{bad}");
        }
    }

    #[test]
    fn segments_of_a_folder_are_unique_without_case() {
        let mut s = Segments::new("source");
        assert_eq!(s.claim("Smith:2020"), "Smith-2020");
        assert_eq!(s.claim("smith-2020"), "smith-2020-2");
        assert_eq!(s.claim("smith/2020"), "smith-2020-3");
        assert_eq!(s.claim("index.html"), "index.html-2");
        assert_eq!(s.claim(":::"), "source");
        assert_eq!(s.claim("..."), "source-2");
    }

    #[test]
    fn every_route_parses_back_from_its_output_path() {
        let mut routes = Routes::new(
            "/reader/".into(),
            vec!["first".into()],
            vec!["cyber-sovereignty".into()],
            vec!["Müller2020".into(), "Smith-2020".into()],
            vec!["网络".into()],
            vec!["declaration".into()],
        )
        .with_book_title("Cyber Sovereignty: An Annotated Reader");
        // A page's path (and a second file at one path) cannot be an asset's.
        let taken = routes.set_assets(vec![
            "essays/week 1/map.png".into(),
            "CNAME".into(),
            "404.html".into(),
            "CNAME".into(),
        ]);
        assert_eq!(taken, [2, 3]);
        assert_eq!(
            routes.href(&Route::Asset(AssetId(0))),
            "/reader/essays/week%201/map.png"
        );
        let all = [
            Route::Home,
            Route::Essay(EssayId(0)),
            Route::Preview(EssayId(0)),
            Route::Glossary,
            Route::Term(TermId(0)),
            Route::Citations,
            Route::Source(SourceId(0)),
            Route::Source(SourceId(1)),
            Route::ReaderCite(CiteFormat::CslJson),
            Route::BibliographyFile(CiteFormat::Bibtex),
            Route::Text(TextId(0)),
            Route::Tags,
            Route::Tag(TagId(0)),
            Route::StudyGuide,
            Route::Print,
            Route::Epub,
            Route::Search,
            Route::SearchMeta,
            Route::SearchShard("mül".into()),
            Route::SearchDocs(3),
            Route::Static("style.css".into()),
            Route::Asset(AssetId(0)),
            Route::Asset(AssetId(1)),
            Route::Feed,
            Route::Sitemap,
            Route::NotFound,
            Route::NoJekyll,
        ];
        for route in all {
            let out = routes.output_path(&route);
            assert_eq!(routes.parse(&out), Some(route.clone()), "{out}");
        }
        assert_eq!(
            routes.href(&Route::Source(SourceId(0))),
            "/reader/citations/M%C3%BCller2020/"
        );
        assert_eq!(
            routes.output_path(&Route::Source(SourceId(0))),
            "citations/Müller2020/index.html"
        );
        assert_eq!(routes.parse("essays/nope/index.html"), None);
        assert_eq!(
            routes.output_path(&Route::Epub),
            "Cyber-Sovereignty-An-Annotated-Reader.epub"
        );
    }
}
