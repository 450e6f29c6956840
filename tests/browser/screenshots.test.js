// Screenshots for people to look at (target/screenshots/, not committed): the essay at
// 1400px and 400px, light and dark, plus a few other pages and states.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { env, launch, open } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); fs.mkdirSync(env.screenshots, { recursive: true }); });
test.after(async () => { await browser?.close(); });

function png(name) { return path.join(env.screenshots, name + ".png"); }
function isPng(file) { const b = fs.readFileSync(file); return b.length > 5000 && b.subarray(1, 4).toString() === "PNG"; }

for (const width of [1400, 400]) {
  for (const scheme of ["light", "dark"]) {
    test(`screenshot: essay at ${width}px, ${scheme}`, async () => {
      const page = await open(browser, P.main.essay, { viewport: { width, height: 900 }, colorScheme: scheme });
      try {
        await page.evaluate(() => document.fonts.ready);
        const file = png(`essay-${width}-${scheme}`);
        await page.screenshot({ path: file });
        assert.ok(isPng(file));
        // beside the first note, with a term card open (narrow: the note opened)
        await page.evaluate(() => { const r = document.querySelector(".note-ref"); window.scrollTo(0, r.getBoundingClientRect().top + scrollY - 250); });
        if (width < 1200) await page.locator(".note-ref a").first().click();
        const link = page.locator(".essay-body a.xref-term[data-card]").first();
        await link.scrollIntoViewIfNeeded();
        await link.focus();
        await page.locator(".card").waitFor({ state: "visible" });
        const file2 = png(`essay-${width}-${scheme}-note-card`);
        await page.screenshot({ path: file2 });
        assert.ok(isPng(file2));
        const full = png(`essay-${width}-${scheme}-full`);
        await page.keyboard.press("Escape");
        await page.screenshot({ path: full, fullPage: true });
        assert.ok(isPng(full));
      } finally { await page.context().close(); }
    });
  }
}

test("screenshot: the other pages at 1400px (light) and 400px (dark)", async () => {
  const pages = { home: P.main.home, glossary: P.main.glossary, term: P.main.term, sources: P.main.citations, source: P.main.source, search: P.url("search/?q=sovereignty"), topics: P.url("tags/") };
  for (const [name, url] of Object.entries(pages)) {
    for (const [width, scheme] of [[1400, "light"], [400, "dark"]]) {
      const page = await open(browser, url, { viewport: { width, height: 900 }, colorScheme: scheme });
      try {
        if (name === "search") await page.locator(".search-results li").first().waitFor({ timeout: 10000 });
        const file = png(`${name}-${width}-${scheme}`);
        await page.screenshot({ path: file });
        assert.ok(isPng(file));
      } finally { await page.context().close(); }
    }
  }
  // print, as a PDF
  const page = await open(browser, P.main.essay);
  try {
    await page.emulateMedia({ media: "print" });
    await page.pdf({ path: path.join(env.screenshots, "essay-print.pdf"), format: "A4", margin: { top: "18mm", bottom: "18mm", left: "20mm", right: "20mm" } });
  } finally { await page.context().close(); }
});
