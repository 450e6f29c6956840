//! Fuzzing on the stable toolchain, in the test command (issue 16). `cargo fuzz` needs
//! nightly; this harness needs nothing: for each target it replays the committed corpus
//! (`fuzz/corpus/<target>/`: seeds and every crash found so far), then mutates corpus
//! inputs at random until its time is up. A panic, or an input slower than `HANG`, fails
//! the test and saves the input under `target/fuzz-findings/` (commit it to the corpus once
//! fixed). A stack overflow aborts the test binary, which fails the run just as loudly, and
//! leaves the input in `target/fuzz-findings/<target>-last-input`.
//!
//! - `SCHOLION_FUZZ_SECONDS`: mutation time per target (default 10; the whole suite must stay
//!   under 10 minutes on 2 cores). `0` replays the corpus only.
//! - `SCHOLION_FUZZ_SEED`: the random seed (default: from the clock; printed either way).
//!
//! Targets: `markdown` (front matter + annotate + scan + render), `bibliography` (BibLaTeX
//! and hayagriva YAML), `csl` (a `.csl` style, then formatting with it), `book_toml`, and
//! `project` (book.toml + bibliography + essays + terms, checked in-process through
//! `pipeline::check`, the whole of load → index → render).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use scholion::content::frontmatter::{self, ESSAY_KEYS, EssayMeta, TERM_KEYS, TermMeta};
use scholion::ids::{self, SourceId, TermId};
use scholion::markdown::{self, Card, CiteStyle, UseLink};

use crate::support::repo;

/// An input taking longer than this is a hang (debug build, a loaded 2-core machine).
const HANG: Duration = Duration::from_secs(20);
/// Inputs are kept under this size, so one execution stays fast.
const MAX_LEN: usize = 64 * 1024;

/// Pieces the mutator inserts: the syntax each parser cares about, and the characters that
/// broke things before (U+212A KELVIN SIGN, a combining accent, smart quotes, NUL, CR).
const DICTIONARY: &[&str] = &[
    "[[",
    "]]",
    "|",
    "#",
    "[@",
    "@",
    "]",
    "[",
    "[-@",
    ", p. 3",
    "; @",
    "[^n]",
    "[^n]: ",
    "\n\n",
    "\n# ",
    "## ",
    "{#id}",
    "> ",
    "- ",
    "1. ",
    "`",
    "```\n",
    "*",
    "_",
    "\\",
    "---\n",
    "title: ",
    "term: ",
    "aliases: [",
    "slug: ",
    "tags: [",
    "date: ",
    "&amp;",
    "&#0;",
    "\r",
    "\u{212a}",
    "\u{301}",
    "\u{e9}",
    "\u{2019}",
    "\u{201c}",
    "\u{0}",
    "\u{feff}",
    "\u{130}",
    "\u{df}",
    "\t",
    "\"",
    "'",
    "{",
    "}",
    "@string{",
    "@book{",
    "@article{k,",
    "crossref = {",
    "xdata = {",
    "ids = {",
    "year = {",
    "date = {",
    "month = ",
    "author = {",
    " # ",
    "=",
    "\\textbf{",
    "$",
    "--",
    "<group>",
    "</group>",
    "<macro name=\"m\">",
    "</macro>",
    "<text macro=\"m\"/>",
    "<text variable=\"title\"/>",
    "<choose><if type=\"book\">",
    "</if></choose>",
    "<names variable=\"author\"><substitute>",
    "</substitute></names>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "[book]\n",
    "[build]\n",
    "[citations]\n",
    "output-dir = ",
    "content-dir = ",
    "base-url = ",
    "theme = ",
    "style = ",
    "bibliography = [",
    "=== content/essays/e.md\n",
    "=== content/references.bib\n",
    "=== book.toml\n",
    "=== content/glossary/t.md\n",
];

/// Pairs the mutator wraps around a stretch, many times over (deep nesting).
const NESTS: &[(&str, &str)] = &[
    ("{", "}"),
    ("\\textbf{", "}"),
    ("<group>", "</group>"),
    ("[", "]"),
    ("> ", ""),
    ("- ", ""),
    ("*", "*"),
    ("[[", "]]"),
];

struct Target {
    name: &'static str,
    run: fn(&str),
}

/// The random generator, seeded once per target.
struct Mutator {
    rng: fastrand::Rng,
}

impl Mutator {
    /// A byte offset on a character boundary of `s`.
    fn boundary(&mut self, s: &str) -> usize {
        let mut i = self.rng.usize(..=s.len());
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    fn range(&mut self, s: &str) -> (usize, usize) {
        let a = self.boundary(s);
        let mut b = (a + self.rng.usize(0..64)).min(s.len());
        while !s.is_char_boundary(b) {
            b -= 1;
        }
        (a, b)
    }

    fn mutate(&mut self, input: &str, corpus: &[String]) -> String {
        let mut s = input.to_string();
        for _ in 0..self.rng.usize(1..=4) {
            match self.rng.u8(0..7) {
                0 | 1 => {
                    let at = self.boundary(&s);
                    let piece = DICTIONARY[self.rng.usize(..DICTIONARY.len())];
                    s.insert_str(at, piece);
                }
                2 => {
                    let (a, b) = self.range(&s);
                    s.replace_range(a..b, "");
                }
                3 => {
                    // Repeat a stretch many times (quadratic passes, size limits).
                    let (a, b) = self.range(&s);
                    let times = self.rng.usize(2..200);
                    let piece = s[a..b].repeat(times);
                    s.insert_str(b, &piece);
                }
                4 => {
                    // Nest a stretch deeply (recursion limits).
                    let (a, b) = self.range(&s);
                    let (open, close) = NESTS[self.rng.usize(..NESTS.len())];
                    let depth = self.rng.usize(1..2000);
                    let middle = s[a..b].to_string();
                    s.replace_range(
                        a..b,
                        &format!("{}{middle}{}", open.repeat(depth), close.repeat(depth)),
                    );
                }
                5 if !corpus.is_empty() => {
                    // Splice in a piece of another input.
                    let other = &corpus[self.rng.usize(..corpus.len())];
                    let (a, b) = self.range(other);
                    let at = self.boundary(&s);
                    s.insert_str(at, &other[a..b]);
                }
                _ => {
                    let at = self.boundary(&s);
                    let c = char::from_u32(self.rng.u32(0..0x3000)).unwrap_or('\u{fffd}');
                    s.insert(at, c);
                }
            }
        }
        if s.len() > MAX_LEN {
            let mut end = MAX_LEN;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        s
    }
}

fn corpus(name: &str) -> Vec<String> {
    let dir = repo().join("fuzz/corpus").join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read corpus")).into_owned())
        .collect()
}

/// Save an input that failed, and say where.
fn save_finding(target: &str, input: &str, what: &str) -> PathBuf {
    let dir = repo().join("target/fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{target}-{what}-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path
}

fn fuzz(target: Target) {
    let seconds: u64 = std::env::var("SCHOLION_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("SCHOLION_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let corpus = corpus(target.name);
    assert!(!corpus.is_empty(), "no corpus for {}", target.name);

    // A watchdog: an input running longer than HANG is saved and the process aborted (a
    // hang cannot be interrupted any other way).
    let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::new(Mutex::new(None));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let current = Arc::clone(&current);
        let done = Arc::clone(&done);
        let name = target.name;
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let guard = current.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((started, input)) = guard.as_ref()
                    && started.elapsed() > HANG
                {
                    let path = save_finding(name, input, "hang");
                    eprintln!(
                        "fuzz {name}: an input ran over {HANG:?}: {}",
                        path.display()
                    );
                    std::process::abort();
                }
            }
        })
    };
    // A stack overflow aborts the process before anything can be saved: each input is
    // written here first (removed when the target ends well).
    let last_input = repo()
        .join("target/fuzz-findings")
        .join(format!("{}-last-input", target.name));
    let _ = std::fs::create_dir_all(last_input.parent().expect("parent"));
    let run_one = |input: &str, origin: &str| {
        let _ = std::fs::write(&last_input, input);
        *current.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), input.to_string()));
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
        let elapsed = started.elapsed();
        *current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if outcome.is_err() {
            let path = save_finding(target.name, input, "panic");
            panic!(
                "fuzz {}: {origin} panicked (seed {seed}); input saved at {}",
                target.name,
                path.display()
            );
        }
        elapsed
    };

    // 1. The corpus: every seed and every crash found before.
    for (i, input) in corpus.iter().enumerate() {
        run_one(input, &format!("corpus input {i}"));
    }
    // 2. Mutations until the time is up.
    let mut mutator = Mutator {
        rng: fastrand::Rng::with_seed(seed),
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    let mut slowest = Duration::ZERO;
    while Instant::now() < deadline {
        let base = &corpus[mutator.rng.usize(..corpus.len())];
        let input = mutator.mutate(base, &corpus);
        slowest = slowest.max(run_one(&input, "a mutated input"));
        runs += 1;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watchdog.join();
    let _ = std::fs::remove_file(&last_input);
    println!(
        "fuzz {}: {} corpus inputs, {runs} mutated inputs in {seconds} s (seed {seed}), slowest {slowest:?}",
        target.name,
        corpus.len()
    );
}

fn run_markdown(text: &str) {
    let path = Path::new("content/essays/fuzz.md");
    let body = match frontmatter::split(path, text) {
        Ok(split) => {
            let _ = frontmatter::parse::<EssayMeta>(path, text, &split, ESSAY_KEYS);
            let _ = frontmatter::parse::<TermMeta>(path, text, &split, TERM_KEYS);
            for key in ["title", "date", "see-also"] {
                let _ = frontmatter::key_location(path, text, &split, key);
            }
            &text[split.body_offset..]
        }
        Err(d) => {
            let _ = d.render(false);
            text
        }
    };
    let is_key = |key: &str| key.len() % 2 == 0;
    let annotated = markdown::annotate(body, &is_key);
    let scan = markdown::scan(&annotated, body, true);
    for u in &scan.uses {
        assert!(u.offset <= body.len(), "a use's offset is past the body");
        let _ = (u.context.before(), u.context.label(), u.context.after());
    }
    for e in &scan.math_errors {
        assert!(
            e.range.start <= e.range.end && e.range.start <= body.len(),
            "a math error's range is outside the body"
        );
    }
    for (_, offset) in &scan.tags {
        assert!(*offset < body.len(), "a tag's offset is past the body");
    }
    let uses: Vec<UseLink> = (0..annotated.use_count)
        .map(|i| match i % 3 {
            0 => UseLink::Link {
                href: format!("/glossary/t{i}/"),
                class: "term",
                card: Some(Card {
                    id: format!("term:t{i}"),
                    target: ids::Target::Term(TermId(i)),
                }),
                display: Some("<Name & co>"),
            },
            1 => UseLink::Cite {
                href: format!("/citations/k{i}/"),
                card: Some(Card {
                    id: format!("cite:k{i}"),
                    target: ids::Target::Source(SourceId(i)),
                }),
                html: "Author 2001",
            },
            _ => UseLink::Broken,
        })
        .collect();
    let annotated = markdown::annotate(body, &is_key);
    let _ = markdown::render(
        annotated.nodes,
        &uses,
        &CiteStyle::default(),
        &markdown::NoteLabels::default(),
    );
}

fn run_bibliography(text: &str) {
    for (path, yaml) in [
        ("content/references.bib", false),
        ("content/references.yaml", true),
    ] {
        match scholion::index::bibliography::parse_file(Path::new(path), text, yaml) {
            Ok(library) => {
                for entry in library.iter() {
                    let _ = entry.key();
                }
            }
            Err(diagnostics) => {
                for d in diagnostics {
                    let _ = d.render(false);
                }
            }
        }
    }
}

/// A few entries to format with every style the CSL target parses.
fn sample_library() -> &'static hayagriva::Library {
    static LIBRARY: OnceLock<hayagriva::Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        scholion::index::bibliography::parse_file(Path::new("refs.bib"), crate::support::BIB, false)
            .unwrap_or_else(|_| panic!("the sample bibliography parses"))
    })
}

fn run_csl(text: &str) {
    use hayagriva::{BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest};
    static LOCALES: OnceLock<Vec<hayagriva::citationberg::Locale>> = OnceLock::new();
    let style = match scholion::index::bibliography::parse_csl("style.csl", text) {
        Ok(style) => style,
        Err(d) => {
            let _ = d.render(false);
            return;
        }
    };
    let locales = LOCALES.get_or_init(hayagriva::archive::locales);
    let mut driver = BibliographyDriver::new();
    for entry in sample_library().iter() {
        driver.citation(CitationRequest::from_items(
            vec![CitationItem::with_entry(entry)],
            &style,
            locales,
        ));
    }
    let _ = driver.finish(BibliographyRequest {
        style: &style,
        locale: None,
        locale_files: locales,
    });
}

fn run_book_toml(text: &str) {
    if let Err(d) = scholion::config::Config::parse(Path::new("book.toml"), text) {
        let _ = d.render(false);
    }
}

/// The folder the project target writes each input to (removed when the target ends).
static PROJECT_DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

/// A project written as one text: `=== <relative path>\n` starts each file. Every input is
/// written to the same folder (emptied first), checked with the citation cache off.
fn run_project(text: &str) {
    static CACHE_OFF: std::sync::Once = std::sync::Once::new();
    let dir = PROJECT_DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"));
    // No citation cache for these throwaway projects (`SCHOLION_CACHE_DIR=` turns it off).
    CACHE_OFF.call_once(|| {
        // SAFETY: std's environment lock orders this with every other read and `Command`
        // spawn of the test binary; no foreign code reads this variable. Child processes
        // of other tests that do not set it themselves run without the cache: it is best
        // effort by design.
        unsafe { std::env::set_var("SCHOLION_CACHE_DIR", "") };
    });
    for entry in std::fs::read_dir(dir.path()).expect("read dir").flatten() {
        let path = entry.path();
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
    let mut wrote = false;
    for section in text.split("=== ").skip(1) {
        let (path, body) = section.split_once('\n').unwrap_or((section, ""));
        let path = path.trim();
        let safe = !path.is_empty()
            && path.len() < 100
            && path
                .split('/')
                .all(|part| !part.is_empty() && part != ".." && part != ".")
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if !safe {
            continue;
        }
        let target = dir.path().join(path);
        if let Some(parent) = target.parent()
            && std::fs::create_dir_all(parent).is_ok()
            && std::fs::write(&target, body).is_ok()
        {
            wrote = true;
        }
    }
    if !wrote {
        return;
    }
    let request = scholion::pipeline::Request {
        root: dir.path().to_path_buf(),
        ..Default::default()
    };
    let outcome = scholion::pipeline::check(&request);
    for d in &outcome.diagnostics {
        let _ = d.render(false);
    }
}

#[test]
fn fuzz_markdown() {
    fuzz(Target {
        name: "markdown",
        run: run_markdown,
    });
}

#[test]
fn fuzz_bibliography() {
    fuzz(Target {
        name: "bibliography",
        run: run_bibliography,
    });
}

#[test]
fn fuzz_csl() {
    fuzz(Target {
        name: "csl",
        run: run_csl,
    });
}

#[test]
fn fuzz_book_toml() {
    fuzz(Target {
        name: "book_toml",
        run: run_book_toml,
    });
}

#[test]
fn fuzz_project() {
    fuzz(Target {
        name: "project",
        run: run_project,
    });
    if let Some(dir) = PROJECT_DIR.get() {
        let _ = std::fs::remove_dir_all(dir.path());
    }
}
