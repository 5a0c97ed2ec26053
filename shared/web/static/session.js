// The signed-in session: the bearer token lives in this module's memory
// only (never in localStorage or a cookie), so a closed or reloaded tab is
// signed out and no ambient credential exists for a cross-site request to
// ride on. In the cloud the token comes from the Cognito hosted UI with the
// authorization code flow and PKCE; the verifier and the state wait in
// sessionStorage across the redirect only, and are removed on return.

let token = null;
let principal = null;
const listeners = new Set();

export const session = {
  token: () => token,
  principal: () => principal,
  signedIn: () => token !== null,
  onChange: (f) => listeners.add(f),
  set(tok) {
    token = tok;
    principal = tok ? claims(tok) : null;
    for (const f of listeners) f(principal);
  },
  clear() { this.set(null); },
};

// claims reads the token's payload for display (role, organisations,
// Region). The API verifies the token on every request; nothing here is
// trusted for access.
function claims(tok) {
  const part = tok.split('.')[1] || '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  const c = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (ch) => ch.charCodeAt(0))));
  const get = (k) => c[k] ?? c[`custom:${k}`] ?? '';
  let orgs = get('orgs');
  if (typeof orgs === 'string') orgs = orgs.replace(/[[\]"]/g, ' ').split(/[\s,]+/).filter(Boolean);
  return { sub: c.sub, role: get('role'), region: get('region'), orgs: orgs || [], exp: c.exp };
}

// devSignIn asks the local runtime's dev token issuer (never deployed).
export async function devSignIn({ role, orgs, region }) {
  const resp = await fetch('/v1/dev/token', {
    method: 'POST', credentials: 'omit', cache: 'no-store',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ role, orgs, region, sub: `web-${role}-${orgs[0] || region}` }),
  });
  const body = await resp.json();
  if (!resp.ok) throw new Error(body.detail || 'Accesso non riuscito.');
  session.set(body.token);
}

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const callback = () => `${location.origin}/auth/callback`;

// cognitoSignIn goes to the hosted UI (authorization code + PKCE, S256).
export async function cognitoSignIn(cfg) {
  const verifier = random(48);
  const state = random(24);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code', client_id: cfg.clientId, redirect_uri: callback(), scope: 'openid email profile',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(`${cfg.authBase}/oauth2/authorize?${q}`);
}

// cognitoCallback exchanges the code on the callback page for the ID token
// (the API's authorizer accepts ID tokens of this client), then cleans the
// URL so the code is not left in the history.
export async function cognitoCallback(cfg) {
  const q = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem('pkce') || 'null');
  sessionStorage.removeItem('pkce');
  history.replaceState(null, '', '/#/bandi');
  if (q.get('error')) throw new Error(`Accesso non riuscito: ${q.get('error_description') || q.get('error')}.`);
  if (!saved || !q.get('code') || q.get('state') !== saved.state) throw new Error('Accesso non riuscito: risposta di accesso non valida o scaduta. Riprovare.');
  const resp = await fetch(`${cfg.authBase}/oauth2/token`, {
    method: 'POST', credentials: 'omit', cache: 'no-store',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: cfg.clientId, code: q.get('code'), redirect_uri: callback(), code_verifier: saved.verifier }),
  });
  if (!resp.ok) throw new Error('Accesso non riuscito: il codice di accesso non è stato accettato. Riprovare.');
  const body = await resp.json();
  session.set(body.id_token);
}

export function cognitoSignOut(cfg) {
  session.clear();
  if (cfg.signIn === 'cognito' && cfg.authBase) {
    const q = new URLSearchParams({ client_id: cfg.clientId, logout_uri: `${location.origin}/` });
    location.assign(`${cfg.authBase}/logout?${q}`);
  }
}
