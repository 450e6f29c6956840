// Markdown as Obsidian, Zettlr and pandoc users write it (#17), in Chromium: the fixture
// tests/fixtures/authors-markdown is built here (with $SCHOLION) and served on 127.0.0.1.
// Math renders as MathML (laid out by the browser, with a real size), callouts fold and
// unfold without JavaScript, highlighted code is coloured in light and dark, and axe finds
// no violations (colour contrast included) in either mode, by the system setting or the
// toggle.
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
const AXE = require.resolve("axe-core/axe.min.js");
let browser, server, dir, base;

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "scholion-markdown-"));
  server = await listen(dir, "/", 0);
  base = `http://127.0.0.1:${server.address().port}/`;
  execFileSync(process.env.SCHOLION, [
    "build", path.join(REPO, "tests/fixtures/authors-markdown"),
    "--out", path.join(dir, "site"), "--base-url", `${base}site/`, "--deny-warnings",
  ], { stdio: "inherit", env: { ...process.env, SCHOLION_CACHE_DIR: path.join(dir, "cache") } });
  base = `${base}site/`;
  browser = await launch();
});
test.after(async () => {
  await browser?.close();
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const url = (rel) => base + rel;

test("math is laid out as MathML, inline and display", async () => {
  const page = await open(browser, url("essays/brownian-motion/"));
  try {
    const boxes = await page.$$eval("math", (ms) => ms.map((m) => {
      const r = m.getBoundingClientRect();
      return { w: r.width, h: r.height, display: getComputedStyle(m).display, block: m.getAttribute("display") === "block" };
    }));
    assert.ok(boxes.length >= 10, `${boxes.length} formulas`);
    for (const b of boxes) {
      assert.ok(b.w > 0 && b.h > 0, `a formula has no size: ${JSON.stringify(b)}`);
      // Chromium lays out MathML Core itself: display is `math` (inline) or `block math`.
      assert.match(b.display, /math/, `not rendered as MathML: ${JSON.stringify(b)}`);
    }
    // A fraction is laid out as one (numerator above denominator): taller than a letter.
    const heights = await page.evaluate(() => {
      const frac = document.querySelector("mfrac").getBoundingClientRect().height;
      const letter = document.querySelector("math mi").getBoundingClientRect().height;
      return { frac, letter };
    });
    assert.ok(heights.frac > 1.5 * heights.letter, JSON.stringify(heights));
    // A matrix: its rows stacked.
    const rows = await page.$$eval("mtable", (ts) => ts.map((t) => t.getBoundingClientRect().height));
    assert.ok(rows.every((h) => h > 20), JSON.stringify(rows));
    assert.deepEqual(page.jsErrors, []);
  } finally { await page.context().close(); }
});

test("callouts fold and unfold (no JavaScript needed)", async () => {
  const page = await open(browser, url("essays/vault-note/"), { javaScriptEnabled: false });
  try {
    const folded = page.locator("details.callout-warning");
    const body = folded.locator("p").first();
    assert.equal(await body.isVisible(), false, "`-` starts folded");
    await folded.locator("summary").click();
    assert.equal(await body.isVisible(), true, "a click unfolds it");
    await folded.locator("summary").click();
    assert.equal(await body.isVisible(), false, "a second click folds it again");
    const open_ = page.locator("details.callout-tip");
    assert.equal(await open_.locator("p").first().isVisible(), true, "`+` starts open");
    await open_.locator("summary").press("Enter");
    assert.equal(await open_.locator("p").first().isVisible(), false, "the keyboard folds it");
    assert.equal(await page.locator("div.callout-note p").first().isVisible(), true);
  } finally { await page.context().close(); }
});

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return r.violations;
}
function describe(violations) {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`).join("\n")).join("\n");
}

const MODES = [
  { name: "light (system)", scheme: "light", toggle: false },
  { name: "dark (system)", scheme: "dark", toggle: false },
  { name: "dark (toggle)", scheme: "light", toggle: true },
];
for (const mode of MODES) {
  for (const rel of ["essays/vault-note/", "essays/brownian-motion/", "essays/zettlr-draft/"]) {
    test(`axe: ${rel} in ${mode.name}, callouts open, code highlighted`, async () => {
      const page = await open(browser, url(rel), { colorScheme: mode.scheme });
      try {
        if (mode.toggle) await page.click(".theme-toggle");
        // Open every folded callout, so axe sees their text too.
        await page.$$eval("details.callout", (ds) => ds.forEach((d) => { d.open = true; }));
        const v = await axe(page);
        assert.equal(v.length, 0, `${rel} in ${mode.name}:\n${describe(v)}`);
      } finally { await page.context().close(); }
    });
  }
}

test("highlighted code takes its colours from the mode", async () => {
  const colours = {};
  for (const scheme of ["light", "dark"]) {
    const page = await open(browser, url("essays/vault-note/"), { colorScheme: scheme });
    try {
      colours[scheme] = await page.evaluate(() => {
        const c = (sel) => getComputedStyle(document.querySelector(sel)).color;
        return { text: c("pre.highlight code"), keyword: c("pre.highlight .hl-keyword"), string: c("pre.highlight .hl-string"), comment: c("pre.highlight .hl-comment") };
      });
    } finally { await page.context().close(); }
  }
  for (const scheme of ["light", "dark"]) {
    const c = colours[scheme];
    assert.notEqual(c.keyword, c.text, `${scheme}: keywords are coloured`);
    assert.notEqual(c.string, c.text, `${scheme}: strings are coloured`);
    assert.notEqual(c.comment, c.text, `${scheme}: comments are coloured`);
  }
  assert.notEqual(colours.light.keyword, colours.dark.keyword, "dark mode has its own colours");
});

test("every page of the fixture passes the W3C Nu checker (MathML, callouts, tasks, code)", () => {
  const { spawnSync } = require("node:child_process");
  const jar = require.resolve("vnu-jar/build/dist/vnu.jar");
  const site = path.join(dir, "site");
  const r = spawnSync("java", ["-Xss2m", "-jar", jar, "--errors-only", "--skip-non-html", "--format", "json", site],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.ok(r.status === 0 || r.status === 1, `vnu did not run: ${r.error || r.stderr}`);
  const report = JSON.parse(r.stderr || r.stdout || '{"messages":[]}');
  const errors = report.messages.filter((m) => m.type === "error" || m.subType === "fatal");
  const lines = errors.map((m) => `${path.relative(site, new URL(m.url).pathname)}:${m.lastLine ?? "?"}: ${m.message}` +
    (m.extract ? `\n    ${m.extract.replace(/\s+/g, " ").trim()}` : ""));
  assert.equal(errors.length, 0, lines.slice(0, 40).join("\n"));
});
