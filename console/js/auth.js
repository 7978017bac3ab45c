// Who is signed in. Tokens live in this module's memory only (never in localStorage or
// sessionStorage): a reload signs in again (Cognito's own session makes that one redirect).
//
// Local stack: the sign-in screen (local/signin.js) asks devstack's POST /local/token for a
// token of a chosen user, role and org. Production: Cognito's hosted UI, authorization code
// with PKCE (RFC 7636); only the PKCE verifier and state cross the redirect, in sessionStorage.

import { NetworkError } from "./api.js";

let session = null;          // {token, refreshToken, claims, expiresAt} (token null: an offline session)
let cfg = null;
let refreshTimer = null;
const listeners = new Set();
const PKCE_KEY = "huixiang:pkce";

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(reason) {
  for (const l of listeners) l(session, reason);
}

export function currentSession() {
  return session;
}

export function token() {
  return session ? session.token : null;
}

/** The claims of a JWT, decoded for display and navigation only (the API verifies it). */
export function claimsOf(jwt) {
  const part = jwt.split(".")[1] || "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function setSession(idToken, refreshToken, reason = "signed_in") {
  const c = claimsOf(idToken);
  session = {
    token: idToken,
    refreshToken: refreshToken || null,
    expiresAt: (c.exp || 0) * 1000,
    claims: { sub: c.sub, name: c.name || c.sub, email: c.email, role: c["custom:role"], org: c["custom:org"] },
  };
  rememberUser(session.claims);
  scheduleRefresh();
  emit(reason);
}

// -- offline -----------------------------------------------------------------------------------
// With no network a reload cannot sign in (the token was in memory only). The console remembers
// who signed in last on this device — their claims, never a token — and may open as them
// offline: the data of their last sync and their outbox, nothing sent until a real sign-in.
// Signing out forgets them.
const LAST_USER = "huixiang:offline-user";

function rememberUser(claims) {
  try {
    localStorage.setItem(LAST_USER, JSON.stringify(claims));
  } catch {
    /* storage disabled: no offline start on this device */
  }
}

/** The claims of whoever signed in last on this device (and has not signed out), or null. */
export function rememberedUser() {
  try {
    return JSON.parse(localStorage.getItem(LAST_USER) || "null");
  } catch {
    return null;
  }
}

/** Open the console offline as the remembered person: a session without a token. */
export function openOffline() {
  const claims = rememberedUser();
  if (!claims) return false;
  clearTimeout(refreshTimer);
  session = { token: null, refreshToken: null, expiresAt: 0, claims, offline: true };
  emit("offline");
  return true;
}

/** Leave an offline session for the sign-in screen (the network is back; sending needs a token). */
export function endOffline() {
  session = null;
  emit("sign_in_to_send");
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session || !session.refreshToken || !cfg || cfg.auth !== "cognito") return;
  const wait = Math.max(5000, session.expiresAt - Date.now() - 120000);
  refreshTimer = setTimeout(() => refresh().catch(() => expire()), wait);
}

/** Called once at start: completes a Cognito redirect when the URL carries ?code=. */
export async function initAuth(config) {
  cfg = config;
  if (cfg.auth === "cognito" && new URLSearchParams(location.search).has("code")) {
    await completeCognitoSignIn();
  }
}

/** The API said 401: the token expired or was revoked. */
export function expire() {
  session = null;
  clearTimeout(refreshTimer);
  emit("expired");
}

export function signOut() {
  session = null;
  localStorage.removeItem(LAST_USER);
  clearTimeout(refreshTimer);
  emit("signed_out");
  if (cfg && cfg.auth === "cognito") {
    const c = cfg.cognito;
    const q = new URLSearchParams({ client_id: c.clientId, logout_uri: c.logoutUri || c.redirectUri });
    location.assign(`${c.domain}/logout?${q}`);
  }
}

// -- local stack --------------------------------------------------------------------------------
export async function signInLocal({ sub, role, org, name }) {
  let response;
  try {
    response = await fetch(cfg.localTokenUrl, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sub, role, org, name }),
    });
  } catch (e) {
    throw new NetworkError(e && e.message);
  }
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body.message || `HTTP ${response.status}`);
    error.errors = body.errors || [];
    throw error;
  }
  setSession(body.token, null);
}

// -- Cognito hosted UI, authorization code + PKCE --------------------------------------------------
function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomToken(n = 32) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

export async function signInCognito() {
  const c = cfg.cognito;
  const verifier = randomToken(48);
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = randomToken(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const q = new URLSearchParams({
    response_type: "code", client_id: c.clientId, redirect_uri: c.redirectUri,
    scope: c.scope || "openid email profile", state, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(`${c.domain}/oauth2/authorize?${q}`);
}

async function tokenRequest(form) {
  const response = await fetch(`${cfg.cognito.domain}/oauth2/token`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error_description || body.error || `HTTP ${response.status}`);
  return body;
}

async function completeCognitoSignIn() {
  const params = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  // the code must not stay in the address bar (or in history) after it was used
  history.replaceState(null, "", `${location.pathname}${(saved && saved.returnTo) || ""}`);
  if (!saved || params.get("state") !== saved.state) throw new Error("sign-in state mismatch");
  const body = await tokenRequest({
    grant_type: "authorization_code", client_id: cfg.cognito.clientId, code: params.get("code"),
    redirect_uri: cfg.cognito.redirectUri, code_verifier: saved.verifier,
  });
  setSession(body.id_token, body.refresh_token);
}

async function refresh() {
  const body = await tokenRequest({
    grant_type: "refresh_token", client_id: cfg.cognito.clientId, refresh_token: session.refreshToken,
  });
  setSession(body.id_token, session.refreshToken, "refreshed");
}
