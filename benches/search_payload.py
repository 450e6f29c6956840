#!/usr/bin/env python3
"""What a first search query downloads, on a built site, and how many index files it has.

Simulates static/search.js on an output folder: the search page and its assets, then
meta.json, one shard per query token (found by its key, as the script does), the doc
chunks of the best 20 results and the pages of the best 10 (for excerpts). Prints the
number of index files under search/, and the bytes per part and in total, for a few queries.
The tokenizer here follows src/markdown/tokenize.rs (NFKC, lower case, accents folded,
CJK bigrams) closely enough for a benchmark; tests/fixtures/tokenizer.json is the reference.

usage: benches/search_payload.py OUTPUT_DIR [WORD ...]
  e.g. python3 benches/corpus.py 10000 /tmp/c && scholion build /tmp/c --out /tmp/o &&
       python3 benches/search_payload.py /tmp/o sovereignty network "treaty summit"
"""
import bisect
import json
import os
import re
import sys
import unicodedata

CJK = [(0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3040, 0x30FF), (0x3130, 0x318F),
       (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
       (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3FFFF)]


def is_cjk(c):
    return any(a <= ord(c) <= b for a, b in CJK)


def tokens(text):
    norm = unicodedata.normalize("NFKC", text).lower()
    norm = "".join(ch for ch in unicodedata.normalize("NFD", norm) if not 0x300 <= ord(ch) <= 0x36F)
    out = []
    for run in re.findall(r"\w+", norm):
        for part in re.findall(r"[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in CJK) + r"]+|[^" +
                               "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in CJK) + r"]+", run):
            if is_cjk(part[0]):
                out += [part] if len(part) == 1 else [part[i:i + 2] for i in range(len(part) - 1)]
            elif len(part) >= 2:
                out.append(part)
    return out


def key_of(token):
    return token[0] if is_cjk(token[0]) else token[:3]


def size(out, rel):
    try:
        return os.path.getsize(os.path.join(out, rel))
    except OSError:
        return 0


def main():
    out = sys.argv[1]
    queries = sys.argv[2:] or ["sovereignty", "network", "treaty summit", "essay"]
    meta = json.load(open(f"{out}/search/meta.json"))
    first_keys = meta["shards"]  # Python compares str by code point, as Rust does
    page_assets = sum(size(out, r) for r in ["search/index.html", "static/style.css", "static/scholion.js", "static/search.js"])
    files = sum(len(fs) for _, _, fs in os.walk(f"{out}/search")) - 1  # not search/index.html
    print(f"documents indexed: {meta['docs']}, index files: {files} ({len(first_keys)} shards), total index size: "
          f"{sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f'{out}/search') for f in fs) / 1e6:.1f} MB")
    worst = 0
    for q in queries:
        words = list(dict.fromkeys(tokens(q)))
        fetched = {"meta.json": size(out, "search/meta.json")}
        scores = None
        for w in words:
            n = bisect.bisect_right(first_keys, key_of(w)) - 1
            if n < 0:
                scores = {}
                continue
            fetched[f"shard/{n}.json"] = size(out, f"search/shard/{n}.json")
            index = json.load(open(f"{out}/search/shard/{n}.json"))
            mine = {}
            for t, postings in index.items():
                if t.startswith(w):
                    for d, n in postings:
                        mine[d] = mine.get(d, 0) + n * (2 if t == w else 1)
            scores = mine if scores is None else {d: scores[d] + v for d, v in mine.items() if d in scores}
        ranked = sorted((scores or {}).items(), key=lambda kv: (-kv[1], kv[0]))
        ids = [d for d, _ in ranked[:20]]
        chunks = {}
        for d in ids:
            n = d // meta["chunk"]
            rel = f"docs/{n}.json"
            fetched[rel] = size(out, f"search/{rel}")
            chunks.setdefault(n, json.load(open(f"{out}/search/{rel}")))
        pages = 0
        base = None
        for d in ids[:10]:
            doc = chunks[d // meta["chunk"]][d - (d // meta["chunk"]) * meta["chunk"]]
            url = doc["u"]
            base = base or "/"
            rel = url.lstrip("/") + ("index.html" if url.endswith("/") else "")
            pages += size(out, rel)
        index_bytes = sum(fetched.values())
        total = page_assets + index_bytes + pages
        worst = max(worst, total)
        print(f"query {q!r}: {len(ranked)} results; index files {index_bytes / 1024:.0f} KB "
              f"({len(fetched)} files), result pages {pages / 1024:.0f} KB, page + assets {page_assets / 1024:.0f} KB "
              f"→ first query total {total / 1024:.0f} KB")
    print(f"largest first-query download: {worst / 1024:.0f} KB ({'under' if worst < 1_000_000 else 'OVER'} 1 MB)")


if __name__ == "__main__":
    main()
