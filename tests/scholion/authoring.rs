//! Markdown as authors really write it (issue 17): projects made the way Obsidian, Zettlr and
//! pandoc users keep their notes (folders with spaces, three `index.md`, images beside notes
//! and in `attachments/`, PDFs, wikilinks by file name, path and heading text, embeds) build,
//! and every link, image and anchor of the output resolves, on disk and through a plain
//! static server.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use scraper::{Html, Selector};

use crate::serve::{Server, get, wait_for};
use crate::support::*;

/// Every page's text (not its markup) and its `<img>` elements.
fn pages(out: &Path) -> Vec<(String, Html)> {
    snapshot(out)
        .into_iter()
        .filter(|(rel, _)| rel.extension().and_then(|e| e.to_str()) == Some("html"))
        .map(|(rel, bytes)| {
            let doc = Html::parse_document(&String::from_utf8_lossy(&bytes));
            (rel.display().to_string(), doc)
        })
        .collect()
}

/// The checks every fixture must pass: no broken link, image or anchor; no wikilink left
/// raw in the text; every image published by the site has its size and loads lazily.
fn assert_clean(out: &Path, base: &str) {
    let problems = crawl(out, base);
    assert!(problems.is_empty(), "crawl:\n{}", problems.join("\n"));
    let body = Selector::parse("main").unwrap();
    let img = Selector::parse("img").unwrap();
    let mut images = 0;
    for (rel, doc) in pages(out) {
        for main in doc.select(&body) {
            let text: String = main.text().collect();
            for raw in ["[[", "![[", "]]"] {
                assert!(
                    !text.contains(raw),
                    "{rel}: raw `{raw}` in the text: {text}"
                );
            }
        }
        for el in doc.select(&img) {
            let v = el.value();
            let src = v.attr("src").unwrap_or("");
            if src.starts_with(base) {
                images += 1;
                assert!(
                    v.attr("width").is_some() && v.attr("height").is_some(),
                    "{rel}: {src} has no size"
                );
                assert_eq!(v.attr("loading"), Some("lazy"), "{rel}: {src}");
            }
        }
    }
    assert!(images > 0, "no images in {}", out.display());
}

#[test]
fn an_obsidian_vault_builds_with_every_link_image_and_anchor_resolved() {
    let p = Project::fixture("obsidian");
    p.build().assert_ok();
    let out = p.out();
    assert_clean(&out, "/vault/");
    // `static/` at the root, as it is; the content folder's files at their paths; the
    // bibliography and the editor's hidden folder are not published.
    assert_eq!(
        std::fs::read_to_string(out.join("CNAME")).unwrap(),
        "vault.example.org\n"
    );
    for file in [
        "robots.txt",
        "favicon.ico",
        ".well-known/security.txt",
        "attachments/diagram.png",
        "attachments/paper.pdf",
        "essays/chart.jpg",
        "essays/lecture 1/board.jpg",
        "essays/lecture 2/board.png",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    for file in ["references.bib", ".obsidian/app.json", "static/CNAME"] {
        assert!(!out.join(file).exists(), "{file} published");
    }
    // Three `index.md`, each named by its folder.
    for n in 1..=3 {
        assert!(out.join(format!("essays/lecture-{n}/index.html")).is_file());
    }
    // `![[board.png]]`: two files have that name; each note gets the one beside it.
    for n in [2, 3] {
        let srcs = p
            .page(&format!("/essays/lecture-{n}/"))
            .attrs(".essay-body img", "src");
        assert_eq!(srcs, [format!("/vault/essays/lecture%20{n}/board.png")]);
    }
    let start = p.page("/essays/start-here/");
    let hrefs = start.attrs(".essay-body a", "href");
    for want in [
        "/vault/essays/making-plugins/",
        "/vault/essays/latex/",
        "/vault/essays/making-plugins/#writing-the-manifest",
        "#overview",
        "/vault/attachments/paper.pdf",
        "/vault/essays/latex/#setup",
        "/vault/glossary/",
        "/vault/robots.txt",
        "https://obsidian.md",
    ] {
        assert!(
            hrefs.iter().any(|h| h == want),
            "no link to {want}: {hrefs:?}"
        );
    }
    // Unpiped links show what Obsidian shows.
    let labels = start.texts(".essay-body a.xref");
    for want in ["Latex", "Making Plugins › Writing the Manifest", "Overview"] {
        assert!(labels.iter().any(|l| l == want), "{want}: {labels:?}");
    }
    // `![[diagram.png|300]]`: the width asked for, the height in proportion.
    let sizes: Vec<(String, String)> = start
        .select(".essay-body img")
        .iter()
        .map(|i| {
            let v = i.value();
            (
                v.attr("width").unwrap().into(),
                v.attr("height").unwrap().into(),
            )
        })
        .collect();
    assert!(sizes.contains(&("640".into(), "360".into())), "{sizes:?}");
    assert!(sizes.contains(&("300".into(), "168".into())), "{sizes:?}");
    // `![[Latex#Setup]]`: that section in place, with a link to its source.
    let embed = start.texts("figure.embed");
    assert!(
        embed
            .iter()
            .any(|e| e.contains("Install the plugin") && e.contains("LaTeX › Setup")),
        "{embed:?}"
    );
    assert!(
        !embed.iter().any(|e| e.contains("Write a formula")),
        "{embed:?}"
    );
}

#[test]
fn zettlr_and_pandoc_notes_build_with_every_link_resolved() {
    let z = Project::fixture("zettlr");
    z.build().assert_ok();
    assert_clean(&z.out(), "/");
    let overview = z.page("/essays/zettelkasten/");
    let hrefs = overview.attrs(".essay-body a", "href");
    assert!(
        hrefs.contains(&"/essays/projects-thesis/#outline".to_string())
            || hrefs.contains(&"/essays/thesis/#outline".to_string()),
        "{hrefs:?}"
    );
    // Zettlr's id links: `[[20200318121500]]` finds the note with that id in its name.
    let permanent = z.page("/essays/20200318120000-permanent-notes/");
    let links: Vec<(String, String)> = permanent
        .select(".essay-body a.xref-essay")
        .iter()
        .map(|a| {
            let text: String = a.text().collect();
            (a.value().attr("href").unwrap().to_string(), text)
        })
        .collect();
    assert!(
        links.contains(&(
            "/essays/20200318121500-fleeting-notes/".into(),
            "Fleeting notes".into()
        )),
        "{links:?}"
    );
    let p = Project::fixture("pandoc");
    p.build().assert_ok();
    assert_clean(&p.out(), "/notes/");
    let intro = p.page("/essays/introduction/");
    let hrefs = intro.attrs(".essay-body a", "href");
    for want in [
        "/notes/essays/02-methods/#sampling",
        "/notes/data/appendix.pdf",
        "#why",
    ] {
        assert!(
            hrefs.iter().any(|h| h == want),
            "no link to {want}: {hrefs:?}"
        );
    }
    let home = p.page("/");
    let hrefs = home.attrs("a", "href");
    assert!(
        hrefs.contains(&"/notes/essays/introduction/".to_string()),
        "{hrefs:?}"
    );
    assert!(
        hrefs.contains(&"/notes/data/table.csv".to_string()),
        "{hrefs:?}"
    );
}

#[test]
fn every_link_and_image_of_a_vault_loads_from_a_plain_static_server() {
    let p = Project::fixture("obsidian");
    p.run(&["build", ".", "--base-url", "http://127.0.0.1/"])
        .assert_ok();
    let out = p.out();
    let sel = Selector::parse("a[href], link[href], script[src], img[src]").unwrap();
    let mut links = BTreeSet::new();
    for (_, doc) in pages(&out) {
        for el in doc.select(&sel) {
            let v = el.value();
            let link = v.attr("href").or_else(|| v.attr("src")).unwrap_or("");
            let path = link.split('#').next().unwrap_or("");
            if path.starts_with('/') {
                links.insert(path.to_string());
            }
        }
    }
    assert!(links.contains("/essays/lecture%201/board.jpg"), "{links:?}");
    let (_server, port) = crate::routes::StaticServer::start(&out);
    let failures: Vec<String> = links
        .iter()
        .filter_map(|l| match get(port, l) {
            Some((200, _)) => None,
            other => Some(format!("{l}: {:?}", other.map(|(s, _)| s))),
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unchanged_files_are_not_rewritten_and_serve_picks_up_new_ones() {
    let p = Project::fixture("obsidian");
    let stamp = |p: &Project| {
        std::fs::metadata(p.out().join("attachments/diagram.png"))
            .unwrap()
            .modified()
            .unwrap()
    };
    p.build().assert_ok();
    let first = stamp(&p);
    std::thread::sleep(Duration::from_millis(20));
    // The second build writes a fresh folder; the third reuses the first's files.
    p.build().assert_ok();
    p.build().assert_ok();
    assert_eq!(stamp(&p), first, "an unchanged image was written again");

    let server = Server::start(&p);
    let port = server.port;
    wait_for(port, "/vault/attachments/diagram.png", 20, |s, _| s == 200);
    assert_eq!(
        get(port, "/vault/attachments/new.txt").map(|r| r.0),
        Some(404)
    );
    p.write("content/attachments/new.txt", "first\n");
    wait_for(port, "/vault/attachments/new.txt", 20, |s, b| {
        s == 200 && b == "first\n"
    });
    p.write("content/attachments/new.txt", "second\n");
    wait_for(port, "/vault/attachments/new.txt", 20, |s, b| {
        s == 200 && b == "second\n"
    });
    p.write("static/humans.txt", "us\n");
    wait_for(port, "/vault/humans.txt", 20, |s, b| {
        s == 200 && b == "us\n"
    });
}
