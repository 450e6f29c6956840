//! A cache of formatted citations kept on disk between builds.
//!
//! hayagriva takes about 100 µs a citation and a millisecond an entry in a large style (a
//! quarter of a 10,000-essay build was spent there), and a reader's bibliography rarely
//! changes between two builds. Formatting is a pure function of its inputs, so results are
//! stored under a hash of all of them and reused: a document's citations under every entry
//! it cites, its items (with their use numbers), their order and notes, the style, the
//! locale and the program; the reader-wide bibliography under every entry. A changed entry
//! or citation simply misses.
//!
//! The file lives in the user's cache folder (`$SCHOLION_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/scholion`, else `~/.cache/scholion`), one per project, and holds only
//! what the last build used. It is best effort: a missing, unreadable or corrupt file is an
//! empty cache, and a failure to write it is ignored. `SCHOLION_CACHE_DIR=` (empty) turns it
//! off.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

/// Bump when the cached HTML's meaning changes.
const FORMAT: u32 = 2;

#[derive(Deserialize)]
struct File {
    format: u32,
    salt: String,
    entries: HashMap<String, String>,
}

pub struct FormatCache {
    path: Option<PathBuf>,
    salt: u64,
    loaded: HashMap<u64, String>,
    /// What this build used or made: the next file.
    used: Mutex<HashMap<u64, String>>,
}

impl FormatCache {
    /// A cache that remembers nothing (serve's generations share a bibliography instead).
    pub fn disabled() -> FormatCache {
        FormatCache {
            path: None,
            salt: 0,
            loaded: HashMap::new(),
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Open the cache of the project at `root` for a style identified by `style` (its name
    /// or its `.csl` text).
    pub fn open(root: &Path, style: &str) -> FormatCache {
        let Some(dir) = cache_dir() else {
            return FormatCache::disabled();
        };
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let path = dir.join(format!("citations-{:016x}.json", hash_of(&root)));
        let salt = hash_of(&(FORMAT, env!("CARGO_PKG_VERSION"), style, program()));
        let loaded = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<File>(&bytes).ok())
            .filter(|f| f.format == FORMAT && f.salt == format!("{salt:016x}"))
            .map(|f| {
                f.entries
                    .into_iter()
                    .filter_map(|(k, v)| Some((u64::from_str_radix(&k, 16).ok()?, v)))
                    .collect()
            })
            .unwrap_or_default();
        FormatCache {
            path: Some(path),
            salt,
            loaded,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// The key of a formatting made from `parts` (the entry, the item, the form).
    pub fn key(&self, parts: impl Hash) -> u64 {
        hash_of(&(self.salt, parts))
    }

    pub fn get(&self, key: u64) -> Option<String> {
        self.path.as_ref()?;
        let hit = self.loaded.get(&key)?;
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, hit.clone());
        Some(hit.clone())
    }

    pub fn put(&self, key: u64, html: &str) {
        if self.path.is_some() {
            self.used
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, html.to_string());
        }
    }

    /// What this build used, as the file to write (its path and bytes), if that differs
    /// from what was read. The write stage writes it (`output::write_cache_file`), so a
    /// `check` never touches the cache folder.
    pub fn pending(&self) -> Option<(PathBuf, Vec<u8>)> {
        let path = self.path.as_ref()?;
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.len() == self.loaded.len() && used.keys().all(|k| self.loaded.contains_key(k)) {
            return None;
        }
        // Written as a JSON object by hand: the file's record type only deserializes
        // (`Serialize` is kept to the render stage's view types).
        let mut entries: Vec<(&u64, &String)> = used.iter().collect();
        entries.sort_unstable();
        let mut object = serde_json::Map::new();
        for (k, v) in entries {
            object.insert(format!("{k:016x}"), serde_json::Value::from(v.as_str()));
        }
        let file = serde_json::json!({
            "format": FORMAT,
            "salt": format!("{:016x}", self.salt),
            "entries": object,
        });
        Some((path.clone(), serde_json::to_vec(&file).ok()?))
    }
}

/// The program itself is part of every key: a rebuilt binary may format (or highlight)
/// differently.
fn program() -> Option<(u64, Option<std::time::SystemTime>)> {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| (m.len(), m.modified().ok()))
        .ok()
}

/// The highlighted code blocks of the project's last build (see `markdown::highlight`): one
/// file beside the citation cache, holding what that build used. Opening it starts the
/// memo's epoch for this build and seeds the memo; a missing, unreadable, corrupt or
/// other program's file seeds nothing.
pub struct HighlightCache {
    /// The file and the salt of this program's entries; `None`: the cache is off.
    file: Option<(PathBuf, u64)>,
    epoch: u64,
    /// The keys the file held (sorted): an unchanged set is not written again.
    loaded: Vec<u128>,
}

/// Bump when the file's layout or the highlighted HTML's meaning changes.
const HIGHLIGHT_FORMAT: u32 = 1;

impl HighlightCache {
    pub fn open(root: &Path) -> HighlightCache {
        let epoch = crate::markdown::highlight::start_epoch();
        let Some(dir) = cache_dir() else {
            return HighlightCache {
                file: None,
                epoch,
                loaded: Vec::new(),
            };
        };
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let path = dir.join(format!("highlights-{:016x}.bin", hash_of(&root)));
        let salt = hash_of(&(HIGHLIGHT_FORMAT, env!("CARGO_PKG_VERSION"), program()));
        let entries = std::fs::read(&path)
            .map(|bytes| crate::markdown::highlight::decode(salt, &bytes))
            .unwrap_or_default();
        let mut loaded: Vec<u128> = entries.iter().map(|(k, _)| *k).collect();
        loaded.sort_unstable();
        crate::markdown::highlight::seed(entries);
        HighlightCache {
            file: Some((path, salt)),
            epoch,
            loaded,
        }
    }

    /// What this build highlighted, as the file to write (its path and bytes), if that
    /// differs from what was read (written by the write stage, after a build only).
    pub fn pending(&self) -> Option<(PathBuf, Vec<u8>)> {
        let (path, salt) = self.file.as_ref()?;
        let used = crate::markdown::highlight::used_since(self.epoch);
        if used.len() == self.loaded.len() && used.iter().zip(&self.loaded).all(|(u, k)| u.0 == *k)
        {
            return None;
        }
        Some((
            path.clone(),
            crate::markdown::highlight::encode(*salt, &used),
        ))
    }
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SCHOLION_CACHE_DIR") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("scholion"));
    }
    let home = std::env::var_os("HOME").filter(|d| !d.is_empty())?;
    Some(PathBuf::from(home).join(".cache").join("scholion"))
}

/// A hash that is the same in every run of one program (SipHash with fixed keys).
pub(super) fn hash_of(value: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}
