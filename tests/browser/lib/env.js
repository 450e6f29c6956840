// Shared set-up for the browser tests: where the built sites are served (set by run.sh),
// and a Chromium launched from Debian's package (never a browser download).
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const { chromium } = require("playwright-core");

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through tests/browser/run.sh`);
  return v;
}

const env = {
  // The bundled reader built with --base-url http://127.0.0.1:PORT/reader/, served under /reader/.
  readerUrl: need("READER_URL"),
  readerDir: need("READER_DIR"),
  // The same reader built for the root path /.
  rootUrl: need("ROOT_URL"),
  rootDir: need("ROOT_DIR"),
  // tests/fixtures/companion (a text with commentary), built for the root path /.
  companionUrl: need("COMPANION_URL"),
  companionDir: need("COMPANION_DIR"),
  // tests/fixtures/obsidian (an Obsidian vault: images, PDFs, embeds), served under /vault/.
  vaultUrl: need("VAULT_URL"),
  vaultDir: need("VAULT_DIR"),
  chromium: process.env.CHROMIUM || "/usr/bin/chromium",
  screenshots: process.env.SCREENSHOT_DIR || path.resolve(__dirname, "../../../target/screenshots"),
};

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage", "--hide-scrollbars", "--font-render-hinting=none",
];

// Each launch gets a fresh temporary user-data-dir (playwright makes one and deletes it).
async function launch() {
  return chromium.launch({ executablePath: env.chromium, headless: true, args: ARGS, timeout: 60000 });
}

function loopback(url) {
  try {
    const u = new URL(url);
    if (u.protocol === "data:" || u.protocol === "about:" || u.protocol === "blob:") return true;
    return u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
  } catch { return false; }
}

// A browser context that can reach nothing but this machine.
async function context(browser, options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: "light", reducedMotion: "reduce", ...options });
  ctx.setDefaultTimeout(15000);
  await ctx.route((url) => !loopback(url.href), (route) => route.abort("blockedbyclient"));
  return ctx;
}

// A new page in a new context; the caller closes it with page.context().close().
async function open(browser, url, options = {}) {
  const ctx = await context(browser, options);
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.jsErrors = errors;
  await page.goto(url, { waitUntil: "load" });
  return page;
}

// Every file under dir whose name ends with ext, relative paths with forward slashes.
function files(dir, ext) {
  const out = [];
  (function walk(d) {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!ext || e.name.endsWith(ext)) out.push(path.relative(dir, p).split(path.sep).join("/"));
    }
  })(dir);
  return out.sort();
}

// The URL of an output file ("essays/x/index.html" -> base + "essays/x/").
function pageUrl(base, rel) {
  return base + rel.replace(/(^|\/)index\.html$/, "$1");
}

module.exports = { env, launch, context, open, files, pageUrl, loopback };
