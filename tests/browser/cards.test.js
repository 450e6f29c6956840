// Term and citation cards (WCAG 1.4.13): open on hover and on keyboard focus, hoverable,
// persistent, dismissed with Escape, no layout shift, touch-friendly; plain links without JS.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { launch, open } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

const norm = (s) => s.replace(/\s+/g, " ").trim();
async function textOf(url, sel) {
  const page = await open(browser, url, { javaScriptEnabled: false });
  try { return norm(await page.locator(sel).first().innerText()); } finally { await page.context().close(); }
}
const layout = (page) => page.evaluate(() => {
  const body = document.querySelector(".essay-body");
  return { height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth,
    paras: [...body.querySelectorAll("p")].filter((p) => p.offsetParent !== null).slice(0, 30).map((p) => Math.round(p.getBoundingClientRect().top + scrollY)) };
});

test("term card: keyboard focus opens it with the term's short definition; Escape closes it", async () => {
  const page = await open(browser, P.main.essay);
  try {
    const link = page.locator(".essay-body a.xref-term[data-card]").first();
    const href = await link.getAttribute("href");
    const short = await textOf(new URL(href, page.url()).href, ".short");
    assert.ok(short.length > 10, "the term page has no short definition");
    const before = await layout(page);

    // Tab to it from the element before it, as a keyboard user would
    await link.evaluate((a) => { const t = document.createElement("span"); t.tabIndex = 0; t.id = "before-link"; a.before(t); });
    await page.focus("#before-link");
    await page.keyboard.press("Tab");
    assert.equal(await link.evaluate((a) => a === document.activeElement), true, "Tab did not reach the term link");
    await page.locator("#before-link").evaluate((e) => e.remove());

    const card = page.locator(".card");
    await card.waitFor({ state: "visible", timeout: 2000 });
    assert.equal(await card.count(), 1);
    assert.ok(norm(await card.innerText()).includes(short), `the card does not show the short definition "${short}"`);
    assert.equal(await card.getAttribute("role"), "tooltip");
    assert.equal(await link.getAttribute("aria-describedby"), await card.getAttribute("id"), "the link is not described by the card");
    // near its link, inside the viewport, and nothing moved
    const lb = await link.boundingBox(), cb = await card.boundingBox();
    assert.ok(cb.y >= lb.y + lb.height - 1 || cb.y + cb.height <= lb.y + 1, "the card covers its link");
    assert.ok(Math.min(Math.abs(cb.y - (lb.y + lb.height)), Math.abs(lb.y - (cb.y + cb.height))) < 40, "the card is far from its link");
    assert.ok(cb.x >= 0 && cb.x + cb.width <= 1400, "the card leaves the viewport");
    assert.deepEqual(await layout(page), before, "opening the card shifted the layout");
    // persistent: still there a second later
    await page.waitForTimeout(1000);
    assert.equal(await card.isVisible(), true, "the card went away by itself");
    // Escape dismisses it without moving focus
    await page.keyboard.press("Escape");
    assert.equal(await page.locator(".card").count(), 0, "Escape does not close the card");
    assert.equal(await link.evaluate((a) => a === document.activeElement), true, "Escape moved the focus");
    assert.equal(await link.getAttribute("aria-describedby"), null);
    // moving focus on closes it
    await link.evaluate((a) => a.blur());
    await link.focus();
    await card.waitFor({ state: "visible", timeout: 2000 });
    await page.keyboard.press("Tab");
    await page.waitForTimeout(500);
    const next = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute("data-card"));
    if (!next) assert.equal(await page.locator(".card").count(), 0, "the card stays after focus left");
    assert.deepEqual(page.jsErrors, []);
  } finally { await page.context().close(); }
});

test("term card on hover: opens, stays while the pointer moves onto it, closes when the pointer leaves; Escape dismisses", async () => {
  const page = await open(browser, P.main.essay);
  try {
    const link = page.locator(".essay-body a.xref-term[data-card]").nth(1);
    await link.scrollIntoViewIfNeeded();
    await link.hover();
    const card = page.locator(".card");
    await card.waitFor({ state: "visible", timeout: 2000 });
    // move onto the card (through the gap) and stay there
    const cb = await card.boundingBox();
    await page.mouse.move(cb.x + cb.width / 2, cb.y + cb.height / 2, { steps: 8 });
    await page.waitForTimeout(800);
    assert.equal(await card.isVisible(), true, "the card closes when the pointer moves onto it");
    // leave both
    await page.mouse.move(5, 450, { steps: 4 });
    await page.waitForTimeout(800);
    assert.equal(await page.locator(".card").count(), 0, "the card stays after the pointer left");
    // Escape while hovering
    await link.hover();
    await card.waitFor({ state: "visible", timeout: 2000 });
    await page.keyboard.press("Escape");
    assert.equal(await page.locator(".card").count(), 0, "Escape does not dismiss a hover card");
  } finally { await page.context().close(); }
});

test("citation card shows the formatted bibliography entry", async () => {
  const page = await open(browser, P.main.essay);
  try {
    const link = page.locator(".essay-body a.cite[data-card]").first();
    const href = await link.getAttribute("href");
    const entry = await textOf(new URL(href, page.url()).href, ".entry");
    assert.ok(entry.length > 10);
    await link.focus();
    const card = page.locator(".card");
    await card.waitFor({ state: "visible", timeout: 2000 });
    assert.ok(norm(await card.innerText()).includes(entry), `the card does not show the entry "${entry}"`);
    await page.keyboard.press("Escape");
    assert.equal(await page.locator(".card").count(), 0);
  } finally { await page.context().close(); }
});

test("touch: the first tap shows the card, the second follows the link; a tap elsewhere closes it", async () => {
  const page = await open(browser, P.main.essay, { viewport: { width: 400, height: 800 }, isMobile: true, hasTouch: true });
  try {
    const link = page.locator(".essay-body a.xref-term[data-card]").first();
    const href = new URL(await link.getAttribute("href"), page.url()).href;
    await link.scrollIntoViewIfNeeded();
    const start = page.url();
    await link.tap();
    const card = page.locator(".card");
    await card.waitFor({ state: "visible", timeout: 2000 });
    assert.equal(page.url(), start, "the first tap navigated");
    const cb = await card.boundingBox();
    assert.ok(cb.x >= 0 && cb.x + cb.width <= 400, "the card is wider than the phone screen");
    await page.tap("h1");
    await page.waitForTimeout(300);
    assert.equal(await page.locator(".card").count(), 0, "a tap elsewhere does not close the card");
    await link.tap();
    await card.waitFor({ state: "visible", timeout: 2000 });
    await Promise.all([page.waitForURL(href), link.tap()]);
    assert.equal(page.url(), href);
  } finally { await page.context().close(); }
});

test("without JavaScript a term link is a plain link to the term page", async () => {
  const page = await open(browser, P.main.essay, { javaScriptEnabled: false });
  try {
    const link = page.locator(".essay-body a.xref-term[data-card]").first();
    const label = norm(await link.innerText());
    const href = new URL(await link.getAttribute("href"), page.url()).href;
    await link.focus();
    assert.equal(await page.locator(".card").count(), 0);
    await Promise.all([page.waitForURL(href), link.click()]);
    assert.equal(page.url(), href);
    const h1 = norm(await page.locator("h1").innerText());
    assert.ok(h1.length > 0);
    assert.ok(page.url().includes("/glossary/"), "not a glossary page");
    void label;
  } finally { await page.context().close(); }
});

test("with JavaScript, clicking a term link (mouse) still goes to the term page", async () => {
  const page = await open(browser, P.main.essay);
  try {
    const link = page.locator(".essay-body a.xref-term[data-card]").first();
    const href = new URL(await link.getAttribute("href"), page.url()).href;
    await Promise.all([page.waitForURL(href), link.click()]);
  } finally { await page.context().close(); }
});
