// The public pages, no sign-in: the Nidi Gratis Plus family contribution
// calculator and the riparto simulator (the API's anonymous calculators).
import { h, page, alert, euro } from './ui.js';
import { api } from './api.js';
import { route, publicPage } from './app.js';
import { moneyInput } from './page-riparto.js';

route(/^#\/calcolatore$/, calculatorPage, false);
route(/^#\/simulatore-riparto$/, simulatorPage, false);
publicPage('#/calcolatore', 'Calcolo del contributo Nidi Gratis Plus per una famiglia');
publicPage('#/simulatore-riparto', 'Simulatore del riparto di un fondo');

const months = ['settembre', 'ottobre', 'novembre', 'dicembre', 'gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio'];

function input(id, label, help, attrs = {}) {
  return h('div', { class: 'form-group' },
    h('label', { for: id, class: 'active' }, label),
    h('input', { id, class: 'form-control', type: 'text', autocomplete: 'off', 'aria-describedby': `${id}-help ${id}-error`, ...attrs }),
    help ? h('small', { id: `${id}-help`, class: 'form-text' }, help) : null,
    h('div', { id: `${id}-error`, class: 'field-error' }));
}

// showProblem puts each field error under its input (by the API's field
// name), the rest in the result region.
function showProblem(form, out, e, byField) {
  for (const el of form.querySelectorAll('.field-error')) el.replaceChildren();
  const rest = [];
  for (const fe of e.errors) {
    const slot = form.querySelector(`#${byField[fe.field.split(/[.[]/)[0]] || 'none'}-error`);
    if (slot) slot.replaceChildren(fe.message); else rest.push(fe.message);
  }
  out.replaceChildren(alert('danger', h('p', { class: 'mb-0' }, e.message), ...rest.map((m) => h('p', { class: 'mb-0' }, m))));
}

function calculatorPage() {
  const out = h('div', { id: 'result', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true },
    input('fee', 'Retta mensile del nido (euro)', 'Ad esempio 450,00.', { inputmode: 'decimal' }),
    input('isee', 'ISEE del nucleo familiare (euro)', 'L\'ISEE per le prestazioni agevolate rivolte ai minorenni.', { inputmode: 'decimal' }),
    h('div', { class: 'select-wrapper form-group' },
      h('label', { for: 'month', class: 'active' }, 'Mese dell\'anno educativo'),
      h('select', { id: 'month', class: 'form-select' }, ...months.map((m, i) => h('option', { value: String(i + 1) }, m)))),
    h('div', { class: 'form-check mb-4' },
      h('input', { id: 'born', type: 'checkbox', class: 'form-check-input' }),
      h('label', { for: 'born', class: 'form-check-label' }, 'Bambino nato dal 1° gennaio 2024')),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'calculate' }, 'Calcola'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { fee: moneyInput(form.querySelector('#fee').value), isee: moneyInput(form.querySelector('#isee').value),
      bornFrom2024: form.querySelector('#born').checked, month: Number(form.querySelector('#month').value) };
    try {
      const { data: r } = await api('POST', '/v1/calculators/nidi-gratis-plus', { body });
      for (const el of form.querySelectorAll('.field-error')) el.replaceChildren();
      out.replaceChildren(h('table', { class: 'table mt-4', id: 'split' },
        h('caption', {}, r.eligible ? 'Ripartizione della retta mensile' : 'La famiglia non rientra nella Misura: la retta resta a suo carico'),
        h('tbody', {},
          ...[['Bonus asilo nido INPS', r.inpsBonus], ['Quota oltre il bonus INPS', r.excess], ['A carico di Regione Lombardia (Nidi Gratis Plus)', r.regionShare], ['A carico della famiglia', r.familyShare]]
            .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'text-end' }, euro(v)))))));
    } catch (e) {
      showProblem(form, out, e, { fee: 'fee', isee: 'isee', month: 'month' });
    }
  });
  page('Calcolo del contributo Nidi Gratis Plus',
    h('p', { class: 'lead' }, 'Quanto della retta mensile del nido coprono il bonus INPS e la Misura Nidi Gratis Plus di Regione Lombardia, e quanto resta alla famiglia. Il calcolo è indicativo: fa fede l\'istruttoria.'),
    form, out);
}

function simulatorPage() {
  const out = h('div', { id: 'result', 'aria-live': 'polite' });
  const rows = h('textarea', { id: 'beneficiaries', class: 'form-control', rows: '8', 'aria-describedby': 'beneficiaries-help beneficiaries-error' },
    'comune:015146; 1200\ncomune:016024; 300; 20000,00\ncomune:001272; 800');
  const form = h('form', { novalidate: true },
    input('fund', 'Fondo da ripartire (euro)', 'Ad esempio 100.000,00.', { inputmode: 'decimal', value: '100.000,00' }),
    h('div', { class: 'form-group' },
      h('label', { for: 'beneficiaries', class: 'active' }, 'Beneficiari'),
      rows,
      h('small', { id: 'beneficiaries-help', class: 'form-text' }, 'Una riga per beneficiario: identificativo; peso (ad esempio il numero di bambini); tetto massimo in euro (facoltativo).'),
      h('div', { id: 'beneficiaries-error', class: 'field-error' })),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'simulate' }, 'Simula il riparto'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const beneficiaries = rows.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const [id, weight, cap] = l.split(';').map((x) => x.trim());
      const b = { id, weight: (weight || '').replace(',', '.') };
      if (cap) b.cap = moneyInput(cap);
      return b;
    });
    try {
      const { data: r } = await api('POST', '/v1/calculators/riparto', { body: { fund: moneyInput(form.querySelector('#fund').value), beneficiaries } });
      for (const el of form.querySelectorAll('.field-error')) el.replaceChildren();
      out.replaceChildren(
        h('p', { class: 'mt-4', id: 'totals' }, `Ripartiti ${euro(r.allocated)} di ${euro(r.fund)}; non assegnati ${euro(r.unallocated)} (motore ${r.engineVersion}).`),
        h('table', { class: 'table', id: 'lines' },
          h('caption', {}, 'Riparto per beneficiario'),
          h('thead', {}, h('tr', {}, ...['Beneficiario', 'Peso', 'Quota esatta', 'Tetto', 'Importo', 'Spiegazione'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ...(r.lines || []).map((l) => h('tr', { 'data-line': l.id },
            h('td', {}, l.id), h('td', {}, l.weight), h('td', {}, l.rawShare), h('td', {}, l.cap ? euro(l.cap) : '—'),
            h('td', { class: 'text-end' }, euro(l.amount)), h('td', { class: 'small' }, l.explanation))))));
    } catch (e) {
      showProblem(form, out, e, { fund: 'fund', beneficiaries: 'beneficiaries' });
    }
  });
  page('Simulatore del riparto',
    h('p', { class: 'lead' }, 'Ripartisce un fondo in proporzione ai pesi, al centesimo, rispettando i tetti (metodo dei resti più grandi): lo stesso calcolo del riparto ufficiale.'),
    form, out);
}
