// Sign-in: the Cognito hosted UI in the cloud; locally, the dev token
// issuer with a demo profile (never deployed: the stack has no such route).
import { h, page, alert } from './ui.js';
import { devSignIn, cognitoSignIn } from './session.js';
import { afterSignIn, route, config, regionName } from './app.js';

// Demo profiles: the local runtime's seeded organisations, and an officer
// of each Region of the catalog.
const profiles = () => [
  { id: 'milano', label: 'Comune di Milano (Lombardia)', role: 'applicant', orgs: ['comune:015146'] },
  { id: 'bergamo', label: 'Comune di Bergamo (Lombardia)', role: 'applicant', orgs: ['comune:016024'] },
  { id: 'torino', label: 'Comune di Torino (Piemonte)', role: 'applicant', orgs: ['comune:001272'] },
  { id: 'udine-gestore', label: 'Cooperativa Sociale Il Nido, gestore (Friuli Venezia Giulia)', role: 'applicant', orgs: ['gestore:01234567897'] },
  ...Object.keys(config.regions || {}).sort().map((code) => (
    { id: `officer-${code.toLowerCase()}`, label: `Funzionario della ${regionName(code)}`, role: 'officer', region: code })),
];

route(/^#\/accedi$/, () => signInPage(config), false);

export function signInPage(config) {
  if (config.signIn === 'cognito') {
    if (!config.authBase) {
      page('Accedi', alert('warning', 'L\'accesso non è configurato in questo ambiente: manca il dominio di accesso (authDomainPrefix, docs/deploy.md).'));
      return;
    }
    page('Accedi',
      h('p', {}, 'L\'accesso avviene con SPID, CIE o con le credenziali rilasciate dalla Regione, sulla pagina di accesso regionale.'),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: () => cognitoSignIn(config) }, 'Accedi con SPID o CIE'));
    return;
  }
  const error = h('div', { 'aria-live': 'assertive' });
  const custom = h('input', { type: 'text', id: 'org', class: 'form-control', autocomplete: 'off', 'aria-describedby': 'org-help' });
  const demo = profiles();
  const form = h('form', { novalidate: true },
    h('fieldset', {},
      h('legend', { class: 'h5' }, 'Profilo dimostrativo'),
      ...demo.map((p, i) => h('div', { class: 'form-check' },
        h('input', { class: 'form-check-input', type: 'radio', name: 'profile', id: `p-${p.id}`, value: p.id, checked: i === 0 }),
        h('label', { class: 'form-check-label', for: `p-${p.id}` }, p.label)))),
    h('div', { class: 'form-group mt-4' },
      h('label', { for: 'org', class: 'active' }, 'Altro ente (facoltativo)'),
      custom,
      h('small', { id: 'org-help', class: 'form-text' }, 'Codice dell\'ente per cui operare, ad esempio comune:015146; sostituisce quello del profilo scelto.')),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'sign-in' }, 'Accedi'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chosen = demo.find((p) => p.id === form.elements.profile.value);
    const orgs = custom.value.trim() ? [custom.value.trim()] : chosen.orgs || [];
    try {
      await devSignIn({ role: chosen.role, orgs, region: chosen.region || '' });
      afterSignIn();
    } catch (e) {
      error.replaceChildren(alert('danger', e.message));
    }
  });
  page('Accedi (ambiente locale)',
    alert('info', 'Ambiente locale di prova: si accede scegliendo un profilo dimostrativo. Nel servizio pubblicato l\'accesso avviene con SPID o CIE.'),
    form);
}
