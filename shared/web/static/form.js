// The program's form drawn from its one description (GET /v1/calls/{id}/form):
// every field with its Italian label, help and error region; lists of
// items (facilities, fees) with "Aggiungi" and "Rimuovi"; read() turns the
// inputs back into the form's JSON, showErrors() puts each 422 field
// error beside its field (and in a summary linking to it).
import { h, alert } from './ui.js';

const idOf = (path) => `f-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;

// money and decimal inputs accept the Italian "1.234,50" as well as "1234.50".
function decimal(v) {
  const s = v.trim().replace(/\s/g, '').replace(/€/g, '');
  if (/^-?\d{1,3}(\.\d{3})+(,\d+)?$/.test(s)) return s.replace(/\./g, '').replace(',', '.');
  if (/^-?\d+,\d+$/.test(s)) return s.replace(',', '.');
  return s;
}

export function renderForm(description, initial, { readOnly = false, onChange = () => {} } = {}) {
  let data = structuredClone(initial || {});
  const root = h('div', { class: 'sportello-form' });
  const summary = h('div', { id: 'form-errors', tabindex: '-1' });
  const counts = new Map(); // list path → items drawn

  function field(f, path, value) {
    const id = idOf(path);
    const helpId = f.help ? `${id}-help` : null;
    const errId = `${id}-error`;
    const describedBy = [helpId, errId].filter(Boolean).join(' ');
    const help = f.help ? h('small', { id: helpId, class: 'form-text' }, f.help) : null;
    const err = h('div', { id: errId, class: 'field-error', 'data-error-for': path });
    const label = `${f.label}${f.required ? ' *' : ''}`;
    const common = { id, 'data-path': path, 'data-kind': f.kind, 'aria-describedby': describedBy, disabled: readOnly, 'aria-required': f.required ? 'true' : null };
    switch (f.kind) {
      case 'group':
        return h('fieldset', { class: 'mb-4', 'data-group-path': path },
          h('legend', { class: 'h6' }, f.label), help, err,
          ...f.fields.map((c) => field(c, `${path}.${c.name}`, (value || {})[c.name])));
      case 'list': {
        const items = Array.isArray(value) ? value : [];
        counts.set(path, items.length);
        const singular = f.label.replace(/e$/, 'a').replace(/i$/, 'o');
        return h('fieldset', { class: 'mb-4', 'data-group-path': path },
          h('legend', { class: 'h5' }, f.label), help, err,
          ...items.map((item, i) => h('fieldset', { class: 'border rounded p-3 mb-3', 'data-item': `${path}[${i}]` },
            h('legend', { class: 'h6' }, `${singular} ${i + 1}`),
            ...f.fields.map((c) => field(c, `${path}[${i}].${c.name}`, (item || {})[c.name])),
            readOnly ? null : h('button', { type: 'button', class: 'btn btn-outline-danger btn-sm', 'data-remove': `${path}[${i}]`,
              onclick: () => mutate(path, (list) => list.splice(i, 1)) }, `Rimuovi ${singular.toLowerCase()} ${i + 1}`))),
          readOnly ? null : h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm', 'data-add': path,
            onclick: () => mutate(path, (list) => list.push({}), `${path}[${items.length}]`) }, `Aggiungi ${singular.toLowerCase()}`));
      }
      case 'declarations':
        return h('fieldset', { class: 'mb-4', 'data-group-path': path },
          h('legend', { class: 'h5' }, f.label), help, err,
          ...f.options.map((o) => {
            const p = `${path}.${o.value}`;
            const oid = idOf(p);
            return h('div', { class: 'form-check' },
              h('input', { class: 'form-check-input', type: 'checkbox', id: oid, 'data-path': p, 'data-kind': 'boolean', checked: !!(value || {})[o.value], disabled: readOnly, 'aria-describedby': `${oid}-error` }),
              h('label', { class: 'form-check-label', for: oid }, o.label),
              h('div', { id: `${oid}-error`, class: 'field-error', 'data-error-for': p }));
          }));
      case 'boolean':
        return h('div', { class: 'form-check mb-3' },
          h('input', { ...common, class: 'form-check-input', type: 'checkbox', checked: value === true }),
          h('label', { class: 'form-check-label', for: id }, f.label), help, err);
      case 'choice':
        return h('div', { class: 'select-wrapper form-group' },
          h('label', { for: id, class: 'active' }, label),
          h('select', { ...common, class: 'form-select' },
            h('option', { value: '' }, '— scegliere —'),
            ...f.options.map((o) => h('option', { value: o.value, selected: value === o.value }, o.label))),
          help, err);
      default: {
        const types = { email: 'email', date: 'date', integer: 'number' };
        let v = value ?? '';
        if (f.kind === 'codes' && Array.isArray(value)) v = value.join(', ');
        return h('div', { class: 'form-group' },
          h('label', { for: id, class: 'active' }, label),
          h('input', { ...common, class: 'form-control', type: types[f.kind] || 'text', value: v,
            inputmode: f.kind === 'money' || f.kind === 'decimal' ? 'decimal' : null, step: f.kind === 'integer' ? '1' : null,
            autocomplete: 'off' }),
          f.kind === 'codes' ? h('small', { class: 'form-text' }, 'Più valori separati da una virgola.') : null,
          help, err);
      }
    }
  }

  // mutate reads what was typed, changes one list, and redraws.
  function mutate(path, change, focusItem) {
    data = read();
    const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    let obj = data;
    for (const p of parts.slice(0, -1)) obj = obj[p] ??= {};
    const last = parts[parts.length - 1];
    const list = Array.isArray(obj[last]) ? obj[last] : (obj[last] = []);
    change(list);
    draw();
    onChange();
    const target = focusItem ? root.querySelector(`[data-item="${focusItem}"] [data-path]`) : root.querySelector(`[data-add="${path}"]`);
    target?.focus();
  }

  function draw() {
    counts.clear();
    root.replaceChildren(summary, ...description.map((f) => field(f, f.name, data[f.name])));
  }

  function readFields(fields, prefix) {
    const out = {};
    for (const f of fields) {
      const path = `${prefix}${f.name}`;
      let v;
      if (f.kind === 'group') {
        v = readFields(f.fields, `${path}.`);
        if (Object.keys(v).length === 0) v = undefined;
      } else if (f.kind === 'list') {
        const n = counts.get(path) || 0;
        const items = [];
        for (let i = 0; i < n; i++) items.push(readFields(f.fields, `${path}[${i}].`));
        v = items.length ? items : undefined;
      } else if (f.kind === 'declarations') {
        const d = {};
        for (const o of f.options) if (root.querySelector(`[data-path="${path}.${o.value}"]`)?.checked) d[o.value] = true;
        v = Object.keys(d).length ? d : undefined;
      } else {
        const el = root.querySelector(`[data-path="${path}"]`);
        if (!el) continue;
        if (f.kind === 'boolean') v = el.checked ? true : undefined;
        else {
          const s = el.value.trim();
          if (s === '') v = undefined;
          else if (f.kind === 'integer') v = Number.isInteger(Number(s)) ? Number(s) : s;
          else if (f.kind === 'money' || f.kind === 'decimal') v = decimal(s);
          else if (f.kind === 'codes') v = s.split(/[\s,;]+/).filter(Boolean);
          else v = s;
        }
      }
      if (v !== undefined) out[f.name] = v;
    }
    return out;
  }

  function read() { return readFields(description, ''); }

  function clearErrors() {
    summary.replaceChildren();
    for (const el of root.querySelectorAll('[data-error-for]')) el.replaceChildren();
    for (const el of root.querySelectorAll('[aria-invalid]')) { el.removeAttribute('aria-invalid'); el.classList.remove('is-invalid'); }
  }

  // showErrors places each field error beside its field; those of no
  // field of the form (documents, the org) stay in the summary only.
  function showErrors(errors, title) {
    clearErrors();
    const items = [];
    for (const e of errors) {
      const path = e.field.replace(/^data\./, '');
      const slot = root.querySelector(`[data-error-for="${path}"]`);
      const input = root.querySelector(`[data-path="${path}"]`);
      const name = e.label || '';
      if (slot) {
        slot.append(h('div', {}, e.message));
        if (input) { input.setAttribute('aria-invalid', 'true'); input.classList.add('is-invalid'); }
        items.push(h('li', {}, h('a', { href: `#${slot.id.replace(/-error$/, '')}`, onclick: (ev) => { ev.preventDefault(); (input || slot).focus(); } }, name ? `${name}: ${e.message}` : e.message)));
      } else {
        items.push(h('li', {}, name ? `${name}: ${e.message}` : e.message));
      }
    }
    summary.replaceChildren(alert('danger', h('p', { class: 'mb-2' }, title), h('ul', { class: 'mb-0' }, ...items)));
    summary.focus();
  }

  draw();
  root.addEventListener('input', onChange);
  root.addEventListener('change', onChange);
  return { element: root, read, showErrors, clearErrors };
}
