// Small page helpers (no framework; the pages work without them):
// a form marked data-submit-once sends once; print and copy buttons on the receipt page;
// the anonymous box hides and empties the identity fields; a form marked data-keep-draft keeps
// what was typed in this tab (sessionStorage) so a reload or a language switch loses nothing.
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
  // Drafts: every typed field but files, passwords, hidden tokens and a reporter's identity
  // (data-identity: never kept in the browser), saved as it is typed, put back into the same page's
  // fields when it comes back fresh (input the server shows back wins), dropped once a receipt is shown.
  var store = window.sessionStorage;
  if (document.querySelector("[data-drafts-done]")) {
    Object.keys(store).forEach(function (key) { if (key.indexOf("cf-draft:") === 0) { store.removeItem(key); } });
  }
  document.querySelectorAll("form[data-keep-draft]").forEach(function (form) {
    var key = "cf-draft:" + location.pathname + ":" + (form.getAttribute("action") || "");
    var kept = function (el) {
      return el.name && !/^(file|password|hidden|submit|button)$/.test(el.type) && !el.closest("[data-identity]");
    };
    var save = function () {
      var draft = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!kept(el)) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) { (draft[el.name] = draft[el.name] || []).push(el.value); }
        } else if (el.value !== "") {
          draft[el.name] = el.value;
        }
      });
      store.setItem(key, JSON.stringify(draft));
    };
    var draft = {};
    try { draft = JSON.parse(store.getItem(key) || "{}"); } catch (e) { draft = {}; }
    // a fresh form (nothing shown back by the server: a reload, a language switch) takes the draft whole
    var fresh = !Array.prototype.some.call(form.elements, function (el) {
      return kept(el) && /^(text|email|tel|number|date|datetime-local|textarea|search|url)$/.test(el.type) && el.value !== "";
    });
    if (fresh) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!kept(el) || !(el.name in draft)) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = [].concat(draft[el.name]).indexOf(el.value) !== -1;
        } else {
          el.value = draft[el.name];
        }
        el.dispatchEvent(new Event("change", {bubbles: false}));
      });
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
  });
})();
