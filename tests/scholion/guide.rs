//! The user guide (`docs/guide/`, a Scholion reader itself): it builds with no warning under
//! `--deny-warnings`, and every example command in it (a line starting with `$ `) works,
//! run in order in a fresh folder as a reader of the guide would.

use std::path::{Path, PathBuf};

use crate::support::{copy_dir, repo, scholion};

/// The guide's essays in reading order (their `order:`).
const ESSAYS: &[&str] = &[
    "getting-started",
    "writing",
    "citations",
    "themes",
    "serve",
    "publishing",
    "diagnostics",
];

#[test]
fn the_guide_builds_with_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("guide");
    copy_dir(&repo().join("docs/guide/content"), &guide.join("content"));
    std::fs::copy(repo().join("docs/guide/book.toml"), guide.join("book.toml")).unwrap();
    let out = scholion()
        .args(["build", "--deny-warnings"])
        .current_dir(&guide)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    for essay in ESSAYS {
        assert!(
            guide
                .join(format!("public/essays/{essay}/index.html"))
                .is_file(),
            "{essay} is not in the guide (or ESSAYS is out of date)"
        );
    }
    // Every essay of the guide is listed here, so its commands are run below.
    let files = std::fs::read_dir(guide.join("content/essays"))
        .unwrap()
        .count();
    assert_eq!(files, ESSAYS.len());
}

/// `scholion new essay "Second Thoughts"` → its arguments, with double quotes grouping.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[test]
fn every_example_command_of_the_guide_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut cwd: PathBuf = dir.path().to_path_buf();
    let mut ran = 0;
    for essay in ESSAYS {
        let path = repo().join(format!("docs/guide/content/essays/{essay}.md"));
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter_map(|l| l.strip_prefix("$ ")) {
            let words = words(line);
            match words[0].as_str() {
                "cd" => {
                    cwd = cwd.join(&words[1]);
                    assert!(cwd.is_dir(), "{essay}: `{line}`: no such folder");
                }
                "scholion" => {
                    let out = scholion()
                        .args(&words[1..])
                        .current_dir(&cwd)
                        .env("NO_COLOR", "1")
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{essay}: `{line}` in {} failed:\n{}",
                        cwd.display(),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    ran += 1;
                }
                other => panic!(
                    "{essay}: `{line}`: the test runs only `scholion` and `cd`, not `{other}`"
                ),
            }
        }
    }
    assert!(ran >= 10, "only {ran} commands");
    // They did what the guide says.
    let reader: &Path = &dir.path().join("my-reader");
    assert!(reader.join("content/essays/second-thoughts.md").is_file());
    assert!(reader.join("content/glossary/close-reading.md").is_file());
}

/// The guide's diagnostics page shows every diagnostic of the catalogue of broken projects
/// (`tests/fixtures/bad/`) as Scholion prints it: each case's message and hint are on the
/// page. The page is written by `scripts/diagnostics_page.py`; a new case without a new
/// page fails here.
#[test]
fn the_guide_shows_every_diagnostic_of_the_catalogue() {
    let page =
        std::fs::read_to_string(repo().join("docs/guide/content/essays/diagnostics.md")).unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("tests/fixtures/bad")).unwrap() {
        let folder = entry.unwrap().path();
        let expect: toml::Table =
            toml::from_str(&std::fs::read_to_string(folder.join("expect.toml")).unwrap()).unwrap();
        for key in ["message", "hint"] {
            if let Some(text) = expect.get(key).and_then(|v| v.as_str()) {
                checked += 1;
                if !page.contains(text) {
                    missing.push(format!("{}: {key} `{text}`", folder.display()));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} messages and hints");
    assert!(
        missing.is_empty(),
        "not on the guide's diagnostics page (run `python3 scripts/diagnostics_page.py`):\n{}",
        missing.join("\n")
    );
}
