// axe-core's default rules: no violations on home, an essay, the glossary, a term, the
// sources and a source page, in light and in dark: by the system setting
// (prefers-color-scheme) and by the toggle; plus states that JavaScript creates (an open
// card, an open note) and the remaining kinds of page (the print edition among them).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { launch, open } = require("./lib/env");
const P = require("./lib/pages");

const AXE = require.resolve("axe-core/axe.min.js");
let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return r.violations;
}
function describe(violations) {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`).join("\n")).join("\n");
}
async function isDark(page) {
  return page.evaluate(() => {
    const m = getComputedStyle(document.documentElement).backgroundColor.match(/\d+(\.\d+)?/g).map(Number);
    return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) < 128;
  });
}

const MODES = [
  { name: "light (system)", scheme: "light", toggle: false, dark: false },
  { name: "dark (system)", scheme: "dark", toggle: false, dark: true },
  { name: "dark (toggle)", scheme: "light", toggle: true, dark: true },
  { name: "light (toggle)", scheme: "dark", toggle: true, dark: false },
];

for (const mode of MODES) {
  for (const [name, url] of Object.entries(P.main)) {
    test(`axe: ${name} in ${mode.name}`, async () => {
      const page = await open(browser, url, { colorScheme: mode.scheme });
      try {
        if (mode.toggle) {
          await page.click(".theme-toggle");
        }
        assert.equal(await isDark(page), mode.dark, "the page is not in the expected theme");
        const v = await axe(page);
        assert.equal(v.length, 0, `${url} in ${mode.name}:\n${describe(v)}`);
      } finally { await page.context().close(); }
    });
  }
}

for (const scheme of ["light", "dark"]) {
  test(`axe: essay with an open term card and citation card (${scheme})`, async () => {
    const page = await open(browser, P.main.essay, { colorScheme: scheme });
    try {
      for (const sel of ["a.xref-term[data-card]", "a.cite[data-card]"]) {
        await page.locator(sel).first().focus();
        await page.locator(".card").waitFor({ state: "visible" });
        const v = await axe(page);
        assert.equal(v.length, 0, describe(v));
      }
    } finally { await page.context().close(); }
  });

  test(`axe: essay at 400px with a note open (${scheme})`, async () => {
    const page = await open(browser, P.main.essay, { colorScheme: scheme, viewport: { width: 400, height: 800 } });
    try {
      await page.locator(".note-ref a").first().click();
      await page.locator(".sidenote.open").first().waitFor({ state: "visible" });
      const v = await axe(page);
      assert.equal(v.length, 0, describe(v));
    } finally { await page.context().close(); }
  });

  test(`axe: search results, topics, the 404 page and the print edition (${scheme})`, async () => {
    const word = P.term.split("-")[0];
    for (const url of [P.url(`search/?q=${word}`), P.url("tags/"), P.url("404.html"), P.url("print/")]) {
      const page = await open(browser, url, { colorScheme: scheme });
      try {
        if (url.includes("search/")) await page.locator(".search-results li").first().waitFor();
        const v = await axe(page);
        assert.equal(v.length, 0, `${url}:\n${describe(v)}`);
      } finally { await page.context().close(); }
    }
  });
}

test("axe reports a violation when there is one (the check can fail)", async () => {
  const page = await open(browser, P.main.home);
  try {
    await page.evaluate(() => {
      const p = document.createElement("p");
      p.textContent = "low contrast";
      p.style.color = "#c8c8c8"; // on the light theme's near-white background: about 1.7:1
      document.querySelector("main").appendChild(p);
      const img = document.createElement("img");
      img.width = 40; img.height = 40;
      img.src = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
      document.querySelector("main").prepend(img);
      return img.decode();
    });
    const ids = (await axe(page)).map((v) => v.id);
    assert.ok(ids.includes("color-contrast") && ids.includes("image-alt"), ids.join(", "));
  } finally { await page.context().close(); }
});
