// The web office: a shell (navigation, language, who is signed in) and one
// page per hash route (#/overview, #/issues, ...).  Pages are modules in
// pages/; each renders into <main> and may return a function that stops
// what it started (polling).
import { el, clear } from './dom.js';
import { api, whenSignedOut } from './api.js';
import { t, lang, setLang } from './i18n.js';

import * as signin from './pages/signin.js';
import * as overview from './pages/overview.js';
import * as stock from './pages/stock.js';
import * as reports from './pages/reports.js';
import * as equipment from './pages/equipment.js';
import * as workflow from './pages/workflow.js';
import * as exceptions from './pages/exceptions.js';
import * as fleet from './pages/fleet.js';
import * as users from './pages/users.js';

// Route -> page; `roles` only decides which links are shown: the server
// checks every request itself.
const PAGES = [
  { path: 'overview', page: overview, nav: 'nav.overview' },
  { path: 'stock', page: stock, nav: 'nav.stock' },
  { path: 'issues', page: reports.issues, nav: 'nav.issues', roles: ['storekeeper', 'material_office', 'finance', 'audit', 'leader', 'admin'] },
  { path: 'safety', page: reports.safety, nav: 'nav.safety', roles: ['material_office', 'finance', 'audit', 'leader', 'admin'] },
  { path: 'revolving', page: reports.revolving, nav: 'nav.revolving', roles: ['storekeeper', 'material_office', 'finance', 'audit', 'leader', 'admin'] },
  { path: 'assessment', page: reports.assessment, nav: 'nav.assessment', roles: ['storekeeper', 'material_office', 'finance', 'audit', 'leader', 'admin'] },
  { path: 'equipment', page: equipment, nav: 'nav.equipment', roles: ['repair_fitter', 'electromech', 'material_office', 'finance', 'audit', 'leader', 'admin'] },
  { path: 'inbox', page: workflow.inbox, nav: 'nav.inbox' },
  { path: 'instance', page: workflow.instance },
  { path: 'exceptions', page: exceptions, nav: 'nav.exceptions', roles: ['storekeeper', 'material_office', 'audit', 'leader', 'admin'] },
  { path: 'fleet', page: fleet, nav: 'nav.fleet', roles: ['storekeeper', 'electromech', 'material_office', 'audit', 'leader', 'admin'] },
  { path: 'users', page: users, nav: 'nav.users', roles: ['admin'] },
];

const state = { me: null, stop: null };
const view = document.getElementById('view');

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { path: parts[0] || 'overview', args: parts.slice(1) };
}

function shell() {
  const nav = clear(document.getElementById('nav'));
  const { path } = parseHash();
  if (state.me) {
    for (const p of PAGES) {
      if (!p.nav || (p.roles && !p.roles.includes(state.me.role))) continue;
      nav.appendChild(el('a', { href: '#/' + p.path, class: p.path === path ? 'active' : null, 'data-nav': p.path }, t(p.nav)));
    }
  }
  document.getElementById('who-name').textContent = state.me ? `${state.me.user} · ${state.me.role}${state.me.unit ? ' · ' + state.me.unit : ''}` : '';
  document.getElementById('lang-switch').textContent = t('lang.switch');
  const out = document.getElementById('sign-out');
  out.textContent = t('signout');
  out.hidden = !state.me;
  document.title = t('app.title');
}

async function render() {
  if (state.stop) { state.stop(); state.stop = null; }
  shell();
  clear(view);
  if (!state.me) {
    signin.render(view, { onSignedIn: (me) => { state.me = me; render(); } });
    return;
  }
  const { path, args } = parseHash();
  const entry = PAGES.find((p) => p.path === path) || PAGES[0];
  try {
    state.stop = (await entry.page.render(view, { me: state.me, args })) || null;
  } catch (e) {
    view.appendChild(el('p', { class: 'error' }, t('common.error', { msg: e.message })));
  }
  view.focus({ preventScroll: true });
}

async function start() {
  whenSignedOut(() => { if (state.me) { state.me = null; render(); } });
  document.getElementById('lang-switch').addEventListener('click', () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); });
  document.getElementById('sign-out').addEventListener('click', async () => {
    try { await api('/api/v1/session/logout', { method: 'POST', body: {} }); } catch { /* signed out anyway */ }
    state.me = null;
    render();
  });
  document.getElementById('menu-toggle').addEventListener('click', (e) => {
    const nav = document.getElementById('nav');
    nav.hidden = !nav.hidden;
    e.currentTarget.setAttribute('aria-expanded', String(!nav.hidden));
  });
  window.addEventListener('hashchange', render);
  try { state.me = await api('/api/v1/session'); } catch { state.me = null; }
  render();
}

start();
