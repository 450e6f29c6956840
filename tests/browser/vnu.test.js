// The W3C Nu HTML checker (vnu.jar from npm, run on the machine's Java): no errors on any
// page of the bundled reader.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { env, files } = require("./lib/env");

const JAR = require.resolve("vnu-jar/build/dist/vnu.jar");

function check(dir) {
  const r = spawnSync("java", ["-Xss2m", "-jar", JAR, "--errors-only", "--skip-non-html", "--format", "json", dir],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  assert.ok(r.status === 0 || r.status === 1, `vnu did not run: ${r.error || r.stderr}`);
  const report = JSON.parse(r.stderr || r.stdout || '{"messages":[]}');
  return report.messages.filter((m) => m.type === "error" || m.subType === "fatal");
}

test("every HTML page of the bundled reader passes the W3C Nu checker with zero errors", () => {
  const pages = files(env.readerDir, ".html");
  assert.ok(pages.length > 50, `expected the whole reader, found ${pages.length} HTML pages`);
  // The print edition (#22) is one of them: the whole reader on one page.
  assert.ok(pages.includes("print/index.html"), "the print edition was not built");
  const errors = check(env.readerDir);
  const lines = errors.map((m) => `${path.relative(env.readerDir, new URL(m.url).pathname)}:${m.lastLine ?? "?"}:${m.firstColumn ?? "?"}: ${m.message}` +
    (m.extract ? `\n    ${m.extract.replace(/\s+/g, " ").trim()}` : ""));
  assert.equal(errors.length, 0, `${errors.length} Nu checker error(s) in ${pages.length} pages:\n${lines.slice(0, 60).join("\n")}`);
});

test("every HTML page of the Obsidian vault (images, embeds) passes the W3C Nu checker", () => {
  const errors = check(env.vaultDir);
  const lines = errors.map((m) => `${path.relative(env.vaultDir, new URL(m.url).pathname)}:${m.lastLine ?? "?"}: ${m.message}`);
  assert.equal(errors.length, 0, lines.join("\n"));
});

test("the Nu checker finds errors when there are some (the check can fail)", () => {
  const fs = require("node:fs");
  const os = require("node:os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnu-"));
  try {
    fs.writeFileSync(path.join(dir, "bad.html"), '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p id="a"></p><p id="a"><div></div></p></body></html>');
    assert.ok(check(dir).length > 0);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
