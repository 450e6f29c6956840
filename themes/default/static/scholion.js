// Scholion: progressive enhancement only. Without this script every page is complete:
// term and citation links go to their pages, notes are endnotes.
(function () {
  "use strict";
  var doc = document.documentElement;

  // Theme toggle: follows the system until the reader chooses; the choice is remembered.
  function systemDark() { return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches; }
  function currentDark() { var t = doc.dataset.theme; return t ? t === "dark" : systemDark(); }
  function initToggle() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    button.hidden = false;
    var sync = function () { button.setAttribute("aria-pressed", currentDark() ? "true" : "false"); };
    sync();
    button.addEventListener("click", function () {
      var next = currentDark() ? "light" : "dark";
      doc.dataset.theme = next;
      try { localStorage.setItem("scholion-theme", next); } catch (e) {}
      sync();
    });
  }

  // Cards: the term's definition or the source's entry, on hover and keyboard focus.
  var card = null, owner = null, hideTimer = null;
  function hideCard() {
    if (!card) return;
    if (owner) owner.removeAttribute("aria-describedby");
    card.remove(); card = null; owner = null;
  }
  function showCard(link) {
    var id = link.getAttribute("data-card");
    var tpl = id && document.getElementById("card-" + id);
    if (!tpl) return;
    clearTimeout(hideTimer);
    if (owner === link) return;
    hideCard();
    card = document.createElement("div");
    card.className = "card";
    card.id = "card";
    card.setAttribute("role", "tooltip");
    card.appendChild(tpl.content.cloneNode(true));
    document.body.appendChild(card);
    var r = link.getBoundingClientRect();
    var left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8));
    var top = r.bottom + window.scrollY + 6;
    if (r.bottom + card.offsetHeight + 12 > window.innerHeight && r.top > card.offsetHeight + 12) top = r.top + window.scrollY - card.offsetHeight - 6;
    card.style.left = left + "px";
    card.style.top = top + "px";
    owner = link;
    link.setAttribute("aria-describedby", "card");
    card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    card.addEventListener("mouseleave", scheduleHide);
  }
  function scheduleHide() { clearTimeout(hideTimer); hideTimer = setTimeout(hideCard, 250); }
  function initCards() {
    var links = document.querySelectorAll("a[data-card]");
    Array.prototype.forEach.call(links, function (a) {
      a.addEventListener("mouseenter", function () { showCard(a); });
      a.addEventListener("mouseleave", scheduleHide);
      a.addEventListener("focus", function () { showCard(a); });
      a.addEventListener("blur", scheduleHide);
      // Touch: the first tap shows the card, a second tap follows the link.
      a.addEventListener("touchstart", function (e) {
        if (owner !== a) { e.preventDefault(); showCard(a); }
      }, { passive: false });
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") hideCard(); });
  }

  // Sidenotes on narrow screens: the note number toggles the note inline.
  function initNotes() {
    var wide = window.matchMedia("(min-width: 1200px)");
    var refs = document.querySelectorAll(".note-ref a[aria-describedby]");
    Array.prototype.forEach.call(refs, function (a) {
      var note = document.getElementById(a.getAttribute("aria-describedby"));
      if (!note) return;
      a.setAttribute("aria-expanded", "false");
      a.setAttribute("aria-controls", note.id);
      a.addEventListener("click", function (e) {
        if (wide.matches) return;
        e.preventDefault();
        var open = note.classList.toggle("open");
        a.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
  }

  // Contents: mark the section being read.
  function initToc() {
    var links = document.querySelectorAll(".toc a");
    if (!links.length || !("IntersectionObserver" in window)) return;
    var byId = {};
    Array.prototype.forEach.call(links, function (a) { byId[decodeURIComponent(a.hash.slice(1))] = a; });
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        Array.prototype.forEach.call(links, function (a) { a.removeAttribute("aria-current"); });
        var a = byId[entry.target.id];
        if (a) a.setAttribute("aria-current", "true");
      });
    }, { rootMargin: "0px 0px -70% 0px" });
    Object.keys(byId).forEach(function (id) { var h = document.getElementById(id); if (h) observer.observe(h); });
  }

  function init() { initToggle(); initCards(); initNotes(); initToc(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
