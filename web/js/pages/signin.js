import { el } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';

export function render(view, { onSignedIn }) {
  const msg = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'stack', id: 'signin-form' },
    el('label', {}, t('signin.user'), el('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true })),
    el('label', {}, t('signin.password'), el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    el('button', { type: 'submit' }, t('signin.submit')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    const f = new FormData(form);
    try {
      const me = await api('/api/v1/session', { method: 'POST', body: { user: String(f.get('user')), password: String(f.get('password')) } });
      onSignedIn(me);
    } catch (err) {
      msg.textContent = err.status === 429 ? t('signin.throttled', { s: err.retryAfter || '?' }) : t('signin.failed');
    }
  });
  view.appendChild(el('div', { class: 'panel signin' }, el('h1', {}, t('signin.title')), form));
}
