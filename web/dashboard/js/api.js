// api.js — the dashboard's only way to the certmill API: bearer key from sessionStorage,
// RFC 9457 problems turned into ApiError, conditional GETs with ETag / If-None-Match.

const KEY_ITEM = 'certmill.api_key';

// The key lives in sessionStorage only: it goes when the tab closes, never to localStorage or a cookie.
export function getKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

export function setKey(key) {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY_ITEM);
}

// An API answer that was not 2xx/304: status, the problem object (or one made up for a network failure).
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || null;
    this.field = problem.field || null;
  }
}

// Reads a problem body if there is one; otherwise a problem from the status line.
async function readProblem(resp) {
  let p = null;
  try {
    const t = await resp.text();
    p = t ? JSON.parse(t) : null;
  } catch (_) {
    p = null;
  }
  if (!p || typeof p !== 'object') p = { title: resp.statusText || 'Error', status: resp.status };
  return p;
}

// One call to /v1. Options: body (JSON), headers, etag (sent as If-None-Match), raw (return the Response),
// key (another key than the stored one), quiet (a 401 does not log out).
// Answers {status, data, etag} with data null on 204/304.
export async function api(method, path, opts = {}) {
  const key = opts.key || getKey();
  const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.etag) headers['If-None-Match'] = opts.etag;
  let resp;
  try {
    // no-store: the browser's cache must not answer for us; the 304 has to reach this code.
    resp = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, {
      code: 'network_error',
      title: 'The server cannot be reached',
      detail: `No answer from ${location.host}: ${e.message}`,
    });
  }
  if (resp.status === 401) {
    const p = await readProblem(resp);
    const err = new ApiError(401, p);
    if (!opts.quiet) window.dispatchEvent(new CustomEvent('certmill:unauthorized', { detail: err }));
    throw err;
  }
  if (!resp.ok && resp.status !== 304) throw new ApiError(resp.status, await readProblem(resp));
  if (opts.raw) return resp;
  const etag = resp.headers.get('ETag');
  if (resp.status === 304 || resp.status === 204) return { status: resp.status, data: null, etag };
  const text = await resp.text();
  return { status: resp.status, data: text ? JSON.parse(text) : null, etag };
}

// Builds a query string from the members that have a value.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// All pages of a list, up to max rows (the dashboard shows hundreds, not the whole fleet).
export async function listAll(path, params, max = 1000) {
  const rows = [];
  let cursor = null;
  do {
    const r = await api('GET', path + query(Object.assign({}, params, { limit: 200, cursor })));
    rows.push(...r.data.data);
    cursor = r.data.next_cursor;
  } while (cursor && rows.length < max);
  return { rows, more: Boolean(cursor) };
}

// Fetches a file the API serves with its Content-Disposition and hands it to the browser as a download.
export async function download(path, headers) {
  const resp = await api('GET', path, { raw: true, headers });
  const cd = resp.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(cd);
  const name = m ? m[1] : path.split('/').slice(-2, -1)[0];
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}
