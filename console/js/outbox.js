// The outbox: every feedback write, photo and typed invoice goes through it, so what cannot be sent now waits on
// the device (IndexedDB, per person: it survives a reload and a new sign-in of the same person)
// and is sent once, in order, when the network and a signed-in session are there.
//
// Each item keeps its own Idempotency-Key, the same on every retry, so a request whose answer
// was lost has no second effect. A photo is kept as a blob with its SHA-256 (Web Crypto); its
// attachment request is an idempotent POST (the same key answers the same upload form again),
// the bytes go only to that form's target (the same object again: the checker decides once per
// object version), and a form about to expire unused is deleted before a new one is asked for,
// so no retry leaves a second attachment. A refusal (a 4xx that is about the write, e.g. 409
// feedback_locked or a 400 naming fields) stays on its item with its error until the person
// fixes or discards it; later writes of that campaign wait behind it (not behind a refused
// invoice: an invoice used elsewhere says nothing about the report), others go on. A network
// failure or a 5xx stops the queue until the next attempt (the network is back, a sign-in, a
// timer, Retry).
import { api, ApiError, NetworkError, newIdempotencyKey, uploadToStorage } from "./api.js";
import { currentSession } from "./auth.js";
import { all, dbName, meta, request, transact } from "./store.js";

const RETRY_MS = 30000;
const CHECK_TIMEOUT_MS = 60000;
/** A 409 that says "not now" rather than "no": retried, never a refusal. */
const TRANSIENT = ["request_in_progress", "conflict"];

const listeners = new Set();
const waiters = new Map(); // seq → [resolve] of those awaiting its outcome
const progress = new Map(); // seq → fraction of a photo's bytes sent
let sendingSeq = null;
let draining = null;
let rerun = false;
let retryTimer = null;

/** listener({type: "changed" | "progress" | "sent", item?, response?}) */
export function onOutbox(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(event) {
  for (const l of listeners) l(event);
}

/** Whether an item is a feedback report's save or submit (not a photo or an invoice). */
export const isReport = (item) => item.kind === "feedback_save" || item.kind === "feedback_submit";

/** Whether a refused item holds up the later items of its campaign: a report's refusal does
 * (they may build on it); a refused invoice (one another campaign holds) says nothing about them. */
export const holdsUp = (item) => item.state === "refused" && item.kind !== "invoice";

/** The items waiting on this device for this person, oldest first, with what is in flight. */
export async function items(claims) {
  const list = await all(claims, "outbox");
  return list.map((i) => ({ ...i, sending: i.seq === sendingSeq, progress: progress.get(i.seq) ?? null }));
}

/** The error an item keeps, as the ApiError or NetworkError it was. */
export function itemError(item) {
  if (!item.error) return null;
  return item.error.status ? new ApiError(item.error.status, item.error.body) : new NetworkError(item.error.message);
}

function save(claims, item) {
  const { sending, progress: fraction, ...stored } = item;
  return transact(claims, ["outbox"], "readwrite", (s) => request(s.outbox.put(stored)));
}

export async function discard(claims, seq) {
  await transact(claims, ["outbox"], "readwrite", (s) => s.outbox.delete(seq));
  settle(seq, { state: "discarded" });
  emit({ type: "changed" });
}

/**
 * Queue a feedback write: {kind: "feedback_save" | "feedback_submit", campaign: {id, title},
 * body, key}. It replaces what it makes pointless among the campaign's items not in flight
 * (a submit: earlier saves and submits; a save: earlier saves). Returns its seq.
 */
export async function queueFeedback(claims, { kind, campaign, body, key }) {
  const item = {
    kind, campaign_id: campaign.id, title: campaign.title, body, key: kind === "feedback_submit" ? key : null,
    state: "waiting", error: null, attempts: 0, created_at: new Date().toISOString(),
  };
  const seq = await transact(claims, ["outbox"], "readwrite", async (s) => {
    for (const old of await request(s.outbox.getAll())) {
      const pointless = old.kind === "feedback_save" || (kind === "feedback_submit" && old.kind === "feedback_submit");
      if (old.campaign_id === item.campaign_id && old.seq !== sendingSeq && pointless) s.outbox.delete(old.seq);
    }
    return request(s.outbox.add(item));
  });
  emit({ type: "changed" });
  return seq;
}

/**
 * Queue an invoice typed on the feedback screen: {campaign: {id, title}, body (POST
 * /campaigns/{id}/invoices's typed fields), key}. Returns its seq.
 */
export async function queueInvoice(claims, { campaign, body, key }) {
  const item = {
    kind: "invoice", campaign_id: campaign.id, title: campaign.title, body, key,
    state: "waiting", error: null, attempts: 0, created_at: new Date().toISOString(),
  };
  const seq = await transact(claims, ["outbox"], "readwrite", (s) => request(s.outbox.add(item)));
  emit({ type: "changed" });
  return seq;
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SHA-256 of a file's exact bytes, lowercase hex (what the server checks the upload against). */
export async function sha256Of(blob) {
  return hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
}

/**
 * Queue a photo (or document): the file itself is kept on the device with its SHA-256.
 * {campaign: {id, title}, file, contentType, visitId?}. Returns its seq.
 */
export async function queuePhoto(claims, { campaign, file, contentType, visitId }) {
  const item = {
    kind: "photo", campaign_id: campaign.id, title: campaign.title, key: newIdempotencyKey(),
    state: "waiting", error: null, attempts: 0, created_at: new Date().toISOString(),
    file: {
      blob: file, filename: file.name, content_type: contentType, size_bytes: file.size,
      sha256: await sha256Of(file), visit_id: visitId || null,
    },
    grant: null, tried: false,
  };
  const seq = await transact(claims, ["outbox"], "readwrite", (s) => request(s.outbox.add(item)));
  emit({ type: "changed" });
  return seq;
}

/** The body of a photo's attachment request (POST /campaigns/{id}/attachments): the bytes'
 * SHA-256 declared (other bytes are rejected, hash_mismatch), the visit in force named. */
export function attachmentBody(file) {
  const body = { filename: file.filename, content_type: file.content_type, size_bytes: file.size_bytes };
  if (file.sha256) body.sha256 = file.sha256;
  if (file.visit_id) body.visit_id = file.visit_id;
  return body;
}

// -- sending -----------------------------------------------------------------------------------
/** The session that may send: a signed-in person (an offline session has no token). */
function sender() {
  const s = currentSession();
  return s && s.token ? s : null;
}

function settle(seq, outcome) {
  for (const resolve of waiters.get(seq) || []) resolve(outcome);
  waiters.delete(seq);
}

/**
 * Send now what can be sent and resolve with this item's outcome: {state: "sent", response},
 * {state: "refused", error}, {state: "waiting", error} (not sent yet: it stays queued), or
 * {state: "discarded"}.
 */
export function send(seq) {
  const outcome = new Promise((resolve) => {
    if (!waiters.has(seq)) waiters.set(seq, []);
    waiters.get(seq).push(resolve);
  });
  drain();
  return outcome;
}

/** Send every item that can go, in order (one drain at a time, across tabs too). A call while a
 * drain runs makes it go round once more, so an item queued as it ends is not left behind. */
export function drain() {
  if (draining) {
    rerun = true;
    return draining;
  }
  draining = (async () => {
    try {
      do {
        rerun = false;
        await sendPass();
      } while (rerun);
    } finally {
      draining = null;
      // whatever was not decided stays queued
      for (const seq of [...waiters.keys()]) settle(seq, { state: "waiting", error: new NetworkError("not sent yet") });
    }
  })();
  return draining;
}

async function sendPass() {
  const session = sender();
  if (!session) return;
  const claims = session.claims;
  const work = () => sendAll(session, claims);
  if (navigator.locks) await navigator.locks.request(`outbox:${dbName(claims)}`, work);
  else await work();
}

function isRefusal(error) {
  return error instanceof ApiError && error.status >= 400 && error.status < 500
    && ![401, 408, 429].includes(error.status) && !TRANSIENT.includes(error.code);
}

async function sendAll(session, claims) {
  let sent = 0;
  for (;;) {
    if (currentSession() !== session) break; // signed out or expired meanwhile
    const list = await all(claims, "outbox");
    const blocked = new Set();
    let next = null;
    for (const item of list) {
      if (item.state === "refused") {
        if (holdsUp(item)) blocked.add(item.campaign_id);
      } else if (!blocked.has(item.campaign_id)) {
        next = item;
        break;
      }
    }
    if (!next) break;
    sendingSeq = next.seq;
    emit({ type: "changed" });
    try {
      const response = await deliver(claims, next);
      await transact(claims, ["outbox"], "readwrite", (s) => s.outbox.delete(next.seq));
      sent += 1;
      settle(next.seq, { state: "sent", response });
      emit({ type: "sent", item: next, response });
    } catch (error) {
      next.attempts += 1;
      next.error = error instanceof ApiError ? { status: error.status, body: error.body } : { message: String(error.message || error) };
      if (isRefusal(error)) {
        next.state = "refused";
        await save(claims, next);
        settle(next.seq, { state: "refused", error });
      } else {
        await save(claims, next);
        settle(next.seq, { state: "waiting", error });
        scheduleRetry();
        break;
      }
    } finally {
      sendingSeq = null;
      progress.delete(next.seq);
      emit({ type: "changed" });
    }
  }
  if (sent) emit({ type: "drained", sent });
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => drain(), RETRY_MS);
}

function deliver(claims, item) {
  const id = item.campaign_id;
  if (item.kind === "feedback_save") return api.saveFeedback(id, item.body);
  if (item.kind === "feedback_submit") return awaitChecks(claims, id).then(() => api.submitFeedback(id, item.body, item.key));
  if (item.kind === "invoice") return api.claimInvoice(id, item.body, item.key);
  return deliverPhoto(claims, item);
}

async function attachmentNow(item) {
  const list = await api.attachments(item.campaign_id);
  return list.items.find((a) => a.id === item.grant.attachment.id) || null;
}

async function deliverPhoto(claims, item, renewed = false) {
  const id = item.campaign_id;
  if (item.grant && Date.parse(item.grant.upload.expires_at) - Date.now() < 60000) {
    // The form expires before the bytes could go: if an earlier upload landed, that is the photo;
    // else the unused attachment is deleted and a new one asked for (a new intent, a new key).
    const found = item.tried ? await attachmentNow(item) : null;
    if (found && found.status !== "pending_upload") return found;
    if (found || !item.tried) {
      await api.deleteAttachment(id, item.grant.attachment.id).catch((e) => {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      });
    }
    Object.assign(item, { grant: null, tried: false, key: newIdempotencyKey() });
    await save(claims, item);
  }
  if (!item.grant) {
    item.grant = await api.requestUpload(id, attachmentBody(item.file), item.key);
    await save(claims, item);
  }
  if (item.tried) {
    // an earlier upload may have landed although its answer was lost: never send it twice
    const found = await attachmentNow(item);
    if (found && found.status !== "pending_upload") return found;
  }
  item.tried = true;
  await save(claims, item);
  try {
    await uploadToStorage(item.grant.upload, item.file.blob, (p) => {
      progress.set(item.seq, p);
      emit({ type: "progress", seq: item.seq, fraction: p });
    });
  } catch (error) {
    if (error instanceof ApiError && error.code === "upload_expired" && !renewed) {
      item.grant.upload.expires_at = new Date(0).toISOString(); // the form is spent: a new one
      await save(claims, item);
      return deliverPhoto(claims, item, true);
    }
    throw error;
  }
  await rememberCheck(claims, id, item.grant.attachment.id);
  return item.grant.attachment;
}

// A report is submitted after its campaign's photos were checked (the server counts the ready
// ones against the rule's minimum), so photos sent from here are remembered until decided.
async function rememberCheck(claims, campaignId, attachmentId) {
  const since = Date.now() - CHECK_TIMEOUT_MS * 10; // long decided, whether or not a report followed
  await transact(claims, ["meta"], "readwrite", async (s) => {
    const row = await request(s.meta.get("checking"));
    const kept = ((row && row.value) || []).filter((c) => c.at > since);
    s.meta.put({ key: "checking", value: [...kept, { campaign_id: campaignId, id: attachmentId, at: Date.now() }] });
  });
}

async function awaitChecks(claims, campaignId) {
  const checking = ((await meta(claims, "checking")) || []).filter((c) => c.campaign_id === campaignId);
  if (!checking.length) return;
  const ids = new Set(checking.map((c) => c.id));
  const deadline = Date.now() + CHECK_TIMEOUT_MS;
  for (let delay = 300; Date.now() < deadline; delay = Math.min(delay * 1.5, 2000)) {
    const list = await api.attachments(campaignId);
    if (!list.items.some((a) => ids.has(a.id) && a.status === "pending_upload")) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  await transact(claims, ["meta"], "readwrite", async (s) => {
    const row = await request(s.meta.get("checking"));
    s.meta.put({ key: "checking", value: ((row && row.value) || []).filter((c) => !ids.has(c.id)) });
  });
}
