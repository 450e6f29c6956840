#!/usr/bin/env python3
"""Write a deterministic generated reader of N essays for benchmarks.

Each essay: ~1,200 words of varied Markdown (headings, lists, a blockquote, a table,
3 footnotes), on average 8 cross-references and 4 citations; a glossary of N/20 terms
and a bibliography of N/5 BibTeX entries. With --plain, also writes the same essays as
plain Markdown (annotations turned into ordinary links/text) for Hugo and mdBook.

With --features (or its old name --math), the essays also use what authors add (issue
#25's "everything on"): a tenth embed an image beside them (a real PNG in
content/essays/img/, copied to the plain corpus's img/); a tenth have what lecture notes
have (8 inline and 3 display formulas: fractions, sums, matrices, `aligned`; a callout; a
Python and a Rust code block); a fifth a highlighted code block; a tenth cite in their
footnotes; a twentieth are partly in Chinese. The plain corpus gets the
same Markdown (math and images as written), so each tool does its own version of the work.

usage: corpus.py N OUT_DIR [--plain PLAIN_DIR] [--features]
"""
import os
import random
import struct
import sys
import zlib

WORDS = ("state network sovereignty governance data security platform policy law norm "
         "internet actor forum model regulation border access control standard diplomacy "
         "infrastructure market cable protocol registry domain privacy speech freedom "
         "authority council treaty summit strategy agency review report framework").split()


def sentence(rng, n=None):
    n = n or rng.randint(9, 18)
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


ZH = ("网络主权是国家主权在网络空间的自然延伸。各国有权自主选择网络发展道路和治理模式，"
      "平等参与国际网络空间治理。数据安全与个人信息保护日益成为各国立法的重点。")

# Each essay's code differs (its number in a name and a comment), as real essays' code
# does: a cache of highlighted blocks must not make a first build look cheaper than it is.
CODE = """```python
def sovereign_{e}(state, network):
    \"\"\"Return the rules that apply to a network inside a state (essay {e}).\"\"\"
    rules = [r for r in state.laws if r.applies_to(network) and r.year > {year}]
    return sorted(rules, key=lambda r: r.year)
```"""

MATH_INLINE = r"the share $s_i = \frac{x_i}{\sum_{j=1}^{n} x_j}$ and $\{ W_t \}_{t \ge 0}$"
MATH_BLOCK = r"""$$
\begin{aligned}
  P(A \mid B) &= \frac{P(B \mid A)\,P(A)}{P(B)} \\
  \mathbb{E}[X] &= \int_{-\infty}^{\infty} x\,f(x)\,dx
\end{aligned}
$$"""


def png(width, height, seed):
    """A small real PNG (deterministic): a flat colour from the seed."""
    colour = bytes(((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256))
    raw = b"".join(b"\x00" + colour * width for _ in range(height))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


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


def lecture_notes(rng, e):
    """Math, a callout and code, as lecture notes have them."""
    inline = " ".join(f"Then ${rng.choice(FORMULAS).format(i=rng.randint(1, 99))}$ holds." for _ in range(6))
    matrix = (r"$$" "\n" r"A = \begin{pmatrix} 1 & %d \\ %d & 4 \end{pmatrix}" "\n" r"$$") % (rng.randint(1, 9), rng.randint(1, 9))
    aligned = (r"$$" "\n" r"\begin{aligned} f(x) &= (x+%d)^2 \\ &= x^2 + %dx + %d \end{aligned}" "\n" r"$$") % (
        rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9))
    callout = "> [!note] A remark\n> " + sentence(rng)
    python = "```python\ndef mean_%d(xs: list[float]) -> float:\n    # the average of sample %d\n    return sum(xs) / len(xs)\n```" % (e, e)
    rust = "```rust\nfn main() {\n    let total: u32 = (1..=%d).sum();\n    println!(\"{total} (essay %d)\");\n}\n```" % (rng.randint(2, 99), e)
    return [inline, matrix, aligned, callout, python, rust]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    plain = sys.argv[sys.argv.index("--plain") + 1] if "--plain" in sys.argv else None
    features = "--features" in sys.argv or "--math" in sys.argv
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
        notes_plain = notes
        if features and e % 10 == 4:  # citations in the notes
            k2 = keys[rng.randrange(n_bib)]
            notes += f" See [@{k2}, pp. 3-7]."
            notes_plain += " See (Author 2000, 3-7)."
        extra = []
        if features and e % 10 == 1:  # an image beside the essay
            name = f"fig-{e:05d}.png"
            write_bytes(f"{out}/content/essays/img/{name}", png(64, 40, e))
            if plain:
                write_bytes(f"{plain}/img/{name}", png(64, 40, e))
            extra.append(f"![Figure {e}: a flat colour](img/{name})")
        if features and e % 10 == 2:  # math
            # Its own random source: the rest of the corpus is the same with or without it.
            extra += [f"Take {MATH_INLINE}.", MATH_BLOCK] + lecture_notes(random.Random(e), e)
        if features and e % 5 == 3:  # a code block
            extra.append(CODE.format(e=e, year=1990 + e % 30))
        if features and e % 20 == 5:  # Chinese text
            extra += ["## 网络主权", ZH, ZH]
        parts_rich += extra + [" ".join(tail_r), notes]
        parts_plain += extra + [" ".join(tail_p), notes_plain]
        tags = f"[topic-{e % 7}, theme-{e % 11}]"
        date = f"20{10 + e % 15:02d}-{1 + e % 12:02d}-{1 + e % 28:02d}"
        front = f"---\ntitle: \"Essay {e}: {rng.choice(WORDS)} {rng.choice(WORDS)}\"\ndate: {date}\nsummary: \"{sentence(rng, 12)}\"\ntags: {tags}\n---\n\n"
        write(f"{out}/content/essays/{slug}.md", front + "\n\n".join(parts_rich) + "\n")
        if plain:
            write(f"{plain}/{slug}.md", front + "\n\n".join(parts_plain) + "\n")


if __name__ == "__main__":
    main()
