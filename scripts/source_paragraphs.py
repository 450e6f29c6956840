#!/usr/bin/env python3
"""Number the paragraphs of the four source texts the way the reader's citations do.

The rule (also in docs/editorial.md): in each file of ../shared/sources/, a paragraph is
one line that holds text, inside the article's body: from its first line of running text
to its last. Not counted: blank or whitespace-only lines, the title, bylines and datelines,
section headings ("I. Introduction", "i. The Multi-Stakeholder Model"), and everything after
the body (author's biography, endnotes, credits, disclaimers, the web page's navigation
and advertising). A block quotation set on its own line counts as a paragraph. In all four
files every body paragraph is exactly one line, so "para. N" is the N-th such line.

Usage: source_paragraphs.py [KEY]   prints "KEY N: opening words" for every paragraph.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES_DIR = os.environ.get(
    "SCHOLION_SOURCES", os.path.join(HERE, "..", "..", "shared", "sources"))

# citation key -> (file, first line of the body, first line after the body)
SOURCES = {
    "ludwig2015": ("ned-ludwig-2015-framing-the-agenda.txt",
                   "Last week in Wuzhen", "Photo:"),
    "wesley2018": ("orientations-wesley-internet-sovereignty-multistakeholder.txt",
                   "The People’s Republic of China (PRC)", "Caroline Wesley is a 2018"),
    "chen2024a": ("lse-chen-gao-norm-diffusion.txt",
                  "In the past decade", "—"),
    "cdt2024": ("cdt-2024-cyber-sovereignty-norms-spread-abroad.txt",
                "China is leading the global trend", "CDT EBOOKS"),
}

HEADING = re.compile(r"^(?:[IVX]+|[ivx]+)\.\s")


def sources_dir():
    for cand in (SOURCES_DIR, "/work/shared/sources"):
        if os.path.isdir(cand):
            return cand
    sys.exit("source texts not found; set SCHOLION_SOURCES")


def paragraphs(key):
    """The body paragraphs of one source, in order (paragraph N is item N-1)."""
    name, start, stop = SOURCES[key]
    with open(os.path.join(sources_dir(), name), encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    begin = next(i for i, l in enumerate(lines) if l.startswith(start))
    end = next(i for i, l in enumerate(lines) if i > begin and l.startswith(stop))
    return [l for l in lines[begin:end] if l and not HEADING.match(l)]


if __name__ == "__main__":
    keys = sys.argv[1:] or list(SOURCES)
    for key in keys:
        for n, text in enumerate(paragraphs(key), 1):
            print(f"{key} {n}: {text[:90]}")
