//! What Scholion does to an entry before hayagriva formats it, so that it reads as pandoc
//! (and Zotero, and biber) read the same BibLaTeX. The entry as written is kept for the
//! "Cite this" files; only the copy handed to the citation processor is changed.
//!
//! - An English title is stored in sentence case, as CSL expects and pandoc's BibLaTeX
//!   reader makes it (a capitalised word is lowered, except the first word, a word after
//!   `:` `.` `?` `!`, and `{protected}` text); a style that wants title case (Chicago,
//!   MLA) raises it again.
//! - A title with a colon has the part before it as its short title (Chicago's and MLA's
//!   subsequent notes and citations), unless `shorttitle` says otherwise.
//! - A straight apostrophe between letters is a typographic one (`China’s`).
//! - An institution (report, thesis) is the publisher when there is none.
//! - A thesis type `phdthesis` / `mathesis` reads "PhD thesis" / "Master’s thesis".

use hayagriva::Entry;
use hayagriva::types::{ChunkKind, ChunkedString, EntryType, FormatString, Publisher, StringChunk};

/// The entry as it is handed to the citation processor. `sentence_case`: its titles may be
/// in title case (BibLaTeX, hayagriva YAML), not already in CSL's sentence case (CSL-JSON,
/// CSL-YAML).
pub fn for_formatting(entry: &Entry, sentence_case: bool) -> Entry {
    let mut e = entry.clone();
    let english = sentence_case && entry.language().is_none_or(|l| l.language.as_str() == "en");
    if let Some(title) = e.title().cloned() {
        e.set_title(title_of(title, english));
    }
    let parents: Vec<Entry> = e
        .parents()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            // A journal's or newspaper's name is a name: never lowered.
            let periodical = matches!(
                p.entry_type(),
                EntryType::Periodical | EntryType::Newspaper | EntryType::Blog
            );
            if let Some(title) = p.title().cloned() {
                p.set_title(title_of(title, english && !periodical));
            }
            p
        })
        .collect();
    e.set_parents(parents);
    if e.publisher().and_then(|p| p.name()).is_none()
        && let Some(org) = e.organization().cloned()
    {
        let location = e.publisher().and_then(|p| p.location()).cloned();
        e.set_publisher(Publisher::new(Some(org), location));
    }
    if let Some(genre) = e.genre() {
        let named = match genre.value.to_string().to_lowercase().as_str() {
            "phdthesis" => Some("PhD thesis"),
            "mathesis" | "mastersthesis" => Some("Master’s thesis"),
            "techreport" => Some("Technical report"),
            _ => None,
        };
        if let Some(named) = named {
            e.set_genre(FormatString::with_value(named));
        }
    }
    e
}

fn title_of(mut title: FormatString, english: bool) -> FormatString {
    if english {
        title.value = sentence_case(&title.value);
    }
    apostrophes(&mut title.value);
    if title.short.is_none() {
        // The chunks up to the first colon.
        let mut head = Vec::new();
        let mut found = false;
        for chunk in &title.value.0 {
            match chunk.value.split_once(':') {
                Some((before, _)) => {
                    head.push(StringChunk {
                        value: before.trim_end().to_string(),
                        kind: chunk.kind,
                    });
                    found = true;
                    break;
                }
                None => head.push(chunk.clone()),
            }
        }
        let short = ChunkedString(head);
        if found && !short.to_string().trim().is_empty() {
            title.short = Some(Box::new(short));
        }
    }
    title
}

/// pandoc's sentence case of a BibLaTeX title (see the module comment).
fn sentence_case(title: &ChunkedString) -> ChunkedString {
    let mut start = true;
    let mut out = Vec::with_capacity(title.0.len());
    for chunk in &title.0 {
        if chunk.kind != ChunkKind::Normal {
            if chunk.value.chars().any(char::is_alphanumeric) {
                start = false;
            }
            out.push(chunk.clone());
            continue;
        }
        let mut value = String::with_capacity(chunk.value.len());
        let mut word = String::new();
        let flush = |word: &mut String, value: &mut String, start: &mut bool| {
            if word.is_empty() {
                return;
            }
            let mut chars = word.chars();
            let capitalised =
                chars.next().is_some_and(char::is_uppercase) && chars.all(|c| !c.is_uppercase());
            if capitalised && !*start {
                value.push_str(&word.to_lowercase());
            } else {
                value.push_str(word);
            }
            *start = false;
            word.clear();
        };
        for c in chunk.value.chars() {
            if c.is_alphanumeric() {
                word.push(c);
                continue;
            }
            flush(&mut word, &mut value, &mut start);
            if matches!(c, ':' | '.' | '?' | '!') {
                start = true;
            }
            value.push(c);
        }
        flush(&mut word, &mut value, &mut start);
        out.push(StringChunk {
            value,
            kind: chunk.kind,
        });
    }
    ChunkedString(out)
}

/// `'` between two letters becomes `’`.
fn apostrophes(title: &mut ChunkedString) {
    for chunk in &mut title.0 {
        if chunk.kind == ChunkKind::Normal && chunk.value.contains('\'') {
            let chars: Vec<char> = chunk.value.chars().collect();
            chunk.value = chars
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let letter = |j: Option<usize>| {
                        j.and_then(|j| chars.get(j))
                            .is_some_and(|c| c.is_alphabetic())
                    };
                    if c == '\'' && letter(i.checked_sub(1)) && letter(Some(i + 1)) {
                        '’'
                    } else {
                        c
                    }
                })
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> ChunkedString {
        ChunkedString(vec![StringChunk {
            value: s.into(),
            kind: ChunkKind::Normal,
        }])
    }

    #[test]
    fn sentence_case_as_pandoc_makes_it() {
        let cases = [
            (
                "The Wealth of Networks: How Social Production",
                "The wealth of networks: How social production",
            ),
            (
                "Bureaucracy, Politics, and Decision Making in Post-Mao China",
                "Bureaucracy, politics, and decision making in post-mao china",
            ),
            (
                "The Design Philosophy of the DARPA Internet Protocols",
                "The design philosophy of the DARPA internet protocols",
            ),
            ("Code: Version 2.0", "Code: Version 2.0"),
        ];
        for (from, to) in cases {
            assert_eq!(sentence_case(&plain(from)).to_string(), to);
        }
    }
}
