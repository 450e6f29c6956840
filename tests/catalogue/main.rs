//! The catalogue of broken projects (PRODUCT.md §5): every folder of `tests/fixtures/bad/`
//! is a small project with one defect and an `expect.toml` saying what Scholion must do
//! with it. Each case is run through the real binary, `scholion check` and `scholion build`,
//! in a fresh copy. Each case is its own test (libtest-mimic): run in parallel, filterable
//! by name (`cargo test --test catalogue bib-`), each reporting all of its mismatches.
//!
//! `expect.toml`:
//!
//! ```toml
//! exit = 1                      # exit status of `build` (and of `check`, unless `check_exit`)
//! check_exit = 0                # optional: `check` differs (output-folder problems)
//! file = "content/essays/x.md"  # the `--> file:line:column` of the diagnostic
//! line = 3                      # optional
//! column = 7                    # optional
//! message = "fragment"          # in the diagnostic's `error:` text
//! hint = "fragment"             # in its `= help:` text
//! stderr = ["…"]                # optional: more fragments anywhere in stderr
//! stderr_not = ["…"]            # optional: fragments that must not appear (follow-on errors)
//! args = ["--out", "x"]         # optional: extra `build` arguments
//! check_args = ["…"]            # optional: extra `check` arguments (default: none)
//! out = "x"                     # optional: the output folder (default `public`)
//! builds = true                 # the case must build, with no `error:` at all
//! output_contains = { "essays/x/index.html" = "text" }   # optional, with `builds`
//! setup = "…"                   # optional: made at test time (see `set_up`)
//! ```
//!
//! For every case expected to fail, a previous build's output (marked as Scholion's) is put
//! in place first, and the whole folder around the project must be byte-for-byte the same
//! after `check` and after `build`: a failed build loses nothing.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;

use libtest_mimic::{Arguments, Failed, Trial};

#[allow(dead_code)]
#[path = "../scholion/support.rs"]
mod support;

use support::{copy_dir, repo, scholion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    exit: i32,
    check_exit: Option<i32>,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    message: Option<String>,
    hint: Option<String>,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stderr_not: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    check_args: Vec<String>,
    out: Option<String>,
    #[serde(default)]
    builds: bool,
    #[serde(default)]
    output_contains: BTreeMap<String, String>,
    setup: Option<String>,
}

/// How long one run may take before it counts as hung (the 5 MB essay in a debug build).
const TIMEOUT: Duration = Duration::from_secs(300);

struct Outcome {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    timed_out: bool,
}

fn run(dir: &Path, args: &[&str]) -> Outcome {
    let mut child = scholion()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scholion");
    let mut pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            timed_out = true;
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    Outcome {
        code: status.code(),
        signal: status.signal(),
        stderr,
        timed_out,
    }
}

/// Every file and folder under `dir` (not following links), with the bytes of each file;
/// files that cannot be read (the chmod 000 case) are recorded as such.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut map = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_path_buf();
        let bytes = if entry.file_type().is_file() {
            std::fs::read(entry.path()).ok()
        } else {
            None
        };
        map.insert(rel, bytes);
    }
    map
}

fn differences(
    before: &BTreeMap<PathBuf, Option<Vec<u8>>>,
    after: &BTreeMap<PathBuf, Option<Vec<u8>>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (path, bytes) in before {
        match after.get(path) {
            None => out.push(format!("removed {}", path.display())),
            Some(b) if b != bytes => out.push(format!("changed {}", path.display())),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        out.push(format!("added {}", path.display()));
    }
    out.truncate(5);
    out
}

/// Made at test time rather than committed: big, or not representable in git.
/// Returns `Err(note)` when the case cannot be tested here.
fn set_up(setup: &str, project: &Path) -> Result<(), String> {
    let essays = project.join("content/essays");
    match setup {
        "huge-essay" => {
            let mut text = String::from("---\ntitle: A Very Long Essay\n---\n");
            let mut section = 0;
            while text.len() < 5 * 1024 * 1024 {
                section += 1;
                text.push_str(&format!("\n## Section {section}\n\n"));
                for _ in 0..20 {
                    text.push_str(
                        "The idea of [[sovereignty]] spread fast [@wang2012, p. 3]; \
                         *states* claimed it, **firms** met it, and `code` obeyed it.[^n] \
                         A second sentence follows, so that context has a boundary.\n\n",
                    );
                }
            }
            text.push_str("\n[^n]: The one note, referenced many times.\n");
            std::fs::write(essays.join("huge.md"), text).map_err(|e| e.to_string())
        }
        "symlink-loop" => std::os::unix::fs::symlink("..", essays.join("loop"))
            .map_err(|e| format!("cannot make a symlink: {e}")),
        "unreadable" => {
            use std::os::unix::fs::PermissionsExt as _;
            let path = essays.join("locked.md");
            std::fs::write(&path, "---\ntitle: Locked\n---\nText.\n").map_err(|e| e.to_string())?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000))
                .map_err(|e| e.to_string())?;
            if std::fs::read(&path).is_ok() {
                return Err("skipped: running as root, where file permissions do not bite".into());
            }
            Ok(())
        }
        "foreign-output" => {
            std::fs::create_dir_all(project.join("public")).map_err(|e| e.to_string())?;
            std::fs::write(project.join("public/notes.txt"), "precious, not Scholion's")
                .map_err(|e| e.to_string())
        }
        "output-file" => std::fs::write(project.join("public"), "a file, not a folder")
            .map_err(|e| e.to_string()),
        "no-raw-markup" => Ok(()),
        other => Err(format!("unknown setup `{other}`")),
    }
}

/// The output of a previous good build, marked as Scholion's, so a failed build has
/// something to lose.
fn previous_output(project: &Path) {
    let out = project.join("public");
    if out.exists() {
        return;
    }
    std::fs::create_dir_all(out.join("essays/old")).expect("mkdir");
    std::fs::write(out.join(".scholion-output"), "written by Scholion\n").expect("marker");
    std::fs::write(
        out.join("index.html"),
        "<!doctype html><title>previous</title>",
    )
    .expect("write");
    std::fs::write(out.join("essays/old/index.html"), "<p>previous build</p>").expect("write");
}

/// The diagnostic blocks of stderr (they are separated by blank lines).
fn blocks(stderr: &str) -> Vec<&str> {
    stderr.split("\n\n").collect()
}

/// Check one run against the expectation; push what is wrong to `problems`.
fn judge(
    which: &str,
    expect: &Expect,
    want_exit: i32,
    outcome: &Outcome,
    problems: &mut Vec<String>,
) {
    let stderr = &outcome.stderr;
    let mut fail = |what: String| problems.push(format!("{which}: {what}"));
    if outcome.timed_out {
        fail(format!("timed out after {}s", TIMEOUT.as_secs()));
        return;
    }
    if let Some(signal) = outcome.signal {
        fail(format!(
            "killed by signal {signal} (stack overflow or abort?)"
        ));
        return;
    }
    if stderr.contains("panicked") || outcome.code == Some(101) {
        fail(format!("panicked:\n{stderr}"));
        return;
    }
    if outcome.code != Some(want_exit) {
        fail(format!(
            "exit {:?}, expected {want_exit}:\n{stderr}",
            outcome.code
        ));
        return;
    }
    if want_exit == 0 {
        if expect.builds && stderr.contains("error:") {
            fail(format!("reported an error:\n{stderr}"));
        }
    } else {
        // One diagnostic block must hold the place, the message and the hint together.
        let arrow = expect.file.as_ref().map(|file| {
            let mut a = format!("--> {file}");
            if let Some(line) = expect.line {
                a.push_str(&format!(":{line}:"));
                if let Some(column) = expect.column {
                    a.push_str(&column.to_string());
                }
            }
            a
        });
        let matches = |block: &&str| {
            arrow.as_ref().is_none_or(|a| {
                block.lines().any(|l| {
                    let l = l.trim_start();
                    l == a.as_str()
                        || (l.starts_with(a.as_str())
                            && (expect.column.is_none()
                                || !l[a.len()..].starts_with(char::is_numeric)))
                })
            }) && expect.message.as_ref().is_none_or(|m| {
                block.lines().any(|l| {
                    (l.starts_with("error") || l.starts_with("warning")) && l.contains(m.as_str())
                })
            }) && expect.hint.as_ref().is_none_or(|h| {
                block
                    .lines()
                    .any(|l| l.contains("= help:") && l.contains(h.as_str()))
            })
        };
        if !blocks(stderr).iter().any(matches) {
            fail(format!(
                "no diagnostic with {} / message {:?} / hint {:?} in:\n{stderr}",
                arrow.as_deref().unwrap_or("(no file)"),
                expect.message.as_deref().unwrap_or(""),
                expect.hint.as_deref().unwrap_or("")
            ));
        }
        // Every error names a place, unless it is about the command line itself.
        if expect.file.is_some() {
            for block in blocks(stderr) {
                let first = block.lines().next().unwrap_or("");
                if first.starts_with("error: ")
                    // The summary line: `error: 3 errors in 2 files; 1 warning`.
                    && first
                        .split_whitespace()
                        .nth(1)
                        .is_none_or(|n| n.parse::<usize>().is_err())
                    && !block.contains("--> ")
                {
                    fail(format!("an error without `-->`:\n{block}"));
                }
            }
        }
    }
    for fragment in &expect.stderr {
        if !stderr.contains(fragment.as_str()) {
            fail(format!("expected `{fragment}` in:\n{stderr}"));
        }
    }
    for fragment in &expect.stderr_not {
        if stderr.contains(fragment.as_str()) {
            fail(format!("did not expect `{fragment}` in:\n{stderr}"));
        }
    }
}

/// Every output file of a build, for the markup check.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let text =
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned();
            (e.path().to_path_buf(), text)
        })
        .collect()
}

fn run_case(name: &str, case_dir: &Path, notes: &mut Vec<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let text = std::fs::read_to_string(case_dir.join("expect.toml")).expect("expect.toml");
    let expect: Expect = match toml::from_str(&text) {
        Ok(e) => e,
        Err(err) => return vec![format!("bad expect.toml: {err}")],
    };
    // The project sits one level down, so `--out ..` names a folder of the test's own.
    let sandbox = tempfile::tempdir().expect("tempdir");
    let project = sandbox.path().join("project");
    copy_dir(case_dir, &project);
    std::fs::remove_file(project.join("expect.toml")).expect("remove expect.toml");
    if let Some(setup) = &expect.setup {
        if let Err(note) = set_up(setup, &project) {
            if note.starts_with("skipped") {
                notes.push(format!("{name}: {note}"));
                return problems;
            }
            return vec![note];
        }
    }
    let failing = expect.exit != 0;
    if failing {
        previous_output(&project);
    }
    let before = snapshot(sandbox.path());

    let check_exit = expect.check_exit.unwrap_or(expect.exit);
    let mut check_args = vec!["check", "."];
    check_args.extend(expect.check_args.iter().map(String::as_str));
    let checked = run(&project, &check_args);
    judge("check", &expect, check_exit, &checked, &mut problems);
    let after_check = snapshot(sandbox.path());
    for d in differences(&before, &after_check) {
        problems.push(format!("check wrote to disk: {d}"));
    }

    let mut build_args = vec!["build", "."];
    build_args.extend(expect.args.iter().map(String::as_str));
    let built = run(&project, &build_args);
    judge("build", &expect, expect.exit, &built, &mut problems);
    if failing {
        for d in differences(&before, &snapshot(sandbox.path())) {
            problems.push(format!("failed build touched the files: {d}"));
        }
    } else {
        let out = project.join(expect.out.as_deref().unwrap_or("public"));
        if !out.join("index.html").is_file() {
            problems.push("build: no index.html in the output".into());
        }
        for (rel, fragment) in &expect.output_contains {
            match std::fs::read_to_string(out.join(rel)) {
                Ok(text) if text.contains(fragment.as_str()) => {}
                Ok(_) => problems.push(format!("build: `{rel}` lacks `{fragment}`")),
                Err(e) => problems.push(format!("build: `{rel}`: {e}")),
            }
        }
        if expect.setup.as_deref() == Some("no-raw-markup") {
            // (search/text/*.txt is plain text by design; see escaping.rs. So are the citation
            // files, BibTeX, RIS and CSL-JSON data for reference managers: a title is kept as
            // written there.)
            for (path, text) in files_under(&out) {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let citation_file = ["cite.", "bibliography."]
                    .iter()
                    .any(|p| name.starts_with(p))
                    && [".bib", ".ris", ".json"].iter().any(|e| name.ends_with(e));
                if path.starts_with(out.join("search/text")) || citation_file {
                    continue;
                }
                for raw in ["<script>alert", "<img src=x", "<b>bold"] {
                    if text.contains(raw) {
                        problems.push(format!("build: raw `{raw}` in {}", path.display()));
                    }
                }
            }
        }
        // Beside the output: nothing of Scholion's; in `.scholion/public/`: the spare and at
        // most two records (the output's and the spare's).
        let beside: Vec<String> = std::fs::read_dir(&project)
            .expect("read project")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("scholion-"))
            .collect();
        if !beside.is_empty() {
            problems.push(format!("build left files beside the output: {beside:?}"));
        }
        let names: Vec<String> = std::fs::read_dir(project.join(".scholion/public"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let (records, leftovers): (Vec<String>, Vec<String>) =
            names.into_iter().partition(|n| n.starts_with("files-"));
        if records.len() > 2 {
            problems.push(format!("build left old records behind: {records:?}"));
        }
        if leftovers.iter().any(|n| n != "spare" && n != ".gitignore") {
            problems.push(format!("build left staging folders behind: {leftovers:?}"));
        }
    }
    // The unreadable file must be readable again for the temporary folder to be removed.
    if expect.setup.as_deref() == Some("unreadable") {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(
            project.join("content/essays/locked.md"),
            std::fs::Permissions::from_mode(0o644),
        );
    }
    problems
}

/// One test per folder of `tests/fixtures/bad/`, plus the closed-stderr test.
fn main() {
    let args = Arguments::from_args();
    let root = repo().join("tests/fixtures/bad");
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("tests/fixtures/bad")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("expect.toml").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 45,
        "the catalogue has only {} cases",
        cases.len()
    );
    let mut trials: Vec<Trial> = cases
        .into_iter()
        .map(|(name, dir)| {
            Trial::test(name.clone(), move || {
                let mut notes = Vec::new();
                let problems = run_case(&name, &dir, &mut notes);
                for note in &notes {
                    println!("note: {note}");
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(problems.join("\n")))
                }
            })
        })
        .collect();
    trials.push(Trial::test(
        "a_closed_stderr_is_not_a_panic",
        a_closed_stderr_is_not_a_panic,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// `scholion check 2>&1 | head` must not panic when the reader goes away.
fn a_closed_stderr_is_not_a_panic() -> Result<(), Failed> {
    let case = repo().join("tests/fixtures/bad/multiple-errors-all-reported");
    let sandbox = tempfile::tempdir().expect("tempdir");
    copy_dir(&case, sandbox.path());
    let mut child = scholion()
        .args(["check", "."])
        .current_dir(sandbox.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scholion");
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    if status.code() == Some(1) {
        Ok(())
    } else {
        Err(format!("{status:?}").into())
    }
}
