// Chinese by default, English on request: one dictionary per language
// (lang/zh.js, lang/en.js), the choice kept in localStorage.
import zh from './lang/zh.js';
import en from './lang/en.js';

const DICTS = { zh, en };
let current = localStorage.getItem('tt.lang') === 'en' ? 'en' : 'zh';

export function lang() { return current; }

export function setLang(l) {
  current = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('tt.lang', current);
  document.documentElement.lang = current === 'en' ? 'en' : 'zh-CN';
}

// The text of `key`, with {name} placeholders filled from vars.
export function t(key, vars) {
  let s = DICTS[current][key] ?? DICTS.zh[key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll('{' + k + '}', String(v));
  return s;
}

// A report column's heading in the current language (the API gives both).
export function colLabel(col) { return current === 'en' ? col.en : col.zh; }

document.documentElement.lang = current === 'en' ? 'en' : 'zh-CN';
