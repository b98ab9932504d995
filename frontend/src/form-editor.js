// The form editor: a task's JSON Schema (and its ui-schema, `<form>.ui.json`, for field order and
// widgets) as JSON text, checked as you type, with a live preview drawn by the server with the
// same renderer the complainant and the staff see (webapp/forms_render.py), so the preview is
// the form itself and not a look-alike.
export function createFormEditor(pane, { previewUrl, csrf, t, addLayout }) {
  pane.replaceChildren();
  pane.insertAdjacentHTML('beforeend', `
    <div class="cf-form-editor">
      <div class="cf-form-sources">
        <label for="cf-schema"></label>
        <textarea id="cf-schema" spellcheck="false" rows="22"></textarea>
        <label for="cf-ui" class="cf-ui-label"></label>
        <textarea id="cf-ui" spellcheck="false" rows="6"></textarea>
        <button type="button" id="cf-add-layout"></button>
        <ul id="cf-form-problems" class="cf-problems" aria-live="polite"></ul>
      </div>
      <section class="cf-form-preview" aria-labelledby="cf-preview-title">
        <h3 id="cf-preview-title"></h3>
        <div id="cf-preview"></div>
      </section>
    </div>`);
  const schemaBox = pane.querySelector('#cf-schema');
  const uiBox = pane.querySelector('#cf-ui');
  const problems = pane.querySelector('#cf-form-problems');
  pane.querySelector('#cf-preview-title').textContent = t('Preview');
  const layoutButton = pane.querySelector('#cf-add-layout');
  layoutButton.textContent = t('Add a layout (ui-schema)');
  let current = null;
  layoutButton.addEventListener('click', async () => {
    let fields = [];
    try { fields = Object.keys(JSON.parse(schemaBox.value).properties || {}); } catch (error) { fields = []; }
    const made = await addLayout(current, JSON.stringify({ 'ui:order': fields }, null, 2));
    api.load(current, schemaBox.value, made);
  });
  let ui = null;
  let timer = null;
  let asked = 0;

  function say(list) {
    problems.replaceChildren(...list.map((message) => Object.assign(document.createElement('li'), { textContent: message })));
  }

  async function preview() {
    const sent = ++asked;
    let schema;
    let layout = {};
    const found = [];
    try { schema = JSON.parse(schemaBox.value); } catch (error) { found.push(`${t('The form is not valid JSON')}: ${error.message}`); }
    if (ui) {
      try { layout = uiBox.value.trim() ? JSON.parse(uiBox.value) : {}; } catch (error) { found.push(`${t('The layout is not valid JSON')}: ${error.message}`); }
    }
    if (found.length) { say(found); return; }
    const reply = await fetch(previewUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/json' },
      body: JSON.stringify({ schema, ui: layout })
    });
    if (sent !== asked) return;  // a later keystroke asked again
    const data = await reply.json();
    say(data.problems || []);
    pane.querySelector('#cf-preview').innerHTML = data.html || '';
    pane.dataset.previewed = String(sent);
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  schemaBox.addEventListener('input', changed);
  uiBox.addEventListener('input', () => { if (ui) ui.set(uiBox.value); changed(); });

  const api = {
    load(name, text, uiFile) {
      current = name;
      layoutButton.hidden = !!uiFile;
      pane.querySelector('label[for=cf-schema]').textContent = `${t('Form (JSON Schema)')}: ${name}`;
      schemaBox.value = text;
      ui = uiFile;
      uiBox.hidden = !ui;
      pane.querySelector('.cf-ui-label').hidden = !ui;
      pane.querySelector('.cf-ui-label').textContent = ui ? `${t('Layout (ui-schema: ui:order, ui:widget)')}: ${ui.name}` : '';
      uiBox.value = ui ? ui.get() : '';
      preview();
    },
    text() { return schemaBox.value; }
  };
  return api;
}
