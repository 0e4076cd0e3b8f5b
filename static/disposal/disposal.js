// Bulk selection on the disposal queue. Inline handlers are blocked by the CSP, so this file listens.
(function () {
  function boxes() { return document.querySelectorAll("#bulk input[type=checkbox][name=case]"); }
  function count() {
    var n = 0;
    boxes().forEach(function (b) { if (b.checked) n += 1; });
    document.querySelectorAll("[data-selected-count]").forEach(function (el) { el.textContent = n; });
  }
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      boxes().forEach(function (b) { b.checked = all.checked; });
    }
    if (event.target.closest("#bulk")) count();
  });
  document.addEventListener("DOMContentLoaded", count);
})();
