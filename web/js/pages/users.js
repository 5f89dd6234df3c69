// Users of the web office (admin): the list, and creating or changing one.
import { el, clear, formValues } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { simpleTable } from '../table.js';

const ROLES = ['storekeeper', 'repair_fitter', 'electromech', 'material_office', 'finance', 'audit', 'leader', 'admin'];

export async function render(view) {
  const list = el('div', { id: 'users' });
  const msg = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'filters', id: 'user-form' },
    el('label', {}, t('us.name'), el('input', { name: 'name', required: true })),
    el('label', {}, t('us.role'), el('select', { name: 'role' }, ROLES.map((r) => el('option', { value: r }, r)))),
    el('label', {}, t('us.unit'), el('input', { name: 'unit' })),
    el('label', {}, t('us.wf_roles'), el('input', { name: 'wf_roles' })),
    el('label', {}, t('us.password'), el('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    el('button', { type: 'submit' }, t('us.save')), msg);
  async function load() {
    const d = await api('/api/v1/users');
    clear(list).appendChild(simpleTable([
      { key: 'user', label: t('us.name') }, { key: 'role', label: t('us.role') }, { key: 'unit', label: t('us.unit') },
      { key: 'wf_roles', label: t('us.wf_roles'), render: (r) => r.wf_roles.join(', ') },
      { key: 'active', label: t('us.active'), render: (r) => (r.active ? t('common.yes') : t('common.no')) }], d.users));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = formValues(form);
    try {
      await api('/api/v1/users', { method: 'POST', body: { name: v.name, role: v.role, unit: v.unit || '', wf_roles: v.wf_roles || '', ...(v.password ? { password: v.password } : {}) } });
      msg.textContent = '';
      form.reset();
      load();
    } catch (err) { msg.textContent = err.message; }
  });
  view.append(el('h1', {}, t('us.title')), form, list);
  await load();
}
