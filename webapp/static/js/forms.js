// Small page helpers (no framework; the pages work without them):
// a form marked data-submit-once sends once; print and copy buttons on the receipt page;
// the anonymous box hides and empties the identity fields it names.
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
  document.querySelectorAll("[data-hides-identity]").forEach(function (box) {
    var names = box.dataset.hidesIdentity.split(" ").filter(Boolean);
    var apply = function () {
      names.forEach(function (name) {
        var block = document.getElementById("field-" + name);
        if (!block) { return; }
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
