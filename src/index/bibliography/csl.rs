//! CSL-JSON (Zotero's native export) and CSL-YAML bibliographies. Each item is written as
//! the BibLaTeX entry Better BibTeX would export for it and read by the same (guarded)
//! BibLaTeX reader, so a library exported either way gives the same entries; the one
//! difference kept is that CSL titles are already in sentence case (CSL's convention),
//! so they are not lowered again (`mapping::for_formatting`).

use serde_json::Value;

/// The BibLaTeX text of a CSL-JSON or CSL-YAML document's items (an array, or an object
/// with `items` or `references`), and the keys it holds; `Err` says what is wrong.
pub fn to_biblatex(doc: &Value) -> Result<(String, Vec<String>), String> {
    let items = match doc {
        Value::Array(items) => items,
        Value::Object(o) => match o.get("items").or_else(|| o.get("references")) {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(
                    "a CSL-JSON file is a list of items (`[{\"id\": …, \"type\": …}]`)".into(),
                );
            }
        },
        _ => {
            return Err("a CSL-JSON file is a list of items (`[{\"id\": …, \"type\": …}]`)".into());
        }
    };
    let mut out = String::new();
    let mut keys = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let Value::Object(fields) = item else {
            return Err(format!("item {} is not an object", n + 1));
        };
        let Some(id) = fields.get("id").and_then(scalar) else {
            return Err(format!("item {} has no `id` (its citation key)", n + 1));
        };
        if id.is_empty() || id.contains(|c: char| c.is_whitespace() || "{},%\"#'()=".contains(c)) {
            return Err(format!("the `id` `{id}` cannot be a citation key"));
        }
        let kind = fields
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("document");
        let text = |k: &str| fields.get(k).and_then(scalar);
        let has_editor = fields.get("editor").is_some();
        let entry_type = match kind {
            "article-journal" | "article-magazine" | "article-newspaper" | "article" => "article",
            "book" => "book",
            "chapter" if has_editor => "incollection",
            "chapter" => "inbook",
            "paper-conference" => "inproceedings",
            "report" => "report",
            "thesis" => "thesis",
            "webpage" | "post-weblog" | "post" => "online",
            "dataset" => "dataset",
            "software" => "software",
            "manuscript" => "unpublished",
            "entry-encyclopedia" | "entry-dictionary" => "inreference",
            _ => "misc",
        };
        out.push_str(&format!("@{entry_type}{{{id},\n"));
        let mut field = |name: &str, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.push_str(&format!("  {name} = {{{v}}},\n"));
            }
        };
        field("title", text("title").map(|t| escape(&t)));
        field("shorttitle", text("title-short").map(|t| escape(&t)));
        for (csl, bib) in [
            ("author", "author"),
            ("editor", "editor"),
            ("translator", "translator"),
            ("container-author", "bookauthor"),
        ] {
            field(bib, fields.get(csl).and_then(names));
        }
        let container = text("container-title").map(|t| escape(&t));
        match entry_type {
            "article" => field("journaltitle", container),
            "incollection" | "inbook" | "inproceedings" | "inreference" => {
                field("booktitle", container)
            }
            // A web page's site (Zotero's "Website Title"), as Better BibTeX exports it.
            "online" => field("organization", container),
            _ => field("howpublished", container),
        }
        let publisher = text("publisher").map(|t| escape(&t));
        match entry_type {
            "report" | "thesis" => field("institution", publisher),
            _ => field("publisher", publisher),
        }
        field("location", text("publisher-place").map(|t| escape(&t)));
        field("series", text("collection-title").map(|t| escape(&t)));
        field("volume", text("volume").map(|t| escape(&t)));
        field(
            "number",
            text("issue").or_else(|| text("number")).map(|t| escape(&t)),
        );
        field("pages", text("page").map(|p| escape(&p).replace('–', "--")));
        field("edition", text("edition").map(|t| escape(&t)));
        field("date", fields.get("issued").and_then(date));
        field("urldate", fields.get("accessed").and_then(date));
        field("doi", text("DOI").map(|t| escape(&t)));
        field("url", text("URL").map(|t| t.replace(['{', '}'], "")));
        field("isbn", text("ISBN").map(|t| escape(&t)));
        field("issn", text("ISSN").map(|t| escape(&t)));
        field(
            "type",
            text("genre").map(|g| match g.to_lowercase().as_str() {
                "phd thesis" | "doctoral thesis" | "doctoral dissertation" | "dissertation" => {
                    "phdthesis".to_string()
                }
                "master's thesis" | "master’s thesis" | "ma thesis" => "mathesis".to_string(),
                _ => escape(&g),
            }),
        );
        field("langid", text("language").map(|l| language(&l)));
        field("abstract", text("abstract").map(|t| escape(&t)));
        field("note", text("note").map(|t| escape(&t)));
        out.push_str("}\n\n");
        keys.push(id);
    }
    Ok((out, keys))
}

/// A string or number field as text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Text with BibLaTeX's special characters escaped (as Better BibTeX writes them); also
/// the BibTeX writer of "Cite this" (`render::cite`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// CSL names as a BibLaTeX name list: `family, given`, a particle before the family
/// name, a literal (an organisation) in braces.
fn names(v: &Value) -> Option<String> {
    let list = v.as_array()?;
    let names: Vec<String> = list
        .iter()
        .filter_map(|n| {
            let field = |k: &str| {
                n.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            if let Some(literal) = field("literal") {
                return Some(format!("{{{}}}", escape(literal)));
            }
            let family = field("family")?;
            let family = match field("non-dropping-particle") {
                Some(p) => format!("{p} {family}"),
                None => family.to_string(),
            };
            Some(match field("given") {
                Some(given) => match field("dropping-particle") {
                    Some(p) => format!("{}, {} {}", escape(&family), escape(given), escape(p)),
                    None => format!("{}, {}", escape(&family), escape(given)),
                },
                None => format!("{{{}}}", escape(&family)),
            })
        })
        .collect();
    (!names.is_empty()).then(|| names.join(" and "))
}

/// A CSL date (`date-parts`, or `raw`/`literal`) as a BibLaTeX date.
fn date(v: &Value) -> Option<String> {
    let part = |p: &Value| scalar(p).and_then(|s| s.parse::<i64>().ok());
    if let Some(parts) = v.get("date-parts").and_then(Value::as_array) {
        let one = |d: &Value| -> Option<String> {
            let d = d.as_array()?;
            let year = part(d.first()?)?;
            let mut s = format!("{year:04}");
            for p in d.iter().skip(1).take(2) {
                s.push_str(&format!("-{:02}", part(p)?));
            }
            Some(s)
        };
        let start = one(parts.first()?)?;
        return Some(match parts.get(1).and_then(one) {
            Some(end) => format!("{start}/{end}"),
            None => start,
        });
    }
    v.get("raw")
        .or_else(|| v.get("literal"))
        .and_then(scalar)
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '/')
        })
}

/// A CSL language tag as a BibLaTeX `langid`.
fn language(tag: &str) -> String {
    match tag
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_lowercase()
        .as_str()
    {
        "en" => "english",
        "de" => "ngerman",
        "fr" => "french",
        "es" => "spanish",
        "it" => "italian",
        "pt" => "portuguese",
        "nl" => "dutch",
        "zh" => "chinese",
        "ja" => "japanese",
        "ru" => "russian",
        _ => return escape(tag),
    }
    .to_string()
}
