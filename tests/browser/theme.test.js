// Light and dark: the system setting is followed until the reader uses the toggle; the
// choice is remembered (localStorage "scholion-theme") and applied before the first paint
// by the inline script in <head>, on every page.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { launch, context } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

function state(page) {
  return page.evaluate(() => {
    const m = getComputedStyle(document.documentElement).backgroundColor.match(/\d+(\.\d+)?/g).map(Number);
    const b = document.querySelector(".theme-toggle");
    return {
      dark: (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) < 128,
      attr: document.documentElement.getAttribute("data-theme"),
      stored: localStorage.getItem("scholion-theme"),
      pressed: b && b.getAttribute("aria-pressed"),
      toggleVisible: !!b && !b.hidden && b.getBoundingClientRect().width > 0,
    };
  });
}

for (const scheme of ["light", "dark"]) {
  test(`system ${scheme}: the toggle switches the theme, and the choice persists across reloads and pages`, async () => {
    const ctx = await context(browser, { colorScheme: scheme });
    try {
      const page = await ctx.newPage();
      await page.goto(P.main.essay);
      const systemDark = scheme === "dark";
      let s = await state(page);
      assert.equal(s.dark, systemDark, "does not follow the system setting");
      assert.equal(s.stored, null);
      assert.equal(s.toggleVisible, true, "no visible toggle");
      assert.equal(s.pressed, String(systemDark));
      assert.ok(await page.locator(".theme-toggle").getAttribute("aria-label"), "the toggle has no accessible name");

      await page.click(".theme-toggle");
      s = await state(page);
      assert.equal(s.dark, !systemDark, "the toggle does not switch the theme");
      assert.equal(s.stored, systemDark ? "light" : "dark");
      assert.equal(s.pressed, String(!systemDark));

      await page.reload();
      s = await state(page);
      assert.equal(s.dark, !systemDark, "the choice is lost on reload");
      assert.equal(s.pressed, String(!systemDark));

      await page.goto(P.main.glossary);
      assert.equal((await state(page)).dark, !systemDark, "the choice is lost on another page");

      // keyboard: Space on the focused toggle switches back
      await page.focus(".theme-toggle");
      await page.keyboard.press("Space");
      s = await state(page);
      assert.equal(s.dark, systemDark);
      await page.reload();
      assert.equal((await state(page)).dark, systemDark, "switching back is not remembered");
    } finally { await ctx.close(); }
  });
}

test("the remembered theme is applied by the inline head script, before scholion.js runs", async () => {
  const ctx = await context(browser, { colorScheme: "light" });
  try {
    await ctx.addInitScript(() => { try { localStorage.setItem("scholion-theme", "dark"); } catch (e) {} });
    await ctx.route(/\/static\/scholion\.js$/, (r) => r.abort());
    const page = await ctx.newPage();
    // record the theme at the first moment <body> exists, i.e. before anything is painted
    await ctx.addInitScript(() => {
      new MutationObserver((_, o) => { if (document.body) { window.__firstTheme = document.documentElement.getAttribute("data-theme"); o.disconnect(); } })
        .observe(document, { childList: true, subtree: true });
    });
    await page.goto(P.main.home);
    assert.equal(await page.evaluate(() => window.__firstTheme), "dark");
    assert.equal((await state(page)).dark, true);
  } finally { await ctx.close(); }
});

test("without JavaScript the toggle is hidden and the system setting still applies", async () => {
  for (const scheme of ["light", "dark"]) {
    const ctx = await context(browser, { colorScheme: scheme, javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      await page.goto(P.main.essay);
      const s = await page.evaluate(() => {
        const m = getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g).map(Number);
        return { dark: m[0] + m[1] + m[2] < 384, toggle: document.querySelector(".theme-toggle").getBoundingClientRect().width };
      });
      assert.equal(s.dark, scheme === "dark");
      assert.equal(s.toggle, 0, "a toggle that cannot work is shown");
    } finally { await ctx.close(); }
  }
});
