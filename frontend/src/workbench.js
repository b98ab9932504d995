// The modeler page (/modeler/<key>): a type's files edited in the browser, saved as a draft,
// validated on the server (every problem listed and marked on the diagram), deployed.
// The page hands its data in <script type="application/json" id="cf-model">; see
// webapp/templates/modeler/workbench.html for the elements used here.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import lintModule from 'bpmn-js-bpmnlint';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import lintConfig from './generated/bpmnlint-config.js';
import spiffModdle from './spiff-moddle.json';
import spiffProperties, { getProperty, processOf, setProperty } from './spiff-properties.js';
import { createFormEditor } from './form-editor.js';

const model = JSON.parse(document.getElementById('cf-model').textContent);
const texts = model.texts || {};
const t = (s) => texts[s] || s;
const $ = (sel) => document.querySelector(sel);

const files = { ...model.files };  // name -> text, kept in step with the editors on every switch
let current = null;                 // the file open in an editor
let dmnModeler = null;
let formEditor = null;

const translateModule = {
  translate: ['value', (template, replacements) => (t(template)).replace(/{([^}]+)}/g, (_, k) => (replacements || {})[k] ?? `{${k}}`)]
};

const modeler = new BpmnModeler({
  container: '#cf-canvas',
  propertiesPanel: { parent: '#cf-properties' },
  linting: { bpmnlint: lintConfig, active: true },
  additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, spiffProperties, lintModule, translateModule],
  moddleExtensions: { spiffworkflow: spiffModdle }
});
window.cfModeler = modeler;  // for the browser tests and the console

const kind = (name) => (/\.dmn$/i.test(name) ? 'dmn' : /\.json$/i.test(name) ? 'json' : 'bpmn');
const bpmnName = () => Object.keys(files).find((n) => kind(n) === 'bpmn');

function status(message, level = 'info') {
  const box = $('#cf-status');
  box.textContent = message;
  box.className = `cf-status cf-status-${level}`;
}

// --- files -------------------------------------------------------------------------------------

async function keepCurrent() {
  if (!current) return;
  if (kind(current) === 'bpmn') files[current] = (await modeler.saveXML({ format: true })).xml;
  else if (kind(current) === 'dmn' && dmnModeler) files[current] = (await dmnModeler.saveXML({ format: true })).xml;
  else if (kind(current) === 'json' && formEditor) files[current] = formEditor.text();
}

async function open(name) {
  await keepCurrent();
  current = name;
  for (const pane of ['bpmn', 'dmn', 'json']) $(`#cf-pane-${pane}`).hidden = pane !== kind(name);
  document.querySelectorAll('#cf-files button[data-file]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.file === name)));
  if (kind(name) === 'bpmn') {
    await modeler.importXML(files[name]);
    modeler.get('canvas').zoom('fit-viewport');
    markProblems(lastProblems);
    drawLanes();
  } else if (kind(name) === 'dmn') {
    if (!dmnModeler) {
      const { default: DmnModeler } = await import('dmn-js/lib/Modeler');
      dmnModeler = new DmnModeler({ container: '#cf-dmn' });
    }
    await dmnModeler.importXML(files[name]);
    const table = dmnModeler.getViews().find((v) => v.type === 'decisionTable');
    if (table) await dmnModeler.open(table);  // the decision table itself, not the overview
  } else {
    if (!formEditor) formEditor = createFormEditor($('#cf-pane-json'), { previewUrl: model.urls.preview, csrf: model.csrf, t, addLayout });
    formEditor.load(name, files[name], uiFileFor(name));
  }
}

async function addLayout(form, text) {
  // a new `<form>.ui.json`, named by every task (and start event) that shows the form
  const ui = form.replace(/\.json$/i, '.ui.json');
  files[ui] = text;
  const services = { modeling: modeler.get('modeling'), bpmnFactory: modeler.get('bpmnFactory') };
  for (const element of modeler.get('elementRegistry').filter((e) => getProperty(e.businessObject, 'formJsonSchemaFilename') === form)) {
    setProperty(element, element.businessObject, 'formUiSchemaFilename', ui, services);
  }
  files[bpmnName()] = (await modeler.saveXML({ format: true })).xml;
  listFiles();
  return uiFileFor(form);
}

function uiFileFor(name) {
  const ui = name.replace(/\.json$/i, '.ui.json');
  return ui !== name && files[ui] !== undefined ? { name: ui, get: () => files[ui], set: (v) => { files[ui] = v; } } : null;
}

function listFiles() {
  const list = $('#cf-files ul');
  list.replaceChildren(...Object.keys(files).sort((a, b) => kind(a).localeCompare(kind(b)) || a.localeCompare(b)).map((name) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.file = name;
    button.textContent = name;
    button.addEventListener('click', () => open(name));
    item.append(button);
    return item;
  }));
}

$('#cf-add-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  let name = $('#cf-new-form').value.trim();
  if (!name) return;
  if (!/\.json$/i.test(name)) name += '.json';
  if (files[name] === undefined) {
    files[name] = JSON.stringify({ type: 'object', title: name.replace(/\.json$/i, ''), properties: {}, required: [] }, null, 2);
  }
  $('#cf-new-form').value = '';
  listFiles();
  await open(name);
});

$('#cf-upload').addEventListener('change', async (event) => {
  for (const file of event.target.files) files[file.name] = await file.text();
  event.target.value = '';
  listFiles();
});

// --- lanes, prefix, the deploy fields ------------------------------------------------------------

let groups = null;  // [{key, name}] or null when the list cannot be had (free text then)

async function loadGroups() {
  try {
    const reply = await fetch(model.urls.groups, { headers: { Accept: 'application/json' } });
    if (reply.ok) groups = (await reply.json()).items;
  } catch (error) { groups = null; }
  drawLanes();
}

function drawLanes() {
  const body = $('#cf-lanes tbody');
  if (!body || current === null || kind(current) !== 'bpmn') return;
  const chosen = laneGroups();
  const lanes = modeler.get('elementRegistry').filter((e) => is(e, 'bpmn:Lane')).map((e) => e.businessObject);
  const names = [...new Set(lanes.map((lane) => lane.name || lane.id))];
  $('#cf-lanes').hidden = names.length === 0;
  body.replaceChildren(...names.map((name, index) => {
    const lane = lanes.find((l) => (l.name || l.id) === name);
    const row = document.createElement('tr');
    const label = document.createElement('th');
    label.scope = 'row';
    label.textContent = name;
    const cell = document.createElement('td');
    const fallback = chosen[name] || getProperty(lane, 'group') || name;
    let input;
    if (groups) {
      input = document.createElement('select');
      const keys = groups.map((g) => g.key);
      for (const g of [{ key: '', name: t('(choose a group)') }, ...groups]) {
        input.append(new Option(g.key ? `${g.name} (${g.key})` : g.name, g.key));
      }
      input.value = keys.includes(fallback) ? fallback : '';
    } else {
      input = document.createElement('input');
      input.value = fallback;
    }
    input.id = `cf-lane-${index}`;
    input.dataset.lane = name;
    input.setAttribute('aria-label', `${t('Group of this lane')}: ${name}`);
    cell.append(input);
    row.append(label, cell);
    return row;
  }));
  const main = $('#cf-main-process');
  const processes = modeler.getDefinitions().get('rootElements').filter((r) => is(r, 'bpmn:Process'));
  main.replaceChildren(...processes.map((p) => new Option(p.name ? `${p.name} (${p.id})` : p.id, p.id)));
  main.closest('label').hidden = processes.length < 2;
  const prefix = mainProcess() && getProperty(mainProcess(), 'casePrefix');
  if (prefix && !$('#cf-prefix').value) $('#cf-prefix').value = prefix;
}

function laneGroups() {
  const out = {};
  document.querySelectorAll('#cf-lanes [data-lane]').forEach((input) => { if (input.value) out[input.dataset.lane] = input.value; });
  return out;
}

function mainProcess() {
  const processes = modeler.getDefinitions().get('rootElements').filter((r) => is(r, 'bpmn:Process'));
  return processes.find((p) => p.id === $('#cf-main-process').value) || processes.find((p) => p.isExecutable) || processes[0];
}

function applyPrefix() {
  // the number prefix is the main process's casePrefix property: written into the diagram
  const prefix = $('#cf-prefix').value.trim();
  const process = mainProcess();
  if (!process || (getProperty(process, 'casePrefix') || '') === prefix) return;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const element = registry.filter((e) => processOf(e) === process)[0] || modeler.get('canvas').getRootElement();
  setProperty(element, process, 'casePrefix', prefix, { modeling, bpmnFactory: modeler.get('bpmnFactory') });
  // a diagram that numbers its cases with the numbering.assign operator gets the same prefix there
  for (const task of registry.filter((e) => is(e, 'bpmn:ServiceTask'))) {
    const operator = (task.businessObject.get('extensionElements')?.get('values') || []).find((v) => is(v, 'spiffworkflow:ServiceTaskOperator'));
    const param = operator?.get('parameters')?.get('parameters').find((p) => p.id === 'prefix');
    if (operator && operator.id === 'numbering.assign' && param && prefix) modeling.updateModdleProperties(task, param, { value: `'${prefix}'` });
  }
}

// --- server calls -------------------------------------------------------------------------------

async function upload(url, extra = {}) {
  if (current && kind(current) !== 'bpmn') await open(bpmnName());
  applyPrefix();
  await keepCurrent();
  const body = new FormData();
  body.append('key', model.key);
  body.append('name', $('#cf-name').value.trim());
  body.append('public', $('#cf-public').checked ? 'true' : 'false');
  body.append('comment', $('#cf-comment').value.trim());
  body.append('lane_groups', JSON.stringify(laneGroups()));
  if ($('#cf-main-process').value) body.append('main_process', $('#cf-main-process').value);
  for (const [k, v] of Object.entries(extra)) body.append(k, v);
  for (const [name, content] of Object.entries(files)) body.append('files', new Blob([content], { type: 'application/octet-stream' }), name);
  const reply = await fetch(url, { method: 'POST', body, headers: { 'X-CSRFToken': model.csrf, Accept: 'application/json' } });
  let data = {};
  try { data = await reply.json(); } catch (error) { data = { message: reply.statusText }; }
  return { status: reply.status, data };
}

let lastProblems = [];

function markProblems(problems) {
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  registry.forEach((e) => canvas.removeMarker(e, 'cf-problem'));
  for (const p of problems) if (p.element && registry.get(p.element)) canvas.addMarker(p.element, 'cf-problem');
}

function showProblems(problems) {
  lastProblems = problems;
  const list = $('#cf-problems');
  list.replaceChildren(...problems.map((p) => {
    const item = document.createElement('li');
    item.dataset.element = p.element || '';
    const where = [p.file, p.element && (p.name ? `${p.name} (${p.element})` : p.element), p.line && `${t('line')} ${p.line}`]
      .filter(Boolean).join(' · ');
    item.textContent = where ? `${where}: ${p.message}` : p.message;
    if (p.element) {
      item.tabIndex = 0;
      item.addEventListener('click', () => select(p.element));
    }
    return item;
  }));
  $('#cf-problems-box').hidden = problems.length === 0;
  if (current && kind(current) === 'bpmn') markProblems(problems);
}

function select(elementId) {
  const element = modeler.get('elementRegistry').get(elementId);
  if (element) {
    modeler.get('selection').select(element);
    modeler.get('canvas').scrollToElement(element);
  }
}

function problemsOf(data) {
  const details = data.details;
  if (Array.isArray(details)) return details;
  if (details && Array.isArray(details.problems)) return details.problems;
  if (details && typeof details === 'object') return Object.entries(details).map(([field, message]) => ({ element: null, file: field, message: String(message) }));
  return [{ message: data.message || t('The request failed.') }];
}

$('#cf-validate').addEventListener('click', async () => {
  status(t('Validating…'));
  const { status: code, data } = await upload(model.urls.validate);
  if (code === 200) {
    showProblems(data.problems);
    status(data.ok ? t('No problems found.') : t('Problems found: {n}').replace('{n}', data.problems.length), data.ok ? 'success' : 'error');
  } else {
    showProblems(problemsOf(data));
    status(data.message || t('The request failed.'), 'error');
  }
});

$('#cf-save').addEventListener('click', async () => {
  status(t('Saving…'));
  const { status: code, data } = await upload(model.urls.draft);
  status(code === 200 ? t('Draft saved.') : (data.message || t('The request failed.')), code === 200 ? 'success' : 'error');
});

$('#cf-deploy-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  status(t('Deploying…'));
  const extra = $('#cf-confirm-replace').checked ? { confirm_replace: '1' } : {};
  const { status: code, data } = await upload(model.urls.deploy, extra);
  if (code === 201) {
    showProblems([]);
    status(t('Deployed as version {n}.').replace('{n}', data.version), 'success');
    $('#cf-deployed').hidden = false;
    $('#cf-deployed-version').textContent = data.version;
  } else {
    if (code === 409) $('#cf-confirm-box').hidden = false;
    showProblems(problemsOf(data));
    status(data.message || t('The request failed.'), 'error');
  }
});

// --- start ---------------------------------------------------------------------------------------

listFiles();
open(bpmnName()).then(loadGroups)
  .catch((error) => status(`${t('The diagram cannot be opened')}: ${error.message}`, 'error'))
  .finally(() => { document.body.dataset.modelerReady = 'true'; });
