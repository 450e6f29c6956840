// Reading experience: JavaScript budget, measure, no sideways scrolling on a phone, the
// header navigation, contents that follow the reading position, previous/next, highlighted
// arrival at a passage (:target), hyphenation.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { env, launch, open, files, pageUrl } = require("./lib/env");
const { scan } = require("./lib/html");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

const BUDGET = 20 * 1024;
// The search page also carries the search script and its tokenizer (the same tokenizer as
// the index: NFKC folding tables and CJK ranges; #20).
const SEARCH_BUDGET = 26 * 1024;

test("every page loads less than 20 KB of JavaScript, the search page 26 KB (uncompressed, inline included)", (t) => {
  const sizes = [];
  for (const rel of files(env.readerDir, ".html")) {
    const { scripts } = scan(fs.readFileSync(path.join(env.readerDir, rel), "utf8"));
    let bytes = 0;
    for (const s of scripts) {
      if (s.inline !== undefined) { bytes += Buffer.byteLength(s.inline); continue; }
      const u = new URL(s.src, pageUrl(env.readerUrl, rel));
      assert.ok(u.href.startsWith(env.readerUrl), `${rel}: external script ${s.src}`);
      bytes += fs.statSync(path.join(env.readerDir, decodeURIComponent(u.pathname.slice(new URL(env.readerUrl).pathname.length)))).size;
    }
    sizes.push({ rel, bytes });
  }
  sizes.sort((a, b) => b.bytes - a.bytes);
  const over = sizes.filter((s) => s.bytes >= (s.rel.startsWith("search/") ? SEARCH_BUDGET : BUDGET));
  t.diagnostic(`JS per page: max ${sizes[0].bytes} B (${sizes[0].rel}), min ${sizes[sizes.length - 1].bytes} B (${sizes[sizes.length - 1].rel})`);
  assert.deepEqual(over, [], "pages over the JavaScript budget");
});

test("essay text has a readable measure (45–80 characters) at 1400px and at 400px fits the screen", async () => {
  for (const width of [1400, 400]) {
    const page = await open(browser, P.main.essay, { viewport: { width, height: 900 } });
    try {
      const m = await page.evaluate(() => {
        const p = document.querySelector(".essay-body > p");
        const probe = document.createElement("span");
        probe.textContent = "abcdefghijklmnopqrstuvwxyz".repeat(4);
        probe.style.whiteSpace = "nowrap";
        p.appendChild(probe);
        const perChar = probe.getBoundingClientRect().width / 104;
        probe.remove();
        const r = p.getBoundingClientRect();
        return { chars: r.width / perChar, left: r.left, right: r.right, vw: document.documentElement.clientWidth };
      });
      if (width === 1400) assert.ok(m.chars >= 45 && m.chars <= 80, `line length ${Math.round(m.chars)} characters`);
      assert.ok(m.left >= 8 && m.right <= m.vw - 8, `the text touches the screen edge at ${width}px`);
    } finally { await page.context().close(); }
  }
});

test("at 400px no page scrolls sideways (tables and long links included)", async () => {
  const urls = [P.main.home, P.main.glossary, P.main.term, P.main.citations, P.main.source, P.url("tags/"), P.url("search/?q=sovereignty"), P.url("404.html")]
    .concat(P.essays.map((e) => P.url(`essays/${e}/`)));
  const tag = files(env.readerDir, "index.html").find((f) => /^tags\/[^/]+\/index\.html$/.test(f));
  if (tag) urls.push(pageUrl(env.readerUrl, tag));
  const ctxPage = await open(browser, "about:blank", { viewport: { width: 400, height: 800 }, isMobile: true, hasTouch: true });
  try {
    const bad = [];
    for (const url of urls) {
      await ctxPage.goto(url);
      if (url.includes("search/")) await ctxPage.locator(".search-results li").first().waitFor({ timeout: 10000 });
      const over = await ctxPage.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll("main *")].filter((el) => {
          if (el.closest(".table-wrap, pre")) return false;
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.right > vw + 1;
        }).slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
        return { scroll: document.documentElement.scrollWidth - vw, wide };
      });
      if (over.scroll > 0 || over.wide.length) bad.push(`${url}: ${over.scroll}px too wide (${over.wide.join(", ")})`);
    }
    assert.deepEqual(bad, []);
  } finally { await ctxPage.context().close(); }
});

test("the header links the title, essays, glossary, sources, topics and search, at every width", async () => {
  for (const width of [1400, 400]) {
    const page = await open(browser, P.main.term, { viewport: { width, height: 800 } });
    try {
      const title = page.locator(".site-title");
      assert.equal(await title.isVisible(), true);
      assert.equal(new URL(await title.getAttribute("href"), page.url()).href, P.main.home);
      const links = await page.evaluate(() => [...document.querySelectorAll(".site-header a, .site-header input")].filter((a) => a.getBoundingClientRect().width > 0)
        .map((a) => a.tagName === "INPUT" ? "search-box" : a.textContent.trim()));
      for (const want of ["Essays", "Glossary", "Sources", "Topics"]) assert.ok(links.includes(want), `${want} missing at ${width}px: ${links}`);
      assert.ok(links.includes("Search") || links.includes("search-box"), `no search at ${width}px`);
      const hh = await page.locator(".site-header").boundingBox();
      assert.ok(hh.height < (width < 600 ? 140 : 90), `the header is ${hh.height}px tall at ${width}px`);
    } finally { await page.context().close(); }
  }
});

test("1400px: the contents stays in view and marks the section being read", async () => {
  const page = await open(browser, P.main.essay, { viewport: { width: 1400, height: 900 } });
  try {
    const ids = await page.evaluate(() => [...document.querySelectorAll(".toc a")].map((a) => decodeURIComponent(a.hash.slice(1))));
    assert.ok(ids.length >= 2, "the essay has no contents");
    const toc = await page.locator(".toc").boundingBox(), body = await page.locator(".essay-body").boundingBox();
    assert.ok(toc.x + toc.width <= body.x, "the contents is not beside the text");
    for (const id of [ids[1], ids[ids.length - 1], ids[0]]) {
      await page.evaluate((i) => { const h = document.getElementById(i); window.scrollTo(0, h.getBoundingClientRect().top + scrollY - 100); }, id);
      await page.waitForFunction((i) => { const a = document.querySelector(".toc a[aria-current]"); return a && decodeURIComponent(a.hash.slice(1)) === i; }, id, { timeout: 3000 })
        .catch(() => {});
      const current = await page.evaluate(() => { const a = document.querySelector(".toc a[aria-current]"); return a && decodeURIComponent(a.hash.slice(1)); });
      assert.equal(current, id, `reading #${id}, the contents marks #${current}`);
      const box = await page.locator(".toc").boundingBox();
      assert.ok(box.y >= 0 && box.y < 200, "the contents scrolled out of view");
      assert.equal(await page.locator(`.toc a[aria-current]`).isVisible(), true);
    }
  } finally { await page.context().close(); }
});

test("previous/next lead through every essay in reading order", async () => {
  const home = await open(browser, P.main.home, { javaScriptEnabled: false });
  const order = await home.evaluate(() => [...document.querySelectorAll(".essay-card h3 a, .essay-card h2 a")].map((a) => a.href));
  await home.context().close();
  assert.ok(order.length >= 2);
  const page = await open(browser, order[0], { javaScriptEnabled: false });
  try {
    assert.equal(await page.locator(".prev-next a[rel=prev]").count(), 0, "the first essay has a previous link");
    for (let i = 1; i < order.length; i++) {
      await Promise.all([page.waitForURL(order[i]), page.click(".prev-next a[rel=next]")]);
    }
    assert.equal(await page.locator(".prev-next a[rel=next]").count(), 0, "the last essay has a next link");
    await Promise.all([page.waitForURL(order[order.length - 2]), page.click(".prev-next a[rel=prev]")]);
  } finally { await page.context().close(); }
});

test("following a use from a term page or a source page lands on the passage, highlighted", async () => {
  for (const from of [P.main.term, P.main.source]) {
    const page = await open(browser, from);
    try {
      const link = page.locator(".use-link[href*='#use_']").first();
      const href = new URL(await link.getAttribute("href"), page.url()).href;
      await Promise.all([page.waitForURL(href), link.click()]);
      const target = page.locator(":target");
      assert.equal(await target.count(), 1, `nothing is targeted at ${href}`);
      const t = await target.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { bg: getComputedStyle(el).backgroundColor, top: r.top, h: r.height, page: getComputedStyle(document.documentElement).backgroundColor };
      });
      assert.notEqual(t.bg, "rgba(0, 0, 0, 0)", "the passage is not highlighted");
      assert.notEqual(t.bg, t.page);
      assert.ok(t.h > 0 && t.top >= 0 && t.top < 900, `the passage is not in view (top ${t.top})`);
    } finally { await page.context().close(); }
  }
});

test("the first Tab shows a skip link that moves focus to the main content", async () => {
  const page = await open(browser, P.main.essay);
  try {
    await page.keyboard.press("Tab");
    const skip = page.locator(".skip-link");
    assert.equal(await skip.evaluate((a) => a === document.activeElement), true, "the first Tab does not reach the skip link");
    const box = await skip.boundingBox();
    assert.ok(box && box.y >= 0 && box.x >= 0, "the focused skip link is off screen");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "main");
  } finally { await page.context().close(); }
});

test("prose is hyphenated in the page's language", async () => {
  const page = await open(browser, P.main.essay);
  try {
    const r = await page.evaluate(() => ({ lang: document.documentElement.lang, hyphens: getComputedStyle(document.querySelector(".essay-body p")).hyphens }));
    assert.ok(r.lang.length >= 2, "no lang attribute");
    assert.equal(r.hyphens, "auto");
  } finally { await page.context().close(); }
});

test("no JavaScript errors on the main pages", async () => {
  for (const scheme of ["light"]) {
    for (const url of Object.values(P.main).concat([P.url("search/?q=sovereignty"), P.url("tags/"), P.url("404.html")])) {
      const page = await open(browser, url, { colorScheme: scheme });
      try {
        await page.waitForTimeout(50);
        assert.deepEqual(page.jsErrors, [], url);
      } finally { await page.context().close(); }
    }
  }
});
