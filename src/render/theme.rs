//! The theme: the built-in templates and static files (compiled into the binary from
//! `themes/default/`), overridden file by file from `themes/<name>/` in the project, and
//! compiled into one `Tera` once per build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::Tera;

use crate::diagnostics::{Diagnostic, Location};

macro_rules! builtin {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../themes/default/", $path)))),*]
    };
}

/// The built-in theme, as (relative path, contents).
pub const BUILTIN: &[(&str, &str)] = builtin![
    "templates/base.html",
    "templates/home.html",
    "templates/essay.html",
    "templates/glossary.html",
    "templates/term.html",
    "templates/citations.html",
    "templates/source.html",
    "templates/tags.html",
    "templates/tag.html",
    "templates/guide.html",
    "templates/print.html",
    "templates/text.html",
    "templates/search.html",
    "templates/404.html",
    "templates/macros/uses.html",
    "templates/macros/cards.html",
    "templates/macros/cite.html",
    "templates/macros/meta.html",
    "templates/atom.xml",
    "templates/sitemap.xml",
    "static/style.css",
    "static/scholion.js",
    "static/search.js",
];

pub struct Theme {
    pub tera: Tera,
    /// Each template's text and the file it came from, so a template error found while
    /// rendering can name the file and show its line.
    pub templates: BTreeMap<String, (String, PathBuf)>,
    pub sources: BTreeMap<String, PathBuf>,
    /// Static files: output path (under `static/`) → bytes.
    pub statics: BTreeMap<String, Vec<u8>>,
}

impl Theme {
    /// A fingerprint of every template's text (for `serve`: re-check templates only when
    /// they change).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (name, (text, _)) in &self.templates {
            (name, text).hash(&mut h);
        }
        h.finish()
    }

    /// Compile the theme for a project. `name` is `[build] theme`.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let dir = match crate::config::theme_dir(root, name) {
            Ok(dir) => dir,
            Err(message) => {
                let mut d = Diagnostic::error(message).hint(
                    "name a folder under `themes/` (`theme = \"mine\"`) or give a relative path inside the project",
                );
                if let Some(location) = crate::config::setting_location(root, "build", "theme") {
                    d = d.at(location);
                }
                return Err(vec![d]);
            }
        };
        let mut templates: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
        let mut statics: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for (path, text) in BUILTIN {
            if let Some(t) = path.strip_prefix("templates/") {
                templates.insert(
                    t.to_string(),
                    (
                        text.to_string(),
                        PathBuf::from(format!("(built-in theme)/{path}")),
                    ),
                );
            } else if let Some(s) = path.strip_prefix("static/") {
                statics.insert(s.to_string(), text.as_bytes().to_vec());
            }
        }
        let mut errors = Vec::new();
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(&dir)
                .follow_links(true)
                .sort_by_file_name()
            {
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        errors.push(Diagnostic::error(format!("cannot read the theme: {err}")));
                        continue;
                    }
                };
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                let rel_str = rel.to_string_lossy().replace('\\', "/");
                let display = entry
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(entry.path())
                    .to_path_buf();
                if let Some(t) = rel_str.strip_prefix("templates/") {
                    match crate::input::read_text(entry.path(), &display, crate::input::TEMPLATE) {
                        Ok(text) => {
                            templates.insert(t.to_string(), (text, display));
                        }
                        Err(d) => errors.push(d),
                    }
                } else if let Some(s) = rel_str.strip_prefix("static/") {
                    match crate::input::read_capped(entry.path(), crate::input::THEME_FILE) {
                        Ok(bytes) => {
                            statics.insert(s.to_string(), bytes);
                        }
                        Err(err) => errors.push(
                            Diagnostic::error(format!("cannot read the theme file: {err}"))
                                .at(Location::file(&display)),
                        ),
                    }
                }
            }
        } else if name != "default" {
            let mut d = Diagnostic::error(format!("the theme `{name}` does not exist")).hint(
                format!("create `themes/{name}/` or set `theme = \"default\"` in book.toml"),
            );
            if let Some(location) = crate::config::setting_location(root, "build", "theme") {
                d = d.at(location);
            }
            errors.push(d);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".xml"]);
        super::filters::register(&mut tera);
        // Add one at a time so a syntax error names its own file.
        let sources: BTreeMap<String, PathBuf> = templates
            .iter()
            .map(|(k, (_, p))| (k.clone(), p.clone()))
            .collect();
        let all: Vec<(String, String)> = templates
            .iter()
            .map(|(k, (t, _))| (k.clone(), t.clone()))
            .collect();
        if let Err(err) = tera.add_raw_templates(all) {
            return Err(vec![template_error(&err, &sources, &templates)]);
        }
        Ok(Theme {
            tera,
            templates,
            sources,
            statics,
        })
    }
}

/// A Tera error as a diagnostic naming the template file, line and column.
pub fn template_error(
    err: &tera::Error,
    sources: &BTreeMap<String, PathBuf>,
    templates: &BTreeMap<String, (String, PathBuf)>,
) -> Diagnostic {
    match err.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            let name = report.filename();
            let span = report.span();
            let path = sources
                .get(name)
                .cloned()
                .unwrap_or_else(|| PathBuf::from(name));
            let mut d =
                Diagnostic::error(format!("broken template `{name}`: {}", report.message()));
            if let Some((text, _)) = templates.get(name) {
                d = d.at(Location::at_line_col(
                    &path,
                    text,
                    span.start_line,
                    span.start_col + 1,
                ));
            } else {
                d = d.at(Location::file(&path));
            }
            d.hint("fix the template; Tera's syntax is described at keats.github.io/tera")
        }
        _ => Diagnostic::error(format!("broken template: {err}"))
            .hint("fix the theme's templates; Tera's syntax is described at keats.github.io/tera"),
    }
}
