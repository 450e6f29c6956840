// Scholion search: queries the sharded index under search/ (see src/render/search.rs).
(function () {
  "use strict";
  var page = document.querySelector(".search-page");
  if (!page) return;
  var base = page.getAttribute("data-base") + "search/";
  var input = document.getElementById("search-query");
  var status = page.querySelector(".search-status");
  var list = page.querySelector(".search-results");
  var cache = {};
  function get(path, text) {
    if (!cache[path]) cache[path] = fetch(base + path).then(function (r) { if (!r.ok) throw new Error(path); return text ? r.text() : r.json(); });
    return cache[path];
  }
  function words(q) { return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).filter(function (w) { return w.length >= 2; }); }
  function shard(w) { return Array.from(w).slice(0, 3).join(""); }
  function escapeHtml(s) { return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function highlight(text, ws) {
    var out = escapeHtml(text);
    ws.forEach(function (w) {
      var re = new RegExp("(" + w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "[\\p{L}\\p{N}]*)", "giu");
      out = out.replace(re, "<mark>$1</mark>");
    });
    return out;
  }
  function excerpt(text, ws) {
    var lower = text.toLowerCase(), at = -1;
    for (var i = 0; i < ws.length && at < 0; i++) at = lower.indexOf(ws[i]);
    if (at < 0) return "";
    var start = Math.max(0, at - 90), end = Math.min(text.length, at + 160);
    return (start > 0 ? "… " : "") + text.slice(start, end).replace(/\s+/g, " ") + (end < text.length ? " …" : "");
  }
  function search(q) {
    var ws = words(q);
    list.innerHTML = "";
    if (!ws.length) { status.textContent = ""; return; }
    status.textContent = "Searching…";
    get("meta.json").then(function (meta) {
      var have = {}; meta.shards.forEach(function (s) { have[s] = true; });
      return Promise.all(ws.map(function (w) {
        var s = shard(w);
        if (!have[s]) return Promise.resolve({});
        return get("shard/" + encodeURIComponent(s) + ".json").then(function (tokens) {
          var scores = {};
          Object.keys(tokens).forEach(function (t) {
            if (t.indexOf(w) !== 0) return;
            var exact = t === w ? 2 : 1;
            tokens[t].forEach(function (p) { scores[p[0]] = (scores[p[0]] || 0) + p[1] * exact; });
          });
          return scores;
        });
      })).then(function (perWord) {
        var total = {};
        Object.keys(perWord[0] || {}).forEach(function (d) {
          var sum = 0;
          for (var i = 0; i < perWord.length; i++) { if (!(d in perWord[i])) return; sum += perWord[i][d]; }
          total[d] = sum;
        });
        var ids = Object.keys(total).sort(function (a, b) { return total[b] - total[a] || a - b; }).slice(0, 20);
        if (!ids.length) { status.textContent = "No results for “" + q + "”."; return; }
        return Promise.all(ids.map(function (id) {
          var n = Math.floor(id / meta.chunk);
          return Promise.all([get("docs/" + n + ".json"), get("text/" + id + ".txt", true)]).then(function (r) {
            return { doc: r[0][id - n * meta.chunk], text: r[1] };
          });
        })).then(function (results) {
          status.textContent = results.length + " result" + (results.length === 1 ? "" : "s") + " for “" + q + "”.";
          results.forEach(function (r) {
            var li = document.createElement("li");
            var ex = excerpt(r.text, ws) || r.doc.s;
            li.innerHTML = '<span class="search-kind">' + escapeHtml(r.doc.k) + '</span> <a href="' + escapeHtml(r.doc.u) + '">' + highlight(r.doc.t, ws) + "</a><p>" + highlight(ex, ws) + "</p>";
            list.appendChild(li);
          });
        });
      });
    }).catch(function () { status.textContent = "Search is unavailable."; });
  }
  var q = new URLSearchParams(location.search).get("q") || "";
  input.value = q;
  var header = document.getElementById("site-search");
  if (header) header.value = q;
  search(q);
  var timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
      search(input.value);
    }, 150);
  });
})();
