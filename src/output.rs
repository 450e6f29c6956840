//! The write stage, and the only module that writes to the user's disk.
//!
//! A build writes into a staging folder beside the output folder and swaps it in only when
//! the whole build succeeded, so a failed build leaves the previous output exactly as it was.
//! Scholion marks its own output with a `.scholion-output` file and refuses to replace a
//! non-empty folder without it (unless `--force`), or any dangerous folder. (`serve` writes
//! nothing: it renders pages into memory on request; see `serve.rs`.)

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, Result};

use crate::config::Inputs;
use crate::diagnostics::Diagnostic;

/// The file that marks a folder as Scholion's output.
pub const MARKER: &str = ".scholion-output";

const MARKER_TEXT: &str =
    "This folder was written by Scholion; it replaces it whole on every build.\n";

/// Write a file and return its identity after the write.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<FileId> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    Ok(FileId::of(&file.metadata()?))
}

/// Make a path absolute and lexically normal (no `.`/`..`), without touching the disk.
pub fn normalise(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    // Resolve symlinks of the existing part, so `out` and the project compare truly.
    std::fs::canonicalize(&out).unwrap_or(out)
}

/// Refuse output folders that would destroy the project or someone else's files: the
/// project folder or one containing it, and any folder that contains an input or lies
/// inside one (the content folder, `themes/`, the theme, the bibliography, a `.csl` style,
/// book.toml), or inside Scholion's state folder.
pub fn check_output_dir(
    root: &Path,
    inputs: &Inputs,
    out: &Path,
    force: bool,
) -> Result<(), Diagnostic> {
    let (root, out) = (normalise(root), normalise(out));
    if root.starts_with(&out) {
        return Err(Diagnostic::error(format!(
            "refusing to write the site to `{}`: it is the project folder or contains it",
            out.display()
        ))
        .hint("choose an output folder inside the project, such as `public`"));
    }
    let shown = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let state = root.join(STATE_DIR);
    let mut named = inputs.named();
    named.push((&state, "Scholion's state folder"));
    for (input, what) in named {
        let input = normalise(input);
        let relation = if out == input {
            "is"
        } else if out.starts_with(&input) {
            "is inside"
        } else if input.starts_with(&out) {
            "contains"
        } else {
            continue;
        };
        return Err(Diagnostic::error(format!(
            "refusing to write the site to `{}`: it {relation} {what} `{}`",
            shown(&out),
            shown(&input)
        ))
        .hint(
            "a build replaces its output folder whole: choose one that holds no input and lies in none, such as `public`",
        ));
    }
    if out.is_file() {
        return Err(
            Diagnostic::error(format!("the output path `{}` is a file", out.display()))
                .hint("choose a folder for the output"),
        );
    }
    if out.is_dir() && !force && !out.join(MARKER).exists() {
        let non_empty = std::fs::read_dir(&out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(Diagnostic::error(format!(
                "refusing to replace `{}`: it is not empty and Scholion did not write it",
                out.display()
            ))
            .hint(
                "choose another output folder, empty this one, or pass `--force` to replace it",
            ));
        }
    }
    Ok(())
}

/// The hidden folder at the project root that holds all of Scholion's state for a project,
/// one subfolder per output folder (`.scholion/public/`): `spare/` (the output the build
/// before last replaced), `files-<n>` (output records), `staging-<pid>/` (the folder a
/// running build fills). Per output, so that `--out elsewhere` does not take `public`'s spare.
pub const STATE_DIR: &str = ".scholion";

/// Where the state of the output folder `out` lives: `.scholion/<key>/` in the project when
/// it is on the same file system as the output's parent (the swap is a rename, and renames
/// are atomic only within one file system), else `.<out>.scholion/` beside the output (an
/// `--out` on another disk, say). The key is the output's name for a folder at the project
/// root (`public`), else its name and a hash of its path.
pub fn state_dir(root: &Path, out: &Path) -> PathBuf {
    let (root, out) = (normalise(root), normalise(out));
    let parent = out.parent().unwrap_or(Path::new("/"));
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    if same_device(&root, parent) {
        let key = if parent == root {
            name.into_owned()
        } else {
            let hash = xxhash_rust::xxh3::xxh3_64(out.as_os_str().as_encoded_bytes());
            format!("{name}-{hash:016x}")
        };
        root.join(STATE_DIR).join(key)
    } else {
        parent.join(format!(".{name}.scholion"))
    }
}

fn same_device(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev(),
            // The output's parent does not exist yet: it will be made in the project's
            // file system only if it is inside the project.
            _ => b.starts_with(a),
        }
    }
    #[cfg(not(unix))]
    {
        b.starts_with(a)
    }
}

/// A staging folder being filled by a build.
///
/// The folder a build replaced is not deleted but kept as the state folder's `spare/`, and
/// the next build stages into it: it overwrites the files that are still there (skipping
/// those whose bytes are unchanged) and removes the ones it did not produce. On ext4,
/// creating a file allocates an inode, and the allocator skips inodes freed in the last
/// minute; deleting the old site and creating 12,000 new files made a rebuild of 1,000
/// essays spend 1–3 s in the kernel (`find_inode_bit`, `recently_deleted` in `perf`),
/// against 0.4 s for all the rest of the build. Rewriting files that exist reuses their
/// inodes. The cost is a second copy of the site on disk. A file that has other hard links
/// (a `cp -al` backup of the output shares its inodes) is never written in place: it is
/// unlinked and written anew, so the other names keep their bytes.
///
/// Whether a file is unchanged is decided without reading it: every build records, in the
/// state folder, the hash of each file it wrote with the file's identity (size, inode, change
/// time), in `files-<inode of the folder>`. A file is skipped when its identity is the
/// recorded one and the new bytes hash the same. Reading the old files to compare them was
/// an eighth of a 10,000-essay build where the page cache does not keep the previous site
/// (disk reads in `perf`). Without a record (a spare from an older Scholion, say), files are
/// compared by reading them. Limit: on a file system whose change times are coarse (whole
/// seconds), an edit of the same length within that second of the build could go unseen;
/// ext4, XFS, Btrfs and APFS keep nanoseconds.
///
/// The swap never leaves the output path missing: on Linux it is one `renameat2` with
/// `RENAME_EXCHANGE` (on macOS `renamex_np` with `RENAME_SWAP`), which exchanges the staging
/// folder and the output atomically; the old output, now under the staging name, becomes
/// the spare. Where the exchange is not available (other systems, or a file system that
/// refuses it), it is two renames, with a moment between them when the output path is
/// missing. A killed build leaves `staging-<pid>/`; the next build takes it as the spare
/// (or removes it) once that process is gone.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    state: PathBuf,
    spare: PathBuf,
    /// Files the claimed spare held (relative paths), their identity and their number of
    /// hard links; the build removes each one it writes, and whatever is left at commit is
    /// stale.
    stale: Mutex<HashMap<PathBuf, (FileId, u64)>>,
    /// What the spare's build recorded of its files, when it left a record.
    recorded: Option<HashMap<PathBuf, Recorded>>,
    /// This build's record, written at commit.
    written: Mutex<Vec<(PathBuf, Recorded)>>,
    reused: bool,
    /// The state folder, when this build made it: a failed build removes it again (it leaves
    /// no trace).
    made_state: Option<PathBuf>,
}

/// A file's identity on disk: any write to it changes its change time, which no tool can
/// set back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    size: u64,
    inode: u64,
    changed: (i64, i64),
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            FileId {
                size: meta.len(),
                inode: meta.ino(),
                changed: (meta.ctime(), meta.ctime_nsec()),
            }
        }
        #[cfg(not(unix))]
        {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            FileId {
                size: meta.len(),
                inode: 0,
                changed: (
                    modified.as_secs() as i64,
                    i64::from(modified.subsec_nanos()),
                ),
            }
        }
    }
}

/// How many names a file has (hard links); 1 where the system does not say.
fn links(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        meta.nlink()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// A file as a build recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recorded {
    id: FileId,
    hash: u128,
}

/// The hash of a file's bytes in the record: XXH3, 128 bits (a stable, specified function;
/// a chance collision would need about 2^64 versions of one page).
fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// A writer that hashes what it writes (the record's hash, without the bytes in memory),
/// and keeps its own first error apart from its caller's.
struct HashingWriter<W> {
    inner: W,
    hasher: xxhash_rust::xxh3::Xxh3,
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.inner.write(buf) {
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                Ok(n)
            }
            Err(err) => Err(self.failed(err)),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().map_err(|err| self.failed(err))
    }
}

impl<W> HashingWriter<W> {
    /// Remember the write stage's error; the caller gets one of the same kind.
    fn failed(&mut self, err: std::io::Error) -> std::io::Error {
        let kind = err.kind();
        let message = err.to_string();
        self.error.get_or_insert(err);
        std::io::Error::new(kind, message)
    }
}

/// Whether two files hold the same bytes (read in blocks, never whole).
fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read as _;
    let (Ok(fa), Ok(fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    match (fa.metadata(), fb.metadata()) {
        (Ok(ma), Ok(mb)) if ma.is_file() && ma.len() == mb.len() => {}
        _ => return false,
    }
    let (mut ra, mut rb) = (
        std::io::BufReader::with_capacity(1 << 16, fa),
        std::io::BufReader::with_capacity(1 << 16, fb),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = match ra.read(&mut ba) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if n == 0 {
            // Both are the same length: `b` is at its end too.
            return true;
        }
        if rb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

const RECORD_HEADER: &str = "scholion output record 2 xxh3-128";

/// `files-<n>` in the state folder: the record of the output folder whose inode is `n` (a
/// folder keeps its inode when renamed, so the record follows the output when it becomes the
/// spare, and the marker, which is published, stays the same from build to build).
fn record_path(state: &Path, dir: &Path) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let inode = std::fs::symlink_metadata(dir).ok()?.ino();
        Some(state.join(format!("{RECORD_PREFIX}{inode}")))
    }
    #[cfg(not(unix))]
    {
        let _ = (state, dir);
        None
    }
}

const RECORD_PREFIX: &str = "files-";
const STAGING_PREFIX: &str = "staging-";
const OLD_PREFIX: &str = "old-";

/// Read a record; any damage makes it no record at all (the build then compares files).
fn read_record(path: &Path) -> Option<HashMap<PathBuf, Recorded>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.split('\n');
    if lines.next()? != RECORD_HEADER {
        return None;
    }
    let mut map = HashMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let mut f = line.splitn(6, ' ');
        let mut next = || f.next();
        let hash = u128::from_str_radix(next()?, 16).ok()?;
        let size = next()?.parse().ok()?;
        let inode = next()?.parse().ok()?;
        let secs = next()?.parse().ok()?;
        let nanos = next()?.parse().ok()?;
        let rel = PathBuf::from(next()?);
        let id = FileId {
            size,
            inode,
            changed: (secs, nanos),
        };
        map.insert(rel, Recorded { id, hash });
    }
    Some(map)
}

fn write_record(path: &Path, entries: &[(PathBuf, Recorded)]) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(entries.len() * 96);
    text.push_str(RECORD_HEADER);
    text.push('\n');
    for (rel, r) in entries {
        let Some(rel) = rel.to_str().filter(|r| !r.contains('\n')) else {
            continue;
        };
        let id = r.id;
        let _ = writeln!(
            text,
            "{:032x} {} {} {} {} {rel}",
            r.hash, id.size, id.inode, id.changed.0, id.changed.1
        );
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl Staging {
    /// Prepare the staging folder for the output folder `out` of the project at `root`.
    pub fn new(root: &Path, out: &Path) -> Result<Staging> {
        let out = normalise(out);
        let parent = out
            .parent()
            .context("the output folder has no parent")?
            .to_path_buf();
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let state = state_dir(root, &out);
        // The folder that ignores itself in git: `.scholion/` (or `.<out>.scholion/`).
        let top = if state.parent().is_some_and(|p| p.ends_with(STATE_DIR)) {
            state.parent().unwrap_or(&state).to_path_buf()
        } else {
            state.clone()
        };
        let made_state = !top.is_dir();
        std::fs::create_dir_all(&state)
            .with_context(|| format!("cannot create {}", state.display()))?;
        if made_state {
            // It ignores itself in git, whatever the repository's .gitignore says.
            let _ = std::fs::write(top.join(".gitignore"), "*\n");
        }
        let spare = state.join("spare");
        sweep(&state, &out, &spare);
        let dir = state.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        if std::fs::symlink_metadata(&dir).is_ok() {
            remove_tree(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        // Claiming the spare is one rename, so two builds can never share it.
        let mut stale = HashMap::new();
        let mut recorded = None;
        let reused = std::fs::symlink_metadata(&spare).is_ok_and(|m| m.is_dir())
            && std::fs::rename(&spare, &dir).is_ok();
        if reused {
            recorded = record_path(&state, &dir).and_then(|r| read_record(&r));
            stale =
                prepare_spare(&dir).with_context(|| format!("cannot reuse {}", dir.display()))?;
        } else {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(Staging {
            dir,
            out,
            state,
            spare,
            stale: Mutex::new(stale),
            recorded,
            written: Mutex::new(Vec::new()),
            reused,
            made_state: made_state.then_some(top),
        })
    }

    /// The output folder this staging folder will replace (normalised).
    pub fn target(&self) -> &Path {
        &self.out
    }

    /// Write one file (called from many threads).
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let rel = safe_relative(rel)?;
        let path = self.dir.join(&rel);
        let hash = content_hash(bytes);
        if let Some((id, links)) = self.claim(&rel) {
            // Unchanged bytes: leave the file (and its modification time) alone.
            let unchanged = match &self.recorded {
                Some(recorded) => recorded
                    .get(&rel)
                    .is_some_and(|r| r.id == id && r.hash == hash),
                None => std::fs::read(&path).is_ok_and(|old| old == bytes),
            };
            if unchanged {
                self.record(rel, Recorded { id, hash });
                return Ok(());
            }
            // Other names share this inode (a hard-linked backup): writing in place
            // would change them too. Unlink it; the write below makes a new inode.
            if links > 1 {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot replace {}", path.display()))?;
            }
        }
        self.make_parent(&path)?;
        let written = match write_file(&path, bytes) {
            // …or a folder where a file goes.
            Err(_) if self.reused && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) => {
                std::fs::remove_dir_all(&path).and_then(|()| write_file(&path, bytes))
            }
            other => other,
        };
        let id = written.with_context(|| format!("cannot write {}", path.display()))?;
        self.record(rel, Recorded { id, hash });
        Ok(())
    }

    /// Write one file as `make` produces it, never holding it whole in memory (the print
    /// edition and the EPUB of a large reader are hundreds of MB). The bytes go to a
    /// temporary file in the staging folder, hashed on the way; then, as `put` does, an
    /// unchanged file is left alone (the temporary file is dropped) and a changed one is
    /// replaced (a rename: the old inode, and any hard-linked backup of it, keeps its bytes).
    ///
    /// The outer error is the write stage's (the disk); the inner one is `make`'s own
    /// failure, after which nothing is written or recorded.
    pub fn put_stream(
        &self,
        rel: &str,
        make: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>> {
        use std::io::Write as _;
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let rel = safe_relative(rel)?;
        let path = self.dir.join(&rel);
        // In the staging folder (one file system with the output, so the rename is one),
        // under a name no route makes; a killed build's leftover is a stale file of the
        // spare, removed by the next commit.
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self.dir.join(format!(".scholion-stream-{n}"));
        // Never write into an inode another name shares.
        let _ = std::fs::remove_file(&tmp);
        let file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut w = HashingWriter {
            inner: std::io::BufWriter::with_capacity(1 << 20, file),
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            error: None,
        };
        let made = make(&mut w).and_then(|()| w.flush());
        let HashingWriter {
            inner,
            hasher,
            error,
        } = w;
        if let Some(err) = error {
            let _ = std::fs::remove_file(&tmp);
            return Err(err).with_context(|| format!("cannot write {}", path.display()));
        }
        if let Err(err) = made {
            let _ = std::fs::remove_file(&tmp);
            return Ok(Err(err));
        }
        drop(inner);
        let hash = hasher.digest128();
        if let Some((id, _links)) = self.claim(&rel) {
            let unchanged = match &self.recorded {
                Some(recorded) => recorded
                    .get(&rel)
                    .is_some_and(|r| r.id == id && r.hash == hash),
                None => same_bytes(&path, &tmp),
            };
            if unchanged {
                let _ = std::fs::remove_file(&tmp);
                self.record(rel, Recorded { id, hash });
                return Ok(Ok(()));
            }
        }
        let placed = self.make_parent(&path).and_then(|()| {
            let renamed = match std::fs::rename(&tmp, &path) {
                // A folder where the file goes (an older build's layout, or hands).
                Err(_)
                    if self.reused
                        && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) =>
                {
                    std::fs::remove_dir_all(&path).and_then(|()| std::fs::rename(&tmp, &path))
                }
                other => other,
            };
            renamed
                .and_then(|()| std::fs::symlink_metadata(&path))
                .with_context(|| format!("cannot write {}", path.display()))
        });
        match placed {
            Ok(meta) => {
                self.record(
                    rel,
                    Recorded {
                        id: FileId::of(&meta),
                        hash,
                    },
                );
                Ok(Ok(()))
            }
            Err(err) => {
                let _ = std::fs::remove_file(&tmp);
                Err(err)
            }
        }
    }

    /// Take `rel` off the list of the spare's files this build has not written yet: its
    /// identity and number of links, if the spare held it.
    fn claim(&self, rel: &Path) -> Option<(FileId, u64)> {
        if !self.reused {
            return None;
        }
        self.stale
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(rel)
    }

    /// Create the folder a file goes in. In a reused spare, a file of an older build may
    /// stand where a folder goes: it is removed.
    fn make_parent(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            if self.reused {
                for ancestor in parent.ancestors().filter(|a| a.starts_with(&self.dir)) {
                    if std::fs::symlink_metadata(ancestor).is_ok_and(|m| !m.is_dir()) {
                        let _ = std::fs::remove_file(ancestor);
                    }
                }
            }
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        Ok(())
    }

    fn record(&self, rel: PathBuf, r: Recorded) {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((rel, r));
    }

    /// Swap the staging folder in place of the output folder; the old output becomes the
    /// spare.
    pub fn commit(self) -> Result<()> {
        let stale = std::mem::take(&mut *self.stale.lock().unwrap_or_else(|e| e.into_inner()));
        remove_stale(&self.dir, stale.into_keys().collect())?;
        // The record is an optimisation of the next builds: failing to write it fails nothing.
        let mut written =
            std::mem::take(&mut *self.written.lock().unwrap_or_else(|e| e.into_inner()));
        written.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(record) = record_path(&self.state, &self.dir) {
            let _ = write_record(&record, &written);
        }
        std::fs::write(self.dir.join(MARKER), MARKER_TEXT)
            .context("cannot write the output marker")?;
        let had_old = std::fs::symlink_metadata(&self.out).is_ok();
        // Only a folder Scholion wrote becomes the spare; one replaced with `--force` goes.
        let old_is_ours = self.out.join(MARKER).is_file();
        let old = if !had_old {
            std::fs::rename(&self.dir, &self.out)
                .with_context(|| format!("cannot move the new site into {}", self.out.display()))?;
            None
        } else {
            match exchange(&self.dir, &self.out) {
                // The old output is now where the staging folder was.
                Ok(()) => Some(self.dir.clone()),
                Err(err) if exchange_unsupported(&err) => Some(self.swap_in_two_renames()?),
                Err(err) => {
                    return Err(err).with_context(|| {
                        format!("cannot move the new site into {}", self.out.display())
                    });
                }
            }
        };
        // Keep the old output as the next build's spare; if another build left one meanwhile,
        // there is no use for two.
        if let Some(old) = old
            && !(old_is_ours && std::fs::rename(&old, &self.spare).is_ok())
        {
            remove_tree(&old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        // Keep the records of the output and the spare; drop the rest.
        let keep: Vec<PathBuf> = [&self.out, &self.spare]
            .into_iter()
            .filter_map(|d| record_path(&self.state, d))
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.state) {
            for entry in entries.flatten() {
                let ours = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|f| f.starts_with(RECORD_PREFIX));
                if ours && !keep.contains(&entry.path()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// The swap where the system cannot exchange two folders: the old output is moved
    /// aside, then the new one in (the output path is missing between the two renames).
    fn swap_in_two_renames(&self) -> Result<PathBuf> {
        let old = self
            .state
            .join(format!("{OLD_PREFIX}{}", std::process::id()));
        std::fs::rename(&self.out, &old).with_context(|| {
            format!(
                "cannot move the previous output {} aside",
                self.out.display()
            )
        })?;
        if let Err(err) = std::fs::rename(&self.dir, &self.out) {
            let _ = std::fs::rename(&old, &self.out);
            return Err(err)
                .with_context(|| format!("cannot move the new site into {}", self.out.display()));
        }
        Ok(old)
    }

    /// Give up on the staging folder (the build failed): a claimed spare goes back to being
    /// the spare (the next build sweeps it anyway); a fresh one is removed.
    pub fn abandon(self) {
        if !(self.reused && std::fs::rename(&self.dir, &self.spare).is_ok()) {
            let _ = remove_tree(&self.dir);
        }
        // A state folder this build made holds nothing else: remove it (if something else is
        // there after all, removing the folder fails and it stays).
        if let Some(top) = &self.made_state {
            let _ = std::fs::remove_dir(&self.state);
            let _ = std::fs::remove_file(top.join(".gitignore"));
            if std::fs::remove_dir(top).is_err() && top.is_dir() {
                let _ = std::fs::write(top.join(".gitignore"), "*\n");
            }
        }
    }
}

/// Exchange two paths atomically (both must exist).
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths, resolved from the current folder.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Exchange two paths atomically (both must exist).
#[cfg(target_os = "macos")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths.
    let r = unsafe { libc::renamex_np(a.as_ptr(), b.as_ptr(), libc::RENAME_SWAP) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(any(
    all(target_os = "linux", any(target_env = "gnu", target_env = "musl")),
    target_os = "macos"
)))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// The system or the file system cannot exchange (not a failure of this swap).
fn exchange_unsupported(err: &std::io::Error) -> bool {
    if err.kind() == std::io::ErrorKind::Unsupported {
        return true;
    }
    #[cfg(unix)]
    {
        matches!(
            err.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP)
        )
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Whether process `pid` is still running (so its staging folder is in use).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Clear what dead builds left: their staging folders in the state folder (the first one
/// becomes the spare when there is none: it is a site's worth of files to rewrite, which is
/// faster than creating them), and the files an older Scholion kept beside the output
/// (`.<out>.scholion-spare`, `-files-*`, `-staging-*`, `-old-*`). Best effort: what cannot
/// be removed now is tried again by the next build.
fn sweep(state: &Path, out: &Path, spare: &Path) {
    let adopt_or_remove = |dir: &Path| {
        let is_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
        if !(is_dir
            && std::fs::symlink_metadata(spare).is_err()
            && std::fs::rename(dir, spare).is_ok())
        {
            if is_dir {
                let _ = remove_tree(dir);
            } else {
                let _ = std::fs::remove_file(dir);
            }
        }
    };
    let dead = |suffix: &str| {
        suffix
            .parse::<u32>()
            .is_ok_and(|pid| pid != std::process::id() && !alive(pid))
    };
    if let Ok(entries) = std::fs::read_dir(state) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let pid = name
                .strip_prefix(STAGING_PREFIX)
                .or_else(|| name.strip_prefix(OLD_PREFIX));
            if pid.is_some_and(dead) {
                adopt_or_remove(&entry.path());
            }
        }
    }
    let (Some(parent), Some(name)) = (out.parent(), out.file_name().and_then(|n| n.to_str()))
    else {
        return;
    };
    let legacy = format!(".{name}.scholion-");
    if let Ok(entries) = std::fs::read_dir(parent) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&legacy)) else {
                continue;
            };
            let pid = rest
                .strip_prefix("staging-")
                .or_else(|| rest.strip_prefix("old-"));
            if rest == "spare" || rest.starts_with("files-") || pid.is_some_and(dead) {
                adopt_or_remove(&entry.path());
            }
        }
    }
}

/// `scholion clean`: remove the state folders of the project and of the output folder
/// `out`, and the output folder itself when Scholion wrote it (it carries the marker).
pub fn clean(root: &Path, out: &Path) -> Result<Cleaned> {
    let (mut removed, mut kept) = (Vec::new(), Vec::new());
    let out = normalise(out);
    let mut states = vec![normalise(root).join(STATE_DIR)];
    if let Some(parent) = out.parent() {
        let name = out.file_name().unwrap_or_default().to_string_lossy();
        states.push(parent.join(format!(".{name}.scholion")));
    }
    for state in states {
        if std::fs::symlink_metadata(&state).is_ok_and(|m| m.is_dir()) {
            remove_tree(&state).with_context(|| format!("cannot remove {}", state.display()))?;
            removed.push(state);
        }
    }
    if std::fs::symlink_metadata(&out).is_ok_and(|m| m.is_dir()) {
        if out.join(MARKER).is_file() {
            remove_tree(&out).with_context(|| format!("cannot remove {}", out.display()))?;
            removed.push(out);
        } else {
            kept.push((
                out,
                format!("it has no `{MARKER}` marker, so Scholion did not write it"),
            ));
        }
    }
    Ok(Cleaned { removed, kept })
}

/// What `clean` removed, and what it kept with why.
pub struct Cleaned {
    pub removed: Vec<PathBuf>,
    pub kept: Vec<(PathBuf, String)>,
}

/// Make a claimed spare safe to write into, and list its files. Anything that is not a
/// plain file or folder (a symlink someone put in the output, say) is removed first, so no
/// write can follow a link out of the folder; the marker is dropped too (commit writes it).
fn prepare_spare(dir: &Path) -> Result<HashMap<PathBuf, (FileId, u64)>> {
    let mut files = HashMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).follow_links(false) {
        let entry = entry?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        if kind.is_file() && rel != Path::new(MARKER) {
            let meta = entry.metadata()?;
            files.insert(rel.to_path_buf(), (FileId::of(&meta), links(&meta)));
        } else {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(files)
}

/// Remove the files a reused spare held that this build did not write, then the folders
/// that left empty.
fn remove_stale(dir: &Path, stale: HashSet<PathBuf>) -> Result<()> {
    let mut parents = HashSet::new();
    for rel in &stale {
        let path = dir.join(rel);
        // Gone already, or now a folder this build made in its place: nothing to remove.
        match std::fs::symlink_metadata(&path) {
            Ok(m) if !m.is_dir() => std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?,
            _ => continue,
        }
        parents.extend(
            rel.ancestors()
                .skip(1)
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf),
        );
    }
    // Deepest first; a folder still holding files stays (removing it fails harmlessly).
    let mut parents: Vec<PathBuf> = parents.into_iter().collect();
    parents.sort_by_key(|p| (std::cmp::Reverse(p.components().count()), p.clone()));
    for p in parents {
        let _ = std::fs::remove_dir(dir.join(p));
    }
    Ok(())
}

/// Remove a folder we moved aside, its subfolders in parallel (removing a site of 10,000
/// pages one file at a time took seconds).
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.par_iter().try_for_each(|p| {
        // Never follow a symlink out of the folder: remove the link itself.
        let meta = std::fs::symlink_metadata(p)?;
        if meta.is_dir() {
            let children: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            children.par_iter().try_for_each(|c| {
                if std::fs::symlink_metadata(c)?.is_dir() {
                    std::fs::remove_dir_all(c)
                } else {
                    std::fs::remove_file(c)
                }
            })?;
            std::fs::remove_dir(p)
        } else {
            std::fs::remove_file(p)
        }
    })?;
    std::fs::remove_dir(dir)
}

/// A relative output path that cannot escape its folder.
fn safe_relative(rel: &str) -> Result<PathBuf> {
    let path = Path::new(rel);
    if path.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(path.to_path_buf())
    } else {
        anyhow::bail!("refusing to write outside the output folder: {rel}")
    }
}

/// Write a file of Scholion's own cache folder (the formatted-citation cache) after a build:
/// best effort (a cache that cannot be written is only slower next time), atomic (a
/// temporary file renamed into place, so concurrent builds never read half a file).
pub fn write_cache_file(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
