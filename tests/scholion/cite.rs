//! "Cite this" and reference-manager files (#22): every source's BibTeX re-imports to an
//! equal entry through hayagriva (the library that reads bibliographies), RIS and CSL-JSON
//! are read by pandoc (a reference parser we did not write), and essay pages carry the meta
//! tags Zotero's Embedded Metadata translator and Google Scholar read.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::Project;

/// hayagriva's entries of a BibLaTeX text, by key.
fn entries(text: &str) -> BTreeMap<String, hayagriva::Entry> {
    let library = hayagriva::io::from_biblatex_str(text).expect("the file parses as BibLaTeX");
    library
        .iter()
        .map(|e| (e.key().to_string(), e.clone()))
        .collect()
}

/// The text of a page's "Cite this" download of MIME `kind`: a `data:` URL of that type
/// (essays and sources carry their records in the page, not in three files each).
fn download(page: &crate::support::Page, kind: &str) -> String {
    let href = page.attrs(&format!(".cite-downloads a[type='{kind}']"), "href");
    assert_eq!(href.len(), 1, "one {kind} download");
    let prefix = format!("data:{kind};charset=utf-8,");
    let data = href[0]
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("not a data URL of {kind}: {}", href[0]));
    assert!(
        !data.contains([' ', '\n', '"', '#', '<']),
        "characters a URL may not carry: {data}"
    );
    percent_encoding::percent_decode_str(data)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[test]
fn every_source_s_bibtex_reimports_to_an_equal_entry() {
    let p = Project::bundled();
    p.build().assert_ok();
    let original =
        entries(&std::fs::read_to_string(p.path().join("content/references.bib")).unwrap());
    assert!(original.len() >= 40);
    let mut whole = BTreeMap::new();
    for (key, entry) in &original {
        let page = p.page(&format!("/citations/{key}/"));
        let text = download(&page, "application/x-bibtex");
        let name = page.attrs(".cite-downloads a[type='application/x-bibtex']", "download");
        assert_eq!(name, vec![format!("{key}.bib")]);
        let again = entries(&text);
        assert_eq!(again.len(), 1, "{key}: one entry");
        assert_eq!(
            again.get(key),
            Some(entry),
            "{key} re-imported from:\n{text}"
        );
        // COinS for Zotero's detection.
        let coins = page.attrs("span.Z3988", "title");
        assert_eq!(coins.len(), 1, "{key}");
        assert!(
            coins[0].starts_with("ctx_ver=Z39.88-2004&rft_val_fmt="),
            "{key}"
        );
        whole.insert(key.clone(), entry.clone());
    }
    // The bibliography page offers the whole bibliography, equal too.
    let all = std::fs::read_to_string(p.out().join("citations/bibliography.bib")).unwrap();
    assert_eq!(entries(&all), whole);
    let page = p.page("/citations/");
    assert_eq!(
        page.attrs(".cite-downloads a", "href"),
        vec![
            "/citations/bibliography.bib",
            "/citations/bibliography.ris",
            "/citations/bibliography.json"
        ]
    );
}

/// pandoc (from `pip install pypandoc-binary`), or `None` when it is not installed.
fn pandoc() -> Option<String> {
    Command::new("python3")
        .args(["-c", "import pypandoc; print(pypandoc.get_pandoc_path())"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .or_else(|| {
            Command::new("pandoc")
                .arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| "pandoc".to_string())
        })
}

/// The CSL-JSON pandoc makes of a bibliography file in `from` format.
fn pandoc_csl(pandoc: &str, file: &Path, from: &str) -> serde_json::Value {
    let out = Command::new(pandoc)
        .args(["-f", from, "-t", "csljson"])
        .arg(file)
        .output()
        .expect("run pandoc");
    assert!(
        out.status.success(),
        "pandoc -f {from} {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("pandoc writes JSON")
}

/// What two CSL-JSON items must agree on: id, type, title, names, year, container.
fn essentials(item: &serde_json::Value) -> serde_json::Value {
    let names = |k: &str| -> Vec<String> {
        item[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|n| {
                        // A family name alone is an organisation, as a literal is.
                        n["literal"]
                            .as_str()
                            .or(n["given"]
                                .as_str()
                                .filter(|g| !g.is_empty())
                                .map_or(n["family"].as_str(), |_| None))
                            .map(str::to_string)
                            .unwrap_or_else(|| {
                                format!(
                                    "{}|{}",
                                    n["family"].as_str().unwrap_or(""),
                                    n["given"].as_str().unwrap_or("")
                                )
                            })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // pandoc puts English titles of BibLaTeX into sentence case (as CSL expects): compare
    // titles without case.
    // pandoc's RIS reader also straightens typographic apostrophes, and its BibLaTeX reader
    // turns outer single quotes into double ones: compare quotes as one mark.
    let lower = |v: &serde_json::Value| {
        v.as_str()
            .map(|s| s.to_lowercase().replace(['’', '‘', '“', '”', '"'], "'"))
    };
    serde_json::json!({
        "title": lower(&item["title"]),
        "series": lower(&item["collection-title"]),
        "author": names("author"),
        "year": item["issued"]["date-parts"][0][0].to_string().trim_matches('"'),
        "container": lower(&item["container-title"]),
        "DOI": item["DOI"],
        "URL": item["URL"],
    })
}

#[test]
fn ris_and_csl_json_read_by_pandoc_agree_with_the_bibliography() {
    let Some(pandoc) = pandoc() else {
        panic!("pandoc is needed: pip install pypandoc-binary");
    };
    let p = Project::bundled();
    p.build().assert_ok();
    let out = p.out();
    // pandoc reads our CSL-JSON and our RIS; both must say what pandoc reads in the
    // original .bib.
    let reference = pandoc_csl(
        &pandoc,
        &p.path().join("content/references.bib"),
        "biblatex",
    );
    let by_id = |v: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|i| (i["id"].as_str().unwrap_or("").to_string(), essentials(i)))
            .collect()
    };
    let reference = by_id(&reference);
    assert!(reference.len() >= 40);
    let csl = pandoc_csl(&pandoc, &out.join("citations/bibliography.json"), "csljson");
    let ours = by_id(&csl);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>()
    );
    for (id, item) in &ours {
        assert_eq!(item, &reference[id], "{id}: CSL-JSON through pandoc");
    }
    // RIS has no citation keys: compare in order (the files list the same entries).
    let ris = pandoc_csl(&pandoc, &out.join("citations/bibliography.ris"), "ris");
    let ris: Vec<serde_json::Value> = ris.as_array().unwrap().iter().map(essentials).collect();
    let csl_in_order: Vec<serde_json::Value> =
        csl.as_array().unwrap().iter().map(essentials).collect();
    assert_eq!(ris.len(), csl_in_order.len());
    for (r, c) in ris.iter().zip(&csl_in_order) {
        // pandoc's RIS reader does not read the series (T3).
        let mut c = c.clone();
        c["series"] = serde_json::Value::Null;
        assert_eq!(r, &c, "RIS through pandoc");
    }
    // An essay's download and the reader's own files parse too, with their title.
    let ris_file = p.path().join("framing-the-agenda.ris");
    std::fs::write(
        &ris_file,
        download(
            &p.page("/essays/framing-the-agenda/"),
            "application/x-research-info-systems",
        ),
    )
    .unwrap();
    let essay = pandoc_csl(&pandoc, &ris_file, "ris");
    assert!(
        essay[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Setting the Stage in Wuzhen")
    );
    let reader = pandoc_csl(&pandoc, &out.join("cite.json"), "csljson");
    assert_eq!(reader[0]["title"], "Cyber Sovereignty: An Annotated Reader");
    let reader_bib = pandoc_csl(&pandoc, &out.join("cite.bib"), "biblatex");
    // (pandoc puts a BibLaTeX title into sentence case.)
    assert_eq!(
        reader_bib[0]["title"],
        "Cyber sovereignty: An annotated reader"
    );
}

/// The `<meta>` fields Zotero's Embedded Metadata translator reads from Highwire Press tags
/// (its `HIGHWIRE_MAPPINGS` plus the fields it reads by name) and Dublin Core (`DC.*`,
/// declared with `schema.DC`).
const ZOTERO_HIGHWIRE: &[&str] = &[
    "citation_title",
    "citation_author",
    "citation_publication_date",
    "citation_date",
    "citation_journal_title",
    "citation_book_title",
    "citation_inbook_title",
    "citation_editor",
    "citation_publisher",
    "citation_doi",
    "citation_pdf_url",
    "citation_public_url",
    "citation_fulltext_html_url",
    "citation_abstract_html_url",
    "citation_language",
    "citation_keywords",
    "citation_abstract",
    "citation_isbn",
    "citation_issn",
    "citation_volume",
    "citation_issue",
    "citation_firstpage",
    "citation_lastpage",
];

#[test]
fn essay_meta_tags_carry_what_zotero_and_google_scholar_read() {
    let p = Project::bundled();
    p.write(
        "book.toml",
        &std::fs::read_to_string(p.path().join("book.toml"))
            .unwrap()
            .replace(
                "language = \"en\"",
                "language = \"en\"\npublisher = \"Scholion Press\"\nlicense = \"CC BY 4.0\"\ndoi = \"10.5555/reader\"",
            ),
    );
    let essay = p.path().join("content/essays/framing-the-agenda.md");
    let text = std::fs::read_to_string(&essay).unwrap();
    std::fs::write(
        &essay,
        text.replacen("---\n", "---\ndoi: 10.5555/wuzhen\n", 1),
    )
    .unwrap();
    p.build().assert_ok();
    let page = p.page("/essays/framing-the-agenda/");
    let meta = |name: &str| page.attrs(&format!("meta[name='{name}']"), "content");
    for name in page.attrs("meta[name^='citation_']", "name") {
        assert!(
            ZOTERO_HIGHWIRE.contains(&name.as_str()),
            "{name} is not a field Zotero reads"
        );
    }
    assert_eq!(
        meta("citation_title"),
        [
            "Setting the Stage in Wuzhen: Reading Jessica Ludwig on the 2015 World Internet Conference"
        ]
    );
    assert_eq!(meta("citation_author"), ["Scholion editors"]);
    assert_eq!(meta("citation_publication_date"), ["2026/11/17"]);
    assert_eq!(
        meta("citation_book_title"),
        ["Cyber Sovereignty: An Annotated Reader"]
    );
    assert_eq!(meta("citation_publisher"), ["Scholion Press"]);
    assert_eq!(meta("citation_doi"), ["10.5555/wuzhen"]);
    let url = meta("citation_public_url");
    assert!(
        url.len() == 1 && url[0].ends_with("/essays/framing-the-agenda/"),
        "{url:?}"
    );
    assert_eq!(
        page.attrs("link[rel='schema.DC']", "href"),
        ["http://purl.org/dc/elements/1.1/"]
    );
    assert_eq!(meta("DC.title"), meta("citation_title"));
    assert_eq!(meta("DC.creator"), ["Scholion editors"]);
    assert_eq!(meta("DC.date"), ["2026-11-17"]);
    assert_eq!(meta("DC.publisher"), ["Scholion Press"]);
    assert_eq!(meta("DC.rights"), ["CC BY 4.0"]);
    assert_eq!(meta("DC.identifier"), ["https://doi.org/10.5555/wuzhen"]);
    // Link previews: Open Graph and Twitter card, with the essay's summary.
    let property = |p: &str| page.attrs(&format!("meta[property='{p}']"), "content");
    assert_eq!(property("og:title"), ["Setting the Stage in Wuzhen"]);
    assert_eq!(property("og:type"), ["article"]);
    assert_eq!(property("og:url"), url);
    let summary = property("og:description");
    assert!(
        summary[0].starts_with("An annotated reading of Jessica Ludwig"),
        "{summary:?}"
    );
    assert_eq!(meta("twitter:description"), summary);
    assert_eq!(meta("twitter:card"), ["summary_large_image"]);
    // "Cite this", in the reader's style (Chicago author-date), with its files.
    let cite = page.texts("#cite-this .entry");
    assert_eq!(cite.len(), 1);
    assert!(
        cite[0].starts_with("Scholion editors. 2026. “Setting the Stage in Wuzhen"),
        "{}",
        cite[0]
    );
    assert!(
        cite[0].contains("Scholion Press") && cite[0].contains("https://doi.org/10.5555/wuzhen"),
        "{}",
        cite[0]
    );
    let bib = download(&page, "application/x-bibtex");
    let e = entries(&bib);
    let e = &e["framing-the-agenda"];
    assert_eq!(e.doi(), Some("10.5555/wuzhen"));
    // The reader as a whole, on the home page.
    let home = p.page("/");
    let cite = home.texts("#cite-this .entry");
    assert!(
        cite[0].contains("Cyber Sovereignty: An Annotated Reader")
            && cite[0].contains("10.5555/reader"),
        "{}",
        cite[0]
    );
    assert_eq!(
        home.attrs("meta[name='citation_title']", "content"),
        ["Cyber Sovereignty: An Annotated Reader"]
    );
}
