// Officers: one application — its state, protocol and review, its data,
// its documents with the signer and the verification's result, its audit
// trail — and the review: the decisions the call's program allows, as the
// API lists them with the call (review.decisions: which need notes, a
// deadline, coded reasons), so this page knows no program.
import { h, page, alert, fact, rome, romeInstant, stateBadge, fieldErrors, add } from './ui.js';
import { api, get, ApiError } from './api.js';
import { route } from './app.js';
import { callNav, dueText } from './page-review-list.js';

route(/^#\/istruttoria\/domande\/([^/]+)$/, applicationPage);

// done is the outcome of the last action, shown once on the next drawing.
let done = null;

const actionLabel = {
  'submission.created': 'Bozza creata',
  'submission.updated': 'Dati modificati',
  'submission.filed': 'Inviata al protocollo',
  'submission.resubmitted': 'Inviata di nuovo dopo la correzione',
  'submission.reviewed': 'Decisione del funzionario',
  'submission.integrated': 'Integrazione inviata',
  'submission.withdrawn': 'Ritirata',
  'document.declared': 'Documento dichiarato',
  'document.verified': 'Documento verificato',
  'document.rejected': 'Documento respinto',
};

async function applicationPage(id) {
  const sub = await get(`/v1/submissions/${encodeURIComponent(id)}`);
  const call = await get(`/v1/calls/${encodeURIComponent(sub.callId)}`);
  const decisions = call.review?.decisions || [];
  const labelOf = (d) => decisions.find((x) => x.decision === d)?.label || d;
  const message = done;
  done = null;
  const title = sub.protocol ? `Domanda ${sub.protocol.number}` : 'Domanda in bozza';
  page(title,
    callNav(call, 'domande'),
    message ? Object.assign(alert('success', message), { id: 'done' }) : null,
    h('dl', { class: 'row', id: 'facts' },
      fact('Ente', sub.org),
      fact('Stato', stateBadge(sub.state)),
      fact('Protocollo', sub.protocol ? `${sub.protocol.number}, ${rome(sub.protocol.at, true)}` : 'non ancora inviata'),
      sub.resubmittedAt?.length ? fact('Inviata di nuovo', sub.resubmittedAt.map((t) => rome(t, true)).join('; ')) : null,
      sub.istruttoria ? fact('Termine dell\'istruttoria', dueText(sub.istruttoria)) : null,
      sub.withdrawal ? fact('Ritirata', rome(sub.withdrawal.at)) : null),
    sub.review ? h('section', { class: 'mb-4', id: 'last-review', 'aria-labelledby': 'rv-title' },
      h('h2', { class: 'h4', id: 'rv-title' }, 'Ultima decisione'),
      h('p', {}, `${labelOf(sub.review.decision)} — ${rome(sub.review.at)}`),
      sub.review.notes ? h('blockquote', { class: 'blockquote' }, sub.review.notes) : null,
      sub.review.deadline ? h('p', {}, `Termine: ${rome(sub.review.deadline)}`) : null,
      sub.review.reasons?.length ? h('p', {}, `Motivi: ${sub.review.reasons.join(', ')}`) : null,
      sub.review.admittedFacilities?.length ? h('p', {}, `Strutture ammesse: ${sub.review.admittedFacilities.join(', ')}`) : null) : null,
    sub.flags?.length ? h('section', { class: 'mb-4' }, h('h2', { class: 'h4' }, 'Punti da valutare'), h('ul', {}, ...sub.flags.map((f) => h('li', {}, f)))) : null,
    ['submitted', 'integration_requested'].includes(sub.state) && decisions.length ? reviewForm(sub, call) : null,
    h('section', { class: 'mb-4', 'aria-labelledby': 'data-title' },
      h('h2', { class: 'h4', id: 'data-title' }, 'Dati della domanda'),
      sub.data ? dataView(sub.data) : h('p', {}, 'Nessun dato.'),
      sub.derived ? h('div', {}, h('h3', { class: 'h5' }, 'Valori calcolati'), dataView(sub.derived)) : null),
    documentsSection(sub),
    auditSection(sub));
}


// dataView shows the form's data as sent, whatever the program: nested
// lists of names and values (the program's own labels are the applicant
// form's business).
function dataView(v) {
  if (Array.isArray(v)) {
    return h('ol', {}, ...v.map((x) => h('li', { class: 'mb-2' }, dataView(x))));
  }
  if (v && typeof v === 'object') {
    return h('dl', { class: 'row mb-0' }, ...Object.entries(v).flatMap(([k, x]) => [
      h('dt', { class: 'col-sm-4 text-break' }, k),
      h('dd', { class: 'col-sm-8 text-break' }, typeof x === 'object' && x !== null ? dataView(x) : show(x))]));
  }
  return show(v);
}
const show = (x) => (x === true ? 'sì' : x === false ? 'no' : x === null || x === '' ? '—' : String(x));

function reviewForm(sub, call) {
  const { decisions, exclusionReasons = [] } = call.review;
  const summary = h('div', { 'aria-live': 'assertive' });
  const notes = h('textarea', { id: 'review-notes', class: 'form-control', rows: '4', 'data-field': 'notes', maxlength: '4000' });
  const notesLabel = h('label', { for: 'review-notes', class: 'active' }, 'Note');
  const day = h('input', { type: 'date', id: 'review-deadline-day', class: 'form-control', 'data-field': 'deadline' });
  const time = h('input', { type: 'time', id: 'review-deadline-time', class: 'form-control', value: '12:00' });
  const deadlineHelp = h('small', { class: 'form-text', id: 'deadline-help' });
  const deadline = h('fieldset', { class: 'form-group d-none', id: 'deadline-group', 'aria-describedby': 'deadline-help' },
    h('legend', { class: 'h6' }, 'Termine (ora di Roma)'),
    h('div', { class: 'row g-3' },
      h('div', { class: 'col-md-6' }, h('label', { for: 'review-deadline-day', class: 'active' }, 'Giorno'), day),
      h('div', { class: 'col-md-6' }, h('label', { for: 'review-deadline-time', class: 'active' }, 'Ora'), time)),
    deadlineHelp);
  const reasons = h('fieldset', { class: 'form-group d-none', id: 'reasons-group' },
    h('legend', { class: 'h6' }, 'Motivi di esclusione'),
    ...exclusionReasons.map((r) => h('div', { class: 'form-check' },
      h('input', { class: 'form-check-input', type: 'checkbox', id: `reason-${r.code}`, value: r.code, 'data-field': 'reasons' }),
      h('label', { class: 'form-check-label', for: `reason-${r.code}` }, `${r.code} — ${r.title}`))));
  const form = h('form', { novalidate: true, id: 'review-form' },
    h('fieldset', { class: 'form-group' },
      h('legend', { class: 'h6' }, 'Decisione'),
      ...decisions.map((d, i) => h('div', { class: 'form-check' },
        h('input', { class: 'form-check-input', type: 'radio', name: 'decision', id: `decision-${d.decision}`, value: d.decision, checked: i === 0, 'data-field': 'decision' }),
        h('label', { class: 'form-check-label', for: `decision-${d.decision}` }, d.label)))),
    h('div', { class: 'form-group' }, notesLabel, notes),
    deadline, exclusionReasons.length ? reasons : null,
    summary,
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'review-submit' }, 'Registra la decisione'));
  const chosen = () => decisions.find((d) => d.decision === form.elements.decision.value);
  const fit = () => {
    const d = chosen();
    notesLabel.textContent = d.notes === 'required' ? 'Note (obbligatorie): saranno inviate all\'ente' : 'Note (facoltative)';
    notes.required = d.notes === 'required';
    deadline.classList.toggle('d-none', !d.deadline);
    day.required = d.deadline === 'required';
    deadlineHelp.textContent = d.deadline === 'required' ? 'Obbligatorio.' : 'Facoltativo: se non indicato vale il termine previsto dal bando.';
    reasons.classList.toggle('d-none', !d.reasons);
  };
  form.addEventListener('change', fit);
  fit();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = chosen();
    const body = { decision: d.decision };
    if (notes.value.trim()) body.notes = notes.value.trim();
    if (d.deadline && day.value) body.deadline = romeInstant(day.value, time.value || '12:00');
    if (d.reasons) {
      const codes = [...reasons.querySelectorAll('input:checked')].map((i) => i.value);
      if (codes.length) body.reasons = codes;
    }
    try {
      await api('POST', `/v1/submissions/${encodeURIComponent(sub.id)}/review`, { body });
      done = `Decisione registrata: ${d.label}. L'ente ne riceve comunicazione.`;
      await applicationPage(sub.id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      summary.replaceChildren(alert('danger', e.message));
      fieldErrors(form, e.errors, summary.firstChild);
    }
  });
  return h('section', { class: 'mb-4', 'aria-labelledby': 'review-title' },
    h('h2', { class: 'h4', id: 'review-title' }, 'Esame della domanda'), form);
}

function documentsSection(sub) {
  const body = h('div', {}, h('p', {}, 'Lettura dei documenti…'));
  const sec = h('section', { class: 'mb-4', 'aria-labelledby': 'docs-title' }, h('h2', { class: 'h4', id: 'docs-title' }, 'Documenti'), body);
  get(`/v1/submissions/${encodeURIComponent(sub.id)}/documents`).then(({ documents }) => {
    if (!documents.length) { body.replaceChildren(h('p', {}, 'Nessun documento.')); return; }
    const status = { pending: 'In verifica', verified: 'Verificato', rejected: 'Respinto' };
    body.replaceChildren(h('table', { class: 'table', id: 'documents' },
      h('caption', {}, 'Documenti caricati e verifica'),
      h('thead', {}, h('tr', {}, ...['Documento', 'Firmatario', 'Verifica', 'Impronta SHA-256'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...documents.map((d) => h('tr', {},
        h('td', {}, d.filename, h('div', { class: 'small' }, d.kind, d.ref ? ` · ${d.ref}` : '')),
        h('td', {}, (d.signers?.length ? d.signers : [d.signer]).filter(Boolean).join('; ') || '—'),
        h('td', {}, status[d.status] || d.status, d.status === 'verified' ? ` — firma ${d.signatureChecked ? 'verificata' : 'non richiesta'}` : '',
          d.reason ? h('div', { class: 'small' }, d.reason) : null),
        h('td', { class: 'mono small text-break' }, d.sha256))))));
  }).catch((e) => body.replaceChildren(alert('danger', e.message)));
  return sec;
}

// auditSection: the trail is read through an index that may lag the last
// action by a moment; the officer can read it again.
function auditSection(sub) {
  const body = h('div', {});
  const load = async () => {
    body.replaceChildren(h('p', {}, 'Lettura del registro…'));
    try {
      const { entries } = await get(`/v1/submissions/${encodeURIComponent(sub.id)}/audit`);
      body.replaceChildren(!entries?.length ? h('p', {}, 'Nessuna operazione registrata.') : h('table', { class: 'table table-sm', id: 'audit' },
        h('caption', {}, 'Operazioni registrate'),
        h('thead', {}, h('tr', {}, ...['Quando', 'Chi', 'Operazione', 'Dettagli'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...entries.map((e) => h('tr', { 'data-action': e.action },
          h('td', {}, rome(e.at, true)), h('td', { class: 'text-break' }, e.actor), h('td', {}, actionLabel[e.action] || e.action),
          h('td', { class: 'small text-break' }, Object.entries(e.detail || {}).map(([k, v]) => `${k}: ${v}`).join('; ')))))));
    } catch (e) {
      body.replaceChildren(alert('danger', e.message));
    }
  };
  load();
  return add(h('section', { class: 'mb-4', 'aria-labelledby': 'audit-title' }), [
    h('h2', { class: 'h4', id: 'audit-title' }, 'Registro delle operazioni'),
    h('p', { class: 'small' }, 'Le operazioni degli ultimi istanti possono comparire con un breve ritardo.'),
    h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm mb-2', id: 'audit-refresh', onclick: load }, 'Aggiorna il registro'),
    body]);
}
