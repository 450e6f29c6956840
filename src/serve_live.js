// Scholion serve: reload on rebuild (keeping the scroll position), show build errors.
(function () {
  "use strict";
  var key = "scholion-scroll:" + location.pathname;
  try {
    var saved = sessionStorage.getItem(key);
    if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, +saved); addEventListener("load", function () { window.scrollTo(0, +saved); }); }
  } catch (e) {}
  function overlay(text) {
    var box = document.getElementById("scholion-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "scholion-error";
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-labelledby", "scholion-error-title");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:#141010;color:#fff;overflow:auto;padding:2rem;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace";
      box.innerHTML = '<h2 id="scholion-error-title" style="color:#ff8a80;font:700 1.4rem system-ui,sans-serif;margin:0 0 1rem">error</h2><pre style="white-space:pre-wrap;margin:0;padding:0;border:0;background:none;color:#fff;font:inherit;box-shadow:none"></pre><p style="font-family:system-ui,sans-serif;color:#ccc;margin:1.5rem 0 0">Fix the file and save: this page reloads by itself. (The last good version is still being served.)</p>';
      document.body.appendChild(box);
    }
    box.querySelector("pre").textContent = text;
  }
  function reload() {
    try { sessionStorage.setItem(key, String(window.scrollY)); } catch (e) {}
    location.reload();
  }
  var source = new EventSource("/__scholion/events");
  var seenError = false;
  source.addEventListener("hello", function (e) {
    if (e.data.indexOf("error\n") === 0) { seenError = true; overlay(e.data.slice(6)); }
    else if (seenError) reload();
  });
  source.addEventListener("builderror", function (e) { seenError = true; overlay(e.data); });
  source.addEventListener("reload", function () { reload(); });
})();
