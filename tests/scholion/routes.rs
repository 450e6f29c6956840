//! The route table, tried as a user would: names that are not plain ASCII (citation keys
//! with `:` and `/`, tags with spaces, umlauts and Chinese) must reach their pages under a
//! plain static file server — not only under `scholion serve` — and every search shard a
//! query needs must be found.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scraper::{Html, Selector};

use crate::serve::{Server, free_port, get};
use crate::support::*;

const BIB: &str = r#"@book{Smith:2020,
  author = {Smith, Anna},
  title = {Ports and Protocols},
  publisher = {Example Press},
  year = {2020},
}
@article{smith/2020,
  author = {Smith, Bert},
  title = {Slashes in Keys},
  journal = {Journal of Examples},
  year = {2020},
}
@book{Müller2019,
  author = {Müller, Jürgen},
  title = {Datenschutz und Souveränität},
  publisher = {Beispiel Verlag},
  year = {2019},
}
@book{王2021,
  author = {Wang, Wei},
  title = {Network Sovereignty},
  publisher = {Example Press},
  year = {2021},
}
"#;

const YAML_BIB: &str = r#"Zhang Wei 2018:
  type: book
  title: A Key With Spaces
  author: Zhang, Wei
  date: 2018
"#;

fn international_reader() -> Project {
    let p = Project::new();
    p.write(
        "book.toml",
        "[book]\ntitle = \"Routes\"\n\n[build]\nbase-url = \"/\"\n\n[citations]\nbibliography = [\"references.bib\", \"more.yaml\"]\n",
    );
    p.write("content/references.bib", BIB);
    p.write("content/more.yaml", YAML_BIB);
    p.essay(
        "deutsch",
        "title: \"Datenschutz\"\ntags: [\"Datenschutz für alle\", \"war: peace\"]",
        "Jürgen Müller schreibt über die Fassade [@Müller2019, S. 3] und [@Smith:2020].\n",
    );
    p.essay(
        "francais",
        "title: \"La façade\"\ntags: [\"Internet/Governance\"]",
        "La façade de Thérien, selon [@smith/2020]. Voir [[deutsch]].\n",
    );
    p.essay(
        "zhongwen",
        "title: \"网络主权\"\ntags: [\"网络主权\", \"war: peace\"]",
        "世界互联网大会 在 乌镇 召开。网络主权 是 一个 概念 [@王2021]。\n",
    );
    p
}

/// Every href and src of every HTML page of the output, as absolute URL paths.
fn every_link(out: &Path) -> BTreeSet<String> {
    let sel = Selector::parse("a[href], link[href], script[src], img[src]").unwrap();
    let mut links = BTreeSet::new();
    for (rel, bytes) in snapshot(out) {
        if rel.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let doc = Html::parse_document(&String::from_utf8_lossy(&bytes));
        for el in doc.select(&sel) {
            let v = el.value();
            let link = v.attr("href").or_else(|| v.attr("src")).unwrap_or("");
            let path = link.split('#').next().unwrap_or("");
            if path.starts_with('/') {
                links.insert(path.to_string());
            }
        }
    }
    links
}

/// The shard file a query for `word` downloads and the token it looks for there, as the
/// search script finds them: the word's first token (the library's tokenizer, which the
/// script mirrors), its key, and the last shard in `meta.json` whose first key is not greater.
fn shard_url(port: u16, word: &str) -> Option<(String, String)> {
    let token = scholion::markdown::tokenize::tokens(word)
        .into_iter()
        .next()?;
    let key = scholion::render::search::key_of(&token).to_string();
    let (_, meta) = get(port, "/search/meta.json")?;
    let meta: serde_json::Value = serde_json::from_str(&meta).ok()?;
    let firsts = meta["shards"].as_array()?;
    let n = firsts
        .iter()
        .rposition(|f| f.as_str().is_some_and(|f| f <= key.as_str()))?;
    Some((format!("/search/shard/{n}.json"), token))
}

const WORDS: &[&str] = &[
    "Müller",
    "Thérien",
    "façade",
    "网络主权",
    "乌镇",
    "Datenschutz",
];

/// Fetch every link and every search shard from a server on `port`; return the failures.
fn fetch_all(port: u16, links: &BTreeSet<String>) -> Vec<String> {
    let mut failures = Vec::new();
    for link in links {
        match get(port, link) {
            Some((200, _)) => {}
            other => failures.push(format!("{link}: {:?}", other.map(|(s, _)| s))),
        }
    }
    for word in WORDS {
        let Some((url, token)) = shard_url(port, word) else {
            failures.push(format!("no shard for `{word}`"));
            continue;
        };
        match get(port, &url) {
            Some((200, body)) if body.contains(&format!("\"{token}\"")) => {}
            Some((200, body)) => failures.push(format!("{url}: no `{token}` in {body}")),
            other => failures.push(format!("{url} ({word}): {:?}", other.map(|(s, _)| s))),
        }
    }
    failures
}

/// `python3 -m http.server` on a free port over `dir`: a plain static server, as GitHub
/// Pages is one. Stopped when dropped.
pub struct StaticServer(Child);

impl StaticServer {
    /// Start one over `dir` and wait until it answers; returns it and its port.
    pub fn start(dir: &std::path::Path) -> (StaticServer, u16) {
        let port = free_port();
        let server = StaticServer(
            Command::new("python3")
                .args([
                    "-m",
                    "http.server",
                    "--bind",
                    "127.0.0.1",
                    &port.to_string(),
                ])
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3 -m http.server"),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(port, "/").is_none() {
            assert!(Instant::now() < deadline, "the static server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        (server, port)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn names_in_every_script_reach_their_pages_under_a_plain_static_server() {
    let p = international_reader();
    p.build().assert_ok();
    let out = p.out();
    // Files on disk carry the decoded names a static server looks up.
    for file in [
        "citations/Smith-2020/index.html",
        "citations/smith-2020-2/index.html",
        "citations/Müller2019/index.html",
        "citations/王2021/index.html",
        "citations/Zhang-Wei-2018/index.html",
        "tags/war-peace/index.html",
        "tags/internet-governance/index.html",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let links = every_link(&out);
    assert!(
        links.contains("/citations/M%C3%BCller2019/"),
        "hrefs are percent-encoded: {links:?}"
    );
    assert!(links.len() > 20, "{links:?}");

    let (server, port) = StaticServer::start(&out);
    let failures = fetch_all(port, &links);
    drop(server);
    assert!(
        failures.is_empty(),
        "static server:\n{}",
        failures.join("\n")
    );

    // The same links through `scholion serve`.
    let serve = Server::start(&p);
    let failures = fetch_all(serve.port, &links);
    assert!(
        failures.is_empty(),
        "scholion serve:\n{}",
        failures.join("\n")
    );
}

#[test]
fn check_writes_nothing_anywhere_with_a_read_only_home() {
    let p = international_reader();
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".cache");
    std::fs::create_dir_all(&cache).unwrap();
    // Read-only as a user's would be when locked down (root ignores modes, so the test
    // below compares the folders' contents rather than relying on a refused write).
    use std::os::unix::fs::PermissionsExt as _;
    for dir in [home.path(), cache.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let before_project = snapshot(p.path());
    let output = Command::new(bin())
        .args(["check", "."])
        .current_dir(p.path())
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", &cache)
        .env_remove("SCHOLION_CACHE_DIR")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        snapshot(p.path()),
        before_project,
        "check changed the project"
    );
    let written: Vec<_> = walkdir(home.path());
    assert!(written.is_empty(), "check wrote {written:?}");

    // A build writes its citation cache there (so the check above could have failed).
    let output = Command::new(bin())
        .args(["build", "."])
        .current_dir(p.path())
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", &cache)
        .env_remove("SCHOLION_CACHE_DIR")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(!walkdir(home.path()).is_empty(), "build wrote no cache");
    for dir in [home.path(), cache.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
