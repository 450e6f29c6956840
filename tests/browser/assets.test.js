// Files as authors keep them (issue 17), on an Obsidian vault built under /vault/: every
// image loads, with the size the page reserved for it before it loaded (no layout shift);
// every link, image and fragment of the vault resolves; embedded notes pass axe in light
// and dark.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { env, launch, open, files, pageUrl } = require("./lib/env");
const { scan } = require("./lib/html");

const AXE = require.resolve("axe-core/axe.min.js");
let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

const PAGES = files(env.vaultDir, ".html").filter((rel) => rel === "index.html" || rel.startsWith("essays/"));

test("every image of the vault loads, at the size its width and height reserve", async () => {
  let checked = 0;
  for (const rel of PAGES) {
    const page = await open(browser, pageUrl(env.vaultUrl, rel));
    try {
      const imgs = await page.locator("main img").all();
      for (const img of imgs) {
        // Lazy images load when near the viewport.
        await img.scrollIntoViewIfNeeded();
        await img.evaluate((el) => el.complete ? null : new Promise((r) => { el.onload = el.onerror = r; }));
        const info = await img.evaluate((el) => ({
          src: el.getAttribute("src"), natural: [el.naturalWidth, el.naturalHeight],
          attrs: [+el.getAttribute("width"), +el.getAttribute("height")],
          box: [el.getBoundingClientRect().width, el.getBoundingClientRect().height],
          loading: el.getAttribute("loading"),
        }));
        assert.ok(info.natural[0] > 0 && info.natural[1] > 0, `${rel}: ${info.src} did not load`);
        assert.ok(info.attrs[0] > 0 && info.attrs[1] > 0, `${rel}: ${info.src} has no width/height`);
        assert.equal(info.loading, "lazy", `${rel}: ${info.src}`);
        // The attributes keep the file's proportions (to the pixel), so the box reserved
        // before loading is the box after.
        const want = info.attrs[1] / info.attrs[0], got = info.natural[1] / info.natural[0];
        assert.ok(Math.abs(want - got) * info.attrs[0] < 1.5, `${rel}: ${info.src} ${info.attrs} vs ${info.natural}`);
        assert.ok(Math.abs(info.box[1] / info.box[0] - got) < 0.02, `${rel}: ${info.src} shown at ${info.box}`);
        checked++;
      }
    } finally { await page.context().close(); }
  }
  assert.ok(checked >= 8, `only ${checked} images checked`);
});

test("every link, image and fragment of the vault resolves over HTTP", async () => {
  const problems = [];
  const ids = new Map();
  let checked = 0;
  for (const rel of files(env.vaultDir, ".html")) {
    const from = pageUrl(env.vaultUrl, rel);
    const { refs } = scan(fs.readFileSync(path.join(env.vaultDir, rel), "utf8"));
    for (const r of refs) {
      const url = new URL(r.value, from);
      if (url.origin !== new URL(env.vaultUrl).origin) continue;
      checked++;
      const res = await fetch(url.origin + url.pathname);
      if (res.status !== 200) { problems.push(`${from}: ${r.value} -> ${res.status}`); continue; }
      const frag = decodeURIComponent(url.hash.slice(1));
      if (frag && frag !== "top") {
        const key = url.pathname;
        if (!ids.has(key)) ids.set(key, (res.headers.get("content-type") || "").startsWith("text/html") ? scan(await res.text()).ids : new Set());
        if (!ids.get(key).has(frag)) problems.push(`${from}: ${r.value}: no id "${frag}"`);
      }
    }
  }
  assert.ok(checked > 100, `crawled too little: ${checked}`);
  assert.deepEqual(problems, []);
});

for (const scheme of ["light", "dark"]) {
  test(`axe: a note with images and embedded notes (${scheme})`, async () => {
    const page = await open(browser, env.vaultUrl + "essays/start-here/", { colorScheme: scheme });
    try {
      assert.ok(await page.locator("figure.embed").count() > 0, "no embed on the page");
      await page.addScriptTag({ path: AXE });
      const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
      assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), []);
    } finally { await page.context().close(); }
  });
}
