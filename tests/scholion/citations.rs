//! Citations: pandoc syntax, CSL styles, source pages, bibliography errors.

use crate::support::*;

fn cite_project(style: &str) -> Project {
    let p = Project::new();
    p.write(
        "book.toml",
        &format!("{BOOK}\n[citations]\nstyle = \"{style}\"\n"),
    );
    p.write("content/references.bib", BIB);
    p.essay(
        "one",
        "title: One\norder: 1\nannotates: lieberthal1992",
        "## Claims\n\nPlain [@lieberthal1992]. Page [@lieberthal1992, p. 33]. Two [@lieberthal1992; @wang2012, pp. 4-5]. Prefix [see @wang2012, ch. 2]. Year only [-@lieberthal1992]. @lieberthal1992 argues. Mail me@lieberthal1992.org.\n",
    );
    p.essay("two", "title: Two\norder: 2", "Only [@freedomhouse2018].\n");
    p.essay("three", "title: Three\norder: 3", "Nothing cited.\n");
    p
}

#[test]
fn chicago_author_date_forms() {
    let p = cite_project("chicago-author-date");
    p.build().assert_ok();
    let one = p.page("/essays/one/");
    let cites = one.texts(".essay-body .citation");
    assert_eq!(
        cites,
        vec![
            "(Lieberthal 1992)",
            "(Lieberthal 1992, 33)",
            "(Lieberthal 1992; Wang 2012, 4–5)",
            "(see Wang 2012, chap. 2)",
            "(1992)",
            "Lieberthal (1992)",
        ]
    );
    assert!(one.text.contains("me@lieberthal1992.org"));
    assert_eq!(
        one.attrs(".essay-body a.cite", "href")[0],
        "/citations/lieberthal1992/"
    );
    assert_eq!(one.select(".references li").len(), 2);
}

#[test]
fn apa_forms() {
    let p = cite_project("apa");
    p.build().assert_ok();
    let cites = p.page("/essays/one/").texts(".essay-body .citation");
    assert_eq!(cites[0], "(Lieberthal, 1992)");
    assert_eq!(cites[1], "(Lieberthal, 1992, p. 33)");
    assert_eq!(cites[2], "(Lieberthal, 1992; Wang, 2012, pp. 4–5)");
    assert_eq!(cites[5], "Lieberthal (1992)");
}

#[test]
fn source_pages_list_exactly_the_citing_essays() {
    let p = cite_project("chicago-author-date");
    p.build().assert_ok();
    let l = p.page("/citations/lieberthal1992/");
    assert_eq!(l.texts(".uses-section .use-doc"), vec!["One"]);
    assert_eq!(l.select(".uses-section .use").len(), 5);
    assert_eq!(l.texts(".uses-section .use-locator"), vec!["(p. 33)"]);
    assert_eq!(l.texts(".annotated-by a"), vec!["One"]);
    let f = p.page("/citations/freedomhouse2018/");
    assert_eq!(f.texts(".uses-section .use-doc"), vec!["Two"]);
    assert_eq!(
        f.attrs(".source-url a", "href"),
        vec!["https://freedomhouse.org/report/freedom-net-methodology"]
    );
    let w = p.page("/citations/wang2012/");
    assert_eq!(
        w.attrs(".source-url a", "href"),
        vec!["https://doi.org/10.1093/idpl/ips023"]
    );
    let all = p.page("/citations/");
    assert_eq!(all.select(".bibliography li").len(), 3);
}

#[test]
fn uncited_sources_warn() {
    let p = cite_project("chicago-author-date");
    p.essay("two", "title: Two", "Nothing.\n");
    let run = p.build();
    run.assert_ok();
    assert!(
        run.stderr().contains("`freedomhouse2018` is never cited"),
        "{}",
        run.stderr()
    );
    assert!(
        p.page("/citations/freedomhouse2018/")
            .select(".use")
            .is_empty()
    );
}

#[test]
fn unknown_key_has_a_hint() {
    let p = cite_project("chicago-author-date");
    p.essay(
        "three",
        "title: Three",
        "As argued [@lieberthal1993, p. 2].\n",
    );
    p.run(&["check", "."]).assert_fails_with(&[
        "unknown citation key `lieberthal1993`",
        "content/essays/three.md:4:12",
        "did you mean `lieberthal1992`?",
    ]);
}

#[test]
fn bibliography_and_style_errors() {
    let p = cite_project("chicago-author-date");
    p.write(
        "content/references.bib",
        "@book{broken,\n  title = {Unclosed,\n  year = 1992\n",
    );
    p.run(&["check", "."])
        .assert_fails_with(&["malformed bibliography", "content/references.bib:"]);
    let p = cite_project("chicago-author-date");
    p.write(
        "book.toml",
        &format!("{BOOK}\n[citations]\nbibliography = [\"missing.bib\"]\n"),
    );
    p.run(&["check", "."]).assert_fails_with(&[
        "bibliography file `content/missing.bib` not found",
        "book.toml:8:",
    ]);
    let p = cite_project("chicago-author-dat");
    p.run(&["check", "."]).assert_fails_with(&[
        "unknown citation style `chicago-author-dat`",
        "did you mean `chicago-author-date`?",
    ]);
}

#[test]
fn bibtex_accents_corporate_authors_and_yaml() {
    let p = Project::new();
    p.write(
        "content/references.bib",
        "@incollection{mueller2001,\n  author = {M{\\\"u}ller, J{\\\"o}rg and {\\'E}mile Durand},\n  editor = {Smith, Ann},\n  title = {Networks \\& States},\n  booktitle = {The {Internet} Reader},\n  publisher = {Polity},\n  year = {2001},\n  pages = {10--20},\n}\n",
    );
    p.write("content/more.yaml", "itu2015:\n  type: report\n  title: Measuring the Information Society\n  author: International Telecommunication Union\n  date: 2015\n");
    p.write(
        "book.toml",
        &format!("{BOOK}\n[citations]\nbibliography = [\"references.bib\", \"more.yaml\"]\n"),
    );
    p.essay(
        "one",
        "title: One",
        "See [@mueller2001, p. 12] and [@itu2015].\n",
    );
    p.build().assert_ok();
    let page = p.page("/citations/mueller2001/");
    let entry = page.texts(".entry").join(" ");
    assert!(
        entry.contains("Müller") && entry.contains("Émile") && entry.contains("Networks & States"),
        "{entry}"
    );
    let one = p.page("/essays/one/");
    assert_eq!(
        one.texts(".essay-body .citation")[0],
        "(Müller and Durand 2001, 12)"
    );
}

#[test]
fn note_styles_render_citations_as_numbered_notes() {
    let p = Project::new();
    p.write(
        "book.toml",
        &format!("{BOOK}\n[citations]\nstyle = \"chicago-notes\"\n"),
    );
    p.write("content/references.bib", BIB);
    p.essay(
        "a",
        "title: A",
        "Claim [@lieberthal1992, p. 33]. Two [see @wang2012; @freedomhouse2018] and an aside.[^n]\n\n[^n]: An aside.\n",
    );
    p.build().assert_ok();
    let page = p.page("/essays/a/");
    assert!(
        page.select(".essay-body .citation").is_empty(),
        "no in-text citations in a note style"
    );
    assert_eq!(page.texts(".note-ref a"), vec!["1", "2", "3"]);
    let notes = page.texts(".endnotes li p");
    assert_eq!(notes.len(), 3);
    // The first note of a work is its full form (the second would be short).
    assert!(
        notes[0].starts_with("Kenneth Lieberthal, Bureaucracy") && notes[0].ends_with(", 33."),
        "{}",
        notes[0]
    );
    // A note starts with a capital, as a sentence does.
    assert!(
        notes[1].starts_with("See Zhizheng Wang") && notes[1].contains("; Freedom House"),
        "{}",
        notes[1]
    );
    assert_eq!(notes[2], "An aside.");
    assert_eq!(
        page.attrs("#sidenote_1 a.cite", "href"),
        vec!["/citations/lieberthal1992/"]
    );
    assert_eq!(page.attrs("#sidenote_1 a.cite", "id"), vec!["use_0"]);
}

/// The on-disk cache of formatted citations: a warm build is byte-identical to a cold one
/// and to one without the cache, and an edited entry is formatted afresh.
#[test]
fn format_cache_is_invisible_in_the_output() {
    let p = cite_project("chicago-author-date");
    let cache = p.path().join(".cache-for-tests");
    p.build().assert_ok();
    let cold = snapshot(&p.out());
    let files: Vec<_> = std::fs::read_dir(&cache)
        .expect("the build wrote its cache")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(files.len(), 1, "one cache file per project");
    let cache_file = files[0].path();
    let first = std::fs::read(&cache_file).unwrap();
    p.build().assert_ok();
    assert_eq!(
        snapshot(&p.out()),
        cold,
        "warm build differs from the cold one"
    );
    assert_eq!(
        std::fs::read(&cache_file).unwrap(),
        first,
        "a warm build with nothing new rewrote the cache"
    );
    // Without the cache: the same bytes.
    let output = scholion()
        .args(["build", ".", "--out", "uncached"])
        .current_dir(p.path())
        .env("SCHOLION_CACHE_DIR", "")
        .output()
        .unwrap();
    assert!(output.status.success());
    let mut uncached = snapshot(&p.path().join("uncached"));
    let mut cached = cold.clone();
    // The folders differ only in their names; compare contents.
    uncached.retain(|k, _| !k.starts_with(".scholion-output"));
    cached.retain(|k, _| !k.starts_with(".scholion-output"));
    assert_eq!(uncached, cached, "cached output differs from uncached");

    // Edit an entry: its new year shows, in the text and the bibliography.
    p.write(
        "content/references.bib",
        &BIB.replace("year = {1992}", "year = {1993}"),
    );
    p.build().assert_ok();
    let one = p.page("/essays/one/");
    assert_eq!(one.texts(".essay-body .citation")[0], "(Lieberthal 1993)");
    assert!(
        one.texts(".references li")
            .iter()
            .any(|t| t.contains("1993")),
        "{:?}",
        one.texts(".references li")
    );

    // A corrupt cache file is an empty cache, not an error.
    std::fs::write(&cache_file, b"{ not json").unwrap();
    p.build().assert_ok();
    assert_eq!(
        p.page("/essays/one/").texts(".essay-body .citation")[0],
        "(Lieberthal 1993)"
    );
}

/// The book's `language` selects the CSL locale: its terms in citations and entries, and
/// its locator words in citations (#18).
#[test]
fn german_and_french_readers_render_and_read_their_locale() {
    const EDITED: &str = "@book{hall1997,\n  editor = {Hall, Stuart and Evans, Jessica},\n  title = {Representation},\n  publisher = {Sage},\n  location = {London},\n  date = {1997},\n}\n";
    for (language, body, cites, entry_has) in [
        (
            "de",
            "Text [@hall1997, S. 33]. Mehr [@hall1997, Kap. 2]. Weiter [@hall1997, S. 33-35].\n",
            [
                "(Hall & Evans, 1997, S. 33)",
                "(Hall & Evans, 1997, Kap. 2)",
                "(Hall & Evans, 1997, S. 33–35)",
            ],
            "(Hrsg.)",
        ),
        (
            "fr",
            "Texte [@hall1997, p. 33]. Plus [@hall1997, chap. 2]. Vers [@hall1997, v. 3].\n",
            [
                "(Hall & Evans, 1997, p. 33)",
                "(Hall & Evans, 1997, Chapitre 2)",
                "(Hall & Evans, 1997, Verset 3)",
            ],
            "(éds.)",
        ),
    ] {
        let p = Project::new();
        p.write(
            "book.toml",
            &format!("[book]\ntitle = \"T\"\nlanguage = \"{language}\"\n\n[build]\nbase-url = \"/\"\n\n[citations]\nstyle = \"apa\"\n"),
        );
        p.write("content/references.bib", EDITED);
        p.essay("a", "title: A", body);
        p.build().assert_ok();
        let page = p.page("/essays/a/");
        assert_eq!(page.texts(".essay-body .citation"), cites, "{language}");
        let entries = page.texts(".references li .entry");
        assert!(
            entries[0].contains(entry_has),
            "{language}: the locale's term for editors in {entries:?}"
        );
        // The locator words were read as locators: the source page lists the places.
        let source = p.page("/citations/hall1997/");
        let places = source.texts(".uses-section .use-locator");
        assert!(
            places.len() >= 2,
            "{language}: locators recognised: {places:?}"
        );
    }
}

/// A narrative citation of a key that does not exist but is close to one is a warning with
/// the key it may mean; an e-mail address is never a citation (#18).
#[test]
fn near_miss_narrative_citation_warns_with_did_you_mean() {
    let p = cite_project("chicago-author-date");
    p.essay(
        "three",
        "title: Three\norder: 3",
        "@lieberthal1993 argues. Mail lieberthal1992@example.org or @someone.\n",
    );
    let run = p.build();
    run.assert_ok();
    let err = run.stderr();
    assert!(err.contains("`@lieberthal1993` is not a citation"), "{err}");
    assert!(err.contains("did you mean `lieberthal1992`?"), "{err}");
    assert_eq!(err.matches("is not a citation").count(), 1, "{err}");
}

/// pandoc's syntax: a bracketed citation across a line break, a locator that is a list
/// (`pp. 33, 35-37`), a suffix after it; several works sorted by the style, collapsed;
/// a numeric style numbers by first citation and lists its references in that order.
#[test]
fn pandoc_syntax_and_the_style_s_order_and_numbers() {
    let p = cite_project("apa");
    p.essay(
        "four",
        "title: Four\norder: 4",
        "Across [see\n@wang2012, p. 4]. List [@lieberthal1992, pp. 33, 35-37, and elsewhere]. Sorted [@wang2012; @lieberthal1992].\n",
    );
    p.build().assert_ok();
    let cites = p.page("/essays/four/").texts(".essay-body .citation");
    assert_eq!(
        cites,
        vec![
            "(see Wang, 2012, p. 4)",
            "(Lieberthal, 1992, pp. 33, 35–37, and elsewhere)",
            "(Lieberthal, 1992; Wang, 2012)",
        ]
    );
    let p = cite_project("ieee");
    p.essay(
        "four",
        "title: Four\norder: 4",
        "First [@wang2012]. Then [@lieberthal1992]. Again [@wang2012].\n",
    );
    p.build().assert_ok();
    let page = p.page("/essays/four/");
    assert_eq!(
        page.texts(".essay-body .citation"),
        vec!["[1]", "[2]", "[1]"]
    );
    let refs = page.texts(".references li .entry");
    assert!(refs[0].starts_with("[1] Z. Wang"), "{refs:?}");
    assert!(refs[1].starts_with("[2] K. Lieberthal"), "{refs:?}");
}

/// A Zotero library exported as CSL-JSON (Zotero's own export) and as a Better BibTeX
/// `.bib` gives the same site: citations, references and the bibliography (#18).
#[test]
fn zotero_csl_json_and_better_bibtex_give_the_same_site() {
    let fixture = repo().join("tests/fixtures/zotero");
    let body = "A [@goldsmith2006, 12]. B [@king2013; @zittrain2010, pp. 30-31]. C @freedomhouse2018 says. D [see @li2015; @clark1988]. E [@barlow1996].\n";
    for style in ["apa", "chicago-author-date", "chicago-notes", "ieee"] {
        let build = |file: &str| {
            let p = Project::new();
            p.write(
                "book.toml",
                &format!("{BOOK}\n[citations]\nbibliography = [\"{file}\"]\nstyle = \"{style}\"\n"),
            );
            p.write(
                &format!("content/{file}"),
                &std::fs::read_to_string(fixture.join(file)).unwrap(),
            );
            p.essay("a", "title: A", body);
            p.build().assert_ok();
            let page = p.page("/essays/a/");
            let all = p.page("/citations/");
            (
                page.texts(".essay-body .citation"),
                page.texts(".endnotes li"),
                page.texts(".references li .entry"),
                all.texts(".bibliography li .entry"),
            )
        };
        let json = build("library.json");
        let bib = build("library.bib");
        assert_eq!(json, bib, "{style}: CSL-JSON and BibLaTeX differ");
        assert_eq!(json.3.len(), 7, "{style}");
    }
}

/// A file that is none of the formats is one clear error naming them.
#[test]
fn a_bibliography_in_no_known_format_is_one_clear_error() {
    let p = Project::new();
    p.write(
        "book.toml",
        &format!("{BOOK}\n[citations]\nbibliography = [\"refs.txt\"]\n"),
    );
    p.write("content/refs.txt", "Just some notes about books I read.\n");
    p.essay("a", "title: A", "Text [@x].\n");
    p.build().assert_fails_with(&[
        "is not a bibliography file Scholion reads",
        "CSL-JSON",
        "1 citation was not checked",
    ]);
}
