// Small page helpers (no framework; the pages work without them):
// a form marked data-submit-once sends once; print and copy buttons on the receipt page;
// the anonymous box hides and empties the identity fields.
(function () {
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.querySelector(button.dataset.copy).textContent.trim();
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done, done); }
      else { done(); }
    });
  });
  // "Report anonymously": the identity fields (marked data-identity) are hidden and emptied.
  document.querySelectorAll('input[type=checkbox][name="anonymous"]').forEach(function (box) {
    var form = box.form;
    var apply = function () {
      form.querySelectorAll("[data-identity]").forEach(function (block) {
        block.hidden = box.checked;
        if (box.checked) {
          block.querySelectorAll("input, textarea, select").forEach(function (el) {
            if (el.type === "checkbox" || el.type === "radio") { el.checked = false; } else { el.value = ""; }
          });
        }
      });
    };
    box.addEventListener("change", apply);
    apply();
  });
})();
