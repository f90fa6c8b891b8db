"use strict";
(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.group"));
  var shown = document.getElementById("shown");
  function value(name) { var el = form.elements[name]; return el ? el.value : ""; }
  function apply() {
    var team = value("team"), category = value("category"), severity = value("severity");
    var words = value("q").toLowerCase().split(/\s+/).filter(Boolean);
    var visible = 0;
    groups.forEach(function (g) {
      var text = g.getAttribute("data-search") || "";
      var ok = (!team || g.getAttribute("data-team") === team) &&
        (!category || g.getAttribute("data-category") === category) &&
        (!severity || g.getAttribute("data-severity") === severity) &&
        words.every(function (w) { return text.indexOf(w) !== -1; });
      g.hidden = !ok;
      if (ok) { visible += 1; }
    });
    document.querySelectorAll("section.check").forEach(function (s) {
      s.hidden = !s.querySelector("details.group:not([hidden])");
    });
    document.querySelectorAll("section.team").forEach(function (s) {
      var wanted = !team || s.getAttribute("data-team") === team;
      s.hidden = !wanted;
    });
    shown.textContent = visible + " of " + groups.length + " defects shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  document.getElementById("expand-all").addEventListener("click", function () {
    groups.forEach(function (g) { if (!g.hidden) { g.open = true; } });
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    groups.forEach(function (g) { g.open = false; });
  });
  window.addEventListener("beforeprint", function () {
    groups.forEach(function (g) { g.setAttribute("data-was-open", g.open ? "1" : ""); g.open = true; });
  });
  window.addEventListener("afterprint", function () {
    groups.forEach(function (g) { g.open = g.getAttribute("data-was-open") === "1"; });
  });
  form.hidden = false;
  apply();
})();
