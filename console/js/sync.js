// The device's copy of a rep's campaigns, kept current from the changes feed (GET /me/changes):
// from the saved cursor, each page's upserts and removes applied with the new cursor in one
// transaction, so a page is applied whole or not at all and never twice. The first sync, and
// any after a 410 resync_required (the cursor is older than the changes kept), reloads the
// lists and then follows the feed from its oldest change. Screens read the copy when the
// network does not answer (`orDevice`).
import { api, ApiError, NetworkError } from "./api.js";
import { all, byCampaign, ENTITIES, get, meta, request, transact } from "./store.js";

const FEED_PAGE = 200;
const DETAIL_WORKERS = 4;
/** The roles whose data the console keeps on the device: those who write feedback in stores. */
export const OFFLINE_ROLES = ["rep"];

const running = new Map();

/** Bring the signed-in person's copy up to date (one sync at a time per person). */
export function sync(claims) {
  if (!OFFLINE_ROLES.includes(claims.role)) return Promise.resolve(null);
  const key = `${claims.org}|${claims.sub}`;
  if (!running.has(key)) running.set(key, follow(claims).finally(() => running.delete(key)));
  return running.get(key);
}

async function follow(claims) {
  let cursor = await meta(claims, "cursor");
  if (!(await meta(claims, "synced_at")) || (await meta(claims, "reload"))) cursor = await reload(claims);
  for (let resyncs = 0; ;) {
    let page;
    try {
      page = await api.changes(cursor, FEED_PAGE);
    } catch (error) {
      if (error instanceof ApiError && error.status === 410 && resyncs < 2) {
        resyncs += 1;
        cursor = await reload(claims);
        continue;
      }
      throw error;
    }
    await applyChanges(claims, page.items, page.next_cursor || cursor);
    cursor = page.next_cursor || cursor;
    if (page.items.length < FEED_PAGE) break;
  }
  const at = new Date().toISOString();
  await transact(claims, ["meta"], "readwrite", (s) => s.meta.put({ key: "synced_at", value: at }));
  return at;
}

/** What a campaign needs on the device to be worked on offline: its report and its files. */
function workable(c) {
  return c.status === "approved" && c.reimbursement.status !== "reimbursed";
}

/** The lists, whole: every campaign of mine, and the report, files and check-ins of those I may
 * still report on. Replaces the copy and forgets the cursor (the feed then starts from its oldest). */
async function reload(claims) {
  const { items } = await api.allCampaigns({}, 50);
  const queue = items.filter(workable);
  const details = [];
  await Promise.all(Array.from({ length: DETAIL_WORKERS }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const [feedback, attachments, visits, invoices] = await Promise.all([
        api.feedback(c.id), api.attachments(c.id), api.visits(c.id), api.invoices(c.id),
      ]);
      details.push({ feedback, attachments: attachments.items, visits: visits.items, invoices: invoices.items });
    }
  }));
  await transact(claims, [...ENTITIES, "meta"], "readwrite", (s) => {
    for (const name of ENTITIES) s[name].clear();
    for (const c of items) s.campaigns.put(c);
    for (const d of details) {
      s.feedback.put(d.feedback);
      for (const a of d.attachments) s.attachments.put(a);
      for (const v of d.visits) s.visits.put(v);
      for (const i of d.invoices) s.invoices.put(i);
    }
    s.meta.put({ key: "cursor", value: null });
    s.meta.delete("reload");
  });
  return null;
}

const STORE_OF = { campaign: "campaigns", feedback: "feedback", attachment: "attachments", visit: "visits", invoice: "invoices" };

/** One page of the feed and the cursor after it, in one transaction. */
export function applyChanges(claims, changes, cursor) {
  return transact(claims, [...ENTITIES, "meta"], "readwrite", async (s) => {
    for (const change of changes) {
      const name = STORE_OF[change.entity];
      if (!name) continue; // an entity the console does not keep
      if (change.op === "remove") {
        if (name === "campaigns") await forgetCampaign(s, change.id);
        else s[name].delete(name === "feedback" ? change.campaign_id : change.id);
      } else {
        s[name].put(name === "feedback" ? feedbackRecord(change) : change.data);
      }
    }
    s.meta.put({ key: "cursor", value: cursor });
  });
}

/** GET /campaigns/{id}/feedback's shape, which the feedback form reads. */
function feedbackRecord(change) {
  const report = change.data;
  if (report && "submitted" in report && "draft" in report) return { ...report, campaign_id: change.campaign_id };
  const submitted = report && report.status === "submitted";
  return { campaign_id: change.campaign_id, submitted: submitted ? report : null, draft: submitted ? null : report };
}

async function forgetCampaign(s, id) {
  s.campaigns.delete(id);
  s.feedback.delete(id);
  for (const name of ["attachments", "visits", "invoices"]) {
    for (const key of await request(s[name].index("campaign_id").getAllKeys(id))) s[name].delete(key);
  }
}

// -- reading the copy ------------------------------------------------------------------------------
/**
 * fromApi() when the network answers; else the device's copy, fromDevice() (undefined: none, so
 * the network error stands). What the copy gives is marked `fromDevice`.
 */
export async function orDevice(fromApi, fromDevice) {
  try {
    return await fromApi();
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    const kept = await fromDevice().catch(() => undefined);
    if (kept === undefined || kept === null) throw error;
    return kept;
  }
}

const newestFirst = (a, b) => (b.created_at || "").localeCompare(a.created_at || "");

export const device = {
  syncedAt: (claims) => meta(claims, "synced_at"),
  /** My campaigns as GET /campaigns pages them (one page, newest first). */
  campaigns: async (claims, status) => {
    if (!(await meta(claims, "synced_at"))) return undefined;
    const items = (await all(claims, "campaigns")).filter((c) => !status || c.status === status).sort(newestFirst);
    return { items, next_cursor: null, fromDevice: true };
  },
  campaign: (claims, id) => get(claims, "campaigns", id),
  feedback: (claims, id) => get(claims, "feedback", id),
  attachments: async (claims, id) => {
    if (!(await get(claims, "campaigns", id))) return undefined;
    return { items: (await byCampaign(claims, "attachments", id)).sort((a, b) => a.created_at.localeCompare(b.created_at)), next_cursor: null };
  },
  visits: async (claims, id) => {
    if (!(await get(claims, "campaigns", id))) return undefined;
    return { items: (await byCampaign(claims, "visits", id)).sort((a, b) => b.at.localeCompare(a.at)), next_cursor: null };
  },
  /** GET /campaigns/{id}/invoices from the copy: in claim order, with their total. */
  invoices: async (claims, id) => {
    if (!(await meta(claims, "synced_at")) || !(await get(claims, "campaigns", id))) return undefined;
    const items = (await byCampaign(claims, "invoices", id)).sort((x, y) => x.created_at.localeCompare(y.created_at));
    return { items, total: items.reduce((sum, i) => sum + i.amount, 0), fromDevice: true };
  },
  /** B as GET /me/feedback-requests shows it, from my campaigns as last synced: approved, feedback
   * required and not yet given (the server's own status), soonest due first. */
  requests: async (claims) => {
    if (!(await meta(claims, "synced_at"))) return undefined;
    const items = (await all(claims, "campaigns"))
      .filter((c) => c.status === "approved" && ["pending", "overdue"].includes(c.feedback.status))
      .sort((a, b) => (a.feedback.due_date || "").localeCompare(b.feedback.due_date || ""))
      .map((c) => ({
        campaign_id: c.id, title: c.title, category: c.category, customer: c.customer, org: c.org, owner: c.owner,
        start_date: c.start_date, end_date: c.end_date, due_date: c.feedback.due_date, status: c.feedback.status,
        days_overdue: c.feedback.days_overdue, required_by: c.feedback.required_by, min_photos: c.feedback.min_photos,
        reimbursement_status: c.reimbursement.status,
      }));
    return { items, next_cursor: null, fromDevice: true };
  },
};
