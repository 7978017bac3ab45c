// Offline as the shell shows it: when the device's copy was last synced, what waits in the
// outbox and what was refused (a bar on every screen), and when to send and sync (a sign-in,
// the network coming back, every few minutes). Also the service worker's registration: a new
// release takes over at the next load, with one reload (sw.js). Loaded after the first screen
// (main.js): nothing here is needed to show it.
import { html, useEffect, useState } from "./ui.js";
import { currentSession, endOffline, onSessionChange } from "./auth.js";
import { drain, items as outboxItems, onOutbox } from "./outbox.js";
import { device, OFFLINE_ROLES, sync } from "./sync.js";
import { isOnline, onNetwork, useOnline } from "./net.js";
import { t } from "./i18n.js";
import { date } from "./format.js";
import { Badge, SCREEN_READY } from "./components.js";

const SYNC_EVERY_MS = 5 * 60000;
// waiting, refused: null until the outbox of the session has been counted; installed: the
// service worker holds a release of the console (it opens with no network from then on)
const state = { syncing: false, syncedAt: null, syncError: null, waiting: null, refused: null, installed: false };
const listeners = new Set();

function set(changes) {
  Object.assign(state, changes);
  for (const l of listeners) l({ ...state });
}

/** The sync and outbox state, re-rendering the component when it changes. */
export function useSyncState() {
  const [value, setValue] = useState({ ...state });
  useEffect(() => {
    listeners.add(setValue);
    setValue({ ...state });
    return () => listeners.delete(setValue);
  }, []);
  return value;
}

/** The outbox's items (of one campaign, or all), kept current as they change and go; `initial`
 * until they are read (null lets a screen say it is still reading). */
export function useOutboxItems(campaignId, initial = []) {
  const [list, setList] = useState(initial);
  useEffect(() => {
    let live = true;
    const load = () => {
      const s = currentSession();
      if (!s) return;
      outboxItems(s.claims).then((l) => live && setList(campaignId ? l.filter((i) => i.campaign_id === campaignId) : l));
    };
    load();
    const off = onOutbox((event) => {
      if (event.type === "progress") setList((l) => l && l.map((i) => (i.seq === event.seq ? { ...i, progress: event.fraction } : i)));
      else if (event.type === "changed") load();
    });
    return () => {
      live = false;
      off();
    };
  }, [campaignId]);
  return list;
}

async function countOutbox() {
  const s = currentSession();
  const list = s ? await outboxItems(s.claims) : [];
  if (currentSession() !== s) return;
  set({ waiting: list.filter((i) => i.state !== "refused").length, refused: list.filter((i) => i.state === "refused").length });
}

/** Sync the signed-in rep's copy now; resolves when done (or failed: the bar says when it last worked). */
export async function syncNow() {
  const s = currentSession();
  if (!s || !s.token || !OFFLINE_ROLES.includes(s.claims.role)) return;
  set({ syncing: true });
  try {
    const at = await sync(s.claims);
    if (currentSession() === s) set({ syncing: false, syncedAt: at, syncError: null });
  } catch (error) {
    set({ syncing: false, syncError: error });
  }
}

/** Send what waits, then sync. */
export function kick() {
  drain();
  syncNow();
}

onOutbox((event) => {
  if (event.type === "changed") countOutbox();
  if (event.type === "drained") syncNow(); // the server's view of what was just sent
});

const SETTLE_MS = 3000;
const soon = (f) => (window.requestIdleCallback || ((g) => setTimeout(g, 300)))(f, { timeout: 2000 });

/**
 * f() once the screen shown has its data and the page is idle, so that sending and syncing never
 * compete with it: at a sign-in, the next screen to be ready (the home screen); else (this module
 * loaded into a session) the screen shown now, unless it is still loading. SETTLE_MS at most.
 */
function whenSettled(f, now) {
  let done = false;
  const go = () => {
    if (done) return;
    done = true;
    removeEventListener(SCREEN_READY, go);
    soon(f);
  };
  addEventListener(SCREEN_READY, go);
  setTimeout(go, SETTLE_MS);
  if (now && !document.querySelector('main .page[data-busy="true"]')) go();
}

function started(session, now = false) {
  set({ syncedAt: null, syncError: null, waiting: null, refused: null });
  if (!session) return;
  countOutbox();
  if (OFFLINE_ROLES.includes(session.claims.role)) {
    device.syncedAt(session.claims).then((at) => currentSession() === session && !state.syncedAt && set({ syncedAt: at || null }));
  }
  if (session.token) whenSettled(kick, now);
}

onSessionChange((session) => started(session));
started(currentSession(), true); // a session begun before this module was loaded
onNetwork((online) => online && kick());

setInterval(() => {
  if (isOnline() && currentSession()) kick();
}, SYNC_EVERY_MS);

/** The bar under the header: offline, last sync, waiting to send (n), refused (n). */
export function OfflineBar({ session }) {
  const s = { ...useSyncState(), online: useOnline() };
  const keeps = OFFLINE_ROLES.includes(session.claims.role);
  const signInToSend = session.offline && s.online;
  if (s.online && !session.offline && !keeps && !s.waiting && !s.refused) return null;
  return html`<div class=${`offline-bar ${s.online ? "" : "is-offline"}`} role="status"
    data-waiting=${s.waiting === null ? undefined : s.waiting}>
    ${!s.online ? html`<strong class="offline-state">${t("offline.offline")}</strong>` : ""}
    ${keeps ? html`<span class="synced">${s.syncing ? t("offline.syncing")
      : s.syncedAt ? t("offline.synced_at", { at: date(s.syncedAt) }) : t("offline.never_synced")}</span>` : ""}
    ${keeps && s.installed && s.syncedAt ? html`<span class="offline-ready" title=${t("offline.ready_title")}>${t("offline.ready")}</span>` : ""}
    ${s.waiting ? html`<a href="#/outbox" class="outbox-count">${t("offline.waiting", { n: s.waiting })}</a>` : ""}
    ${s.refused ? html`<a href="#/outbox" class="outbox-refused">${t("offline.refused", { n: s.refused })}</a>` : ""}
    ${signInToSend ? html`<button type="button" class="link" onClick=${() => endOffline()}>${t("offline.sign_in_to_send")}</button>`
      : keeps && s.online && !s.syncing && !session.offline ? html`<button type="button" class="link" onClick=${() => kick()}>${t("offline.sync_now")}</button>` : ""}
  </div>`;
}

/** A badge saying that something of a campaign waits in the outbox, or was refused. */
export function Waiting({ items }) {
  if (!items.length) return null;
  const refused = items.some((i) => i.state === "refused");
  return html`<${Badge} kind=${refused ? "bad" : "warn"}>${t(refused ? "outbox.state_refused" : "outbox.state_waiting")}<//>`;
}

// -- the service worker ----------------------------------------------------------------------------
/**
 * Register sw.js (scope /console/). When a new release has installed behind a page that an older
 * one serves, tell it to take over and reload once: the page then runs the new release only.
 * The first install reloads nothing (no release ran before it).
 */
export async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController || reloading) return;
    reloading = true;
    location.reload();
  });
  const take = (worker) => worker && worker.postMessage({ type: "activate" });
  const registration = await navigator.serviceWorker.register(new URL("../sw.js", import.meta.url), {
    scope: new URL("../", import.meta.url).pathname, updateViaCache: "none",
  });
  if (registration.waiting && hadController) take(registration.waiting);
  navigator.serviceWorker.ready.then(() => set({ installed: true }));
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) take(worker);
    });
  });
}
