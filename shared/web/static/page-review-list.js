// Officers: the applications of one call, with state, protocol number,
// filing time and (Lombardy) the istruttoria's 60-day due date; filtered by
// state and sorted by protocol, filing time or due date. The list is read
// through an index that shows a change a few hundred milliseconds after it
// is made (as on AWS): the page says when it read the list and offers to
// read it again, rather than waiting for a state it cannot know.
import { h, page, alert, rome, romeDay, romeTime, stateBadge, submissionStates } from './ui.js';
import { get } from './api.js';
import { route, regionName } from './app.js';
import { serverClock } from './page-calls.js';

route(/^#\/istruttoria\/([^/]+)$/, listPage);

// callNav links the officer's pages of one call; active is the current one.
export function callNav(call, active) {
  const id = encodeURIComponent(call.id);
  const items = [
    ['domande', `#/istruttoria/${id}`, 'Domande ricevute'],
    ['gestione', `#/istruttoria/${id}/gestione`, 'Elenchi di riferimento e proroga'],
    ['riparto', `#/istruttoria/${id}/riparto`, 'Fondi, riparto ed esportazioni'],
  ];
  return h('nav', { class: 'mb-4', 'aria-label': 'Sezioni del bando' },
    h('p', { class: 'mb-2' }, regionName(call.region), ' · ', call.title),
    h('ul', { class: 'nav nav-tabs' }, ...items.map(([key, href, text]) => h('li', { class: 'nav-item' },
      h('a', { class: `nav-link${key === active ? ' active' : ''}`, href, 'aria-current': key === active ? 'page' : null }, text)))));
}

const sorts = {
  protocol: ['Numero di protocollo', (a, b) => cmp(a.protocol?.number, b.protocol?.number)],
  filed: ['Data di invio', (a, b) => cmp(a.protocol?.at && Date.parse(a.protocol.at), b.protocol?.at && Date.parse(b.protocol.at))],
  due: ['Termine dell\'istruttoria', (a, b) => cmp(a.istruttoria && Date.parse(a.istruttoria.due), b.istruttoria && Date.parse(b.istruttoria.due))],
};
// cmp orders values with the missing ones last.
function cmp(a, b) {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// dueText: the istruttoria's due instant is the first instant past the
// last day (midnight in Rome), so it reads as that day, as the act says.
export function dueText(ist) {
  if (!ist) return '—';
  const due = Date.parse(ist.due);
  const parts = [romeTime(due) === '00:00' ? `entro il ${romeDay(due - 1)} (ora di Roma)` : `entro il ${rome(due)}`];
  if (ist.suspended) parts.push(' — sospeso: integrazione in attesa');
  else if (ist.overdue) parts.push(' — scaduto');
  return parts.join('');
}

async function listPage(callId) {
  const call = await get(`/v1/calls/${encodeURIComponent(callId)}`);
  const clock = serverClock(call.now);
  const state = h('select', { id: 'filter-state', class: 'form-select' },
    h('option', { value: '' }, 'Tutti gli stati'),
    ...Object.entries(submissionStates).map(([k, [label]]) => h('option', { value: k }, label)));
  const sort = h('select', { id: 'sort', class: 'form-select' },
    ...Object.entries(sorts).map(([k, [label]]) => h('option', { value: k }, label)));
  const readAt = h('p', { class: 'small', id: 'read-at', 'aria-live': 'polite' });
  const body = h('div', { id: 'applications' }, h('p', {}, 'Lettura dell\'elenco…'));
  let list = [];
  const draw = () => {
    const shown = list.filter((s) => !state.value || s.state === state.value).sort(sorts[sort.value][1]);
    if (!shown.length) {
      body.replaceChildren(alert('info', list.length ? 'Nessuna domanda in questo stato.' : 'Nessuna domanda ricevuta.'));
      return;
    }
    body.replaceChildren(h('table', { class: 'table table-striped' },
      h('caption', {}, `Domande (${shown.length} di ${list.length})`),
      h('thead', {}, h('tr', {}, ...['Protocollo', 'Ente', 'Stato', 'Inviata il', 'Termine dell\'istruttoria', 'Azioni'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...shown.map((s) => h('tr', { 'data-submission': s.id },
        h('td', { class: 'mono text-nowrap' }, s.protocol?.number || '—'),
        h('td', {}, s.org, s.summary ? h('div', { class: 'small' }, s.summary) : null),
        h('td', {}, stateBadge(s.state), s.flags?.length ? h('div', { class: 'small' }, `Da valutare: ${s.flags.length}`) : null),
        h('td', {}, s.protocol ? rome(s.protocol.at) : '—'),
        h('td', {}, dueText(s.istruttoria)),
        h('td', {}, h('a', { href: `#/istruttoria/domande/${encodeURIComponent(s.id)}`, 'aria-label': `Esamina la domanda ${s.protocol?.number || s.org}` }, 'Esamina')))))));
  };
  const load = async () => {
    try {
      const r = await get(`/v1/calls/${encodeURIComponent(callId)}/submissions`);
      list = r.submissions;
      readAt.textContent = `Elenco letto il ${rome(clock())}. Le domande inviate o esaminate negli ultimi istanti possono comparire con un breve ritardo: usare «Aggiorna l'elenco».`;
      draw();
    } catch (e) {
      body.replaceChildren(alert('danger', e.message));
    }
  };
  state.addEventListener('change', draw);
  sort.addEventListener('change', draw);
  page('Domande ricevute',
    callNav(call, 'domande'),
    milestones(call.milestones),
    h('div', { class: 'row g-3 align-items-end mb-3' },
      h('div', { class: 'col-md-4' }, h('label', { for: 'filter-state', class: 'form-label' }, 'Stato'), state),
      h('div', { class: 'col-md-4' }, h('label', { for: 'sort', class: 'form-label' }, 'Ordina per'), sort),
      h('div', { class: 'col-md-4' }, h('button', { type: 'button', id: 'refresh', class: 'btn btn-outline-primary', onclick: load }, 'Aggiorna l\'elenco'))),
    readAt, body);
  await load();
}

// milestones: the Region's own deadlines with what is still undone.
function milestones(ms) {
  if (!ms?.length) return null;
  const label = { open: 'In corso', done: 'Rispettato', overdue: 'Scaduto' };
  return h('section', { class: 'mb-4', 'aria-labelledby': 'ms-title' },
    h('h2', { class: 'h5', id: 'ms-title' }, 'Scadenze della Regione'),
    h('ul', {}, ...ms.map((m) => h('li', {}, `${m.title}: entro il ${m.dueDate} — ${label[m.state] || m.state}`,
      m.pending?.length ? ` (domande da concludere: ${m.pending.length})` : ''))));
}
