// The console's entry point: reads config.json, restores the language, completes a sign-in
// redirect if there is one (or, with no network, opens offline as the person who signed in last),
// renders the shell with the screen of the current route, and registers the service worker.
import { html, render, useEffect, useRef, useState } from "./ui.js";
import { loadConfig, startedOffline } from "./config.js";
import { configureApi } from "./api.js";
import {
  currentSession, expire, initAuth, onSessionChange, openOffline, rememberedUser, signInCognito, signOut, token,
} from "./auth.js";
import { reached, useOnline } from "./net.js";
import { lang, setLang, t, useLang } from "./i18n.js";
import { match, navigate, useRoute } from "./router.js";
import { HOME, SCREENS } from "./screens/index.js";
import { firstScreen, Loading, LoadError, markReady } from "./components.js";

function findScreen(path, role) {
  for (const s of SCREENS) {
    const params = match(s.path, path);
    if (params) return { screen: s, params, allowed: s.roles.includes(role) };
  }
  return null;
}

const loaded = new Map();

function loadScreen(screen) {
  if (!loaded.has(screen.id)) loaded.set(screen.id, screen.load().then((m) => m.default));
  return loaded.get(screen.id);
}

function LazyScreen({ found, route, session }) {
  const [state, setState] = useState({ Component: null, error: null });
  const first = useRef(true);
  useEffect(() => {
    let live = true;
    setState({ Component: null, error: null });
    loadScreen(found.screen).then(
      (Component) => live && setState({ Component, error: null }),
      (error) => live && setState({ Component: null, error }),
    );
    return () => { live = false; };
  }, [found.screen.id]);
  useEffect(() => {
    if (!state.Component) return;
    if (first.current) { first.current = false; return; }
    const h1 = document.querySelector("main h1");
    if (h1) h1.focus({ preventScroll: true });
  }, [state.Component, route.path]);
  if (state.error) return html`<${LoadError} error=${state.error} onRetry=${() => location.reload()} />`;
  if (!state.Component) return html`<${Loading} />`;
  const C = state.Component;
  return html`<${C} params=${found.params} query=${route.query} session=${session} />`;
}

function LangSwitch() {
  const other = lang() === "zh" ? "en" : "zh";
  return html`<button type="button" class="link lang" lang=${other === "zh" ? "zh-CN" : "en"}
    onClick=${() => setLang(other)}>${other === "zh" ? "中文" : "English"}</button>`;
}

function Shell({ session, route, children }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const role = session.claims.role;
  const items = SCREENS.filter((s) => s.nav && s.roles.includes(role));
  useEffect(() => setMenuOpen(false), [route.path]);
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>${t("app.skip")}</a>
  <header class="top">
    <div class="brand"><span class="logo" aria-hidden="true">回</span> ${t("app.name")}</div>
    <button type="button" class="menu-toggle secondary" aria-expanded=${menuOpen ? "true" : "false"} aria-controls="nav"
      onClick=${() => setMenuOpen(!menuOpen)}>${t("app.menu")}</button>
    <div class="who">
      <span class="who-name">${session.claims.name}</span>
      <span class="who-role">${t(`role.${role}`)} · ${session.claims.org}</span>
    </div>
    <div class="top-actions">
      <${LangSwitch} />
      <button type="button" class="link" onClick=${() => signOut()}>${t("auth.sign_out")}</button>
    </div>
  </header>
  <nav id="nav" class=${`nav ${menuOpen ? "open" : ""}`} aria-label=${t("app.nav")}>
    <ul>${items.map((s) => {
      const current = match(s.path, route.path) !== null;
      const label = t(typeof s.nav === "function" ? s.nav(role) : s.nav);
      return html`<li><a href=${`#${s.path}`} aria-current=${current ? "page" : undefined}>${label}</a></li>`;
    })}</ul>
  </nav>
  <main id="main" tabindex="-1"><${LazyOfflineBar} session=${session} />${children}</main>`;
}

// The offline machinery (the bar, sending, syncing, the service worker) is loaded once the first
// screen is there: the sign-in screen does not need it.
let offline = null;
const loadOffline = () => offline || (offline = import("./offline.js"));

function LazyOfflineBar({ session }) {
  const [Bar, setBar] = useState(null);
  useEffect(() => { loadOffline().then((m) => setBar(() => m.OfflineBar)); }, []);
  return Bar ? html`<${Bar} session=${session} />` : null;
}

function NotFound({ allowed }) {
  return html`<div class="page" data-busy="false"><h1>${allowed === false ? t("err.forbidden") : t("state.not_found")}</h1>
    <p><a href="#/">${t("action.home")}</a></p></div>`;
}

/** With no network nobody can sign in: the person who signed in last may go on offline. */
function OfflineEntry() {
  const online = useOnline();
  const user = rememberedUser();
  if (online || !user) return null;
  return html`<div class="notice notice-warn offline-entry">
    <p>${t("offline.cannot_sign_in")}</p>
    <button type="button" class="secondary" onClick=${() => openOffline()}>${t("offline.continue_as", { name: user.name })}</button>
  </div>`;
}

function CognitoSignIn({ notice }) {
  useEffect(() => markReady(), []);
  return html`<main id="main" class="signin"><div class="page" data-busy="false">
    <h1>${t("app.name")}</h1>
    ${notice ? html`<p class="notice notice-warn" role="status">${notice}</p>` : ""}
    <${OfflineEntry} />
    <p>${t("auth.cognito_intro")}</p>
    <button type="button" onClick=${() => signInCognito()}>${t("auth.sign_in")}</button>
    <p class="top-actions"><${LangSwitch} /></p>
  </div></main>`;
}

function LocalSignIn(props) {
  const [C, setC] = useState(null);
  useEffect(() => { import("./local/signin.js").then((m) => setC(() => m.default)); }, []);
  return C ? html`<${C} ...${props} LangSwitch=${LangSwitch} OfflineEntry=${OfflineEntry} />` : html`<${Loading} />`;
}

function App({ config }) {
  useLang();
  const route = useRoute();
  const [session, setSession] = useState(currentSession());
  const [notice, setNotice] = useState(null);
  useEffect(() => onSessionChange((s, reason) => {
    setSession(s);
    if (reason === "expired") setNotice(t("auth.expired"));
    if (reason === "signed_out") setNotice(null);
    if (reason === "sign_in_to_send") setNotice(t("offline.sign_in_notice"));
    if (reason === "signed_in" || reason === "offline") {
      setNotice(null);
      const found = findScreen(location.hash.replace(/^#/, "").split("?")[0] || "/", s.claims.role);
      if (!found || !found.allowed) navigate(HOME[s.claims.role] || "/campaigns", {}, { replace: true });
    }
  }), []);
  const role = session && session.claims.role;
  const home = HOME[role] || "/campaigns";
  useEffect(() => {
    if (session && route.path === "/") history.replaceState(null, "", `#${home}`);
  }, [session, route.path]);
  if (!session) {
    return config.auth === "local"
      ? html`<${LocalSignIn} notice=${notice} />`
      : html`<${CognitoSignIn} notice=${notice} />`;
  }
  const path = route.path === "/" ? home : route.path;
  const found = findScreen(path, role);
  return html`<${Shell} session=${session} route=${{ ...route, path }}>
    ${found && found.allowed
      ? html`<${LazyScreen} key=${found.screen.id} found=${found} route=${{ ...route, path }} session=${session} />`
      : html`<${NotFound} allowed=${found ? false : undefined} />`}
  </${Shell}>`;
}

async function boot() {
  const root = document.getElementById("app");
  try {
    const config = await loadConfig();
    configureApi({ base: config.apiBase, token, onUnauthorized: () => expire(), onReach: reached });
    await initAuth(config);
    reached(!startedOffline());
    if (!currentSession() && startedOffline()) openOffline();
    root.textContent = "";
    render(html`<${App} config=${config} />`, root);
  } catch (error) {
    root.textContent = "";
    render(html`<main id="main"><${LoadError} error=${error} onRetry=${() => location.reload()} /></main>`, root);
  }
}

boot();
// once the first screen is usable and the page idle: the offline machinery, then the worker
// (whose precache never competes with the first screen; the page's load event comes before the
// sign-in screen, itself loaded lazily, is there)
firstScreen.then(() => {
  const later = window.requestIdleCallback || ((f) => setTimeout(f, 500));
  later(() => loadOffline().then((m) => m.registerWorker()).catch(() => undefined), { timeout: 3000 });
});
