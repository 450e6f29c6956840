//! Code blocks highlighted at build time: syntect's grammars (the Sublime Text set that
//! Zola, bat and mdBook's successors use), written as classes (`hl-keyword`, `hl-string` …)
//! that the theme's stylesheet colours for light and dark mode alike. No JavaScript.
//!
//! A fenced block whose language syntect knows (by name or file extension: `rust`, `rs`,
//! `python`, `py`, `js`, `sh`, `html`, `latex` …) is highlighted; others stay plain text.
//!
//! A block's HTML is a pure function of its language and text (and the program), so it is
//! remembered: a process-wide memo keyed by a hash of both, so each block is highlighted once
//! per build although the website, the print edition and the EPUB all render it, and once
//! across `serve`'s generations. The memo is seeded from the previous build's file (see
//! [`decode`]; read and written by the pipeline, not here: render does no IO) and holds
//! what the last two epochs (builds, generations) used, capped at [`MEMO_CAP_BYTES`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Longer code blocks are left plain (highlighting is linear, but its constant is large).
pub const MAX_HIGHLIGHT_BYTES: usize = 256 * 1024;

/// The class prefix (`hl-keyword`): keeps the grammar's scope names apart from the theme's.
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The memo holds at most this much HTML; beyond it, blocks are highlighted but not kept.
pub const MEMO_CAP_BYTES: usize = 128 * 1024 * 1024;

struct Memo {
    /// Key → HTML and the epoch that last used it (a seeded entry: the epoch before the
    /// current one, so it survives one more epoch without being written back unused).
    entries: HashMap<u128, (Arc<str>, u64), rustc_hash::FxBuildHasher>,
    bytes: usize,
    epoch: u64,
}

impl Memo {
    const fn new() -> Memo {
        Memo {
            entries: HashMap::with_hasher(rustc_hash::FxBuildHasher),
            bytes: 0,
            epoch: 1,
        }
    }

    fn start_epoch(&mut self) -> u64 {
        self.epoch += 1;
        let keep_from = self.epoch - 1;
        let mut bytes = self.bytes;
        self.entries.retain(|_, (html, used)| {
            let keep = *used >= keep_from;
            if !keep {
                bytes -= html.len();
            }
            keep
        });
        self.bytes = bytes;
        self.epoch
    }

    fn seed(&mut self, entries: Vec<(u128, Arc<str>)>) {
        let previous = self.epoch - 1;
        for (k, html) in entries {
            if self.bytes + html.len() > MEMO_CAP_BYTES {
                break;
            }
            if !self.entries.contains_key(&k) {
                self.bytes += html.len();
                self.entries.insert(k, (html, previous));
            }
        }
    }

    fn get(&mut self, k: u128) -> Option<Arc<str>> {
        let epoch = self.epoch;
        let (html, used) = self.entries.get_mut(&k)?;
        *used = epoch;
        Some(html.clone())
    }

    fn put(&mut self, k: u128, html: &str) {
        if self.bytes + html.len() > MEMO_CAP_BYTES {
            return;
        }
        let epoch = self.epoch;
        if let Some((_, used)) = self.entries.get_mut(&k) {
            *used = epoch;
        } else {
            self.bytes += html.len();
            self.entries.insert(k, (html.into(), epoch));
        }
    }

    fn used_since(&self, epoch: u64) -> Vec<(u128, Arc<str>)> {
        let mut used: Vec<(u128, Arc<str>)> = self
            .entries
            .iter()
            .filter(|(_, (_, e))| *e >= epoch)
            .map(|(k, (html, _))| (*k, html.clone()))
            .collect();
        used.sort_unstable_by_key(|(k, _)| *k);
        used
    }
}

fn memo() -> std::sync::MutexGuard<'static, Memo> {
    static MEMO: Mutex<Memo> = Mutex::new(Memo::new());
    // A panic while it was held cannot leave it inconsistent in a way that matters: every
    // entry is a complete highlighting.
    MEMO.lock().unwrap_or_else(|e| e.into_inner())
}

/// The memo's key of a block: its language and text, hashed (128 bits: no collisions).
fn key(lang: &str, code: &str) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&(lang.len() as u64).to_le_bytes());
    h.update(lang.as_bytes());
    h.update(code.as_bytes());
    h.digest128()
}

/// Start an epoch (a build, or one of `serve`'s generations): entries that neither this
/// epoch nor the one before used are dropped. Returns the epoch, for [`used_since`].
pub fn start_epoch() -> u64 {
    memo().start_epoch()
}

/// Add a previous build's entries (see [`decode`]); they count as used only when a block asks.
pub fn seed(entries: Vec<(u128, Arc<str>)>) {
    memo().seed(entries);
}

/// The entries used since `epoch` began (sorted by key: a deterministic file).
pub fn used_since(epoch: u64) -> Vec<(u128, Arc<str>)> {
    memo().used_since(epoch)
}

/// The file's first bytes; then the format, the salt, the entries, and a checksum.
const MAGIC: &[u8; 16] = b"scholion-hl-v1\n\0";

/// `entries` as the cache file's bytes; `salt` identifies the program that made them.
pub fn encode(salt: u64, entries: &[(u128, Arc<str>)]) -> Vec<u8> {
    let size: usize = entries.iter().map(|(_, h)| 20 + h.len()).sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + 8 + size + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&salt.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (k, html) in entries {
        out.extend_from_slice(&k.to_le_bytes());
        out.extend_from_slice(&(html.len() as u32).to_le_bytes());
        out.extend_from_slice(html.as_bytes());
    }
    let sum = xxhash_rust::xxh3::xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// The entries of a cache file made by [`encode`] with the same `salt`; anything else (another
/// program's file, a truncated or corrupt one) is no entries.
pub fn decode(salt: u64, bytes: &[u8]) -> Vec<(u128, Arc<str>)> {
    decode_checked(salt, bytes).unwrap_or_default()
}

fn decode_checked(salt: u64, bytes: &[u8]) -> Option<Vec<(u128, Arc<str>)>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if xxhash_rust::xxh3::xxh3_64(body).to_le_bytes() != sum {
        return None;
    }
    let mut rest = body.strip_prefix(MAGIC.as_slice())?;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    if u64::from_le_bytes(take(8)?.try_into().ok()?) != salt {
        return None;
    }
    let count = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let mut entries = Vec::new();
    for _ in 0..count {
        let k = u128::from_le_bytes(take(16)?.try_into().ok()?);
        let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        let html = std::str::from_utf8(take(len)?).ok()?;
        entries.push((k, Arc::from(html)));
    }
    rest.is_empty().then_some(entries)
}

/// The language of a fence's info string (`rust`, `rust,ignore`, `{.python}`, `py title="x"`).
pub fn language(info: &str) -> &str {
    let first = info.split_whitespace().next().unwrap_or("");
    let first = first.split(',').next().unwrap_or("");
    first
        .trim_start_matches('{')
        .trim_start_matches('.')
        .trim_end_matches('}')
}

/// `code` (a fenced block's text) as highlighted HTML (spans only; the caller writes
/// `<pre><code>`), or `None` when the language is unknown, the block too long, or the
/// grammar fails on it.
pub fn highlight(lang: &str, code: &str) -> Option<String> {
    if lang.is_empty() || code.len() > MAX_HIGHLIGHT_BYTES {
        return None;
    }
    let k = key(lang, code);
    // (The lock is not held while highlighting: two threads may do one block twice.)
    if let Some(html) = memo().get(k) {
        return Some(html.to_string());
    }
    let html = highlight_uncached(lang, code)?;
    memo().put(k, &html);
    Some(html)
}

fn highlight_uncached(lang: &str, code: &str) -> Option<String> {
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_token(&lang.to_ascii_lowercase()))?;
    if syntax.name == "Plain Text" {
        return None;
    }
    // A panic in a grammar must not take the build down: the block stays plain.
    std::panic::catch_unwind(|| {
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .ok()?;
        }
        Some(generator.finalize())
    })
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_classes_and_others_stay_plain() {
        let html = highlight("rust", "fn main() { let s = \"<x>\"; }\n").unwrap();
        assert!(
            html.contains("hl-keyword") || html.contains("hl-storage"),
            "{html}"
        );
        assert!(html.contains("hl-string"), "{html}");
        assert!(html.contains("&lt;x&gt;"), "{html}");
        assert!(highlight("py", "def f(): return 1\n").is_some());
        assert!(highlight("nolang", "x").is_none());
        assert!(highlight("", "x").is_none());
        assert_eq!(language("rust,ignore"), "rust");
        assert_eq!(language("{.python}"), "python");
        assert_eq!(language("py title=\"a\""), "py");
    }

    #[test]
    fn the_memo_gives_what_highlighting_gives_and_is_used() {
        let code = "fn memo_test_7f3a() -> u32 { 42 }\n";
        let fresh = highlight_uncached("rust", code).unwrap();
        assert_eq!(highlight("rust", code).as_deref(), Some(fresh.as_str()));
        assert_eq!(highlight("rust", code).as_deref(), Some(fresh.as_str()));
        // A seeded entry is what a block gets (so a file's entries are used, not redone).
        let other = "fn memo_test_seeded_91c2() {}\n";
        seed(vec![(key("rust", other), Arc::from("<span>seeded</span>"))]);
        assert_eq!(
            highlight("rust", other).as_deref(),
            Some("<span>seeded</span>")
        );
        // Language and text are both in the key.
        assert_ne!(key("rust", "ab"), key("rus", "tab"));
    }

    #[test]
    fn the_memo_keeps_what_the_last_two_epochs_used_and_writes_what_this_one_used() {
        let mut memo = Memo::new();
        let first = memo.start_epoch();
        memo.seed(vec![(1, Arc::from("one")), (2, Arc::from("two"))]);
        memo.put(3, "three");
        assert_eq!(memo.get(1).as_deref(), Some("one"));
        // Written back: what this epoch used or made, not the seeded entry it did not use.
        let keys = |v: Vec<(u128, Arc<str>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(keys(memo.used_since(first)), [1, 3]);
        // The next epoch drops the seed nobody used, keeps what the first used.
        let second = memo.start_epoch();
        assert_eq!(memo.get(2), None);
        assert!(memo.used_since(second).is_empty());
        assert_eq!(memo.get(3).as_deref(), Some("three"));
        // Unused for a whole epoch (the second): gone, and the byte count follows.
        memo.start_epoch();
        assert_eq!(memo.get(1), None);
        assert_eq!(memo.get(3).as_deref(), Some("three"));
        assert_eq!(memo.bytes, "three".len());
        // The cap: an entry that would pass it is not kept.
        memo.put(4, &"x".repeat(MEMO_CAP_BYTES));
        assert_eq!(memo.get(4), None);
    }

    #[test]
    fn cache_files_round_trip_and_corrupt_ones_are_empty() {
        let entries: Vec<(u128, Arc<str>)> =
            vec![(1, "<b>a</b>".into()), (u128::MAX, "é\n".into())];
        let bytes = encode(7, &entries);
        assert_eq!(decode(7, &bytes), entries);
        // Another program's file, every truncation and every flipped byte: nothing.
        assert!(decode(8, &bytes).is_empty());
        for cut in 0..bytes.len() {
            assert!(decode(7, &bytes[..cut]).is_empty(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(decode(7, &bad).is_empty(), "byte {i} flipped");
        }
        assert!(decode(7, b"").is_empty());
        assert!(decode(7, &[0xff; 64]).is_empty());
        // A well-summed file whose lengths lie (or whose HTML is not UTF-8) is empty too.
        let mut lying = bytes[..bytes.len() - 8].to_vec();
        lying[MAGIC.len() + 8] = 200; // the count
        let sum = xxhash_rust::xxh3::xxh3_64(&lying);
        lying.extend_from_slice(&sum.to_le_bytes());
        assert!(decode(7, &lying).is_empty());
    }
}
