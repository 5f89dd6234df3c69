// The workflow inbox (tasks for my name and my workflow roles), an
// instance's history with the form to act on its open tasks, and the
// bottleneck chart from the metrics route.
import { el, clear, today, addDays } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { simpleTable } from '../table.js';
import { barChart } from '../chart.js';

function when(s) { return s ? s.replace('T', ' ').slice(0, 16) : ''; }

async function bottlenecks(node) {
  let defs;
  try { defs = (await api('/api/v1/workflow/definitions')).definitions; } catch { return; }
  const names = [...new Set(defs.map((d) => d.name))];
  if (!names.length) return;
  const select = el('select', { id: 'metrics-definition' }, names.map((n) => el('option', { value: n }, n)));
  const chart = el('div');
  async function draw() {
    try {
      const m = await api('/api/v1/workflow/metrics?' + new URLSearchParams({ definition: select.value, from: addDays(today(), -90), to: addDays(today(), 1) }));
      clear(chart).appendChild(barChart(m.steps.filter((s) => s.kind === 'task').map((s) => ({ label: s.step, value: Math.round(((s.waiting_p50_s ?? 0) / 3600) * 10) / 10 })), { unit: 'h' }));
    } catch (e) { clear(chart).appendChild(el('p', { class: 'muted' }, e.status === 403 ? t('common.forbidden') : e.message)); }
  }
  select.addEventListener('change', draw);
  node.append(el('h2', {}, t('wf.bottlenecks')), select, chart);
  draw();
}

export const inbox = {
  async render(view, { me }) {
    view.append(el('h1', {}, t('wf.inbox')));
    const seen = new Map();
    for (const role of ['', ...(me.wf_roles || [])]) {
      const d = await api('/api/v1/workflow/tasks' + (role ? '?role=' + encodeURIComponent(role) : ''));
      for (const task of d.tasks) seen.set(task.instance + '/' + task.token, task);
    }
    const tasks = [...seen.values()];
    view.appendChild(el('div', { id: 'inbox' }, tasks.length ? simpleTable([
      { key: 'definition', label: t('wf.definition') }, { key: 'title', label: t('wf.title') },
      { key: 'unit', label: t('wf.unit') }, { key: 'started_by', label: t('wf.started_by') },
      { key: 'activated', label: t('wf.activated'), render: (r) => when(r.activated) },
      { key: 'due', label: t('wf.due'), render: (r) => when(r.due) },
      { key: 'open', label: '', render: (r) => el('a', { href: `#/instance/${r.instance}`, 'data-open': `${r.instance}/${r.token}` }, t('wf.open')) },
    ], tasks) : el('p', { class: 'muted' }, t('wf.none'))));
    const chart = el('section', { class: 'panel', id: 'bottlenecks' });
    view.appendChild(chart);
    bottlenecks(chart);
  },
};

function actForm(inst, tok, me, done) {
  const roles = (me.wf_roles || []).filter((r) => !tok.role || r === tok.role);
  const msg = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'filters', 'data-token': tok.token },
    el('label', {}, t('wf.action'), el('select', { name: 'action' }, tok.actions.map((a) => el('option', { value: a }, a)))),
    roles.length ? el('label', {}, t('wf.role'), el('select', { name: 'role' }, roles.map((r) => el('option', { value: r }, r)))) : null,
    tok.checklist.length ? el('fieldset', {}, el('legend', {}, t('wf.documents')),
      tok.checklist.map((d) => el('label', {}, el('input', { type: 'checkbox', name: 'doc', value: d }), d))) : null,
    el('button', { type: 'submit' }, t('wf.act')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = { action: String(f.get('action')), expect: inst.seq, documents: f.getAll('doc').map(String) };
    if (f.get('role')) body.role = String(f.get('role'));
    try {
      await api(`/api/v1/workflow/instances/${inst.instance}/tasks/${tok.token}`, { method: 'POST', body });
      done(t('wf.done', { action: body.action }));
    } catch (err) { msg.textContent = err.message; }
  });
  return el('section', { class: 'panel' }, el('h2', {}, tok.title || tok.step), form);
}

export const instance = {
  async render(view, { me, args }) {
    const id = Number(args[0]);
    async function show(note) {
      clear(view);
      const inst = await api(`/api/v1/workflow/instances/${id}`);
      view.append(el('p', {}, el('a', { href: '#/inbox' }, '← ' + t('common.back'))),
        el('h1', {}, t('wf.instance', { id }), ' · ', inst.definition),
        note ? el('p', { class: 'notice', id: 'act-done' }, note) : null);
      // Forms for the tasks of my roles (or given by name); the engine decides in the end.
      const mine = (x) => !x.role || (me.wf_roles || []).includes(x.role);
      for (const tok of inst.tokens.filter((x) => x.state === 'active' && x.actions && mine(x)))
        view.appendChild(actForm(inst, tok, me, show));
      view.append(el('h2', {}, t('wf.tokens')), simpleTable([
        { key: 'step', label: t('wf.step') }, { key: 'state', label: t('wf.state') },
        { key: 'done_by', label: t('wf.user') }, { key: 'action', label: t('wf.action') },
        { key: 'due', label: t('wf.due'), render: (r) => when(r.due) }], inst.tokens),
      el('h2', {}, t('wf.log')), el('div', { id: 'instance-log' }, simpleTable([
        { key: 'seq', label: '#', num: true }, { key: 'at', label: t('ev.at'), render: (r) => when(r.at) },
        { key: 'kind', label: t('ev.type') }, { key: 'user', label: t('wf.user') }, { key: 'role', label: t('wf.role') },
        { key: 'action', label: t('wf.action') }, { key: 'from', label: t('wf.from') }, { key: 'to', label: t('wf.to') }], inst.log)));
    }
    await show();
  },
};
