// The first page: the figures the office looks at, refreshed every few
// seconds so a scan at a counter shows here as it arrives.
import { el, clear } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { simpleTable } from '../table.js';
import { lineChart } from '../chart.js';

const EVERY_S = 3;

function card(label, value, sub, alert, key) {
  return el('div', { class: 'card' + (alert ? ' alert' : ''), 'data-card': key },
    el('div', { class: 'label' }, label), el('div', { class: 'value' }, value),
    sub ? el('div', { class: 'muted' }, sub) : null);
}

export async function render(view) {
  const live = el('p', { class: 'live', id: 'live' });
  const cards = el('div', { class: 'cards', id: 'cards' });
  const recent = el('div', { id: 'recent' });
  const trend = el('div', { id: 'trend' });
  view.append(el('h1', {}, t('ov.title')), live, cards,
    el('div', { class: 'grid2' },
      el('section', { class: 'panel' }, el('h2', {}, t('ov.recent')), recent),
      el('section', { class: 'panel' }, el('h2', {}, t('ov.trend')), trend)));

  async function refresh() {
    let o;
    try { o = await api('/api/v1/overview'); } catch (e) { live.textContent = t('common.error', { msg: e.message }); return; }
    clear(cards).append(
      card(t('ov.stock_value'), '¥' + o.stock_value, null, false, 'stock_value'),
      card(t('ov.receipts'), '¥' + o.today.receipt_value, t('ov.lines', { n: o.today.receipt_lines }), false, 'receipts'),
      card(t('ov.issues'), '¥' + o.today.issue_value, t('ov.lines', { n: o.today.issue_lines }), false, 'issues'),
      card(t('ov.exceptions'), o.exceptions_open, null, o.exceptions_open > 0, 'exceptions'),
      card(t('ov.offline'), `${o.terminals_offline} / ${o.terminals}`, null, o.terminals_offline > 0, 'offline'),
      card(t('ov.approvals'), o.approvals_waiting, null, false, 'approvals'));
    clear(recent).appendChild(simpleTable([
      { key: 'at', label: t('ev.at'), render: (r) => r.at.slice(11, 19) },
      { key: 'terminal', label: t('ev.terminal') }, { key: 'seq', label: t('ev.seq'), num: true },
      { key: 'type', label: t('ev.type') }, { key: 'warehouse', label: t('ev.warehouse') },
      { key: 'item', label: t('ev.item') }, { key: 'qty', label: t('ev.qty'), num: true },
      { key: 'status', label: t('ev.status'), render: (r) => el('span', { class: 'badge ' + (r.status === 'applied' ? 'ok' : 'bad') }, t('ev.' + r.status)) },
    ], o.recent));
    clear(trend).appendChild(lineChart(o.trend.map((d) => d.day.slice(5)), [
      { name: t('trend.receipts'), values: o.trend.map((d) => Number(d.receipts)) },
      { name: t('trend.issues'), values: o.trend.map((d) => Number(d.issues)) },
    ], { title: t('ov.trend') }));
    live.textContent = t('common.live', { s: EVERY_S, at: o.at.slice(11, 19) });
  }

  await refresh();
  const timer = setInterval(refresh, EVERY_S * 1000);
  return () => clearInterval(timer);
}
