// Tables of the report routes: the API says each column's type and both
// headings; long lists page on the server (`after` / `next`); every table
// links its CSV and XLSX download with the same filters as on screen.
import { el, clear, query } from './dom.js';
import { api } from './api.js';
import { t, lang, colLabel } from './i18n.js';

const NUMERIC = new Set(['qty', 'money', 'int']);

export function cell(v) {
  return v === null || v === undefined ? '' : String(v);
}

// A plain table: cols [{key, label, num}], rows of objects.
export function simpleTable(cols, rows, { onRow, total } = {}) {
  const body = rows.map((r) => el('tr', { class: onRow ? 'clickable' : null, onclick: onRow ? () => onRow(r) : null },
    cols.map((c) => el('td', { class: c.num ? 'num' : null }, c.render ? c.render(r) : cell(r[c.key])))));
  if (total) body.push(el('tr', { class: 'total' }, cols.map((c, i) => el('td', { class: c.num ? 'num' : null },
    i === 0 ? t('common.total') : cell(total[c.key])))));
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { class: c.num ? 'num' : null }, c.label)))),
    el('tbody', {}, rows.length ? body : el('tr', {}, el('td', { colspan: cols.length, class: 'muted' }, t('common.none'))))));
}

// Download links for `route` with `params`.
export function exportLinks(route, params) {
  const p = { ...params };
  delete p.after; delete p.limit;
  return el('span', { class: 'exports' },
    el('a', { href: route + query({ ...p, format: 'csv', lang: lang() }), download: '', 'data-export': 'csv' }, t('common.csv')),
    el('a', { href: route + query({ ...p, format: 'xlsx', lang: lang() }), download: '', 'data-export': 'xlsx' }, t('common.xlsx')));
}

// A report table that loads itself: returns {node, reload(params)}.
// onData(data) sees each page (for charts); onRow(row) makes rows clickable.
export function reportTable(route, params, { onRow, onData, pageable = true } = {}) {
  const node = el('div', { class: 'report', 'data-route': route });
  let current = { ...params };
  const stack = [];   // the `after` of each earlier page

  async function load(after) {
    clear(node).appendChild(el('p', { class: 'muted' }, t('common.loading')));
    let data;
    try {
      data = await api(route + query({ ...current, after }));
    } catch (e) {
      clear(node).appendChild(el('p', { class: 'error' }, e.status === 403 ? t('common.forbidden') : t('common.error', { msg: e.message })));
      return;
    }
    if (onData) onData(data);
    const cols = data.columns.map((c) => ({ key: c.key, label: colLabel(c), num: NUMERIC.has(c.type) }));
    const hasTotals = data.totals && Object.keys(data.totals).length;
    clear(node);
    node.appendChild(el('div', { class: 'bar' },
      el('span', { class: 'muted', 'data-count': data.count }, t('common.count', { n: data.count })),
      exportLinks(route, current)));
    node.appendChild(simpleTable(cols, data.rows, { onRow, total: hasTotals ? data.totals : null }));
    if (pageable && (stack.length || data.next !== null)) {
      node.appendChild(el('div', { class: 'bar' },
        el('button', { type: 'button', class: 'secondary', disabled: !stack.length, onclick: () => { stack.pop(); load(stack[stack.length - 1]); } }, t('common.prev')),
        el('button', { type: 'button', class: 'secondary', disabled: data.next === null, onclick: () => { stack.push(data.next); load(data.next); } }, t('common.next'))));
    }
  }

  return {
    node,
    reload(p) { current = { ...p }; stack.length = 0; load(undefined); },
  };
}
