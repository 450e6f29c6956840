//! `scholion init` and `scholion new`: files with their front matter filled in.

use std::path::Path;

use anyhow::{Context, Result, bail};

const INIT_BOOK: &str = r#"[book]
title = "My Annotated Reader"
description = "Essays, terms and sources, woven together"
authors = ["Your Name"]
language = "en"

[build]
base-url = "/"

[citations]
bibliography = ["references.bib"]
style = "chicago-author-date"
"#;

const INIT_INDEX: &str =
    "---\ntitle: \"My Annotated Reader\"\n---\n\nWelcome. Start with [[first-essay]].\n";

const INIT_ESSAY: &str = r#"---
title: "A First Essay"
summary: "What this reader is about."
date: 2026-01-01
tags: [introduction]
---

## Why read closely

Every key idea links to the glossary, like [[annotation]], and every source is cited
the way scholars write it [@eco1990, p. 12].[^aside]

[^aside]: Notes like this one sit in the margin on wide screens.
"#;

const INIT_TERM: &str = r#"---
term: "Annotation"
aliases: ["annotations", "scholion"]
short: "A note added to a text to explain, connect or question it."
---

An annotation is a note attached to a passage [@eco1990].
"#;

const INIT_BIB: &str = r#"@book{eco1990,
  author = {Eco, Umberto},
  title = {The Limits of Interpretation},
  publisher = {Indiana University Press},
  address = {Bloomington},
  year = {1990},
}
"#;

const INIT_README: &str = r#"# My Annotated Reader

A reader made with [Scholion](https://github.com/scholion/scholion): essays in
`content/essays/`, glossary terms in `content/glossary/`, sources in
`content/references.bib`, settings in `book.toml`.

    scholion serve              # preview at http://127.0.0.1:3000/, rebuilt on every save
    scholion new essay "Title"  # a new essay (a draft until you remove `draft: true`)
    scholion new term "Term"    # a new glossary term
    scholion build              # the site, in public/
    scholion check              # every check a build makes, writing nothing

The user guide (getting started, writing essays and terms, citations and styles, themes,
publishing, and every error message with an example) is itself a Scholion reader:
`docs/guide/` in the Scholion repository, https://github.com/scholion/scholion/tree/main/docs/guide.
`scholion <command> --help` describes every command and option.

To publish on GitHub Pages, push this folder to a GitHub repository and choose
**Settings → Pages → Source: GitHub Actions**; `.github/workflows/pages.yml` does the rest.
"#;

/// The GitHub Pages workflow: this repository's own, which is also the template. The
/// version on its `SCHOLION_VERSION:` line is replaced by this binary's version, so a
/// reader's workflow installs the Scholion that wrote it.
const PAGES_WORKFLOW: &str = include_str!("../.github/workflows/pages.yml");

/// Where `init` writes the workflow, relative to the reader.
pub const PAGES_WORKFLOW_PATH: &str = ".github/workflows/pages.yml";

const VERSION_KEY: &str = "  SCHOLION_VERSION: ";

/// The Pages workflow for a reader built with this version of Scholion.
pub fn pages_workflow() -> String {
    workflow_for_version(env!("CARGO_PKG_VERSION"))
}

fn workflow_for_version(version: &str) -> String {
    let mut out = String::with_capacity(PAGES_WORKFLOW.len());
    for line in PAGES_WORKFLOW.split_inclusive('\n') {
        if line.starts_with(VERSION_KEY) {
            out.push_str(&format!("{VERSION_KEY}\"{version}\"\n"));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The Scholion version a workflow installs (its `SCHOLION_VERSION:` line), if it has one.
pub fn workflow_version(workflow: &str) -> Option<&str> {
    workflow
        .lines()
        .find_map(|l| l.strip_prefix(VERSION_KEY))
        .map(|v| v.trim().trim_matches('"'))
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    if path.exists() {
        bail!("{} already exists; not overwriting it", path.display());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

pub fn init(dir: &Path) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        bail!(
            "{} exists and is not empty; choose a new folder",
            dir.display()
        );
    }
    write_new(&dir.join("book.toml"), INIT_BOOK)?;
    write_new(&dir.join("content/index.md"), INIT_INDEX)?;
    write_new(&dir.join("content/essays/first-essay.md"), INIT_ESSAY)?;
    write_new(&dir.join("content/glossary/annotation.md"), INIT_TERM)?;
    write_new(&dir.join("content/references.bib"), INIT_BIB)?;
    write_new(&dir.join(PAGES_WORKFLOW_PATH), &pages_workflow())?;
    write_new(&dir.join(".gitignore"), "/public/\n/.scholion/\n")?;
    write_new(&dir.join("README.md"), INIT_README)?;
    Ok(())
}

/// What `update_workflow` did.
pub enum WorkflowUpdate {
    /// The workflow was already this version's, byte for byte.
    Unchanged,
    /// Written anew; `previous` is the version the old one installed, if it named one.
    Written { previous: Option<String> },
}

/// `init --update-workflow`: (re)write the Pages workflow of an existing reader for this
/// version of Scholion, replacing whatever workflow is there.
pub fn update_workflow(dir: &Path) -> Result<WorkflowUpdate> {
    if !dir.join("book.toml").is_file() {
        bail!(
            "{} holds no book.toml, so it is not a reader; run it in the reader's folder, or give that folder",
            dir.display()
        );
    }
    let path = dir.join(PAGES_WORKFLOW_PATH);
    let new = pages_workflow();
    let previous = match std::fs::read_to_string(&path) {
        Ok(old) if old == new => return Ok(WorkflowUpdate::Unchanged),
        Ok(old) => workflow_version(&old).map(str::to_string),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&path, new).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(WorkflowUpdate::Written { previous })
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Create `<content>/essays/<slug>.md`; returns its path.
pub fn new_essay(content: &Path, title: &str) -> Result<std::path::PathBuf> {
    let slug = slug::slugify(title);
    if slug.is_empty() {
        bail!("the title must contain a letter or digit");
    }
    let today = jiff::Zoned::now().date();
    let path = content.join("essays").join(format!("{slug}.md"));
    let text = format!(
        "---\ntitle: {}\ndate: {today}\nsummary: \"\"\ntags: []\ndraft: true\n---\n\nWrite here. Link terms with `[[term]]`, cite with `[@key, p. 1]`.\n",
        yaml_string(title)
    );
    write_new(&path, &text)?;
    Ok(path)
}

/// Create `<content>/glossary/<slug>.md`; returns its path.
pub fn new_term(content: &Path, term: &str) -> Result<std::path::PathBuf> {
    let slug = slug::slugify(term);
    if slug.is_empty() {
        bail!("the term must contain a letter or digit");
    }
    let path = content.join("glossary").join(format!("{slug}.md"));
    let text = format!(
        "---\nterm: {}\naliases: []\nshort: \"\"\nsee-also: []\n---\n\nThe full definition.\n",
        yaml_string(term)
    );
    write_new(&path, &text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_names_a_version_and_init_bakes_in_its_own() {
        assert!(
            workflow_version(PAGES_WORKFLOW).is_some(),
            "the template lost its `{VERSION_KEY}` line"
        );
        let w = workflow_for_version("9.8.7-rc.1");
        assert_eq!(workflow_version(&w), Some("9.8.7-rc.1"));
        assert_eq!(w.matches("9.8.7-rc.1").count(), 1);
        assert_eq!(w.lines().count(), PAGES_WORKFLOW.lines().count());
    }
}
