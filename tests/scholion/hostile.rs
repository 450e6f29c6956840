//! Hostile projects and hostile conditions (issue #16): output folders that hold or lie in
//! an input, hard-linked backups of the output, builds killed mid-way, a server reading the
//! output during rebuilds, inputs that are FIFOs or devices, themes outside the project.
//! Each test is named after the bug it pins down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::*;

/// A project of `n` essays that cite, link and use a term (a build of a few dozen ms).
fn project(n: usize) -> Project {
    let p = Project::new();
    p.write("content/references.bib", BIB);
    p.write("content/index.md", "---\ntitle: Home\n---\nWelcome.\n");
    p.term(
        "sovereignty",
        "term: Sovereignty\nshort: Supreme authority.",
        "Authority [@lieberthal1992].",
    );
    for i in 0..n {
        p.essay(
            &format!("essay-{i:03}"),
            &format!("title: Essay {i}\norder: {i}"),
            &format!("## Part\n\n[[Sovereignty]] matters [@wang2012, p. {i}].\n"),
        );
    }
    p
}

/// Every file under `dir` except the output and Scholion's state (what a build must not touch).
fn inputs_snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = snapshot(dir);
    all.retain(|rel, _| {
        !(rel.starts_with("public")
            || rel.starts_with(".scholion")
            || rel.starts_with(".cache-for-tests"))
    });
    all
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Scholion's state after a finished build: the spare, at most two records, nothing else.
#[track_caller]
fn assert_no_leftovers(p: &Project) {
    assert_eq!(names(&p.path().join(".scholion")), [".gitignore", "public"]);
    let state = names(&p.path().join(".scholion/public"));
    let odd: Vec<&String> = state
        .iter()
        .filter(|n| !(*n == "spare" || n.starts_with("files-")))
        .collect();
    assert!(odd.is_empty(), "left in .scholion/: {state:?}");
    assert!(state.iter().filter(|n| n.starts_with("files-")).count() <= 2);
    let mut root = names(p.path());
    root.retain(|n| n != ".cache-for-tests");
    assert!(
        root.iter()
            .all(|n| ["book.toml", "content", "public", ".scholion"].contains(&n.as_str())),
        "beside the output: {root:?}"
    );
}

// ---- 1, 5: output folders that hold or lie in an input -----------------------------------

#[test]
fn output_dir_containing_the_content_folder_is_refused_and_content_kept() {
    let p = Project::new();
    p.write(
        "book.toml",
        "[build]\ncontent-dir = \"site/content\"\noutput-dir = \"site\"\n",
    );
    p.essay("x", "title: X", "Text.");
    std::fs::rename(p.path().join("content"), p.path().join("site-content")).unwrap();
    std::fs::create_dir_all(p.path().join("site")).unwrap();
    std::fs::rename(p.path().join("site-content"), p.path().join("site/content")).unwrap();
    let before = inputs_snapshot(p.path());
    p.run(&["build", ".", "--force"]).assert_fails_with(&[
        "refusing to write the site to `site`: it contains the content folder `site/content`",
        "--> book.toml:3:1",
        "help: a build replaces its output folder whole",
    ]);
    assert_eq!(inputs_snapshot(p.path()), before);
}

#[test]
fn output_dir_holding_or_inside_any_input_is_refused() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "output-dir = \"themes\"",
            "",
            "it is the themes folder `themes`",
        ),
        (
            "output-dir = \"themes/default/static\"",
            "",
            "it is inside the themes folder `themes`",
        ),
        (
            "output-dir = \"refs\"",
            "[citations]\nbibliography = [\"../refs/more.bib\"]\n",
            "it contains the bibliography `refs/more.bib`",
        ),
        (
            "output-dir = \"styles\"",
            "[citations]\nstyle = \"styles/mine.csl\"\n",
            "it contains the CSL style `styles/mine.csl`",
        ),
        (
            "output-dir = \"looks\"",
            "",
            "it contains the theme folder `looks/plain`",
        ),
        (
            "output-dir = \".scholion/site\"",
            "",
            "it is inside Scholion's state folder `.scholion`",
        ),
    ];
    for (out, extra, message) in cases {
        let p = project(1);
        let theme = if out.contains("looks") {
            "theme = \"looks/plain\"\n"
        } else {
            ""
        };
        p.write(
            "book.toml",
            &format!("[build]\nbase-url = \"/\"\n{theme}{out}\n{extra}"),
        );
        p.write("themes/default/static/mine.css", "body{}");
        p.write("looks/plain/static/plain.css", "body{}");
        p.write("refs/more.bib", BIB);
        p.write("styles/mine.csl", "<style/>");
        let before = inputs_snapshot(p.path());
        p.run(&["build", ".", "--force"])
            .assert_fails_with(&[message, "book.toml:"]);
        assert_eq!(inputs_snapshot(p.path()), before, "{out}");
    }
}

/// #16.5: an output inside `themes/default/static` copied the previous output into itself.
#[test]
fn output_dir_inside_theme_static_is_refused_not_copied_into_itself() {
    let p = project(2);
    p.write("themes/default/static/site.css", "body{}");
    for _ in 0..2 {
        p.run(&["build", ".", "--out", "themes/default/static/out"])
            .assert_fails_with(&["is inside the themes folder"]);
    }
    assert!(!p.path().join("themes/default/static/out").exists());
}

// ---- 2: hard links -----------------------------------------------------------------------

/// #16.2: after `cp -al public ../snapshot`, builds rewrote the snapshot's files in place.
#[test]
fn hard_linked_backup_of_the_output_is_never_rewritten() {
    let p = project(3);
    p.build().assert_ok();
    p.build().assert_ok(); // so that a spare exists too
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("snapshot");
    let cp = std::process::Command::new("cp")
        .arg("-al")
        .arg(p.out())
        .arg(&backup)
        .status()
        .unwrap();
    assert!(cp.success());
    let saved = snapshot(&backup);
    for round in 0..3 {
        p.essay(
            "essay-000",
            &format!("title: Essay 0, round {round}\norder: 0"),
            &format!("Changed text {round}.\n"),
        );
        p.build().assert_ok();
    }
    assert!(
        p.page("/essays/essay-000/")
            .text
            .contains("Changed text 2.")
    );
    assert_eq!(snapshot(&backup), saved, "the hard-linked backup changed");
}

// ---- 3, 4: the swap, killed builds, leftovers ----------------------------------------------

/// #16.3: the swap was two renames; a poller found `public/index.html` missing 1,544 times
/// during 100 builds.
#[test]
fn output_index_is_never_missing_during_100_rebuilds() {
    let p = project(3);
    p.build().assert_ok();
    let index = p.out().join("index.html");
    let stop = Arc::new(AtomicBool::new(false));
    let (misses, reads) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let poller = {
        let (stop, misses, reads, index) =
            (stop.clone(), misses.clone(), reads.clone(), index.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match std::fs::read(&index) {
                    Ok(bytes) if bytes.ends_with(b"</html>\n") || bytes.ends_with(b"</html>") => {}
                    _ => {
                        misses.fetch_add(1, Ordering::Relaxed);
                    }
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    for i in 0..100 {
        p.write(
            "content/index.md",
            &format!("---\ntitle: Home\n---\nWelcome, visitor {i}.\n"),
        );
        p.build().assert_ok();
    }
    stop.store(true, Ordering::Relaxed);
    poller.join().unwrap();
    let reads = reads.load(Ordering::Relaxed);
    assert!(reads > 1000, "the poller read only {reads} times");
    assert_eq!(
        misses.load(Ordering::Relaxed),
        0,
        "missing in {reads} reads"
    );
    assert_no_leftovers(&p);
}

/// #16.3, #16.4: a build killed between its two renames left no `public/`; every killed
/// build left a full copy of the site behind, forever.
#[test]
fn killed_builds_leave_a_complete_site_and_no_leftovers() {
    let p = project(40);
    let version = |v: usize| {
        p.write(
            "content/index.md",
            &format!("---\ntitle: Home\n---\nWelcome, version {v}.\n"),
        );
        p.essay(
            "essay-001",
            "title: Essay 1\norder: 1",
            &format!("Version {v}.\n"),
        );
    };
    let mut sites = Vec::new();
    for v in 0..2 {
        version(v);
        p.build().assert_ok();
        sites.push(snapshot(&p.out()));
    }
    assert_ne!(sites[0], sites[1]);
    // A warm rebuild's time (spare and citation cache in place), as the kills will see it.
    version(0);
    let start = Instant::now();
    p.build().assert_ok();
    let typical = start.elapsed();
    // Kill points spread over the whole build (and a little past it), in a scrambled order.
    let span = typical.as_micros() as u64 * 11 / 10;
    let mut mid_write = 0;
    for i in 0..20u64 {
        version(((i + 1) % 2) as usize);
        let inputs = inputs_snapshot(p.path());
        let delay = span * ((i * 7) % 20) / 20;
        let mut child = std::process::Command::new(bin())
            .args(["build", "."])
            .current_dir(p.path())
            .env("SCHOLION_CACHE_DIR", p.path().join(".cache-for-tests"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let staging = format!("staging-{}", child.id());
        if names(&p.path().join(".scholion/public")).contains(&staging) {
            mid_write += 1;
        }
        let now = snapshot(&p.out());
        assert!(
            now == sites[0] || now == sites[1],
            "kill {i} after {delay} µs: the output is neither the old nor the new site ({} files)",
            now.len()
        );
        assert_eq!(
            inputs_snapshot(p.path()),
            inputs,
            "kill {i} changed an input"
        );
        let mut root = names(p.path());
        root.retain(|n| n != ".cache-for-tests");
        assert_eq!(
            root,
            [".scholion", "book.toml", "content", "public"],
            "kill {i}"
        );
    }
    // Kills must land while the staging folder is being written, or this tests nothing.
    assert!(
        mid_write >= 5,
        "only {mid_write} of 20 kills landed mid-build"
    );
    eprintln!("{mid_write} of 20 kills left a staging folder (a rebuild takes {typical:?})");
    version(1);
    p.build().assert_ok();
    assert_eq!(snapshot(&p.out()), sites[1]);
    assert_no_leftovers(&p);
}

/// A build killed before #16 (staging and spare beside the output): the next build clears it.
#[test]
fn state_left_beside_the_output_by_older_builds_is_cleared() {
    let p = project(2);
    p.build().assert_ok();
    for dead in [
        ".public.scholion-spare",
        ".public.scholion-staging-999999999",
        ".public.scholion-old-999999998",
    ] {
        p.write(&format!("{dead}/index.html"), "old");
    }
    p.write(
        ".public.scholion-files-12345",
        "scholion output record 2 xxh3-128\n",
    );
    p.build().assert_ok();
    assert_no_leftovers(&p);
    let dead = p.path().join(".scholion/public/staging-999999997");
    std::fs::create_dir_all(dead.join("essays")).unwrap();
    std::fs::write(dead.join("essays/x.html"), "dead").unwrap();
    p.build().assert_ok();
    p.build().assert_ok();
    assert_no_leftovers(&p);
}

/// #19.5: a build left `.public.scholion-spare/` and two `.public.scholion-files-*` in the
/// project root; all state now lives in `.scholion/`, ignored by git, and `clean` removes it.
#[test]
fn all_state_lives_in_one_ignored_folder_that_clean_removes() {
    let dir = tempfile::tempdir().unwrap();
    let reader = dir.path().join("r");
    let run = |args: &[&str], cwd: &Path| {
        let out = std::process::Command::new(bin())
            .args(args)
            .current_dir(cwd)
            .env("SCHOLION_CACHE_DIR", "")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    run(&["init", "r"], dir.path());
    let ignore = std::fs::read_to_string(reader.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "/.scholion/"), "{ignore}");
    for _ in 0..3 {
        run(&["build"], &reader);
    }
    assert_eq!(
        names(&reader),
        [
            ".github",
            ".gitignore",
            ".scholion",
            "README.md",
            "book.toml",
            "content",
            "public"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(reader.join(".scholion/.gitignore")).unwrap(),
        "*\n"
    );
    // `--out` elsewhere on the same file system: the state still goes to the project.
    let elsewhere = dir.path().join("elsewhere");
    run(&["build", "--out", elsewhere.to_str().unwrap()], &reader);
    run(&["build", "--out", elsewhere.to_str().unwrap()], &reader);
    assert_eq!(names(dir.path()), ["elsewhere", "r"]);
    // Each output has its own state, so `--out` does not take `public`'s spare.
    let state = names(&reader.join(".scholion"));
    assert_eq!(state.len(), 3, "{state:?}");
    assert!(state[1].starts_with("elsewhere-"), "{state:?}");
    assert!(reader.join(".scholion/public/spare").is_dir());
    let said = run(&["clean"], &reader);
    assert!(
        said.contains("Removed") && said.contains("public"),
        "{said}"
    );
    assert_eq!(
        names(&reader),
        [".github", ".gitignore", "README.md", "book.toml", "content"]
    );
    // An output folder Scholion did not write is kept.
    std::fs::create_dir_all(reader.join("public")).unwrap();
    std::fs::write(reader.join("public/mine.txt"), "mine").unwrap();
    let said = run(&["clean"], &reader);
    assert!(
        said.contains("Kept") && said.contains(".scholion-output"),
        "{said}"
    );
    assert!(reader.join("public/mine.txt").exists());
}

// ---- 8: the theme value -----------------------------------------------------------------

/// #16.8: `theme = "/"` walked the whole file system.
#[test]
fn theme_outside_the_project_is_refused_with_its_location() {
    let outside = tempfile::tempdir().unwrap();
    for (theme, message) in [
        (
            "/",
            "is not a theme name or a relative path inside the project",
        ),
        (
            "/etc",
            "is not a theme name or a relative path inside the project",
        ),
        (
            "..",
            "is not a theme name or a relative path inside the project",
        ),
        (
            "looks/../../x",
            "is not a theme name or a relative path inside the project",
        ),
        ("", "`theme` is empty"),
        ("escape", "outside the project"),
    ] {
        let p = project(1);
        std::os::unix::fs::symlink(outside.path(), p.path().join("themes-escape")).unwrap();
        std::fs::create_dir_all(p.path().join("themes")).unwrap();
        std::os::unix::fs::symlink(outside.path(), p.path().join("themes/escape")).unwrap();
        p.write(
            "book.toml",
            &format!("[build]\nbase-url = \"/\"\ntheme = \"{theme}\"\n"),
        );
        let start = Instant::now();
        p.build().assert_fails_with(&[
            message,
            "--> book.toml:3:1",
            "help: name a folder under `themes/`",
        ]);
        assert!(start.elapsed() < Duration::from_secs(5), "{theme}");
    }
    // A relative path inside the project is a theme.
    let p = project(1);
    p.write("looks/plain/static/plain.css", "body{color:red}");
    p.write(
        "book.toml",
        "[build]\nbase-url = \"/\"\ntheme = \"looks/plain\"\n",
    );
    p.build().assert_ok();
    assert!(p.out().join("static/plain.css").is_file());
}

// ---- 12: inputs that are not regular files, and read caps --------------------------------

/// Run the binary; panic if it has not finished within `secs` (a hang is the bug).
fn run_within(p: &Project, args: &[&str], secs: u64) -> Run {
    let log = p.path().join(".cache-for-tests-log");
    std::fs::create_dir_all(p.path().join(".cache-for-tests")).unwrap();
    let mut child = std::process::Command::new(bin())
        .args(args)
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .env("SCHOLION_CACHE_DIR", p.path().join(".cache-for-tests"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`scholion {}` hung for {secs} s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    Run {
        output: std::process::Output {
            status,
            stdout: Vec::new(),
            stderr,
        },
    }
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// #16.12: a FIFO as book.toml or as the style blocked forever; a style at `/dev/zero` grew
/// by 1.4 GB/s (the size guard read the length, 0 for devices).
#[test]
fn fifo_or_device_inputs_are_errors_not_hangs() {
    let fifo = "it is a FIFO (named pipe), not a file";
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "book.toml",
            "",
            &["cannot read book.toml", fifo, "--> book.toml"],
        ),
        (
            "content/references.bib",
            "",
            &["cannot read the file", fifo, "--> content/references.bib"],
        ),
        (
            "mine.csl",
            "[citations]\nstyle = \"mine.csl\"\n",
            &[
                "cannot read the CSL style `mine.csl`",
                fifo,
                "--> book.toml:5:1",
            ],
        ),
        (
            "content/essays/piped.md",
            "",
            &["cannot read the file", fifo, "--> content/essays/piped.md"],
        ),
        (
            "content/index.md",
            "",
            &["cannot read the file", fifo, "--> content/index.md"],
        ),
    ];
    for (file, extra, messages) in cases {
        let p = project(1);
        p.write(
            "book.toml",
            &format!("[build]\nbase-url = \"/\"\n\n{extra}"),
        );
        mkfifo(&p.path().join(file));
        for command in ["build", "check"] {
            let run = run_within(&p, &[command, "."], 10);
            run.assert_fails_with(messages);
            assert!(run.stderr().contains("help: "), "{}", run.stderr());
        }
    }
    // A device: the style is `/dev/zero` through a link.
    let p = project(1);
    p.write(
        "book.toml",
        "[build]\nbase-url = \"/\"\n\n[citations]\nstyle = \"zero.csl\"\n",
    );
    std::os::unix::fs::symlink("/dev/zero", p.path().join("zero.csl")).unwrap();
    run_within(&p, &["build", "."], 10)
        .assert_fails_with(&["cannot read the CSL style `zero.csl`: it is a device, not a file"]);
}

/// Every read is capped, whatever the length: the caps of docs/PRODUCT.md.
#[test]
fn inputs_larger_than_their_cap_are_refused_without_reading_them_whole() {
    let p = project(1);
    let sparse = |rel: &str, len: u64| {
        let path = p.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::File::create(path).unwrap().set_len(len).unwrap();
    };
    sparse("content/essays/huge.md", (16 << 20) + 1);
    sparse("big.csl", (1 << 20) + 1);
    p.write(
        "book.toml",
        "[build]\nbase-url = \"/\"\n\n[citations]\nstyle = \"big.csl\"\n",
    );
    run_within(&p, &["check", "."], 20).assert_fails_with(&[
        "--> content/essays/huge.md",
        "it is larger than 16 MiB, the limit for a Markdown file",
        "it is larger than 1 MiB, the limit for a CSL style",
    ]);
    sparse("book.toml", (1 << 20) + 1);
    run_within(&p, &["check", "."], 20)
        .assert_fails_with(&["it is larger than 1 MiB, the limit for book.toml"]);
}

/// #16.12: `serve` never started with a FIFO as the bibliography.
#[test]
fn serve_starts_and_shows_the_error_when_the_bibliography_is_a_fifo() {
    let p = project(1);
    mkfifo(&p.path().join("content/references.bib"));
    let server = crate::serve::Server::start(&p);
    let (status, body) = crate::serve::get(server.port, "/").unwrap();
    assert_eq!(status, 503, "{body}");
    let log = std::fs::read_to_string(p.path().join("serve.log")).unwrap();
    assert!(log.contains("FIFO"), "{log}");
}

// ---- 7: serve answers only to its own host names -----------------------------------------

/// Send a raw HTTP request; the response head (and as much body as arrives within 2 s).
fn raw_request(port: u16, request: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.windows(4).any(|w| w == b"\r\n\r\n") && raw.len() > 12 {
            // Enough for the status and headers of an event stream that never ends.
            if raw.starts_with(b"HTTP/1.1 421") || raw.starts_with(b"HTTP/1.1 30") {
                break;
            }
        }
    }
    String::from_utf8_lossy(&raw).into_owned()
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// #16.7: `serve` answered any `Host:` (a DNS-rebinding page could read the site and the
/// diagnostics on the event stream); `GET //essays/x` redirected to `//essays/x/`.
#[test]
fn serve_refuses_foreign_host_names_and_never_redirects_off_host() {
    let p = project(1);
    let server = crate::serve::Server::start(&p);
    let port = server.port;
    for path in [
        "/",
        "/essays/essay-000/",
        "/__scholion/events",
        "/__scholion/live.js",
    ] {
        for host in [
            "evil.example".to_string(),
            format!("evil.example:{port}"),
            format!("localhost.evil.example:{port}"),
            "127.0.0.1".to_string(),
        ] {
            let response = raw_request(
                port,
                &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
            );
            assert_eq!(
                status_of(&response),
                421,
                "{path} with Host {host}:\n{response}"
            );
            assert!(!response.contains("<html"), "{response}");
        }
        let response = raw_request(
            port,
            &format!("GET {path} HTTP/1.0\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(status_of(&response), 421, "{path} with no Host");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let response = raw_request(
            port,
            &format!(
                "GET /essays/essay-000/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert_eq!(status_of(&response), 200, "Host {host}");
    }
    for (path, location) in [
        ("//essays/essay-000", "/essays/essay-000/"),
        ("///essays/essay-000", "/essays/essay-000/"),
        ("/essays/essay-000", "/essays/essay-000/"),
    ] {
        let response = raw_request(
            port,
            &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(status_of(&response), 307, "{path}:\n{response}");
        let got = response
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or("");
        assert_eq!(got, location, "{path}");
    }
    let response = raw_request(
        port,
        &format!(
            "GET //essays/essay-000/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status_of(&response), 200);
}

// ---- 15: serve's watcher ------------------------------------------------------------------

/// #16.15: after `content/` was deleted and restored (a checkout), `serve` never saw another
/// edit.
#[test]
fn serve_watcher_recovers_when_content_is_deleted_and_restored() {
    use crate::serve::wait_for;
    let p = project(1);
    let server = crate::serve::Server::start(&p);
    let port = server.port;
    let page = "/essays/essay-000/";
    wait_for(port, page, 10, |s, b| s == 200 && b.contains("matters"));
    let content = p.path().join("content");
    let away = p.path().join("content-away");
    // Moved away and back (as a checkout of another branch and back does).
    std::fs::rename(&content, &away).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::rename(&away, &content).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.essay(
        "essay-000",
        "title: Essay 0\norder: 0",
        "Restored, then edited.\n",
    );
    wait_for(port, page, 10, |s, b| {
        s == 200 && b.contains("Restored, then edited.")
    });
    // Deleted and written again from a copy.
    copy_dir(&content, &away);
    std::fs::remove_dir_all(&content).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    copy_dir(&away, &content);
    std::thread::sleep(Duration::from_millis(300));
    p.essay(
        "essay-000",
        "title: Essay 0\norder: 0",
        "Recreated, then edited.\n",
    );
    wait_for(port, page, 10, |s, b| {
        s == 200 && b.contains("Recreated, then edited.")
    });
}

/// #16.15: a bibliography outside `content/` was never watched.
#[test]
fn serve_watches_a_bibliography_outside_content() {
    use crate::serve::wait_for;
    let p = project(1);
    std::fs::remove_file(p.path().join("content/references.bib")).unwrap();
    let refs_dir = tempfile::tempdir().unwrap();
    let refs = refs_dir.path();
    std::fs::write(refs.join("refs.bib"), BIB).unwrap();
    p.write(
        "book.toml",
        &format!(
            "[build]\nbase-url = \"/\"\n\n[citations]\nbibliography = [\"{}\"]\n",
            refs.join("refs.bib").display()
        ),
    );
    let server = crate::serve::Server::start(&p);
    let port = server.port;
    let page = "/citations/wang2012/";
    wait_for(port, page, 10, |s, b| {
        s == 200 && b.contains("Systematic Government Access")
    });
    std::fs::write(
        refs.join("refs.bib"),
        BIB.replace("Systematic Government Access", "Watched From Afar"),
    )
    .unwrap();
    wait_for(port, page, 10, |s, b| {
        s == 200 && b.contains("Watched From Afar")
    });
}

// ---- 18: messages ------------------------------------------------------------------------

/// #16.18: `extra` was suggested for an unknown term key, though terms have no `extra`.
#[test]
fn unknown_term_key_hint_does_not_suggest_extra() {
    let p = project(1);
    p.term("odd", "term: Odd\nflavour: sweet", "Text.");
    let run = p.run(&["check", "."]);
    run.assert_fails_with(&["unknown front-matter key `flavour`", "the keys are `term`"]);
    assert!(!run.stderr().contains("`extra`"), "{}", run.stderr());
    // Essays do have `extra`, and still say so.
    let p = project(1);
    p.essay("odd", "title: Odd\nflavour: sweet", "Text.");
    p.run(&["check", "."])
        .assert_fails_with(&["put custom data under `extra`"]);
}

/// #16.18: an empty .bib said "there is no bibliography: add content/references.bib".
#[test]
fn empty_bibliography_says_it_has_no_entries() {
    let p = project(1);
    p.write("content/references.bib", "% nothing yet\n");
    let run = p.run(&["check", "."]);
    run.assert_fails_with(&[
        "unknown citation key `wang2012`",
        "the bibliography `content/references.bib` has no entries: add one for `wang2012`",
    ]);
    assert!(
        !run.stderr().contains("there is no bibliography"),
        "{}",
        run.stderr()
    );
}

/// #16.18: CR-only line endings gave "no front matter".
#[test]
fn cr_only_line_endings_are_named() {
    let p = project(1);
    p.write(
        "content/essays/mac.md",
        "---\rtitle: Classic\r---\rWritten on a classic Mac.\r",
    );
    let run = p.run(&["check", "."]);
    run.assert_fails_with(&[
        "the file's lines end in a carriage return alone",
        "--> content/essays/mac.md:1:1",
        "help: save the file with LF (Unix) or CRLF (Windows) line endings",
    ]);
    assert!(
        !run.stderr().contains("no front matter"),
        "{}",
        run.stderr()
    );
}

/// #16.18: a project folder the build cannot write to gave an error with no hint. (Tests run
/// as root here, which permissions do not stop: a file where the state folder goes fails the
/// same way.)
#[test]
fn unwritable_project_folder_error_has_a_hint() {
    let p = project(1);
    p.write(".scholion", "a file where Scholion's state folder goes");
    p.build().assert_fails_with(&[
        "cannot create",
        ".scholion",
        "help: Scholion writes its state to `.scholion/` in the project",
    ]);
    assert!(!p.out().exists());
    // As root with `setpriv`: a really read-only project, built as `nobody`.
    let root = std::process::Command::new("id").arg("-u").output();
    let setpriv = Path::new("/usr/bin/setpriv");
    if !(root.is_ok_and(|o| o.stdout == b"0\n") && setpriv.exists()) {
        return;
    }
    use std::os::unix::fs::PermissionsExt as _;
    let p = project(1);
    let mode = |path: &Path, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };
    for entry in walkdir::WalkDir::new(p.path()) {
        let entry = entry.unwrap();
        mode(
            entry.path(),
            if entry.file_type().is_dir() {
                0o755
            } else {
                0o644
            },
        );
    }
    mode(p.path(), 0o555);
    let out = std::process::Command::new(setpriv)
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(bin())
        .args(["build", "."])
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .env("SCHOLION_CACHE_DIR", "")
        .output()
        .unwrap();
    mode(p.path(), 0o755);
    let run = Run { output: out };
    run.assert_fails_with(&[
        "Permission denied",
        "help: Scholion writes its state to `.scholion/` in the project",
    ]);
}
