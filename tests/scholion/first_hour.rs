//! The first hour with Scholion (issue #19), run as a new author would: commands from a
//! sub-folder of the reader, outside any reader, with a folder that does not exist.

use std::path::Path;
use std::process::Output;

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
