//! Markdown as Obsidian, Zettlr and pandoc users write it (#17): math, callouts, task and
//! definition lists, highlights, inline tags and highlighted code, in the fixture
//! `tests/fixtures/authors-markdown`, built by the real binary and read back as HTML.

use scraper::{ElementRef, Node};

use crate::support::{Project, crawl, scholion, snapshot};

const ESSAYS: &[&str] = &[
    "/essays/brownian-motion/",
    "/essays/vault-note/",
    "/essays/zettlr-draft/",
    "/glossary/martingale/",
];

/// The text a reader sees in an element: without the TeX kept in `<annotation>` and
/// without code, where Markdown syntax is meant to stay.
fn visible_text(element: ElementRef<'_>) -> String {
    let mut text = String::new();
    for node in element.descendants() {
        let Node::Text(t) = node.value() else {
            continue;
        };
        let hidden = node.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "annotation" | "code" | "pre"))
        });
        if !hidden {
            text.push_str(t);
        }
    }
    text
}

fn built() -> Project {
    let project = Project::fixture("authors-markdown");
    project.run(&["build", ".", "--deny-warnings"]).assert_ok();
    project
}

#[test]
fn no_raw_syntax_is_left_in_the_text() {
    let project = built();
    for url in ESSAYS {
        let page = project.page(url);
        let body = page.select("main").into_iter().next().expect("main");
        // The one dollar sign meant as one (`\$5`).
        let text = visible_text(body).replace("$5", "5");
        for raw in ["$", "\\(", "\\[", "[!", "[ ]", "[x]", "=="] {
            assert!(
                !text.contains(raw),
                "{url}: `{raw}` left in the text:\n{text}"
            );
        }
    }
    // Code keeps what it says.
    let vault = project.page("/essays/vault-note/");
    assert!(
        vault
            .texts("pre code")
            .iter()
            .any(|t| t.contains("$dollars$"))
    );
    let notes = project.page("/essays/brownian-motion/");
    assert!(notes.texts("code").iter().any(|t| t == "$not math$"));
    assert!(
        notes
            .texts("main p")
            .iter()
            .any(|t| t.contains("price of $5")),
        "an escaped dollar is a dollar"
    );
}

#[test]
fn math_is_mathml_with_the_tex_as_written() {
    let project = built();
    let page = project.page("/essays/brownian-motion/");
    let tex = page.texts("math annotation[encoding='application/x-tex']");
    assert_eq!(
        page.select("math").len(),
        tex.len(),
        "every formula keeps its TeX"
    );
    assert!(tex.len() >= 10, "{tex:?}");
    // Markdown escapes inside math are TeX: the braces keep their backslashes.
    assert!(
        tex.contains(&"\\{ W_t \\}_{t \\ge 0}".to_string()),
        "{tex:?}"
    );
    assert!(
        tex.contains(&"W_0 = 0".to_string()),
        "pandoc's \\(…\\): {tex:?}"
    );
    assert_eq!(
        page.select("math[display=block]").len(),
        4,
        "$$…$$ and \\[…\\]"
    );
    assert!(
        !page.select("math mtable").is_empty(),
        "matrices, cases, aligned"
    );
    assert!(
        page.text.contains("ℝ") || page.text.contains("𝔼"),
        "\\mathbb"
    );
    // In a footnote, math is in the sidenote and in the endnote.
    let zettlr = project.page("/essays/zettlr-draft/");
    assert_eq!(zettlr.select(".sidenote math").len(), 1);
    assert_eq!(zettlr.select(".endnotes math").len(), 1);
}

#[test]
fn callouts_have_titles_and_fold_without_javascript() {
    let project = built();
    let page = project.page("/essays/vault-note/");
    assert_eq!(
        page.texts(".callout > .callout-title"),
        [
            "Note",
            "Mind the gap",
            "Open by default",
            "Question",
            "With its own title"
        ]
    );
    assert_eq!(
        page.attrs("details.callout", "data-callout"),
        ["warning", "tip"]
    );
    assert_eq!(
        page.select("details.callout[open]").len(),
        1,
        "`+` starts open"
    );
    assert_eq!(page.select("details.callout > summary").len(), 2);
    assert_eq!(page.select("div.callout[role=note]").len(), 3);
    assert_eq!(
        page.select("blockquote").len(),
        1,
        "a plain quotation stays"
    );
    // In the book's language.
    let german = Project::fixture("authors-markdown");
    let book = std::fs::read_to_string(german.path().join("book.toml")).expect("book.toml");
    german.write(
        "book.toml",
        &book.replace("language = \"en\"", "language = \"de\""),
    );
    german.build().assert_ok();
    let page = german.page("/essays/vault-note/");
    let titles = page.texts(".callout > .callout-title");
    assert_eq!(titles[0], "Hinweis");
    assert_eq!(titles[3], "Frage");
    assert_eq!(page.attrs("input.task", "aria-label")[0], "Offen");
}

#[test]
fn tasks_definitions_and_highlights() {
    let project = built();
    let page = project.page("/essays/vault-note/");
    assert_eq!(page.select("input.task[type=checkbox][disabled]").len(), 4);
    assert_eq!(page.select("input.task[checked]").len(), 1);
    assert_eq!(page.attrs("input.task[checked]", "aria-label"), ["Done"]);
    assert_eq!(page.texts("mark"), ["highlighted phrase", "review"]);
    let notes = project.page("/essays/brownian-motion/");
    assert_eq!(notes.texts("dl dt"), ["Term", "Another term"]);
    assert_eq!(notes.select("dl dd").len(), 3);
}

#[test]
fn inline_tags_join_the_essay_s_topics() {
    let project = built();
    let vault = project.page("/essays/vault-note/");
    assert_eq!(
        vault.attrs(".essay-body a.tag", "href"),
        ["/tags/zettelkasten/", "/tags/pkm-tools/"]
    );
    // Front matter first, then the text's tags, in the header's list.
    assert_eq!(
        vault.texts(".tags a"),
        ["obsidian", "zettelkasten", "pkm/tools"]
    );
    assert!(!vault.text.contains("/tags/1/"), "`#1` is a number");
    let topic = project.page("/tags/stochastic-processes/");
    assert_eq!(
        topic.attrs("main a[href^='/essays/']", "href"),
        ["/essays/brownian-motion/"]
    );
    let zettlr = project.page("/essays/zettlr-draft/");
    assert_eq!(
        zettlr.texts(".essay-body h2"),
        ["Results #notatag", "Notes"]
    );
    assert!(
        !project.out().join("tags/notatag").exists(),
        "a heading's text has no tags"
    );
    // A term shows its tag as text and joins no topic.
    let term = project.page("/glossary/martingale/");
    assert_eq!(term.texts("span.tag"), ["#stochastic-processes"]);
    assert!(
        crawl(&project.out(), "/").is_empty(),
        "{:?}",
        crawl(&project.out(), "/")
    );
}

#[test]
fn code_is_highlighted_with_classes_and_unknown_languages_stay_plain() {
    let project = built();
    let page = project.page("/essays/vault-note/");
    let highlighted = page.select("pre.highlight");
    assert_eq!(highlighted.len(), 2, "python and rust");
    assert!(!page.select("pre.highlight .hl-comment").is_empty());
    assert!(!page.select("pre.highlight .hl-string").is_empty());
    assert!(!page.select("pre.highlight .hl-keyword").is_empty());
    assert_eq!(
        page.select("pre:not(.highlight)").len(),
        1,
        "no language: plain"
    );
    assert!(
        page.texts("pre.highlight code")[0].contains("return sum(xs) / len(xs)"),
        "the text is kept"
    );
}

/// Highlighted code blocks are kept in the user's cache folder between builds: a warm build
/// is byte-identical to a cold one and to one without the cache, an unchanged set is not
/// rewritten, and a corrupt file is an empty cache, not an error.
#[test]
fn highlight_cache_is_invisible_in_the_output() {
    let project = Project::fixture("authors-markdown");
    let cache = project.path().join(".cache-for-tests");
    project.build().assert_ok();
    let cold = snapshot(&project.out());
    let file = std::fs::read_dir(&cache)
        .expect("the build wrote its cache")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("highlights-"))
        .expect("a highlight cache file");
    let first = std::fs::read(&file).unwrap();
    project.build().assert_ok();
    assert_eq!(
        snapshot(&project.out()),
        cold,
        "warm build differs from the cold one"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        first,
        "a warm build with nothing new rewrote the cache"
    );
    // Without the cache: the same bytes.
    let output = scholion()
        .args(["build", ".", "--out", "uncached"])
        .current_dir(project.path())
        .env("SCHOLION_CACHE_DIR", "")
        .output()
        .unwrap();
    assert!(output.status.success());
    let strip = |mut m: std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>| {
        m.retain(|k, _| !k.starts_with(".scholion-output"));
        m
    };
    assert_eq!(
        strip(snapshot(&project.path().join("uncached"))),
        strip(cold.clone()),
        "cached output differs from uncached"
    );
    // Corrupt files (garbage, truncated, a flipped byte): an empty cache, the same site, and
    // the file made good again.
    let mut flipped = first.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    for bad in [
        b"{ not a cache".to_vec(),
        first[..first.len() / 2].to_vec(),
        flipped,
    ] {
        std::fs::write(&file, &bad).unwrap();
        project.build().assert_ok();
        assert_eq!(
            snapshot(&project.out()),
            cold,
            "a corrupt cache changed the site"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            first,
            "the cache was not rewritten"
        );
    }
    // An edited block misses and is highlighted afresh; the file keeps only what is used.
    let note = project.path().join("content/essays/vault-note.md");
    let text = std::fs::read_to_string(&note).unwrap();
    assert!(text.contains("return sum(xs) / len(xs)"));
    std::fs::write(
        &note,
        text.replace("return sum(xs) / len(xs)", "return max(xs)"),
    )
    .unwrap();
    project.build().assert_ok();
    let page = project.page("/essays/vault-note/");
    assert!(page.texts("pre.highlight code")[0].contains("return max(xs)"));
    assert!(!page.select("pre.highlight .hl-support").is_empty());
    let after = std::fs::read(&file).unwrap();
    assert_ne!(after, first);
    // The entry count (after the 16-byte magic and the 8-byte salt) is the same: the old
    // block's entry was dropped for the new one.
    assert_eq!(after[24..32], first[24..32], "the old entry was pruned");
}
