// The console's service worker: the app shell of one release, so /console/ opens with no network
// and a page never runs a mix of two releases (docs/console.md, "Offline").
//
// SHELL is written in when this file is served (infra/console_shell.py): {version, files: {path:
// sha256}}, every file of the release. A changed file is a new version, so new bytes here, so the
// browser installs the new worker, which fetches every file, checks each against its hash and
// fails (the old release stays) unless the whole release is there. The page (js/offline.js) then
// tells the new worker to take over and reloads once. API responses never pass through a cache:
// the app keeps its data in IndexedDB, and only the deployment's config.json is kept for offline
// starts (network first).
const SHELL = /* SHELL */ null;
const PREFIX = "huixiang-console-";
const CACHE = SHELL ? `${PREFIX}${SHELL.version}` : null;
const SCOPE = new URL("./", self.location.href);
const CONFIG = "config.json";

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function precache() {
  if (!SHELL) throw new Error("sw.js was served without its release");
  const cache = await caches.open(CACHE);
  const queue = Object.entries(SHELL.files);
  // a few at a time: the page that registered this worker may still be loading; the first file
  // that fails ends them all (queue emptied)
  const fetcher = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [path, sha256] = next;
      const url = new URL(path, SCOPE).href;
      const response = await fetch(url, { cache: "no-cache" });
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      const digest = hex(await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer()));
      if (digest !== sha256) throw new Error(`${path} is not the file of release ${SHELL.version}`);
      await cache.put(url, response);
    }
  };
  const ends = await Promise.allSettled(Array.from({ length: 4 }, () => fetcher().catch((error) => {
    queue.length = 0;
    throw error;
  })));
  const failed = ends.find((end) => end.status === "rejected");
  if (failed) {
    await caches.delete(CACHE); // never a partial release: the old one stays in charge
    throw failed.reason;
  }
  await refreshConfig(cache).catch(() => undefined);
}

async function refreshConfig(cache) {
  const url = new URL(CONFIG, SCOPE).href;
  const response = await fetch(url, { cache: "no-cache" });
  if (response.ok) await cache.put(url, response.clone());
  return response;
}

self.addEventListener("install", (event) => event.waitUntil(precache()));

self.addEventListener("activate", (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
  }
  await self.clients.claim();
})()));

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "activate") self.skipWaiting();
  if (message.type === "version" && event.ports[0]) event.ports[0].postMessage({ version: SHELL && SHELL.version });
});

async function fromRelease(path) {
  const cache = await caches.open(CACHE);
  const found = await cache.match(new URL(path, SCOPE).href);
  return found || fetch(new URL(path, SCOPE).href);
}

/** The deployment's settings: fresh when the network answers, else the copy kept (marked so the
 * page knows it starts offline). */
async function config() {
  const cache = await caches.open(CACHE);
  try {
    return await refreshConfig(cache);
  } catch (error) {
    const kept = await cache.match(new URL(CONFIG, SCOPE).href);
    if (!kept) throw error;
    const headers = new Headers(kept.headers);
    headers.set("X-Huixiang-Offline", "1");
    return new Response(kept.body, { status: kept.status, headers });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!SHELL || request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return; // the API, storage
  const path = url.pathname.slice(SCOPE.pathname.length);
  if (request.mode === "navigate" && (path === "" || path === "index.html")) {
    event.respondWith(fromRelease("index.html"));
  } else if (path === CONFIG) {
    event.respondWith(config());
  } else if (Object.hasOwn(SHELL.files, path)) {
    event.respondWith(fromRelease(path));
  }
});
