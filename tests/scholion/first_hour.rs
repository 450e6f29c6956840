//! The first hour with Scholion (issue #19), run as a new author would: commands from a
//! sub-folder of the reader, outside any reader, with a folder that does not exist.

use std::path::Path;
use std::process::Output;

use crate::serve::{Server, free_port, get, wait_for};
use crate::support::{Project, scholion};

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    scholion()
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run scholion")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_code(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn reader() -> Project {
    let p = Project::new();
    p.essay("first", "title: First", "Some text.\n");
    p.write("content/index.md", "Welcome.\n");
    p
}

#[test]
fn every_command_finds_the_reader_from_a_sub_folder() {
    let p = reader();
    let deep = p.path().join("content/essays");
    let err = assert_code(&run_in(&deep, &["check"]), 0);
    assert!(err.contains("no errors"), "{err}");
    assert_code(&run_in(&deep, &["build"]), 0);
    assert!(p.path().join("public/essays/first/index.html").is_file());
    assert!(!deep.join("public").exists(), "built into the sub-folder");
    // `new` writes into the reader's content folder, not below the current folder, and
    // names the file relative to where the user is.
    let err = assert_code(&run_in(&deep, &["new", "essay", "Second Thoughts"]), 0);
    assert!(p.path().join("content/essays/second-thoughts.md").is_file());
    assert!(!deep.join("content").exists(), "{err}");
    assert!(
        err.contains("draft"),
        "new essay does not say it is a draft: {err}"
    );
    assert_code(&run_in(&deep, &["new", "term", "Soft Power"]), 0);
    assert!(p.path().join("content/glossary/soft-power.md").is_file());
    // A DIR that is a sub-folder works the same way.
    assert_code(&run_in(p.path(), &["check", "content/glossary"]), 0);
    assert_code(&run_in(&deep, &["init", "--update-workflow"]), 0);
    assert!(p.path().join(".github/workflows/pages.yml").is_file());
    assert!(!deep.join(".github").exists());
    let err = assert_code(&run_in(&deep, &["clean"]), 0);
    assert!(err.contains("Removed"), "{err}");
    assert!(!p.path().join("public").exists());
}

#[test]
fn a_content_dir_from_book_toml_is_where_new_writes() {
    let p = Project::new();
    p.write("book.toml", "[build]\ncontent-dir = \"src\"\n");
    p.write("src/index.md", "Hi.\n");
    assert_code(&run_in(&p.path().join("src"), &["new", "essay", "Here"]), 0);
    assert!(p.path().join("src/essays/here.md").is_file());
    assert!(!p.path().join("content").exists());
}

#[test]
fn outside_a_reader_every_command_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::canonicalize(dir.path()).unwrap();
    for args in [
        &["new", "essay", "X"][..],
        &["new", "term", "X"],
        &["build"],
        &["check"],
        &["clean"],
        &["init", "--update-workflow"],
    ] {
        let err = assert_code(&run_in(dir.path(), args), 1);
        assert!(
            err.contains("not inside a reader")
                && err.contains(&real.display().to_string())
                && err.contains("scholion init"),
            "{args:?}: {err}"
        );
    }
    // Nothing was written.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_missing_dir_is_no_such_folder() {
    let p = reader();
    for cmd in ["build", "check", "serve", "clean"] {
        let err = assert_code(&run_in(p.path(), &[cmd, "no/such/dir"]), 1);
        assert!(
            err.contains("no such folder: `no/such/dir`"),
            "{cmd}: {err}"
        );
        assert!(!err.contains("content folder"), "{cmd}: {err}");
    }
    let err = assert_code(
        &run_in(p.path(), &["new", "essay", "X", "--dir", "nope"]),
        1,
    );
    assert!(err.contains("no such folder"), "{err}");
}

#[test]
fn init_dot_names_the_real_folder_and_writes_a_readme() {
    let dir = tempfile::tempdir().unwrap();
    let reader = dir.path().join("my-reader");
    std::fs::create_dir(&reader).unwrap();
    let err = assert_code(&run_in(&reader, &["init", "."]), 0);
    let real = std::fs::canonicalize(&reader).unwrap();
    assert!(
        err.contains(&format!("Created a new reader in {}.", real.display())),
        "{err}"
    );
    assert!(!err.contains("in .."), "{err}");
    let readme = std::fs::read_to_string(reader.join("README.md")).unwrap();
    assert!(readme.contains("docs/guide"), "{readme}");
    assert!(readme.contains("scholion serve"), "{readme}");
    // The README is not content: the reader builds as before, with no warning.
    let err = assert_code(&run_in(&reader, &["build", "--deny-warnings"]), 0);
    assert!(!err.contains("README"), "{err}");
}

fn serve(p: &Project, extra: &[&str]) -> Server {
    let port = free_port();
    let log = std::fs::File::create(p.path().join("serve.log")).unwrap();
    let child = scholion()
        .args(["serve", "--port", &port.to_string()])
        .args(extra)
        // From a sub-folder, as a user in their editor's terminal would.
        .current_dir(p.path().join("content/essays"))
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start serve");
    let server = Server { child, port };
    wait_for(port, "/", 30, |status, _| status == 200);
    server
}

fn drafted() -> Project {
    let p = reader();
    p.essay(
        "sketch",
        "title: A Sketch\ndraft: true\ntags: [ideas]",
        "Half a thought.\n",
    );
    p
}

#[test]
fn serve_shows_drafts_marked_as_drafts_and_names_its_folder() {
    let p = drafted();
    let server = serve(&p, &[]);
    let (status, page) = get(server.port, "/essays/sketch/").unwrap();
    assert_eq!(status, 200, "the draft is a 404 under serve");
    assert!(page.contains("class=\"draft-note\""), "{page}");
    let (_, home) = get(server.port, "/").unwrap();
    assert!(
        home.contains("A Sketch</a> <span class=\"badge\">draft</span>"),
        "{home}"
    );
    let (_, topic) = get(server.port, "/tags/ideas/").unwrap();
    assert!(
        topic.contains("<span class=\"badge\">draft</span>"),
        "{topic}"
    );
    // The published essay carries no mark.
    let (_, first) = get(server.port, "/essays/first/").unwrap();
    assert!(!first.contains("draft-note"));
    drop(server);
    let log = std::fs::read_to_string(p.path().join("serve.log")).unwrap();
    let real = std::fs::canonicalize(p.path()).unwrap();
    assert!(
        log.contains(&format!("Serving {} at", real.display())),
        "{log}"
    );
    // --no-drafts hides them, as build does.
    let server = serve(&p, &["--no-drafts"]);
    assert_eq!(get(server.port, "/essays/sketch/").unwrap().0, 404);
}

#[test]
fn build_says_how_many_drafts_it_left_out_and_how_to_include_them() {
    let p = drafted();
    p.essay("other", "title: Other\ndraft: true", "More.\n");
    let run = p.run(&["build"]);
    run.assert_ok();
    assert!(
        run.stderr().contains("left out 2 drafts") && run.stderr().contains("`--drafts`"),
        "{}",
        run.stderr()
    );
    assert!(!p.out().join("essays/sketch").exists());
    let run = p.run(&["build", "--drafts"]);
    run.assert_ok();
    assert!(!run.stderr().contains("left out"), "{}", run.stderr());
    // A built draft is marked on its page, and a published site without drafts says nothing.
    assert_eq!(p.page("/essays/sketch/").select(".draft-note").len(), 1);
    std::fs::remove_file(p.path().join("content/essays/sketch.md")).unwrap();
    std::fs::remove_file(p.path().join("content/essays/other.md")).unwrap();
    assert!(!p.run(&["build"]).stderr().contains("draft"));
}

#[test]
fn an_empty_summary_and_an_empty_short_leave_no_empty_or_doubled_paragraph() {
    let p = reader();
    let essays = p.path().join("content/essays");
    assert_code(&run_in(&essays, &["new", "essay", "Fresh"]), 0);
    assert_code(&run_in(&essays, &["new", "term", "Soft Power"]), 0);
    std::fs::write(
        p.path().join("content/glossary/soft-power.md"),
        std::fs::read_to_string(p.path().join("content/glossary/soft-power.md"))
            .unwrap()
            .replace("The full definition.", "Power that attracts."),
    )
    .unwrap();
    p.run(&["build", "--drafts"]).assert_ok();
    let home = p.page("/");
    for summary in home.select(".summary") {
        assert!(
            !summary.text().collect::<String>().trim().is_empty(),
            "{}",
            home.text
        );
    }
    let term = p.page("/glossary/soft-power/");
    assert_eq!(
        term.text.matches("Power that attracts.").count(),
        // once in the body; the meta description is not a paragraph
        1 + term
            .text
            .matches("content=\"Power that attracts.\"")
            .count(),
        "{}",
        term.text
    );
    assert!(term.select("p.short").is_empty());
}

/// The entries of a `--help` page's "Commands:", "Arguments:" and "Options:" sections, each
/// with its description (empty when undescribed).
fn help_entries(help: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let lines: Vec<&str> = help.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line.trim_end_matches(':').to_string();
            continue;
        }
        if line.trim().is_empty()
            || !["Commands", "Arguments", "Options"].contains(&section.as_str())
        {
            if line.trim().is_empty() {
                section.clear();
            }
            continue;
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if indent > 6 {
            continue; // a wrapped description line
        }
        let (name, text) = match body.split_once("  ") {
            Some((n, t)) => (n.trim().to_string(), t.trim().to_string()),
            None => {
                // The description may start on the next, deeper-indented line.
                let next = lines.get(i + 1).copied().unwrap_or("");
                let deeper = next.len() - next.trim_start().len() > indent + 2;
                (
                    body.to_string(),
                    if deeper {
                        next.trim().to_string()
                    } else {
                        String::new()
                    },
                )
            }
        };
        out.push((section.clone(), name, text));
    }
    out
}

#[test]
fn every_help_entry_of_every_command_is_described() {
    let dir = tempfile::tempdir().unwrap();
    let mut queue = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = String::from_utf8(run_in(dir.path(), &args).stdout).unwrap();
        let entries = help_entries(&help);
        assert!(!entries.is_empty(), "{args:?}: no entries in\n{help}");
        for (section, name, text) in entries {
            seen += 1;
            assert!(
                !text.is_empty(),
                "`scholion {}`: `{name}` is undescribed:\n{help}",
                path.join(" ")
            );
            let command = name.split_whitespace().next().unwrap().to_string();
            if section == "Commands" && command != "help" {
                let mut sub = path.clone();
                sub.push(command);
                queue.push(sub);
            }
        }
    }
    // build check serve clean init new (essay term) help-book-toml, each with its entries.
    assert!(seen > 40, "{seen}");
    // The entries the issue found undescribed.
    for (cmd, wanted) in [
        ("check", "[DIR]"),
        ("check", "--drafts"),
        ("check", "--deny-warnings"),
        ("serve", "[DIR]"),
    ] {
        let help = String::from_utf8(run_in(dir.path(), &[cmd, "--help"]).stdout).unwrap();
        assert!(
            help_entries(&help)
                .iter()
                .any(|(_, n, t)| n.contains(wanted) && !t.is_empty()),
            "{cmd} {wanted}:\n{help}"
        );
    }
}

#[test]
fn book_toml_errors_point_to_a_list_that_exists() {
    let p = reader();
    p.write("book.toml", "[build]\noutput-dri = \"out\"\nzzz = 1\n");
    let run = p.run(&["check"]);
    run.assert_fails_with(&["scholion help-book-toml"]);
    assert!(!run.stderr().contains("README"), "{}", run.stderr());
    let keys = p.run(&["help-book-toml"]);
    keys.assert_ok();
    let text = String::from_utf8_lossy(&keys.output.stdout);
    for key in [
        "content-dir",
        "output-dir",
        "base-url",
        "theme",
        "bibliography",
        "style",
        "title",
    ] {
        assert!(text.contains(&format!("{key} =")), "{key}:\n{text}");
    }
}
