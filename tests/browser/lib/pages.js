// Which pages of the bundled reader the tests look at, found from the built output rather
// than hard-coded where possible (the essay with the most notes, a term, a source, …).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { env, files } = require("./env");

function read(rel, dir = env.readerDir) { return fs.readFileSync(path.join(dir, rel), "utf8"); }
function count(html, re) { return (html.match(re) || []).length; }

const essays = files(env.readerDir, "index.html").filter((f) => /^essays\/[^/]+\/index\.html$/.test(f));
const withNotes = essays
  .map((f) => ({ f, n: count(read(f), /class="note-ref"/g), cards: count(read(f), /data-card="term:/g) }))
  .sort((a, b) => b.n - a.n || b.cards - a.cards || a.f.localeCompare(b.f));
if (!withNotes.length || !withNotes[0].n) throw new Error("no essay of the bundled reader has footnotes");

const slug = (f) => f.split("/")[1];
const essay = slug(withNotes[0].f); // the essay with the most notes
const termSlugs = files(env.readerDir, "index.html").filter((f) => /^glossary\/[^/]+\/index\.html$/.test(f)).map(slug);
const sourceKeys = files(env.readerDir, "index.html").filter((f) => /^citations\/[^/]+\/index\.html$/.test(f)).map(slug);
const term = termSlugs.includes("cyber-sovereignty") ? "cyber-sovereignty" : termSlugs[0];
// a source that essays cite (its page lists uses)
const source = sourceKeys.map((k) => ({ k, n: count(read(`citations/${k}/index.html`), /class="use-link"/g) }))
  .sort((a, b) => b.n - a.n || a.k.localeCompare(b.k))[0].k;

const url = (rel) => env.readerUrl + rel;
module.exports = {
  read, essays: essays.map(slug), essay, term, source, termSlugs, sourceKeys, url,
  // the six pages the contract names for axe, light and dark
  main: {
    home: url(""),
    essay: url(`essays/${essay}/`),
    glossary: url("glossary/"),
    term: url(`glossary/${term}/`),
    citations: url("citations/"),
    source: url(`citations/${source}/`),
  },
};
