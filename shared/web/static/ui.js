// Building blocks of the pages: elements made without innerHTML (data never
// becomes markup), dates in Rome with the zone stated, euro amounts from the
// API's decimal strings.

// h builds an element: h('p', {class: 'lead'}, 'testo', h('strong', {}, 'x')).
// Attributes "on<event>" with a function become listeners.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  add(el, children);
  return el;
}

export function add(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// icon is a Bootstrap Italia sprite, decorative (the text beside it says what it means).
export function icon(name, cls = 'icon-sm') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', `icon ${cls}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `/web/sprites.svg#${name}`);
  svg.append(use);
  return svg;
}

// page replaces the main content, sets the document title and moves focus
// to the new heading, as a screen reader user expects after a navigation.
export function page(title, ...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  const heading = h('h1', { tabindex: '-1', class: 'mb-4' }, title);
  add(main, [heading, children]);
  document.title = `${title} — Sportello bandi regionali`;
  heading.focus({ preventScroll: true });
  return main;
}

// fact is one term and its value of a description list (dl.row).
export function fact(term, ...value) {
  return [h('dt', { class: 'col-sm-3' }, term), h('dd', { class: 'col-sm-9' }, ...value)];
}

export function alert(kind, ...children) {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'danger' ? 'alert' : 'status' }, ...children);
}

const TZ = 'Europe/Rome';
const dayFmt = new Intl.DateTimeFormat('it-IT', { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric' });
const timeFmt = new Intl.DateTimeFormat('it-IT', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const secFmt = new Intl.DateTimeFormat('it-IT', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

// romeDay: "18/05/2026". romeTime: "12:00" (with seconds: "11:59:58").
export const romeDay = (t) => dayFmt.format(new Date(t));
export const romeTime = (t, seconds = false) => (seconds ? secFmt : timeFmt).format(new Date(t));
// rome: "18/05/2026 alle 12:00 (ora di Roma)".
export const rome = (t, seconds = false) => `${romeDay(t)} alle ${romeTime(t, seconds)} (ora di Roma)`;

// romeInstant turns a day and a time read in Rome ("2026-06-05", "12:00",
// as date and time inputs give them) into RFC 3339 with Rome's offset of
// that day ("2026-06-05T12:00:00+02:00"), as the API takes deadlines.
export function romeInstant(day, time) {
  const [y, mo, d] = day.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  const parts = (t) => Object.fromEntries(partsFmt.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  const offsetAt = (t) => { const p = parts(t); return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute) - t; };
  let off = offsetAt(wall);
  off = offsetAt(wall - off);
  const m = Math.round(off / 60000);
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  return `${day}T${pad(hh)}:${pad(mm)}:00${m < 0 ? '-' : '+'}${pad(Math.trunc(m / 60))}:${pad(m % 60)}`;
}
const partsFmt = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

// The states of an application, in Italian, with a badge colour.
export const submissionStates = {
  draft: ['Bozza', 'bg-secondary'],
  submitted: ['Inviata, da esaminare', 'bg-primary'],
  validated: ['Validata', 'bg-success'],
  rejected: ['Respinta per correzione', 'bg-danger'],
  admitted: ['Ammessa', 'bg-success'],
  excluded: ['Esclusa', 'bg-danger'],
  integration_requested: ['Integrazione richiesta', 'bg-warning text-dark'],
  expired: ['Scaduta', 'bg-dark'],
  withdrawn: ['Ritirata', 'bg-dark'],
};
export function stateBadge(state) {
  const [label, cls] = submissionStates[state] || [state, 'bg-secondary'];
  return h('span', { class: `badge ${cls}` }, label);
}

// fieldErrors puts each error of a 422 beside its field: the element whose
// data-field is the error's field (a[0].b and a.0.b are the same), else
// in the summary element; it answers how many were placed.
export function fieldErrors(form, errors, summary) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const norm = (f) => String(f || '').replace(/\[(\d+)\]/g, '.$1');
  const rest = [];
  for (const e of errors || []) {
    const input = [...form.querySelectorAll('[data-field]')].find((i) => norm(i.dataset.field) === norm(e.field));
    if (!input) { rest.push(e); continue; }
    const id = `err-${input.id}`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.closest('.form-group, .form-check, fieldset')?.append(h('p', { class: 'field-error', id }, e.message));
  }
  if (summary) summary.replaceChildren(...rest.map((e) => h('p', { class: 'field-error' }, e.field ? `${e.field}: ${e.message}` : e.message)));
  return (errors || []).length - rest.length;
}

// euro formats a decimal string of the API ("1234.50") as "1.234,50 €",
// without passing through a float.
export function euro(dec) {
  if (dec === undefined || dec === null || dec === '') return '';
  let [int, frac = ''] = String(dec).split('.');
  const neg = int.startsWith('-');
  if (neg) int = int.slice(1);
  int = int.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${neg ? '-' : ''}${int},${(frac + '00').slice(0, 2)} €`;
}

// duration says how long until a deadline: "2 giorni, 3 ore, 4 minuti e 5 secondi".
export function duration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const parts = [];
  if (d) parts.push(`${d} ${d === 1 ? 'giorno' : 'giorni'}`);
  if (d || hh) parts.push(`${hh} ${hh === 1 ? 'ora' : 'ore'}`);
  if (d || hh || m) parts.push(`${m} ${m === 1 ? 'minuto' : 'minuti'}`);
  parts.push(`${s} ${s === 1 ? 'secondo' : 'secondi'}`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} e ${parts[parts.length - 1]}`;
}

// saveBlob offers a downloaded file to the user under its name.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'd-none' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
