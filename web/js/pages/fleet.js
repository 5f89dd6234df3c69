// The terminal fleet, refreshed by itself.
import { el, clear } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { simpleTable } from '../table.js';

const EVERY_S = 3;

export async function render(view) {
  const live = el('p', { class: 'live' });
  const body = el('div', { id: 'fleet' });
  view.append(el('h1', {}, t('fl.title')), live, body);
  async function refresh() {
    let d;
    try { d = await api('/api/v1/terminals'); } catch (e) { live.textContent = t('common.error', { msg: e.message }); return; }
    clear(body).appendChild(simpleTable([
      { key: 'id', label: t('fl.id') },
      { key: 'online', label: t('fl.online'), render: (r) => el('span', { class: 'badge ' + (r.online ? 'ok' : 'bad') }, r.online ? t('common.yes') : t('common.no')) },
      { key: 'last_seen', label: t('fl.last_seen'), render: (r) => r.last_seen.replace('T', ' ').slice(0, 19) },
      { key: 'applied_seq', label: t('fl.applied'), num: true },
      { key: 'held', label: t('fl.held'), num: true },
      { key: 'rejected_events', label: t('fl.rejected'), num: true },
      { key: 'rejected_messages', label: t('fl.rejected_msgs'), num: true },
      { key: 'firmware', label: t('fl.firmware') }, { key: 'board', label: t('fl.board') },
      { key: 'clock_suspect', label: t('fl.clock'), render: (r) => el('span', { class: 'badge ' + (r.clock_suspect ? 'warn' : 'ok') }, r.clock_suspect ? t('fl.clock_suspect') : t('fl.clock_ok')) },
    ], d.terminals));
    live.textContent = t('common.live', { s: EVERY_S, at: new Date().toTimeString().slice(0, 8) });
  }
  await refresh();
  const timer = setInterval(refresh, EVERY_S * 1000);
  return () => clearInterval(timer);
}
