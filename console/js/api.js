// The one client of the Huixiang HTTP API (API.md). Every screen calls these functions; none
// builds a URL or a header itself. Errors come back as ApiError (the contract's
// {code, message, params?, errors[{field, code, message, params?}]}, translated by code in
// i18n.js) or NetworkError (nothing reached the server, or its answer never came back).

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "error";
    this.errors = (body && Array.isArray(body.errors)) ? body.errors : [];
    this.body = body;
  }
}

export class NetworkError extends Error {
  constructor(message) {
    super(message || "network error");
    this.code = "network";
  }
}

const settings = { base: "", token: () => null, onUnauthorized: () => {}, onReach: () => {} };

/**
 * base: the API's URL prefix ("" = same origin); token(): the bearer token or null (an offline
 * session has none: nothing is sent, every call fails as the network would); onReach(reached):
 * told whether each call reached the server (the console's online/offline state).
 */
export function configureApi(values) {
  Object.assign(settings, values);
}

export function newIdempotencyKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The Idempotency-Key of one intent (one application, one settlement…): retrying the same body
 * sends the same key, so a request that reached the server before the network dropped has no
 * second effect; a changed body is a new intent with a new key (the API would answer 409
 * idempotency_key_reused otherwise). Serialisable, so a draft can keep it across a reload.
 */
export class IntentKey {
  constructor(saved) {
    this.key = (saved && saved.key) || null;
    this.body = (saved && saved.body) || null;
  }

  for(body) {
    const text = JSON.stringify(body === undefined ? null : body);
    if (!this.key || this.body !== text) {
      this.key = newIdempotencyKey();
      this.body = text;
    }
    return this.key;
  }

  toJSON() {
    return { key: this.key, body: this.body };
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

const enc = encodeURIComponent;

async function call(method, path, { body, params, key } = {}) {
  const headers = { Accept: "application/json" };
  const token = settings.token();
  if (!token) throw new NetworkError("not signed in");
  headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  let response;
  let text;
  try {
    response = await fetch(settings.base + path + query(params), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await response.text();
  } catch (e) {
    settings.onReach(false);
    throw new NetworkError(e && e.message);
  }
  settings.onReach(true);
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { code: "bad_response", message: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401) settings.onUnauthorized(error);
    throw error;
  }
  return data;
}

/** Every page of a list, up to maxPages (for queues the console sorts itself). */
async function allPages(fetchPage, maxPages = 10) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i += 1) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}

export const api = {
  // -- reference ------------------------------------------------------------------------------
  categories: () => call("GET", "/categories"),

  // -- campaigns (applications) ---------------------------------------------------------------
  campaigns: (filters, cursor, limit) => call("GET", "/campaigns", { params: { ...filters, cursor, limit } }),
  allCampaigns: (filters, maxPages) =>
    allPages((cursor) => api.campaigns(filters, cursor, 200), maxPages),
  campaign: (id) => call("GET", `/campaigns/${enc(id)}`),
  createCampaign: (body, key) => call("POST", "/campaigns", { body, key }),
  editCampaign: (id, changes) => call("PATCH", `/campaigns/${enc(id)}`, { body: changes }),
  submitCampaign: (id, key) => call("POST", `/campaigns/${enc(id)}/submit`, { key }),
  approve: (id, body, key) => call("POST", `/campaigns/${enc(id)}/approve`, { body, key }),
  reject: (id, body, key) => call("POST", `/campaigns/${enc(id)}/reject`, { body, key }),

  cancel: (id, body, key) => call("POST", `/campaigns/${enc(id)}/cancel`, { body, key }),
  audit: (id, cursor, limit) => call("GET", `/campaigns/${enc(id)}/audit`, { params: { cursor, limit } }),

  // -- approvals (money control) --------------------------------------------------------------
  myApprovals: (cursor, limit) => call("GET", "/me/approvals", { params: { cursor, limit } }),
  /**
   * What an approver sees on one screen: GET /campaigns/{id}/approval-card (the campaign, the
   * customer's summary, the covering budget with what is available now, the warnings, the
   * chain) and, beside it, the customer's past campaigns with plan against actual (their photos
   * are fetched on demand, their links being short-lived).
   */
  approvalCard: async (id) => {
    const card = await call("GET", `/campaigns/${enc(id)}/approval-card`);
    let history = null;
    try {
      history = await api.customerHistory(card.customer.id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    return { ...card, history: history ? history.items.filter((c) => c.id !== id) : [] };
  },
  policy: () => call("GET", "/approval-policy"),
  setPolicy: (body) => call("PUT", "/approval-policy", { body }),
  /** My delegation while away, or null when I have none (the API answers 404). */
  delegation: () => call("GET", "/me/delegation").catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }),
  setDelegation: (body) => call("PUT", "/me/delegation", { body }),
  deleteDelegation: () => call("DELETE", "/me/delegation"),

  // -- budgets --------------------------------------------------------------------------------
  budgets: (filters, cursor, limit) => call("GET", "/budgets", { params: { ...filters, cursor, limit } }),
  budget: (id) => call("GET", `/budgets/${enc(id)}`),
  createBudget: (body, key) => call("POST", "/budgets", { body, key }),
  resizeBudget: (id, amount) => call("PATCH", `/budgets/${enc(id)}`, { body: { amount } }),
  budgetEntries: (id, cursor, limit) => call("GET", `/budgets/${enc(id)}/entries`, { params: { cursor, limit } }),
  allBudgetEntries: (id, maxPages = 50) => allPages((cursor) => api.budgetEntries(id, cursor, 200), maxPages),

  // -- feedback (B, C, D, E) ------------------------------------------------------------------
  myFeedbackRequests: (cursor) => call("GET", "/me/feedback-requests", { params: { cursor } }),
  feedback: (id) => call("GET", `/campaigns/${enc(id)}/feedback`),
  saveFeedback: (id, body) => call("PUT", `/campaigns/${enc(id)}/feedback`, { body }),
  submitFeedback: (id, body, key) => call("POST", `/campaigns/${enc(id)}/feedback/submit`, { body, key }),
  revisions: (id, cursor) => call("GET", `/campaigns/${enc(id)}/feedback/revisions`, { params: { cursor } }),
  searchFeedback: (filters, cursor, limit) => call("GET", "/feedback", { params: { ...filters, cursor, limit } }),
  searchFeedbackRequests: (filters, cursor, limit) =>
    call("GET", "/feedback-requests", { params: { ...filters, cursor, limit } }),

  // -- feedback rules (A) ---------------------------------------------------------------------
  rules: (cursor) => call("GET", "/feedback-rules", { params: { cursor, limit: 200 } }),
  createRule: (body, key) => call("POST", "/feedback-rules", { body, key }),
  deleteRule: (id) => call("DELETE", `/feedback-rules/${enc(id)}`),

  // -- evidence -------------------------------------------------------------------------------
  attachments: (id) => call("GET", `/campaigns/${enc(id)}/attachments`),
  /** body: {filename, content_type, size_bytes, sha256?, visit_id?} */
  requestUpload: (id, body, key) => call("POST", `/campaigns/${enc(id)}/attachments`, { body, key }),
  deleteAttachment: (id, attachmentId) => call("DELETE", `/campaigns/${enc(id)}/attachments/${enc(attachmentId)}`),

  // -- in the field: check-ins and the changes feed (offline sync) ---------------------------
  visits: (id) => call("GET", `/campaigns/${enc(id)}/visits`, { params: { limit: 200 } }),
  /** body: {lat, lon, accuracy_m?}: a check-in the server records (and flags) now. */
  checkIn: (id, body, key) => call("POST", `/campaigns/${enc(id)}/visits`, { body, key }),
  /** What changed in my sight since `cursor` (none: from the oldest change kept); 410 resync_required. */
  changes: (cursor, limit) => call("GET", "/me/changes", { params: { cursor, limit } }),

  // -- settlement -----------------------------------------------------------------------------
  settle: (id, body, key) => call("POST", `/campaigns/${enc(id)}/reimbursement`, { body, key }),
  settlementPolicy: () => call("GET", "/settlement-policy"),
  setSettlementPolicy: (body) => call("PUT", "/settlement-policy", { body }),

  // -- invoices (以票核销) ------------------------------------------------------------------------
  invoices: (id) => call("GET", `/campaigns/${enc(id)}/invoices`),
  claimInvoice: (id, body, key) => call("POST", `/campaigns/${enc(id)}/invoices`, { body, key }),
  deleteInvoice: (id, invoiceId) => call("DELETE", `/campaigns/${enc(id)}/invoices/${enc(invoiceId)}`),

  // -- vouchers for the general ledger --------------------------------------------------------
  accounting: () => call("GET", "/accounting"),
  setAccounting: (body) => call("PUT", "/accounting", { body }),
  voucherBatches: (cursor, limit) => call("GET", "/voucher-batches", { params: { cursor, limit } }),
  voucherBatch: (id) => call("GET", `/voucher-batches/${enc(id)}`),
  createVoucherBatch: (body, key) => call("POST", "/voucher-batches", { body, key }),
  postVoucherBatch: (id, voucherNo, key) =>
    call("POST", `/voucher-batches/${enc(id)}/posted`, { body: { voucher_no: voucherNo }, key }),

  // -- evaluation and reports -----------------------------------------------------------------
  evaluation: (id) => call("GET", `/campaigns/${enc(id)}/evaluation`),
  customerHistory: (customerId) => call("GET", `/customers/${enc(customerId)}/history`),
  summary: (groupBy, from, to) => call("GET", "/reports/summary", { params: { group_by: groupBy, from, to } }),
  runReport: (period, language, key) => call("POST", "/reports/runs", { body: { period, language }, key }),
  reports: (cursor) => call("GET", "/reports", { params: { cursor } }),
  report: (id) => call("GET", `/reports/${enc(id)}`),

  // -- events out (webhooks and chat robots) --------------------------------------------------
  webhooks: (cursor, limit) => call("GET", "/webhooks", { params: { cursor, limit } }),
  webhook: (id) => call("GET", `/webhooks/${enc(id)}`),
  createWebhook: (body, key) => call("POST", "/webhooks", { body, key }),
  deleteWebhook: (id) => call("DELETE", `/webhooks/${enc(id)}`),
  rotateWebhookSecret: (id, key) => call("POST", `/webhooks/${enc(id)}/rotate-secret`, { key }),
  deliveries: (id, status, cursor, limit) =>
    call("GET", `/webhooks/${enc(id)}/deliveries`, { params: { status, cursor, limit } }),
  retryDelivery: (id, deliveryId, key) =>
    call("POST", `/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/retry`, { key }),
};

/**
 * Upload a file straight to object storage with the presigned POST the API handed out
 * ({url, method, fields}). XMLHttpRequest, not fetch: fetch reports no upload progress.
 * onProgress(fraction) is called as bytes leave; resolves when storage accepted the object.
 */
export function uploadToStorage(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(upload.fields || {})) form.append(k, v);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || "POST", upload.url);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(1);
        resolve();
      } else {
        const expired = /expired|policy/i.test(xhr.responseText || "");
        reject(new ApiError(xhr.status, { code: expired ? "upload_expired" : "upload_refused",
          message: `storage answered HTTP ${xhr.status}` }));
      }
    });
    xhr.addEventListener("error", () => reject(new NetworkError("upload interrupted")));
    xhr.addEventListener("abort", () => reject(new NetworkError("upload aborted")));
    xhr.send(form);
  });
}
