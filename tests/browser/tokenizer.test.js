// The search tokenizer of the page's script against the shared vectors that the Rust
// tokenizer is tested with (tests/fixtures/tokenizer.json; src/markdown/tokenize.rs), so the
// index and the query can never split text differently. Plain Node: no browser needed
// (`node --test tests/browser/tokenizer.test.js`).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const search = require("../../themes/default/static/search.js");
const { cases } = require("../fixtures/tokenizer.json");

test("search.js splits every vector as the Rust tokenizer does", () => {
  assert.ok(cases.length >= 20);
  const failures = [];
  for (const { input, tokens } of cases) {
    const got = search.tokens(input);
    if (JSON.stringify(got) !== JSON.stringify(tokens)) failures.push(`${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(tokens)}`);
  }
  assert.deepEqual(failures, []);
});

test("highlight ranges: accents folded, CJK runs as substrings, words from their start", () => {
  const spans = (text, q) => search.matches(text, q).map(([a, b]) => text.slice(a, b));
  assert.deepEqual(spans("Karl Müller and MULLER; not Schmuller.", "muller"), ["Müller", "MULLER"]);
  assert.deepEqual(spans("Mu\u0308ller", "Müller"), ["Mu\u0308ller"]);
  assert.deepEqual(spans("世界互联网大会于2014年在乌镇召开", "乌镇"), ["乌镇"]);
  assert.deepEqual(spans("世界互联网大会于2014年在乌镇召开", "互联网 乌镇"), ["互联网", "乌镇"]);
  assert.deepEqual(spans("sovereignty and sovereign", "sovereign"), ["sovereignty", "sovereign"]);
  assert.deepEqual(spans("乌 and 镇", "乌镇"), []);
});

test("shards are found by code-point order, as Rust sorts keys", () => {
  // U+FF21 (UTF-16: one unit) sorts after U+1F600 in UTF-16 order but before it by code point.
  const keys = ["a", "\uFF21", "\u{1F600}"];
  assert.equal(search.shardOf(keys, "\uFF21x"), 1);
  assert.equal(search.shardOf(keys, "\u{1F600}"), 2);
  assert.equal(search.shardOf(keys, "0"), -1);
  assert.equal(search.keyOf("互联"), "互");
  assert.equal(search.keyOf("sovereignty"), "sov");
});
