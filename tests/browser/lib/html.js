// A small scanner for the HTML Scholion writes (validated separately by the Nu checker):
// the URLs a page refers to and the fragment ids it defines. Script and style bodies and
// comments are skipped; ids inside <template> are not link targets (they are not in the
// document), but links inside templates (the cards) are still references.
"use strict";

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'", nbsp: "\u00a0" };
function decode(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+[0-9]*);/gi, (m, e) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function attributes(tag) {
  const attrs = {};
  const re = /([^\s"'>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  let m;
  re.lastIndex = (/^<\/?[a-zA-Z0-9-]*/.exec(tag) || [""])[0].length;
  while ((m = re.exec(tag))) attrs[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? "");
  return attrs;
}

const URL_ATTRS = ["href", "src", "action", "poster", "data"];

function scan(html) {
  const refs = []; // { tag, attr, value }
  const ids = new Set();
  const scripts = []; // { src } or { inline: text }
  const tagRe = /<!--[\s\S]*?-->|<(script|style)\b([^>]*)>([\s\S]*?)<\/\1\s*>|<\/?([a-zA-Z][a-zA-Z0-9-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>/g;
  let templateDepth = 0, m;
  while ((m = tagRe.exec(html))) {
    if (m[0].startsWith("<!--")) continue;
    if (m[1]) {
      const a = attributes("<" + m[1] + m[2]);
      if (m[1].toLowerCase() === "script") scripts.push(a.src !== undefined ? { src: a.src } : { inline: m[3] });
      if (a.src) refs.push({ tag: "script", attr: "src", value: a.src });
      if (a.id && !templateDepth) ids.add(a.id);
      continue;
    }
    const name = m[4].toLowerCase();
    if (m[0][1] === "/") { if (name === "template") templateDepth--; continue; }
    const a = attributes(m[0].slice(0, -1));
    if (a.id !== undefined && !templateDepth) ids.add(a.id);
    if (name === "a" && a.name !== undefined && !templateDepth) ids.add(a.name);
    for (const k of URL_ATTRS) if (a[k] !== undefined) refs.push({ tag: name, attr: k, value: a[k], rel: a.rel });
    if (a.srcset) for (const part of a.srcset.split(",")) { const u = part.trim().split(/\s+/)[0]; if (u) refs.push({ tag: name, attr: "srcset", value: u }); }
    if (name === "template") templateDepth++;
  }
  return { refs, ids, scripts };
}

module.exports = { scan, decode };
