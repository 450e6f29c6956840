//! The foundation: build, check, init, new, safety of the output folder, determinism.

use std::path::PathBuf;

use crate::support::*;

fn small() -> Project {
    let p = Project::new();
    p.write(
        "content/index.md",
        "---\ntitle: Home\n---\nWelcome to the [[second]] reader.\n",
    );
    p.essay(
        "first",
        "title: First\norder: 1\ndate: 2020-01-02",
        "## Part one\n\nText.\n\n## Part one\n\nAgain.\n",
    );
    p.essay(
        "second",
        "title: Second\norder: 2",
        "See [[first#part-one-1|the repeat]].\n",
    );
    p
}

#[test]
fn builds_home_and_essays_with_links_under_a_base_path() {
    let p = small();
    p.run(&[
        "build",
        ".",
        "--base-url",
        "https://example.github.io/reader/",
    ])
    .assert_ok();
    let home = p.page("/");
    let essays = home.attrs(".essay-card h3 a", "href");
    assert_eq!(
        essays,
        vec!["/reader/essays/first/", "/reader/essays/second/"]
    );
    let first = p.page("/essays/first/");
    assert_eq!(
        first.attrs(".toc a", "href"),
        vec!["#part-one", "#part-one-1"]
    );
    assert_eq!(
        first.attrs("a[rel=next]", "href"),
        vec!["/reader/essays/second/"]
    );
    assert!(p.out().join(".nojekyll").exists() && p.out().join("404.html").exists());
    let problems = crawl(&p.out(), "/reader/");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn bundled_reader_links_all_resolve_under_subpath_and_root() {
    for base in ["https://example.github.io/reader/", "/"] {
        let p = Project::bundled();
        p.run(&["build", ".", "--base-url", base]).assert_ok();
        let path = if base == "/" { "/" } else { "/reader/" };
        let problems = crawl(&p.out(), path);
        assert!(problems.is_empty(), "{base}: {problems:#?}");
    }
}

#[test]
fn check_reports_every_error_with_file_and_line_in_one_run() {
    let p = Project::new();
    p.write(
        "book.toml",
        "[book]\ntitle = \"x\"\n[build]\noutput-dri = \"out\"\n",
    );
    p.run(&["check", "."]).assert_fails_with(&[
        "output-dri",
        "book.toml:4:1",
        "did you mean `output-dir`?",
    ]);
    p.write("book.toml", BOOK);
    p.essay("bad-yaml", "title: [unclosed", "x");
    p.essay("no-title", "summary: hi", "x");
    p.essay("wrong-type", "title: Fine\ntags: 3", "x");
    p.essay("typo", "title: Fine\nsummery: hi", "x");
    p.essay("bad-date", "title: Fine\ndate: 1993-02-30", "x");
    let run = p.run(&["check", "."]);
    run.assert_fails_with(&[
        "content/essays/bad-yaml.md:2:",
        "content/essays/no-title.md:1:1",
        "content/essays/wrong-type.md:3:",
        "content/essays/typo.md:3:1",
        "did you mean `summary`?",
        "content/essays/bad-date.md:3:7",
        "not a real calendar date",
    ]);
    assert!(
        run.stderr().contains("error: 5 errors in 5 files\n"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let p = small();
    p.build().assert_ok();
    let before = snapshot(&p.out());
    p.essay("second", "title: [broken", "x");
    p.build().assert_fails_with(&["content/essays/second.md"]);
    assert_eq!(
        before,
        snapshot(&p.out()),
        "output changed after a failed build"
    );
    // And a good build replaces it whole.
    p.essay("second", "title: Second again", "New text.");
    p.build().assert_ok();
    assert!(p.page("/essays/second/").text.contains("New text."));
}

/// Builds stage into the previous build's folder (the spare); what they leave must be
/// exactly what a build into an empty folder makes: removed pages gone, changed ones new.
#[test]
fn rebuilds_reusing_the_previous_output_equal_a_fresh_build() {
    let p = small();
    p.essay("second", "title: Second\norder: 2", "Second text.");
    p.essay("third", "title: Third\norder: 3", "Third text.");
    let fresh = |name: &str| {
        let run = p.run(&["build", ".", "--out", name]);
        run.assert_ok();
        let snap = snapshot(&p.path().join(name));
        std::fs::remove_dir_all(p.path().join(name)).unwrap();
        snap
    };
    for _ in 0..3 {
        p.build().assert_ok();
    }
    let spare = p.path().join(".scholion/public/spare");
    assert!(spare.is_dir(), "the replaced output is kept as the spare");
    // Remove an essay and change another, twice (each spare generation is swept).
    std::fs::remove_file(p.path().join("content/essays/third.md")).unwrap();
    p.essay(
        "second",
        "title: Second, revised\norder: 2",
        "Revised text.",
    );
    for _ in 0..2 {
        p.build().assert_ok();
        assert!(!p.out().join("essays/third").exists(), "stale page left");
        assert_eq!(snapshot(&p.out()), fresh("fresh"));
    }
    assert!(p.page("/essays/second/").text.contains("Revised text."));
}

/// Each build records what it wrote, so the next builds skip unchanged files without reading
/// them; a file changed behind Scholion's back (same size, same modification time) is still
/// rewritten, and a damaged record only costs the skipping.
#[test]
fn rebuilds_skip_unchanged_files_and_rewrite_tampered_ones() {
    let p = small();
    let records = || -> Vec<PathBuf> {
        let mut r: Vec<PathBuf> = std::fs::read_dir(p.path().join(".scholion/public"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|f| {
                f.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("files-")
            })
            .collect();
        r.sort();
        r
    };
    p.build().assert_ok();
    let page = p.out().join("essays/first/index.html");
    let first_written = std::fs::metadata(&page).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    p.build().assert_ok();
    assert_eq!(
        records().len(),
        2,
        "one record for the output, one for the spare"
    );
    // The third build stages into the first one's folder: the unchanged page is skipped.
    p.build().assert_ok();
    assert_eq!(
        std::fs::metadata(&page).unwrap().modified().unwrap(),
        first_written,
        "an unchanged page was rewritten"
    );
    let fresh = p.run(&["build", ".", "--out", "fresh"]);
    fresh.assert_ok();
    let expected = snapshot(&p.path().join("fresh"));
    std::fs::remove_dir_all(p.path().join("fresh")).unwrap();
    // Tamper with a page of the spare (the next build's staging folder): same length, and
    // its modification time put back.
    let spare_page = p
        .path()
        .join(".scholion/public/spare/essays/second/index.html");
    let before = std::fs::metadata(&spare_page).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&spare_page).unwrap();
    assert!(text.contains("Second"));
    std::fs::write(&spare_page, text.replace("Second", "Sxcond")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&spare_page)
        .unwrap()
        .set_modified(before)
        .unwrap();
    p.build().assert_ok();
    assert_eq!(snapshot(&p.out()), expected, "a tampered page was kept");
    // A damaged record: the build compares files instead.
    for r in records() {
        std::fs::write(&r, "scholion output record 2 xxh3-128\nnot a line\n").unwrap();
    }
    std::fs::write(
        p.path()
            .join(".scholion/public/spare/essays/second/index.html"),
        "stale",
    )
    .unwrap();
    p.build().assert_ok();
    assert_eq!(snapshot(&p.out()), expected);
    p.build().assert_ok();
    assert_eq!(snapshot(&p.out()), expected);
    assert_eq!(records().len(), 2, "old records are removed");
}

/// The editions are written as they are made (streamed through a temporary file): an
/// unchanged edition is left alone on a rebuild (same inode, same modification time), a
/// changed one replaced, and a hard-linked backup of the old one keeps its bytes.
#[test]
fn rebuilds_keep_unchanged_editions_and_replace_changed_ones() {
    use std::os::unix::fs::MetadataExt as _;
    let p = small();
    let editions = |out: &std::path::Path| -> Vec<PathBuf> {
        let epub = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|f| f.extension().is_some_and(|x| x == "epub"))
            .expect("an EPUB");
        vec![out.join("print/index.html"), epub]
    };
    let identity = |f: &PathBuf| {
        let m = std::fs::metadata(f).unwrap();
        (m.ino(), m.modified().unwrap())
    };
    p.build().assert_ok();
    let first: Vec<_> = editions(&p.out()).iter().map(identity).collect();
    let first_bytes: Vec<Vec<u8>> = editions(&p.out())
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    p.build().assert_ok();
    // The third build stages into the first one's folder: both editions are unchanged.
    p.build().assert_ok();
    let third: Vec<_> = editions(&p.out()).iter().map(identity).collect();
    assert_eq!(third, first, "an unchanged edition was rewritten");
    // No temporary file is left in the output or the spare.
    for dir in [p.out(), p.path().join(".scholion/public/spare")] {
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".scholion-stream"))
            .collect();
        assert!(left.is_empty(), "{left:?} in {}", dir.display());
    }
    // A hard-linked backup of the output, then a change: the editions are replaced, the
    // backup keeps the old bytes.
    let backup = tempfile::tempdir().unwrap();
    let linked: Vec<PathBuf> = editions(&p.out())
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let to = backup.path().join(format!("{n}"));
            std::fs::hard_link(f, &to).unwrap();
            to
        })
        .collect();
    p.essay(
        "second",
        "title: Second\norder: 2",
        "See [[first#part-one-1|the repeat]]. Revised for the editions.\n",
    );
    // Twice, so that one of the builds stages into the folder holding the linked files.
    p.build().assert_ok();
    p.build().assert_ok();
    let fresh = p.run(&["build", ".", "--out", "fresh"]);
    fresh.assert_ok();
    for (built, clean) in editions(&p.out())
        .iter()
        .zip(editions(&p.path().join("fresh")))
    {
        let bytes = std::fs::read(built).unwrap();
        assert_eq!(bytes, std::fs::read(clean).unwrap(), "{}", built.display());
    }
    let print = std::fs::read_to_string(p.out().join("print/index.html")).unwrap();
    assert!(print.contains("Revised for the editions."));
    for (link, old) in linked.iter().zip(&first_bytes) {
        assert_eq!(
            &std::fs::read(link).unwrap(),
            old,
            "the hard-linked backup changed"
        );
    }
    // Without a record, the editions are compared by reading them: still the same bytes.
    for r in std::fs::read_dir(p.path().join(".scholion/public")).unwrap() {
        let r = r.unwrap().path();
        if r.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("files-")
        {
            std::fs::write(&r, "damaged").unwrap();
        }
    }
    let before: Vec<_> = editions(&p.path().join(".scholion/public/spare"))
        .iter()
        .map(identity)
        .collect();
    p.build().assert_ok();
    let after: Vec<_> = editions(&p.out()).iter().map(identity).collect();
    assert_eq!(
        after, before,
        "an unchanged edition was rewritten without a record"
    );
}

/// Files where folders go and folders where files go (an older build's layout, or hands
/// in the output): a build staging into that spare repairs it.
#[test]
fn rebuilds_repair_files_and_folders_in_the_wrong_place() {
    let p = small();
    p.build().assert_ok();
    let out = p.out();
    std::fs::remove_dir_all(out.join("essays/first")).unwrap();
    std::fs::write(out.join("essays/first"), "a file where a folder goes").unwrap();
    std::fs::remove_file(out.join("index.html")).unwrap();
    std::fs::create_dir_all(out.join("index.html/inner")).unwrap();
    std::fs::write(
        out.join("index.html/inner/x.txt"),
        "a folder where a file goes",
    )
    .unwrap();
    // The first build moves this output aside as the spare; the second stages into it.
    p.build().assert_ok();
    p.build().assert_ok();
    let fresh = p.run(&["build", ".", "--out", "fresh"]);
    fresh.assert_ok();
    assert_eq!(snapshot(&p.out()), snapshot(&p.path().join("fresh")));
    assert!(p.page("/essays/first/").text.contains("Part one"));
}

/// A symlink someone put in the output must not lead a later build to write through it.
#[test]
fn rebuilds_never_write_through_symlinks_in_the_old_output() {
    let p = small();
    p.build().assert_ok();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.html");
    std::fs::write(&victim, "keep me").unwrap();
    let page = p.out().join("index.html");
    std::fs::remove_file(&page).unwrap();
    std::os::unix::fs::symlink(&victim, &page).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.out().join("essays/linked")).unwrap();
    // The first build moves this output aside as the spare; the second stages into it.
    p.build().assert_ok();
    p.build().assert_ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
    for dir in [p.out(), p.path().join(".scholion/public/spare")] {
        for entry in walkdir::WalkDir::new(&dir) {
            let entry = entry.unwrap();
            assert!(
                !entry.path_is_symlink(),
                "symlink left in {}",
                entry.path().display()
            );
        }
    }
    assert!(p.page("/").text.contains("Welcome"), "home page rebuilt");
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    // In an author-date and a note style, with the citation cache off (formatting itself
    // must be deterministic: the driver is stateful, so its input order matters).
    for style in ["chicago-author-date", "chicago-notes"] {
        let p = Project::bundled();
        let toml = std::fs::read_to_string(p.path().join("book.toml")).unwrap();
        assert!(toml.contains("style = \"chicago-author-date\""));
        let toml = toml.replace(
            "style = \"chicago-author-date\"",
            &format!("style = \"{style}\""),
        );
        p.write("book.toml", &toml);
        let build = |threads: &str, out: &str| {
            let status = scholion()
                .args(["build", ".", "--out", out])
                .current_dir(p.path())
                .env("RAYON_NUM_THREADS", threads)
                .env("SCHOLION_CACHE_DIR", "")
                .output()
                .expect("run");
            assert!(
                status.status.success(),
                "{style}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        };
        build("1", "one");
        build("2", "two");
        build("3", "again");
        let one = snapshot(&p.path().join("one"));
        assert!(one.len() > 100);
        assert_eq!(one, snapshot(&p.path().join("two")), "{style}");
        assert_eq!(one, snapshot(&p.path().join("again")), "{style}");
        if style == "chicago-notes" {
            let essay = String::from_utf8_lossy(
                &one[&PathBuf::from("essays/framing-the-agenda/index.html")],
            )
            .into_owned();
            assert!(
                essay.contains("class=\"sidenote"),
                "a note style makes notes"
            );
        }
    }
}

#[test]
fn refuses_dangerous_output_folders() {
    let p = small();
    p.run(&["build", ".", "--out", "."])
        .assert_fails_with(&["refusing", "project folder"]);
    p.run(&["build", ".", "--out", ".."])
        .assert_fails_with(&["refusing", "project folder"]);
    p.run(&["build", ".", "--out", "content"])
        .assert_fails_with(&["refusing", "content folder"]);
    p.run(&["build", ".", "--out", "content/site"])
        .assert_fails_with(&["refusing", "content folder"]);
    p.write("mine/notes.txt", "precious");
    p.run(&["build", ".", "--out", "mine"])
        .assert_fails_with(&["refusing", "--force"]);
    assert_eq!(
        std::fs::read_to_string(p.path().join("mine/notes.txt")).unwrap(),
        "precious"
    );
    p.run(&["build", ".", "--out", "mine", "--force"])
        .assert_ok();
    assert!(!p.path().join("mine/notes.txt").exists());
    // Scholion's own output is replaced without --force.
    p.run(&["build", ".", "--out", "mine"]).assert_ok();
    assert!(p.path().join("content/essays/first.md").exists());
}

#[test]
fn init_then_build_and_new_files_build() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("r");
    let run = scholion().arg("init").arg(&target).output().unwrap();
    assert!(run.status.success());
    let built = scholion().arg("build").arg(&target).output().unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(target.join("public/essays/first-essay/index.html").exists());
    assert!(target.join(".github/workflows/pages.yml").exists());
    for args in [["new", "essay", "A Title"], ["new", "term", "Soft Power"]] {
        let r = scholion().args(args).current_dir(&target).output().unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    assert!(target.join("content/essays/a-title.md").exists());
    // The new essay is a draft; the new term is unused: check passes with warnings only.
    let check = scholion()
        .args(["check", "--drafts"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let built = scholion()
        .args(["build", "--drafts"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(built.status.success());
    assert!(target.join("public/essays/a-title/index.html").exists());
}

#[test]
fn reading_order_drafts_and_empty_essays() {
    let p = Project::new();
    p.essay("b", "title: B\ndate: 2020-01-01", "x");
    p.essay("a", "title: A\ndate: 2021-01-01", "x");
    p.essay("c", "title: C\norder: 1", "x");
    p.essay("z", "title: Z", "x");
    p.essay("d", "title: D\ndraft: true", "x");
    p.essay("e", "title: Empty", "");
    let run = p.build();
    run.assert_ok();
    assert!(run.stderr().contains("empty essay"), "{}", run.stderr());
    let order = p.page("/").texts(".essay-card h3 a");
    assert_eq!(order, vec!["C", "B", "A", "Empty", "Z"]);
    assert!(!p.out().join("essays/d").exists());
    p.run(&["build", ".", "--deny-warnings"])
        .assert_fails_with(&["empty essay"]);
}

#[test]
fn bom_crlf_and_markup_in_titles_are_handled() {
    let p = Project::new();
    p.write("content/essays/crlf.md", "\u{feff}---\r\ntitle: \"<script>alert(1)</script> & co\"\r\n---\r\nBody [^n].\r\n\r\n[^n]: A note.\r\n");
    p.build().assert_ok();
    let page = p.page("/essays/crlf/");
    assert!(!page.text.contains("<script>alert"), "title not escaped");
    assert_eq!(page.texts("h1"), vec!["<script>alert(1)</script> & co"]);
    assert_eq!(page.select(".endnotes li").len(), 1);
}
