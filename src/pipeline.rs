//! The pipeline, end to end: load → index → render → write. `check` stops before write;
//! `build` writes to a staging folder and swaps it in; `serve` keeps the site in memory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::content;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::index::{self, Bibliography, BuildOptions, ScanCache, Site};
use crate::output::{self, Staging};
use crate::render::{self, Page, Theme};
use crate::timing::timing;
use rayon::prelude::*;

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub root: PathBuf,
    pub base_url: Option<String>,
    pub drafts: bool,
    pub deny_warnings: bool,
}

/// The result of a run: diagnostics (sorted), and how many files were made.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub pages: usize,
    pub failed: bool,
    /// Drafts left out of the site (`draft: true` without `--drafts`).
    pub drafts_left_out: usize,
}

impl Outcome {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// What `serve` keeps between rebuilds. Every cached value is keyed by all of its inputs.
#[derive(Default)]
pub struct Caches {
    pub scans: ScanCache,
    pub files: content::LoadCache,
    pub bibliography: Mutex<Option<(u64, Arc<Bibliography>)>>,
}

/// Load and index a project; `None` when a problem prevents indexing at all.
pub fn load(request: &Request, diagnostics: &Diagnostics) -> Option<(Site, Theme)> {
    load_with(request, diagnostics, None)
}

/// `load`, reusing what `caches` holds.
pub fn load_with(
    request: &Request,
    diagnostics: &Diagnostics,
    caches: Option<&Caches>,
) -> Option<(Site, Theme)> {
    let started = std::time::Instant::now();
    let root = &request.root;
    let config_text = crate::config::config_text(root).unwrap_or_default();
    let mut config = match Config::load(root) {
        Ok(c) => c,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    if let Some(url) = &request.base_url
        && let Err(message) = config.set_base_url(url)
    {
        diagnostics.push(
            Diagnostic::error(message).hint("pass `--base-url https://user.github.io/reader/`"),
        );
        return None;
    }
    let theme = match Theme::load(root, &config.build.theme) {
        Ok(t) => Some(t),
        Err(ds) => {
            diagnostics.extend(ds);
            None
        }
    };
    let inputs = config.inputs(root);
    let load_bib = || -> Arc<Bibliography> {
        let Some(caches) = caches else {
            return Arc::new(Bibliography::load(root, &config, &config_text, diagnostics));
        };
        let fingerprint = Bibliography::fingerprint(root, &config);
        let mut slot = caches
            .bibliography
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((f, bib)) = slot.as_ref()
            && *f == fingerprint
        {
            return bib.clone();
        }
        // Load afresh; cache it only if it loaded without problems (so errors repeat).
        let local = Diagnostics::new();
        let bib = Arc::new(Bibliography::load(root, &config, &config_text, &local));
        let problems = local.into_sorted();
        if problems.is_empty() {
            *slot = Some((fingerprint, bib.clone()));
        }
        diagnostics.extend(problems);
        bib
    };
    timing("theme", started);
    let (content, bib) = rayon::join(
        || {
            let t = std::time::Instant::now();
            let c = content::load_cached(root, &inputs, diagnostics, caches.map(|c| &c.files));
            timing("content", t);
            c
        },
        || {
            let t = std::time::Instant::now();
            let b = load_bib();
            timing("bibliography", t);
            b
        },
    );
    let options = BuildOptions {
        drafts: request.drafts,
    };
    let scans = caches.map(|c| &c.scans);
    let (translations, problems) = crate::i18n::Translations::load(&config, &config_text);
    diagnostics.extend(problems);
    let cover = load_cover(root, &config, diagnostics);
    let mut site = index::index(
        config,
        translations,
        content,
        bib,
        options,
        diagnostics,
        scans,
    );
    site.cover = cover;
    timing("load + index", started);
    Some((site, theme?))
}

/// The cover image book.toml names (`[book] cover`): a PNG or JPEG, read through `input`.
/// A file that is missing, unreadable or not an image is an error at the setting.
fn load_cover(root: &Path, config: &Config, diagnostics: &Diagnostics) -> Option<index::Cover> {
    let rel = config.book.cover.as_ref()?;
    let path = root.join(rel);
    let at = |d: Diagnostic| match crate::config::setting_location(root, "book", "cover") {
        Some(location) => d.at(location),
        None => d,
    };
    match crate::input::read_capped(&path, crate::input::COVER) {
        Ok(bytes) => match index::Cover::sniff(bytes) {
            Some(cover) => Some(cover),
            None => {
                diagnostics.push(at(Diagnostic::error(format!(
                    "the cover `{}` is not a PNG or JPEG image",
                    rel.display()
                ))
                .hint(
                    "an EPUB cover is a PNG or JPEG file; remove `cover` for a generated one",
                )));
                None
            }
        },
        Err(err) => {
            let hint = err.hint();
            diagnostics.push(at(Diagnostic::error(format!(
                "cannot read the cover `{}`: {err}",
                rel.display()
            ))
            .hint(hint)));
            None
        }
    }
}

fn finish(diagnostics: Diagnostics, request: &Request, pages: usize) -> Outcome {
    finish_drafts(diagnostics, request, pages, 0)
}

fn finish_drafts(
    diagnostics: Diagnostics,
    request: &Request,
    pages: usize,
    drafts_left_out: usize,
) -> Outcome {
    let diagnostics = diagnostics.into_sorted();
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let failed = errors > 0 || (request.deny_warnings && warnings > 0);
    Outcome {
        diagnostics,
        pages,
        failed,
        drafts_left_out,
    }
}

/// Where `check` sends files: they are counted (pages) and dropped; a streamed file (an
/// edition) is made into nothing, never held.
struct Counting<'a>(&'a AtomicUsize);

impl render::Emitter for Counting<'_> {
    fn emit(&self, (path, _): Page) {
        if path.ends_with(".html") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn stream(&self, path: String, make: &mut render::Make<'_>) -> std::io::Result<()> {
        make(&mut std::io::sink())?;
        self.emit((path, Vec::new()));
        Ok(())
    }
}

/// Where `build` sends files: the staging folder (the first write error is kept).
struct ToStaging<'a> {
    staging: &'a Staging,
    count: &'a AtomicUsize,
    write_error: &'a std::sync::Mutex<Option<anyhow::Error>>,
}

impl ToStaging<'_> {
    fn counted(&self, path: &str) {
        // The summary counts pages, not assets or search-index files.
        if path.ends_with(".html") {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn failed(&self, err: anyhow::Error) {
        self.write_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(err);
    }
}

impl render::Emitter for ToStaging<'_> {
    fn emit(&self, (path, bytes): Page) {
        self.counted(&path);
        if let Err(err) = self.staging.put(&path, &bytes) {
            self.failed(err);
        }
    }

    fn stream(&self, path: String, make: &mut render::Make<'_>) -> std::io::Result<()> {
        self.counted(&path);
        match self.staging.put_stream(&path, make) {
            Ok(made) => made,
            Err(err) => {
                let message = format!("{err:#}");
                self.failed(err);
                Err(std::io::Error::other(message))
            }
        }
    }
}

/// Everything a build checks; writes nothing.
pub fn check(request: &Request) -> Outcome {
    let diagnostics = Diagnostics::new();
    let mut pages = 0;
    let mut drafts_left_out = 0;
    if let Some((site, theme)) = load(request, &diagnostics) {
        // Read (never written by `check`): the blocks the last build highlighted.
        let _highlights = index::HighlightCache::open(&request.root);
        drafts_left_out = site.drafts_left_out();
        let count = AtomicUsize::new(0);
        let renderer = render::HtmlRenderer::new(&site, &theme);
        let errors = render::render_site(&renderer, &Counting(&count));
        diagnostics.extend(errors);
        pages = count.into_inner();
        std::thread::spawn(move || drop((site, theme))); // as in `build`
    }
    finish_drafts(diagnostics, request, pages, drafts_left_out)
}

/// Start preparing the staging folder in the background, when book.toml names an output
/// folder that passes the safety checks (otherwise `build` reports the problem as usual).
fn early_staging(
    request: &Request,
    out: Option<&Path>,
    force: bool,
) -> Option<std::thread::JoinHandle<anyhow::Result<Staging>>> {
    let config = Config::load(&request.root).ok()?;
    let out_dir = match out {
        Some(o) => o.to_path_buf(),
        None => request.root.join(&config.build.output_dir),
    };
    let inputs = config.inputs(&request.root);
    output::check_output_dir(&request.root, &inputs, &out_dir, force).ok()?;
    let root = request.root.clone();
    Some(std::thread::spawn(move || Staging::new(&root, &out_dir)))
}

/// Build to disk. `out` overrides `output-dir` (relative to the current folder).
pub fn build(request: &Request, out: Option<&Path>, force: bool) -> Outcome {
    let diagnostics = Diagnostics::new();
    // Preparing the staging folder (claiming the spare and listing its files, ~0.4 s at
    // 10,000 essays) needs only the output folder's name: do it while the project loads.
    let early = early_staging(request, out, force);
    // The highlighted-code cache (16 MB at 10,000 essays) is read meanwhile too.
    let highlights = {
        let root = request.root.clone();
        std::thread::spawn(move || index::HighlightCache::open(&root))
    };
    let Some((site, theme)) = load(request, &diagnostics) else {
        if let Some(staging) = early.and_then(|h| h.join().ok()?.ok()) {
            staging.abandon();
        }
        return finish(diagnostics, request, 0);
    };
    let out_dir = match out {
        Some(o) => o.to_path_buf(),
        None => request.root.join(&site.config.build.output_dir),
    };
    // The early staging is for this output folder (unless book.toml changed meanwhile).
    let early = early
        .and_then(|h| h.join().ok())
        .and_then(|staging| match staging {
            Ok(s) if s.target() != output::normalise(&out_dir) => {
                s.abandon();
                None
            }
            other => Some(other),
        });
    let inputs = site.config.inputs(&request.root);
    if let Err(mut d) = output::check_output_dir(&request.root, &inputs, &out_dir, force) {
        if let Some(Ok(staging)) = early {
            staging.abandon();
        }
        // Unless `--out` named the folder, book.toml did: point at the setting.
        if out.is_none()
            && let Some(location) =
                crate::config::setting_location(&request.root, "build", "output-dir")
        {
            d = d.at(location);
        }
        diagnostics.push(d);
        return finish(diagnostics, request, 0);
    }
    if diagnostics.error_count() > 0 {
        if let Some(Ok(staging)) = early {
            staging.abandon();
        }
        // Render anyway to report template problems too, but write nothing.
        let renderer = render::HtmlRenderer::new(&site, &theme);
        diagnostics.extend(render::render_site(
            &renderer,
            &Counting(&AtomicUsize::new(0)),
        ));
        return finish(diagnostics, request, 0);
    }
    let staging_start = std::time::Instant::now();
    let staging = match early {
        Some(early) => early,
        None => Staging::new(&request.root, &out_dir),
    };
    timing("staging (wait)", staging_start);
    let staging = match staging {
        Ok(s) => s,
        Err(err) => {
            diagnostics.push(Diagnostic::error(format!("{err:#}")).hint(
                "Scholion writes its state to `.scholion/` in the project and the site beside it: check that you may write to the project folder and the output folder's parent",
            ));
            return finish(diagnostics, request, 0);
        }
    };
    let count = AtomicUsize::new(0);
    let write_error = std::sync::Mutex::new(None::<anyhow::Error>);
    let highlights_start = std::time::Instant::now();
    let highlights = highlights.join().ok();
    timing("highlight cache (wait)", highlights_start);
    let render_start = std::time::Instant::now();
    let renderer = render::HtmlRenderer::new(&site, &theme);
    let errors = render::render_site(
        &renderer,
        &ToStaging {
            staging: &staging,
            count: &count,
            write_error: &write_error,
        },
    );
    // Files published as they are: read here (render reads no files), written like pages
    // (an unchanged file is left alone).
    let assets: Vec<crate::ids::AssetId> = site.asset_ids().collect();
    assets.par_iter().for_each(|&a| {
        let asset = site.asset(a);
        match crate::input::read_asset(&asset.source, &asset.display) {
            Ok(bytes) => {
                let path = site.routes.output_path(&crate::route::Route::Asset(a));
                if let Err(err) = staging.put(&path, &bytes) {
                    write_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(err);
                }
            }
            Err(d) => diagnostics.push(d),
        }
    });
    timing("render + write", render_start);
    diagnostics.extend(errors);
    if let Some(err) = write_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        diagnostics.push(
            Diagnostic::error(format!("{err:#}"))
                .hint("check the output folder's permissions and free space"),
        );
    }
    let outcome = finish_drafts(
        diagnostics,
        request,
        count.into_inner(),
        site.drafts_left_out(),
    );
    if outcome.failed {
        staging.abandon();
        return outcome;
    }
    let commit_start = std::time::Instant::now();
    let committed = staging.commit();
    timing("commit", commit_start);
    if let Err(err) = committed {
        let mut outcome = outcome;
        outcome
            .diagnostics
            .push(Diagnostic::error(format!("{err:#}")));
        outcome.failed = true;
        return outcome;
    }
    // The formatted-citation cache, for the next build (only a build writes it).
    if let Some((path, bytes)) = site.bib.cache_file() {
        output::write_cache_file(&path, &bytes);
    }
    // The highlighted code blocks, likewise.
    if let Some((path, bytes)) = highlights.and_then(|h| h.pending()) {
        output::write_cache_file(&path, &bytes);
    }
    // Freeing the index (millions of small allocations) took ~100 ms at 10,000 essays. A
    // thread does it: the CLI exits without waiting, a long-lived caller still gets the
    // memory back.
    std::thread::spawn(move || drop((site, theme)));
    outcome
}
