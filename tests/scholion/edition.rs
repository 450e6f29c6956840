//! The print edition and the EPUB (#22): the whole bundled reader in reading order, every
//! cross-reference, citation and note resolving inside the edition, and the EPUB a valid zip
//! that `epubcheck` passes with no errors and no warnings.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use scraper::Html;

use crate::support::*;

/// The essays' titles in reading order, as the home page lists them.
fn reading_order(p: &Project) -> Vec<String> {
    let titles = p.page("/").texts(".essay-card h3 a");
    assert!(titles.len() >= 6, "{titles:?}");
    titles
}

/// The number of endnotes of each essay's web page, in reading order.
fn web_notes(p: &Project) -> Vec<usize> {
    p.page("/")
        .attrs(".essay-card h3 a", "href")
        .iter()
        .map(|url| p.page(url).select(".endnotes li").len())
        .collect()
}

#[test]
fn print_edition_is_the_whole_reader_in_order_with_links_inside_the_page() {
    let p = Project::bundled();
    p.build().assert_ok();
    let titles = reading_order(&p);
    let page = p.page("/print/");

    // The essays in reading order, each numbered, after the introduction.
    let chapters = page.texts(
        ".print-chapter:not(.print-intro, .print-bibliography, .print-glossary) .chapter-title",
    );
    let expected: Vec<String> = titles
        .iter()
        .enumerate()
        .map(|(n, t)| format!("{} {t}", n + 1))
        .collect();
    assert_eq!(chapters, expected);
    assert_eq!(page.select(".print-intro").len(), 1, "the home page's text");
    let entries = page.select(".print-bibliography li").len();
    assert!(entries >= 40, "{entries} bibliography entries");
    let terms = page.select(".print-glossary dt").len();
    assert!(terms >= 30, "{terms} glossary terms");

    // Ids are unique on the page, and every fragment link lands on one.
    let ids: Vec<String> = page.attrs("[id]", "id");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids on /print/");
    let links = page.attrs(".print-edition a[href]", "href");
    let mut fragments = 0;
    for href in &links {
        if let Some(id) = href.strip_prefix('#') {
            assert!(unique.contains(&id.to_string()), "#{id} is not on the page");
            fragments += 1;
        } else {
            // Nothing inside the edition leads to the website's pages: only external links
            // (printed with their URL) and the EPUB download.
            assert!(
                href.starts_with("http") || href.ends_with(".epub"),
                "{href} leaves the print edition"
            );
        }
    }
    assert!(fragments > 500, "{fragments} in-page links");
    // Cross-references and citations of the essays all lead into the page.
    let xrefs = page.attrs(".print-chapter a.xref, .print-chapter a.cite", "href");
    assert!(xrefs.len() > 300, "{}", xrefs.len());
    assert!(xrefs.iter().all(|h| h.starts_with('#')));

    // Each essay's notes, as endnotes after it: as many as on its web page, no sidenotes.
    let notes: Vec<usize> = page
        .select(".print-chapter:not(.print-intro, .print-bibliography, .print-glossary)")
        .iter()
        .map(|c| {
            let sel = scraper::Selector::parse(".endnotes li").unwrap();
            c.select(&sel).count()
        })
        .collect();
    assert_eq!(notes, web_notes(&p));
    assert!(page.select(".print-edition .sidenote").is_empty());
    // Not in the sitemap (it repeats the essays), but linked from every page's footer.
    let sitemap = std::fs::read_to_string(p.out().join("sitemap.xml")).unwrap();
    assert!(!sitemap.contains("/print/"));
    assert_eq!(p.page("/").attrs("a.footer-print", "href"), ["/print/"]);
}

/// The files of a zip archive, by name, in archive order, read from its central directory
/// (a reader of our own: the test does not read the EPUB with the code that wrote it).
struct Zip {
    names: Vec<String>,
    files: BTreeMap<String, Vec<u8>>,
    /// The first entry's local header: name, method, extra field length.
    first: (String, u16, u16),
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn read_zip(bytes: &[u8]) -> Zip {
    let eocd = bytes.len() - 22;
    assert_eq!(u32_at(bytes, eocd), 0x0605_4b50, "end of central directory");
    let count = u16_at(bytes, eocd + 10) as usize;
    let mut at = u32_at(bytes, eocd + 16) as usize;
    let mut names = Vec::new();
    let mut files = BTreeMap::new();
    let mut first = None;
    for _ in 0..count {
        assert_eq!(u32_at(bytes, at), 0x0201_4b50, "central directory entry");
        let method = u16_at(bytes, at + 10);
        let crc = u32_at(bytes, at + 16);
        let size = u32_at(bytes, at + 20) as usize;
        let name_len = u16_at(bytes, at + 28) as usize;
        let extra = u16_at(bytes, at + 30) as usize;
        let comment = u16_at(bytes, at + 32) as usize;
        let offset = u32_at(bytes, at + 42) as usize;
        let name = String::from_utf8(bytes[at + 46..at + 46 + name_len].to_vec()).unwrap();
        at += 46 + name_len + extra + comment;
        assert_eq!(u32_at(bytes, offset), 0x0403_4b50, "local header of {name}");
        let local_name = u16_at(bytes, offset + 26) as usize;
        let local_extra = u16_at(bytes, offset + 28);
        first.get_or_insert((name.clone(), u16_at(bytes, offset + 8), local_extra));
        let start = offset + 30 + local_name + local_extra as usize;
        let data = &bytes[start..start + size];
        let data = match method {
            0 => data.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec(data).expect("inflate"),
            m => panic!("{name}: compression method {m}"),
        };
        assert_eq!(crc32fast::hash(&data), crc, "{name}: CRC");
        names.push(name.clone());
        files.insert(name, data);
    }
    Zip {
        names,
        files,
        first: first.expect("an empty zip"),
    }
}

/// An XML file of the EPUB (pages, package, container, cover) parses as XML.
fn assert_well_formed(name: &str, data: &[u8]) {
    if !(name.ends_with(".xhtml")
        || name.ends_with(".opf")
        || name.ends_with(".xml")
        || name.ends_with(".svg"))
    {
        return;
    }
    let mut reader = quick_xml::Reader::from_reader(data);
    let mut buf = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!("{name} is not well-formed XML: {e}"),
        }
        buf.clear();
    }
    assert_eq!(depth, 0, "{name}: unbalanced");
}

/// The EPUB of a built project (the one `.epub` at the top of the output).
fn epub_of(out: &Path) -> (String, Vec<u8>) {
    let mut found: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "epub"))
        .collect();
    assert_eq!(found.len(), 1, "one EPUB in the output");
    let entry = found.remove(0);
    (
        entry.file_name().to_string_lossy().into_owned(),
        std::fs::read(entry.path()).unwrap(),
    )
}

/// An attribute of every element of a document that has it.
fn all_attrs<'a>(doc: &'a Html, attr: &str) -> Vec<(&'a scraper::node::Element, String)> {
    doc.tree
        .nodes()
        .filter_map(|n| n.value().as_element())
        .filter_map(|e| e.attr(attr).map(|v| (e, v.to_string())))
        .collect()
}

#[test]
fn epub_has_the_reading_order_and_every_note_and_link_resolves_inside_it() {
    let p = Project::bundled();
    p.build().assert_ok();
    let titles = reading_order(&p);
    let (name, bytes) = epub_of(&p.out());
    assert_eq!(name, "Cyber-Sovereignty-An-Annotated-Reader.epub");
    assert_eq!(
        p.page("/").attrs("a.footer-epub", "href"),
        [format!("/{name}")]
    );
    let zip = read_zip(&bytes);

    // OCF: `mimetype` first, stored, no extra field.
    assert_eq!(zip.first, ("mimetype".to_string(), 0, 0));
    assert_eq!(zip.files["mimetype"], b"application/epub+zip");
    assert!(zip.names.contains(&"META-INF/container.xml".to_string()));

    // Every XML file is well-formed.
    for (name, data) in &zip.files {
        assert_well_formed(name, data);
    }

    // The spine: cover (not in the linear order), title page, contents, introduction, the
    // essays in reading order, the bibliography, the glossary.
    let opf = String::from_utf8(zip.files["EPUB/package.opf"].clone()).unwrap();
    let opf_doc = Html::parse_document(&opf);
    let manifest: BTreeMap<String, String> = all_attrs(&opf_doc, "href")
        .into_iter()
        .filter_map(|(e, href)| Some((e.attr("id")?.to_string(), href)))
        .collect();
    let spine: Vec<String> = all_attrs(&opf_doc, "idref")
        .into_iter()
        .map(|(_, id)| manifest[&id].clone())
        .collect();
    let mut expected = vec!["cover.xhtml", "title.xhtml", "nav.xhtml", "intro.xhtml"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    expected.extend((1..=titles.len()).map(|n| format!("e{n}.xhtml")));
    expected.extend(["bibliography.xhtml".into(), "glossary.xhtml".into()]);
    assert_eq!(spine, expected);
    assert!(opf.contains("<itemref idref=\"cover\" linear=\"no\"/>"));
    assert!(opf.contains("properties=\"cover-image\""));
    assert!(
        opf.contains("<meta property=\"dcterms:modified\">2026-11-21T00:00:00Z</meta>"),
        "dated by the newest essay, not the clock"
    );
    let docs: BTreeMap<String, Html> = zip
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".xhtml"))
        .map(|(n, d)| {
            (
                n.trim_start_matches("EPUB/").to_string(),
                Html::parse_document(&String::from_utf8_lossy(d)),
            )
        })
        .collect();
    for (n, title) in titles.iter().enumerate() {
        let doc = &docs[&format!("e{}.xhtml", n + 1)];
        let h1: String = doc
            .select(&scraper::Selector::parse("h1").unwrap())
            .next()
            .map(|h| h.text().collect())
            .unwrap_or_default();
        assert_eq!(h1, format!("{} {title}", n + 1));
    }

    // Every link inside the book lands on a file of it, and on an id in that file.
    let ids: BTreeMap<&String, HashSet<String>> = docs
        .iter()
        .map(|(n, d)| (n, all_attrs(d, "id").into_iter().map(|(_, v)| v).collect()))
        .collect();
    let mut internal = 0;
    for (file, doc) in &docs {
        for attr in ["href", "src"] {
            for (_, link) in all_attrs(doc, attr) {
                if link.starts_with("http:")
                    || link.starts_with("https:")
                    || link.starts_with("mailto:")
                {
                    continue;
                }
                let (target, fragment) = match link.split_once('#') {
                    Some((t, f)) => (if t.is_empty() { file.as_str() } else { t }, Some(f)),
                    None => (link.as_str(), None),
                };
                assert!(
                    zip.files.contains_key(&format!("EPUB/{target}")),
                    "{file}: {link} names no file of the EPUB"
                );
                if let Some(f) = fragment {
                    assert!(
                        ids.get(&target.to_string())
                            .is_some_and(|set| set.contains(f)),
                        "{file}: {link} names no id"
                    );
                }
                internal += 1;
            }
        }
    }
    assert!(internal > 800, "{internal} links inside the EPUB");

    // Notes: each reference an `epub:type="noteref"` to an `epub:type="footnote"` aside in
    // its chapter; as many as the essay's web page has.
    let mut counts = Vec::new();
    for n in 1..=titles.len() {
        let file = format!("e{n}.xhtml");
        let doc = &docs[&file];
        let footnotes: HashSet<String> = all_attrs(doc, "epub:type")
            .into_iter()
            .filter(|(e, t)| t == "footnote" && e.name() == "aside")
            .filter_map(|(e, _)| e.attr("id").map(String::from))
            .collect();
        for (e, _) in all_attrs(doc, "epub:type")
            .into_iter()
            .filter(|(_, t)| t == "noteref")
        {
            let href = e.attr("href").unwrap_or_default();
            let id = href.trim_start_matches('#');
            assert!(
                footnotes.contains(id),
                "{file}: noteref {href} has no footnote"
            );
        }
        counts.push(footnotes.len());
    }
    assert_eq!(counts, web_notes(&p));
}

#[test]
fn epubcheck_finds_no_errors_or_warnings_in_the_bundled_readers_epub() {
    let jar = Path::new("/usr/bin/epubcheck");
    assert!(
        jar.exists(),
        "epubcheck is not installed: `apt-get install epubcheck` (scripts/test.sh installs it)"
    );
    let p = Project::bundled();
    p.build().assert_ok();
    let (name, _) = epub_of(&p.out());
    // The Debian package's /usr/bin/epubcheck is the jar itself.
    let output = std::process::Command::new("java")
        .arg("-jar")
        .arg(jar)
        .arg(p.out().join(&name))
        .output()
        .expect("run java");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "epubcheck failed:\n{text}");
    assert!(
        text.contains("0 fatals / 0 errors / 0 warnings"),
        "epubcheck:\n{text}"
    );
}

#[test]
fn editions_false_writes_neither_edition_nor_links_to_them() {
    let p = Project::new();
    p.write(
        "book.toml",
        "[book]\ntitle = \"Small\"\n[build]\nbase-url = \"/\"\neditions = false\n",
    );
    p.essay("one", "title: One", "Text.\n");
    p.build().assert_ok();
    assert!(!p.out().join("print").exists());
    assert!(!p.out().join("Small.epub").exists());
    let home = p.page("/");
    assert!(home.select("a.footer-print, a.footer-epub").is_empty());

    // On (the default): both, named after the title.
    p.write(
        "book.toml",
        "[book]\ntitle = \"Small\"\n[build]\nbase-url = \"/\"\n",
    );
    p.build().assert_ok();
    assert!(p.out().join("print/index.html").exists());
    assert!(p.out().join("Small.epub").exists());
}

/// A valid 1×1 PNG (one red pixel).
fn tiny_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        out.extend_from_slice(&typed);
        out.extend_from_slice(&crc32fast::hash(&typed).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    let pixels = miniz_oxide::deflate::compress_to_vec_zlib(&[0, 255, 0, 0], 6);
    chunk(&mut out, b"IDAT", &pixels);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn cover_from_book_toml_goes_into_the_epub_and_a_bad_one_is_an_error_at_its_line() {
    let p = Project::new();
    let book =
        "[book]\ntitle = \"Covered\"\ncover = \"art/cover.png\"\n[build]\nbase-url = \"/\"\n";
    p.write("book.toml", book);
    p.essay("one", "title: One", "Text.\n");
    let png = tiny_png();
    std::fs::create_dir_all(p.path().join("art")).unwrap();
    std::fs::write(p.path().join("art/cover.png"), &png).unwrap();
    p.build().assert_ok();
    let (_, bytes) = epub_of(&p.out());
    let zip = read_zip(&bytes);
    assert_eq!(zip.files["EPUB/cover.png"], png);
    assert!(!zip.files.contains_key("EPUB/cover.svg"));
    let opf = String::from_utf8(zip.files["EPUB/package.opf"].clone()).unwrap();
    assert!(
        opf.contains("href=\"cover.png\" media-type=\"image/png\" properties=\"cover-image\""),
        "{opf}"
    );

    // Not an image, and missing: errors at the `cover` line of book.toml.
    std::fs::write(p.path().join("art/cover.png"), "not a picture").unwrap();
    p.build().assert_fails_with(&[
        "the cover `art/cover.png` is not a PNG or JPEG image",
        "book.toml:3:",
    ]);
    std::fs::remove_file(p.path().join("art/cover.png")).unwrap();
    p.build()
        .assert_fails_with(&["cannot read the cover `art/cover.png`", "book.toml:3:"]);

    // Without `cover`, a generated one.
    p.write(
        "book.toml",
        "[book]\ntitle = \"Covered\"\n[build]\nbase-url = \"/\"\n",
    );
    p.build().assert_ok();
    let zip = read_zip(&epub_of(&p.out()).1);
    let svg = String::from_utf8(zip.files["EPUB/cover.svg"].clone()).unwrap();
    assert!(svg.contains(">Covered</text>"), "{svg}");
}

#[test]
fn raw_html_is_text_and_images_are_links_in_the_epub_so_its_pages_stay_xml_and_local() {
    let p = Project::new();
    p.essay(
        "one",
        "title: One",
        "A line<br>broken, <span class=\"x\">never closed.\n\n<div>\nAn open block\n\nText[^n].\n\n[^n]: A note with <b>bold.\n",
    );
    // Images, published by the site or on the web: links in the EPUB (an EPUB may not load
    // remote resources), images on the website.
    p.essay(
        "two",
        "title: Two",
        "A figure:\n\n![A red dot](dot.png)\n\nFrom afar ![remote](https://example.org/x.png) and ![[dot.png]].\n",
    );
    std::fs::write(p.path().join("content/essays/dot.png"), tiny_png()).unwrap();
    p.build().assert_ok();
    let zip = read_zip(&epub_of(&p.out()).1);
    for (name, data) in &zip.files {
        assert_well_formed(name, data);
    }
    let page = String::from_utf8(zip.files["EPUB/e1.xhtml"].clone()).unwrap();
    assert!(page.contains("A line&lt;br&gt;broken"), "{page}");
    let figures = String::from_utf8(zip.files["EPUB/e2.xhtml"].clone()).unwrap();
    assert!(!figures.contains("<img"), "{figures}");
    assert!(
        figures.contains(">A red dot</a>")
            && figures.contains("href=\"https://example.org/x.png\""),
        "{figures}"
    );
    assert!(
        p.page("/essays/two/")
            .text
            .contains("<img src=\"/essays/dot.png\"")
    );
    // The website keeps the HTML as written.
    assert!(p.page("/essays/one/").text.contains("A line<br>broken"));
}

/// The print page is rendered once with a marker for each chapter's body, then written with
/// the bodies put in. A theme template that does anything else with a body (here: prints it
/// twice, once escaped) still gets the page it asks for: the whole book, made in memory.
#[test]
fn a_print_template_that_does_not_print_each_body_once_still_gets_every_body() {
    let p = Project::new();
    p.write(
        "content/index.md",
        "---\ntitle: Home\n---\nThe introduction.\n",
    );
    p.essay(
        "first",
        "title: First\norder: 1",
        "## Part\n\nFirst *body*.\n",
    );
    p.essay("second", "title: Second\norder: 2", "Second body.\n");
    p.build().assert_ok();
    let plain = std::fs::read_to_string(p.out().join("print/index.html")).unwrap();
    assert!(plain.contains("First <em>body</em>."), "{plain}");
    assert!(!plain.contains('\u{E000}'), "a marker is left on the page");
    let template = include_str!("../../themes/default/templates/print.html");
    let body = "{{ c.html | safe }}";
    assert!(template.contains(body));
    p.write(
        "themes/default/templates/print.html",
        &template.replace(body, "{{ c.html | safe }}<pre>{{ c.html }}</pre>"),
    );
    p.build().assert_ok();
    let page = std::fs::read_to_string(p.out().join("print/index.html")).unwrap();
    assert!(!page.contains('\u{E000}'), "a marker is left on the page");
    assert_eq!(page.matches("First <em>body</em>.").count(), 1, "{page}");
    assert_eq!(
        page.matches("First &lt;em&gt;body&lt;&#x2F;em&gt;.")
            .count()
            + page.matches("First &lt;em&gt;body&lt;/em&gt;.").count(),
        1,
        "{page}"
    );
    assert_eq!(page.matches("Second body.").count(), 2, "{page}");
}

/// MathML in the EPUB is in its namespace and its files are declared as holding it, so
/// epubcheck passes a reader with math (the website's HTML needs neither).
#[test]
fn math_in_the_epub_is_mathml_that_epubcheck_passes() {
    let p = Project::new();
    p.write("content/index.md", "---\ntitle: Home\n---\nHello.\n");
    p.essay(
        "sums",
        "title: Sums\norder: 1",
        "The share $s_i = \\frac{x_i}{\\sum_j x_j}$ and\n\n$$\\sum_{j=1}^n s_j = 1$$\n",
    );
    p.essay("plain", "title: Plain\norder: 2", "No math.\n");
    p.build().assert_ok();
    let (name, bytes) = epub_of(&p.out());
    let zip = read_zip(&bytes);
    let chapter = String::from_utf8(zip.files["EPUB/e1.xhtml"].clone()).unwrap();
    assert!(
        chapter.contains("<math xmlns=\"http://www.w3.org/1998/Math/MathML\""),
        "{chapter}"
    );
    let opf = String::from_utf8(zip.files["EPUB/package.opf"].clone()).unwrap();
    assert!(
        opf.contains(
            "href=\"e1.xhtml\" media-type=\"application/xhtml+xml\" properties=\"mathml\""
        ),
        "{opf}"
    );
    assert!(
        opf.contains("href=\"e2.xhtml\" media-type=\"application/xhtml+xml\"/>"),
        "{opf}"
    );
    let output = std::process::Command::new("java")
        .arg("-jar")
        .arg("/usr/bin/epubcheck")
        .arg(p.out().join(&name))
        .output()
        .expect("run java");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("0 fatals / 0 errors / 0 warnings"),
        "epubcheck:\n{text}"
    );
}
