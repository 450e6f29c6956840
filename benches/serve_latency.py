#!/usr/bin/env python3
"""Edit → new page served latency of `scholion serve` on a generated reader.

Generates a reader of N essays (default 1,000, with glossary and citations), starts
`scholion serve`, then EDITS times rewrites one essay with a unique marker (as an editor's
save does) and polls the page over HTTP until the marker is served. Prints the median,
p95 and max latency in milliseconds.

The corpus has every feature on (images, math, code, citations in notes, Chinese: see
corpus.py --features) unless --plain-corpus.

usage: benches/serve_latency.py [--essays 1000] [--edits 30] [--scholion target/release/scholion] [--plain-corpus]
"""
import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fetch(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--essays", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--scholion", default=os.path.join(ROOT, "target/release/scholion"))
    ap.add_argument("--plain-corpus", action="store_true",
                    help="the corpus without images, math, code and Chinese")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="scholion-serve-bench-")
    subprocess.run([sys.executable, f"{HERE}/corpus.py", str(args.essays), work]
                   + ([] if args.plain_corpus else ["--features"]), check=True)
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    server = subprocess.Popen([args.scholion, "serve", ".", "--port", str(port)], cwd=work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                if fetch(port, "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                sys.exit("serve did not start")
            time.sleep(0.05)
        target = f"{work}/content/essays/essay-00007.md"
        original = open(target, encoding="utf-8").read()
        fetch(port, "/essays/essay-00007/")
        latencies = []
        for i in range(args.edits):
            marker = f"edit-marker-{i}-{time.time_ns()}"
            text = original.replace("## Section 1", f"{marker}\n\n## Section 1", 1)
            tmp = target + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            start = time.perf_counter()
            os.replace(tmp, target)  # an editor's atomic save
            while True:
                status, body = fetch(port, "/essays/essay-00007/")
                if status == 200 and marker in body:
                    break
                if time.perf_counter() - start > 20:
                    sys.exit("edit never showed up")
                time.sleep(0.002)
            latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(0.2)
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
        print(f"serve edit→served latency, {args.essays} essays, {len(latencies)} edits: "
              f"median {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
