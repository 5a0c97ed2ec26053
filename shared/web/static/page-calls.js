// The calls with their windows, and a live countdown to the next deadline
// (noon in Rome for most calls), counted on the server's clock: the API's
// "now" fixes the offset, so a clock moved on the server moves the page.
import { h, page, alert, rome, duration, add } from './ui.js';
import { get } from './api.js';
import { route, onLeave, regionName } from './app.js';
import { session } from './session.js';

route(/^#\/bandi$/, callsPage);

const stateLabel = { open: 'Aperto', scheduled: 'Non ancora aperto', closed: 'Chiuso' };
const stateBadge = { open: 'bg-success', scheduled: 'bg-secondary', closed: 'bg-danger' };

// serverClock answers the server's instant now, from the offset seen in a response.
export function serverClock(serverNow) {
  const offset = Date.parse(serverNow) - Date.now();
  return () => Date.now() + offset;
}

// nextDeadline: the window open now (its closing), else the next to open.
export function windowStatus(call, now) {
  const ws = call.windows.map((w) => ({ ...w, opens: Date.parse(w.opensAt), closes: Date.parse(w.closesAt) }));
  const open = ws.find((w) => w.opens <= now && now < w.closes);
  if (open) return { state: 'open', window: open };
  const next = ws.filter((w) => now < w.opens).sort((a, b) => a.opens - b.opens)[0];
  if (next) return { state: 'scheduled', window: next };
  const last = ws.sort((a, b) => b.closes - a.closes)[0];
  return { state: 'closed', window: last };
}

// deadlineText says the window's state in words, with the countdown.
export function deadlineText(call, now) {
  const s = windowStatus(call, now);
  if (!s.window) return 'Nessuna finestra di presentazione.';
  if (s.state === 'open') return `Termine: ${rome(s.window.closes)} — mancano ${duration(s.window.closes - now)}.`;
  if (s.state === 'scheduled') return `Apertura: ${rome(s.window.opens)} — mancano ${duration(s.window.opens - now)}.`;
  if (s.window.closesOn) return `Il termine è scaduto (${s.window.deadline}).`;
  return `Il termine è scaduto il ${rome(s.window.closes)}.`;
}

// liveCountdown keeps an element's text current every second until the page changes.
export function liveCountdown(el, call, clock) {
  const tick = () => { el.textContent = deadlineText(call, clock()); };
  tick();
  const timer = setInterval(tick, 1000);
  onLeave(() => clearInterval(timer));
}

export async function callsPage() {
  const { calls } = await get('/v1/calls');
  const applicant = session.principal()?.role === 'applicant';
  const cards = calls.map((c) => {
    const clock = serverClock(c.now);
    const countdown = h('p', { class: 'countdown', id: `countdown-${c.id}` });
    liveCountdown(countdown, c, clock);
    const windows = h('table', { class: 'table table-sm mt-3' },
      h('caption', {}, 'Finestre di presentazione'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Finestra'), h('th', { scope: 'col' }, 'Apertura'), h('th', { scope: 'col' }, 'Termine'), h('th', { scope: 'col' }, 'Stato'))),
      h('tbody', {}, ...c.windows.map((w) => h('tr', {},
        h('td', {}, w.id), h('td', {}, rome(w.opensAt)), h('td', {}, rome(w.closesAt), w.closesOn ? h('div', { class: 'small' }, `(${w.deadline})`) : null),
        h('td', {}, stateLabel[w.state] || w.state)))));
    const actions = h('div', { class: 'mt-2' });
    if (applicant) {
      add(actions, [h('a', { class: 'btn btn-outline-primary me-2', href: `#/bandi/${encodeURIComponent(c.id)}/domande` }, 'Le mie domande')]);
      if (c.state === 'open') add(actions, [h('a', { class: 'btn btn-primary', href: `#/bandi/${encodeURIComponent(c.id)}/nuova` }, 'Nuova domanda')]);
    } else {
      add(actions, [h('a', { class: 'btn btn-primary', href: `#/istruttoria/${encodeURIComponent(c.id)}` }, 'Domande ricevute')]);
    }
    return h('section', { class: 'card-call', 'aria-labelledby': `t-${c.id}`, 'data-call': c.id },
      h('h2', { class: 'h4', id: `t-${c.id}` }, c.title),
      h('p', { class: 'mb-1' }, regionName(c.region), ' · ', h('span', { class: `badge ${stateBadge[c.state] || 'bg-secondary'}` }, stateLabel[c.state] || c.state)),
      countdown, windows, actions);
  });
  page('Bandi', calls.length ? cards : alert('info', 'Nessun bando disponibile.'));
}
