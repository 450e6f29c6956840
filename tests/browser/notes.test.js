// Footnotes: sidenotes in the right margin beside their reference on wide screens; toggled
// inline by their number on narrow ones; endnotes without JavaScript, without CSS and in print.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { launch, open } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

const visible = (page, sel) => page.locator(sel).first().isVisible();
async function rect(page, sel) {
  return page.evaluate((s) => { const r = document.querySelector(s).getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height }; }, sel);
}

test("1400px: every sidenote sits in the right margin, beside its reference", async () => {
  const page = await open(browser, P.main.essay, { viewport: { width: 1400, height: 900 } });
  try {
    const notes = await page.evaluate(() => [...document.querySelectorAll(".essay-body .note-ref a[aria-describedby]")].map((a) => {
      const note = document.getElementById(a.getAttribute("aria-describedby"));
      const p = a.closest("p, li, blockquote, td") || a.parentElement;
      const body = document.querySelector(".essay-body").getBoundingClientRect();
      const r = a.getBoundingClientRect(), n = note.getBoundingClientRect(), t = p.getBoundingClientRect();
      return { id: note.id, shown: getComputedStyle(note).display !== "none" && n.height > 0, refTop: r.top, noteTop: n.top, noteLeft: n.left,
        noteRight: n.right, textRight: Math.max(body.right, t.right), lineHeight: parseFloat(getComputedStyle(p).lineHeight), vw: document.documentElement.clientWidth };
    }));
    assert.ok(notes.length > 0, "the essay has no note references");
    for (const n of notes) {
      assert.ok(n.shown, `${n.id} is not shown at 1400px`);
      assert.ok(n.noteLeft >= n.textRight + 8, `${n.id} is not to the right of the text column (note left ${n.noteLeft}, text right ${n.textRight})`);
      assert.ok(n.noteRight <= n.vw, `${n.id} runs off the screen (${n.noteRight} > ${n.vw})`);
      assert.ok(Math.abs(n.noteTop - n.refTop) <= 1.5 * n.lineHeight, `${n.id} is ${Math.round(n.noteTop - n.refTop)}px away from its reference (line height ${n.lineHeight})`);
    }
    // the endnotes are not repeated on a wide screen
    assert.equal(await visible(page, ".endnotes"), false, "endnotes are visible beside the sidenotes");
    assert.deepEqual(page.jsErrors, []);
  } finally { await page.context().close(); }
});

test("1400px without JavaScript: the sidenotes are still in the margin", async () => {
  const page = await open(browser, P.main.essay, { viewport: { width: 1400, height: 900 }, javaScriptEnabled: false });
  try {
    const n = await rect(page, ".essay-body .sidenote");
    const body = await rect(page, ".essay-body");
    assert.ok(n.height > 0 && n.left >= body.right, "sidenote not in the margin without JS");
  } finally { await page.context().close(); }
});

test("400px: a note is hidden until its number is clicked, then shown inline; again hides it", async () => {
  const page = await open(browser, P.main.essay, { viewport: { width: 400, height: 800 }, isMobile: true, hasTouch: true });
  try {
    const ref = page.locator(".essay-body .note-ref a").first();
    const id = await ref.getAttribute("aria-describedby");
    const note = page.locator(`[id="${id}"]`);
    assert.equal(await note.isVisible(), false, "the note shows before its number is tapped");
    assert.equal(await ref.getAttribute("aria-expanded"), "false");
    assert.equal(await visible(page, ".endnotes"), false, "endnotes show beside the inline notes");
    const before = page.url();
    await ref.click();
    assert.equal(await note.isVisible(), true, "the note does not open");
    assert.equal(await ref.getAttribute("aria-expanded"), "true");
    assert.equal(page.url(), before, "clicking the number navigated away");
    const n = await rect(page, `[id="${id}"]`), r = await ref.boundingBox(), body = await rect(page, ".essay-body");
    assert.ok(n.left >= body.left - 1 && n.right <= body.right + 1, "the open note is not inside the text column");
    assert.ok(n.top >= r.y, "the open note is not below its reference");
    assert.ok(n.top - (r.y + r.height) < 80, "the open note is far from its reference");
    const sw = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(sw <= 0, "the open note makes the page scroll sideways");
    await ref.click();
    assert.equal(await note.isVisible(), false, "the note does not close");
    assert.equal(await ref.getAttribute("aria-expanded"), "false");
    // keyboard: Enter on the focused number toggles it too
    await ref.focus();
    await page.keyboard.press("Enter");
    assert.equal(await note.isVisible(), true, "Enter does not open the note");
    await page.keyboard.press("Enter");
    assert.equal(await note.isVisible(), false, "Enter does not close the note");
    assert.deepEqual(page.jsErrors, []);
  } finally { await page.context().close(); }
});

test("400px: arriving at a passage inside a note opens the note", async (t) => {
  const id = await (async () => {
    const page = await open(browser, P.main.essay);
    try { return await page.evaluate(() => { const el = document.querySelector(".sidenote [id]"); return el ? el.id : null; }); }
    finally { await page.context().close(); }
  })();
  if (!id) { t.skip("no note of this essay has a linked passage"); return; }
  const page = await open(browser, P.main.essay + "#" + id, { viewport: { width: 400, height: 800 } });
  try {
    assert.equal(await page.locator(`[id="${id}"]`).isVisible(), true, `#${id} is in a closed note`);
    const box = await page.locator(`[id="${id}"]`).boundingBox();
    assert.ok(box.y >= 0 && box.y < 800, "the passage is not scrolled into view");
  } finally { await page.context().close(); }
});

test("400px without JavaScript: sidenotes hidden, endnotes visible, the number leads to the note", async () => {
  const page = await open(browser, P.main.essay, { viewport: { width: 400, height: 800 }, javaScriptEnabled: false });
  try {
    assert.equal(await visible(page, ".essay-body .sidenote"), false, "a sidenote shows");
    assert.equal(await visible(page, ".endnotes"), true, "the endnotes are hidden");
    const refs = await page.locator(".essay-body .note-ref").count();
    assert.equal(await page.locator(".endnotes li[id^='note_']").count(), refs, "not one endnote per reference");
    await page.locator(".essay-body .note-ref a").first().click();
    assert.match(page.url(), /#note_/);
    const box = await page.locator(".endnotes li:target").boundingBox();
    assert.ok(box && box.y >= 0 && box.y < 800, "the endnote is not in view after following its number");
    const bg = await page.locator(".endnotes li:target").evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(bg, "rgba(0, 0, 0, 0)", "the targeted endnote is not highlighted");
  } finally { await page.context().close(); }
});

test("without CSS: the hidden attribute keeps sidenotes out, endnotes are the notes", async () => {
  const { context } = require("./lib/env");
  const ctx = await context(browser, { viewport: { width: 1400, height: 900 } });
  try {
    await ctx.route(/\/static\/style\.css$/, (r) => r.abort());
    const page = await ctx.newPage();
    await page.goto(P.main.essay);
    assert.equal(await page.evaluate(() => document.styleSheets.length === 0 || [...document.styleSheets].every((s) => { try { return s.cssRules.length === 0; } catch { return true; } })), true);
    assert.equal(await visible(page, ".essay-body .sidenote"), false, "a sidenote shows without CSS");
    assert.equal(await visible(page, ".endnotes"), true, "the endnotes are hidden without CSS");
  } finally { await ctx.close(); }
});

test("print: endnotes, no sidenotes, no site chrome", async () => {
  for (const js of [true, false]) {
    const page = await open(browser, P.main.essay, { viewport: { width: 1400, height: 900 }, javaScriptEnabled: js });
    try {
      if (js) await page.locator(".essay-body .note-ref a").first().click(); // an open note must not print either
      await page.emulateMedia({ media: "print" });
      assert.equal(await visible(page, ".essay-body .sidenote"), false, `a sidenote prints (JS ${js})`);
      assert.equal(await visible(page, ".endnotes"), true, `the endnotes do not print (JS ${js})`);
      for (const sel of [".site-header", ".site-footer", ".theme-toggle", ".toc", ".prev-next"]) {
        assert.equal(await visible(page, sel), false, `${sel} prints`);
      }
      const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(bg, "rgb(255, 255, 255)", "print background is not white");
      const pdf = await page.pdf({ format: "A4" });
      assert.ok(pdf.length > 1000);
    } finally { await page.context().close(); }
  }
});

test("print in the dark theme (system or toggle) prints dark text on white", async () => {
  for (const [scheme, toggle] of [["dark", false], ["light", true]]) {
    const page = await open(browser, P.main.essay, { colorScheme: scheme });
    try {
      if (toggle) await page.click(".theme-toggle");
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme), "dark");
      await page.emulateMedia({ media: "print" });
      const c = await page.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.querySelector(".essay-body p")).color]);
      assert.deepEqual(c, ["rgb(255, 255, 255)", "rgb(0, 0, 0)"], `${scheme} system, toggle ${toggle}`);
    } finally { await page.context().close(); }
  }
});
