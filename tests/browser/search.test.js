// Full-text search over essays, terms and sources, in the browser, against the index the
// build wrote (search/meta.json, shards, docs, texts).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { launch, open } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

const norm = (s) => s.replace(/\s+/g, " ").trim();

async function results(query, options = {}) {
  const page = await open(browser, P.url("search/?q=" + encodeURIComponent(query)), options);
  await page.waitForFunction(() => {
    const s = document.querySelector(".search-status").textContent;
    return s && !/Searching/.test(s);
  }, null, { timeout: 10000 });
  const list = await page.evaluate(() => [...document.querySelectorAll(".search-results li")].map((li) => ({
    href: li.querySelector("a").href, title: li.querySelector("a").textContent, kind: li.querySelector(".search-kind")?.textContent,
    marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
  })));
  const status = await page.locator(".search-status").innerText();
  return { page, list, status };
}

// Essay-body words, found from the built essay (its first paragraph: inside the stored text
// the index keeps for excerpts), longest first so that they are rare.
async function essayWords() {
  const page = await open(browser, P.main.essay, { javaScriptEnabled: false });
  try {
    const text = await page.locator(".essay-body > p").first().innerText();
    const ws = [...new Set(text.match(/\p{L}{6,}/gu) || [])].sort((a, b) => b.length - a.length || a.localeCompare(b));
    return ws.slice(0, 3);
  } finally { await page.context().close(); }
}

test("a word from an essay body finds the essay, with the word highlighted in a <mark>", async () => {
  const words = await essayWords();
  assert.ok(words.length > 0);
  for (const word of words) {
    const { page, list } = await results(word);
    try {
      const hit = list.find((r) => r.href === P.main.essay);
      assert.ok(hit, `searching "${word}" does not list ${P.main.essay}; got ${list.map((r) => r.href).join(", ")}`);
      assert.equal(hit.kind, "Essay");
      assert.ok(hit.marks.some((m) => m.toLowerCase().startsWith(word.toLowerCase())), `no <mark>${word}</mark> in the result (${hit.marks.join(", ")})`);
      assert.deepEqual(page.jsErrors, []);
    } finally { await page.context().close(); }
  }
});

test("a glossary term's name finds its page", async () => {
  const page0 = await open(browser, P.main.term, { javaScriptEnabled: false });
  const name = norm(await page0.locator("h1").innerText());
  await page0.context().close();
  const { page, list } = await results(name);
  try {
    const hit = list.find((r) => r.href === P.main.term);
    assert.ok(hit, `searching "${name}" does not list ${P.main.term}`);
    assert.equal(hit.kind, "Glossary");
    assert.ok(hit.marks.length > 0, "the term's result has no highlight");
  } finally { await page.context().close(); }
});

test("a source's title finds its page", async () => {
  const page0 = await open(browser, P.main.source, { javaScriptEnabled: false });
  const title = norm(await page0.locator("h1").innerText());
  await page0.context().close();
  const { page, list } = await results(title);
  try {
    const hit = list.find((r) => r.href === P.main.source);
    assert.ok(hit, `searching "${title}" does not list ${P.main.source}; got ${list.map((r) => r.href).join(", ")}`);
    assert.equal(hit.kind, "Source");
  } finally { await page.context().close(); }
});

test("a word prefix matches (sovereign → sovereignty), and several words must all match", async () => {
  const { page, list } = await results("sovereign");
  try {
    assert.ok(list.length > 0);
    assert.ok(list[0].marks.concat(list.flatMap((r) => r.marks)).some((m) => /^sovereign/i.test(m)));
  } finally { await page.context().close(); }
  const both = await results(`${P.term.split("-")[0]} qqzzxxvv`);
  try { assert.equal(both.list.length, 0, "a word found nowhere still gives results"); } finally { await both.page.context().close(); }
});

test("nonsense finds nothing and says so; typing searches as you type", async () => {
  const { page, list, status } = await results("qqzzxxvv");
  try {
    assert.equal(list.length, 0);
    assert.match(status, /No results/);
    const words = await essayWords();
    await page.fill("#search-query", words[0]);
    await page.waitForFunction(() => document.querySelectorAll(".search-results li").length > 0, null, { timeout: 10000 });
    assert.match(page.url(), new RegExp("q=" + encodeURIComponent(words[0])));
  } finally { await page.context().close(); }
});

test("the header search box leads to the results (wide screens), the Search link on narrow ones", async () => {
  const page = await open(browser, P.main.essay);
  try {
    await page.fill("#site-search", "sovereignty");
    await Promise.all([page.waitForURL(/\/search\/\?q=sovereignty/), page.press("#site-search", "Enter")]);
    await page.locator(".search-results li").first().waitFor({ timeout: 10000 });
  } finally { await page.context().close(); }
  const narrow = await open(browser, P.main.essay, { viewport: { width: 400, height: 800 } });
  try {
    const link = narrow.locator(".site-nav a", { hasText: "Search" });
    assert.equal(await link.isVisible(), true, "no Search link in the narrow header");
    await Promise.all([narrow.waitForURL(P.url("search/")), link.click()]);
  } finally { await narrow.context().close(); }
});

test("without JavaScript the search page says what to do instead", async () => {
  const page = await open(browser, P.url("search/?q=sovereignty"), { javaScriptEnabled: false });
  try {
    assert.match(await page.locator("main").innerText(), /needs JavaScript/);
  } finally { await page.context().close(); }
});
