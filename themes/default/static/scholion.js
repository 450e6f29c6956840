// Scholion: progressive enhancement only. Without this script every page is complete:
// term and citation links go to their pages, notes are endnotes, the contents is a list.
(function () {
  "use strict";
  var doc = document.documentElement;
  var KEY = "scholion-theme";
  function each(list, f) { Array.prototype.forEach.call(list, f); }
  function media(q) { return window.matchMedia ? window.matchMedia(q) : null; }
  function onChange(mq, f) { if (mq && mq.addEventListener) mq.addEventListener("change", f); else if (mq && mq.addListener) mq.addListener(f); }

  // Theme: follows the system until the reader chooses; the choice is remembered (the inline
  // script in <head> applies it before the first paint).
  var darkQuery = media("(prefers-color-scheme: dark)");
  function isDark() { var t = doc.getAttribute("data-theme"); return t ? t === "dark" : !!(darkQuery && darkQuery.matches); }
  function initTheme() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    function sync() { button.setAttribute("aria-pressed", isDark() ? "true" : "false"); }
    button.hidden = false;
    sync();
    button.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      doc.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
      sync();
    });
    onChange(darkQuery, sync);
    window.addEventListener("storage", function (e) {
      if (e.key !== KEY) return;
      if (e.newValue === "light" || e.newValue === "dark") doc.setAttribute("data-theme", e.newValue);
      else doc.removeAttribute("data-theme");
      sync();
    });
  }

  // Cards: a term's definition or a source's entry, on hover and keyboard focus (WCAG 1.4.13:
  // the pointer can move onto the card, it stays until hover/focus leaves, Escape dismisses it).
  // On touch, the first tap shows the card and a second tap follows the link.
  var card = null, owner = null, showTimer = 0, hideTimer = 0, touchOpen = null, lastPointer = "";
  function cardLink(el) { return el && el.closest ? el.closest("a[data-card]") : null; }
  function inCard(el) { return !!(card && el && card.contains(el)); }
  function hideCard() {
    clearTimeout(showTimer); clearTimeout(hideTimer);
    if (!card) return;
    if (owner) owner.removeAttribute("aria-describedby");
    card.parentNode.removeChild(card);
    card = null; owner = null;
  }
  function laterHide() { clearTimeout(showTimer); clearTimeout(hideTimer); hideTimer = setTimeout(hideCard, 300); }
  function placeCard(link) {
    var rects = link.getClientRects();
    var first = rects[0] || link.getBoundingClientRect(), box = link.getBoundingClientRect();
    var vw = doc.clientWidth, vh = window.innerHeight;
    var w = card.offsetWidth, h = card.offsetHeight;
    var left = Math.max(8, Math.min(first.left, vw - w - 8));
    var top = box.bottom + 6;
    if (top + h > vh - 8 && first.top - h - 6 > 8) top = first.top - h - 6;
    card.style.left = (left + window.scrollX) + "px";
    card.style.top = (top + window.scrollY) + "px";
  }
  function showCard(link) {
    clearTimeout(showTimer); clearTimeout(hideTimer);
    if (owner === link) return;
    var tpl = document.getElementById("card-" + link.getAttribute("data-card"));
    if (!tpl || !tpl.content) return;
    hideCard();
    card = document.createElement("div");
    card.className = "card card-" + (tpl.getAttribute("data-kind") || "term");
    card.id = "scholion-card";
    card.setAttribute("role", "tooltip");
    card.appendChild(tpl.content.cloneNode(true));
    // The trigger already leads to the page; keep the card out of the tab order.
    each(card.querySelectorAll("a, button, input, [tabindex]"), function (el) { el.setAttribute("tabindex", "-1"); });
    // Inside the link's landmark (main, usually), so that all content stays in landmarks.
    (link.closest("main, header, footer, aside, nav") || document.body).appendChild(card);
    owner = link;
    link.setAttribute("aria-describedby", card.id);
    placeCard(link);
  }
  function initCards() {
    if (!document.querySelector("a[data-card]")) return;
    document.addEventListener("mouseover", function (e) {
      if (inCard(e.target)) { clearTimeout(hideTimer); return; }
      var a = cardLink(e.target);
      if (!a || lastPointer === "touch") return;
      clearTimeout(hideTimer);
      if (owner === a) return;
      clearTimeout(showTimer);
      showTimer = setTimeout(function () { showCard(a); }, card ? 0 : 150);
    });
    document.addEventListener("mouseout", function (e) {
      var from = cardLink(e.target) || (inCard(e.target) ? card : null);
      if (!from) return;
      var to = e.relatedTarget;
      if (to && (from.contains(to) || inCard(to) || (owner && owner.contains(to)))) return;
      if (lastPointer === "touch") return;
      if (card) laterHide(); else clearTimeout(showTimer);
    });
    document.addEventListener("focusin", function (e) {
      var a = cardLink(e.target);
      if (a) showCard(a); else if (card && !inCard(e.target)) hideCard();
    });
    document.addEventListener("focusout", function (e) {
      if (cardLink(e.target) === owner && !inCard(e.relatedTarget)) laterHide();
    });
    document.addEventListener("keydown", function (e) {
      if ((e.key === "Escape" || e.key === "Esc") && card) { hideCard(); }
    });
    document.addEventListener("pointerover", function (e) { lastPointer = e.pointerType || ""; }, true);
    document.addEventListener("pointerdown", function (e) {
      lastPointer = e.pointerType || "";
      var a = cardLink(e.target);
      touchOpen = a && owner === a ? a : null;
      if (card && !a && !inCard(e.target)) hideCard();
    }, true);
    document.addEventListener("click", function (e) {
      var a = cardLink(e.target);
      if (!a || lastPointer !== "touch" || touchOpen === a) return;
      e.preventDefault();
      showCard(a);
    });
    window.addEventListener("resize", hideCard);
  }

  // Notes: on wide screens the sidenote sits in the margin (CSS); on narrow ones the number
  // toggles it inline. A link to a passage inside a closed note opens the note.
  var wide = media("(min-width: 1200px)");
  function inMargin(note) { var s = getComputedStyle(note); return s.display !== "none" && s.float !== "none"; }
  function setNote(a, note, open) {
    note.classList.toggle("open", open);
    a.setAttribute("aria-expanded", open || inMargin(note) ? "true" : "false");
  }
  function initNotes() {
    var refs = document.querySelectorAll(".note-ref a[aria-describedby]");
    var pairs = [];
    each(refs, function (a) {
      var note = document.getElementById(a.getAttribute("aria-describedby"));
      if (!note || !note.classList.contains("sidenote")) return;
      pairs.push([a, note]);
      a.setAttribute("aria-controls", note.id);
      setNote(a, note, false);
      a.addEventListener("click", function (e) {
        e.preventDefault();
        if (inMargin(note)) {
          note.classList.remove("flash"); void note.offsetWidth; note.classList.add("flash");
        } else {
          setNote(a, note, !note.classList.contains("open"));
        }
      });
    });
    if (!pairs.length) return;
    onChange(wide, function () { pairs.forEach(function (p) { setNote(p[0], p[1], p[1].classList.contains("open")); }); });
    function reveal() {
      var id = decodeURIComponent(location.hash.slice(1));
      if (!id) return;
      var target = document.getElementById(id), m = /^note_(.+)$/.exec(id);
      if (m && target && !target.offsetParent) { target = document.getElementById("sidenote_" + m[1]); }
      var note = target && target.closest ? target.closest(".sidenote") : null;
      if (!note || inMargin(note)) return;
      pairs.forEach(function (p) { if (p[1] === note) setNote(p[0], note, true); });
      target.scrollIntoView({ block: "center" });
    }
    window.addEventListener("hashchange", reveal);
    reveal();
  }

  // Contents: mark the section being read, and keep it in view inside the contents.
  function initToc() {
    var items = [];
    each(document.querySelectorAll(".toc a[href^='#']"), function (a) {
      var h = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      if (h) items.push({ a: a, h: h });
    });
    if (!items.length) return;
    var toc = items[0].a.closest(".toc"), current = null, pending = false;
    function update() {
      pending = false;
      var line = window.innerHeight * 0.3, active = null;
      for (var i = 0; i < items.length; i++) {
        if (items[i].h.getBoundingClientRect().top <= line) active = items[i]; else break;
      }
      if (active && window.innerHeight + window.scrollY >= doc.scrollHeight - 4) active = items[items.length - 1];
      if (active === current) return;
      if (current) current.a.removeAttribute("aria-current");
      current = active;
      if (!current) return;
      current.a.setAttribute("aria-current", "location");
      if (toc && toc.scrollHeight > toc.clientHeight + 2) {
        var a = current.a, top = a.offsetTop - toc.offsetTop;
        if (top < toc.scrollTop || top + a.offsetHeight > toc.scrollTop + toc.clientHeight) toc.scrollTop = top - toc.clientHeight / 3;
      }
    }
    function schedule() { if (!pending) { pending = true; requestAnimationFrame(update); } }
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    update();
  }

  // A text's commentary: folded behind a toggle (shown only on narrow screens, by CSS).
  function initCommentary() {
    document.querySelectorAll(".commentary").forEach(function (aside, i) {
      var list = aside.querySelector("ul");
      var title = aside.querySelector(".commentary-title");
      if (!list || !title) return;
      list.id = list.id || "commentary-" + (i + 1);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "commentary-toggle";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", list.id);
      var words = { show: aside.getAttribute("data-show") || "Show", hide: aside.getAttribute("data-hide") || "Hide" };
      button.textContent = words.show;
      title.appendChild(document.createTextNode(" "));
      title.appendChild(button);
      aside.classList.add("folded");
      button.addEventListener("click", function () {
        var open = aside.classList.toggle("folded") === false;
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = open ? words.hide : words.show;
      });
    });
  }

  function init() { initTheme(); initCards(); initNotes(); initToc(); initCommentary(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
