//! Test support: build real projects with the real binary and inspect the output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scraper::{Html, Selector};

/// The binary under test; `SCHOLION_BIN` runs the tests against another build of it (an
/// older one, to see a regression test fail before its fix).
pub fn bin() -> PathBuf {
    std::env::var_os("SCHOLION_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_scholion")))
}

/// The binary as a command, with its formatted-citation cache in a folder of this test run:
/// the test suite never touches the user's real cache.
pub fn scholion() -> Command {
    static CACHE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        std::env::temp_dir().join(format!("scholion-test-cache-{}", std::process::id()))
    });
    let mut command = Command::new(bin());
    command.env("SCHOLION_CACHE_DIR", cache);
    command
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A project in a temporary folder.
pub struct Project {
    pub dir: tempfile::TempDir,
}

/// The result of running the binary.
pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    #[track_caller]
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(self.code(), 0, "expected success, got:\n{}", self.stderr());
        self
    }
    #[track_caller]
    pub fn assert_fails_with(&self, fragments: &[&str]) -> &Run {
        let err = self.stderr();
        assert_eq!(
            self.code(),
            1,
            "expected exit 1, got {}:\n{err}",
            self.code()
        );
        assert!(!err.contains("panicked"), "panic:\n{err}");
        for f in fragments {
            assert!(err.contains(f), "expected `{f}` in:\n{err}");
        }
        self
    }
}

pub const BOOK: &str = "[book]\ntitle = \"Test Reader\"\n\n[build]\nbase-url = \"/\"\n";

pub const BIB: &str = r#"@book{lieberthal1992,
  author = {Lieberthal, Kenneth},
  title = {Bureaucracy, Politics, and Decision Making in Post-Mao China},
  publisher = {University of California Press},
  address = {Berkeley},
  year = {1992},
}
@article{wang2012,
  author = {Wang, Zhizheng},
  title = {Systematic Government Access to Private-Sector Data in China},
  journal = {International Data Privacy Law},
  volume = {2},
  number = {4},
  pages = {220--229},
  year = {2012},
  doi = {10.1093/idpl/ips023},
}
@online{freedomhouse2018,
  author = {{Freedom House}},
  title = {Freedom on the Net Methodology},
  url = {https://freedomhouse.org/report/freedom-net-methodology},
  urldate = {2018-08-20},
  year = {2018},
}
"#;

impl Project {
    /// An empty project with a book.toml.
    pub fn new() -> Project {
        let p = Project {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        p.write("book.toml", BOOK);
        p
    }

    /// A copy of a fixture folder under tests/fixtures.
    #[allow(dead_code)]
    pub fn fixture(name: &str) -> Project {
        let p = Project {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        copy_dir(&repo().join("tests/fixtures").join(name), p.path());
        p
    }

    /// A copy of the bundled reader.
    pub fn bundled() -> Project {
        let p = Project {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        copy_dir(&repo().join("content"), &p.path().join("content"));
        std::fs::copy(repo().join("book.toml"), p.path().join("book.toml"))
            .expect("copy book.toml");
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Project {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        self
    }

    pub fn essay(&self, slug: &str, front: &str, body: &str) -> &Project {
        self.write(
            &format!("content/essays/{slug}.md"),
            &format!("---\n{front}\n---\n{body}"),
        )
    }

    pub fn term(&self, slug: &str, front: &str, body: &str) -> &Project {
        self.write(
            &format!("content/glossary/{slug}.md"),
            &format!("---\n{front}\n---\n{body}"),
        )
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(bin())
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            // Each test project keeps its formatted-citation cache to itself.
            .env("SCHOLION_CACHE_DIR", self.path().join(".cache-for-tests"))
            .output()
            .expect("run scholion");
        Run { output }
    }

    pub fn build(&self) -> Run {
        self.run(&["build", "."])
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("public")
    }

    /// Parse a built page by URL path (`/essays/x/`).
    pub fn page(&self, url_path: &str) -> Page {
        let rel = url_path.trim_start_matches('/');
        let file = if rel.is_empty() || rel.ends_with('/') {
            self.out().join(rel).join("index.html")
        } else {
            self.out().join(rel)
        };
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        Page {
            html: Html::parse_document(&text),
            text,
        }
    }
}

pub struct Page {
    pub html: Html,
    pub text: String,
}

impl Page {
    pub fn select(&self, css: &str) -> Vec<scraper::ElementRef<'_>> {
        let sel = Selector::parse(css).expect("selector");
        self.html.select(&sel).collect()
    }

    pub fn texts(&self, css: &str) -> Vec<String> {
        self.select(css)
            .iter()
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.select(css)
            .iter()
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// Every file of a folder with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut map = BTreeMap::new();
    if !dir.exists() {
        return map;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_path_buf();
            map.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    map
}

/// Follow every internal link and asset of a built site under `base` (e.g. `/reader/`):
/// each must name a file of the output, and each `#fragment` an id in that page.
/// Returns the problems found.
pub fn crawl(out: &Path, base: &str) -> Vec<String> {
    let sel = Selector::parse("a[href], link[href], script[src], img[src]").expect("selector");
    let id_sel = Selector::parse("[id]").expect("selector");
    let mut ids_cache: BTreeMap<PathBuf, std::collections::HashSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let files = snapshot(out);
    let file_of = |url_path: &str| -> Option<PathBuf> {
        let rel = url_path.strip_prefix(base)?;
        let rel = percent_decode(rel);
        let candidates = if rel.is_empty() || rel.ends_with('/') {
            vec![PathBuf::from(format!("{rel}index.html"))]
        } else {
            vec![
                PathBuf::from(&rel),
                PathBuf::from(format!("{rel}/index.html")),
            ]
        };
        candidates.into_iter().find(|c| files.contains_key(c))
    };
    for (rel, bytes) in &files {
        if rel.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
        let doc = Html::parse_document(&text);
        for el in doc.select(&sel) {
            let attr = el
                .value()
                .attr("href")
                .or_else(|| el.value().attr("src"))
                .unwrap_or("");
            if attr.starts_with("http://")
                || attr.starts_with("https://")
                || attr.starts_with("mailto:")
                || attr.starts_with("data:")
            {
                continue;
            }
            let (path, fragment) = match attr.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (attr, None),
            };
            let path = path.split('?').next().unwrap_or("");
            let target = if path.is_empty() {
                Some(rel.clone())
            } else if !path.starts_with('/') {
                problems.push(format!("{}: relative link `{attr}`", rel.display()));
                continue;
            } else {
                file_of(path)
            };
            let Some(target) = target else {
                problems.push(format!("{}: broken link `{attr}`", rel.display()));
                continue;
            };
            if let Some(f) = fragment.filter(|f| !f.is_empty()) {
                let ids = ids_cache.entry(target.clone()).or_insert_with(|| {
                    let t = String::from_utf8_lossy(&files[&target]).into_owned();
                    Html::parse_document(&t)
                        .select(&id_sel)
                        .filter_map(|e| e.value().attr("id").map(str::to_string))
                        .collect()
                });
                if !ids.contains(&percent_decode(f)) {
                    problems.push(format!("{}: missing fragment `{attr}`", rel.display()));
                }
            }
        }
    }
    problems
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A static file server on 127.0.0.1 for the release tests (a stand-in for GitHub's release
/// downloads): GET only, `Connection: close`, 404 for anything missing. Stopped on drop.
pub struct FileServer {
    pub port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    pub fn start(root: &Path) -> FileServer {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (root, log, halt) = (root.to_path_buf(), requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Skip the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                    line.clear();
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                log.lock().expect("log").push(path.clone());
                let rel = path.trim_start_matches('/');
                let file = (!rel.split('/').any(|c| c == ".." || c.is_empty()))
                    .then(|| root.join(rel))
                    .filter(|f| f.is_file());
                let (status, body) = match file {
                    Some(f) => ("200 OK", std::fs::read(f).expect("read")),
                    None => ("404 Not Found", b"not found\n".to_vec()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        FileServer {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("log").clone()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The release target whose archive the Pages workflow and the installer download on this
/// machine (Linux: `<arch>-unknown-linux-musl`).
pub fn release_target() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

/// Run `scripts/release.sh`, packing the test binary as this machine's release archive,
/// into `out`.
pub fn pack_release(out: &Path) {
    let status = Command::new("bash")
        .arg(repo().join("scripts/release.sh"))
        .args(["--binary".as_ref(), bin().as_os_str()])
        .args(["--target", &release_target()])
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run scripts/release.sh");
    assert!(status.success(), "scripts/release.sh failed");
}

/// A release folder laid out like GitHub's downloads (`v<version>/<asset>`), packed once per
/// test run by the release script from the test binary (stripped: a debug build is 200 MB).
pub fn release_downloads() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("release-downloads");
        let _ = std::fs::remove_dir_all(&dir);
        pack_release(&dir.join(format!("v{}", env!("CARGO_PKG_VERSION"))));
        dir
    })
}
