// Applicants: a rejected application (Piemonte's scheda) — the officer's
// notes and the correction deadline, the data to correct, and "Invia di
// nuovo" (same protocol number). A minimal view: every value of the data
// as sent, one input each, until the program's own form (drawn from its
// description) offers the same; the API checks the data either way and
// its field errors are shown beside the inputs.
import { h, page, alert, rome, stateBadge, fieldErrors } from './ui.js';
import { api, ApiError } from './api.js';
import { route } from './app.js';

route(/^#\/domande\/([^/]+)\/correzione$/, correctionPage);

let done = null;

async function correctionPage(id) {
  const path = `/v1/submissions/${encodeURIComponent(id)}`;
  const { data: sub, etag } = await api('GET', path);
  const message = done;
  done = null;
  const head = [
    message ? Object.assign(alert('success', message), { id: 'done' }) : null,
    h('p', {}, 'Stato: ', stateBadge(sub.state), sub.protocol ? ` — protocollo ${sub.protocol.number} del ${rome(sub.protocol.at, true)}` : ''),
  ];
  if (sub.state !== 'rejected') {
    page('Correzione della domanda', head,
      alert('info', sub.state === 'submitted' ? 'La domanda è stata inviata ed è in attesa dell\'esame della Regione.' : 'La domanda non è in correzione.'));
    return;
  }
  const r = sub.review || {};
  const notice = alert('warning',
    h('p', { class: 'mb-1' }, h('strong', {}, 'La Regione ha chiesto di correggere la domanda.')),
    h('p', { class: 'mb-1', id: 'review-notes' }, r.notes || ''),
    r.deadline ? h('p', { class: 'mb-0', id: 'review-deadline' }, `Termine per inviarla di nuovo: ${rome(r.deadline)}.`) : null);
  const summary = h('div', { 'aria-live': 'assertive' });
  const inputs = [];
  const form = h('form', { novalidate: true, id: 'correction-form' },
    editor(sub.data, [], inputs),
    summary,
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'resend' }, 'Salva e invia di nuovo'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = structuredClone(sub.data);
    for (const { path: p, input, kind } of inputs) set(data, p, read(input, kind));
    try {
      await api('PUT', path, { body: { data }, headers: { 'If-Match': etag || String(sub.version) } });
      await api('POST', `${path}/submit`, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
      done = 'Domanda inviata di nuovo alla Regione, con lo stesso numero di protocollo.';
      await correctionPage(id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 412) {
        summary.replaceChildren(alert('danger', 'La domanda è stata modificata nel frattempo. ',
          h('button', { type: 'button', class: 'btn btn-link p-0', onclick: () => correctionPage(id) }, 'Ricarica la domanda'), '.'));
        return;
      }
      summary.replaceChildren(alert('danger', e.message));
      fieldErrors(form, e.errors, summary.firstChild);
    }
  });
  page('Correzione della domanda', head, notice, form);
}

// editor draws one input per value of the data, grouped as the data are.
function editor(v, path, inputs) {
  if (Array.isArray(v)) {
    return v.map((x, i) => h('fieldset', { class: 'border rounded p-3 mb-3' },
      h('legend', { class: 'h6 w-auto px-2' }, x && typeof x === 'object' && x.name ? x.name : `${path[path.length - 1] || 'Voce'} ${i + 1}`),
      editor(x, [...path, i], inputs)));
  }
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => editor(x, [...path, k], inputs));
  const id = `f-${path.join('-')}`;
  const label = String(path[path.length - 1]);
  const field = path.join('.');
  if (typeof v === 'boolean') {
    const input = h('input', { class: 'form-check-input', type: 'checkbox', id, checked: v, 'data-field': field });
    inputs.push({ path, input, kind: 'boolean' });
    return h('div', { class: 'form-check' }, input, h('label', { class: 'form-check-label', for: id }, label));
  }
  const kind = typeof v === 'number' ? 'number' : 'string';
  const input = h('input', { class: 'form-control', type: kind === 'number' ? 'number' : 'text', id, value: v ?? '', 'data-field': field, step: kind === 'number' ? 'any' : null });
  inputs.push({ path, input, kind });
  return h('div', { class: 'form-group' }, h('label', { for: id, class: 'active' }, label), input);
}

function read(input, kind) {
  if (kind === 'boolean') return input.checked;
  if (kind === 'number') return input.value === '' ? null : Number(input.value);
  return input.value;
}

function set(obj, path, value) {
  let o = obj;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = value;
}
