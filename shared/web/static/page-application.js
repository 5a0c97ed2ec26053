// The applicant's pages: a new application, the applications of a call,
// and one application — its form (drawn from the program's description),
// save with conflict handling, documents uploaded straight to S3 with the
// pre-signed PUT (SHA-256 computed here), the A1 to sign, filing with a
// confirmation, the protocol number and the receipt; a closed window says
// why; an officer's rejection or integration request shows its notes and
// deadline.
import { h, page, alert, rome, add, saveBlob, romeTime, romeDay } from './ui.js';
import { api, get, ApiError } from './api.js';
import { route, regionName } from './app.js';
import { session } from './session.js';
import { renderForm } from './form.js';
import { windowStatus, serverClock, liveCountdown } from './page-calls.js';

route(/^#\/bandi\/([^/]+)\/nuova$/, newApplication);
route(/^#\/bandi\/([^/]+)\/domande$/, applications);
route(/^#\/domande\/([^/]+)$/, application);

const stateLabel = {
  draft: 'Bozza', submitted: 'Inviata al protocollo', validated: 'Validata', rejected: 'Respinta – da correggere',
  admitted: 'Ammessa', excluded: 'Esclusa', integration_requested: 'Integrazione richiesta', expired: 'Scaduta (non inviata)', withdrawn: 'Ritirata',
};
export const stateOf = (s) => stateLabel[s] || s;

const enc = encodeURIComponent;
const newKey = () => crypto.randomUUID();

async function newApplication(callId) {
  const [c, orgs] = [await get(`/v1/calls/${enc(callId)}`), session.principal().orgs];
  const error = h('div');
  const orgSelect = h('select', { id: 'org', class: 'form-select' }, ...orgs.map((o) => h('option', { value: o }, o)));
  const privacy = c.privacyNotice
    ? h('div', { class: 'form-check my-4' },
      h('input', { class: 'form-check-input', type: 'checkbox', id: 'privacy' }),
      h('label', { class: 'form-check-label', for: 'privacy' }, `Ho letto l'informativa sul trattamento dei dati personali: ${c.privacyNotice.title} (versione ${c.privacyNotice.version}).`))
    : null;
  const form = h('form', { novalidate: true },
    h('div', { class: 'select-wrapper form-group' }, h('label', { for: 'org', class: 'active' }, 'Ente per cui si presenta la domanda'), orgSelect),
    privacy, error,
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'create' }, 'Crea la bozza della domanda'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (privacy && !form.querySelector('#privacy').checked) {
      error.replaceChildren(alert('danger', 'Per proseguire occorre dichiarare di aver letto l\'informativa sul trattamento dei dati personali.'));
      form.querySelector('#privacy').focus();
      return;
    }
    try {
      const body = { org: orgSelect.value };
      if (c.privacyNotice) body.privacyNoticeVersion = c.privacyNotice.version;
      const { data } = await api('POST', `/v1/calls/${enc(callId)}/submissions`, { body, headers: { 'Idempotency-Key': newKey() } });
      location.hash = `#/domande/${enc(data.id)}`;
    } catch (e) {
      error.replaceChildren(alert('danger', e.message));
    }
  });
  page(`Nuova domanda — ${c.title}`, h('p', {}, regionName(c.region)), form);
}

async function applications(callId) {
  const [c, { submissions }] = await Promise.all([get(`/v1/calls/${enc(callId)}`), get(`/v1/calls/${enc(callId)}/submissions`)]);
  const rows = submissions.map((s) => h('tr', {},
    h('td', {}, h('a', { href: `#/domande/${enc(s.id)}` }, s.id)),
    h('td', {}, s.org), h('td', {}, stateOf(s.state),
      // a rejected application: the correction view (page-correction.js) serves every program
      s.state === 'rejected' ? h('div', {}, h('a', { href: `#/domande/${enc(s.id)}/correzione`, id: `correct-${s.id}` }, 'Vedi le note e correggi')) : null),
    h('td', {}, s.protocol ? `${s.protocol.number} del ${rome(s.protocol.at, true)}` : '—')));
  page(`Le mie domande — ${c.title}`,
    submissions.length
      ? h('table', { class: 'table' }, h('caption', {}, 'Domande dei propri enti'),
        h('thead', {}, h('tr', {}, ...['Domanda', 'Ente', 'Stato', 'Protocollo'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, ...rows))
      : alert('info', 'Nessuna domanda per questo bando.'),
    c.state === 'open' ? h('a', { class: 'btn btn-primary', href: `#/bandi/${enc(callId)}/nuova` }, 'Nuova domanda') : null);
}

const contentTypes = { p7m: 'application/pkcs7-mime', pdf: 'application/pdf', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' };
const typeOf = (file) => contentTypes[file.name.split('.').pop().toLowerCase()] || file.type || 'application/octet-stream';
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

// put sends the file to S3 with exactly the signed headers, reporting progress.
function put(ticket, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method, ticket.uploadUrl);
    for (const [k, v] of Object.entries(ticket.headers)) {
      if (!['content-length', 'host'].includes(k.toLowerCase())) xhr.setRequestHeader(k, v); // the browser sets the length itself
    }
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) { progress.max = ev.total; progress.value = ev.loaded; } };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`Il caricamento non è riuscito (${xhr.status}).`)));
    xhr.onerror = () => reject(new Error('Il caricamento non è riuscito: verificare la connessione e riprovare.'));
    xhr.send(file);
  });
}

async function application(id) {
  let { data: sub, etag } = await api('GET', `/v1/submissions/${enc(id)}`);
  const [c, form] = await Promise.all([get(`/v1/calls/${enc(sub.callId)}`), get(`/v1/calls/${enc(sub.callId)}/form`)]);
  const clock = serverClock(c.now);
  const status = windowStatus(c, clock());
  const editable = sub.state === 'draft' || (sub.state === 'rejected' && sub.review?.deadline && Date.parse(sub.review.deadline) > clock());
  const messages = h('div', { 'aria-live': 'polite' });
  let dirty = false;
  const theForm = renderForm(form.fields, sub.data, { readOnly: !editable, onChange: () => { dirty = true; } });

  // State, protocol and receipt.
  const head = [h('p', {}, regionName(c.region), ' · ', `Ente: ${sub.org}`, ' · ', h('span', { class: 'badge bg-primary', id: 'state' }, stateOf(sub.state)))];
  if (sub.protocol) {
    head.push(alert('success',
      h('p', { class: 'mb-1', id: 'protocol' }, 'Numero di protocollo ', h('strong', {}, sub.protocol.number)),
      h('p', { class: 'mb-2', id: 'filed-at' }, `Inviata il ${romeDay(sub.protocol.at)} alle ${romeTime(sub.protocol.at, true)} (ora di Roma).`),
      h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm', id: 'receipt', onclick: () => download(`/v1/submissions/${enc(id)}/receipt`, `ricevuta-${sub.protocol.number}.pdf`) }, 'Scarica la ricevuta (PDF)')));
  }
  if (sub.review && ['reject', 'request_integration', 'exclude'].includes(sub.review.decision)) {
    const what = { reject: 'La Regione ha respinto la domanda: correggerla e reinviarla.', request_integration: 'La Regione chiede un\'integrazione documentale.', exclude: 'La Regione ha escluso la domanda.' }[sub.review.decision];
    head.push(alert('warning', h('p', { class: 'mb-1' }, h('strong', {}, what)),
      sub.review.notes ? h('p', { class: 'mb-1', id: 'review-notes' }, `Note del funzionario: ${sub.review.notes}`) : null,
      sub.review.deadline ? h('p', { class: 'mb-0', id: 'review-deadline' }, `Termine: ${rome(sub.review.deadline)}.`) : null));
  }
  const countdown = h('p', { class: 'countdown', id: 'countdown' });
  if (sub.state === 'draft' || sub.state === 'expired') {
    // The last window that closed, if no window is open now: why filing is refused.
    const now = clock();
    const closed = c.windows.filter((w) => Date.parse(w.closesAt) <= now).sort((a, b) => Date.parse(b.closesAt) - Date.parse(a.closesAt))[0];
    if (status.state !== 'open' && closed) {
      const next = status.state === 'scheduled' ? ` La prossima finestra di presentazione si apre il ${rome(status.window.opens)}.` : '';
      head.push(alert('danger', h('p', { class: 'mb-0', id: 'closed' }, closed.closesOn
        ? `Il termine è scaduto (${closed.deadline}): la domanda non può più essere inviata in questa finestra.${next}`
        : `Il termine è scaduto il ${romeDay(closed.closesAt)} alle ${romeTime(closed.closesAt)} (ora di Roma): la domanda non può più essere inviata in questa finestra.${next}`)));
    } else {
      liveCountdown(countdown, c, clock);
      head.push(countdown);
    }
  }

  async function download(path, name) {
    try {
      const { data } = await api('GET', path, { blob: true });
      saveBlob(data, name);
      messages.replaceChildren(alert('success', `Scaricato: ${name}.`));
    } catch (e) {
      messages.replaceChildren(alert('danger', e.message));
    }
  }

  async function save() {
    try {
      const r = await api('PUT', `/v1/submissions/${enc(id)}`, { body: { data: theForm.read() }, headers: { 'If-Match': etag } });
      sub = r.data; etag = r.etag; dirty = false;
      theForm.clearErrors();
      messages.replaceChildren(alert('success', `Bozza salvata alle ${romeTime(sub.updatedAt, true)} (ora di Roma).`));
      return true;
    } catch (e) {
      if (e.status === 412) {
        messages.replaceChildren(alert('danger',
          h('p', {}, 'La domanda è stata modificata altrove (in un\'altra finestra o da un collega) dopo che questa pagina l\'ha caricata. Ricaricarla per vedere la versione attuale: le modifiche di questa pagina non salvate andranno perse.'),
          h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'reload', onclick: () => application(id) }, 'Ricarica la domanda')));
      } else if (e.errors.length) {
        theForm.showErrors(e.errors, e.message);
      } else {
        messages.replaceChildren(alert('danger', e.message));
      }
      return false;
    }
  }

  // Documents.
  const docsList = h('div', { id: 'documents' });
  async function drawDocuments() {
    const { documents } = await get(`/v1/submissions/${enc(id)}/documents`);
    const title = (k) => form.documents.find((d) => d.kind === k)?.title || k;
    docsList.replaceChildren(documents.length
      ? h('table', { class: 'table' }, h('caption', {}, 'Documenti caricati'),
        h('thead', {}, h('tr', {}, ...['Documento', 'File', 'Verifica'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...documents.map((d) => h('tr', { 'data-document': d.id, 'data-status': d.status },
          h('td', {}, title(d.kind), d.ref ? ` (${d.ref})` : ''), h('td', { class: 'mono' }, d.filename),
          h('td', {}, { pending: 'In verifica…', verified: `Verificato${d.signer ? ` — firmato da ${d.signer}` : ''}`, rejected: `Respinto: ${d.reason || ''}` }[d.status])))))
      : h('p', {}, 'Nessun documento caricato.'));
    return documents;
  }
  const kinds = form.documents;
  const facilities = () => (theForm.read().facilities || []).map((f) => f.afamUdos).filter(Boolean);
  const kindSelect = h('select', { id: 'doc-kind', class: 'form-select' }, ...kinds.map((k) => h('option', { value: k.kind }, k.title)));
  const refSelect = h('select', { id: 'doc-ref', class: 'form-select' });
  const refWrap = h('div', { class: 'select-wrapper form-group d-none' }, h('label', { for: 'doc-ref', class: 'active' }, 'Struttura a cui si riferisce'), refSelect);
  const syncRef = () => {
    const k = kinds.find((x) => x.kind === kindSelect.value);
    refWrap.classList.toggle('d-none', !k?.perItem);
    refSelect.replaceChildren(...facilities().map((f) => h('option', { value: f }, f)));
  };
  kindSelect.addEventListener('change', syncRef);
  const fileInput = h('input', { type: 'file', id: 'doc-file', class: 'form-control', accept: '.pdf,.p7m,.xlsx,.jpg,.jpeg,.png' });
  const progress = h('progress', { id: 'doc-progress', max: '1', value: '0', 'aria-label': 'Avanzamento del caricamento' });
  const uploadStatus = h('div', { id: 'upload-status', 'aria-live': 'polite' });
  const uploader = h('form', { class: 'upload-row', novalidate: true },
    h('div', { class: 'select-wrapper form-group' }, h('label', { for: 'doc-kind', class: 'active' }, 'Tipo di documento'), kindSelect),
    refWrap,
    h('div', { class: 'form-group' }, h('label', { for: 'doc-file', class: 'active' }, 'File (PDF firmato PAdES o .p7m CAdES)'), fileInput),
    progress, uploadStatus,
    h('button', { type: 'submit', class: 'btn btn-primary mt-2', id: 'upload' }, 'Carica il documento'));
  uploader.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = fileInput.files[0];
    if (!file) { uploadStatus.replaceChildren(alert('danger', 'Scegliere un file.')); return; }
    try {
      progress.value = 0;
      uploadStatus.replaceChildren(h('p', {}, 'Calcolo dell\'impronta SHA-256…'));
      const sha256 = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
      const k = kinds.find((x) => x.kind === kindSelect.value);
      const body = { kind: k.kind, filename: file.name, contentType: typeOf(file), size: file.size, sha256 };
      if (k.perItem) body.ref = refSelect.value;
      const { data: ticket } = await api('POST', `/v1/submissions/${enc(id)}/documents`, { body });
      uploadStatus.replaceChildren(h('p', {}, `Caricamento di ${file.name}…`));
      await put(ticket, file, progress);
      uploadStatus.replaceChildren(h('p', {}, `${file.name}: caricato, in verifica…`));
      let doc;
      for (let i = 0; i < 240; i++) {
        doc = (await drawDocuments()).find((d) => d.id === ticket.id);
        if (doc && doc.status !== 'pending') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      uploadStatus.replaceChildren(doc?.status === 'verified'
        ? alert('success', h('span', { id: 'upload-result', 'data-status': 'verified' }, `${file.name}: verificato${doc.signer ? `, firmato da ${doc.signer}` : ''}.`))
        : alert('danger', h('span', { id: 'upload-result', 'data-status': doc?.status || 'pending' }, `${file.name}: ${doc?.status === 'rejected' ? `respinto. ${doc.reason || ''}` : 'verifica non ancora conclusa: ricaricare la pagina più tardi.'}`)));
      fileInput.value = '';
    } catch (e) {
      uploadStatus.replaceChildren(alert('danger', e instanceof ApiError && e.errors.length ? e.errors.map((x) => x.message).join(' ') : e.message));
    }
  });
  syncRef();

  // Filing.
  const dialog = h('dialog', { class: 'confirm', id: 'confirm-dialog', 'aria-labelledby': 'confirm-title' });
  async function submit(path, what) {
    try {
      const { data } = await api('POST', `/v1/submissions/${enc(id)}/${path}`, { headers: { 'Idempotency-Key': newKey() } });
      sub = data;
      await application(id);
    } catch (e) {
      if (e.errors.length) theForm.showErrors(e.errors, e.message);
      else messages.replaceChildren(alert('danger', e.code === 'window_closed' ? `${what}: ${e.message}` : e.message));
    }
  }
  function confirmThen(title, text, ok, action) {
    dialog.replaceChildren(
      h('h2', { class: 'h4', id: 'confirm-title' }, title), h('p', {}, text),
      h('div', { class: 'd-flex gap-2 justify-content-end' },
        h('button', { type: 'button', class: 'btn btn-outline-secondary', id: 'confirm-no', onclick: () => dialog.close() }, 'Annulla'),
        h('button', { type: 'button', class: 'btn btn-primary', id: 'confirm-yes', onclick: async () => { dialog.close(); await action(); } }, ok)));
    dialog.showModal();
  }
  const actions = h('div', { class: 'd-flex flex-wrap gap-2 my-4' });
  if (editable) add(actions, [h('button', { type: 'button', class: 'btn btn-outline-primary', id: 'save', onclick: save }, 'Salva bozza')]);
  if (sub.summary !== undefined || c.program.startsWith('lombardia')) {
    add(actions, [h('button', { type: 'button', class: 'btn btn-outline-primary', id: 'download-a1', onclick: () => download(`/v1/submissions/${enc(id)}/summary`, `domanda-${id}.pdf`) }, 'Scarica la domanda da firmare (PDF)')]);
  }
  const canFile = (sub.state === 'draft' && status.state === 'open') || (sub.state === 'rejected' && editable);
  if (canFile) {
    const label = sub.state === 'draft' ? 'Invia al protocollo' : 'Reinvia la scheda corretta';
    add(actions, [h('button', { type: 'button', class: 'btn btn-primary', id: 'submit', onclick: () => {
      if (dirty) { messages.replaceChildren(alert('warning', 'Ci sono modifiche non salvate: salvare la bozza (e, se cambia la domanda, firmare di nuovo il PDF) prima dell\'invio.')); return; }
      confirmThen(label, 'La domanda sarà registrata al protocollo con l\'ora di arrivo di questa richiesta. Dopo l\'invio non potrà più essere modificata.', label, () => submit('submit', label));
    } }, label)]);
  }
  if (sub.state === 'integration_requested') {
    add(actions, [h('button', { type: 'button', class: 'btn btn-primary', id: 'integrate', onclick: () =>
      confirmThen('Invia l\'integrazione', 'I documenti caricati dopo la richiesta saranno registrati al protocollo come integrazione.', 'Invia l\'integrazione', () => submit('integration', 'Integrazione')) }, 'Invia l\'integrazione')]);
  }

  const canUpload = editable || sub.state === 'integration_requested';
  page(`Domanda — ${c.title}`, ...head, messages,
    h('h2', { class: 'h4 mt-4' }, 'Modulo'), theForm.element, actions,
    h('h2', { class: 'h4 mt-4' }, 'Documenti'), docsList, canUpload ? uploader : null, dialog);
  await drawDocuments();
}
