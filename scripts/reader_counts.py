#!/usr/bin/env python3
"""Counts for the bundled reader: glossary terms (and how many give a Chinese original),
reading questions per essay, and paragraph-keyed citations of each source text with the
share of that source's paragraphs they cover (paragraphs numbered by
scripts/source_paragraphs.py; the rule is in docs/editorial.md).

Usage: python3 scripts/reader_counts.py [CONTENT_DIR]
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from source_paragraphs import SOURCES, paragraphs  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CONTENT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "content")

# One citation item: @key, then an optional locator; "para." or "paras." then N or N-M.
ITEM = re.compile(r"@([A-Za-z0-9_:-]+)\s*(?:,\s*(?:paras?\.|¶)\s*(\d+)(?:\s*[-–]\s*(\d+))?)?")
GROUP = re.compile(r"\[([^\[\]]*@[^\[\]]*)\]")


def split(path):
    text = open(path, encoding="utf-8").read()
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4)
        return text[4:end], text[end + 5:]
    return "", text


def main():
    terms = sorted(glob.glob(os.path.join(CONTENT, "glossary", "*.md")))
    with_original = [t for t in terms if re.search(r"^original:", split(t)[0], re.M)]
    with_translit = [t for t in terms if re.search(r"^transliteration:", split(t)[0], re.M)]
    print(f"glossary terms: {len(terms)} ({len(with_original)} with a Chinese original, "
          f"{len(with_translit)} with pinyin)")

    essays = sorted(glob.glob(os.path.join(CONTENT, "essays", "*.md")))
    total_q = 0
    for e in essays:
        fm, _ = split(e)
        m = re.search(r"^questions:\n((?:  - .*\n?)+)", fm + "\n", re.M)
        n = len(re.findall(r"^  - ", m.group(1), re.M)) if m else 0
        total_q += n
        print(f"  questions in {os.path.basename(e)}: {n}")
    print(f"reading questions: {total_q} in {len(essays)} essays")

    files = essays + terms + [os.path.join(CONTENT, "index.md")]
    for key in SOURCES:
        total = len(paragraphs(key))
        covered = set()
        n_items = {"essays": 0, "glossary": 0, "index.md": 0}
        for f in files:
            _, body = split(f)
            where = "essays" if "/essays/" in f else "glossary" if "/glossary/" in f else "index.md"
            for g in GROUP.finditer(body):
                for it in ITEM.finditer(g.group(1)):
                    if it.group(1) != key or not it.group(2):
                        continue
                    a = int(it.group(2))
                    b = int(it.group(3) or a)
                    if not (1 <= a <= b <= total):
                        print(f"  warning: {os.path.relpath(f, CONTENT)}: {key} para. {a}-{b} "
                              f"is outside 1-{total}")
                        continue
                    n_items[where] += 1
                    covered.update(range(a, b + 1))
        missing = sorted(set(range(1, total + 1)) - covered)
        n = sum(n_items.values())
        print(f"{key}: {n} paragraph-keyed citations ({n_items['essays']} in essays, "
              f"{n_items['glossary']} in the glossary); covers {len(covered)} of {total} "
              f"paragraphs ({100 * len(covered) / total:.0f}%)"
              + (f"; not covered: {', '.join(map(str, missing))}" if missing else ""))


if __name__ == "__main__":
    main()
