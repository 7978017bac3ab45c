// Online or not, as the console knows it: what the API's calls found (api.js reports each), the
// browser's online/offline events, and, while offline, a probe of config.json every few seconds
// through the service worker (which marks the copy it kept): navigator.onLine only guesses, and
// an offline session makes no API call that could tell. Small on purpose: the first screen loads it.
import { useEffect, useState } from "./ui.js";

const PROBE_EVERY_MS = 5000;
let online = navigator.onLine;
const listeners = new Set();

/** listener(online) on every change; returns the unsubscribe. */
export function onNetwork(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function isOnline() {
  return online;
}

/** Whether a call reached the server (or the network answered a probe). */
export function reached(ok) {
  if (ok === online) return;
  online = ok;
  for (const l of listeners) l(online);
}

/** Re-render the calling component when the console goes on- or offline. */
export function useOnline() {
  const [value, setValue] = useState(online);
  useEffect(() => {
    setValue(online);
    return onNetwork(setValue);
  }, []);
  return value;
}

async function probe() {
  try {
    const r = await fetch(new URL("../config.json", import.meta.url), { cache: "no-store" });
    reached(r.ok && r.headers.get("X-Huixiang-Offline") !== "1");
  } catch {
    reached(false);
  }
}

addEventListener("online", () => reached(true));
addEventListener("offline", () => reached(false));
setInterval(() => {
  if (!online) probe();
}, PROBE_EVERY_MS);
