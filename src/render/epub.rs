//! The EPUB 3 edition: the [`Book`] laid out as XHTML files (a title page, the introduction,
//! one file per essay with its notes as EPUB footnotes, the glossary, the bibliography), a
//! navigation document, a generated SVG cover, and the package document, zipped. Pure: it
//! writes the bytes to the writer the write stage gives it (a file in the staging folder,
//! or memory in `serve`).
//!
//! Deterministic: files in a fixed order, every zip entry dated 1980-01-01 00:00 (the zip
//! format's first date), `dcterms:modified` the newest essay's date (not the clock), the
//! identifier a hash of the reader's title, authors and URL.

use std::fmt::Write as _;
use std::io::Write;

use rayon::prelude::*;

use super::BOOK_BATCH;
use super::book::{self, BIBLIOGRAPHY, Book, Chapter, GLOSSARY, Heading, Layout};
use crate::index::Site;
use crate::markdown::escape;

/// How hard entries are deflated (miniz_oxide's levels 0–10). The 10,000-essay benchmark
/// reader's 157 MB of XHTML: level 6 (zlib's default) 2.17 s of CPU → 37.6 MB; level 2
/// 1.22 s → 40.2 MB (+7 %); level 1 0.78 s → 45.8 MB (+22 %). Level 2: most of the time
/// saved for a few percent of size.
const DEFLATE_LEVEL: u8 = 2;

/// Write the EPUB of the site's reader to `out`, as it is made: the chapters are rendered
/// and deflated in parallel a batch at a time (`BOOK_BATCH`), then written in order, so the
/// memory held is a batch's, not the book's. The navigation document, which lists every
/// chapter's sections, is written last.
pub fn write(site: &Site, out: &mut dyn Write) -> std::io::Result<()> {
    let book = Book::frame(site, Layout::Epub);
    let t = &site.translations;
    let lang = escape(&t.language);
    let dir = t.dir();
    let page = |title: &str, body: &str, kind: &str| -> Vec<u8> {
        let body = mathml(body);
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" lang=\"{lang}\" xml:lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"style.css\"/>\n</head>\n<body epub:type=\"{kind}\">\n{body}</body>\n</html>\n",
            escape(title)
        )
        .into_bytes()
    };
    let bibliography_title = t.str("bibliography");
    let glossary_title = t.str("glossary");
    let chapters: Vec<&Chapter> = book.intro.iter().chain(&book.chapters).collect();
    // Every XHTML file of the reading order after the contents, in order.
    let mut files: Vec<String> = vec!["title.xhtml".into()];
    files.extend(chapters.iter().map(|c| c.file.clone()));
    if !book.bibliography.is_empty() {
        files.push(format!("{BIBLIOGRAPHY}.xhtml"));
    }
    if !book.glossary.is_empty() {
        files.push(format!("{GLOSSARY}.xhtml"));
    }

    // The cover from book.toml, else a generated one.
    let (cover_file, cover_type, cover_bytes) = match &site.cover {
        Some(c) => (
            format!("cover.{}", c.extension),
            c.media_type,
            c.bytes.clone(),
        ),
        None => (
            "cover.svg".into(),
            "image/svg+xml",
            cover(&book).into_bytes(),
        ),
    };
    let cover_page = page(
        &book.title,
        &format!(
            "<section class=\"cover\" epub:type=\"cover\">\n<img src=\"{cover_file}\" alt=\"{}\"/>\n</section>\n",
            escape(&book.title)
        ),
        "cover",
    );

    // The title page.
    let mut title_page = String::from("<section class=\"title-page\" epub:type=\"titlepage\">\n");
    let _ = writeln!(title_page, "<h1>{}</h1>", escape(&book.title));
    if !book.description.is_empty() {
        let _ = writeln!(
            title_page,
            "<p class=\"description\">{}</p>",
            escape(&book.description)
        );
    }
    if !book.authors.is_empty() {
        let _ = writeln!(
            title_page,
            "<p class=\"authors\">{}</p>",
            escape(&book.authors.join(", "))
        );
    }
    for line in [&book.publisher, &book.long_date, &book.license]
        .into_iter()
        .flatten()
    {
        let _ = writeln!(title_page, "<p>{}</p>", escape(line));
    }
    title_page.push_str("</section>\n");

    let mut zip = ZipWriter::new(out);
    zip.stored("mimetype", b"application/epub+zip")?;
    zip.add("META-INF/container.xml", CONTAINER.as_bytes())?;
    zip.add("EPUB/cover.xhtml", &cover_page)?;
    zip.add(&format!("EPUB/{cover_file}"), &cover_bytes)?;
    zip.add("EPUB/style.css", STYLE.as_bytes())?;
    zip.add(
        "EPUB/title.xhtml",
        &page(&book.title, &title_page, "frontmatter"),
    )?;

    let chapter_page = |c: &Chapter, html: &str| -> Vec<u8> {
        let mut body = format!(
            "<section epub:type=\"chapter\" id=\"{}\">\n<header>\n",
            c.id
        );
        let number = c.number.map(|n| format!("{n} ")).unwrap_or_default();
        let _ = writeln!(
            body,
            "<h1 id=\"{}-chapter_title\">{}{}</h1>",
            c.id,
            escape(&number),
            escape(&c.title)
        );
        if let Some(sub) = &c.subtitle {
            let _ = writeln!(body, "<p class=\"subtitle\">{}</p>", escape(sub));
        }
        let byline: Vec<String> = c
            .authors
            .iter()
            .map(|a| escape(a))
            .chain(c.date.iter().map(|d| escape(d)))
            .collect();
        if !byline.is_empty() {
            let _ = writeln!(body, "<p class=\"byline\">{}</p>", byline.join(" · "));
        }
        body.push_str("</header>\n");
        body.push_str(html);
        body.push_str("</section>\n");
        page(&c.title, &body, "bodymatter")
    };
    // The chapters, a batch at a time: rendered and deflated in parallel, written in order;
    // only their contents are kept, for the navigation document.
    let parts = book::parts(site);
    let mut tocs: Vec<Vec<Heading>> = Vec::with_capacity(chapters.len());
    // The files holding MathML (the package document marks them).
    let mut math: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (batch, docs) in parts.chunks(BOOK_BATCH).enumerate() {
        let made: Vec<(Packed, Vec<Heading>, bool)> = docs
            .par_iter()
            .enumerate()
            .map(|(j, &doc)| {
                let c = chapters[batch * BOOK_BATCH + j];
                let rendered = Book::body(site, Layout::Epub, doc);
                let toc = match c.number {
                    Some(n) => {
                        book::toc(n, rendered.toc.into_iter().map(|h| (h.level, h.id, h.text)))
                    }
                    None => Vec::new(),
                };
                let has_math = rendered.html.contains("<math");
                (
                    Packed::deflate(&chapter_page(c, &rendered.html)),
                    toc,
                    has_math,
                )
            })
            .collect();
        for (j, (packed, toc, has_math)) in made.into_iter().enumerate() {
            let c = chapters[batch * BOOK_BATCH + j];
            if has_math {
                math.insert(c.file.clone());
            }
            zip.packed(&format!("EPUB/{}", c.file), &packed)?;
            tocs.push(toc);
        }
    }

    if !book.bibliography.is_empty() {
        let mut body = format!(
            "<section epub:type=\"bibliography\" id=\"{BIBLIOGRAPHY}\">\n<h1>{}</h1>\n<ul>\n",
            escape(bibliography_title)
        );
        for e in &book.bibliography {
            let _ = writeln!(
                body,
                "<li id=\"{}\" epub:type=\"biblioentry\">{}</li>",
                e.id, e.html
            );
        }
        body.push_str("</ul>\n</section>\n");
        if body.contains("<math") {
            math.insert(format!("{BIBLIOGRAPHY}.xhtml"));
        }
        zip.add(
            &format!("EPUB/{BIBLIOGRAPHY}.xhtml"),
            &page(bibliography_title, &body, "backmatter"),
        )?;
    }

    if !book.glossary.is_empty() {
        let mut body = format!(
            "<section epub:type=\"glossary\" id=\"{GLOSSARY}\">\n<h1>{}</h1>\n<dl>\n",
            escape(glossary_title)
        );
        for e in &book.glossary {
            let original = match (&e.original, &e.original_lang) {
                (Some(o), Some(l)) => format!(
                    " <span lang=\"{l}\" xml:lang=\"{l}\">{}</span>",
                    escape(o),
                    l = escape(l)
                ),
                (Some(o), None) => format!(" <span>{}</span>", escape(o)),
                _ => String::new(),
            };
            let _ = writeln!(
                body,
                "<dt id=\"{id}\" epub:type=\"glossterm\"><span id=\"{id}-chapter_title\">{}</span>{original}</dt>\n<dd epub:type=\"glossdef\">{}</dd>",
                escape(&e.name),
                e.html,
                id = e.id,
            );
        }
        body.push_str("</dl>\n</section>\n");
        if body.contains("<math") {
            math.insert(format!("{GLOSSARY}.xhtml"));
        }
        zip.add(
            &format!("EPUB/{GLOSSARY}.xhtml"),
            &page(glossary_title, &body, "backmatter"),
        )?;
    }

    // The package document: metadata, every file, the reading order (written after the
    // chapters: it says which hold MathML).
    let modified = format!("{}T00:00:00Z", book.date.as_deref().unwrap_or("2000-01-01"));
    let identifier = identifier(site, &book);
    let mut opf = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"book-id\" xml:lang=\"{lang}\">\n<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<dc:identifier id=\"book-id\">{}</dc:identifier>\n<dc:title>{}</dc:title>\n<dc:language>{lang}</dc:language>\n<meta property=\"dcterms:modified\">{modified}</meta>\n",
        escape(&identifier),
        escape(&book.title)
    );
    for a in &book.authors {
        let _ = writeln!(opf, "<dc:creator>{}</dc:creator>", escape(a));
    }
    if !book.description.is_empty() {
        let _ = writeln!(
            opf,
            "<dc:description>{}</dc:description>",
            escape(&book.description)
        );
    }
    if let Some(p) = &book.publisher {
        let _ = writeln!(opf, "<dc:publisher>{}</dc:publisher>", escape(p));
    }
    if let Some(l) = &book.license {
        let _ = writeln!(opf, "<dc:rights>{}</dc:rights>", escape(l));
    }
    if let Some(d) = &book.date {
        let _ = writeln!(opf, "<dc:date>{d}</dc:date>");
    }
    opf.push_str("<meta name=\"cover\" content=\"cover-image\"/>\n</metadata>\n<manifest>\n");
    opf.push_str("<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n");
    let _ = writeln!(
        opf,
        "<item id=\"cover-image\" href=\"{cover_file}\" media-type=\"{cover_type}\" properties=\"cover-image\"/>"
    );
    opf.push_str(
        "<item id=\"cover\" href=\"cover.xhtml\" media-type=\"application/xhtml+xml\"/>\n",
    );
    opf.push_str("<item id=\"style\" href=\"style.css\" media-type=\"text/css\"/>\n");
    // The reading order: the title page, the contents, the chapters, glossary, bibliography
    // (the cover is shown by reading systems on their own, outside the linear order).
    let mut spine = format!(
        "<spine page-progression-direction=\"{dir}\">\n<itemref idref=\"cover\" linear=\"no\"/>\n<itemref idref=\"x-title\"/>\n<itemref idref=\"nav\"/>\n",
    );
    for file in &files {
        let id = file.trim_end_matches(".xhtml");
        // A file with MathML must say so (epubcheck OPF-014).
        let properties = if math.contains(file) {
            " properties=\"mathml\""
        } else {
            ""
        };
        let _ = writeln!(
            opf,
            "<item id=\"x-{id}\" href=\"{file}\" media-type=\"application/xhtml+xml\"{properties}/>"
        );
        if id != "title" {
            let _ = writeln!(spine, "<itemref idref=\"x-{id}\"/>");
        }
    }
    opf.push_str("</manifest>\n");
    opf.push_str(&spine);
    opf.push_str("</spine>\n</package>\n");

    zip.add("EPUB/package.opf", opf.as_bytes())?;
    drop(opf);

    // The navigation document: every part, and each essay's sections.
    let mut nav = format!(
        "<nav epub:type=\"toc\" id=\"toc\">\n<h1>{}</h1>\n<ol>\n",
        escape(t.str("contents"))
    );
    let _ = writeln!(
        nav,
        "<li><a href=\"title.xhtml\">{}</a></li>",
        escape(&book.title)
    );
    for (c, toc) in chapters.iter().zip(&tocs) {
        let number = c.number.map(|n| format!("{n} ")).unwrap_or_default();
        let _ = write!(
            nav,
            "<li><a href=\"{}\">{}{}</a>",
            c.file,
            escape(&number),
            escape(&c.title)
        );
        if !toc.is_empty() {
            nav.push_str("\n<ol>\n");
            for h in toc {
                let _ = writeln!(
                    nav,
                    "<li><a href=\"{}#{}\">{} {}</a></li>",
                    c.file,
                    h.id,
                    escape(&h.number),
                    escape(&h.text)
                );
            }
            nav.push_str("</ol>\n");
        }
        nav.push_str("</li>\n");
    }
    if !book.bibliography.is_empty() {
        let _ = writeln!(
            nav,
            "<li><a href=\"{BIBLIOGRAPHY}.xhtml\">{}</a></li>",
            escape(bibliography_title)
        );
    }
    if !book.glossary.is_empty() {
        let _ = writeln!(
            nav,
            "<li><a href=\"{GLOSSARY}.xhtml\">{}</a></li>",
            escape(glossary_title)
        );
    }
    nav.push_str("</ol>\n</nav>\n<nav epub:type=\"landmarks\" hidden=\"hidden\">\n<ol>\n");
    if let Some(c) = chapters.first() {
        let _ = writeln!(
            nav,
            "<li><a epub:type=\"bodymatter\" href=\"{}\">{}</a></li>",
            c.file,
            escape(&c.title)
        );
    }
    let _ = writeln!(
        nav,
        "<li><a epub:type=\"toc\" href=\"nav.xhtml\">{}</a></li>",
        escape(t.str("contents"))
    );
    nav.push_str("</ol>\n</nav>\n");
    zip.add(
        "EPUB/nav.xhtml",
        &page(t.str("contents"), &nav, "frontmatter"),
    )?;
    zip.finish()
}

/// MathML in the MathML namespace: the website's HTML parser puts a `<math>` there on its
/// own; an EPUB's XHTML needs it said (epubcheck RSC-005). Raw HTML is text in the EPUB
/// (escaped), so every `<math` here is an element the math renderer made.
fn mathml(body: &str) -> std::borrow::Cow<'_, str> {
    if !body.contains("<math") {
        return std::borrow::Cow::Borrowed(body);
    }
    // (`<math>` or `<math display="block">`: no other element's name starts with `math`.)
    std::borrow::Cow::Owned(body.replace(
        "<math",
        "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"",
    ))
}

/// A stable identifier: the reader's DOI, else a UUID-shaped hash of its title, authors and
/// URL (the same reader gets the same identifier in every build).
fn identifier(site: &Site, book: &Book) -> String {
    if let Some(doi) = &site.config.book.doi {
        return format!("urn:doi:{doi}");
    }
    let seed = format!(
        "{}\n{}\n{}",
        book.title,
        book.authors.join("\n"),
        site.config.site_url()
    );
    let h = xxhash_rust::xxh3::xxh3_128(seed.as_bytes()).to_be_bytes();
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-8{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The generated cover: the title in large type over a plain field, the authors below, as
/// SVG (text wrapped at word boundaries by a character count; no font metrics needed).
fn cover(book: &Book) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in book.title.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 18 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let mut svg = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 600 900\" width=\"600\" height=\"900\">\n<rect width=\"600\" height=\"900\" fill=\"#1f2a44\"/>\n<rect x=\"40\" y=\"40\" width=\"520\" height=\"820\" fill=\"none\" stroke=\"#d9c48c\" stroke-width=\"3\"/>\n",
    );
    for (n, l) in lines.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"300\" y=\"{}\" text-anchor=\"middle\" font-family=\"Georgia, serif\" font-size=\"44\" fill=\"#ffffff\">{}</text>",
            260 + n * 58,
            escape(l)
        );
    }
    if !book.authors.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"300\" y=\"780\" text-anchor=\"middle\" font-family=\"Georgia, serif\" font-size=\"26\" fill=\"#d9c48c\">{}</text>",
            escape(&book.authors.join(", "))
        );
    }
    svg.push_str("</svg>\n");
    svg
}

const CONTAINER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n<rootfiles>\n<rootfile full-path=\"EPUB/package.opf\" media-type=\"application/oebps-package+xml\"/>\n</rootfiles>\n</container>\n";

const STYLE: &str = "body { font-family: serif; line-height: 1.5; }
h1 { font-size: 1.6em; line-height: 1.2; page-break-after: avoid; }
h2, h3 { page-break-after: avoid; }
.subtitle { font-style: italic; margin-top: 0; }
.byline { color: #555; }
.title-page { text-align: center; margin-top: 20%; }
.cover { text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
sup.note-ref { line-height: 0; }
aside { font-size: 0.9em; margin: 0.5em 0; }
.note-number { float: left; margin: 0 0.5em 0 0; }
dt { font-weight: bold; margin-top: 1em; }
dd { margin-left: 1.5em; }
ul { padding-left: 1.5em; }
li { margin-bottom: 0.4em; }
.table-wrap { overflow-x: auto; }
";

/// An entry's bytes as stored in the zip: deflated, with the original's CRC and length.
struct Packed {
    body: Vec<u8>,
    crc: u32,
    len: usize,
}

impl Packed {
    fn deflate(data: &[u8]) -> Packed {
        Packed {
            body: miniz_oxide::deflate::compress_to_vec(data, DEFLATE_LEVEL),
            crc: crc32fast::hash(data),
            len: data.len(),
        }
    }
}

/// A zip archive written as its entries come, in order: the first (`mimetype`) stored, the
/// rest deflated; every entry dated 1980-01-01 00:00, no extra fields, so the bytes depend
/// on the content alone. Only the central directory (~50 bytes an entry) is held until the
/// end. Sizes and offsets are 32-bit (no ZIP64): a reader's EPUB stays far below 4 GiB.
struct ZipWriter<'w> {
    out: &'w mut dyn Write,
    offset: usize,
    central: Vec<u8>,
    count: usize,
}

const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1; // 1980-01-01

fn u16le(v: &mut Vec<u8>, n: u16) {
    v.extend_from_slice(&n.to_le_bytes());
}

fn u32le(v: &mut Vec<u8>, n: u32) {
    v.extend_from_slice(&n.to_le_bytes());
}

fn n32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'w> ZipWriter<'w> {
    fn new(out: &'w mut dyn Write) -> ZipWriter<'w> {
        ZipWriter {
            out,
            offset: 0,
            central: Vec::new(),
            count: 0,
        }
    }

    /// An entry stored as it is (the `mimetype`, which readers find at a fixed offset).
    fn stored(&mut self, name: &str, data: &[u8]) -> std::io::Result<()> {
        let packed = Packed {
            body: data.to_vec(),
            crc: crc32fast::hash(data),
            len: data.len(),
        };
        self.entry(name, &packed, 0)
    }

    /// An entry deflated here.
    fn add(&mut self, name: &str, data: &[u8]) -> std::io::Result<()> {
        self.packed(name, &Packed::deflate(data))
    }

    /// An entry deflated already.
    fn packed(&mut self, name: &str, packed: &Packed) -> std::io::Result<()> {
        self.entry(name, packed, 8)
    }

    fn entry(&mut self, name: &str, packed: &Packed, method: u16) -> std::io::Result<()> {
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let mut header = Vec::with_capacity(30 + name.len());
        // Local file header.
        u32le(&mut header, 0x0403_4b50);
        u16le(&mut header, 20);
        u16le(&mut header, 0); // flags: none (the names are ASCII)
        u16le(&mut header, method);
        u16le(&mut header, DOS_TIME);
        u16le(&mut header, DOS_DATE);
        u32le(&mut header, packed.crc);
        u32le(&mut header, n32(packed.body.len()));
        u32le(&mut header, n32(packed.len));
        u16le(&mut header, name_len);
        u16le(&mut header, 0);
        header.extend_from_slice(name.as_bytes());
        // Its central directory record.
        let central = &mut self.central;
        u32le(central, 0x0201_4b50);
        u16le(central, 20);
        u16le(central, 20);
        u16le(central, 0);
        u16le(central, method);
        u16le(central, DOS_TIME);
        u16le(central, DOS_DATE);
        u32le(central, packed.crc);
        u32le(central, n32(packed.body.len()));
        u32le(central, n32(packed.len));
        u16le(central, name_len);
        u16le(central, 0); // extra
        u16le(central, 0); // comment
        u16le(central, 0); // disk
        u16le(central, 0); // internal attributes
        u32le(central, 0); // external attributes
        u32le(central, n32(self.offset));
        central.extend_from_slice(name.as_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(&packed.body)?;
        self.offset += header.len() + packed.body.len();
        self.count += 1;
        Ok(())
    }

    /// The central directory and its end record.
    fn finish(self) -> std::io::Result<()> {
        let central_offset = n32(self.offset);
        let count = u16::try_from(self.count).unwrap_or(u16::MAX);
        let mut end = Vec::with_capacity(22);
        u32le(&mut end, 0x0605_4b50);
        u16le(&mut end, 0);
        u16le(&mut end, 0);
        u16le(&mut end, count);
        u16le(&mut end, count);
        u32le(&mut end, n32(self.central.len()));
        u32le(&mut end, central_offset);
        u16le(&mut end, 0);
        self.out.write_all(&self.central)?;
        self.out.write_all(&end)
    }
}
