//! Records in the formats reference managers read: BibTeX (BibLaTeX field names), RIS,
//! CSL-JSON, COinS (the `span.Z3988` Zotero detects on a page), and the Highwire Press
//! `citation_*` and Dublin Core meta tags Google Scholar and Zotero's Embedded Metadata
//! translator read. Each writer is a pure function of `index::record::Record`s.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::index::record::{Kind, Name, Record, RecordDate, Title};
use crate::route::CiteFormat;

/// The records as one file of `format`.
pub fn file(format: CiteFormat, records: &[&Record]) -> Vec<u8> {
    match format {
        CiteFormat::Bibtex => records
            .iter()
            .map(|r| bibtex(r))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
        CiteFormat::Ris => records
            .iter()
            .map(|r| ris(r))
            .collect::<String>()
            .into_bytes(),
        CiteFormat::CslJson => csl_json(records).into_bytes(),
    }
}

/// The records as a `data:` URL of `format` (for a download link in the page): the text
/// percent-encoded but for letters, digits and the characters a URL may carry as they are.
pub fn data_url(format: CiteFormat, records: &[&Record]) -> String {
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b',')
        .remove(b':')
        .remove(b'/')
        .remove(b'(')
        .remove(b')')
        .remove(b'@')
        .remove(b'=')
        .remove(b';');
    let mime = match format {
        CiteFormat::Bibtex => "application/x-bibtex",
        CiteFormat::Ris => "application/x-research-info-systems",
        CiteFormat::CslJson => "application/vnd.citationstyles.csl+json",
    };
    let text = file(format, records);
    let mut out = format!("data:{mime};charset=utf-8,");
    out.extend(percent_encoding::percent_encode(&text, KEEP));
    out
}

/// A BibTeX value: TeX's special characters escaped (the text is plain, as the bibliography
/// library reads it).
fn tex(s: &str) -> String {
    crate::index::bibliography::tex_escape(s)
}

/// A title in BibTeX: the parts whose case is kept in braces.
fn tex_title(t: &Title) -> String {
    let mut out = String::new();
    let mut at = 0;
    for r in &t.verbatim {
        if r.start < at || r.end > t.text.len() {
            continue;
        }
        out.push_str(&tex(&t.text[at..r.start]));
        out.push('{');
        out.push_str(&tex(&t.text[r.clone()]));
        out.push('}');
        at = r.end;
    }
    out.push_str(&tex(&t.text[at..]));
    out
}

/// A BibTeX name list: `Family, Given and …`; a name without a given part (an organisation)
/// in braces, so it is not split.
fn tex_names(names: &[Name]) -> String {
    names
        .iter()
        .map(|n| match &n.given {
            Some(g) => format!("{}, {}", tex(&n.family), tex(g)),
            None => format!("{{{}}}", tex(&n.family)),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn iso_date(d: &RecordDate) -> String {
    let mut s = format!("{:04}", d.year);
    if let Some(m) = d.month {
        let _ = write!(s, "-{m:02}");
        if let Some(day) = d.day {
            let _ = write!(s, "-{day:02}");
        }
    }
    s
}

/// The record as a BibLaTeX entry (also read by BibTeX tools: `journal`, `year` included).
pub fn bibtex(r: &Record) -> String {
    let kind = match r.kind {
        Kind::Article => "article",
        Kind::Book => "book",
        Kind::Chapter => "incollection",
        Kind::Paper => "inproceedings",
        Kind::Report => "report",
        Kind::Thesis => "thesis",
        Kind::Web => "online",
        Kind::Misc => "misc",
    };
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut put = |name: &'static str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            fields.push((name, v));
        }
    };
    put(
        "author",
        (!r.authors.is_empty()).then(|| tex_names(&r.authors)),
    );
    put(
        "editor",
        (!r.editors.is_empty()).then(|| tex_names(&r.editors)),
    );
    put("title", Some(tex_title(&r.title)));
    let container = match r.kind {
        Kind::Article => "journal",
        _ => "booktitle",
    };
    put(container, r.container.as_ref().map(tex_title));
    put("date", r.date.as_ref().map(iso_date));
    put("year", r.date.as_ref().map(|d| format!("{:04}", d.year)));
    put("series", r.series.as_ref().map(tex_title));
    put("publisher", r.publisher.as_deref().map(tex));
    put("location", r.place.as_deref().map(tex));
    let institution = match r.kind {
        Kind::Report | Kind::Thesis => "institution",
        _ => "organization",
    };
    put(institution, r.institution.as_ref().map(tex_title));
    put("volume", r.volume.as_deref().map(tex));
    put("number", r.number.as_deref().map(tex));
    put(
        "pages",
        r.pages.as_deref().map(|p| tex(&p.replace('–', "--"))),
    );
    put("edition", r.edition.as_deref().map(tex));
    put("doi", r.doi.as_deref().map(tex));
    put("url", r.url.clone());
    put("urldate", r.accessed.as_ref().map(iso_date));
    put("isbn", r.isbn.as_deref().map(tex));
    put("issn", r.issn.as_deref().map(tex));
    put("type", r.genre.as_ref().map(tex_title));
    put("note", r.note.as_deref().map(tex));
    put("abstract", r.abstract_.as_deref().map(tex));
    put(
        "keywords",
        (!r.keywords.is_empty()).then(|| tex(&r.keywords.join(", "))),
    );
    let mut out = format!("@{kind}{{{},\n", r.key);
    for (name, value) in fields {
        let _ = writeln!(out, "  {name} = {{{value}}},");
    }
    out.push_str("}\n");
    out
}

/// A name in RIS: `Family, Given`; an organisation `Name,` (all family name: RIS readers
/// split a name without a comma at its spaces).
fn ris_name(n: &Name) -> String {
    match &n.given {
        Some(g) => format!("{}, {g}", n.family),
        None => format!("{},", n.family),
    }
}

/// A name as `Family, Given` (or whole).
fn inverted(n: &Name) -> String {
    match &n.given {
        Some(g) => format!("{}, {g}", n.family),
        None => n.family.clone(),
    }
}

/// The record as a RIS record (RIS tags, CRLF line ends as the format specifies).
pub fn ris(r: &Record) -> String {
    let kind = match r.kind {
        Kind::Article => "JOUR",
        Kind::Book => "BOOK",
        Kind::Chapter => "CHAP",
        Kind::Paper => "CPAPER",
        Kind::Report => "RPRT",
        Kind::Thesis => "THES",
        Kind::Web => "ELEC",
        Kind::Misc => "GEN",
    };
    let mut out = String::new();
    let mut tag = |t: &str, v: &str| {
        // A value is one line.
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        if !v.is_empty() {
            let _ = write!(out, "{t}  - {v}\r\n");
        }
    };
    tag("TY", kind);
    tag("ID", &r.key);
    tag("TI", &r.title.text);
    for a in &r.authors {
        tag("AU", &ris_name(a));
    }
    for e in &r.editors {
        tag("ED", &ris_name(e));
    }
    if let Some(c) = &r.container {
        tag(if r.kind == Kind::Article { "JO" } else { "T2" }, &c.text);
    }
    if let Some(d) = &r.date {
        tag("PY", &format!("{:04}", d.year));
        let mut da = format!("{:04}/", d.year);
        if let Some(m) = d.month {
            let _ = write!(da, "{m:02}/");
            if let Some(day) = d.day {
                let _ = write!(da, "{day:02}");
            }
        }
        tag("DA", &da);
    }
    for (t, v) in [
        ("PB", &r.publisher),
        ("CY", &r.place),
        ("VL", &r.volume),
        ("IS", &r.number),
        ("ET", &r.edition),
        ("DO", &r.doi),
        ("UR", &r.url),
        ("SN", &r.isbn),
        ("SN", &r.issn),
        ("LA", &r.language),
        ("AB", &r.abstract_),
        ("N1", &r.note),
    ] {
        if let Some(v) = v {
            tag(t, v);
        }
    }
    if let Some(inst) = &r.institution
        && r.publisher.is_none()
    {
        tag("PB", &inst.text);
    }
    if let Some(series) = &r.series {
        tag("T3", &series.text);
    }
    if let Some(g) = &r.genre {
        tag("M3", &g.text);
    }
    if let Some(d) = &r.accessed {
        tag("Y2", &iso_date(d).replace('-', "/"));
    }
    if let Some(p) = &r.pages {
        let (start, end) = p
            .split_once(['–', '-'])
            .map_or((p.as_str(), None), |(s, e)| {
                (s, Some(e.trim_start_matches('-')))
            });
        tag("SP", start.trim());
        if let Some(e) = end {
            tag("EP", e.trim());
        }
    }
    for k in &r.keywords {
        tag("KW", k);
    }
    out.push_str("ER  - \r\n");
    out
}

fn csl_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Article => "article-journal",
        Kind::Book => "book",
        Kind::Chapter => "chapter",
        Kind::Paper => "paper-conference",
        Kind::Report => "report",
        Kind::Thesis => "thesis",
        Kind::Web => "webpage",
        Kind::Misc => "document",
    }
}

fn csl_names(names: &[Name]) -> serde_json::Value {
    names
        .iter()
        .map(|n| match &n.given {
            Some(g) => serde_json::json!({ "family": n.family, "given": g }),
            None => serde_json::json!({ "literal": n.family }),
        })
        .collect()
}

/// The records as a CSL-JSON array (the format of citeproc, Zotero and pandoc).
pub fn csl_json(records: &[&Record]) -> String {
    let items: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let mut item = serde_json::Map::new();
            let mut put = |k: &str, v: serde_json::Value| {
                item.insert(k.to_string(), v);
            };
            put("id", r.key.clone().into());
            put("type", csl_type(r.kind).into());
            put("title", r.title.text.clone().into());
            if !r.authors.is_empty() {
                put("author", csl_names(&r.authors));
            }
            if !r.editors.is_empty() {
                put("editor", csl_names(&r.editors));
            }
            if let Some(d) = &r.date {
                let mut parts = vec![serde_json::Value::from(d.year)];
                if let Some(m) = d.month {
                    parts.push(m.into());
                    if let Some(day) = d.day {
                        parts.push(day.into());
                    }
                }
                put("issued", serde_json::json!({ "date-parts": [parts] }));
            }
            if let Some(d) = &r.accessed {
                let parts: Vec<serde_json::Value> =
                    [Some(d.year), d.month.map(i32::from), d.day.map(i32::from)]
                        .into_iter()
                        .flatten()
                        .map(serde_json::Value::from)
                        .collect();
                put("accessed", serde_json::json!({ "date-parts": [parts] }));
            }
            let number_key = if r.kind == Kind::Article {
                "issue"
            } else {
                "number"
            };
            for (k, v) in [
                (
                    "container-title",
                    &r.container.as_ref().map(|t| t.text.clone()),
                ),
                (
                    "collection-title",
                    &r.series.as_ref().map(|t| t.text.clone()),
                ),
                ("genre", &r.genre.as_ref().map(|t| t.text.clone())),
                ("publisher", &r.publisher),
                ("publisher-place", &r.place),
                ("volume", &r.volume),
                (number_key, &r.number),
                ("page", &r.pages),
                ("edition", &r.edition),
                ("DOI", &r.doi),
                ("URL", &r.url),
                ("ISBN", &r.isbn),
                ("ISSN", &r.issn),
                ("note", &r.note),
                ("abstract", &r.abstract_),
                ("language", &r.language),
            ] {
                if let Some(v) = v {
                    put(k, v.clone().into());
                }
            }
            if let Some(inst) = &r.institution
                && r.publisher.is_none()
            {
                put("publisher", inst.text.clone().into());
            }
            if !r.keywords.is_empty() {
                put("keyword", r.keywords.join(", ").into());
            }
            serde_json::Value::Object(item)
        })
        .collect();
    let json = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
    // `<`, `>` and `&` only occur inside strings here: as `\u` escapes (the same text to
    // any JSON reader) the file holds no markup, whatever a title says.
    let mut out = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    out.push('\n');
    out
}

/// What a KEV value keeps as it is: letters, digits and the URL-unreserved `-._~`.
const KEV: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The record as a COinS `title` (OpenURL 1.0 KEV), for a `<span class="Z3988">`.
pub fn coins(r: &Record) -> String {
    let mut kev: Vec<(&str, String)> = vec![("ctx_ver", "Z39.88-2004".into())];
    let (fmt, genre) = match r.kind {
        Kind::Article => ("journal", "article"),
        Kind::Paper => ("book", "proceeding"),
        Kind::Chapter => ("book", "bookitem"),
        Kind::Book => ("book", "book"),
        Kind::Report => ("book", "report"),
        _ => ("dc", ""),
    };
    kev.push(("rft_val_fmt", format!("info:ofi/fmt:kev:mtx:{fmt}")));
    if let Some(doi) = &r.doi {
        kev.push(("rft_id", format!("info:doi/{doi}")));
    } else if let Some(url) = &r.url {
        kev.push(("rft_id", url.clone()));
    }
    if fmt == "dc" {
        kev.push(("rft.title", r.title.text.clone()));
        for a in &r.authors {
            kev.push(("rft.creator", inverted(a)));
        }
        if let Some(d) = &r.date {
            kev.push(("rft.date", iso_date(d)));
        }
        if let Some(p) = r
            .publisher
            .clone()
            .or_else(|| r.institution.as_ref().map(|i| i.text.clone()))
        {
            kev.push(("rft.publisher", p));
        }
        kev.push((
            "rft.type",
            if r.kind == Kind::Web {
                "webpage"
            } else {
                "document"
            }
            .into(),
        ));
    } else {
        kev.push(("rft.genre", genre.into()));
        match r.kind {
            Kind::Book | Kind::Report => kev.push(("rft.btitle", r.title.text.clone())),
            Kind::Article => {
                kev.push(("rft.atitle", r.title.text.clone()));
                if let Some(c) = &r.container {
                    kev.push(("rft.jtitle", c.text.clone()));
                }
            }
            _ => {
                kev.push(("rft.atitle", r.title.text.clone()));
                if let Some(c) = &r.container {
                    kev.push(("rft.btitle", c.text.clone()));
                }
            }
        }
        for a in &r.authors {
            match &a.given {
                Some(g) => {
                    kev.push(("rft.aulast", a.family.clone()));
                    kev.push(("rft.aufirst", g.clone()));
                }
                None => kev.push(("rft.aucorp", a.family.clone())),
            }
        }
        if let Some(d) = &r.date {
            kev.push(("rft.date", iso_date(d)));
        }
        for (k, v) in [
            ("rft.pub", &r.publisher),
            ("rft.place", &r.place),
            ("rft.volume", &r.volume),
            ("rft.issue", &r.number),
            ("rft.pages", &r.pages),
            ("rft.isbn", &r.isbn),
            ("rft.issn", &r.issn),
        ] {
            if let Some(v) = v {
                kev.push((k, v.clone()));
            }
        }
    }
    kev.iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, KEV)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One `<meta name content>` tag.
#[derive(Serialize)]
pub struct MetaTag {
    pub name: &'static str,
    pub content: String,
}

/// The Highwire Press (`citation_*`, what Google Scholar and Zotero read) and Dublin Core
/// (`DC.*`) tags of a page describing `r`; `license` goes to `DC.rights`.
pub fn meta_tags(r: &Record, license: Option<&str>) -> Vec<MetaTag> {
    let mut tags = Vec::new();
    let mut tag = |name: &'static str, content: &str| {
        if !content.is_empty() {
            tags.push(MetaTag {
                name,
                content: content.to_string(),
            });
        }
    };
    tag("citation_title", &r.title.text);
    for a in &r.authors {
        tag("citation_author", &inverted(a));
    }
    if let Some(d) = &r.date {
        let slashed = iso_date(d).replace('-', "/");
        tag("citation_publication_date", &slashed);
        tag("citation_date", &slashed);
    }
    match r.kind {
        Kind::Article => {
            if let Some(c) = &r.container {
                tag("citation_journal_title", &c.text);
            }
        }
        Kind::Chapter => {
            if let Some(c) = &r.container {
                tag("citation_inbook_title", &c.text);
                tag("citation_book_title", &c.text);
            }
            for e in &r.editors {
                tag("citation_editor", &inverted(e));
            }
        }
        _ => {}
    }
    if let Some(p) = &r.publisher {
        tag("citation_publisher", p);
    }
    if let Some(doi) = &r.doi {
        tag("citation_doi", doi);
    }
    if let Some(url) = &r.url {
        tag("citation_public_url", url);
        tag("citation_fulltext_html_url", url);
    }
    if let Some(l) = &r.language {
        tag("citation_language", l);
    }
    if !r.keywords.is_empty() {
        tag("citation_keywords", &r.keywords.join("; "));
    }
    if let Some(a) = &r.abstract_ {
        tag("citation_abstract", a);
    }
    tag("DC.title", &r.title.text);
    for a in &r.authors {
        tag("DC.creator", &inverted(a));
    }
    if let Some(d) = &r.date {
        tag("DC.date", &iso_date(d));
    }
    if let Some(p) = &r.publisher {
        tag("DC.publisher", p);
    }
    if r.kind == Kind::Chapter
        && let Some(c) = &r.container
    {
        tag("DC.relation.ispartof", &c.text);
    }
    tag("DC.type", "Text");
    if let Some(doi) = &r.doi {
        tag("DC.identifier", &format!("https://doi.org/{doi}"));
    } else if let Some(url) = &r.url {
        tag("DC.identifier", url);
    }
    if let Some(l) = &r.language {
        tag("DC.language", l);
    }
    if let Some(a) = &r.abstract_ {
        tag("DC.description", a);
    }
    if let Some(l) = license {
        tag("DC.rights", l);
    }
    tags
}
