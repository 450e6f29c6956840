//! `scholion serve`: build in memory, serve under the base path, watch, rebuild, reload.
//!
//! Each rebuild loads and indexes the whole project (reusing cached scans and the
//! bibliography when their inputs are unchanged) and becomes a new *generation*; pages are
//! rendered on request from the current generation and kept until the next one. So a page
//! served is always exactly what a full build would write (a test compares them), and an
//! edit costs one re-index plus the pages the browser asks for.
//!
//! A failed rebuild keeps the last good generation, prints the diagnostics, and sends them
//! to open pages, which show them in an overlay; the next good rebuild reloads the pages.
//! Pages are served from memory only, so no request can reach a file outside the site.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use notify::RecursiveMode;
use notify_debouncer_full::new_debouncer;
use tokio::sync::broadcast;

use crate::config::{CONFIG_FILE, Config};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::index::Site;
use crate::pipeline::{self, Caches, Request};
use crate::render::{self, Renderer, Theme};

pub struct Options {
    pub root: PathBuf,
    pub port: u16,
    pub interface: String,
    pub open: bool,
    pub drafts: bool,
}

/// The script every served HTML page gets: live reload, scroll keeping, error overlay.
const LIVE_JS: &str = include_str!("serve_live.js");
const LIVE_PATH: &str = "/__scholion/live.js";
const EVENTS_PATH: &str = "/__scholion/events";

/// One successful build: the indexed site, its theme, and the pages rendered so far.
pub struct Generation {
    pub id: u64,
    site: Site,
    theme: Theme,
    pages: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl Generation {
    /// The file at output path `rel`, rendered on first request: `Ok(None)` when the site
    /// has no such file, `Err` with the rendering error (a template error on that page).
    pub fn file(&self, rel: &str) -> Result<Option<Arc<Vec<u8>>>, Diagnostic> {
        if let Some(hit) = self
            .pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(rel)
        {
            return Ok(Some(hit.clone()));
        }
        // A file published as it is: read on each request (so a changed one is served).
        if let Some(crate::route::Route::Asset(a)) = self.site.routes.parse(rel) {
            let asset = self.site.asset(a);
            return crate::input::read_asset(&asset.source, &asset.display)
                .map(|bytes| Some(Arc::new(bytes)));
        }
        let renderer = render::HtmlRenderer::new(&self.site, &self.theme);
        let Some(made) = render::render_path(&renderer, &self.site, rel) else {
            return Ok(None);
        };
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        for (path, bytes) in made? {
            pages.entry(path).or_insert_with(|| Arc::new(bytes));
        }
        Ok(pages.get(rel).cloned())
    }

    pub fn base_path(&self) -> String {
        self.site.base_path().to_string()
    }
}

/// What the server shares between requests and the rebuild thread.
pub struct Shared {
    pub current: RwLock<Option<Arc<Generation>>>,
    /// The diagnostics of the last failed rebuild (cleared by a good one).
    pub error: RwLock<Option<String>>,
    pub events: broadcast::Sender<String>,
}

/// Builds generations, reusing caches between them.
pub struct Builder {
    request: Request,
    caches: Caches,
    next_id: u64,
    /// The theme the last good generation was checked with: sample pages are rendered
    /// (to surface template errors at once) only when the theme changes.
    checked_theme: Option<u64>,
}

impl Builder {
    pub fn new(root: PathBuf, drafts: bool) -> Builder {
        Builder {
            request: Request {
                root,
                base_url: None,
                drafts,
                deny_warnings: false,
            },
            caches: Caches::default(),
            next_id: 1,
            checked_theme: None,
        }
    }

    /// Load, index and render one page of each template. `Err` holds the diagnostics text.
    pub fn build(&mut self) -> Result<(Generation, Vec<String>), String> {
        let diagnostics = Diagnostics::new();
        // Highlighted code blocks are kept across generations: those the last two used.
        crate::markdown::highlight::start_epoch();
        let loaded = pipeline::load_with(&self.request, &diagnostics, Some(&self.caches));
        let mut generation = None;
        let mut theme_checked = None;
        if let Some((site, theme)) = loaded
            && diagnostics.error_count() == 0
        {
            let g = Generation {
                id: self.next_id,
                site,
                theme,
                pages: Mutex::new(HashMap::new()),
            };
            let fingerprint = g.theme.fingerprint();
            if self.checked_theme != Some(fingerprint) {
                let renderer = render::HtmlRenderer::new(&g.site, &g.theme);
                for route in render::sample_routes(&renderer) {
                    if let Err(d) = renderer.render(&route, &|_| {}) {
                        diagnostics.push(d);
                        break;
                    }
                }
            }
            theme_checked = Some(fingerprint);
            generation = Some(g);
        }
        let sorted = diagnostics.into_sorted();
        let errors = sorted
            .iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error);
        let text: Vec<String> = sorted.iter().map(|d| d.render(false)).collect();
        match generation {
            Some(g) if !errors => {
                self.next_id += 1;
                self.checked_theme = theme_checked;
                Ok((g, text))
            }
            _ => Err(text.join("\n\n")),
        }
    }
}

pub fn run(options: Options) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve(options))
}

async fn serve(options: Options) -> anyhow::Result<ExitCode> {
    let root = options.root.clone();
    let (events, _) = broadcast::channel(16);
    let shared = Arc::new(Shared {
        current: RwLock::new(None),
        error: RwLock::new(None),
        events,
    });
    let mut builder = Builder::new(root.clone(), options.drafts);
    let start = Instant::now();
    let base = match builder.build() {
        Ok((g, warnings)) => {
            for w in &warnings {
                eprintln!("{w}\n");
            }
            let base = g.base_path();
            eprintln!("Built the site in {} ms", start.elapsed().as_millis());
            *shared.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(g));
            base
        }
        Err(text) => {
            eprintln!("{text}\n\nerror: the site has errors; serving them until they are fixed");
            *shared.error.write().unwrap_or_else(|e| e.into_inner()) = Some(text);
            Config::load(&root)
                .map(|c| c.base_path())
                .unwrap_or_else(|_| "/".into())
        }
    };

    let addr: SocketAddr = format!("{}:{}", options.interface, options.port)
        .parse()
        .map_err(|_| anyhow::anyhow!("`{}` is not an IP address", options.interface))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {addr}: {e} (is another server using port {}? try --port)",
            options.port
        )
    })?;
    let url = format!("http://{}{}", listener.local_addr()?, base);
    eprintln!(
        "Serving {} at {url}  (Ctrl-C to stop)",
        crate::project::display(&root)
    );
    if options.open {
        open_browser(&url);
    }

    spawn_watcher(root, builder, shared.clone())?;
    let hosts = Arc::new(AllowedHosts {
        bound: listener.local_addr()?,
    });
    let app = router(shared).layer(axum::middleware::from_fn_with_state(hosts, check_host));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// The HTTP routes: the live-reload endpoints, then every other path from memory.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(LIVE_PATH, get(live_js))
        .route(EVENTS_PATH, get(events))
        .fallback(get(page))
        .with_state(shared)
}

/// The `Host` names a request may carry, each with the bound port: `localhost`, a loopback
/// address, the bound address, and (when bound to all interfaces) any IP address. A page on
/// another site that rebinds its own name to 127.0.0.1 (DNS rebinding) still sends its own
/// name, so it gets 421 Misdirected Request, on the event stream too, and cannot read the
/// site or its diagnostics.
pub struct AllowedHosts {
    pub bound: SocketAddr,
}

impl AllowedHosts {
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = if let Some(rest) = host.strip_prefix('[') {
            match rest.split_once(']') {
                Some((name, "")) => (name, None),
                Some((name, port)) => match port.strip_prefix(':') {
                    Some(port) => (name, Some(port)),
                    None => return false,
                },
                None => return false,
            }
        } else {
            match host.rsplit_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (host.as_str(), None),
            }
        };
        let port_ok = match port {
            Some(port) => port.parse::<u16>().ok() == Some(self.bound.port()),
            None => self.bound.port() == 80,
        };
        let name_ok = name == "localhost"
            || name.parse::<std::net::IpAddr>().is_ok_and(|ip| {
                ip.is_loopback() || ip == self.bound.ip() || self.bound.ip().is_unspecified()
            });
        port_ok && name_ok
    }
}

/// Refuse requests for other host names (see `AllowedHosts`), and read a path that starts
/// with `//` as one starting with `/`: a redirect to `//essays/x/` would send the browser to
/// the host `essays`.
async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let header_host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let uri_host = request.uri().authority().map(|a| a.as_str());
    let allowed_host = match (header_host, uri_host) {
        (None, None) => false,
        (h, u) => h.is_none_or(|h| allowed.allows(h)) && u.is_none_or(|u| allowed.allows(u)),
    };
    if !allowed_host {
        let mut response = Response::new(Body::from(format!(
            "421 Misdirected Request: this server answers only to http://localhost:{0}/ and http://{1}/\n",
            allowed.bound.port(),
            allowed.bound
        )));
        *response.status_mut() = StatusCode::MISDIRECTED_REQUEST;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return response;
    }
    let path = request.uri().path();
    if path.starts_with("//") {
        let query = request
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let fixed = format!("/{}{query}", path.trim_start_matches('/'));
        if let Ok(uri) = fixed.parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

async fn live_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        LIVE_JS,
    )
        .into_response()
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.events.subscribe();
    let initial = shared
        .error
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let first = Event::default()
        .event("hello")
        .data(initial.map_or_else(|| "ok".to_string(), |e| format!("error\n{e}")));
    let stream = futures_util::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
        if let Some(first) = first {
            return Some((Ok(first), (None, rx)));
        }
        loop {
            match rx.recv().await {
                Ok(message) => {
                    let (kind, data) = message.split_once('\n').unwrap_or((message.as_str(), ""));
                    let event =
                        Event::default()
                            .event(kind)
                            .data(if data.is_empty() { "-" } else { data });
                    return Some((Ok(event), (None, rx)));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn content_type(path: &str) -> &'static str {
    // Published files keep the extension their author gave them, in any case.
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "zip" => "application/zip",
        "woff" => "font/woff",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "woff2" => "font/woff2",
        "epub" => "application/epub+zip",
        _ => "application/octet-stream",
    }
}

/// The output path for a request path below the base, or `None` if it is not a clean
/// relative path (`..`, `.`, empty segments, backslashes, NUL are refused).
pub fn output_path(rel: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(rel)
        .decode_utf8()
        .ok()?;
    let mut parts = Vec::new();
    let trailing = decoded.is_empty() || decoded.ends_with('/');
    for seg in decoded.split('/') {
        if seg.is_empty() {
            continue;
        }
        if seg == "." || seg == ".." || seg.contains('\\') || seg.contains('\0') {
            return None;
        }
        parts.push(seg);
    }
    let mut path = parts.join("/");
    if trailing {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str("index.html");
    }
    Some(path)
}

async fn page(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let current = shared
        .current
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(generation) = current else {
        return html_response(StatusCode::SERVICE_UNAVAILABLE, inject(b"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Scholion: errors</title></head><body><p>The site has errors; fix them and this page reloads.</p></body></html>".to_vec()));
    };
    let base = generation.base_path();
    let path = uri.path();
    if path == "/" && base != "/" || path.len() + 1 == base.len() && base.starts_with(path) {
        return redirect(&base);
    }
    let not_found = || {
        let body = match generation.file("404.html") {
            Ok(Some(b)) => b.as_ref().clone(),
            _ => Vec::new(),
        };
        html_response(StatusCode::NOT_FOUND, inject(body))
    };
    let Some(rel) = path.strip_prefix(base.as_str()) else {
        return not_found();
    };
    let Some(out) = output_path(rel) else {
        return not_found();
    };
    let lookup = generation.clone();
    let out_clone = out.clone();
    let found = match tokio::task::spawn_blocking(move || lookup.file(&out_clone)).await {
        Ok(Ok(found)) => found,
        Ok(Err(d)) => return render_error(&shared, &d),
        Err(_) => None,
    };
    match found {
        Some(bytes) => {
            let ty = content_type(&out);
            let body = if ty.starts_with("text/html") {
                inject(bytes.as_ref().clone())
            } else {
                bytes.as_ref().clone()
            };
            let mut response = Response::new(Body::from(body));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => {
            // `/essays/x` → `/essays/x/` when that page exists.
            if !out.ends_with("index.html")
                && matches!(generation.file(&format!("{out}/index.html")), Ok(Some(_)))
            {
                return redirect(&format!("{path}/"));
            }
            not_found()
        }
    }
}

/// A page that failed to render (a template error on a page the pre-render check did not
/// cover): printed in the terminal, sent to open pages, and answered with the error overlay,
/// as a failed rebuild is.
fn render_error(shared: &Shared, d: &Diagnostic) -> Response {
    let text = d.render(false);
    eprintln!("{text}\n\nerror: this page could not be rendered");
    let _ = shared.events.send(format!("builderror\n{text}"));
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Scholion: error</title></head><body><h1>This page could not be rendered</h1><pre>{}</pre></body></html>",
        crate::markdown::escape(&text)
    );
    html_response(StatusCode::INTERNAL_SERVER_ERROR, inject(body.into_bytes()))
}

fn redirect(to: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn html_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Add the live-reload script before `</body>` (or at the end).
fn inject(mut html: Vec<u8>) -> Vec<u8> {
    let tag = format!("<script src=\"{LIVE_PATH}\"></script>");
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    html.splice(at..at, tag.into_bytes());
    html
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener).arg(url).spawn().is_err() {
        eprintln!("(could not open a browser; visit {url})");
    }
}

/// What the watcher watches, from book.toml as it is now: the project folder (book.toml; not
/// recursive), the content folder, `themes/` and the theme folder (recursive), and the folder
/// of each bibliography file and `.csl` style wherever it lives (not recursive: folders, not
/// files, because editors save by renaming a new file over the old one).
struct WatchSet {
    folders: Vec<(PathBuf, RecursiveMode)>,
    /// Paths whose change means a rebuild: folders (anything under them) and files.
    inputs: Vec<PathBuf>,
    out: PathBuf,
}

impl WatchSet {
    fn of(root: &Path) -> WatchSet {
        let config = Config::load(root).unwrap_or_default();
        let inputs = config.inputs(root);
        let mut folders = vec![
            (root.to_path_buf(), RecursiveMode::NonRecursive),
            (inputs.content.clone(), RecursiveMode::Recursive),
            (inputs.themes.clone(), RecursiveMode::Recursive),
            (inputs.statics.clone(), RecursiveMode::Recursive),
        ];
        let mut watched_inputs = vec![
            inputs.config_file.clone(),
            inputs.content.clone(),
            inputs.themes.clone(),
            inputs.statics.clone(),
        ];
        if let Some(theme) = &inputs.theme {
            watched_inputs.push(theme.clone());
            if !theme.starts_with(&inputs.themes) {
                folders.push((theme.clone(), RecursiveMode::Recursive));
            }
        }
        for file in inputs
            .bibliography
            .iter()
            .chain(&inputs.style)
            .chain(&inputs.cover)
        {
            let file = crate::output::normalise(file);
            watched_inputs.push(file.clone());
            if let Some(parent) = file.parent()
                && !folders.iter().any(|(f, m)| {
                    f == parent || (*m == RecursiveMode::Recursive && parent.starts_with(f))
                })
            {
                folders.push((parent.to_path_buf(), RecursiveMode::NonRecursive));
            }
        }
        WatchSet {
            folders,
            inputs: watched_inputs,
            out: root.join(&config.build.output_dir),
        }
    }

    /// Whether a changed path should trigger a rebuild.
    fn relevant(&self, path: &Path) -> bool {
        if path.starts_with(&self.out) {
            return false;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.starts_with(".#")
            || name == "4913"
        {
            return false;
        }
        self.inputs.iter().any(|input| path.starts_with(input))
    }
}

fn spawn_watcher(root: PathBuf, mut builder: Builder, shared: Arc<Shared>) -> anyhow::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    // 10 ms: an editor's save (write a temporary file, rename it) is one burst well within
    // it, and every millisecond here is a millisecond before the page shows the edit.
    let mut debouncer = new_debouncer(Duration::from_millis(10), None, tx)?;
    let abs_root = crate::output::normalise(&root);
    let mut set = WatchSet::of(&abs_root);
    let mut watched: HashMap<PathBuf, RecursiveMode> = HashMap::new();
    reconcile(&mut debouncer, &set, &mut watched, &[]);
    if !watched.contains_key(&abs_root) {
        anyhow::bail!("cannot watch {}", abs_root.display());
    }
    std::thread::spawn(move || {
        loop {
            // A second without events: check the watched folders anyway (one restored where
            // no watch could see it, inside a folder that was itself gone, say).
            let first = match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(first) => Some(first),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            };
            // Drain whatever else arrived: one rebuild per burst.
            let mut batches: Vec<_> = first.into_iter().collect();
            while let Ok(more) = rx.recv_timeout(Duration::from_millis(2)) {
                batches.push(more);
            }
            let events: Vec<notify_debouncer_full::DebouncedEvent> =
                batches.into_iter().flatten().flatten().collect();
            let touched: Vec<PathBuf> = events
                .iter()
                .filter(|e| !matches!(e.event.kind, notify::EventKind::Access(_)))
                .flat_map(|e| e.paths.iter().cloned())
                .collect();
            let mut changed = touched.iter().any(|p| set.relevant(p));
            if touched.iter().any(|p| p.ends_with(CONFIG_FILE)) {
                set = WatchSet::of(&abs_root);
            }
            // A folder that came (back) into being may hold files no watch saw arrive.
            changed |= reconcile(&mut debouncer, &set, &mut watched, &touched);
            if !changed {
                continue;
            }
            rebuild(&mut builder, &shared);
        }
    });
    Ok(())
}

/// Bring the watches in line with `set`: watch folders that exist and are not watched, drop
/// those that are gone, and watch again any folder that an event shows was removed, created
/// or moved (a checkout deletes and restores `content/`: the old watch died with the old
/// folder). Returns whether a folder was (re)watched.
fn reconcile<D: notify_debouncer_full::notify::Watcher, C: notify_debouncer_full::FileIdCache>(
    debouncer: &mut notify_debouncer_full::Debouncer<D, C>,
    set: &WatchSet,
    watched: &mut HashMap<PathBuf, RecursiveMode>,
    touched: &[PathBuf],
) -> bool {
    let mut added = false;
    let gone: Vec<PathBuf> = watched
        .keys()
        .filter(|f| !set.folders.iter().any(|(g, _)| g == *f) || !f.is_dir())
        .cloned()
        .collect();
    for folder in gone {
        let _ = debouncer.unwatch(&folder);
        watched.remove(&folder);
    }
    for (folder, mode) in &set.folders {
        let stale = watched.contains_key(folder) && touched.iter().any(|t| folder.starts_with(t));
        if stale {
            let _ = debouncer.unwatch(folder);
            watched.remove(folder);
        }
        if !watched.contains_key(folder)
            && folder.is_dir()
            && debouncer.watch(folder, *mode).is_ok()
        {
            watched.insert(folder.clone(), *mode);
            added = true;
        }
    }
    added
}

fn rebuild(builder: &mut Builder, shared: &Shared) {
    let start = Instant::now();
    match builder.build() {
        Ok((generation, warnings)) => {
            let id = generation.id;
            let old = shared
                .current
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .replace(Arc::new(generation));
            *shared.error.write().unwrap_or_else(|e| e.into_inner()) = None;
            let _ = shared.events.send(format!("reload\n{id}"));
            // Freeing the last generation (10,000 essays' model) took 5% of an edit's
            // rebuild: done off this thread, after the pages were told to reload.
            std::thread::spawn(move || drop(old));
            eprintln!(
                "Rebuilt in {} ms{}",
                start.elapsed().as_millis(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!(" ({} warnings)", warnings.len())
                }
            );
        }
        Err(text) => {
            eprintln!("{text}\n\nerror: rebuild failed; still serving the last good site");
            *shared.error.write().unwrap_or_else(|e| e.into_inner()) = Some(text.clone());
            let _ = shared.events.send(format!("builderror\n{text}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_the_bound_address_and_loopback_names_with_the_port() {
        let local = AllowedHosts {
            bound: "127.0.0.1:3000".parse().unwrap(),
        };
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
            "127.0.0.2:3000",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:3000",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:80",
            "localhost.evil.example:3000",
            "192.168.1.5:3000",
            "[::1]",
            "[::1]x:3000",
            "",
        ] {
            assert!(!local.allows(bad), "{bad}");
        }
        let all = AllowedHosts {
            bound: "0.0.0.0:80".parse().unwrap(),
        };
        assert!(all.allows("192.168.1.5") && all.allows("192.168.1.5:80"));
        assert!(!all.allows("evil.example"));
    }

    #[test]
    fn output_paths_refuse_traversal() {
        assert_eq!(output_path("").as_deref(), Some("index.html"));
        assert_eq!(
            output_path("essays/x/").as_deref(),
            Some("essays/x/index.html")
        );
        assert_eq!(
            output_path("static/style.css").as_deref(),
            Some("static/style.css")
        );
        for bad in [
            "../etc/passwd",
            "%2e%2e/x",
            "a/%2E%2E/%2e%2e/b",
            "..%2fx",
            "a\\..\\b",
            "%00",
        ] {
            assert_eq!(output_path(bad), None, "{bad}");
        }
    }
}
