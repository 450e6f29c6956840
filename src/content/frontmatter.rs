//! Front matter: splitting the YAML block off a Markdown file and deserialising it.
//!
//! This is the only module that knows about serde_yaml, so the YAML crate can be swapped.
//! Every error is reported at a line and column *of the Markdown file*, not of the YAML
//! fragment: the fragment's first line is added to serde_yaml's positions.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::diagnostics::{Diagnostic, Location, backticked, did_you_mean};

/// A file split into front matter and body.
pub struct Split<'a> {
    /// The YAML text, or `None` when the file has no front matter.
    pub yaml: Option<&'a str>,
    /// The 1-based line of the file on which the YAML starts.
    pub yaml_line: usize,
    /// Byte offset of the body within the file.
    pub body_offset: usize,
}

/// Split `source` (BOM already removed) at its `---` fences.
pub fn split<'a>(path: &Path, source: &'a str) -> Result<Split<'a>, Diagnostic> {
    // `---` and then a carriage return alone: lines end in CR only (classic Mac OS), so the
    // whole file is one line and no front matter would be found.
    if source.starts_with("---\r") && !source.starts_with("---\r\n") {
        return Err(Diagnostic::error(
            "the file's lines end in a carriage return alone (CR, as on classic Mac OS)",
        )
        .at(Location::at_offset(path, source, 0, 3))
        .hint("save the file with LF (Unix) or CRLF (Windows) line endings"));
    }
    let first_line_end = source.find('\n').map_or(source.len(), |i| i + 1);
    if source[..first_line_end].trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            yaml_line: 1,
            body_offset: 0,
        });
    }
    let mut offset = first_line_end;
    while offset < source.len() {
        let end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i + 1);
        let line = source[offset..end].trim_end();
        if line == "---" || line == "..." {
            return Ok(Split {
                yaml: Some(&source[first_line_end..offset]),
                yaml_line: 2,
                body_offset: end,
            });
        }
        offset = end;
    }
    Err(Diagnostic::error("the front matter is never closed")
        .at(Location::at_offset(path, source, 0, 3))
        .hint("end the front matter with a line holding only `---`"))
}

/// Essay (and home page) front matter, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EssayMeta {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub authors: Vec<String>,
    pub date: Option<Scalar>,
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub tags: Vec<String>,
    /// Other names a cross-reference may use for the essay (as Obsidian's `aliases`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub aliases: Vec<String>,
    pub annotates: Option<String>,
    pub order: Option<i64>,
    #[serde(default)]
    pub draft: bool,
    pub slug: Option<String>,
    /// The essay's DOI, e.g. `10.5281/zenodo.123` (its "Cite this" entry and meta tags).
    pub doi: Option<String>,
    /// Reading questions (Markdown), shown at the end of the essay and in the study guide.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Learning objectives (Markdown), shown with the questions.
    #[serde(default)]
    pub objectives: Vec<String>,
    #[serde(default)]
    pub extra: Option<serde_yaml::Value>,
}

pub const ESSAY_KEYS: &[&str] = &[
    "title",
    "subtitle",
    "authors",
    "date",
    "summary",
    "tags",
    "aliases",
    "annotates",
    "order",
    "draft",
    "slug",
    "doi",
    "questions",
    "objectives",
    "extra",
];

/// Glossary term front matter, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TermMeta {
    pub term: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub aliases: Vec<String>,
    pub short: Option<String>,
    #[serde(default)]
    pub see_also: Vec<String>,
    /// The term as written in its own language (e.g. `网络主权`).
    pub original: Option<String>,
    /// The BCP 47 tag of `original` (e.g. `zh-Hans`).
    pub original_lang: Option<String>,
    /// `original` in Latin letters (e.g. `wǎngluò zhǔquán`).
    pub transliteration: Option<String>,
}

pub const TERM_KEYS: &[&str] = &[
    "term",
    "aliases",
    "short",
    "see-also",
    "original",
    "original-lang",
    "transliteration",
];

/// A primary text's front matter (`content/texts/<name>.md`), as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TextMeta {
    /// The citation key of the work this is the text of.
    pub source: Option<String>,
    pub title: Option<String>,
}

pub const TEXT_KEYS: &[&str] = &["source", "title"];

/// A YAML scalar kept as text (a date may be written quoted or bare).
#[derive(Debug, Clone)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than a `Value` then a check: an error raised while the value's
        // node is being read carries that node's line, not the front matter's first line.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date written as YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A list of strings, or one string as a one-item list (`tags: essay`, as Obsidian allows),
/// or nothing (`tags:` with no value) as an empty list.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of strings, or one string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Vec<String>, A::Error> {
            Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
    }
    d.deserialize_any(Visitor)
}

/// Convert free-form YAML (`extra`) to JSON for templates.
pub fn yaml_to_json(value: &serde_yaml::Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Deserialise the YAML block of `source` into `T`, reporting errors at file positions.
///
/// Every problem is reported, not only the first (as rustc recovers): when the block does
/// not deserialise, each top-level entry (`key:` and its indented lines) is deserialised
/// alone, so an unknown key, a wrong type and a syntax error in three entries give three
/// errors; the `T` returned then holds the entries that were fine, for the checks that
/// follow (a bad date, a slug) and so a broken file still claims its slug.
pub fn parse<T: DeserializeOwned + Default>(
    path: &Path,
    source: &str,
    split: &Split<'_>,
    known_keys: &[&str],
) -> (T, Vec<Diagnostic>) {
    let Some(yaml) = split.yaml else {
        return (T::default(), Vec::new());
    };
    if yaml.trim().is_empty() {
        return (T::default(), Vec::new());
    }
    if let Some((line, col)) = tab_indent(yaml) {
        let line = line + split.yaml_line - 1;
        return (
            T::default(),
            vec![
                Diagnostic::error("tab character used for indentation in the front matter")
                    .at(Location::at_line_col(path, source, line, col))
                    .hint("YAML indents with spaces only; replace the tab with spaces"),
            ],
        );
    }
    let whole = match serde_yaml::from_str::<T>(yaml) {
        Ok(meta) => return (meta, Vec::new()),
        Err(err) => yaml_error(&err, path, source, yaml, split.yaml_line, known_keys),
    };
    let mut good = String::new();
    let mut errors = Vec::new();
    for (first_line, entry) in entries(yaml) {
        match serde_yaml::from_str::<T>(entry) {
            Ok(_) => good.push_str(entry),
            Err(err) => errors.push(yaml_error(
                &err,
                path,
                source,
                entry,
                split.yaml_line + first_line,
                known_keys,
            )),
        }
    }
    if errors.is_empty() {
        // The entries are fine alone but not together (a key given twice): the whole
        // block's error says why.
        return (T::default(), vec![whole]);
    }
    let meta = serde_yaml::from_str::<T>(&good).unwrap_or_default();
    (meta, errors)
}

/// The top-level entries of a YAML mapping: each `key:` line with the indented (or `- `)
/// lines under it, and the index of its first line in `yaml`. Comment and blank lines
/// before the first key belong to none.
fn entries(yaml: &str) -> Vec<(usize, &str)> {
    let mut out: Vec<(usize, usize)> = Vec::new(); // (first line, byte offset)
    let mut offset = 0;
    for (n, line) in yaml.split_inclusive('\n').enumerate() {
        let starts_entry = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-');
        if starts_entry {
            out.push((n, offset));
        }
        offset += line.len();
    }
    let mut entries = Vec::with_capacity(out.len());
    for (i, &(line, start)) in out.iter().enumerate() {
        let end = out.get(i + 1).map_or(yaml.len(), |&(_, e)| e);
        entries.push((line, &yaml[start..end]));
    }
    entries
}

/// A serde_yaml error in `yaml` (which starts on line `yaml_line` of `source`) as a
/// diagnostic at its place in the file.
fn yaml_error(
    err: &serde_yaml::Error,
    path: &Path,
    source: &str,
    yaml: &str,
    yaml_line: usize,
    known_keys: &[&str],
) -> Diagnostic {
    let (message, context) = strip_positions(&err.to_string());
    // At the end of the input the problem's own position says nothing: point at the
    // construct left unfinished (an unclosed quote or bracket) instead.
    let at_end = message.contains("end of stream");
    let (line, column) = context
        .filter(|_| at_end)
        .or_else(|| err.location().map(|l| (l.line(), l.column())))
        .map_or((yaml_line, 1), |(l, c)| (l + yaml_line - 1, c));
    // A repeated key is reported at the start of its mapping: point at the repetition.
    let repeated = backticked(&message)
        .filter(|_| message.starts_with("duplicate field"))
        .and_then(|key| repeated_key_line(yaml, key));
    let (line, column) = repeated.map_or((line, column), |l| (l + yaml_line - 1, 1));
    let location = Location::at_line_col(path, source, line, column);
    if message.starts_with("unknown field") {
        let key = backticked(&message).unwrap_or("?").to_string();
        let hint = did_you_mean(&key, known_keys.iter().copied()).unwrap_or_else(|| {
            let keys: Vec<String> = known_keys.iter().map(|k| format!("`{k}`")).collect();
            if known_keys.contains(&"extra") {
                format!(
                    "the keys are {}; put custom data under `extra`",
                    keys.join(", ")
                )
            } else {
                format!("the keys are {}", keys.join(", "))
            }
        });
        let mut location = location;
        location.width = key.chars().count().max(1);
        Diagnostic::error(format!("unknown front-matter key `{key}`"))
            .at(location)
            .hint(hint)
    } else if message.contains("invalid type") {
        Diagnostic::error(format!("wrong type in front matter: {message}"))
                .at(location)
                .hint("check the table of front-matter keys: lists are written `[a, b]` or as `- a` lines")
    } else if repeated.is_some() {
        Diagnostic::error(format!("malformed front matter: {message}"))
            .at(location)
            .hint("a key may appear only once: remove one of them")
    } else if message.contains("quoted scalar") {
        Diagnostic::error(format!("malformed front matter: {message}"))
            .at(location)
            .hint("this quoted value is never closed: add the closing quote")
    } else {
        Diagnostic::error(format!("malformed front matter: {message}"))
            .at(location)
            .hint("the front matter is YAML: `key: value` lines; quote values that contain `: `")
    }
}

/// The position of a top-level `key:` in the front matter, for errors found after parsing.
pub fn key_location(path: &Path, source: &str, split: &Split<'_>, key: &str) -> Location {
    let yaml = split.yaml.unwrap_or("");
    for (line_no, line) in (split.yaml_line..).zip(yaml.lines()) {
        if let Some(rest) = line.strip_prefix(key) {
            if rest.trim_start().starts_with(':') {
                let value_col = line.len() - rest.trim_start()[1..].trim_start().len();
                let col = if value_col < line.len() { value_col } else { 0 };
                let mut location =
                    Location::at_line_col(path, source, line_no, line[..col].chars().count() + 1);
                // The caret marks the whole value (`2021-02-30`, not its first character).
                if col > 0 {
                    location.width = line[col..].trim_end().chars().count().max(1);
                }
                return location;
            }
        }
    }
    Location::at_line_col(path, source, 1, 1)
}

/// A YAML error message without its positions (they count lines of the front matter, not
/// of the file), and the position of its context (`…, while scanning a quoted scalar at
/// line 1 column 8`), 1-based.
fn strip_positions(full: &str) -> (String, Option<(usize, usize)>) {
    let mut message = String::with_capacity(full.len());
    let mut context = None;
    let mut rest = full;
    while let Some(i) = rest.find(" at line ") {
        let after = &rest[i + " at line ".len()..];
        let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
        let n = digits(after);
        let position = after[n..].strip_prefix(" column ").and_then(|col| {
            let m = digits(col);
            let line = after[..n].parse::<usize>().ok()?;
            let column = col[..m].parse::<usize>().ok()?;
            Some(((line, column), &col[m..]))
        });
        let Some((position, tail)) = position else {
            message.push_str(&rest[..i + 1]);
            rest = &rest[i + 1..];
            continue;
        };
        message.push_str(&rest[..i]);
        if message.contains(", while ") {
            context = Some(position);
        }
        rest = tail;
    }
    message.push_str(rest);
    (message, context)
}

/// The 1-based line of `yaml` on which the top-level `key:` is written a second time.
fn repeated_key_line(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines()
        .enumerate()
        .filter(|(_, line)| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .nth(1)
        .map(|(i, _)| i + 1)
}

fn tab_indent(yaml: &str) -> Option<(usize, usize)> {
    for (i, line) in yaml.lines().enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if let Some(col) = indent.find('\t') {
            return Some((i + 1, col + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first problem of an essay's front matter (all of them: `essay_all`).
    fn essay(src: &str) -> Result<EssayMeta, Diagnostic> {
        let (meta, mut errors) = essay_all(src)?;
        if errors.is_empty() {
            Ok(meta)
        } else {
            Err(errors.remove(0))
        }
    }

    fn essay_all(src: &str) -> Result<(EssayMeta, Vec<Diagnostic>), Diagnostic> {
        let path = Path::new("e.md");
        let s = split(path, src)?;
        Ok(parse(path, src, &s, ESSAY_KEYS))
    }

    #[test]
    fn every_broken_entry_is_reported_and_the_rest_is_kept() {
        let src =
            "---\ntitle: A\nsummery: x\ntags: 3\norder: [1]\nslug: kept\ndate: \"open\n---\nbody";
        let (meta, errors) = essay_all(src).unwrap();
        let lines: Vec<usize> = errors
            .iter()
            .map(|d| d.location.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [3, 4, 5, 7], "{errors:?}");
        assert_eq!(meta.title.as_deref(), Some("A"));
        assert_eq!(meta.slug.as_deref(), Some("kept"));
        assert!(meta.tags.is_empty());
    }

    #[test]
    fn a_key_given_twice_is_still_one_error() {
        let (_, errors) = essay_all("---\ntitle: A\ntitle: B\n---\n").unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn unknown_key_points_into_markdown_file() {
        let d = essay("---\ntitle: A\nsummery: x\n---\nbody").unwrap_err();
        let loc = d.location.unwrap();
        assert_eq!((loc.line, loc.column), (3, 1));
        assert_eq!(d.hint.as_deref(), Some("did you mean `summary`?"));
    }

    #[test]
    fn a_string_where_a_list_goes_is_a_one_item_list() {
        let (meta, errors) =
            essay_all("---\ntitle: A\ntags: one\nauthors: Ann Author\naliases: Other\n---\n")
                .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(meta.tags, ["one"]);
        assert_eq!(meta.authors, ["Ann Author"]);
        assert_eq!(meta.aliases, ["Other"]);
        let (meta, errors) = essay_all("---\ntitle: A\ntags:\n---\n").unwrap();
        assert!(errors.is_empty() && meta.tags.is_empty(), "{errors:?}");
    }

    #[test]
    fn wrong_type_has_line() {
        let d = essay("---\ntitle: A\ntags: 3\norder: [1]\n---\n").unwrap_err();
        assert_eq!(d.location.unwrap().line, 3, "{}", d.message);
    }

    #[test]
    fn unclosed_quote_points_at_the_quote() {
        let d = essay("---\ntitle: \"First\ndate: 2020-01-02\n---\nbody").unwrap_err();
        let loc = d.location.unwrap();
        assert_eq!((loc.line, loc.column), (2, 8), "{}", d.message);
        assert!(!d.message.contains("at line"), "{}", d.message);
        assert!(d.hint.unwrap().contains("closing quote"));
    }

    #[test]
    fn a_date_of_the_wrong_type_points_at_the_date() {
        let d = essay("---\ntitle: A\ndate: [2020, 1, 2]\n---\n").unwrap_err();
        assert_eq!(d.location.unwrap().line, 3, "{}", d.message);
        assert!(d.message.contains("YYYY-MM-DD"), "{}", d.message);
    }

    #[test]
    fn unclosed_front_matter() {
        let d = essay("---\ntitle: A\n").unwrap_err();
        assert!(d.message.contains("never closed"));
    }

    #[test]
    fn crlf_and_no_front_matter() {
        let m = essay("---\r\ntitle: A\r\n---\r\nbody").unwrap();
        assert_eq!(m.title.as_deref(), Some("A"));
        let m = essay("# just text").unwrap();
        assert!(m.title.is_none());
    }
}
