// The web interface's core: loads the deployment's settings, draws
// the session area, and routes on the URL's fragment (#/bandi, …), so the
// page never reloads and the token held in memory survives navigation.
import { h, page, alert } from './ui.js';
import { session, cognitoCallback, cognitoSignIn, cognitoSignOut } from './session.js';

export const config = { signIn: 'dev' };

// Routes: pattern on the fragment → page; auth: needs a signed-in user.
const routes = [{ re: /^#?\/?$/, auth: false, render: home }];

// cleanups run when the page changes (timers of countdowns, …).
const cleanups = [];
export function onLeave(f) { cleanups.push(f); }

async function render() {
  while (cleanups.length) cleanups.pop()();
  const hash = location.hash || '#/';
  for (const r of extraRoutes.concat(routes)) {
    const m = hash.match(r.re);
    if (!m) continue;
    if (r.auth && !session.signedIn()) {
      sessionStorage.setItem('after-sign-in', hash);
      location.hash = '#/accedi';
      return;
    }
    try {
      await r.render(...m.slice(1).map(decodeURIComponent));
    } catch (e) {
      page('Si è verificato un errore', alert('danger', e.message || String(e)));
    }
    return;
  }
  page('Pagina non trovata', h('p', {}, 'L\'indirizzo non corrisponde ad alcuna pagina. ', h('a', { href: '#/' }, 'Torna alla pagina iniziale'), '.'));
}

// Pages register here (main.js imports them all before start).
const extraRoutes = [];
export function route(re, render, auth = true) { extraRoutes.push({ re, render, auth }); }

export function afterSignIn() {
  const next = sessionStorage.getItem('after-sign-in') || '#/bandi';
  sessionStorage.removeItem('after-sign-in');
  if (location.hash === next) render(); else location.hash = next;
}

function home() {
  page('Sportello bandi regionali',
    h('p', { class: 'lead' }, 'I Comuni e i gestori dei servizi educativi presentano qui le domande ai bandi regionali, caricano i documenti firmati e ricevono il numero di protocollo. I funzionari regionali istruiscono le domande.'),
    session.signedIn()
      ? h('p', {}, h('a', { class: 'btn btn-primary', href: '#/bandi' }, 'Vai ai bandi'))
      : h('p', {}, h('a', { class: 'btn btn-primary', href: '#/accedi' }, 'Accedi')),
    h('h2', { class: 'h4 mt-5' }, 'Senza accesso'),
    h('ul', {}, ...publicLinks.map(([href, text]) => h('li', {}, h('a', { href }, text)))));
}
const publicLinks = [];
export function publicPage(href, text) { publicLinks.push([href, text]); }

// The Regions come from the catalog through /web/config.json.
export const regionName = (r) => (config.regions && config.regions[r] ? `Regione ${config.regions[r]}` : r);

function drawSession() {
  const zone = document.getElementById('session');
  const p = session.principal();
  if (!p) {
    zone.replaceChildren(h('a', { class: 'btn btn-primary btn-sm', href: '#/accedi' }, 'Accedi'));
    return;
  }
  const who = p.role === 'officer' ? `Funzionario, ${regionName(p.region)}` : `Ente: ${p.orgs.join(', ')}`;
  zone.replaceChildren(
    h('span', { id: 'who' }, who),
    h('button', { type: 'button', class: 'btn btn-outline-light btn-sm', id: 'sign-out', onclick: () => { cognitoSignOut(config); location.hash = '#/'; } }, 'Esci'));
}

export async function start() {
  try {
    const resp = await fetch('/web/config.json', { credentials: 'omit' });
    Object.assign(config, await resp.json());
  } catch { /* keeps dev */ }
  const regions = Object.keys(config.regions || {}).sort().map(regionName);
  if (regions.length) document.getElementById('brand').textContent = regions.join(' · ');
  session.onChange(drawSession);
  drawSession();
  if (location.pathname === '/auth/callback') {
    try {
      await cognitoCallback(config);
    } catch (e) {
      page('Accesso', alert('danger', e.message));
      return;
    }
  }
  window.addEventListener('hashchange', render);
  await render();
}

export { cognitoSignIn };
