//! The `book.toml` model: strict (unknown keys are errors), kebab-case, defaults in one place.
//!
//! A full `book.toml`:
//!
//! ```toml
//! [book]
//! title = "Cyber Sovereignty: An Annotated Reader"
//! description = "Essays, terms and sources on China's promotion of cyber sovereignty"
//! authors = ["Scholion editors"]
//! language = "en"
//!
//! [build]
//! content-dir = "content"
//! output-dir = "public"
//! base-url = "https://example.github.io/reader/"
//! theme = "default"
//! editions = true
//!
//! [citations]
//! bibliography = ["references.bib"]
//! style = "chicago-author-date"
//!
//! [translations]              # any key of the theme's translation table
//! glossary = "Begriffe"
//! uses = { one = "{n} Stelle", other = "{n} Stellen" }
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Location, backticked, did_you_mean};

/// The name of the configuration file at a project's root.
pub const CONFIG_FILE: &str = "book.toml";

/// Used when `base-url` is not set: the address `scholion serve` uses by default.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:3000/";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub book: BookConfig,
    pub build: BuildConfig,
    pub citations: CitationsConfig,
    /// Overrides of the theme's text: key → string, list or table of plural forms
    /// (checked against the translation table by `i18n::Translations::load`).
    pub translations: std::collections::BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct BookConfig {
    pub title: String,
    pub description: String,
    pub authors: Vec<String>,
    pub language: String,
    /// Who publishes the reader (citations, `citation_publisher`, `DC.publisher`).
    pub publisher: Option<String>,
    /// The reader's licence, as text or a URL (`DC.rights`).
    pub license: Option<String>,
    /// The reader's DOI, e.g. `10.5281/zenodo.123` (its "Cite this" entry).
    pub doi: Option<String>,
    /// The EPUB's cover image (PNG or JPEG), relative to the folder holding book.toml;
    /// without one the EPUB gets a generated cover.
    pub cover: Option<PathBuf>,
}

impl Default for BookConfig {
    fn default() -> Self {
        BookConfig {
            title: "An Annotated Reader".into(),
            description: String::new(),
            authors: Vec::new(),
            language: "en".into(),
            publisher: None,
            license: None,
            doi: None,
            cover: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct BuildConfig {
    pub content_dir: PathBuf,
    pub output_dir: PathBuf,
    pub base_url: String,
    pub theme: String,
    /// Write the print edition (`/print/`) and the EPUB. On by default; a very large reader
    /// may turn them off (at 1,000 essays they add about a quarter to a build's CPU time
    /// and double its peak memory: see PRODUCT.md).
    pub editions: bool,
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            content_dir: "content".into(),
            output_dir: "public".into(),
            base_url: DEFAULT_BASE_URL.into(),
            theme: "default".into(),
            editions: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CitationsConfig {
    /// `None` means "not set": then `references.bib` is used if it exists.
    pub bibliography: Option<Vec<PathBuf>>,
    pub style: String,
}

impl Default for CitationsConfig {
    fn default() -> Self {
        CitationsConfig {
            bibliography: None,
            style: "chicago-author-date".into(),
        }
    }
}

/// Every key `book.toml` accepts, with its default: `scholion help-book-toml` prints it, and
/// every book.toml error points to it. (A test checks it names every key of `KNOWN_KEYS`.)
pub const BOOK_TOML_HELP: &str = r#"# book.toml: every key Scholion reads, with its default. Unknown keys are errors.
# Paths are relative to the folder holding book.toml, except `bibliography`
# (relative to content-dir).

[book]
title = "An Annotated Reader" # the site's title
description = ""              # shown on the home page and in link previews
authors = []                  # e.g. ["Ada Lovelace", "Alan Turing"]
language = "en"               # the pages' lang attribute (BCP 47)
# cover = "cover.png"         # the EPUB's cover (PNG or JPEG); unset: a generated one

[build]
content-dir = "content"       # essays/, glossary/, index.md, the bibliography
output-dir = "public"         # where `scholion build` writes the site
base-url = "http://127.0.0.1:3000/"  # where the site is published, e.g.
                              # "https://user.github.io/reader/" or "/"; its path is the base path
theme = "default"             # a folder under themes/, or a relative path inside the project
editions = true               # the print edition (/print/) and the EPUB; false for a very large reader

[citations]
# bibliography = ["references.bib"]   # .bib (BibLaTeX/BibTeX) or hayagriva .yaml files;
#                                      # unset: references.bib in content-dir, if there is one
style = "chicago-author-date" # a built-in CSL style name, or a path to a .csl file

[translations]                # optional: override any text of the built-in theme
# glossary = "Begriffe"      # any key of the translation tables (docs/PRODUCT.md)
"#;

/// The keys `book.toml` accepts, for "did you mean" hints.
const KNOWN_KEYS: &[&str] = &[
    "book",
    "build",
    "citations",
    "translations",
    "title",
    "description",
    "authors",
    "language",
    "cover",
    "content-dir",
    "output-dir",
    "base-url",
    "theme",
    "editions",
    "bibliography",
    "style",
];

impl Config {
    /// Parse `book.toml` text. `path` is only used in diagnostics.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Diagnostic> {
        let mut config: Config = toml::from_str(text).map_err(|err| {
            let message = err.message().trim().to_string();
            let mut diagnostic = Diagnostic::error(format!("invalid {CONFIG_FILE}: {message}"));
            if let Some(span) = err.span() {
                diagnostic = diagnostic.at(Location::at_offset(path, text, span.start, span.len()));
            } else {
                diagnostic = diagnostic.at(Location::file(path));
            }
            diagnostic = diagnostic.hint(
                "book.toml is TOML: quote strings, write lists as `[\"a\", \"b\"]`; `scholion help-book-toml` lists every key",
            );
            if let Some(unknown) =
                backticked(&message).filter(|_| message.starts_with("unknown field"))
            {
                diagnostic = diagnostic.maybe_hint(
                    did_you_mean(unknown, KNOWN_KEYS.iter().copied()).map(|d| {
                        format!("{d} (`scholion help-book-toml` lists every key)")
                    }).or_else(|| {
                        Some(format!(
                            "remove `{unknown}`; `scholion help-book-toml` lists every key"
                        ))
                    }),
                );
            }
            diagnostic
        })?;
        if let Err(message) = config.normalise_base_url() {
            return Err(Diagnostic::error(message)
                .at(setting_at(text, "build", "base-url"))
                .hint("write it as an absolute URL such as `https://user.github.io/reader/`, or a path such as `/reader/`"));
        }
        Ok(config)
    }

    /// Load `book.toml` from a project root; a missing file means all defaults.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join(CONFIG_FILE);
        match crate::input::read_capped(&path, crate::input::CONFIG) {
            Ok(bytes) => {
                let text = crate::input::decode_text(bytes, Path::new(CONFIG_FILE))?;
                Config::parse(Path::new(CONFIG_FILE), &text)
            }
            Err(crate::input::ReadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                Ok(Config::default())
            }
            Err(err) => Err(
                Diagnostic::error(format!("cannot read {CONFIG_FILE}: {err}"))
                    .at(Location::file(Path::new(CONFIG_FILE)))
                    .hint(err.hint()),
            ),
        }
    }

    /// Override the base URL (from `--base-url`).
    pub fn set_base_url(&mut self, url: &str) -> Result<(), String> {
        self.build.base_url = url.to_string();
        self.normalise_base_url()
    }

    fn normalise_base_url(&mut self) -> Result<(), String> {
        let url = self.build.base_url.trim().to_string();
        if url.is_empty() {
            self.build.base_url = "/".into();
            return Ok(());
        }
        if url.contains(char::is_whitespace) || url.contains(['"', '<', '>', '\'']) {
            return Err(format!("`base-url` is not a valid URL: `{url}`"));
        }
        let valid =
            url.starts_with('/') || url.starts_with("http://") || url.starts_with("https://");
        if !valid {
            return Err(format!(
                "`base-url` must start with `http://`, `https://` or `/`, not `{url}`"
            ));
        }
        let mut url = url;
        if !url.ends_with('/') {
            url.push('/');
        }
        self.build.base_url = url;
        Ok(())
    }

    /// The path part of `base-url`, always starting and ending with `/` (e.g. `/reader/`).
    pub fn base_path(&self) -> String {
        let url = &self.build.base_url;
        let path = match url.find("://") {
            Some(i) => {
                let after = &url[i + 3..];
                after.find('/').map_or("/", |j| &after[j..])
            }
            None => url.as_str(),
        };
        let path = path.split(['?', '#']).next().unwrap_or("/");
        let mut path = path.to_string();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        path
    }

    /// The absolute site URL for feeds and sitemaps (scheme and host included when known).
    pub fn site_url(&self) -> String {
        let url = &self.build.base_url;
        if url.starts_with("http://") || url.starts_with("https://") {
            url.clone()
        } else {
            format!(
                "{}{}",
                DEFAULT_BASE_URL.trim_end_matches('/'),
                self.base_path()
            )
        }
    }
}

/// Every input of a build, resolved against the project root. Computed here only, so the
/// output-folder rules (`output.rs`) and `serve`'s watcher agree on what is an input.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub config_file: PathBuf,
    pub content: PathBuf,
    /// `themes/`, whichever theme is in use (an output there would overwrite overrides).
    pub themes: PathBuf,
    /// The theme folder in use (`None` when `theme` is not a valid value).
    pub theme: Option<PathBuf>,
    /// The bibliography files, configured or the default `references.bib`.
    pub bibliography: Vec<PathBuf>,
    /// A `.csl` style file, when `style` names one.
    pub style: Option<PathBuf>,
    /// `static/`: files copied to the output as they are (favicon, `CNAME`, `robots.txt`).
    pub statics: PathBuf,
    /// The EPUB's cover image, when `cover` names one.
    pub cover: Option<PathBuf>,
}

impl Inputs {
    /// Every input with what it is, for messages: (path, "the content folder").
    pub fn named(&self) -> Vec<(&Path, &'static str)> {
        let mut all: Vec<(&Path, &'static str)> = vec![
            (&self.config_file, "book.toml"),
            (&self.content, "the content folder"),
            (&self.themes, "the themes folder"),
            (&self.statics, "the static folder"),
        ];
        if let Some(theme) = &self.theme {
            all.push((theme, "the theme folder"));
        }
        all.extend(
            self.bibliography
                .iter()
                .map(|b| (b.as_path(), "the bibliography")),
        );
        if let Some(style) = &self.style {
            all.push((style, "the CSL style"));
        }
        if let Some(cover) = &self.cover {
            all.push((cover, "the cover image"));
        }
        all
    }
}

impl Config {
    /// Every input of a build of the project at `root`.
    pub fn inputs(&self, root: &Path) -> Inputs {
        let content = root.join(&self.build.content_dir);
        let bibliography = self
            .citations
            .bibliography
            .clone()
            .unwrap_or_else(|| vec![PathBuf::from("references.bib")])
            .iter()
            .map(|b| content.join(b))
            .collect();
        Inputs {
            config_file: root.join(CONFIG_FILE),
            themes: root.join("themes"),
            statics: root.join("static"),
            theme: theme_dir(root, &self.build.theme).ok(),
            style: self
                .citations
                .style
                .ends_with(".csl")
                .then(|| root.join(&self.citations.style)),
            bibliography,
            content,
            cover: self.book.cover.as_ref().map(|c| root.join(c)),
        }
    }
}

/// The folder of the theme `name` (`[build] theme`): a name is a folder under `themes/`; a
/// value with a `/` is a path relative to the project root. Absolute paths, `..` and a path
/// that leads out of the project (through a symlink, say) are refused: a theme folder is
/// read whole, following links.
pub fn theme_dir(root: &Path, name: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err("`theme` is empty".into());
    }
    let path = Path::new(trimmed);
    let lexically_inside = !path.is_absolute()
        && !trimmed.starts_with(['/', '\\'])
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && path.components().any(|c| matches!(c, Component::Normal(_)));
    if !lexically_inside {
        return Err(format!(
            "`theme = \"{name}\"` is not a theme name or a relative path inside the project"
        ));
    }
    let dir = if trimmed.contains(['/', '\\']) {
        root.join(path)
    } else {
        root.join("themes").join(path)
    };
    // Through symlinks, the folder must still be inside the project (and not the project).
    if let (Ok(real), Ok(real_root)) = (std::fs::canonicalize(&dir), std::fs::canonicalize(root))
        && (!real.starts_with(&real_root) || real == real_root)
    {
        return Err(format!(
            "`theme = \"{name}\"` leads to `{}`, outside the project",
            real.display()
        ));
    }
    Ok(dir)
}

/// Where `key = …` is written in `[section]` of book.toml's text, found by parsing it with
/// spans (a comment or a value that mentions the key is never taken for it).
pub fn setting_span(text: &str, section: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let (_, table) = document
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == section)?;
    let toml::de::DeValue::Table(table) = table.get_ref() else {
        return None;
    };
    let (k, _) = table.iter().find(|(k, _)| k.get_ref().as_ref() == key)?;
    Some(k.span())
}

/// The text of a project's book.toml, if it can be read (capped, never blocking).
pub fn config_text(root: &Path) -> Option<String> {
    let bytes = crate::input::read_capped(&root.join(CONFIG_FILE), crate::input::CONFIG).ok()?;
    String::from_utf8(bytes).ok()
}

/// The location of a setting in book.toml's text, for a problem with its value found after
/// parsing; the file itself when book.toml does not set it.
pub fn setting_at(text: &str, section: &str, key: &str) -> Location {
    let path = Path::new(CONFIG_FILE);
    match setting_span(text, section, key) {
        Some(span) => Location::at_offset(path, text, span.start, span.len()),
        None => Location::file(path),
    }
}

/// Where `key = …` is written in `[section]` of a project's book.toml; `None` when book.toml
/// does not set it.
pub fn setting_location(root: &Path, section: &str, key: &str) -> Option<Location> {
    let text = config_text(root)?;
    let span = setting_span(&text, section, key)?;
    Some(Location::at_offset(
        Path::new(CONFIG_FILE),
        &text,
        span.start,
        span.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_toml_help_is_valid_names_every_key_and_gives_the_real_defaults() {
        let config = Config::parse(Path::new("book.toml"), BOOK_TOML_HELP).unwrap();
        let default = Config::default();
        assert_eq!(config.book.title, default.book.title);
        assert_eq!(config.book.language, default.book.language);
        assert_eq!(config.build.content_dir, default.build.content_dir);
        assert_eq!(config.build.output_dir, default.build.output_dir);
        assert_eq!(config.build.base_url, default.build.base_url);
        assert_eq!(config.build.theme, default.build.theme);
        assert_eq!(config.build.editions, default.build.editions);
        assert_eq!(config.citations.style, default.citations.style);
        for key in KNOWN_KEYS {
            let named = BOOK_TOML_HELP.lines().any(|l| {
                l.trim_start_matches("# ").starts_with(&format!("{key} ="))
                    || l.starts_with(&format!("[{key}]"))
            });
            assert!(named, "`scholion help-book-toml` does not describe `{key}`");
        }
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[book]\ntitle = \"x\"\n\n[build]\noutput-dri = \"out\"\n";
        let d = Config::parse(Path::new("book.toml"), text).unwrap_err();
        let loc = d.location.unwrap();
        assert_eq!(loc.line, 5);
        assert!(d.message.contains("output-dri"), "{}", d.message);
        assert_eq!(
            d.hint.as_deref(),
            Some("did you mean `output-dir`? (`scholion help-book-toml` lists every key)")
        );
    }

    #[test]
    fn settings_are_found_by_parsing_not_by_searching_the_text() {
        let text = "# the style = below\n[book]\ntitle = \"style = x\"\n\n[citations]\n  style = \"apa\"\n";
        let span = setting_span(text, "citations", "style").unwrap();
        assert_eq!(&text[span.clone()], "style");
        assert_eq!(text[..span.start].lines().count(), 6);
        assert_eq!(setting_span(text, "build", "style"), None);
    }

    #[test]
    fn base_path_from_url() {
        let mut c = Config::default();
        c.set_base_url("https://example.github.io/reader").unwrap();
        assert_eq!(c.base_path(), "/reader/");
        c.set_base_url("/").unwrap();
        assert_eq!(c.base_path(), "/");
        assert!(c.set_base_url("ftp://x").is_err());
    }
}
