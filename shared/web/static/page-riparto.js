// Officers: the funds announcement (the riparto runs in the background),
// the runs announced so far, a run's result table with the explanation of
// each line, and the downloads the API offers: the riparto (CSV, XLSX),
// the decree's data (CSV, XLSX, PDF annex), the elenco degli ammessi e
// degli esclusi (CSV, XLSX, PDF) and, for calls reviewed by validation,
// the registry of the validated services (CSV, XLSX).
import { h, page, alert, fact, rome, euro, fieldErrors } from './ui.js';
import { api, get, download, ApiError } from './api.js';
import { route, onLeave } from './app.js';
import { callNav } from './page-review-list.js';

route(/^#\/istruttoria\/([^/]+)\/riparto$/, ripartoPage);
route(/^#\/istruttoria\/([^/]+)\/riparto\/([^/]+)$/, runPage);

const enc = encodeURIComponent;

// moneyInput reads "1.000.000,50", "1000000,5" or "1000000.50" as the
// API's decimal string ("1000000.50").
export function moneyInput(s) {
  let v = s.trim().replace(/\s|€/g, '');
  if (v.includes(',')) v = v.replace(/\./g, '').replace(',', '.');
  return v;
}

function downloads(title, id, base, formats, stem) {
  return h('div', { class: 'mb-3', id },
    h('p', { class: 'mb-1 fw-semibold' }, title),
    ...formats.map((f) => h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm me-2', id: `${id}-${f}`,
      onclick: (ev) => fetchFile(ev.currentTarget, `${base}${base.includes('?') ? '&' : '?'}format=${f}`, `${stem}.${f}`) }, f.toUpperCase())));
}

async function fetchFile(button, path, name) {
  const note = button.parentElement.querySelector('.download-error') || button.parentElement.appendChild(h('div', { class: 'download-error', 'aria-live': 'polite' }));
  note.replaceChildren();
  try {
    await download(path, name);
  } catch (e) {
    note.replaceChildren(alert('danger', e.message));
  }
}

async function ripartoPage(callId) {
  const call = await get(`/v1/calls/${enc(callId)}`);
  const base = `/v1/calls/${enc(call.id)}`;
  const key = crypto.randomUUID(); // one announcement per drawing: a double click is the same
  const amount = h('input', { type: 'text', id: 'funds-amount', class: 'form-control', inputmode: 'decimal', 'data-field': 'amount', required: true, 'aria-describedby': 'amount-help' });
  const note = h('input', { type: 'text', id: 'funds-note', class: 'form-control', maxlength: '2000', 'data-field': 'note' });
  const only = h('input', { type: 'checkbox', id: 'funds-only', class: 'form-check-input', 'data-field': 'onlyDecided' });
  const reason = h('input', { type: 'text', id: 'funds-reason', class: 'form-control', maxlength: '2000', 'data-field': 'reason' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { novalidate: true, id: 'funds-form' },
    h('div', { class: 'form-group' }, h('label', { for: 'funds-amount', class: 'active' }, 'Importo del fondo (euro)'), amount,
      h('small', { id: 'amount-help', class: 'form-text' }, 'Ad esempio 1.000.000,00.')),
    h('div', { class: 'form-group' }, h('label', { for: 'funds-note', class: 'active' }, 'Atto (facoltativo, ad esempio il decreto)'), note),
    h('div', { class: 'form-check' }, only, h('label', { class: 'form-check-label', for: 'funds-only' }, 'Ripartire solo tra le domande già decise')),
    h('div', { class: 'form-group' }, h('label', { for: 'funds-reason', class: 'active' }, 'Motivo (obbligatorio se si ripartisce solo tra le domande decise)'), reason),
    summary,
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'funds-submit' }, 'Annuncia il fondo ed esegui il riparto'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { amount: moneyInput(amount.value) };
    if (note.value.trim()) body.note = note.value.trim();
    if (only.checked) body.onlyDecided = true;
    if (reason.value.trim()) body.reason = reason.value.trim();
    try {
      const { data } = await api('POST', `${base}/funds`, { body, headers: { 'Idempotency-Key': key } });
      location.hash = `#/istruttoria/${enc(call.id)}/riparto/${enc(data.allocationId)}`;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      summary.replaceChildren(alert('danger', e.message));
      fieldErrors(form, e.errors, summary.firstChild);
    }
  });
  const runs = h('div', { id: 'runs' }, h('p', {}, 'Lettura dei riparti annunciati…'));
  page('Fondi, riparto ed esportazioni',
    callNav(call, 'riparto'),
    h('section', { class: 'mb-5', 'aria-labelledby': 'funds-title' }, h('h2', { class: 'h4', id: 'funds-title' }, 'Annuncio del fondo'), form),
    h('section', { class: 'mb-5', 'aria-labelledby': 'runs-title' }, h('h2', { class: 'h4', id: 'runs-title' }, 'Riparti annunciati'),
      h('p', { class: 'small' }, 'L\'elenco può mostrare un annuncio degli ultimi istanti con un breve ritardo.'), runs),
    h('section', { class: 'mb-4', 'aria-labelledby': 'exports-title' }, h('h2', { class: 'h4', id: 'exports-title' }, 'Esportazioni'),
      downloads('Elenco degli ammessi e degli esclusi', 'export-outcomes', `${base}/outcomes`, ['csv', 'xlsx', 'pdf'], `elenco-${call.id}`),
      call.review?.model === 'validation'
        ? downloads('Registro dei servizi delle schede validate', 'export-registry', `${base}/service-registry`, ['csv', 'xlsx'], `registro-servizi-${call.id}`) : null));
  try {
    const { entries } = await get(`${base}/audit`);
    const announced = (entries || []).filter((e) => e.action === 'funds.announced' && e.detail?.allocation);
    runs.replaceChildren(announced.length ? h('ul', {}, ...announced.map((e) => h('li', {},
      h('a', { href: `#/istruttoria/${enc(call.id)}/riparto/${enc(e.detail.allocation)}` }, `Fondo di ${euro(e.detail.fund)}`), ` annunciato il ${rome(e.at)}`)))
      : h('p', {}, 'Nessun fondo annunciato.'));
  } catch (e) {
    runs.replaceChildren(alert('danger', e.message));
  }
}

const runStatus = { pending: 'In attesa di calcolo', running: 'Calcolo in corso', done: 'Concluso', failed: 'Non riuscito' };

async function runPage(callId, allocId) {
  const call = await get(`/v1/calls/${enc(callId)}`);
  const path = `/v1/calls/${enc(call.id)}/allocations/${enc(allocId)}`;
  const run = await get(path);
  const head = [callNav(call, 'riparto'),
    h('dl', { class: 'row', id: 'run-facts' },
      fact('Stato', runStatus[run.status] || run.status),
      fact('Fondo', euro(run.fund)),
      fact('Annunciato il', rome(run.announcedAt)),
      run.note ? fact('Atto', run.note) : null,
      run.status === 'done' ? [fact('Ripartito', euro(run.allocated)), fact('Non ripartito', euro(run.unallocated))] : null,
      run.onlyDecided ? fact('Solo domande decise', `${run.overrideReason || ''} (escluse dal riparto: ${(run.leftOut || []).length})`) : null,
      run.engineVersion ? fact('Versione del calcolo', run.engineVersion) : null,
      run.inputSha256 ? fact('Impronta dei dati di ingresso', h('span', { class: 'mono small text-break' }, run.inputSha256)) : null)];
  if (run.status === 'pending' || run.status === 'running') {
    // The run finishes in the background within seconds: read it again
    // every second until it does (the page says so; leaving the page
    // stops it), then draw the result once (focus moves only then).
    page('Riparto del fondo', head, alert('info', 'Il riparto è in corso: la pagina si aggiorna da sola appena concluso.'));
    let timer;
    let left = false;
    const poll = async () => {
      const r = await get(path).catch(() => run);
      if (left) return;
      if (r.status === 'pending' || r.status === 'running') timer = setTimeout(poll, 1000);
      else runPage(callId, allocId);
    };
    timer = setTimeout(poll, 1000);
    onLeave(() => { left = true; clearTimeout(timer); });
    return;
  }
  if (run.status === 'failed') {
    page('Riparto del fondo', head, alert('danger', `Il riparto non è riuscito: ${run.error || 'errore non specificato'}.`));
    return;
  }
  const lines = run.result?.lines || [];
  const cols = ['Beneficiario', 'Peso', 'Quota esatta (euro)', 'Tetto', 'Importo assegnato', 'Arrotondamento', 'Spiegazione'];
  page('Riparto del fondo', head,
    h('table', { class: 'table table-sm', id: 'riparto-lines' },
      h('caption', {}, `Riparto per beneficiario (${lines.length} righe)`),
      h('thead', {}, h('tr', {}, ...cols.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...lines.map((l) => h('tr', { 'data-line': l.id },
        h('th', { scope: 'row', class: 'text-break' }, l.id, l.org !== l.id ? h('div', { class: 'small fw-normal' }, l.org) : null),
        h('td', { class: 'mono' }, l.weight),
        h('td', { class: 'mono' }, l.rawShare),
        h('td', {}, l.cap ? euro(l.cap) : '—', l.capped ? h('div', { class: 'small' }, `applicato${l.capReason ? `: ${l.capReason}` : ''}`) : null),
        h('td', { class: 'text-end' }, euro(l.amount)),
        h('td', { class: 'text-end' }, euro(l.roundingAdjustment)),
        h('td', { class: 'small' }, l.explanation)))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Totale'), h('td', {}), h('td', {}), h('td', {}),
        h('td', { class: 'text-end', id: 'riparto-total' }, euro(run.allocated)), h('td', {}), h('td', {}, `Non ripartito: ${euro(run.unallocated)}`)))),
    h('section', { class: 'mb-4', 'aria-labelledby': 'dl-title' }, h('h2', { class: 'h4', id: 'dl-title' }, 'Scarica'),
      downloads('Riparto', 'export-riparto', path, ['csv', 'xlsx'], `riparto-${allocId}`),
      downloads('Dati del decreto di concessione', 'export-decree', `${path}/decree`, ['csv', 'xlsx', 'pdf'], `decreto-${allocId}`)));
}

