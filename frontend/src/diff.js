// The version comparison (/modeler/<key>/diff): two deployed versions side by side, what was
// added, removed and changed coloured on the diagrams (bpmn-js-differ) and listed.
import Viewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';
import spiffModdle from './spiff-moddle.json';

const model = JSON.parse(document.getElementById('cf-model').textContent);
const texts = model.texts || {};
const t = (s) => texts[s] || s;
const $ = (sel) => document.querySelector(sel);
const older = new Viewer({ container: '#cf-older', moddleExtensions: { spiffworkflow: spiffModdle } });
const newer = new Viewer({ container: '#cf-newer', moddleExtensions: { spiffworkflow: spiffModdle } });

async function diagramOf(version) {
  const reply = await fetch(model.urls.version.replace('/0.json', `/${version}.json`), { headers: { Accept: 'application/json' } });
  if (!reply.ok) throw new Error(`${t('Version')} ${version}: ${reply.status}`);
  const files = (await reply.json()).files;
  const name = Object.keys(files).find((n) => /\.bpmn(20\.xml)?$/i.test(n));
  return files[name];
}

function mark(viewer, ids, marker) {
  const registry = viewer.get('elementRegistry');
  const canvas = viewer.get('canvas');
  for (const id of ids) if (registry.get(id)) canvas.addMarker(id, marker);
}

async function compare() {
  const a = $('#cf-from').value;
  const b = $('#cf-to').value;
  const [xmlA, xmlB] = await Promise.all([diagramOf(a), diagramOf(b)]);
  await older.importXML(xmlA);
  await newer.importXML(xmlB);
  older.get('canvas').zoom('fit-viewport');
  newer.get('canvas').zoom('fit-viewport');
  const changes = diff(older.getDefinitions(), newer.getDefinitions());
  mark(older, Object.keys(changes._removed), 'cf-removed');
  mark(older, Object.keys(changes._changed), 'cf-changed');
  mark(newer, Object.keys(changes._added), 'cf-added');
  mark(newer, Object.keys(changes._changed), 'cf-changed');
  mark(newer, Object.keys(changes._layoutChanged), 'cf-moved');
  const rows = [];
  const nameOf = (e) => (e && (e.name || e.id)) || '';
  for (const [kind, set] of [['added', changes._added], ['removed', changes._removed], ['changed', changes._changed]]) {
    for (const [id, entry] of Object.entries(set)) {
      const element = entry.model || entry;
      const attrs = entry.attrs ? Object.entries(entry.attrs).map(([k, v]) => `${k}: ${JSON.stringify(v.oldValue)} → ${JSON.stringify(v.newValue)}`).join('; ') : '';
      rows.push([t(kind), id, nameOf(element), attrs, kind]);
    }
  }
  $('#cf-changes tbody').replaceChildren(...rows.map(([label, id, name, attrs, kind]) => {
    const row = document.createElement('tr');
    row.className = `cf-change-${kind}`;
    row.dataset.element = id;
    for (const value of [label, id, name, attrs]) row.append(Object.assign(document.createElement('td'), { textContent: value }));
    return row;
  }));
  $('#cf-no-changes').hidden = rows.length > 0;
  document.body.dataset.compared = `${a}-${b}`;
}

$('#cf-compare').addEventListener('submit', (event) => { event.preventDefault(); compare().catch((e) => { $('#cf-diff-error').textContent = e.message; }); });
if ($('#cf-from').value && $('#cf-to').value && $('#cf-from').value !== $('#cf-to').value) compare().catch((e) => { $('#cf-diff-error').textContent = e.message; });
