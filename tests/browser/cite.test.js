// "Cite this": clicking a download link saves the essay's entry as a file with its name
// (a data: URL in the page, PRODUCT.md §3), which reads as BibTeX/RIS/CSL-JSON.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { launch, open } = require("./lib/env");
const P = require("./lib/pages");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

test("an essay's BibTeX, RIS and CSL-JSON download as named files with its entry", async () => {
  const page = await open(browser, P.main.essay, { acceptDownloads: true });
  try {
    const title = (await page.locator("h1").first().innerText()).trim();
    const slug = new URL(page.url()).pathname.split("/").filter(Boolean).pop();
    for (const [label, ext, check] of [
      ["BibTeX", "bib", (t) => /^@\w+\{/.test(t) && t.includes("title")],
      ["RIS", "ris", (t) => /^TY {2}- /m.test(t) && /^ER {2}-/m.test(t)],
      ["CSL-JSON", "json", (t) => JSON.parse(t)[0].title.length > 0],
    ]) {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator(".cite-downloads a", { hasText: label }).click(),
      ]);
      assert.equal(download.suggestedFilename(), `${slug}.${ext}`);
      const text = fs.readFileSync(await download.path(), "utf8");
      assert.ok(check(text), `${label} download is not ${label}:\n${text}`);
      assert.ok(text.includes(title.split(":")[0]), `${label} lacks the title ${title}:\n${text}`);
    }
  } finally {
    await page.context().close();
  }
});
