// The JSON API, same origin: the session cookie goes by itself; every POST
// carries the session's CSRF token (the tt_csrf cookie, sent back as the
// X-CSRF-Token header, which the server compares with the session's).

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === 'tt_csrf') return v || '';
  }
  return '';
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    headers['X-CSRF-Token'] = csrfToken();
  }
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  if (r.status === 401 && path !== '/api/v1/session') onSignedOut();
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || r.statusText, Number(r.headers.get('Retry-After') || 0));
  return data;
}
