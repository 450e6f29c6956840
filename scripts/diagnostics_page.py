#!/usr/bin/env python3
"""Write the guide's "Every diagnostic, with an example" page from the catalogue.

Every folder of tests/fixtures/bad/ is a small project with one defect (PRODUCT.md §5). This
script builds each one with the real binary and puts what Scholion printed on the page, so
the guide shows every diagnostic as a user sees it, and cannot drift from the binary: the
guide test (tests/scholion/guide.rs) checks that every case's message and hint are on the
page. Run it after adding a case:

    cargo build && python3 scripts/diagnostics_page.py

Usage: diagnostics_page.py [--bin PATH] [--out PATH]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests/fixtures/bad"

# Sections of the page, in order: (heading, intro, case-name patterns). A case goes to the
# first section one of whose patterns matches its folder name.
SECTIONS = [
    (
        "Front matter",
        "The block between `---` lines at the top of an essay or term. Every problem of a "
        "file is reported at once; an essay whose front matter is broken is left out but "
        "keeps its slug, so links to it are not reported again.",
        [r"^yaml-", r"^frontmatter-", r"^unknown-key-(essay|home|term)", r"^wrong-type-",
         r"^date-", r"^essay-", r"^term-", r"^four-mistakes", r"^multiple-errors",
         r"^title-", r"^tag-", r"^bom-", r"^crlf-"],
    ),
    (
        "Links, names and slugs",
        "`[[target]]` links, `see-also`, `annotates`, aliases and the slugs that make URLs.",
        [r"^xref-", r"^see-also", r"^annotates", r"^alias-", r"^slug-", r"^broken-essay",
         r"^draft-"],
    ),
    (
        "Citations and bibliographies",
        "Citation keys, the bibliography files named in `book.toml`, and the citation style.",
        [r"^cite-", r"^bib-", r"^csl-"],
    ),
    (
        "book.toml, themes and templates",
        "The project file and the theme. `scholion help-book-toml` lists every key.",
        [r"^book-toml-", r"^unknown-key-book-toml", r"^unknown-section", r"^base-url",
         r"^theme-", r"^template-", r"^translations-"],
    ),
    (
        "The output folder",
        "Scholion only replaces a folder it wrote itself, and never one that holds your "
        "project. A failed build leaves the previous output as it was.",
        [r"^output-"],
    ),
    (
        "Unusual input",
        "Files that are too deep, too large, unreadable or not text: reported, never a crash.",
        [r".*"],
    ),
]

# Cases made at test time by the catalogue (tests/catalogue/main.rs `set_up`) that this page
# can show without making them; the others are described in words.
NOT_RUN = {
    "huge-essay": "An essay of 5 MB builds (in a few seconds), like any other.",
    "unreadable": None,
}


def set_up(setup, project):
    essays = project / "content/essays"
    if setup == "symlink-loop":
        os.symlink("..", essays / "loop")
    elif setup == "foreign-output":
        (project / "public").mkdir(parents=True, exist_ok=True)
        (project / "public/notes.txt").write_text("precious, not Scholion's")
    elif setup == "output-file":
        (project / "public").write_text("a file, not a folder")
    elif setup == "unreadable":
        locked = essays / "locked.md"
        locked.write_text("---\ntitle: Locked\n---\nText.\n")
        locked.chmod(0)
        try:
            locked.read_bytes()
            return False  # root: permissions do not bite
        except PermissionError:
            pass
    elif setup in ("no-raw-markup",):
        pass
    else:
        return False
    return True


def run_case(binary, name, expect):
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / name
        shutil.copytree(CASES / name, project, symlinks=True)
        (project / "expect.toml").unlink()
        setup = expect.get("setup")
        if setup and not set_up(setup, project):
            return None
        args = [binary, "build", *expect.get("args", [])]
        proc = subprocess.run(args, cwd=project, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "NO_COLOR": "1"})
        for path in project.rglob("*"):
            if not path.is_symlink():
                path.chmod(0o755)
        text = proc.stderr.replace(str(project), ".").replace(tmp, "/tmp")
        return text.rstrip()


def title_of(name, shown):
    """The diagnostic in general: its first line with the specifics (`…`) left out."""
    for line in (shown or "").splitlines():
        found = re.match(r"(error|warning): (.*)", line)
        if found and not re.match(r"\d+ (error|warning)", found.group(2)):
            text = re.sub(r"`[^`]*`", "`…`", found.group(2))
            text = re.sub(r'"[^"]*"', '"…"', text)
            text = re.sub(r" \(invalid byte at [^)]*\)", "", text)
            return text[0].upper() + text[1:]
    return name.replace("-", " ").capitalize()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(REPO / "target/debug/scholion"))
    parser.add_argument("--out", default=str(REPO / "docs/guide/content/essays/diagnostics.md"))
    options = parser.parse_args()
    if not Path(options.bin).exists():
        sys.exit(f"no binary at {options.bin}: run `cargo build` first")

    cases = {}
    for folder in sorted(CASES.iterdir()):
        expect = tomllib.loads((folder / "expect.toml").read_text())
        if expect.get("builds") and not expect.get("stderr"):
            continue  # cases that must build cleanly show no diagnostic
        cases[folder.name] = expect

    out = [
        "---",
        'title: "Every diagnostic, with an example"',
        "order: 7",
        'summary: "What Scholion reports, and how to fix it: each message as it appears."',
        "---",
        "",
        "<!-- Written by scripts/diagnostics_page.py from tests/fixtures/bad/; do not edit. -->",
        "",
        "Every problem is reported like a compiler's: `error: <what>`, `--> file:line:column`,",
        "the line, a caret under the value, and a `help:` line. All problems of a run are",
        "reported at once, and a run that fails ends with a line such as",
        "`error: 3 errors in 2 files; 1 warning`. Warnings (a term never used, a source never",
        "cited, an empty essay) do not stop a build unless you pass `--deny-warnings`.",
        "",
        "Each example below is a small project with one mistake, built with `scholion build`;",
        "what you see is what Scholion printed.",
        "",
    ]
    placed = set()
    for heading, intro, patterns in SECTIONS:
        names = [n for n in cases if n not in placed
                 and any(re.search(p, n) for p in patterns)]
        if not names:
            continue
        out += [f"## {heading}", "", intro, ""]
        groups = {}
        for name in names:
            placed.add(name)
            shown = run_case(options.bin, name, cases[name])
            groups.setdefault(title_of(name, shown), []).append((name, shown))
        for title, examples in groups.items():
            out += [f"### {title}", ""]
            for name, shown in examples:
                out += show(name, cases[name], shown)
    Path(options.out).write_text("\n".join(out).rstrip() + "\n")
    print(f"wrote {options.out}: {len(placed)} examples")


def show(name, expect, shown):
    out = []
    if True:
        if True:
            if shown is None:
                note = NOT_RUN.get(expect.get("setup", ""))
                what = expect.get("message", "")
                out += [note or f"Scholion reports `{what}`." + (
                    f" Hint: {expect['hint']}" if expect.get("hint") else ""), ""]
                return out
            if expect.get("args"):
                out += ["With `scholion build " + " ".join(expect["args"]) + "`:", ""]
            out += ["```text", shown, "```", ""]
    return out


if __name__ == "__main__":
    main()
