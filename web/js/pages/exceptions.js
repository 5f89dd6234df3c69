// The exceptions queue (refused terminal events) and settling one.
import { el, clear, formValues } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { reportTable } from '../table.js';

export async function render(view) {
  const detail = el('div', { id: 'resolve' });
  const table = reportTable('/api/v1/exceptions', {}, { onRow: (r) => r.state === 'open' && resolveForm(r) });
  const state = el('select', { name: 'state' }, ['open', 'settled', 'all'].map((s) => el('option', { value: s }, t('ex.' + s))));
  const form = el('form', { class: 'filters' }, el('label', {}, t('f.state'), state),
    el('label', {}, t('f.terminal'), el('input', { name: 'terminal' })), el('button', { type: 'submit' }, t('common.filter')));
  form.addEventListener('submit', (e) => { e.preventDefault(); table.reload(formValues(form)); });

  function resolveForm(r) {
    const msg = el('p', { class: 'error', role: 'alert' });
    const f = el('form', { class: 'filters', id: 'resolve-form' },
      el('label', {}, t('ex.note'), el('input', { name: 'note', required: true, size: 40 })),
      el('label', {}, t('ex.movement'), el('input', { name: 'movement', inputmode: 'numeric' })),
      el('button', { type: 'submit' }, t('ex.resolve')), msg);
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = formValues(f);
      const body = { terminal: r.terminal, seq: r.seq, note: v.note || '' };
      if (v.movement) body.movement = Number(v.movement);
      try {
        await api('/api/v1/exceptions/resolve', { method: 'POST', body });
        clear(detail).appendChild(el('p', { class: 'notice' }, t('ex.resolved')));
        table.reload(formValues(form));
      } catch (err) { msg.textContent = err.message; }
    });
    clear(detail).append(el('h2', {}, `${r.terminal} #${r.seq}: ${r.reason}`), f);
  }
  view.append(el('h1', {}, t('ex.title')), form, detail, table.node);
  table.reload({ state: 'open' });
}
