// The reading companion on a text (tests/fixtures/companion: a charter of twenty paragraphs,
// commentary from three essays): at 1400 px each commentary card sits beside its paragraph and
// never overlaps the next card; at 400 px it is folded inline behind a toggle; without
// JavaScript everything is readable; axe-core finds no violations; the Nu checker no errors.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { env, launch, open } = require("./lib/env");

const AXE = require.resolve("axe-core/axe.min.js");
const JAR = require.resolve("vnu-jar/build/dist/vnu.jar");
const TEXT = env.companionUrl + "texts/charter/";
let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

test("at 1400 px each card sits beside its paragraph and no two cards overlap", async () => {
  const page = await open(browser, TEXT, { viewport: { width: 1400, height: 900 } });
  try {
    const boxes = await page.$$eval(".passage", (passages) => passages.map((p) => {
      const para = p.querySelector("[id^='p_']").getBoundingClientRect();
      const card = p.querySelector(".commentary").getBoundingClientRect();
      return { id: p.querySelector("[id^='p_']").id, para: { top: para.top + scrollY, right: para.right, bottom: para.bottom + scrollY },
        card: { top: card.top + scrollY, left: card.left, bottom: card.bottom + scrollY, width: card.width } };
    }));
    assert.ok(boxes.length >= 8, `expected commented paragraphs, found ${boxes.length}`);
    for (const b of boxes) {
      assert.ok(b.card.left >= b.para.right, `${b.id}: the card is not in the margin (${b.card.left} < ${b.para.right})`);
      assert.ok(Math.abs(b.card.top - b.para.top) <= 12, `${b.id}: the card starts at ${b.card.top}, its paragraph at ${b.para.top}`);
      assert.ok(b.card.width > 150, `${b.id}: the card is ${b.card.width} px wide`);
    }
    for (let i = 1; i < boxes.length; i++) {
      assert.ok(boxes[i].card.top >= boxes[i - 1].card.bottom, `${boxes[i].id}'s card overlaps ${boxes[i - 1].id}'s`);
    }
    // The crowded first paragraph (three essays) grows its row instead of overlapping.
    assert.equal(boxes[0].id, "p_1");
    const toggles = await page.$$eval(".commentary-toggle", (bs) => bs.filter((b) => b.offsetParent !== null).length);
    assert.equal(toggles, 0, "no toggles on wide screens");
    assert.deepEqual(page.jsErrors, []);
    require("node:fs").mkdirSync(env.screenshots, { recursive: true });
    await page.screenshot({ path: path.join(env.screenshots, "companion-1400.png") });
  } finally { await page.context().close(); }
});

test("at 400 px the commentary is folded inline and a toggle opens it", async () => {
  const page = await open(browser, TEXT, { viewport: { width: 400, height: 800 } });
  try {
    const list = page.locator(".passage").first().locator(".commentary ul");
    assert.equal(await list.isVisible(), false, "folded at first");
    const toggle = page.locator(".passage").first().locator(".commentary-toggle");
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    await toggle.click();
    assert.equal(await list.isVisible(), true, "open after the toggle");
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    // Inline: below its paragraph, within the text column.
    const [para, card] = await page.$$eval(".passage:first-of-type > *", (els) => els.map((e) => e.getBoundingClientRect().toJSON()));
    assert.ok(card.top >= para.bottom - 1 && card.right <= 400, JSON.stringify({ para, card }));
  } finally { await page.context().close(); }
});

test("without JavaScript the text and every card are readable", async () => {
  const page = await open(browser, TEXT, { javaScriptEnabled: false, viewport: { width: 400, height: 800 } });
  try {
    const visible = await page.$$eval(".commentary ul", (ls) => ls.every((l) => l.offsetParent !== null));
    assert.ok(visible, "every card is shown");
    const text = await page.textContent(".text-body");
    assert.ok(text.includes("Article 20 concerns the charter"), text.slice(-300));
  } finally { await page.context().close(); }
});

test("axe finds no violations on the text, an essay and the source's companion", async () => {
  for (const url of [TEXT, env.companionUrl + "essays/purpose/", env.companionUrl + "citations/charter2026/", env.companionUrl + "guide/"]) {
    for (const width of [1400, 400]) {
      const page = await open(browser, url, { viewport: { width, height: 900 } });
      try {
        await page.addScriptTag({ path: AXE });
        const v = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        assert.equal(v.violations.length, 0, `${url} at ${width}px: ` + v.violations.map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`).join("\n"));
      } finally { await page.context().close(); }
    }
  }
});

test("the Nu checker finds no errors on the companion fixture's pages", () => {
  const r = spawnSync("java", ["-Xss2m", "-jar", JAR, "--errors-only", "--skip-non-html", "--format", "json", env.companionDir],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.ok(r.status === 0 || r.status === 1, `vnu did not run: ${r.error || r.stderr}`);
  const errors = JSON.parse(r.stderr || r.stdout || '{"messages":[]}').messages.filter((m) => m.type === "error");
  assert.equal(errors.length, 0, errors.map((m) => `${path.relative(env.companionDir, new URL(m.url).pathname)}:${m.lastLine}: ${m.message}`).join("\n"));
});
