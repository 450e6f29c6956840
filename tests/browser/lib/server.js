// A tiny static file server for the tests: serves ROOT under the URL path PREFIX on
// 127.0.0.1:PORT (loopback only). `/` redirects to PREFIX, like `scholion serve`.
// Usage: node server.js ROOT PREFIX PORT    (PORT 0 picks a free one; the bound port is
// printed on stdout as "listening PORT").
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8", ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
  ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon", ".woff2": "font/woff2",
};

function createServer(root, prefix) {
  root = path.resolve(root);
  if (!prefix.endsWith("/")) prefix += "/";
  return http.createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { "cache-control": "no-store", ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed");
    let pathname;
    try { pathname = decodeURIComponent(new URL(req.url, "http://x").pathname); } catch { return send(400, "bad request"); }
    if (pathname === "/" && prefix !== "/") return send(302, "", { location: prefix });
    if (!pathname.startsWith(prefix)) return notFound();
    let file = path.join(root, pathname.slice(prefix.length));
    if (file !== root && !file.startsWith(root + path.sep)) return notFound();
    let stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat && stat.isDirectory()) {
      if (!pathname.endsWith("/")) return send(301, "", { location: pathname + "/" });
      file = path.join(file, "index.html");
      stat = fs.statSync(file, { throwIfNoEntry: false });
    }
    if (!stat || !stat.isFile()) return notFound();
    const type = TYPES[path.extname(file).toLowerCase()] || "application/octet-stream";
    return send(200, fs.readFileSync(file), { "content-type": type });

    function notFound() {
      const page = path.join(root, "404.html");
      const body = fs.existsSync(page) ? fs.readFileSync(page) : "not found";
      return send(404, body, { "content-type": "text/html; charset=utf-8" });
    }
  });
}

function listen(root, prefix, port = 0) {
  return new Promise((resolve, reject) => {
    const server = createServer(root, prefix);
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

module.exports = { createServer, listen };

if (require.main === module) {
  const [root, prefix = "/", port = "0"] = process.argv.slice(2);
  if (!root) { console.error("usage: node server.js ROOT [PREFIX] [PORT]"); process.exit(2); }
  listen(root, prefix, Number(port)).then((s) => console.log("listening " + s.address().port));
}
