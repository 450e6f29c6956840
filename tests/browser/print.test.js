// The print edition (/print/, #22): headless Chromium prints it to PDF with page.pdf(), and
// the PDF's text (pdftotext, Debian's poppler-utils) shows every essay title in reading
// order, the text of every note of every essay, and no heading left alone at the foot of a
// page or on a page of its own. Three pages are rendered to PNG (pdftoppm) into
// target/screenshots/ for people to look at.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { env, launch, open } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); fs.mkdirSync(env.screenshots, { recursive: true }); });
test.after(async () => { await browser?.close(); });

// Letters and digits only, case-folded and NFKC-normalised: a line break, a hyphen the
// browser added, a ligature or the PDF's spacing cannot make equal texts differ.
const squash = (s) => s.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.ok(!r.error, `${cmd} did not run (${r.error}): install poppler-utils (scripts/test.sh and run.sh do)`);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

// What the website says, read from its own pages (not from the print edition): the essays
// in reading order (the home page's list) and the text of each essay's notes, cut after each
// external link (the print stylesheet prints the link's URL there).
async function expected() {
  const home = await open(browser, P.main.home);
  let essays;
  try {
    essays = await home.$$eval(".essay-card h3 a", (as) => as.map((a) => ({ title: a.textContent.trim(), url: a.href })));
  } finally { await home.context().close(); }
  assert.ok(essays.length >= 6, `expected the bundled reader's essays, found ${essays.length}`);
  for (const e of essays) {
    const page = await open(browser, e.url);
    try {
      e.notes = await page.$$eval(".endnotes li", (lis) => lis.map((li) => {
        const pieces = [""];
        (function walk(node) {
          for (const child of node.childNodes) {
            if (child.nodeType === Node.TEXT_NODE) pieces[pieces.length - 1] += child.textContent;
            else if (child.nodeType === Node.ELEMENT_NODE && !child.classList.contains("note-back")) {
              walk(child);
              if (child.matches('a[href^="http"]')) pieces.push("");
            }
          }
        })(li);
        return pieces;
      }));
    } finally { await page.context().close(); }
  }
  return essays;
}

test("the print edition prints to a PDF with every essay in order, every note, and no lone headings", async () => {
  const essays = await expected();
  const page = await open(browser, P.url("print/"));
  const pdf = path.join(env.screenshots, "print-edition.pdf");
  let headings, firstPart;
  try {
    headings = await page.$$eval(".print-edition :is(h1, h2, h3, dt)", (hs) => hs.map((h) => h.textContent.trim()));
    firstPart = await page.$eval(".print-chapter .chapter-title", (h) => h.textContent.trim());
    await page.evaluate(() => document.fonts.ready);
    await page.pdf({ path: pdf, format: "A4" });
  } finally { await page.context().close(); }
  assert.ok(fs.statSync(pdf).size > 50000, "the PDF is suspiciously small");

  const text = run("pdftotext", ["-enc", "UTF-8", pdf, "-"]);
  const pages = text.split("\f").filter((p, i, all) => i < all.length - 1 || p.trim());
  assert.ok(pages.length >= 15, `expected a book of many pages, got ${pages.length}`);
  const all = squash(text);

  // Every essay title in reading order (each found after the one before it; the contents
  // list them too, so search from the end of the contents: the first chapter's title page).
  const body = squash(pages.slice(2).join("\n"));
  let at = 0;
  for (const e of essays) {
    const i = body.indexOf(squash(e.title), at);
    assert.ok(i >= 0, `essay "${e.title}" is missing from the PDF, or out of reading order`);
    at = i + 1;
  }

  // Every note of every essay, whole.
  let notes = 0;
  for (const e of essays) {
    for (const [n, pieces] of e.notes.entries()) {
      for (const piece of pieces.map(squash).filter(Boolean)) {
        assert.ok(all.includes(piece), `note ${n + 1} of "${e.title}" is missing from the PDF: ${pieces.join(" … ")}`);
      }
      notes += 1;
    }
  }
  assert.ok(notes >= 15, `expected the bundled reader's notes, found ${notes}`);

  // No orphaned headings: a page's last lines are never a heading (its text follows on the
  // next page), and no page holds a heading alone. The running head (the reader's title)
  // and the page number are not content. The check starts where the first part does (the
  // contents before it list the headings' texts).
  const heads = new Set(headings.map(squash).filter(Boolean));
  const runningHead = squash(await titleOf());
  const contentLines = (p) => p.split("\n").map((l) => l.trim()).filter((l) => l && !/^\d+$/.test(l) && squash(l) !== runningHead);
  const bodyStart = pages.findIndex((p, i) => i > 1 && squash(contentLines(p)[0] || "") === squash(firstPart));
  assert.ok(bodyStart > 1, `the first part ("${firstPart}") does not open a page after the contents`);
  const problems = [];
  pages.forEach((p, n) => {
    if (n < bodyStart) return;
    const lines = contentLines(p);
    if (!lines.length) return;
    for (let k = 1; k <= Math.min(3, lines.length); k++) {
      const tail = squash(lines.slice(-k).join(" "));
      if (heads.has(tail)) problems.push(`page ${n + 1} ends with the heading "${lines.slice(-k).join(" ")}"`);
    }
    if (heads.has(squash(lines.join(" ")))) problems.push(`page ${n + 1} holds nothing but the heading "${lines.join(" ")}"`);
  });
  assert.deepEqual(problems, []);

  // Three pages as images, for people to look at: the title page, the first chapter's
  // opening, and the page with the first chapter's notes.
  const firstChapter = pages.findIndex((p, i) => i >= bodyStart && squash(contentLines(p).slice(0, 3).join(" ")).includes(squash(essays[0].title)));
  const firstNotes = pages.findIndex((p, i) => i > firstChapter && /^\s*Notes\s*$/m.test(p));
  for (const [name, n] of [["title", 0], ["chapter", firstChapter], ["notes", firstNotes]]) {
    assert.ok(n >= 0, `no ${name} page found`);
    const prefix = path.join(env.screenshots, `print-${name}`);
    run("pdftoppm", ["-png", "-r", "70", "-f", String(n + 1), "-l", String(n + 1), "-singlefile", pdf, prefix]);
    assert.ok(fs.statSync(prefix + ".png").size > 5000);
  }
});

// The reader's title, as the running head prints it.
async function titleOf() {
  const page = await open(browser, P.main.home);
  try { return await page.$eval(".site-title", (a) => a.textContent.trim()); } finally { await page.context().close(); }
}
