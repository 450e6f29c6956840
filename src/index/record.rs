//! A bibliographic record: the fields reference managers exchange (BibTeX, RIS, CSL-JSON,
//! COinS, Highwire and Dublin Core meta tags), as typed facts. Made from a hayagriva entry
//! for each source, and from the front matter and book.toml for each essay and the reader
//! itself. The formats are written by `render::cite`; this module says only what is known.

use hayagriva::Entry;
use hayagriva::types::{EntryType, MaybeTyped, Person};

/// What kind of work a record describes (the intersection of BibTeX, RIS and CSL types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An article in a journal or magazine (`container` is the periodical).
    Article,
    Book,
    /// A chapter or essay in an edited book (`container` is the book).
    Chapter,
    /// A paper in conference proceedings.
    Paper,
    Report,
    Thesis,
    /// A web page.
    Web,
    Misc,
}

impl Kind {
    /// Whether the work is a part of another (its `container`).
    pub fn is_part(self) -> bool {
        matches!(self, Kind::Article | Kind::Chapter | Kind::Paper)
    }
}

/// A person's name: family name (with its prefix, `van Dijk`) and given names; a name with
/// no given part is kept whole (an organisation: `Scholion editors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub family: String,
    pub given: Option<String>,
}

impl Name {
    /// An organisation or a name written as one string.
    pub fn literal(name: &str) -> Name {
        Name {
            family: name.to_string(),
            given: None,
        }
    }
}

/// A title: its text, and the parts whose case a style must keep (`{Chinese}` in BibLaTeX),
/// as byte ranges of the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Title {
    pub text: String,
    pub verbatim: Vec<std::ops::Range<usize>>,
}

impl Title {
    pub fn plain(text: &str) -> Title {
        Title {
            text: text.to_string(),
            verbatim: Vec::new(),
        }
    }

    fn of(s: &hayagriva::types::FormatString) -> Title {
        let mut t = Title::default();
        for chunk in &s.value.0 {
            let start = t.text.len();
            t.text.push_str(&chunk.value);
            if chunk.kind != hayagriva::types::ChunkKind::Normal {
                t.verbatim.push(start..t.text.len());
            }
        }
        t
    }
}

/// A date as precise as it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordDate {
    pub year: i32,
    /// 1–12.
    pub month: Option<u8>,
    /// 1–31.
    pub day: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The citation key (an essay's slug for the reader's own records).
    pub key: String,
    pub kind: Kind,
    pub title: Title,
    pub authors: Vec<Name>,
    pub editors: Vec<Name>,
    pub date: Option<RecordDate>,
    /// The journal, book or proceedings the work appears in.
    pub container: Option<Title>,
    /// The series a book appears in.
    pub series: Option<Title>,
    pub publisher: Option<String>,
    /// Where it was published (`location` in BibLaTeX).
    pub place: Option<String>,
    /// The institution of a report or thesis, or the organisation of a web page.
    pub institution: Option<Title>,
    pub volume: Option<String>,
    /// The issue or report number.
    pub number: Option<String>,
    pub pages: Option<String>,
    pub edition: Option<String>,
    pub doi: Option<String>,
    pub url: Option<String>,
    /// When the URL was visited (`urldate`).
    pub accessed: Option<RecordDate>,
    pub isbn: Option<String>,
    pub issn: Option<String>,
    /// The kind of report or thesis, as written (`type` in BibLaTeX: `ICS Occasional Paper`).
    pub genre: Option<Title>,
    pub note: Option<String>,
    pub abstract_: Option<String>,
    pub language: Option<String>,
    pub keywords: Vec<String>,
}

impl Record {
    /// An empty record of `kind`.
    pub fn new(key: &str, kind: Kind, title: &str) -> Record {
        Record {
            key: key.to_string(),
            kind,
            title: Title::plain(title),
            authors: Vec::new(),
            editors: Vec::new(),
            date: None,
            container: None,
            series: None,
            publisher: None,
            place: None,
            institution: None,
            volume: None,
            number: None,
            pages: None,
            edition: None,
            doi: None,
            url: None,
            accessed: None,
            isbn: None,
            issn: None,
            genre: None,
            note: None,
            abstract_: None,
            language: None,
            keywords: Vec::new(),
        }
    }

    /// The record of a hayagriva entry (from BibLaTeX or hayagriva YAML).
    pub fn from_entry(entry: &Entry) -> Record {
        let parent = entry.parents().first();
        let parent_type = parent.map(|p| *p.entry_type());
        let kind = match (entry.entry_type(), parent_type) {
            (EntryType::Article, Some(EntryType::Proceedings)) => Kind::Paper,
            (EntryType::Article, _) => Kind::Article,
            (EntryType::Book | EntryType::Anthology | EntryType::Proceedings, _) => Kind::Book,
            (EntryType::Chapter | EntryType::Anthos, _) => Kind::Chapter,
            (EntryType::Report, _) => Kind::Report,
            (EntryType::Thesis, _) => Kind::Thesis,
            (EntryType::Web, _) => Kind::Web,
            _ => Kind::Misc,
        };
        let text = |s: Option<&hayagriva::types::FormatString>| s.map(|f| f.value.to_string());
        let title = |s: Option<&hayagriva::types::FormatString>| s.map(Title::of);
        let names = |people: Option<&[Person]>| -> Vec<Name> {
            people
                .unwrap_or_default()
                .iter()
                .map(|p| Name {
                    family: match &p.prefix {
                        Some(prefix) => format!("{prefix} {}", p.name),
                        None => p.name.clone(),
                    },
                    given: p.given_name.clone(),
                })
                .collect()
        };
        let numeric = |n: Option<&MaybeTyped<hayagriva::types::Numeric>>| n.map(|n| n.to_string());
        let publisher = entry
            .publisher()
            .or_else(|| parent.and_then(|p| p.publisher()));
        let date = entry.date().or_else(|| parent.and_then(|p| p.date()));
        let serial = |name: &str| {
            entry
                .serial_number()
                .and_then(|s| s.0.get(name).cloned())
                .or_else(|| {
                    parent
                        .and_then(|p| p.serial_number())
                        .and_then(|s| s.0.get(name).cloned())
                })
        };
        let mut editors = names(entry.editors());
        if editors.is_empty() {
            editors = names(parent.and_then(|p| p.editors()));
        }
        Record {
            key: entry.key().to_string(),
            kind,
            title: title(entry.title()).unwrap_or_else(|| Title::plain(entry.key())),
            authors: names(entry.authors()),
            editors,
            date: date.map(record_date),
            // A book's parent is its series; an article's or chapter's, its container.
            // The parent of a part (article, chapter, paper) is what holds it, and its
            // grandparent the series; the parent of a whole work (a book, a report) is its series.
            container: parent
                .filter(|_| kind.is_part())
                .and_then(|p| title(p.title())),
            series: match kind.is_part() {
                false => parent,
                true => parent.and_then(|p| p.parents().first()),
            }
            .and_then(|p| title(p.title())),
            publisher: publisher
                .and_then(|p| p.name())
                .map(|n| n.value.to_string()),
            place: publisher
                .and_then(|p| p.location())
                .or_else(|| entry.location())
                .map(|l| l.value.to_string()),
            institution: title(entry.organization())
                .or_else(|| title(parent.and_then(|p| p.organization()))),
            volume: numeric(entry.volume()).or_else(|| numeric(parent.and_then(|p| p.volume()))),
            number: numeric(entry.issue())
                .or_else(|| numeric(parent.and_then(|p| p.issue())))
                .or_else(|| serial("serial")),
            pages: entry.page_range().map(|p| p.to_string()),
            edition: numeric(entry.edition()),
            doi: entry.doi().map(str::to_string),
            url: entry.url().map(|u| u.value.to_string()),
            accessed: entry
                .url()
                .and_then(|u| u.visit_date.as_ref())
                .map(record_date),
            isbn: entry.isbn().map(str::to_string),
            issn: serial("issn"),
            genre: title(entry.genre()),
            note: text(entry.note()),
            abstract_: text(entry.abstract_()),
            language: entry.language().map(|l| l.to_string()),
            keywords: Vec::new(),
        }
    }
}

/// hayagriva counts months and days from 0.
fn record_date(d: &hayagriva::types::Date) -> RecordDate {
    RecordDate {
        year: d.year,
        month: d.month.map(|m| m + 1),
        day: d.day.map(|d| d + 1),
    }
}
