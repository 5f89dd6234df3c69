// Equipment and repair (docs/api.md, "Equipment and repair"; the routes are
// server/repairapi.c's): the assets by state and unit, an asset's archive
// (its repair documents with who, when, costs and consumables), and the
// repair cycle times per stage (median and 90th percentile, hours), each
// with its CSV and XLSX download.  Column headings come from the API in
// both languages; states, kinds and results from the dictionaries.  A
// unit-scoped user's `unit` is forced by the server, not here.
import { el, clear, formValues, query, today, addDays } from '../dom.js';
import { api } from '../api.js';
import { t, colLabel } from '../i18n.js';
import { simpleTable, exportLinks, cell } from '../table.js';
import { barChart } from '../chart.js';

const STATES = ['registered', 'in_use', 'standby', 'received', 'in_repair', 'in_stock', 'accepted'];
const NUMERIC = new Set(['qty', 'money', 'int']);

// The dictionary's word for a code (eq.state.in_use, ...), else the code.
function word(prefix, code) {
  if (!code) return '';
  const key = prefix + code;
  const s = t(key);
  return s === key ? code : s;
}

// 'YYYY-MM-DD HH:MM' in the browser's time, '' for none.
function when(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// Table columns for `keys` from the API's column list, with renderers.
function columns(data, keys, render = {}) {
  const byKey = new Map(data.columns.map((c) => [c.key, c]));
  return keys.filter((k) => byKey.has(k)).map((k) => ({
    key: k, label: colLabel(byKey.get(k)), num: NUMERIC.has(byKey.get(k).type) && k !== 'at_ms', render: render[k],
  }));
}

// A section that loads one route's JSON and draws it: {node, reload(params)}.
function section(id, route, draw) {
  const node = el('div', { class: 'report', id, 'data-route': route });
  async function reload(params) {
    clear(node).appendChild(el('p', { class: 'muted' }, t('common.loading')));
    let data;
    try {
      data = await api(route + query(params));
    } catch (e) {
      clear(node).appendChild(el('p', { class: 'error' }, e.status === 403 ? t('common.forbidden') : t('common.error', { msg: e.message })));
      return null;
    }
    clear(node).appendChild(el('div', { class: 'bar' },
      el('span', { class: 'muted', 'data-count': data.count }, t('common.count', { n: data.count })),
      exportLinks(route, params)));
    draw(node, data);
    return data;
  }
  return { node, reload };
}

function filterForm(id, fields, onSubmit) {
  const form = el('form', { class: 'filters', id }, fields, el('button', { type: 'submit' }, t('common.filter')));
  form.addEventListener('submit', (e) => { e.preventDefault(); onSubmit(formValues(form)); });
  return form;
}

function input(label, name, value, type = 'text') {
  return el('label', {}, label, el('input', { name, value: value ?? '', type }));
}

function stateSelect() {
  return el('label', {}, t('f.state'), el('select', { name: 'state' },
    el('option', { value: '' }, t('eq.any')),
    STATES.map((s) => el('option', { value: s }, word('eq.state.', s)))));
}

// Repair cycle times: a bar per stage and measure, and the table.
function cycles() {
  const chart = el('div', { id: 'cycle-chart' });
  const sec = section('repair-cycles', '/api/v1/reports/repair-cycles', (node, data) => {
    const items = data.rows.flatMap((r) => [
      { label: word('eq.stage.', r.stage) + ' · ' + t('eq.median'), value: r.median_h ?? 0 },
      { label: word('eq.stage.', r.stage) + ' · ' + t('eq.p90'), value: r.p90_h ?? 0 },
    ]);
    clear(chart).append(barChart(items, { unit: 'h', title: t('eq.cycle') }));
    node.appendChild(simpleTable(columns(data, ['stage', 'repairs', 'median_h', 'p90_h'],
      { stage: (r) => word('eq.stage.', r.stage) }), data.rows));
  });
  const from = addDays(today(), -365), to = today();
  const form = filterForm('cycle-filters', [input(t('f.from'), 'from', from, 'date'), input(t('f.to'), 'to', to, 'date')],
    (p) => sec.reload(p));
  sec.reload({ from, to });
  return [el('h2', {}, t('eq.cycle')), form, chart, sec.node];
}

async function archive(view, asset) {
  view.append(el('p', {}, el('a', { href: '#/equipment' }, '← ' + t('common.back'))),
    el('h1', {}, t('eq.archive', { asset })));
  const card = el('div', { class: 'cards', id: 'asset-card' });
  const sec = section('asset-archive', '/api/v1/equipment/archive', (node, data) => {
    node.appendChild(simpleTable(columns(data, ['day', 'at_ms', 'kind', 'result', 'operator', 'people', 'unit', 'state',
      'origin', 'terminal', 'labour_minutes', 'labour', 'machine', 'auxiliary', 'standard', 'quota', 'consumables',
      'consumable_lines', 'ledger_doc', 'contents'], {
      at_ms: (r) => when(r.at_ms),
      kind: (r) => word('eq.kind.', r.kind),
      result: (r) => word('eq.result.', r.result),
      state: (r) => word('eq.state.', r.state),
      origin: (r) => word('eq.origin.', r.origin),
    }), data.rows));
  });
  view.append(card, el('h2', {}, t('eq.documents')), sec.node);
  // The register row (the archive may hold no document yet).
  const [reg, docs] = await Promise.all([api('/api/v1/equipment').catch(() => null), sec.reload({ asset })]);
  const a = reg && reg.rows.find((r) => r.asset === asset);
  const first = docs && docs.rows[0];
  const fields = [['eq.asset', asset], ['eq.model', a ? a.model : first && first.model],
    ['eq.tag', a && (a.giai || a.barcode)], ['eq.state', a && word('eq.state.', a.state)],
    ['eq.unit', a && a.unit], ['eq.since', a && a.day]];
  card.append(...fields.map(([k, v]) => el('div', { class: 'card' },
    el('div', { class: 'label' }, t(k)), el('div', { class: 'value' }, cell(v) || '—'))));
}

export async function render(view, { args }) {
  if (args[0]) return archive(view, args[0]);
  const list = section('equipment-list', '/api/v1/equipment', (node, data) => {
    node.appendChild(simpleTable(columns(data, ['asset', 'model', 'giai', 'barcode', 'state', 'unit', 'day', 'repair'], {
      asset: (r) => el('a', { href: '#/equipment/' + encodeURIComponent(r.asset), 'data-asset': r.asset }, r.asset),
      state: (r) => word('eq.state.', r.state),
    }), data.rows));
  });
  const form = filterForm('equipment-filters', [stateSelect(), input(t('f.unit'), 'unit')], (p) => list.reload(p));
  view.append(el('h1', {}, t('eq.title')), form, list.node, ...cycles());
  list.reload({});
}
