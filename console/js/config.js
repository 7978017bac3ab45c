// The console's configuration: config.json beside index.html. Locally devstack serves it
// ({"auth": "local", "apiBase": ""}); in production it is written at deploy time from the
// stack's outputs ({"auth": "cognito", "apiBase": "https://…/api", "cognito": {…}}).
let current = null;
let keptCopy = false;

export async function loadConfig() {
  const response = await fetch(new URL("../config.json", import.meta.url), { cache: "no-cache" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  // the service worker answers with the copy it kept when the network does not (sw.js)
  keptCopy = response.headers.get("X-Huixiang-Offline") === "1";
  current = await response.json();
  current.apiBase = (current.apiBase || "").replace(/\/+$/, "");
  return current;
}

export function config() {
  return current;
}

/** Whether this start found no network (config.json came from the service worker's copy). */
export function startedOffline() {
  return keptCopy || !navigator.onLine;
}
