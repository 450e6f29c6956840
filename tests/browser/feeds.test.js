// atom.xml and sitemap.xml: well-formed XML (parsed by the browser's XML parser), the
// required elements present, every URL absolute and under the site's base.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { launch, open, env } = require("./lib/env");

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser?.close(); });

async function parse(page, url) {
  return page.evaluate(async (u) => {
    const text = await (await fetch(u)).text();
    const doc = new DOMParser().parseFromString(text, "application/xml");
    const err = doc.querySelector("parsererror");
    const all = (sel) => Array.from(doc.getElementsByTagName(sel));
    return {
      error: err ? err.textContent : null,
      root: doc.documentElement.localName,
      ns: doc.documentElement.namespaceURI,
      feed: {
        title: all("title")[0]?.textContent || "",
        id: doc.documentElement.getElementsByTagName("id")[0]?.textContent || "",
        updated: all("updated")[0]?.textContent || "",
        entries: all("entry").map((e) => ({
          title: e.getElementsByTagName("title")[0]?.textContent || "",
          id: e.getElementsByTagName("id")[0]?.textContent || "",
          updated: e.getElementsByTagName("updated")[0]?.textContent || "",
          summary: e.getElementsByTagName("summary")[0]?.textContent || "",
          link: e.getElementsByTagName("link")[0]?.getAttribute("href") || "",
          authors: e.getElementsByTagName("author").length,
        })),
        links: all("link").map((l) => l.getAttribute("href")),
      },
      locs: all("loc").map((l) => l.textContent),
    };
  }, url);
}

for (const [name, base] of [["subpath", () => env.readerUrl], ["root", () => env.rootUrl]]) {
  test(`atom.xml is valid Atom with absolute links (${name})`, async () => {
    const page = await open(browser, base());
    try {
      const f = await parse(page, base() + "atom.xml");
      assert.equal(f.error, null, f.error);
      assert.equal(f.root, "feed");
      assert.equal(f.ns, "http://www.w3.org/2005/Atom");
      assert.ok(f.feed.title && f.feed.id && /^\d{4}-\d\d-\d\dT/.test(f.feed.updated));
      assert.ok(f.feed.entries.length >= 6, `${f.feed.entries.length} entries`);
      for (const e of f.feed.entries) {
        assert.ok(e.title && e.summary && e.authors >= 1, JSON.stringify(e));
        assert.ok(/^\d{4}-\d\d-\d\dT/.test(e.updated));
        assert.ok(e.link.startsWith(base()) && e.id.startsWith(base()), e.link);
        assert.equal((await fetch(e.link)).status, 200, e.link);
      }
      for (const l of f.feed.links) assert.ok(l.startsWith(base()), l);
    } finally {
      await page.context().close();
    }
  });

  test(`sitemap.xml lists every page by absolute URL (${name})`, async () => {
    const page = await open(browser, base());
    try {
      const s = await parse(page, base() + "sitemap.xml");
      assert.equal(s.error, null, s.error);
      assert.equal(s.root, "urlset");
      assert.ok(s.locs.length > 50, `${s.locs.length} urls`);
      for (const loc of s.locs) {
        assert.ok(loc.startsWith(base()), loc);
        assert.equal((await fetch(loc)).status, 200, loc);
      }
    } finally {
      await page.context().close();
    }
  });
}
