#!/usr/bin/env python3
"""Our own words: report any run of 8 words that a content file shares with a source text.

Every file under content/ (essays, glossary terms, index.md, the bibliography) is compared
with the four texts in ../shared/sources/. Case and punctuation are normalised (curly and
straight quotes, dashes and hyphens, full stops all become word breaks). Not checked:
text inside quotation marks ("…", “…”, ‘…’), citations ([@key, p. 3]), URLs and code,
italicised titles (*International Affairs*), and names and titles: every bibliography
title (title, booktitle, journal, series, institution, organization, publisher), every
glossary term's name and aliases, and the titles of the essays. In the bibliography only
the free-text fields (note, and % comments) are compared.

Each overlap is printed as `file:line: "the shared words" (source file)`; the exit status
is 1 if there is any, 0 if none.

  overlap_check.py [--content DIR] [--sources DIR] [--ngram N]
  overlap_check.py --self-test   checks that a copied source sentence is caught (and
                                 the same sentence in quotation marks is not)
"""
import argparse
import glob
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
N_DEFAULT = 8
BREAK = "\x00"

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
NAME_FIELDS = ("title", "booktitle", "journal", "series", "institution", "organization",
               "publisher")
FREE_FIELDS = ("note", "addendum", "annotation")


def words(text):
    """Lower-case words, punctuation dropped, apostrophes normalised."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    return WORD.findall(text)


def default_sources():
    for cand in (os.environ.get("SCHOLION_SOURCES"),
                 os.path.join(ROOT, "..", "shared", "sources"),
                 "/work/shared/sources"):
        if cand and os.path.isdir(cand):
            return cand
    return None


def source_ngrams(sources_dir, n):
    grams = {}
    files = sorted(glob.glob(os.path.join(sources_dir, "*.txt")))
    for path in files:
        with open(path, encoding="utf-8") as f:
            ws = words(f.read())
        for i in range(len(ws) - n + 1):
            grams.setdefault(tuple(ws[i:i + n]), os.path.basename(path))
    return grams, files


# --- masking -----------------------------------------------------------------------------

QUOTED = [
    re.compile(r'"[^"\n]*"'),
    re.compile(r"“[^”\n]*”"),
    re.compile(r"‘[^’\n]*’(?![a-z])"),       # ‘…’ but not an apostrophe inside a word
]
MASKS = [
    re.compile(r"\[[^\[\]]*@[^\[\]]*\]"),     # citation groups
    re.compile(r"-?@[A-Za-z0-9_:-]+"),        # narrative citations
    re.compile(r"https?://\S+"),
    re.compile(r"`[^`]*`"),
    re.compile(r"(?<![*\w])\*[^*\n]+\*(?!\*)"),  # *italic title*
    re.compile(r"\{#[^}]*\}"),                # heading ids
]
XREF = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")


def mask(text):
    text = XREF.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), text)
    for rx in MASKS + QUOTED:
        text = rx.sub(BREAK, text)
    return text


def bib_fields(text):
    """Yield (field, value, line) for each field of a .bib file (brace-balanced values)."""
    for m in re.finditer(r"(?m)^\s*([A-Za-z]+)\s*=\s*", text):
        i = m.end()
        if i >= len(text):
            continue
        if text[i] == "{":
            depth, j = 0, i
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            value = text[i + 1:j]
        elif text[i] == '"':
            j = text.index('"', i + 1)
            value = text[i + 1:j]
        else:
            value = re.match(r"[^,\n]*", text[i:]).group(0)
        line = text.count("\n", 0, m.start(1)) + 1
        yield m.group(1).lower(), value, line


def collect_names(content):
    """Token sequences of names and titles that may be shared with the sources."""
    names = set()
    for bib in glob.glob(os.path.join(content, "*.bib")):
        with open(bib, encoding="utf-8") as f:
            for field, value, _ in bib_fields(f.read()):
                if field in NAME_FIELDS:
                    names.add(tuple(words(value.replace("{", "").replace("}", ""))))
    for md in glob.glob(os.path.join(content, "**", "*.md"), recursive=True):
        fm, _, _ = front_matter(md)
        for line in fm:
            m = re.match(r"\s*(term|title|subtitle|aliases)\s*:\s*(.*)", line)
            if m:
                for part in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)) or [m.group(2)]:
                    names.add(tuple(words(part)))
    return {n for n in names if len(n) >= 2}


def front_matter(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[0] == "---":
        for i in range(1, len(lines)):
            if lines[i] == "---":
                return lines[1:i], 2, i + 1
    return [], 1, 0


FM_SKIP = {"term", "aliases", "see-also", "tags", "authors", "annotates", "date", "order",
           "slug", "original", "original-lang", "transliteration", "draft", "title",
           "subtitle"}


def checkable_lines(path):
    """(line number, text) pairs of the parts of a content file written by the editors."""
    if path.endswith(".bib"):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for no, line in enumerate(text.split("\n"), 1):
            if line.lstrip().startswith("%"):
                yield no, line.lstrip()[1:]
        for field, value, no in bib_fields(text):
            if field in FREE_FIELDS:
                yield no, value.replace("{", "").replace("}", "")
        return
    fm, first, body_start = front_matter(path)
    key = None
    for k, line in enumerate(fm):
        m = re.match(r"([A-Za-z-]+)\s*:\s*(.*)$", line)
        if m:
            key, value = m.group(1), m.group(2)
        else:
            m = re.match(r"\s+-\s+(.*)$", line)
            if not m:
                continue
            value = m.group(1)
        if key in FM_SKIP or not value:
            continue
        q = re.fullmatch(r'"((?:[^"\\]|\\.)*)"\s*', value)
        if q:
            value = re.sub(r"\\(.)", r"\1", q.group(1))
        yield first + k, value
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_code = False
    for no in range(body_start, len(lines)):
        line = lines[no]
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if not in_code:
            yield no + 1, line


def overlaps_in(text, grams, names, n):
    """Maximal runs (as word lists) of the text that contain a shared n-gram."""
    found = []
    for segment in mask(text).split(BREAK):
        ws = words(segment)
        keep = [True] * len(ws)
        for i in range(len(ws)):
            for name in names:
                if tuple(ws[i:i + len(name)]) == name:
                    for j in range(i, i + len(name)):
                        keep[j] = False
        runs, cur = [], []
        for w, k in zip(ws, keep):
            if k:
                cur.append(w)
            elif cur:
                runs.append(cur)
                cur = []
        if cur:
            runs.append(cur)
        for run in runs:
            hit_start, hit_end, src = None, None, None
            for i in range(len(run) - n + 1):
                s = grams.get(tuple(run[i:i + n]))
                if s:
                    if hit_start is not None and i <= hit_end:
                        hit_end = i + n
                    else:
                        if hit_start is not None:
                            found.append((" ".join(run[hit_start:hit_end]), src))
                        hit_start, hit_end, src = i, i + n, s
            if hit_start is not None:
                found.append((" ".join(run[hit_start:hit_end]), src))
    return found


def check(content, sources, n, out=sys.stdout):
    grams, files = source_ngrams(sources, n)
    if not files:
        print(f"overlap_check: no source texts in {sources}", file=sys.stderr)
        return 2
    names = collect_names(content)
    paths = sorted(glob.glob(os.path.join(content, "**", "*.md"), recursive=True)
                   + glob.glob(os.path.join(content, "**", "*.bib"), recursive=True))
    count = 0
    for path in paths:
        rel = os.path.relpath(path)
        for no, text in checkable_lines(path):
            for run, src in overlaps_in(text, grams, names, n):
                count += 1
                print(f'{rel}:{no}: "{run}" ({src})', file=out)
    if count:
        print(f"overlap_check: {count} unquoted run(s) of {n}+ words shared with a source "
              f"in {len(paths)} files", file=out)
        return 1
    print(f"overlap_check: {len(paths)} content files, no unquoted {n}-word overlap with "
          f"the {len(files)} sources", file=out)
    return 0


def self_test(sources, n):
    """A file copying a source sentence must fail; quoting the sentence must pass."""
    with open(sorted(glob.glob(os.path.join(sources, "*.txt")))[0], encoding="utf-8") as f:
        text = f.read()
    sentences = [s for line in text.split("\n") for s in re.split(r"(?<=[.!?])\s+", line)]
    sentence = max(sentences, key=lambda s: len(words(s)))
    sentence = sentence.strip().replace('"', "").replace("“", "").replace("”", "")
    tmp = tempfile.mkdtemp(prefix="overlap-selftest-")
    try:
        os.makedirs(os.path.join(tmp, "essays"))
        path = os.path.join(tmp, "essays", "copied.md")

        def run(body):
            with open(path, "w", encoding="utf-8") as f:
                f.write('---\ntitle: "Self-test"\n---\n\n' + body + "\n")
            with open(os.devnull, "w") as null:
                return check(tmp, sources, n, out=null)

        copied = run("An essay that copies its source. " + sentence.upper().replace(",", ";"))
        quoted = run('An essay that quotes its source: "' + sentence + '" [@key, para. 1].')
    finally:
        shutil.rmtree(tmp)
    ok = copied == 1 and quoted == 0
    print(f"overlap_check self-test: copied sentence -> exit {copied} (want 1), "
          f"quoted sentence -> exit {quoted} (want 0): {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--content", default=os.path.join(ROOT, "content"))
    ap.add_argument("--sources", default=None)
    ap.add_argument("--ngram", type=int, default=N_DEFAULT)
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    sources = args.sources or default_sources()
    if not sources:
        print("overlap_check: source texts not found (../shared/sources); "
              "set SCHOLION_SOURCES or pass --sources", file=sys.stderr)
        return 2
    if args.self_test:
        return self_test(sources, args.ngram)
    return check(args.content, sources, args.ngram)


if __name__ == "__main__":
    sys.exit(main())
