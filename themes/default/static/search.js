// Scholion search: queries the sharded index under search/ (see src/render/search.rs).
// meta.json lists the shards; a word's shard is its first three characters; a token matches
// a query word that it starts with (so "sovereign" finds "sovereignty"); every word must match.
(function () {
  "use strict";
  var page = document.querySelector(".search-page");
  if (!page) return;
  var base = page.getAttribute("data-base") + "search/";
  var input = document.getElementById("search-query");
  var status = page.querySelector(".search-status");
  var list = page.querySelector(".search-results");
  var KINDS = { essay: "Essay", term: "Glossary", source: "Source" };
  var cache = {}, run = 0;
  function get(path, text) {
    if (!cache[path]) {
      cache[path] = fetch(base + path).then(function (r) { if (!r.ok) throw new Error(path); return text ? r.text() : r.json(); });
      cache[path].catch(function () { delete cache[path]; });
    }
    return cache[path];
  }
  // The readable text of a result's page (its main content), with two empty header lines
  // so `excerpt` can skip them as it skips the title lines of the index.
  var pages = {};
  function pageText(url) {
    if (!pages[url]) {
      pages[url] = fetch(url).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
        var d = new DOMParser().parseFromString(html, "text/html");
        var main = d.querySelector(".essay-body, .term .prose, .source .entry, main");
        if (!main) return "";
        main.querySelectorAll(".sidenote, .endnotes, template, nav, .para-mark, .para-num").forEach(function (n) { n.remove(); });
        return "\n\n" + main.textContent;
      }).catch(function () { return ""; });
    }
    return pages[url];
  }
  function words(q) {
    var seen = {};
    return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).filter(function (w) {
      if (Array.from(w).length < 2 || seen[w]) return false;
      return (seen[w] = true);
    });
  }
  function shard(w) { return Array.from(w).slice(0, 3).join(""); }
  function escapeHtml(s) { return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function wordRe(ws, flags) { return new RegExp("(?<![\\p{L}\\p{N}])(?:" + ws.map(escapeRe).join("|") + ")[\\p{L}\\p{N}]*", flags); }
  function highlight(text, ws) {
    var re = wordRe(ws, "giu"), out = "", last = 0, m;
    while ((m = re.exec(text))) {
      out += escapeHtml(text.slice(last, m.index)) + "<mark>" + escapeHtml(m[0]) + "</mark>";
      last = m.index + m[0].length;
    }
    return out + escapeHtml(text.slice(last));
  }
  // A passage around the first match, cut at word boundaries. The stored text starts with
  // two header lines (title, then subtitle, aliases or key), which the title already shows.
  function excerpt(text, ws) {
    var lines = text.split("\n"), body = lines.slice(2).join(" ").replace(/\s+/g, " ");
    var m = wordRe(ws, "iu").exec(body);
    if (!m) return "";
    var start = Math.max(0, m.index - 80), end = Math.min(body.length, m.index + 180);
    if (start > 0) { var s = body.indexOf(" ", start); start = s >= 0 && s < m.index ? s + 1 : start; }
    if (end < body.length) { var e = body.lastIndexOf(" ", end); end = e > m.index + m[0].length ? e : end; }
    return (start > 0 ? "… " : "") + body.slice(start, end).replace(/\s+([,.;:!?)])/g, "$1") + (end < body.length ? " …" : "");
  }
  function say(text) { status.textContent = text; }
  function search(q) {
    var ws = words(q), mine = ++run;
    list.innerHTML = "";
    if (!ws.length) { say(q.trim() ? "Type at least two letters." : ""); return; }
    say("Searching…");
    get("meta.json").then(function (meta) {
      var have = {};
      meta.shards.forEach(function (s) { have[s] = true; });
      return Promise.all(ws.map(function (w) {
        var s = shard(w);
        if (!have[s]) return {};
        return get("shard/" + encodeURIComponent(s) + ".json").then(function (tokens) {
          var scores = {};
          Object.keys(tokens).forEach(function (t) {
            if (t.lastIndexOf(w, 0) !== 0) return;
            var weight = t === w ? 2 : 1;
            tokens[t].forEach(function (p) { scores[p[0]] = (scores[p[0]] || 0) + p[1] * weight; });
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
        if (!ids.length) { say("No results for “" + q.trim() + "”."); return; }
        return Promise.all(ids.map(function (id) {
          var n = Math.floor(id / meta.chunk);
          return get("docs/" + n + ".json").then(function (chunk) {
            var doc = chunk[id - n * meta.chunk];
            // Excerpts come from the page itself, for the best ten results only.
            var rank = ids.indexOf(id);
            var text = rank < 10 ? pageText(doc.u) : Promise.resolve("");
            return text.then(function (t) { return { doc: doc, text: t }; });
          });
        })).then(function (results) {
          if (mine !== run) return;
          say(all.length + " result" + (all.length === 1 ? "" : "s") + " for “" + q.trim() + "”" + (all.length > ids.length ? ", the best " + ids.length + " shown." : "."));
          var frag = document.createDocumentFragment();
          results.forEach(function (r) {
            var li = document.createElement("li");
            var ex = excerpt(r.text, ws) || r.doc.s || "";
            li.innerHTML = '<span class="search-kind">' + escapeHtml(KINDS[r.doc.k] || r.doc.k) + '</span><a href="' + escapeHtml(r.doc.u) + '">' +
              highlight(r.doc.t, ws) + "</a>" + (ex ? "<p>" + highlight(ex, ws) + "</p>" : "");
            frag.appendChild(li);
          });
          list.appendChild(frag);
        });
      });
    }).catch(function () { if (mine === run) say("Search is unavailable."); });
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
})();
