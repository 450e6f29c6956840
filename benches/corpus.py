#!/usr/bin/env python3
"""Write a deterministic generated reader of N essays for benchmarks.

Each essay: ~1,200 words of varied Markdown (headings, lists, a blockquote, a table,
3 footnotes), on average 8 cross-references and 4 citations; a glossary of N/20 terms
and a bibliography of N/5 BibTeX entries. With --plain, also writes the same essays as
plain Markdown (annotations turned into ordinary links/text) for Hugo and mdBook.
With --math, a tenth of the essays (every tenth) also has what lecture notes have: 6 inline
and 2 display formulas (fractions, sums, matrices, `aligned`), a callout and two
highlighted code blocks (Python, Rust) — the cost of math and highlighting (#17).

usage: corpus.py N OUT_DIR [--plain PLAIN_DIR] [--math]
"""
import os
import random
import sys

WORDS = ("state network sovereignty governance data security platform policy law norm "
         "internet actor forum model regulation border access control standard diplomacy "
         "infrastructure market cable protocol registry domain privacy speech freedom "
         "authority council treaty summit strategy agency review report framework").split()


def sentence(rng, n=None):
    n = n or rng.randint(9, 18)
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


FORMULAS = [
    r"x_{{{i}}}^2 + y_{{{i}}}^2 = r^2",
    r"\frac{{n(n+{i})}}{{2}}",
    r"\sum_{{k=1}}^{{{i}}} k^2",
    r"\mathbb{{E}}[X_{{{i}}}] = \mu",
    r"\{{ W_t \}}_{{t \ge {i}}}",
    r"\hat{{\theta}}_{{{i}}} = \bar{{x}}",
    r"\int_0^{{{i}}} e^{{-x^2}}\,dx",
    r"\sqrt{{{i} + \alpha^2}}",
]


def lecture_notes(rng):
    """Math, a callout and code, as lecture notes have them."""
    inline = " ".join(f"Then ${rng.choice(FORMULAS).format(i=rng.randint(1, 99))}$ holds." for _ in range(6))
    matrix = (r"$$" "\n" r"A = \begin{pmatrix} 1 & %d \\ %d & 4 \end{pmatrix}" "\n" r"$$") % (rng.randint(1, 9), rng.randint(1, 9))
    aligned = (r"$$" "\n" r"\begin{aligned} f(x) &= (x+%d)^2 \\ &= x^2 + %dx + %d \end{aligned}" "\n" r"$$") % (
        rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9))
    callout = "> [!note] A remark\n> " + sentence(rng)
    python = "```python\ndef mean(xs: list[float]) -> float:\n    # the average\n    return sum(xs) / len(xs)\n```"
    rust = "```rust\nfn main() {\n    let total: u32 = (1..=%d).sum();\n    println!(\"{total}\");\n}\n```" % rng.randint(2, 99)
    return [inline, matrix, aligned, callout, python, rust]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    plain = sys.argv[sys.argv.index("--plain") + 1] if "--plain" in sys.argv else None
    math = "--math" in sys.argv
    rng = random.Random(42)
    n_terms = max(5, n // 20)
    n_bib = max(5, n // 5)
    terms = [f"term-{i}" for i in range(n_terms)]
    keys = [f"author{i}{1990 + i % 30}" for i in range(n_bib)]

    write(f"{out}/book.toml", f'[book]\ntitle = "Generated reader of {n}"\n\n[build]\nbase-url = "/"\n')
    write(f"{out}/content/index.md", "---\ntitle: Generated\n---\n\nA generated reader.\n")
    bib = []
    for i, k in enumerate(keys):
        bib.append(f"@book{{{k},\n  author = {{Author{i}, Alex and Writer{i}, Sam}},\n  title = {{A Study of {rng.choice(WORDS).title()} and {rng.choice(WORDS).title()} {i}}},\n  publisher = {{University Press}},\n  address = {{Oxford}},\n  year = {{{1990 + i % 30}}},\n}}\n")
    write(f"{out}/content/references.bib", "\n".join(bib))
    for i, t in enumerate(terms):
        write(f"{out}/content/glossary/{t}.md",
              f"---\nterm: \"Term {i}\"\naliases: [\"alias {i}\"]\nshort: \"{sentence(rng, 10)}\"\n---\n\n{sentence(rng)} {sentence(rng)} [@{keys[i % n_bib]}]\n")

    for e in range(n):
        slug = f"essay-{e:05d}"
        parts_rich, parts_plain = [], []
        uses_left_x, uses_left_c = 8, 4

        def para(k):
            nonlocal uses_left_x, uses_left_c
            rich, flat = [], []
            for _ in range(k):
                s = sentence(rng)
                r, p = s, s
                if uses_left_x and rng.random() < 0.35:
                    t = rng.randrange(n_terms)
                    r = s[:-1] + f" near [[{terms[t]}|term {t}]]."
                    p = s[:-1] + f" near [term {t}](/glossary/{terms[t]}/)."
                    uses_left_x -= 1
                elif uses_left_c and rng.random() < 0.2:
                    k2 = keys[rng.randrange(n_bib)]
                    r = s[:-1] + f" [@{k2}, p. {rng.randint(1, 300)}]."
                    p = s[:-1] + f" (Author {rng.randint(1990, 2020)}, {rng.randint(1, 300)})."
                    uses_left_c -= 1
                rich.append(r)
                flat.append(p)
            return " ".join(rich), " ".join(flat)

        for sec in range(5):
            h = f"## Section {sec + 1}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"
            parts_rich.append(h); parts_plain.append(h)
            for _ in range(3):
                r, p = para(5)
                parts_rich.append(r); parts_plain.append(p)
            if sec == 1:
                items = [f"- {sentence(rng, 8)}" for _ in range(4)]
                parts_rich.append("\n".join(items)); parts_plain.append("\n".join(items))
            if sec == 2:
                q = "> " + sentence(rng) + " " + sentence(rng)
                parts_rich.append(q); parts_plain.append(q)
            if sec == 3:
                table = "| year | event | note |\n|---|---|---|\n" + "\n".join(
                    f"| {2000 + j} | {rng.choice(WORDS)} | {rng.choice(WORDS)} |" for j in range(4))
                parts_rich.append(table); parts_plain.append(table)
        # Remaining annotations at the end so every essay has 8 + 4.
        tail_r, tail_p = [], []
        while uses_left_x:
            t = rng.randrange(n_terms)
            tail_r.append(f"See [[{terms[t]}]]."); tail_p.append(f"See [term {t}](/glossary/{terms[t]}/).")
            uses_left_x -= 1
        while uses_left_c:
            k2 = keys[rng.randrange(n_bib)]
            tail_r.append(f"Compare [@{k2}]."); tail_p.append("Compare (Author 2000).")
            uses_left_c -= 1
        nxt = f"essay-{(e + 1) % n:05d}"
        tail_r.append(f"Next: [[{nxt}]].[^a] Also[^b] and[^c].")
        tail_p.append(f"Next: [{nxt}](/essays/{nxt}/).[^a] Also[^b] and[^c].")
        notes = "\n".join(f"[^{x}]: {sentence(rng)}" for x in "abc")
        if math and e % 10 == 0:
            # Its own random source: the rest of the corpus is the same with or without --math.
            parts_rich += lecture_notes(random.Random(e))
        parts_rich += [" ".join(tail_r), notes]
        parts_plain += [" ".join(tail_p), notes]
        tags = f"[topic-{e % 7}, theme-{e % 11}]"
        date = f"20{10 + e % 15:02d}-{1 + e % 12:02d}-{1 + e % 28:02d}"
        front = f"---\ntitle: \"Essay {e}: {rng.choice(WORDS)} {rng.choice(WORDS)}\"\ndate: {date}\nsummary: \"{sentence(rng, 12)}\"\ntags: {tags}\n---\n\n"
        write(f"{out}/content/essays/{slug}.md", front + "\n\n".join(parts_rich) + "\n")
        if plain:
            write(f"{plain}/{slug}.md", front + "\n\n".join(parts_plain) + "\n")


if __name__ == "__main__":
    main()
