#!/usr/bin/env python3
"""What a first search query downloads, on a built site.

Simulates static/search.js on an output folder: the search page and its assets, then
meta.json, one shard per query word, the doc chunks of the best 20 results and the pages of
the best 10 (for excerpts). Prints the bytes per part and in total, for a few queries.

usage: benches/search_payload.py OUTPUT_DIR [WORD ...]
  e.g. python3 benches/corpus.py 10000 /tmp/c && scholion build /tmp/c --out /tmp/o &&
       python3 benches/search_payload.py /tmp/o sovereignty network "treaty summit"
"""
import json
import os
import re
import sys


def size(out, rel):
    try:
        return os.path.getsize(os.path.join(out, rel))
    except OSError:
        return 0


def main():
    out = sys.argv[1]
    queries = sys.argv[2:] or ["sovereignty", "network", "treaty summit", "essay"]
    meta = json.load(open(f"{out}/search/meta.json"))
    shards = set(meta["shards"])
    page_assets = sum(size(out, r) for r in ["search/index.html", "static/style.css", "static/scholion.js", "static/search.js"])
    print(f"documents indexed: {meta['docs']}, shards: {len(shards)}, total index size: "
          f"{sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f'{out}/search') for f in fs) / 1e6:.1f} MB")
    worst = 0
    for q in queries:
        words = [w for w in re.findall(r"\w+", q.lower()) if len(w) >= 2]
        fetched = {"meta.json": size(out, "search/meta.json")}
        scores = None
        for w in words:
            s = w[:3]
            if s not in shards:
                scores = {}
                continue
            fetched[f"shard/{s}.json"] = size(out, f"search/shard/{s}.json")
            tokens = json.load(open(f"{out}/search/shard/{s}.json"))
            mine = {}
            for t, postings in tokens.items():
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
