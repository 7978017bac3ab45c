// B — my feedback requests: my approved campaigns whose feedback is due, soonest due first
// (the API's order), overdue ones marked; with no network, as last synced to the device, and
// each card says what of it waits in the outbox.
import { html } from "../ui.js";
import { api } from "../api.js";
import { device, orDevice } from "../sync.js";
import { useOutboxItems, Waiting } from "../offline.js";
import { colon, t } from "../i18n.js";
import { daysBetween, today } from "../format.js";
import { Badge, ListBody, Page, Pager, StatusBadge, usePaged } from "../components.js";

export function Ageing({ row }) {
  if (row.status === "overdue") return html`<strong class="overdue">${t("worklist.overdue_days", { n: row.days_overdue })}</strong>`;
  if (row.status === "pending" && row.due_date) {
    const n = daysBetween(today(), row.due_date);
    return html`<span>${n === 0 ? t("worklist.due_today") : t("worklist.due_in", { n })}</span>`;
  }
  return html`<span>—</span>`;
}

export default function MyRequests({ session }) {
  const list = usePaged((cursor) => orDevice(() => api.myFeedbackRequests(cursor),
    () => (cursor ? undefined : device.requests(session.claims))), []);
  const queued = useOutboxItems();
  return html`<${Page} title=${t("nav.my_requests")} busy=${list.loading}>
    <${ListBody} list=${list} empty=${t("requests.none")}
      render=${() => html`<ol class="cards requests">${list.items.map((r) => html`<li key=${r.campaign_id}
          class=${`card request ${r.status === "overdue" ? "is-overdue" : ""}`} data-campaign=${r.campaign_id}>
          <h2><a href=${`#/campaigns/${r.campaign_id}/feedback`}>${r.title}</a></h2>
          <p>${r.customer.name || r.customer.id} · ${r.start_date} – ${r.end_date}</p>
          <p class="status-line">${r.status === "overdue" ? html`<${Badge} kind="bad">${t("status.feedback.overdue")}<//>` : html`<${StatusBadge} group="feedback" status=${r.status} />`}
            <span>${t("field.due_date")}${colon()}${r.due_date || "—"}</span> <${Ageing} row=${r} />
            <${Waiting} items=${queued.filter((i) => i.campaign_id === r.campaign_id)} /></p>
          ${r.min_photos ? html`<p class="hint">${t("campaign.min_photos", { n: r.min_photos })}</p>` : ""}
          <a class="button" href=${`#/campaigns/${r.campaign_id}/feedback`}>${t("campaign.write_feedback")}<span class="visually-hidden">: ${r.title}</span></a>
        </li>`)}</ol>`} />
    <${Pager} list=${list} />
  <//>`;
}
