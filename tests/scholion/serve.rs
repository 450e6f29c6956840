//! `scholion serve`, driven as a user would: the real binary on a free port, real edits.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    pub fn start(p: &Project) -> Server {
        let port = free_port();
        let log = std::fs::File::create(p.path().join("serve.log")).unwrap();
        let child = scholion()
            .args(["serve", ".", "--port", &port.to_string()])
            .current_dir(p.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start serve");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(port, "/").is_none() {
            assert!(Instant::now() < deadline, "serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

/// A plain HTTP GET: (status, body). `None` if nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let (status, body) = get_bytes(port, path)?;
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// `get`, with the body as bytes (a binary file, such as the EPUB, compared byte for byte).
pub fn get_bytes(port: u16, path: &str) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, raw[end + 4..].to_vec()))
}

/// Poll until `pred` holds for the page, or panic after `secs`.
#[track_caller]
pub fn wait_for(port: u16, path: &str, secs: u64, pred: impl Fn(u16, &str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some((status, body)) = get(port, path)
            && pred(status, &body)
        {
            return body;
        }
        assert!(Instant::now() < deadline, "timed out waiting on {path}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn project() -> Project {
    let p = Project::new();
    p.write("content/references.bib", BIB);
    p.term(
        "sovereignty",
        "term: Sovereignty\nshort: Supreme authority.",
        "Definition.\n",
    );
    p.essay(
        "one",
        "title: One\norder: 1",
        "## Start\n\nFirst version about [[sovereignty]] [@lieberthal1992].\n",
    );
    p.essay(
        "two",
        "title: Two\norder: 2",
        "Second [@wang2012, p. 3] and [@freedomhouse2018].\n",
    );
    p
}

#[test]
fn edit_break_and_recover() {
    let p = project();
    let server = Server::start(&p);
    let port = server.port;
    let body = wait_for(port, "/essays/one/", 10, |s, _| s == 200);
    assert!(body.contains("First version"));
    assert!(
        body.contains("/__scholion/live.js"),
        "live reload script injected"
    );

    // An edit shows up.
    p.essay(
        "one",
        "title: One\norder: 1",
        "## Start\n\nSecond version about [[sovereignty]] [@lieberthal1992].\n",
    );
    wait_for(port, "/essays/one/", 10, |s, b| {
        s == 200 && b.contains("Second version")
    });

    // A broken save: the last good page is still served, the error is reported.
    p.essay("one", "title: [broken\norder: 1", "Third version.\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(p.path().join("serve.log")).unwrap_or_default();
        if log.contains("rebuild failed") {
            assert!(log.contains("content/essays/one.md:2:"), "{log}");
            break;
        }
        assert!(Instant::now() < deadline, "error never reported:\n{log}");
        std::thread::sleep(Duration::from_millis(25));
    }
    let (status, body) = get(port, "/essays/one/").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("Second version") && !body.contains("Third version"));
    let events = sse_first_event(port);
    assert!(
        events.contains("event: hello") && events.contains("data: error"),
        "{events}"
    );
    assert!(events.contains("content/essays/one.md"), "{events}");

    // Fixed: it recovers by itself.
    p.essay("one", "title: One again\norder: 1", "Fourth version.\n");
    wait_for(port, "/essays/one/", 10, |s, b| {
        s == 200 && b.contains("Fourth version")
    });
    assert!(sse_first_event(port).contains("data: ok"));

    // New and deleted files, and a config change.
    p.essay("three", "title: Three", "Brand new.\n");
    wait_for(port, "/essays/three/", 10, |s, b| {
        s == 200 && b.contains("Brand new")
    });
    std::fs::remove_file(p.path().join("content/essays/three.md")).unwrap();
    wait_for(port, "/essays/three/", 10, |s, _| s == 404);
    p.write("book.toml", "[book]\ntitle = \"Renamed Reader\"\n");
    wait_for(port, "/", 10, |s, b| {
        s == 200 && b.contains("Renamed Reader")
    });
}

fn sse_first_event(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET /__scholion/events HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"
    )
    .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !text.contains("\n\n") || !text.contains("event: hello") {
        let n = stream.read(&mut buf).unwrap_or(0);
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if n == 0 || Instant::now() > deadline {
            break;
        }
    }
    text
}

#[test]
fn path_traversal_is_refused() {
    let p = project();
    p.write("secret.txt", "TOP SECRET");
    let server = Server::start(&p);
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/static/..%2f..%2fsecret.txt",
        "/essays/%2E%2E/%2E%2E/secret.txt",
        "/static/%2e%2e%5c%2e%2e%5csecret.txt",
        "/..%5csecret.txt",
        "/book.toml",
        "/content/essays/one.md",
    ] {
        let (status, body) = get(server.port, path).unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("TOP SECRET") && !body.contains("First version about"),
            "{path}"
        );
    }
}

#[test]
fn served_pages_are_byte_identical_to_a_full_build() {
    let p = project();
    let server = Server::start(&p);
    // Edit once so the served generation is a rebuild, not the first build.
    p.essay(
        "two",
        "title: Two\norder: 2",
        "Second, edited [@wang2012, p. 3] and [@freedomhouse2018] and [[one#start]].\n",
    );
    wait_for(server.port, "/essays/two/", 10, |_, b| b.contains("edited"));
    p.build().assert_ok();
    let files = snapshot(&p.out());
    let mut compared = 0;
    for (rel, bytes) in &files {
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.starts_with('.') {
            continue;
        }
        let url = format!("/{rel}");
        let (status, body) = get_bytes(server.port, &url).unwrap();
        assert_eq!(status, 200, "{url}");
        // Text files without the live-reload script; binary files (the EPUB) as they are.
        let body = match String::from_utf8(body) {
            Ok(text) => text
                .replace("<script src=\"/__scholion/live.js\"></script>", "")
                .into_bytes(),
            Err(e) => e.into_bytes(),
        };
        assert_eq!(
            body.as_slice(),
            bytes.as_slice(),
            "{url} differs from the full build"
        );
        compared += 1;
    }
    assert!(compared > 20, "{compared}");
}

#[test]
fn serves_under_the_base_path() {
    let p = project();
    p.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[build]\nbase-url = \"https://example.github.io/reader/\"\n",
    );
    let server = Server::start(&p);
    let (status, _) = get(server.port, "/").unwrap();
    assert_eq!(status, 307);
    let (status, body) = get(server.port, "/reader/essays/one/").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("href=\"/reader/glossary/sovereignty/\""));
    assert_eq!(get(server.port, "/essays/one/").unwrap().0, 404);
}

/// A template error on a page the pre-render sample does not reach (the third source page)
/// is shown — in the answer, in the terminal and to open pages — never a 404.
#[test]
fn a_render_error_on_any_page_is_shown_not_a_404() {
    let p = project();
    let source = include_str!("../../themes/default/templates/source.html").replace(
        "{% block main %}",
        "{% block main %}{% if source.key == \"wang2012\" %}{{ source.no_such_field }}{% endif %}",
    );
    p.write("themes/default/templates/source.html", &source);
    let server = Server::start(&p);
    // The other source pages render.
    let (status, _) = get(server.port, "/citations/lieberthal1992/").unwrap();
    assert_eq!(status, 200);
    let (status, body) = get(server.port, "/citations/wang2012/").unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("no_such_field"), "{body}");
    assert!(body.contains("source.html"), "{body}");
    let log = std::fs::read_to_string(p.path().join("serve.log")).unwrap();
    assert!(
        log.contains("no_such_field") && log.contains("could not be rendered"),
        "{log}"
    );
}
