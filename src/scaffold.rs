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

const PAGES_WORKFLOW: &str = include_str!("../.github/workflows/pages.yml");

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
    write_new(&dir.join(".github/workflows/pages.yml"), PAGES_WORKFLOW)?;
    write_new(&dir.join(".gitignore"), "/public/\n/.scholion/\n")?;
    Ok(())
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Create `content/essays/<slug>.md`; returns its path.
pub fn new_essay(root: &Path, title: &str) -> Result<std::path::PathBuf> {
    let slug = slug::slugify(title);
    if slug.is_empty() {
        bail!("the title must contain a letter or digit");
    }
    let today = jiff::Zoned::now().date();
    let path = root.join("content/essays").join(format!("{slug}.md"));
    let text = format!(
        "---\ntitle: {}\ndate: {today}\nsummary: \"\"\ntags: []\ndraft: true\n---\n\nWrite here. Link terms with `[[term]]`, cite with `[@key, p. 1]`.\n",
        yaml_string(title)
    );
    write_new(&path, &text)?;
    Ok(path)
}

/// Create `content/glossary/<slug>.md`; returns its path.
pub fn new_term(root: &Path, term: &str) -> Result<std::path::PathBuf> {
    let slug = slug::slugify(term);
    if slug.is_empty() {
        bail!("the term must contain a letter or digit");
    }
    let path = root.join("content/glossary").join(format!("{slug}.md"));
    let text = format!(
        "---\nterm: {}\naliases: []\nshort: \"\"\nsee-also: []\n---\n\nThe full definition.\n",
        yaml_string(term)
    );
    write_new(&path, &text)?;
    Ok(path)
}
