// The ledger's report pages: each a filter form over a server-paged table
// with its downloads, and a chart where people would look.
import { el, clear, formValues, today, addDays } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { reportTable } from '../table.js';
import { barChart, lineChart } from '../chart.js';

function field(label, name, value, type = 'text') {
  return el('label', {}, label, el('input', { name, value: value ?? '', type }));
}

function filterForm(id, fields, onSubmit) {
  const form = el('form', { class: 'filters', id }, fields, el('button', { type: 'submit' }, t('common.filter')));
  form.addEventListener('submit', (e) => { e.preventDefault(); onSubmit(formValues(form)); });
  return form;
}

export const issues = {
  async render(view) {
    const chart = el('div', { id: 'issue-chart' });
    const table = reportTable('/api/v1/ledger/issues', {});
    const form = filterForm('issues-filters', [
      field(t('f.item'), 'item'), field(t('f.unit'), 'unit'), field(t('f.warehouse'), 'warehouse'),
      field(t('f.category'), 'category'), field(t('f.from'), 'from', '', 'date'), field(t('f.to'), 'to', '', 'date'),
    ], (p) => { table.reload(p); drawStats(p); });
    async function drawStats(p) {
      try {
        const d = await api('/api/v1/ledger/stats?' + new URLSearchParams({ ...p, group: 'month' }));
        clear(chart).append(el('h2', {}, t('issues.stats')),
          lineChart(d.rows.map((r) => r.month), [{ name: t('trend.issues'), values: d.rows.map((r) => Number(r.value)) }], { height: 180 }));
      } catch { clear(chart); }
    }
    view.append(el('h1', {}, t('issues.title')), form, table.node, chart);
    table.reload({});
    drawStats({});
  },
};

export const safety = {
  async render(view) {
    const month = today().slice(0, 7);
    const chart = el('div', { id: 'safety-chart' });
    const table = reportTable('/api/v1/reports/safety', {}, {
      pageable: false,
      onData: (d) => {
        const by = new Map();
        for (const r of d.rows) by.set(r.category_name || r.category, (by.get(r.category_name || r.category) || 0) + Number(r.value));
        clear(chart).append(el('h2', {}, t('safety.chart')), barChart([...by].map(([label, value]) => ({ label, value }))));
      },
    });
    const form = filterForm('safety-filters', [
      field(t('f.from'), 'from', month, 'month'), field(t('f.to'), 'to', month, 'month'), field(t('f.category'), 'category'),
    ], (p) => table.reload(p));
    view.append(el('h1', {}, t('safety.title')), form, table.node, chart);
    table.reload({ from: month, to: month });
  },
};

export const revolving = {
  async render(view) {
    const day = today();
    const recon = reportTable('/api/v1/revolving/reconcile', {}, { pageable: false });
    const daily = reportTable('/api/v1/revolving/daily', {}, { pageable: false });
    const form = filterForm('revolving-filters', [
      field(t('f.from'), 'from', addDays(day, -6), 'date'), field(t('f.to'), 'to', day, 'date'), field(t('f.model'), 'model'),
    ], (p) => daily.reload(p));
    view.append(el('h1', {}, t('rv.title')), el('h2', {}, t('rv.reconcile')), recon.node,
      el('h2', {}, t('rv.daily')), form, daily.node);
    recon.reload({});
    daily.reload({ from: addDays(day, -6), to: day });
  },
};

export const assessment = {
  async render(view) {
    const month = today().slice(0, 7);
    const table = reportTable('/api/v1/reports/assessment', {}, { pageable: false });
    const recovery = reportTable('/api/v1/reports/recovery', {}, { pageable: false });
    const form = filterForm('assessment-filters', [
      field(t('f.month'), 'month', month, 'month'), field(t('f.unit'), 'unit'), field(t('f.item'), 'item'),
    ], (p) => { table.reload(p); recovery.reload(p); });
    view.append(el('h1', {}, t('as.title')), form, table.node, el('h2', {}, t('as.recovery')), recovery.node);
    table.reload({ month });
    recovery.reload({ month });
  },
};
