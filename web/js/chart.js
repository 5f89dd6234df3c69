// Small SVG charts drawn here (no library): a line chart of series over
// labelled points and a horizontal bar chart.  Labels go in with
// textContent like everything else.
import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1d4e89', '#d9822b', '#2e8b57', '#8e44ad', '#c0392b', '#16a085'];

function svg(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v) {
  if (Math.abs(v) >= 1e8) return (v / 1e8).toFixed(1) + (document.documentElement.lang === 'en' ? '00M' : '亿');
  if (Math.abs(v) >= 1e4) return (v / 1e4).toFixed(1) + (document.documentElement.lang === 'en' ? '0k' : '万');
  return String(Math.round(v * 100) / 100);
}

function legend(series) {
  // Colours by class (c0..c5 in app.css): the policy allows no inline style.
  return el('div', { class: 'legend' }, series.map((s, i) =>
    el('span', { class: 'c' + (i % COLORS.length) }, s.name)));
}

// labels: x labels; series: [{name, values: [numbers]}].
export function lineChart(labels, series, { height = 220, title } = {}) {
  const W = 720, H = height, L = 56, R = 12, T = 12, B = 28;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i) => L + (labels.length > 1 ? (i * (W - L - R)) / (labels.length - 1) : 0);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  if (title) root.appendChild(svg('title', {}, title));
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    root.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e3e8ee' }));
    root.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  const step = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((lab, i) => {
    if (i % step === 0 || i === labels.length - 1)
      root.appendChild(svg('text', { x: x(i), y: H - 8, 'text-anchor': 'middle' }, lab));
  });
  series.forEach((s, si) => {
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    root.appendChild(svg('polyline', { points: pts, fill: 'none', stroke: COLORS[si % COLORS.length], 'stroke-width': 2 }));
    s.values.forEach((v, i) => {
      const dot = svg('circle', { cx: x(i), cy: y(v), r: 2.5, fill: COLORS[si % COLORS.length] });
      dot.appendChild(svg('title', {}, `${s.name} ${labels[i]}: ${v}`));
      root.appendChild(dot);
    });
  });
  return el('figure', { class: 'chart-figure' }, root, legend(series));
}

// items: [{label, value}] drawn as horizontal bars.
export function barChart(items, { title, unit = '' } = {}) {
  const row = 26, L = 160, R = 80, W = 720;
  const H = Math.max(1, items.length) * row + 8;
  const max = niceMax(Math.max(0, ...items.map((i) => i.value)));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  if (title) root.appendChild(svg('title', {}, title));
  items.forEach((it, i) => {
    const yy = 4 + i * row, w = ((W - L - R) * Math.max(0, it.value)) / max;
    root.appendChild(svg('text', { x: L - 6, y: yy + 16, 'text-anchor': 'end' }, it.label));
    const bar = svg('rect', { x: L, y: yy + 3, width: Math.max(1, w), height: row - 8, fill: COLORS[0], rx: 2 });
    bar.appendChild(svg('title', {}, `${it.label}: ${it.value}${unit}`));
    root.appendChild(bar);
    root.appendChild(svg('text', { x: L + w + 6, y: yy + 16 }, fmt(it.value) + unit));
  });
  return el('figure', { class: 'chart-figure' }, root);
}
