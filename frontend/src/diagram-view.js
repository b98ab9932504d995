// A read-only diagram with marks: a case's path (/cases/<id>/path) or a version's heatmap
// (/process-types/<key>/versions/<n>/heatmap). The page hands its data in #cf-model:
// {mode: "path"|"heatmap", xml, texts, ...}. Clicking an element lists what the page knows of it.
import Viewer from 'bpmn-js/lib/NavigatedViewer';
import spiffModdle from './spiff-moddle.json';

const model = JSON.parse(document.getElementById('cf-model').textContent);
const texts = model.texts || {};
const t = (s) => texts[s] || s;
const viewer = new Viewer({ container: '#cf-diagram', moddleExtensions: { spiffworkflow: spiffModdle } });
const details = document.getElementById('cf-element');

function mark(ids, marker) {
  const registry = viewer.get('elementRegistry');
  const canvas = viewer.get('canvas');
  for (const id of ids || []) if (registry.get(id)) canvas.addMarker(id, marker);
}

function row(cells, tag = 'td') {
  const tr = document.createElement('tr');
  for (const c of cells) { const td = document.createElement(tag); td.textContent = c ?? ''; tr.appendChild(td); }
  return tr;
}

function show(element) {
  const name = (element.businessObject && element.businessObject.name) || element.id;
  details.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = name;
  details.appendChild(h);
  const table = document.createElement('table');
  if (model.mode === 'path') {
    const events = (model.events || {})[element.id] || [];
    if (!events.length) { details.appendChild(document.createTextNode(t('No events at this element.'))); return; }
    table.appendChild(row([t('When'), t('Who'), t('What')], 'th'));
    for (const e of events) table.appendChild(row([e.at_local || e.at, e.actor, e.label || e.kind]));
  } else {
    const s = (model.elements || {})[element.id];
    if (!s) { details.appendChild(document.createTextNode(t('No case passed this element in the period.'))); return; }
    table.appendChild(row([t('Cases'), t('Median wait (hours)'), t('p90 wait (hours)')], 'th'));
    table.appendChild(row([String(s.cases), s.median_hours ?? '—', s.p90_hours ?? '—']));
  }
  details.appendChild(table);
}

function heat() {
  const elements = model.elements || {};
  const max = Math.max(1, ...Object.values(elements).map((s) => s.cases));
  const overlays = viewer.get('overlays');
  const registry = viewer.get('elementRegistry');
  for (const [id, s] of Object.entries(elements)) {
    const el = registry.get(id);
    if (!el) continue;
    const level = Math.min(4, Math.ceil((s.cases / max) * 4));
    viewer.get('canvas').addMarker(id, `cf-heat-${level}`);
    const badge = document.createElement('div');
    badge.className = 'cf-heat-badge';
    badge.dataset.element = id;
    badge.textContent = s.median_hours != null ? `${s.cases} · ${s.median_hours}h` : String(s.cases);
    overlays.add(id, { position: { bottom: -4, right: 4 }, html: badge });
  }
}

async function draw() {
  try {
    await viewer.importXML(model.xml);
  } catch (err) {
    details.textContent = `${t('The diagram could not be drawn.')} ${err.message}`;
    return;
  }
  viewer.get('canvas').zoom('fit-viewport');
  if (model.mode === 'path') {
    mark(model.completed, 'cf-done');
    mark(model.flows, 'cf-taken');
    mark(model.active, 'cf-active');
  } else heat();
  viewer.get('eventBus').on('element.click', (e) => show(e.element));
  document.body.dataset.diagramReady = '1';
}
draw();
