// The /v1 API: the bearer token in the Authorization header (no cookie is
// ever sent: credentials 'omit'), problem+json turned into ApiError.
import { session } from './session.js';
import { saveBlob } from './ui.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `Errore ${status}.`);
    this.status = status;
    this.code = problem.code || '';
    this.errors = problem.errors || [];
    this.problem = problem;
  }
}

// api sends one request; it answers {data, etag} or throws ApiError.
// raw sends a body as it is (a CSV file) with its own Content-Type header.
export async function api(method, path, { body, raw, headers = {}, blob = false } = {}) {
  const h = { Accept: blob ? '*/*' : 'application/json', ...headers };
  if (session.token()) h.Authorization = `Bearer ${session.token()}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const payload = raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body);
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body: payload, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { detail: 'Il servizio non è raggiungibile. Verificare la connessione e riprovare.' });
  }
  if (!resp.ok) {
    let p = {};
    try { p = await resp.json(); } catch { /* not problem+json */ }
    if (resp.status === 401) session.clear();
    throw new ApiError(resp.status, p);
  }
  const etag = resp.headers.get('ETag');
  if (blob) return { data: await resp.blob(), etag, headers: resp.headers };
  const text = await resp.text();
  return { data: text ? JSON.parse(text) : null, etag, headers: resp.headers };
}

export const get = (path, opts) => api('GET', path, opts).then((r) => r.data);

// download fetches a file of the API (an export, a receipt) and offers it
// under the name its Content-Disposition gives, else fallback.
export async function download(path, fallback) {
  const r = await api('GET', path, { blob: true });
  const cd = r.headers.get('Content-Disposition') || '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) || cd.match(/filename="?([^";]+)"?/i);
  saveBlob(r.data, m ? decodeURIComponent(m[1]) : fallback);
}
