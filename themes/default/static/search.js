// Scholion search: queries the sharded index under search/ (see src/render/search.rs).
// The tokenizer below mirrors src/markdown/tokenize.rs rule for rule (both are checked
// against tests/fixtures/tokenizer.json): NFKC, lower case, accents of Latin, Greek and
// Cyrillic letters folded, words of two or more characters, bigrams of CJK runs. A token
// matches an indexed token that it starts with (so "sovereign" finds "sovereignty"); every
// token of the query must match.
(function (root) {
  "use strict";

  // ---- the tokenizer (keep in step with src/markdown/tokenize.rs) ----
  function inRanges(cp, ranges) {
    for (var i = 0; i < ranges.length; i += 2) if (cp >= ranges[i] && cp <= ranges[i + 1]) return true;
    return false;
  }
  var FOLDS = [0x00C0, 0x024F, 0x1E00, 0x1EFF, 0x2C60, 0x2C7F, 0xA720, 0xA7FF, 0xAB30, 0xAB6F,
    0x0370, 0x03FF, 0x1F00, 0x1FFF,
    0x0400, 0x052F, 0x1C80, 0x1C8F, 0x2DE0, 0x2DFF, 0xA640, 0xA69F];
  var CJK = [0x1100, 0x11FF, 0x2E80, 0x2FDF, 0x3005, 0x3007, 0x3040, 0x30FF, 0x3130, 0x318F,
    0x31F0, 0x31FF, 0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xA960, 0xA97F,
    0xAC00, 0xD7FF, 0xF900, 0xFAFF, 0xFF66, 0xFF9F, 0x20000, 0x3FFFF];
  var SPECIAL = { "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe", "ς": "σ", "ı": "i" };
  var WORD = /^[\p{Alphabetic}\p{N}\p{M}]$/u;
  function isCjk(c) { return inRanges(c.codePointAt(0), CJK); }
  function isWord(c) { return WORD.test(c); }
  function isAccent(cp) { return cp >= 0x300 && cp <= 0x36F; }
  // Rules 1 and 2 for one piece of text (already NFKC and lower-cased).
  function foldLower(lower) {
    var out = "";
    for (var c of lower) {
      var cp = c.codePointAt(0);
      if (cp < 0x80) out += c;
      else if (SPECIAL[c]) out += SPECIAL[c];
      else if (isAccent(cp)) continue;
      else if (inRanges(cp, FOLDS)) {
        for (var d of c.normalize("NFD")) if (!isAccent(d.codePointAt(0))) out += d;
      } else out += c;
    }
    return out;
  }
  function normalize(text) { return foldLower(text.normalize("NFKC").toLowerCase()); }
  // Rules 3 and 4 over normalised text.
  function eachToken(norm, f) {
    var chars = Array.from(norm), i = 0;
    while (i < chars.length) {
      if (!isWord(chars[i])) { i++; continue; }
      var cjk = isCjk(chars[i]), start = i;
      while (i < chars.length && isWord(chars[i]) && isCjk(chars[i]) === cjk) {
        if (cjk && i > start) f(chars[i - 1] + chars[i]);
        i++;
      }
      var n = i - start;
      if ((cjk && n === 1) || (!cjk && n >= 2)) f(chars.slice(start, i).join(""));
    }
  }
  function tokens(text) { var out = []; eachToken(normalize(text), function (t) { out.push(t); }); return out; }
  // A token's shard key: three characters, or one for a CJK token (as search.rs `key_of`).
  function keyOf(t) { var cs = Array.from(t); return isCjk(cs[0]) ? cs[0] : cs.slice(0, 3).join(""); }
  // Code-point order (Rust's string order), not UTF-16 order.
  function cmp(a, b) {
    var x = Array.from(a), y = Array.from(b);
    for (var i = 0; i < x.length && i < y.length; i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) return d;
    }
    return x.length - y.length;
  }
  // The shard holding `key`: the last one whose first key is not greater; -1 if none.
  function shardOf(firstKeys, key) {
    var lo = 0, hi = firstKeys.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (cmp(firstKeys[mid], key) <= 0) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }
  // Where the query matches in `text`, as [start, end) ranges of `text` (UTF-16 offsets).
  // The text is normalised a cluster (a character and its combining marks) at a time,
  // keeping where each normalised character came from. A CJK run of the query matches as
  // a substring; any other word matches at the start of a word, to the end of that word.
  function matches(text, query) {
    var parts = [];
    eachPart(normalize(query), function (p) { if (parts.indexOf(p) < 0) parts.push(p); });
    if (!parts.length) return [];
    var norm = [], from = [], re = /\P{M}\p{M}*|\p{M}+/gu, m;
    while ((m = re.exec(text))) {
      var n = Array.from(normalize(m[0]));
      for (var k = 0; k < n.length; k++) { norm.push(n[k]); from.push([m.index, m.index + m[0].length]); }
    }
    var ranges = [];
    for (var i = 0; i < norm.length; i++) {
      for (var j = 0; j < parts.length; j++) {
        var p = parts[j], len = p.length, ok = true;
        if (!p.cjk && i > 0 && isWord(norm[i - 1]) && !isCjk(norm[i - 1])) continue;
        for (var q = 0; q < len && ok; q++) ok = norm[i + q] === p[q];
        if (!ok) continue;
        var end = i + len;
        if (!p.cjk) while (end < norm.length && isWord(norm[end]) && !isCjk(norm[end])) end++;
        ranges.push([from[i][0], from[end - 1][1]]);
        i = end - 1;
        break;
      }
    }
    return ranges;
  }
  // The query's words and CJK runs (for highlighting), each as an array of characters.
  function eachPart(norm, f) {
    var chars = Array.from(norm), i = 0;
    while (i < chars.length) {
      if (!isWord(chars[i])) { i++; continue; }
      var cjk = isCjk(chars[i]), start = i;
      while (i < chars.length && isWord(chars[i]) && isCjk(chars[i]) === cjk) i++;
      var part = chars.slice(start, i);
      part.cjk = cjk;
      if (cjk || part.length >= 2) f(part);
    }
  }
  var api = { normalize: normalize, tokens: tokens, keyOf: keyOf, cmp: cmp, shardOf: shardOf, matches: matches };
  if (typeof module === "object" && module.exports) module.exports = api;
  if (typeof document === "undefined") return;

  // ---- the search page ----
  var page = document.querySelector(".search-page");
  if (!page) return;
  var base = page.getAttribute("data-base") + "search/";
  var input = document.getElementById("search-query");
  var status = page.querySelector(".search-status");
  var list = page.querySelector(".search-results");
  var T = {};
  try { T = JSON.parse(document.getElementById("search-strings").textContent); } catch (e) { /* English below */ }
  function tr(key, fallback) { return typeof T[key] === "string" ? T[key] : fallback; }
  var lang = document.documentElement.lang || "en";
  var plurals = root.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  // A counted phrase: the form for n's plural category, with {n} and {query} filled in.
  function counted(key, n, fallback, q) {
    var forms = T[key] || {}, cat = plurals ? plurals.select(n) : (n === 1 ? "one" : "other");
    var s = forms[cat] || forms.other || fallback;
    var num = root.Intl ? new Intl.NumberFormat(lang).format(n) : String(n);
    return s.replace("{n}", num).replace("{query}", q || "");
  }
  var KINDS = { essay: tr("kind_essay", "Essay"), term: tr("kind_term", "Glossary"), source: tr("kind_source", "Source") };
  var cache = {}, run = 0;
  function get(path, text) {
    if (!cache[path]) {
      cache[path] = fetch(base + path).then(function (r) { if (!r.ok) throw new Error(path); return text ? r.text() : r.json(); });
      cache[path].catch(function () { delete cache[path]; });
    }
    return cache[path];
  }
  // The readable text of a result's page (its main content), for excerpts.
  var pages = {};
  function pageText(url) {
    if (!pages[url]) {
      pages[url] = fetch(url).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
        var d = new DOMParser().parseFromString(html, "text/html");
        // The first of these that the page has (a selector list would find <main> first).
        var main = [".essay-body", ".term", ".source .entry", "main"].map(function (s) { return d.querySelector(s); }).filter(Boolean)[0];
        if (!main) return "";
        main.querySelectorAll(".sidenote, .endnotes, template, nav, .para-mark, .para-num, .kicker, .uses-section, .see-also").forEach(function (n) { n.remove(); });
        return main.textContent;
      }).catch(function () { return ""; });
    }
    return pages[url];
  }
  function escapeHtml(s) { return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function highlight(text, q) {
    var out = "", last = 0;
    matches(text, q).forEach(function (r) {
      out += escapeHtml(text.slice(last, r[0])) + "<mark>" + escapeHtml(text.slice(r[0], r[1])) + "</mark>";
      last = r[1];
    });
    return out + escapeHtml(text.slice(last));
  }
  // A passage around the first match.
  function excerpt(text, q) {
    var body = text.replace(/\s+/g, " ").trim();
    var r = matches(body, q)[0];
    if (!r) return "";
    var start = Math.max(0, r[0] - 80), end = Math.min(body.length, r[0] + 180);
    if (start > 0) { var s = body.indexOf(" ", start); start = s >= 0 && s < r[0] && s - start < 20 ? s + 1 : start; }
    if (end < body.length) { var e = body.lastIndexOf(" ", end); end = e > r[1] && end - e < 20 ? e : end; }
    return (start > 0 ? "… " : "") + body.slice(start, end).replace(/\s+([,.;:!?)])/g, "$1") + (end < body.length ? " …" : "");
  }
  function say(text) { status.textContent = text; }
  // Marks the page as showing the results of `q` (for tests and styles).
  function done(q) { page.setAttribute("data-searched", q); }
  function search(q) {
    var ws = [], mine = ++run;
    tokens(q).forEach(function (t) { if (ws.indexOf(t) < 0) ws.push(t); });
    list.innerHTML = "";
    if (!ws.length) { say(q.trim() ? tr("type_more", "Type at least two letters.") : ""); return; }
    say(tr("searching", "Searching…"));
    get("meta.json").then(function (meta) {
      return Promise.all(ws.map(function (w) {
        var key = keyOf(w), n = shardOf(meta.shards, key);
        if (n < 0) return {};
        return get("shard/" + n + ".json").then(function (index) {
          var scores = {};
          Object.keys(index).forEach(function (t) {
            if (t.lastIndexOf(w, 0) !== 0) return;
            var weight = t === w ? 2 : 1;
            index[t].forEach(function (p) { scores[p[0]] = (scores[p[0]] || 0) + p[1] * weight; });
          });
          return scores;
        });
      })).then(function (perWord) {
        var total = {};
        Object.keys(perWord[0]).forEach(function (d) {
          var sum = 0;
          for (var i = 0; i < perWord.length; i++) { if (!(d in perWord[i])) return; sum += perWord[i][d]; }
          total[d] = sum;
        });
        var all = Object.keys(total).sort(function (a, b) { return total[b] - total[a] || a - b; }), ids = all.slice(0, 20);
        if (mine !== run) return;
        if (!ids.length) { say(counted("no_results", 0, "No results for “{query}”.", q.trim())); done(q); return; }
        return Promise.all(ids.map(function (id) {
          var n = Math.floor(id / meta.chunk);
          return get("docs/" + n + ".json").then(function (chunk) {
            var doc = chunk[id - n * meta.chunk];
            // Excerpts come from the page itself, for the best ten results only.
            var text = ids.indexOf(id) < 10 ? pageText(doc.u) : Promise.resolve("");
            return text.then(function (t) { return { doc: doc, text: t }; });
          });
        })).then(function (results) {
          if (mine !== run) return;
          var msg = counted("results", all.length, "{n} results for “{query}”.", q.trim());
          if (all.length > ids.length) msg += " " + counted("best_shown", ids.length, "The best {n} are shown.");
          say(msg);
          var frag = document.createDocumentFragment();
          results.forEach(function (r) {
            var li = document.createElement("li");
            var ex = excerpt(r.text, q) || r.doc.s || "";
            li.innerHTML = '<span class="search-kind">' + escapeHtml(KINDS[r.doc.k] || r.doc.k) + '</span><a href="' + escapeHtml(r.doc.u) + '">' +
              highlight(r.doc.t, q) + "</a>" + (ex ? "<p>" + highlight(ex, q) + "</p>" : "");
            frag.appendChild(li);
          });
          list.appendChild(frag);
          done(q);
        });
      });
    }).catch(function () { if (mine === run) say(tr("unavailable", "Search is unavailable.")); });
  }
  var q = new URLSearchParams(location.search).get("q") || "";
  input.value = q;
  search(q);
  var timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      history.replaceState(null, "", input.value ? "?q=" + encodeURIComponent(input.value) : location.pathname);
      search(input.value);
    }, 150);
  });
})(typeof window !== "undefined" ? window : globalThis);
