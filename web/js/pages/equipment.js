// Equipment: the register with each asset's latest step, and an asset's
// archive.  INTERIM: the repair routes (states, repair records) are being
// added separately; until they are, the archive is the register row and
// the repair steps the terminals journaled (GET /api/v1/equipment/archive).
import { el, clear, today, addDays } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { simpleTable } from '../table.js';
import { barChart } from '../chart.js';

async function cycleChart(node) {
  // Repair time per stage: the repair-shop process's working time per step.
  try {
    const d = await api('/api/v1/workflow/metrics?' + new URLSearchParams({ definition: 'repair-shop', from: addDays(today(), -365), to: addDays(today(), 1) }));
    const items = d.steps.filter((s) => s.kind === 'task').map((s) => ({ label: s.step, value: Math.round(((s.working_p50_s ?? s.waiting_p50_s ?? 0) / 3600) * 10) / 10 }));
    clear(node).append(el('h2', {}, t('eq.cycle')), barChart(items, { unit: 'h' }));
  } catch { clear(node); }
}

async function archive(view, asset) {
  view.append(el('p', {}, el('a', { href: '#/equipment' }, '← ' + t('common.back'))), el('h1', {}, t('eq.archive', { asset })));
  const d = await api('/api/v1/equipment/archive?' + new URLSearchParams({ asset }));
  const a = d.asset;
  view.append(el('div', { class: 'cards', id: 'asset-card' },
    [['eq.asset', a.asset], ['eq.model', a.model], ['f.item', a.item], ['eq.unit', a.unit], ['eq.active', a.active ? t('common.yes') : t('common.no')]]
      .map(([k, v]) => el('div', { class: 'card' }, el('div', { class: 'label' }, t(k)), el('div', { class: 'value' }, v || '—')))),
  el('h2', {}, t('eq.steps')),
  el('div', { id: 'asset-steps' }, simpleTable([
    { key: 'at', label: t('ev.at'), render: (r) => r.at.replace('T', ' ').slice(0, 19) },
    { key: 'step', label: t('eq.step') }, { key: 'result', label: t('eq.result') },
    { key: 'operator', label: t('ev.operator') }, { key: 'terminal', label: t('ev.terminal') }, { key: 'unit', label: t('eq.unit') },
  ], d.steps)));
}

export async function render(view, { args }) {
  if (args[0]) return archive(view, args[0]);
  const chart = el('div', { id: 'cycle-chart' });
  view.append(el('h1', {}, t('eq.title')), el('p', { class: 'notice', id: 'equipment-interim' }, t('eq.interim')));
  const d = await api('/api/v1/equipment');
  view.append(el('div', { id: 'equipment-list' }, simpleTable([
    { key: 'asset', label: t('eq.asset'), render: (r) => el('a', { href: '#/equipment/' + encodeURIComponent(r.asset), 'data-asset': r.asset }, r.asset) },
    { key: 'model', label: t('eq.model') }, { key: 'unit', label: t('eq.unit') },
    { key: 'active', label: t('eq.active'), render: (r) => (r.active ? t('common.yes') : t('common.no')) },
    { key: 'last_step', label: t('eq.last_step') }, { key: 'last_result', label: t('eq.last_result') },
    { key: 'last_at', label: t('eq.last_at'), render: (r) => r.last_at.replace('T', ' ').slice(0, 19) },
  ], d.rows)), chart);
  cycleChart(chart);
}
