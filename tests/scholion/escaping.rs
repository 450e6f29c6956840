//! Markup in every user field that lands in the output is text, never markup: pages, feed,
//! sitemap and search records hold no tag a user wrote. (`search/text/*.txt` is plain text
//! by design, escaped by the theme's search.js at display time; it is not checked here.)

use std::path::Path;

use scraper::{Html, Selector};

use crate::support::*;

/// Each payload would inject an element if written out unescaped.
const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// One value for a field: a name, then both payloads and an ampersand.
fn hostile(name: &str) -> String {
    format!("{name} {SCRIPT} {IMG} & co")
}

/// A YAML double-quoted string.
fn yaml(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A TOML basic string (the same escapes).
fn toml(text: &str) -> String {
    yaml(text)
}

/// A BibLaTeX field value.
fn bib(text: &str) -> String {
    format!("{{{text}}}")
}

fn hostile_project() -> Project {
    let p = Project::new();
    p.write(
        "book.toml",
        &format!(
            "[book]\ntitle = {}\ndescription = {}\nauthors = [{}]\n\n[build]\nbase-url = \"https://example.org/reader/\"\n",
            toml(&hostile("Book")),
            toml(&hostile("Description")),
            toml(&hostile("Editor")),
        ),
    );
    p.write(
        "content/index.md",
        &format!(
            "---\ntitle: {}\n---\nWelcome; read [[essay]].\n",
            yaml(&hostile("Home"))
        ),
    );
    p.essay(
        "essay",
        &format!(
            "title: {}\nsubtitle: {}\nsummary: {}\nauthors: [{}]\ntags: [{}]\ndate: 2020-01-02\nannotates: src2020",
            yaml(&hostile("Title")),
            yaml(&hostile("Subtitle")),
            yaml(&hostile("Summary")),
            yaml(&hostile("Author")),
            yaml(&hostile("Tag")),
        ),
        "The [[term]] matters [@src2020, p. 3], as @src2020 argues.\n\n## A heading\n\nMore [[term|label]] text.[^n]\n\n[^n]: A note citing [see @src2020].\n",
    );
    p.essay(
        "second",
        &format!("title: {}\nsummary: Plain.", yaml(&hostile("Second"))),
        "Back to [[essay]] and [[term]].\n",
    );
    p.term(
        "term",
        &format!(
            "term: {}\naliases: [{}]\nshort: {}",
            yaml(&hostile("Term")),
            yaml(&hostile("Alias")),
            yaml(&hostile("Short")),
        ),
        "The full definition, citing [@src2020].\n",
    );
    p.write(
        "content/references.bib",
        &format!(
            "@book{{src2020,\n  author = {},\n  title = {},\n  publisher = {},\n  year = {{2020}},\n}}\n",
            bib("Evil, <script>alert(1)</script>"),
            bib(&format!("Source {SCRIPT} {IMG} & co")),
            bib("Press <img src=x onerror=alert(1)>"),
        ),
    );
    p
}

fn text_files(dir: &Path) -> Vec<(String, String)> {
    snapshot(dir)
        .into_iter()
        .map(|(rel, bytes)| {
            (
                rel.to_string_lossy().replace('\\', "/"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

#[test]
fn markup_in_every_field_is_escaped_in_every_output_file() {
    let p = hostile_project();
    p.build().assert_ok();
    let files = text_files(&p.out());
    let scripts = Selector::parse("script").expect("selector");
    let images = Selector::parse("img").expect("selector");
    let any = Selector::parse("*").expect("selector");
    let mut problems = Vec::new();
    let mut seen = [0usize; 4]; // html, xml, json, txt files checked
    for (rel, text) in &files {
        if rel.ends_with(".html") {
            seen[0] += 1;
            let doc = Html::parse_document(text);
            for s in doc.select(&scripts) {
                let body: String = s.text().collect();
                if body.contains("alert(1)") {
                    problems.push(format!("{rel}: an injected <script> element"));
                }
            }
            for img in doc.select(&images) {
                let v = img.value();
                if v.attr("onerror").is_some() || v.attr("src") == Some("x") {
                    problems.push(format!("{rel}: an injected <img> element"));
                }
            }
            for el in doc.select(&any) {
                if el.value().attrs().any(|(name, _)| name.starts_with("on")) {
                    problems.push(format!(
                        "{rel}: an event-handler attribute on <{}>",
                        el.value().name()
                    ));
                }
            }
            if text.contains(SCRIPT) || text.contains("<img src=x") {
                problems.push(format!("{rel}: raw markup in the source"));
            }
        } else if rel.starts_with("search/text/") {
            // Plain text for search excerpts, fetched as text and escaped by search.js
            // (`highlight`) before display; HTML-escaping it here would show `&lt;` there.
            seen[3] += 1;
        } else if rel.ends_with(".xml") || rel.ends_with(".json") {
            let kind = if rel.ends_with(".xml") { 1 } else { 2 };
            seen[kind] += 1;
            for raw in ["<script", "<img", "onerror=alert(1)>"] {
                if text.contains(raw) {
                    let at = text.find(raw).unwrap_or(0);
                    let start = text[..at]
                        .char_indices()
                        .rev()
                        .nth(40)
                        .map_or(0, |(i, _)| i);
                    let context: String = text[start..].chars().take(100).collect();
                    problems.push(format!("{rel}: raw `{raw}` in …{context}…"));
                    break;
                }
            }
        }
    }
    // The fields did reach the output (escaped), so the test tested something.
    let everything: String = files.iter().map(|(_, t)| t.as_str()).collect();
    for name in [
        "Book",
        "Description",
        "Title",
        "Subtitle",
        "Summary",
        "Author",
        "Tag",
        "Term",
        "Alias",
        "Short",
        "Source",
    ] {
        if !everything.contains(&format!("{name} ")) {
            problems.push(format!("the field `{name}` appears in no output file"));
        }
    }
    assert!(
        seen[0] > 5 && seen[1] >= 2 && seen[2] >= 1,
        "too few files checked: {seen:?}"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // And the text reads as written: the payload is visible text of the essay's heading.
    let essay = p.page("/essays/essay/");
    assert_eq!(essay.texts("h1"), vec![hostile("Title")]);
}

/// #16 item 6: a `javascript:` (or `data:`, `vbscript:`) URL from the bibliography or a
/// Markdown link never becomes a live href or src anywhere; each is a located warning.
#[test]
fn stored_xss_through_urls_is_shown_as_text() {
    let p = Project::new();
    p.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n\n[build]\nbase-url = \"/\"\n\n[citations]\nbibliography = [\"refs.bib\", \"more.yaml\"]\n",
    );
    p.write(
        "content/refs.bib",
        "@online{evil,\n  author = {Evil, Eve},\n  title = {Click Me},\n  url = {JaVaScRiPt:alert(document.domain)},\n  year = {2020},\n}\n",
    );
    p.write(
        "content/more.yaml",
        "worse:\n  type: web\n  title: Data Link\n  author: Doe, Jane\n  date: 2021\n  url: \"data:text/html,<script>alert(1)</script>\"\n",
    );
    p.essay(
        "one",
        "title: One",
        "See [@evil] and [@worse]; [a link](vbscript:msgbox) and ![an image]( javascript:alert(2)) \
         and [fine](https://example.org/).\n",
    );
    let run = p.build();
    run.assert_ok();
    let err = run.stderr();
    for fragment in [
        "the `url` of `evil` is not published as a link",
        "the `url` of `worse` is not published as a link",
        "the link `vbscript:msgbox` is not published as a link",
        "content/essays/one.md:4:",
    ] {
        assert!(err.contains(fragment), "expected `{fragment}` in:\n{err}");
    }
    let mut live = Vec::new();
    for (rel, bytes) in snapshot(&p.out()) {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for bad in [
            "href=\"javascript:",
            "href=\"data:",
            "href=\"vbscript:",
            "src=\"javascript:",
            "src=\" javascript:",
        ] {
            // The only `data:` links are the "Cite this" downloads Scholion makes from an
            // essay's record, in the three citation types (never a type a browser runs).
            let made_here = |rest: &str| {
                [
                    "application/x-bibtex;",
                    "application/x-research-info-systems;",
                    "application/vnd.citationstyles.csl+json;",
                ]
                .iter()
                .any(|kind| rest.starts_with(kind))
            };
            if text
                .split(bad)
                .skip(1)
                .any(|rest| !(bad == "href=\"data:" && made_here(rest)))
            {
                live.push(format!("{}: {bad}", rel.display()));
            }
        }
    }
    assert!(live.is_empty(), "{live:?}");
    let essay = p.page("/essays/one/");
    assert!(essay.text.contains("href=\"https://example.org/\""));
    assert!(essay.text.contains("a link") && essay.text.contains("an image"));
}
