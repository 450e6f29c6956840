// Every internal reference on every page resolves: href/src/action values (cards' links in
// <template>s included), #fragments (to an element id on the target page), the feed, the
// sitemap and the search index's URLs, both for a reader built under /reader/ and at /.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { env, files, pageUrl } = require("./lib/env");
const { scan, decode } = require("./lib/html");

async function crawl(base, dir) {
  const origin = new URL(base).origin;
  const basePath = new URL(base).pathname;
  const fetched = new Map(); // url without fragment -> Promise<{status, ids|null, type}>
  const problems = [];
  let checked = 0;

  function get(url) {
    if (!fetched.has(url)) {
      fetched.set(url, fetch(url, { redirect: "manual" }).then(async (r) => {
        const type = r.headers.get("content-type") || "";
        const body = type.startsWith("text/html") ? await r.text() : (await r.arrayBuffer(), null);
        return { status: r.status, ids: body === null ? null : scan(body).ids };
      }).catch((e) => ({ status: 0, error: String(e) })));
    }
    return fetched.get(url);
  }

  async function check(from, value, what) {
    if (/^(mailto|tel|javascript|data):/i.test(value)) return;
    let url;
    try { url = new URL(value, from); } catch { problems.push(`${from}: unparsable ${what} ${JSON.stringify(value)}`); return; }
    if (url.protocol !== "http:" && url.protocol !== "https:") return;
    if (url.origin !== origin) return; // external
    checked++;
    if (!url.pathname.startsWith(basePath)) { problems.push(`${from}: ${what} ${value} leaves the base path ${basePath}`); return; }
    const target = url.origin + url.pathname + url.search;
    const r = await get(url.origin + url.pathname);
    if (r.status !== 200) { problems.push(`${from}: ${what} ${value} -> HTTP ${r.status || r.error}`); return; }
    const frag = url.hash ? decodeURIComponent(url.hash.slice(1)) : "";
    if (frag && frag !== "top") {
      if (!r.ids) problems.push(`${from}: ${what} ${value} has a fragment but the target is not HTML`);
      else if (!r.ids.has(frag)) problems.push(`${from}: ${what} ${value}: no element with id "${frag}" on ${target}`);
    }
  }

  const pages = files(dir, ".html");
  for (const rel of pages) {
    const from = pageUrl(base, rel);
    const { refs } = scan(fs.readFileSync(path.join(dir, rel), "utf8"));
    // the page itself must be served at its pretty URL
    const self = await get(from);
    if (self.status !== 200 && rel !== "404.html") problems.push(`${from}: page not served (HTTP ${self.status})`);
    for (const r of refs) await check(from, r.value, `${r.tag}[${r.attr}]`);
    // each page names itself as canonical (absolute, from --base-url); the 404 page names none
    const canonical = refs.filter((r) => r.tag === "link" && r.rel === "canonical").map((r) => r.value);
    const want = rel === "404.html" ? [] : [from];
    if (canonical.join(" ") !== want.join(" ")) problems.push(`${from}: canonical ${JSON.stringify(canonical)}, expected ${JSON.stringify(want)}`);
  }
  // The feed and the sitemap.
  for (const xml of ["atom.xml", "sitemap.xml"]) {
    const file = path.join(dir, xml);
    assert.ok(fs.existsSync(file), `${xml} is missing`);
    const text = fs.readFileSync(file, "utf8");
    const urls = [...text.matchAll(/<loc>([^<]+)<\/loc>|<link\b[^>]*\bhref="([^"]+)"/g)].map((m) => decode(m[1] || m[2]));
    assert.ok(urls.length > 0, `${xml} lists no URLs`);
    for (const u of urls) await check(base + xml, u, "xml link");
  }
  // The search index's document URLs.
  const docs = files(path.join(dir, "search"), ".json").filter((f) => f.startsWith("docs/"));
  assert.ok(docs.length > 0, "the search index has no docs/ chunks");
  for (const f of docs) {
    const chunk = JSON.parse(fs.readFileSync(path.join(dir, "search", f), "utf8"));
    for (const d of chunk) await check(base + "search/", d.u, "search result");
  }
  return { problems, checked, pages: pages.length };
}

for (const [name, key] of [["under /reader/", "reader"], ["at the root /", "root"]]) {
  test(`every internal link, asset and fragment resolves (built ${name})`, async () => {
    const base = key === "reader" ? env.readerUrl : env.rootUrl;
    const dir = key === "reader" ? env.readerDir : env.rootDir;
    const { problems, checked, pages } = await crawl(base, dir);
    assert.ok(pages > 50 && checked > pages * 10, `crawled too little: ${pages} pages, ${checked} links`);
    assert.equal(problems.length, 0, `${problems.length} broken reference(s) among ${checked} in ${pages} pages:\n` + problems.slice(0, 50).join("\n"));
  });
}

test("the crawler reports a broken link and a missing fragment (the check can fail)", async () => {
  const os = require("node:os");
  const http = require("node:http");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crawl-"));
  const { listen } = require("./lib/server");
  const server = await listen(dir, "/x/");
  try {
    const base = `http://127.0.0.1:${server.address().port}/x/`;
    fs.mkdirSync(path.join(dir, "search/docs"), { recursive: true });
    fs.writeFileSync(path.join(dir, "search/docs/0.json"), JSON.stringify([{ u: "/x/" }]));
    fs.writeFileSync(path.join(dir, "atom.xml"), `<feed><link href="${base}"/></feed>`);
    fs.writeFileSync(path.join(dir, "sitemap.xml"), `<urlset><url><loc>${base}</loc></url></urlset>`);
    fs.writeFileSync(path.join(dir, "index.html"), '<link rel="canonical" href="' + base + '"><a href="/x/#here" id="here">ok</a><a href="/x/#nowhere">bad fragment</a><a href="/x/missing/">missing</a><a href="/elsewhere/">outside</a><template><a href="/x/gone.css">card</a><p id="t"></p></template><a href="#t">template id</a>');
    const { problems } = await crawl(base, dir);
    assert.equal(problems.length, 5, problems.join("\n"));
  } finally { server.close(); fs.rmSync(dir, { recursive: true, force: true }); void http; }
});
