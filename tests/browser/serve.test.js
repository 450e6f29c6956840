// `scholion serve` in a real browser: the open page reloads by itself after an edit
// (keeping the scroll position), a broken save shows the error overlay over the last good
// page, and fixing the file brings the page back.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const net = require("node:net");
const { spawn } = require("node:child_process");
const { launch, open, env } = require("./lib/env");

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function until(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const long = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} of filler text to make the page scroll.`).join("\n\n");
function essay(title, marker) {
  return `---\ntitle: "${title}"\n---\n\n${marker}\n\n${long}\n\nThe end.\n`;
}

let browser, server, dir, port;
test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "scholion-serve-"));
  fs.mkdirSync(path.join(dir, "content/essays"), { recursive: true });
  fs.writeFileSync(path.join(dir, "book.toml"), '[book]\ntitle = "Live"\n');
  fs.writeFileSync(path.join(dir, "content/essays/live.md"), essay("Live", "First version."));
  port = await freePort();
  server = spawn(process.env.SCHOLION, ["serve", dir, "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  server.stderr.on("data", () => {});
  await until(async () => {
    try { return (await fetch(`http://127.0.0.1:${port}/essays/live/`)).ok; } catch { return false; }
  }, 30000);
  browser = await launch();
});
test.after(async () => {
  await browser?.close();
  server?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the open page reloads itself after an edit, shows a broken save as an error overlay, and recovers", async () => {
  const page = await open(browser, `http://127.0.0.1:${port}/essays/live/`, { viewport: { width: 1000, height: 600 } });
  try {
    assert.match(await page.textContent(".essay-body"), /First version/);
    await page.evaluate(() => { window.__sameDocument = true; window.scrollTo(0, 800); });
    const scrolled = await page.evaluate(() => window.scrollY);
    assert.ok(scrolled > 500, "the page did not scroll");
    // Give the event stream a moment to connect, then edit as an editor does (temp + rename).
    await page.waitForTimeout(300);
    const file = path.join(dir, "content/essays/live.md");
    fs.writeFileSync(file + ".tmp", essay("Live", "Second version."));
    fs.renameSync(file + ".tmp", file);
    await page.waitForFunction(() => document.body.textContent.includes("Second version"), null, { timeout: 15000 });
    assert.equal(await page.evaluate(() => window.__sameDocument), undefined, "the page was not reloaded");
    await page.waitForLoadState("load");
    const y = await page.evaluate(() => window.scrollY);
    assert.ok(Math.abs(y - scrolled) < 50, `scroll position lost: ${scrolled} → ${y}`);

    // A broken save: the overlay headed "error" appears over the last good page.
    fs.writeFileSync(file, '---\ntitle: "unclosed\n---\nThird version.\n');
    await page.waitForSelector("#scholion-error", { timeout: 15000 });
    assert.equal((await page.textContent("#scholion-error h2")).trim(), "error");
    assert.match(await page.textContent("#scholion-error pre"), /content\/essays\/live\.md:\d+:\d+/);
    assert.match(await page.textContent(".essay-body"), /Second version/);
    // Nothing of the page shows through or above the overlay's heading (the site title did).
    const cover = await page.evaluate(() => {
      const box = document.getElementById("scholion-error");
      const h = box.querySelector("h2").getBoundingClientRect();
      const top = document.elementFromPoint(h.left + 4, h.top + h.height / 2);
      const pre = getComputedStyle(box.querySelector("pre"));
      return { background: getComputedStyle(box).backgroundColor, inside: box.contains(top), pre: [pre.backgroundColor, pre.color] };
    });
    assert.ok(cover.inside, "something of the page lies above the overlay's heading");
    assert.match(cover.background, /^rgb\(/, `the overlay lets the page show through: ${cover.background}`);
    fs.mkdirSync(env.screenshots, { recursive: true });
    // The theme's own `pre` colours must not reach it (they made white text on cream).
    assert.deepEqual(cover.pre, ["rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"]);
    await page.screenshot({ path: path.join(env.screenshots, "serve-error-overlay.png") });

    // Fixed: the overlay goes and the new text shows.
    fs.writeFileSync(file, essay("Live", "Fourth version."));
    await page.waitForFunction(() => document.body.textContent.includes("Fourth version"), null, { timeout: 15000 });
    assert.equal(await page.locator("#scholion-error").count(), 0);
  } finally {
    await page.context().close();
  }
});
