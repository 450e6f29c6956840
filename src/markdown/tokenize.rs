//! The search tokenizer: the one definition of a search word, used for the index (the scan's
//! word counts, the search index's header text) and mirrored line for line by
//! `themes/default/static/search.js` at query time. `tests/fixtures/tokenizer.json` holds
//! input → tokens vectors that a unit test here and a Node test of search.js both check, so
//! the two cannot drift.
//!
//! The rules:
//! 1. **Normalise**: Unicode NFKC (full-width letters, ligatures and compatibility forms
//!    become their plain letters), then lower-case.
//! 2. **Fold accents** of Latin, Greek and Cyrillic letters: a letter in those blocks is
//!    decomposed and its combining marks (U+0300–U+036F) dropped (`Müller` → `muller`,
//!    `ё` → `е`, `ά` → `α`); a few letters with no decomposition are spelled out (`ß` →
//!    `ss`, `ø` → `o`, `ł` → `l`, `đ` → `d`, `æ` → `ae`, `œ` → `oe`, `ς` → `σ`, `ı` → `i`).
//! 3. **Split** into runs of word characters (Unicode Alphabetic, Numeric or Mark); inside a
//!    run, characters of the Han, Hiragana, Katakana and Hangul blocks form CJK sub-runs.
//! 4. **Tokens**: a non-CJK sub-run of two characters or more is one token (one-letter
//!    words are left out); a CJK sub-run gives its overlapping bigrams (`互联网` → `互联`,
//!    `联网`), or itself when it is one character.
//!
//! Block ranges, not the Unicode Script property, decide "Latin/Greek/Cyrillic" and "CJK":
//! JavaScript has the same ranges as plain numbers, where a Script table could differ
//! between the Rust and browser Unicode versions.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Whether `c` is in a Latin, Greek or Cyrillic block (its accents are folded).
pub fn folds(c: char) -> bool {
    matches!(c as u32,
        0x00C0..=0x024F | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F
        | 0x0370..=0x03FF | 0x1F00..=0x1FFF
        | 0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F)
}

/// Whether `c` is a Chinese, Japanese or Korean character (indexed by bigrams).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3005..=0x3007 | 0x3040..=0x30FF | 0x3130..=0x318F
        | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x20000..=0x3FFFF)
}

/// Letters with no canonical decomposition, spelled as their base letters.
fn special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ø' => "o",
        'ł' => "l",
        'đ' => "d",
        'ħ' => "h",
        'æ' => "ae",
        'œ' => "oe",
        'ς' => "σ",
        'ı' => "i",
        _ => return None,
    })
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Rules 1 and 2: the text a search sees (NFKC, lower-case, accents folded).
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let lower = text.nfkc().collect::<String>().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some(s) = special(c) {
            out.push_str(s);
        } else if (0x0300..=0x036F).contains(&(c as u32)) {
            // A combining accent left over (no precomposed letter): dropped.
        } else if folds(c) {
            decompose_canonical(c, |d| {
                if !(0x0300..=0x036F).contains(&(d as u32)) {
                    out.push(d);
                }
            });
        } else {
            out.push(c);
        }
    }
    out
}

/// Rules 3 and 4 over normalised text: every token, in order, borrowed from `norm`.
pub fn each_token<'a>(norm: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = norm.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // ASCII fast path: letters and digits, never CJK.
        let b = bytes[i];
        if b < 0x80 {
            if !b.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i] < 0x80 && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] >= 0x80 {
                // The run goes on with other letters: the general path from its start.
                i = start;
            } else {
                if i - start >= 2 {
                    f(&norm[start..i]);
                }
                continue;
            }
        }
        let Some(c) = norm[i..].chars().next() else {
            break;
        };
        if !is_word(c) {
            i += c.len_utf8();
            continue;
        }
        // A run of word characters, split into CJK and other sub-runs.
        let start = i;
        let cjk = is_cjk(c);
        let mut chars = 0;
        // Start of the previous character (for bigrams).
        let mut prev = i;
        while let Some(c) = norm[i..].chars().next() {
            if !is_word(c) || is_cjk(c) != cjk {
                break;
            }
            if cjk && chars >= 1 {
                f(&norm[prev..i + c.len_utf8()]);
            }
            prev = i;
            i += c.len_utf8();
            chars += 1;
        }
        if (cjk && chars == 1) || (!cjk && chars >= 2) {
            f(&norm[start..i]);
        }
    }
}

/// Every token of `text` (normalised first), owned: for tests and small texts.
pub fn tokens(text: &str) -> Vec<String> {
    let norm = normalize(text);
    let mut out = Vec::new();
    each_token(&norm, |t| out.push(t.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared vectors (also run against search.js by tests/browser/tokenizer.test.js).
    #[test]
    fn tokens_match_the_shared_vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer.json");
        let text = std::fs::read_to_string(path).unwrap();
        let cases: Vec<(String, Vec<String>)> = serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["input"].as_str().unwrap().to_string(),
                    c["tokens"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect();
        assert!(cases.len() >= 20, "too few vectors");
        let mut failures = Vec::new();
        for (input, want) in &cases {
            let got = tokens(input);
            if &got != want {
                failures.push(format!("{input:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
