//! The search index: a prebuilt, sharded inverted index that any static server can serve.
//!
//! Tokens are `markdown::tokenize`'s (the same rules as the page's script): words of two or
//! more characters (accents folded), bigrams of Chinese, Japanese and Korean text.
//!
//! Layout under `search/`:
//! - `meta.json`: document count, chunk size, and each shard's first key;
//! - `shard/<n>.json`: tokens → postings `[doc, count]`, at most `MAX_POSTINGS` per token
//!   (the docs that use it most). A token's *key* is its first three characters, or its
//!   first character for a CJK token; all tokens of a key are in one shard, and shards hold
//!   runs of keys in code-point order, cut when a shard reaches `SHARD_BYTES` (so a small
//!   reader writes a few shards and a large one many of about the same size);
//! - `docs/<n>.json`: titles, URLs, kinds and summaries of documents `n*CHUNK ..`;
//!
//! A query downloads `meta.json`, one shard per token, the doc chunks of its top results and
//! (for excerpts) the pages of its ten best results (see `benches/search_payload.py`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::Page;
use crate::index::Site;
use crate::route::Route;

/// A key's tokens and their postings `[doc, count]`.
type Tokens = BTreeMap<String, Vec<(u32, u32)>>;

pub const CHUNK: usize = 100;
pub const MAX_POSTINGS: usize = 400;
/// A shard is closed once it holds this many bytes of JSON (a key is never split).
pub const SHARD_BYTES: usize = 64 * 1024;

#[derive(Serialize)]
struct Meta {
    docs: usize,
    chunk: usize,
    /// The first key of each shard, in order: key `k` is in the last shard whose first
    /// key is not greater than `k` (compared by code point).
    shards: Vec<String>,
}

#[derive(Serialize)]
struct DocEntry {
    t: String,
    u: String,
    k: &'static str,
    s: String,
}

struct Doc<'a> {
    entry: DocEntry,
    /// Title-like text (title, subtitle, aliases…), tokenized here.
    header: String,
    /// The body's word counts, from the scan.
    body: Option<&'a crate::markdown::WordCounts>,
}

/// A token's shard key: its first three characters, or the first one of a CJK token (so a
/// one-character query finds the bigrams it starts).
pub fn key_of(token: &str) -> &str {
    let mut ends = token.char_indices().map(|(i, c)| (i + c.len_utf8(), c));
    match ends.next() {
        Some((end, c)) if crate::markdown::tokenize::is_cjk(c) => &token[..end],
        Some(_) => ends.nth(1).map_or(token, |(end, _)| &token[..end]),
        None => token,
    }
}

/// JSON with `<`, `>` and `&` written as `\u003c`, `\u003e` and `\u0026`: the same data to
/// a JSON parser, but no markup a user wrote appears in the file (they occur only inside
/// strings, where the escapes are valid).
fn json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let text = serde_json::to_string(value).unwrap_or_default();
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .into_bytes()
}

fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

pub fn index_files(site: &Site) -> Vec<Page> {
    let mut docs: Vec<Doc> = Vec::new();
    for i in site.published_essays() {
        let e = site.essay(i);
        let scan = &site.essay_scans[i.0];
        docs.push(Doc {
            entry: DocEntry {
                t: e.title.clone(),
                u: site.href(&Route::Essay(i)),
                k: "essay",
                s: e.summary
                    .clone()
                    .unwrap_or_else(|| clip(&scan.first_paragraph, 240).to_string()),
            },
            header: format!("{} {}", e.title, e.subtitle.clone().unwrap_or_default()),
            body: Some(&scan.tokens),
        });
    }
    for i in site.term_ids() {
        let t = site.term(i);
        let scan = &site.term_scans[i.0];
        let aliases: Vec<&str> = t.aliases.iter().map(|a| a.value.as_str()).collect();
        docs.push(Doc {
            entry: DocEntry {
                t: t.name.clone(),
                u: site.href(&Route::Term(i)),
                k: "term",
                s: t.short
                    .clone()
                    .unwrap_or_else(|| clip(&scan.first_paragraph, 240).to_string()),
            },
            header: format!(
                "{} {} {} {}",
                t.name,
                aliases.join(", "),
                t.original.as_ref().map_or("", |o| o.value.as_str()),
                t.transliteration.as_deref().unwrap_or("")
            ),
            body: Some(&scan.tokens),
        });
    }
    for i in site.source_ids() {
        let s = site.source(i);
        let plain = strip_tags(&s.html);
        docs.push(Doc {
            entry: DocEntry {
                t: s.title.clone(),
                u: site.href(&Route::Source(i)),
                k: "source",
                s: plain.clone(),
            },
            header: format!("{} {} {}", s.title, s.key, plain),
            body: None,
        });
    }

    // Count tokens per document in parallel, a block of documents at a time (so the
    // per-document counts of a large reader are never all held at once), and merge them
    // in document order. Each document is lowercased once and its tokens borrowed from it.
    let mut postings: FxHashMap<String, Vec<(u32, u32)>> = FxHashMap::default();
    for (block, chunk) in docs.chunks(512).enumerate() {
        // Body words are borrowed from the scans; only header words are copied.
        let counts: Vec<Vec<(Cow<str>, u32)>> = chunk
            .par_iter()
            .map(|d| {
                let header = crate::markdown::tokenize::normalize(&d.header);
                let mut head: FxHashMap<&str, u32> = FxHashMap::default();
                crate::markdown::count_words(&header, &mut head);
                let mut out: Vec<(Cow<str>, u32)> = d
                    .body
                    .into_iter()
                    .flat_map(|b| b.iter())
                    .map(|(t, n)| (Cow::Borrowed(t), n + head.remove(t).unwrap_or(0)))
                    .collect();
                out.extend(
                    head.into_iter()
                        .map(|(t, n)| (Cow::Owned(t.to_string()), n)),
                );
                out
            })
            .collect();
        for (offset, doc_counts) in counts.into_iter().enumerate() {
            let id = (block * 512 + offset) as u32;
            for (token, n) in doc_counts {
                match postings.get_mut(&*token) {
                    Some(list) => list.push((id, n)),
                    None => {
                        postings.insert(token.into_owned(), vec![(id, n)]);
                    }
                }
            }
        }
    }
    let mut keys: BTreeMap<String, Tokens> = BTreeMap::new();
    for (token, mut list) in postings {
        if list.len() > MAX_POSTINGS {
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(MAX_POSTINGS);
            list.sort_unstable();
        }
        let key = key_of(&token).to_string();
        keys.entry(key).or_default().insert(token, list);
    }
    // Runs of keys, in order, into shards of about SHARD_BYTES (estimated: a posting is
    // about 8 bytes of JSON, a token its length and 6).
    let mut shards: Vec<(String, Vec<&Tokens>)> = Vec::new();
    let mut size = usize::MAX;
    for (key, tokens) in &keys {
        if size >= SHARD_BYTES {
            shards.push((key.clone(), Vec::new()));
            size = 0;
        }
        size += tokens
            .iter()
            .map(|(t, l)| t.len() + 6 + l.len() * 8)
            .sum::<usize>();
        if let Some(last) = shards.last_mut() {
            last.1.push(tokens);
        }
    }

    let mut pages: Vec<Page> = Vec::new();
    let meta = Meta {
        docs: docs.len(),
        chunk: CHUNK,
        shards: shards.iter().map(|(k, _)| k.clone()).collect(),
    };
    let routes = &site.routes;
    pages.push((routes.output_path(&Route::SearchMeta), json(&meta)));
    let shard_pages: Vec<Page> = shards
        .par_iter()
        .enumerate()
        .map(|(n, (_, groups))| {
            let merged: BTreeMap<&str, &Vec<(u32, u32)>> = groups
                .iter()
                .flat_map(|g| g.iter().map(|(t, l)| (t.as_str(), l)))
                .collect();
            let route = Route::SearchShard(n.to_string());
            (routes.output_path(&route), json(&merged))
        })
        .collect();
    pages.extend(shard_pages);
    for (n, chunk) in docs.chunks(CHUNK).enumerate() {
        let entries: Vec<&DocEntry> = chunk.iter().map(|d| &d.entry).collect();
        pages.push((routes.output_path(&Route::SearchDocs(n)), json(&entries)));
    }
    pages
}

/// Text of a small HTML fragment we produced (a formatted bibliography entry).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_three_characters_or_one_cjk_character() {
        assert_eq!(key_of("sovereignty"), "sov");
        assert_eq!(key_of("müller"), "mül");
        assert_eq!(key_of("ab"), "ab");
        assert_eq!(key_of("互联"), "互");
        assert_eq!(key_of("网"), "网");
    }

    #[test]
    fn json_records_hold_no_markup() {
        let bytes = json(&["<script>alert(1)</script> & co"]);
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            !text.contains('<') && !text.contains('>') && !text.contains('&'),
            "{text}"
        );
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ["<script>alert(1)</script> & co"]);
    }
}
