// The /v1 API: the bearer token in the Authorization header (no cookie is
// ever sent: credentials 'omit'), problem+json turned into ApiError.
import { session } from './session.js';

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
export async function api(method, path, { body, headers = {}, blob = false } = {}) {
  const h = { Accept: blob ? '*/*' : 'application/json', ...headers };
  if (session.token()) h.Authorization = `Bearer ${session.token()}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
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
