// Readers in every language, in a real browser, on the fixture readers in tests/fixtures/i18n/:
// - bilingual/ (English essays with Chinese terms and quotations, a Chinese essay, a German
//   essay): search finds exactly the pages that contain a Chinese word or an accented name,
//   with the match highlighted; two characters that occur only apart find nothing;
// - the same reader with `language = "de"` and `"zh"`: every text node of every page type is
//   either the reader's own text or an entry of that language's translation table;
// - rtl/ (Arabic): `dir="rtl"`, notes in the left margin, axe-core clean.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const { launch, open } = require("./lib/env");
const { listen } = require("./lib/server");

const REPO = path.resolve(__dirname, "../..");
const FIXTURES = path.join(REPO, "tests/fixtures/i18n");
const AXE = require.resolve("axe-core/axe.min.js");

let browser, work;
const servers = [];
test.before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "scholion-i18n-"));
  browser = await launch();
});
test.after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  fs.rmSync(work, { recursive: true, force: true });
});

// Copy a fixture (with `language` replaced when given), build it, serve it; its base URL.
async function site(name, language) {
  const src = path.join(work, `${name}-${language || "as-is"}`);
  fs.cpSync(path.join(FIXTURES, name), src, { recursive: true });
  if (language) {
    const toml = path.join(src, "book.toml");
    fs.writeFileSync(toml, fs.readFileSync(toml, "utf8").replace(/^language = .*$/m, `language = "${language}"`));
  }
  const out = src + "-out";
  const server = await listen(out, "/", 0);
  servers.push(server);
  const url = `http://127.0.0.1:${server.address().port}/`;
  execFileSync(process.env.SCHOLION, ["build", src, "--out", out, "--base-url", url], { stdio: "pipe" });
  return { url, src, out };
}

async function search(base, query) {
  const page = await open(browser, base + "search/?q=" + encodeURIComponent(query));
  await page.locator(".search-page[data-searched]").waitFor({ state: "attached", timeout: 10000 });
  const list = await page.evaluate(() => [...document.querySelectorAll(".search-results li")].map((li) => ({
    href: new URL(li.querySelector("a").href).pathname,
    marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
  })));
  const errors = page.jsErrors;
  await page.context().close();
  return { list, errors };
}

test("search finds exactly the pages with the word, in any script and with or without accents", async () => {
  const { url } = await site("bilingual");
  const zh = (s) => decodeURIComponent(s);
  const expect = {
    "乌镇": ["/essays/wuzhen/", "/essays/zhuquan/"],
    "互联网": ["/essays/wuzhen/", "/essays/zhuquan/"],
    "网络主权": ["/essays/sovereignty/", "/essays/zhuquan/", "/glossary/cyber-sovereignty/"],
    "muller": ["/citations/mueller2019/", "/essays/souveraenitaet/", "/essays/sovereignty/"],
    "Muller": ["/citations/mueller2019/", "/essays/souveraenitaet/", "/essays/sovereignty/"],
    "Müller": ["/citations/mueller2019/", "/essays/souveraenitaet/", "/essays/sovereignty/"],
    "MÜLLER": ["/citations/mueller2019/", "/essays/souveraenitaet/", "/essays/sovereignty/"],
  };
  for (const [query, pages] of Object.entries(expect)) {
    const { list, errors } = await search(url, query);
    assert.deepEqual(errors, []);
    assert.deepEqual(list.map((r) => zh(r.href)).sort(), pages.map(zh).sort(), `searching ${query}`);
    const folded = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    for (const r of list) {
      assert.ok(r.marks.some((m) => folded(m).startsWith(folded(query))), `${query}: ${r.href} highlights ${JSON.stringify(r.marks)}`);
    }
  }
  // 乌 and 召 both occur in 在乌镇召开, but never side by side; 镇开 likewise.
  for (const apart of ["乌召", "镇开"]) {
    const { list } = await search(url, apart);
    assert.deepEqual(list, [], `${apart} matched`);
  }
});

// Every text node of every page type of a reader in `language`, checked against its table.
const TABLES = { de: "de", zh: "zh" };
function table(lang) {
  const text = fs.readFileSync(path.join(REPO, "themes/default/i18n", TABLES[lang] + ".toml"), "utf8");
  const entries = [];
  let months = [], dateFormat = "";
  for (const line of text.split("\n")) {
    const m = /^(\w+) = (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "months") months = JSON.parse(m[2]);
    else if (m[1] === "date_format") dateFormat = JSON.parse(m[2]);
    else if (m[2].startsWith("{")) for (const f of m[2].matchAll(/= ("(?:[^"\\]|\\.)*")/g)) entries.push(JSON.parse(f[1]));
    else if (m[2].startsWith('"')) entries.push(JSON.parse(m[2]));
  }
  return { entries, months, dateFormat };
}
const SEP = /\s*[·§()\[\]:：,，（）…]\s*/;
const norm = (s) => s.replace(/[’‘]/g, "'").replace(/[“”„]/g, '"').replace(/\s+/g, " ").trim();
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
function allowedPieces(lang) {
  const { entries, months, dateFormat } = table(lang);
  const res = [];
  for (const e of entries) {
    for (const piece of norm(e).split(SEP).map((p) => p.trim()).filter(Boolean)) {
      res.push(new RegExp("^" + escapeRe(piece).replace(/\\\{n\\\}/g, "[\\d.,  ]+").replace(/\\\{query\\\}/g, ".+") + "$"));
    }
  }
  // Names of file formats are the same in every language (the citation downloads and the
  // e-book, #22).
  for (const name of ["BibTeX", "RIS", "CSL-JSON", "EPUB"]) res.push(new RegExp("^" + escapeRe(name) + "$"));
  res.push(new RegExp("^" + escapeRe(dateFormat).replace("\\{day\\}", "\\d{1,2}").replace("\\{m\\}", "\\d{1,2}")
    .replace("\\{month\\}", "(" + months.map(escapeRe).join("|") + ")").replace("\\{year\\}", "\\d{4}") + "$"));
  return res;
}
function userText(dir) {
  let all = "";
  (function walk(d) {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else all += " " + fs.readFileSync(p, "utf8");
    }
  })(dir);
  // The Markdown's text: cross-references as their labels, no citation or note markers.
  all = all.replace(/\[\[(?:[^\]|]*\|)?([^\]]*)\]\]/g, "$1").replace(/\s*\[@[^\]]*\]/g, "").replace(/\[\^[^\]]*\]:?/g, "");
  return norm(all.replace(/[{}]/g, " ").replace(/--/g, "–"));
}

for (const lang of ["de", "zh"]) {
  test(`a reader in ${lang} shows no English chrome: every text node is the reader's or the ${lang} table's`, async () => {
    const { url, src } = await site("bilingual", lang);
    const allowed = allowedPieces(lang);
    const user = userText(src);
    const pages = ["", "essays/wuzhen/", "essays/sovereignty/", "glossary/", "glossary/cyber-sovereignty/", "citations/",
      "citations/mueller2019/", "tags/", "tags/sovereignty/", "search/?q=" + encodeURIComponent("Müller"), "no-such-page/"];
    const bad = [];
    let checked = 0;
    for (const rel of pages) {
      const page = await open(browser, url + rel);
      if (rel.startsWith("search/")) await page.locator(".search-page[data-searched]").waitFor({ state: "attached", timeout: 10000 });
      // Every text node outside script, style, noscript and the citation style's output
      // (formatted by the CSL style: its locale, not the theme's).
      const nodes = await page.evaluate(() => {
        const out = [];
        const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          // Search excerpts are the result pages' own text (checked on those pages).
          if (n.parentElement.closest("script, style, noscript, .entry, .cite, .source .use-context mark, .search-results li p")) continue;
          if (n.textContent.trim()) out.push(n.textContent);
        }
        return out;
      });
      await page.context().close();
      for (const node of nodes) {
        for (const piece of norm(node).split(SEP).map((p) => p.trim()).filter(Boolean)) {
          checked++;
          if (/^[\d\s.,–—\-"'«»„“#*↩¶]+$/.test(piece)) continue;
          if (user.includes(piece)) continue;
          if (allowed.some((re) => re.test(piece))) continue;
          bad.push(`${rel || "home"}: ${JSON.stringify(piece)} (in ${JSON.stringify(node.trim())})`);
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} pieces of text checked`);
    assert.deepEqual(bad, [], "text that is neither the reader's nor the translation table's");
  });
}

test("a German reader: lang, date, reading time and navigation in German; a term's original name carries its own lang", async () => {
  const { url } = await site("bilingual", "de");
  const page = await open(browser, url + "essays/wuzhen/");
  try {
    assert.equal(await page.getAttribute("html", "lang"), "de");
    assert.match(await page.locator(".essay-header .meta").innerText(), /16\. November 2026 · 1 Min\. Lesezeit/);
    assert.equal(await page.locator(".site-nav .nav-glossary").innerText(), "Glossar");
    assert.equal(await page.locator(".terms-used a").first().innerText(), "Cyber sovereignty");
  } finally { await page.context().close(); }
  const term = await open(browser, url + "glossary/cyber-sovereignty/");
  try {
    assert.equal(await term.getAttribute(".original span[lang]", "lang"), "zh-Hans");
  } finally { await term.context().close(); }
});

test("a right-to-left reader: dir=rtl, notes in the left margin, axe-core clean", async () => {
  const { url } = await site("rtl");
  const essay = await open(browser, url + "essays/siyada/");
  try {
    assert.equal(await essay.getAttribute("html", "dir"), "rtl");
    assert.equal(await essay.getAttribute("html", "lang"), "ar");
    const geo = await essay.evaluate(() => {
      const note = document.querySelector(".essay-body .sidenote").getBoundingClientRect();
      const body = document.querySelector(".essay-body > p").getBoundingClientRect();
      return { noteRight: note.right, bodyLeft: body.left };
    });
    assert.ok(geo.noteRight <= geo.bodyLeft, `the note is not left of the text: ${JSON.stringify(geo)}`);
  } finally { await essay.context().close(); }
  for (const rel of ["", "essays/siyada/", "glossary/", "glossary/siyada-saybiraniya/", "search/?q=" + encodeURIComponent("السيادة")]) {
    for (const scheme of ["light", "dark"]) {
      const page = await open(browser, url + rel, { colorScheme: scheme });
      try {
        await page.addScriptTag({ path: AXE });
        const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [], `${rel || "home"} (${scheme})`);
      } finally { await page.context().close(); }
    }
  }
});
