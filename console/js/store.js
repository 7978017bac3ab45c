// The device's copy of one person's data, in IndexedDB: what the last sync brought (campaigns,
// feedback, attachments, visits, invoices, the feed's cursor) and the outbox of writes not yet sent.
// One database per person (company and user id in its name): a sign-in as someone else opens
// another database and never sees the previous person's data; the same person signing in
// again finds their outbox as they left it.
// 2: invoices kept too; a copy made by version 1 is reloaded whole at its next sync (meta "reload")
const VERSION = 2;
const SCHEMA = {
  campaigns: { keyPath: "id" },
  feedback: { keyPath: "campaign_id" },
  attachments: { keyPath: "id", byCampaign: true },
  visits: { keyPath: "id", byCampaign: true },
  invoices: { keyPath: "id", byCampaign: true },
  meta: { keyPath: "key" },
  outbox: { keyPath: "seq", autoIncrement: true },
};
export const ENTITIES = ["campaigns", "feedback", "attachments", "visits", "invoices"];

const opened = new Map();

/** The database's name for a person: their company (the org root) and user id. */
export function dbName(claims) {
  return `huixiang/${String(claims.org).split("/")[0]}/${claims.sub}`;
}

export function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(claims) {
  const name = dbName(claims);
  if (!opened.has(name)) {
    const r = indexedDB.open(name, VERSION);
    r.onupgradeneeded = (event) => {
      for (const [store, spec] of Object.entries(SCHEMA)) {
        if (r.result.objectStoreNames.contains(store)) continue;
        const s = r.result.createObjectStore(store, { keyPath: spec.keyPath, autoIncrement: Boolean(spec.autoIncrement) });
        if (spec.byCampaign) s.createIndex("campaign_id", "campaign_id");
      }
      // a copy synced before invoices were kept lacks them: the next sync reloads the lists whole
      // (the copy stays readable meanwhile, offline included)
      if (event.oldVersion > 0) r.transaction.objectStore("meta").put({ key: "reload", value: true });
    };
    const db = request(r);
    db.catch(() => opened.delete(name));
    opened.set(name, db);
  }
  return opened.get(name);
}

/**
 * fn(stores) inside one transaction over `names`; resolves with fn's result once the
 * transaction has committed (all or nothing). fn may await the stores' requests, nothing else.
 */
export async function transact(claims, names, mode, fn) {
  const db = await open(claims);
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let out;
    Promise.resolve()
      .then(() => fn(stores))
      .then((v) => { out = v; }, (e) => { reject(e); try { t.abort(); } catch { /* already done */ } });
    t.oncomplete = () => resolve(out);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
  });
}

export const read = (claims, name, fn) => transact(claims, [name], "readonly", (s) => fn(s[name]));

export const all = (claims, name) => read(claims, name, (s) => request(s.getAll()));

export const get = (claims, name, key) => read(claims, name, (s) => request(s.get(key)));

export const byCampaign = (claims, name, campaignId) =>
  read(claims, name, (s) => request(s.index("campaign_id").getAll(campaignId)));

export async function meta(claims, key) {
  const row = await get(claims, "meta", key);
  return row ? row.value : undefined;
}
