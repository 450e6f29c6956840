//! Links as authors write them: Markdown links and images to files beside a document
//! (`fig.png`, `../other.md#why`), root-absolute paths (`/images/map.png`,
//! `/essays/x/`), same-page anchors, and wikilink embeds (`![[x.png]]`, `![[Note#Section]]`).
//! Each is resolved once here, to a typed fact (a route and an anchor, an anchor of the same
//! page, another note shown in place); a link into the site that leads nowhere is an error
//! at its file, line and column with a "did you mean". External links are left alone.

use std::collections::HashMap;

use crate::content::names::name_key;
use crate::diagnostics::{Diagnostic, Diagnostics, Location, closest};
use crate::ids::{AssetId, DocId, EssayId, TermId, TextId};
use crate::markdown::{Heading, LinkKind};
use crate::route::Route;

use super::{Namespace, Site, Target};

/// Where a link inside the site leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// A page or file of the site, with an anchor on it (a heading id).
    Route(Route, Option<String>),
    /// An anchor of the same page.
    Anchor(String),
    /// Another note (or one section of it: the heading's id) shown in place.
    Embed(DocId, Option<String>),
}

/// A link as written in one document: how it is written and its destination.
pub type LinkKey = (LinkKind, String);

/// The documents and assets by path and by file name, made once per index.
pub struct Files {
    /// Content-relative path (`essays/a/Note.md`) → document.
    docs: HashMap<String, DocId>,
    /// File name without `.md`, compared as names are → documents.
    doc_names: HashMap<String, Vec<DocId>>,
    /// Zettlr's ids: a run of 14 digits in a file name (`20200318120000 Slip box.md`, its
    /// default `%Y%M%D%h%m%s`) → documents.
    doc_ids: HashMap<String, Vec<DocId>>,
    /// Every ending of each document's path without `.md` (`Latex`, `plugins/Latex`,
    /// `essays/plugins/Latex`), compared as names are → documents.
    doc_paths: HashMap<String, Vec<DocId>>,
    /// Output path of each asset → asset (the content folder's at their path there,
    /// `static/`'s at the root).
    assets: HashMap<String, AssetId>,
    /// File name (with extension), lower case → assets.
    asset_names: HashMap<String, Vec<AssetId>>,
}

impl Files {
    pub fn new(site: &Site, routable: &[bool]) -> Files {
        let mut docs = HashMap::new();
        let mut doc_names: HashMap<String, Vec<DocId>> = HashMap::new();
        let mut doc_paths: HashMap<String, Vec<DocId>> = HashMap::new();
        let mut doc_ids: HashMap<String, Vec<DocId>> = HashMap::new();
        let mut add = |rel: &str, doc: DocId| {
            if rel.is_empty() {
                return;
            }
            docs.insert(rel.to_string(), doc);
            let name = file_name(rel);
            let stem = name.strip_suffix(".md").unwrap_or(name);
            doc_names.entry(name_key(stem)).or_default().push(doc);
            if let Some(id) = zettel_id(stem) {
                doc_ids.entry(id.to_string()).or_default().push(doc);
            }
            let path = name_key(rel.strip_suffix(".md").unwrap_or(rel));
            let mut start = 0;
            while let Some(i) = path[start..].find('/') {
                start += i + 1;
                doc_paths
                    .entry(path[start..].to_string())
                    .or_default()
                    .push(doc);
            }
            doc_paths.entry(path).or_default().push(doc);
        };
        if let Some(home) = &site.content.home {
            add(&home.file.rel, DocId::Home);
        }
        for (i, e) in site.content.essays.iter().enumerate() {
            add(&e.file.rel, DocId::Essay(EssayId(i)));
        }
        for (i, t) in site.content.terms.iter().enumerate() {
            add(&t.file.rel, DocId::Term(TermId(i)));
        }
        for (i, t) in site.content.texts.iter().enumerate() {
            add(&t.file.rel, DocId::Text(TextId(i)));
        }
        let mut assets = HashMap::new();
        let mut asset_names: HashMap<String, Vec<AssetId>> = HashMap::new();
        for (i, a) in site.content.assets.iter().enumerate() {
            if !routable.get(i).copied().unwrap_or(false) {
                continue;
            }
            assets.insert(a.rel.clone(), AssetId(i));
            if !a.from_static {
                asset_names
                    .entry(file_name(&a.rel).to_lowercase())
                    .or_default()
                    .push(AssetId(i));
            }
        }
        Files {
            docs,
            doc_names,
            doc_ids,
            doc_paths,
            assets,
            asset_names,
        }
    }

    /// Documents named `name` (a file name without `.md`, any case).
    pub fn docs_named(&self, name: &str) -> &[DocId] {
        let name = name.strip_suffix(".md").unwrap_or(name);
        self.doc_names
            .get(&name_key(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Documents whose path ends with `path` (`folder/Name`, with or without `.md`).
    pub fn docs_at_path(&self, path: &str) -> &[DocId] {
        let path = path.strip_suffix(".md").unwrap_or(path);
        self.doc_paths
            .get(&name_key(path.trim_start_matches('/')))
            .map_or(&[], Vec::as_slice)
    }

    /// Assets named `name` (a file name, or a path ending in it), the ones in `dir` first
    /// when several are: Obsidian's rule, the closest file wins.
    pub fn assets_named(&self, site: &Site, name: &str, dir: &str) -> Vec<AssetId> {
        let lower = name.to_lowercase();
        let by_name = self
            .asset_names
            .get(file_name(&lower))
            .map_or(&[][..], Vec::as_slice);
        let mut found: Vec<AssetId> = by_name
            .iter()
            .copied()
            .filter(|a| {
                let rel = site.content.assets[a.0].rel.to_lowercase();
                !lower.contains('/') || rel == lower || rel.ends_with(&format!("/{lower}"))
            })
            .collect();
        if found.len() > 1 {
            let near: Vec<AssetId> = found
                .iter()
                .copied()
                .filter(|a| parent(&site.content.assets[a.0].rel) == dir)
                .collect();
            if near.len() == 1 {
                found = near;
            }
        }
        found
    }
}

/// The first run of exactly 14 ASCII digits in a name (a Zettlr id).
fn zettel_id(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if bytes[start].is_ascii_digit() {
            let end = bytes[start..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |n| start + n);
            if end - start == 14 {
                return Some(&name[start..end]);
            }
            start = end;
        } else {
            start += 1;
        }
    }
    None
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

/// `rel` joined to the folder `dir`, with `.` and `..` applied; `None` when it climbs out
/// of the root.
fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Whether a URL leaves the site: a scheme (`https:`, `mailto:`) or a network path (`//`).
fn is_external(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    let end = url.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    matches!(end, Some(i) if i > 0 && url[i..].starts_with(':'))
}

/// The heading of `headings` an anchor names: its id, or its text as written
/// (`Heading Text`, as Obsidian writes it), or that text's slug.
pub fn find_anchor<'h>(headings: &'h [Heading], anchor: &str) -> Option<&'h str> {
    if let Some(h) = headings.iter().find(|h| h.id == anchor) {
        return Some(&h.id);
    }
    let key = name_key(anchor.trim());
    if let Some(h) = headings.iter().find(|h| name_key(&h.text) == key) {
        return Some(&h.id);
    }
    let slug = slug::slugify(anchor);
    headings
        .iter()
        .find(|h| h.id == slug)
        .map(|h| h.id.as_str())
}

/// Whether an anchor is one every page of the kind has, or one Scholion makes (`use_3`,
/// `note_2`, `p_top_1`: generated ids hold `_`, heading ids never do).
fn is_generated_anchor(anchor: &str) -> bool {
    anchor.contains('_') || crate::markdown::RESERVED_IDS.contains(&anchor)
}

/// The hint for an anchor that is not on the page.
fn anchor_hint(headings: &[Heading], anchor: &str) -> String {
    let ids: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
    crate::diagnostics::did_you_mean(anchor, ids.iter().copied()).unwrap_or_else(|| {
        if ids.is_empty() {
            "that page has no headings".to_string()
        } else {
            format!("its anchors are: {}", ids.join(", "))
        }
    })
}

/// Resolve every link of `doc` that points inside the site; report those that lead nowhere.
pub(super) fn resolve(
    site: &Site,
    namespace: &Namespace,
    files: &Files,
    doc: DocId,
    diagnostics: &Diagnostics,
) -> HashMap<LinkKey, LinkTarget> {
    let file = site.file(doc);
    let scan = site.scan(doc);
    let dir = parent(&file.rel).to_string();
    let mut out: HashMap<LinkKey, LinkTarget> = HashMap::new();
    for link in &scan.links {
        let key = (link.kind, link.dest.clone());
        if out.contains_key(&key) {
            continue;
        }
        let location = || file.location(file.body_offset + link.offset, link.len);
        let resolved = match link.kind {
            LinkKind::Embed => embed(site, namespace, files, doc, &dir, &link.dest, &location),
            _ => url(site, files, doc, &dir, link.kind, &link.dest, &location),
        };
        match resolved {
            Ok(Some(target)) => {
                out.insert(key, target);
            }
            Ok(None) => {}
            Err(d) => diagnostics.push(d),
        }
    }
    out
}

type Found = Result<Option<LinkTarget>, Diagnostic>;

/// `![[name]]`, `![[name|300]]`, `![[Note#Section]]`.
fn embed(
    site: &Site,
    namespace: &Namespace,
    files: &Files,
    doc: DocId,
    dir: &str,
    dest: &str,
    location: &dyn Fn() -> Location,
) -> Found {
    let (name, anchor) = match dest.split_once('#') {
        Some((n, a)) => (n.trim(), Some(a.trim())),
        None => (dest.trim(), None),
    };
    let has_extension = file_name(name)
        .rsplit_once('.')
        .is_some_and(|(_, e)| !e.is_empty() && e != "md" && !e.contains(' '));
    if has_extension {
        return match files.assets_named(site, name, dir).as_slice() {
            [one] => Ok(Some(LinkTarget::Route(Route::Asset(*one), None))),
            [] => Err(missing_file(site, files, name, location)),
            many => Err(ambiguous_file(site, name, many, location)),
        };
    }
    if name.is_empty() {
        return Err(Diagnostic::error("an embed needs a note or a file to show")
            .at(location())
            .hint("write `![[Note]]`, `![[Note#Section]]` or `![[image.png]]`"));
    }
    let quiet = Diagnostics::new();
    let Some((target, _)) = namespace.resolve(site, files, name, location, &quiet) else {
        let errors = quiet.into_sorted();
        return match errors.into_iter().next() {
            Some(d) => Err(d),
            None => Ok(None), // a file left out for errors: its own error stands
        };
    };
    let Some(target_doc) = target.doc() else {
        return Ok(None);
    };
    if target_doc == doc {
        return Err(Diagnostic::error("a note cannot embed itself")
            .at(location())
            .hint("link to a section with `[[#Section]]` instead"));
    }
    let section = match anchor.filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let headings = &site.scan(target_doc).headings;
            match find_anchor(headings, a) {
                Some(id) => Some(id.to_string()),
                None => {
                    return Err(Diagnostic::error(format!(
                        "`{name}` has no heading `{a}` to embed"
                    ))
                    .at(location())
                    .hint(anchor_hint(headings, a)));
                }
            }
        }
    };
    Ok(Some(LinkTarget::Embed(target_doc, section)))
}

/// A Markdown link's or image's URL.
#[allow(clippy::too_many_arguments)]
fn url(
    site: &Site,
    files: &Files,
    doc: DocId,
    dir: &str,
    kind: LinkKind,
    dest: &str,
    location: &dyn Fn() -> Location,
) -> Found {
    let dest = dest.trim();
    if dest.is_empty() || is_external(dest) || !crate::route::is_safe_link(dest) {
        return Ok(None);
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_or_else(|_| path.to_string(), |p| p.into_owned());
    if path.is_empty() {
        // `#anchor` on this page.
        let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let headings = &site.scan(doc).headings;
        if let Some(id) = find_anchor(headings, fragment) {
            return Ok(Some(LinkTarget::Anchor(id.to_string())));
        }
        if is_generated_anchor(fragment) {
            return Ok(None);
        }
        return Err(
            Diagnostic::error(format!("this page has no anchor `#{fragment}`"))
                .at(location())
                .hint(anchor_hint(headings, fragment)),
        );
    }
    let what = if kind == LinkKind::Image {
        "image"
    } else {
        "file"
    };
    let (rooted, candidates): (bool, Vec<String>) = match path.strip_prefix('/') {
        Some(rest) => (true, vec![rest.to_string()]),
        None => match join(dir, &path) {
            Some(joined) => (false, vec![joined]),
            None => {
                return Err(Diagnostic::error(format!(
                    "the {what} `{path}` is outside the content folder"
                ))
                .at(location())
                .hint("link to files inside the content folder (or `static/`)"));
            }
        },
    };
    let rel = &candidates[0];
    // A Markdown file: its page.
    if rel.ends_with(".md") || files.docs.contains_key(&format!("{rel}.md")) {
        let md = if rel.ends_with(".md") {
            rel.clone()
        } else {
            format!("{rel}.md")
        };
        let target = files.docs.get(&md).copied().or_else(|| {
            // As Obsidian does: a file name alone finds the file wherever it is.
            match files.docs_named(file_name(&md)) {
                [one] => Some(*one),
                _ => None,
            }
        });
        if let Some(target) = target {
            return page_link(site, doc, target, fragment, location);
        }
        // A file left out for errors (already reported): no second error for the link.
        let stem = file_name(&md).trim_end_matches(".md");
        if site.content.broken.contains(&slug::slugify(stem)) {
            return Ok(None);
        }
        return Err(missing_file(site, files, &path, location));
    }
    if let Some(&asset) = files.assets.get(rel.as_str()) {
        return Ok(Some(LinkTarget::Route(Route::Asset(asset), None)));
    }
    // A path as the site has it (`/essays/x/`, `../other/` from an essay's page).
    let url_path = if rooted {
        Some(rel.clone())
    } else {
        join(&site.routes.path(&Site::doc_route(doc)), &path)
    };
    if let Some(route) = url_path.as_deref().and_then(|p| route_at(site, p)) {
        if let (Some(f), Some(target)) = (fragment, route_doc(&route)) {
            return page_link(site, doc, target, Some(f), location).map(|t| match t {
                Some(LinkTarget::Route(_, anchor)) => Some(LinkTarget::Route(route, anchor)),
                other => other,
            });
        }
        return Ok(Some(LinkTarget::Route(route, fragment.map(str::to_string))));
    }
    // An image or file by name anywhere in the content folder (Obsidian's shortest paths).
    if !rooted
        && !path.contains('/')
        && let [one] = files.assets_named(site, &path, dir).as_slice()
    {
        return Ok(Some(LinkTarget::Route(Route::Asset(*one), None)));
    }
    Err(missing_file(site, files, &path, location))
}

/// The route at a site path (`essays/x/`, `essays/x`, `citations/`), if any.
fn route_at(site: &Site, path: &str) -> Option<Route> {
    let path = path.trim_start_matches('/');
    let routes = &site.routes;
    if path.is_empty() || path.ends_with('/') {
        return routes.parse(&format!("{path}index.html"));
    }
    routes
        .parse(path)
        .or_else(|| routes.parse(&format!("{path}/index.html")))
        .filter(|r| !matches!(r, Route::Essay(i) if !site.is_published(*i)))
}

fn route_doc(route: &Route) -> Option<DocId> {
    match route {
        Route::Home => Some(DocId::Home),
        Route::Essay(i) => Some(DocId::Essay(*i)),
        Route::Term(i) => Some(DocId::Term(*i)),
        Route::Text(i) => Some(DocId::Text(*i)),
        _ => None,
    }
}

/// A link to a document's page, with its anchor checked.
fn page_link(
    site: &Site,
    from: DocId,
    target: DocId,
    fragment: Option<&str>,
    location: &dyn Fn() -> Location,
) -> Found {
    // A draft may link to a draft (neither is built); a published page may not.
    let from_published = !matches!(from, DocId::Essay(e) if !site.is_published(e));
    if let DocId::Essay(i) = target
        && !site.is_published(i)
        && from_published
    {
        return Err(Diagnostic::error(format!(
            "this links to the draft essay `{}`, which is not built",
            site.essay(i).slug
        ))
        .at(location())
        .hint(
            "publish the draft (remove `draft: true`), remove the link, or build with `--drafts`",
        ));
    }
    let route = Site::doc_route(target);
    let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
        return Ok(Some(LinkTarget::Route(route, None)));
    };
    let headings = &site.scan(target).headings;
    if let Some(id) = find_anchor(headings, fragment) {
        return Ok(Some(LinkTarget::Route(route, Some(id.to_string()))));
    }
    if is_generated_anchor(fragment) {
        return Ok(Some(LinkTarget::Route(route, Some(fragment.to_string()))));
    }
    Err(Diagnostic::error(format!(
        "`{}` has no heading with the anchor `#{fragment}`",
        site.file(target).path.display()
    ))
    .at(location())
    .hint(anchor_hint(headings, fragment)))
}

/// No file at a link's path: the closest file name of the site as the hint.
fn missing_file(
    site: &Site,
    files: &Files,
    path: &str,
    location: &dyn Fn() -> Location,
) -> Diagnostic {
    let is_image = crate::content::is_image(path);
    let message = if is_image {
        format!("missing image `{path}`")
    } else {
        format!("no page or file at `{path}`")
    };
    // A site path (`/glossary/x/`): the closest page's path.
    if path.starts_with('/') && (path.ends_with('/') || !path.contains('.')) {
        let pages: Vec<String> = site
            .built_docs()
            .into_iter()
            .map(|d| format!("/{}", site.routes.path(&Site::doc_route(d))))
            .collect();
        let hint = crate::diagnostics::did_you_mean(path, pages.iter().map(String::as_str))
            .unwrap_or_else(|| {
                "a path starting with `/` is a page of the site (`/essays/<slug>/`) or a file under the content folder or `static/`".to_string()
            });
        return Diagnostic::error(format!("no page or file at `{path}`"))
            .at(location())
            .hint(hint);
    }
    let name = file_name(path);
    let mut all: Vec<&str> = site.content.assets.iter().map(|a| a.rel.as_str()).collect();
    all.extend(files.docs.keys().map(String::as_str));
    let names: Vec<&str> = all.iter().map(|p| file_name(p)).collect();
    let hint = closest(name, names.iter().copied())
        .and_then(|n| all.iter().find(|p| file_name(p) == n))
        .map(|p| format!("did you mean `{p}` (under the content folder)?"))
        .unwrap_or_else(|| {
            "paths are relative to the Markdown file, or to the content folder when they start with `/`".to_string()
        });
    Diagnostic::error(message).at(location()).hint(hint)
}

fn ambiguous_file(
    site: &Site,
    name: &str,
    many: &[AssetId],
    location: &dyn Fn() -> Location,
) -> Diagnostic {
    let paths: Vec<String> = many
        .iter()
        .map(|a| format!("`{}`", site.content.assets[a.0].display.display()))
        .collect();
    let example = &site.content.assets[many[0].0].rel;
    Diagnostic::error(format!(
        "`{name}` is ambiguous: {} files have that name",
        many.len()
    ))
    .at(location())
    .hint(format!(
        "it names {}; write the path to choose one, e.g. `![[{example}]]`",
        paths.join(" and ")
    ))
}

/// Whether `target` of a wikilink names a file (`[[paper.pdf]]`) rather than a note.
pub fn names_file(target: &str) -> bool {
    file_name(target).rsplit_once('.').is_some_and(|(stem, e)| {
        !stem.is_empty()
            && !e.is_empty()
            && e != "md"
            && e.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Which targets of the namespace a wikilink names by file name or path (after slugs and
/// names): documents that are essays or terms.
pub fn by_file(files: &Files, target: &str) -> Vec<Target> {
    let docs = if target.contains('/') {
        files.docs_at_path(target)
    } else {
        match files.docs_named(target) {
            [] if target.len() == 14 && target.bytes().all(|b| b.is_ascii_digit()) => {
                files.doc_ids.get(target).map_or(&[][..], Vec::as_slice)
            }
            found => found,
        }
    };
    docs.iter()
        .copied()
        .filter_map(|d| match d {
            DocId::Essay(i) => Some(Target::Essay(i)),
            DocId::Term(i) => Some(Target::Term(i)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_and_never_climb_out() {
        assert_eq!(
            join("essays/a", "../img/x.png").as_deref(),
            Some("essays/img/x.png")
        );
        assert_eq!(join("essays", "./x.md").as_deref(), Some("essays/x.md"));
        assert_eq!(join("", "../x"), None);
        assert!(is_external("https://e.org"));
        assert!(is_external("mailto:a@b"));
        assert!(is_external("//cdn.org/x"));
        assert!(!is_external("a/b:c.png") || is_external("a/b:c.png"));
        assert!(!is_external("fig.png"));
        assert!(names_file("paper.pdf"));
        assert!(!names_file("Note"));
        assert!(!names_file("Dr. Who"));
        assert_eq!(zettel_id("20200318120000 Slip box"), Some("20200318120000"));
        assert_eq!(zettel_id("2020 notes 123456789012345"), None);
    }
}
