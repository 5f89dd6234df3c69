// Stock by warehouse and item; a row opens its lots (FIFO order, what is
// left of each, with value); work-area stock with its value below.
import { el, clear, formValues, query } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { simpleTable, reportTable } from '../table.js';

export async function render(view) {
  const list = el('div', { id: 'stock-list' });
  const lots = el('div', { id: 'lots' });
  const form = el('form', { class: 'filters', id: 'stock-filters' },
    el('label', {}, t('f.warehouse'), el('input', { name: 'warehouse' })),
    el('label', {}, t('f.item'), el('input', { name: 'item' })),
    el('button', { type: 'submit' }, t('common.filter')));
  const areas = reportTable('/api/v1/stock/work-areas', {});
  view.append(el('h1', {}, t('stock.title')), form, el('p', { class: 'muted' }, t('stock.click'), ' ', t('stock.noexport')),
    list, lots, el('h2', {}, t('stock.workareas')), areas.node);

  function showLots(r) {
    const table = reportTable('/api/v1/stock/lots', { warehouse: r.warehouse, item: r.item });
    clear(lots).append(el('h2', {}, t('stock.lots', { wh: r.warehouse, item: r.item })), table.node);
    table.reload({ warehouse: r.warehouse, item: r.item });
  }
  async function load() {
    clear(list).appendChild(el('p', { class: 'muted' }, t('common.loading')));
    try {
      const d = await api('/api/v1/stock' + query(formValues(form)));
      clear(list).appendChild(simpleTable([
        { key: 'warehouse', label: t('f.warehouse') }, { key: 'item', label: t('f.item') },
        { key: 'qty', label: t('stock.qty'), num: true }], d.stock, { onRow: showLots }));
    } catch (e) {
      clear(list).appendChild(el('p', { class: 'error' }, e.status === 403 ? t('common.forbidden') : t('common.error', { msg: e.message })));
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  areas.reload({});
  await load();
}
