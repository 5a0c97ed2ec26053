// Officers: a call's reference lists (the CSV files the Region keeps
// today: Piemonte's pre-loaded services, Lombardy's AFAM_UDOS facilities),
// imported whole or not at all, and the proroga of a window that has not
// closed (its schedules move with it).
import { h, page, alert, rome, romeInstant, fieldErrors } from './ui.js';
import { api, get, ApiError } from './api.js';
import { route } from './app.js';
import { callNav } from './page-review-list.js';

route(/^#\/istruttoria\/([^/]+)\/gestione$/, adminPage);

let done = null;

const kinds = [
  ['preloaded', 'Servizi pre-caricati per ciascun Comune (CSV)'],
  ['facility', 'Anagrafica delle strutture AFAM_UDOS (CSV)'],
];

async function adminPage(callId) {
  const call = await get(`/v1/calls/${encodeURIComponent(callId)}`);
  const message = done;
  done = null;
  page('Elenchi di riferimento e proroga',
    callNav(call, 'gestione'),
    message ? Object.assign(alert('success', message), { id: 'done' }) : null,
    registryForm(call),
    windowsSection(call));
}

function registryForm(call) {
  const result = h('div', { 'aria-live': 'polite' });
  const file = h('input', { type: 'file', id: 'registry-file', class: 'form-control', accept: '.csv,text/csv', 'data-field': 'file' });
  const form = h('form', { novalidate: true, id: 'registry-form' },
    h('fieldset', { class: 'form-group' },
      h('legend', { class: 'h6' }, 'Elenco'),
      ...kinds.map(([k, label], i) => h('div', { class: 'form-check' },
        h('input', { class: 'form-check-input', type: 'radio', name: 'kind', id: `kind-${k}`, value: k, checked: i === 0 }),
        h('label', { class: 'form-check-label', for: `kind-${k}` }, label)))),
    h('div', { class: 'form-group' },
      h('label', { for: 'registry-file', class: 'active' }, 'File CSV (UTF-8)'), file,
      h('small', { class: 'form-text' }, 'L\'elenco è importato solo se ogni riga è valida; altrimenti nulla cambia e sono indicate le righe da correggere.')),
    result,
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'registry-submit' }, 'Importa l\'elenco'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { result.replaceChildren(alert('danger', 'Scegliere il file da importare.')); return; }
    const kind = form.elements.kind.value;
    try {
      const { data } = await api('POST', `/v1/calls/${encodeURIComponent(call.id)}/registry?kind=${kind}`, { raw: await f.text(), headers: { 'Content-Type': 'text/csv' } });
      result.replaceChildren(alert('success', `Elenco importato: ${data.imported} righe.`));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      result.replaceChildren(alert('danger', e.message), h('ul', { id: 'registry-errors' }, ...e.errors.slice(0, 50).map((x) => h('li', {}, x.field ? `${x.field}: ${x.message}` : x.message))));
    }
  });
  return h('section', { class: 'mb-5', 'aria-labelledby': 'reg-title' }, h('h2', { class: 'h4', id: 'reg-title' }, 'Importazione degli elenchi di riferimento'), form);
}

function windowsSection(call) {
  return h('section', { class: 'mb-4', 'aria-labelledby': 'win-title' },
    h('h2', { class: 'h4', id: 'win-title' }, 'Finestre e proroga'),
    ...call.windows.map((w) => h('div', { class: 'card-call', 'data-window': w.id },
      h('h3', { class: 'h5' }, `Finestra ${w.id}`),
      h('p', {}, `Apertura: ${rome(w.opensAt)}. Termine: ${rome(w.closesAt)}`, w.closesOn ? ` (${w.deadline})` : '', '.'),
      w.state === 'closed' ? h('p', { class: 'small' }, 'Finestra chiusa: non può essere prorogata.') : extendForm(call, w))));
}

function extendForm(call, w) {
  const id = (x) => `${x}-${w.id}`;
  const day = h('input', { type: 'date', id: id('extend-day'), class: 'form-control', 'data-field': 'closesAt', required: true });
  const time = h('input', { type: 'time', id: id('extend-time'), class: 'form-control', value: '12:00' });
  const reason = h('input', { type: 'text', id: id('extend-reason'), class: 'form-control', maxlength: '1000', 'data-field': 'reason' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { novalidate: true, class: 'extend-form' },
    h('div', { class: 'row g-3' },
      h('div', { class: 'col-md-4 form-group' }, h('label', { for: id('extend-day'), class: 'active' }, 'Nuovo termine: giorno'), day),
      h('div', { class: 'col-md-2 form-group' }, h('label', { for: id('extend-time'), class: 'active' }, 'Ora (Roma)'), time),
      h('div', { class: 'col-md-6 form-group' }, h('label', { for: id('extend-reason'), class: 'active' }, 'Motivo (atto di proroga)'), reason)),
    summary,
    h('button', { type: 'submit', class: 'btn btn-outline-primary', id: id('extend-submit') }, 'Proroga il termine'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!day.value) { summary.replaceChildren(alert('danger', 'Indicare il giorno del nuovo termine.')); return; }
    const body = { closesAt: romeInstant(day.value, time.value || '12:00') };
    if (reason.value.trim()) body.reason = reason.value.trim();
    try {
      const { data } = await api('PATCH', `/v1/calls/${encodeURIComponent(call.id)}/windows/${encodeURIComponent(w.id)}`, { body });
      const nw = data.windows.find((x) => x.id === w.id);
      done = `Termine della finestra ${w.id} prorogato al ${rome(nw.closesAt)}.`;
      await adminPage(call.id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      summary.replaceChildren(alert('danger', e.message));
      fieldErrors(form, e.errors, summary.firstChild);
    }
  });
  return form;
}
