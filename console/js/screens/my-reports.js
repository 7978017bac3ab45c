// C — my feedback reports: every report I submitted, newest first, to keep maintaining them
// (a new revision each time) until the campaign is settled; with each report's revisions.
import { html, useState } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { date, money, percent } from "../format.js";
import { ListBody, LoadError, Loading, Page, Pager, StatusBadge, useAsync, usePaged } from "../components.js";

function Revisions({ campaignId }) {
  const data = useAsync(() => api.revisions(campaignId), [campaignId]);
  if (data.error) return html`<${LoadError} error=${data.error} onRetry=${data.reload} />`;
  if (!data.data) return html`<${Loading} />`;
  return html`<ol class="revisions">${data.data.items.map((r) => html`<li key=${r.revision}>
    <strong>${t("reports.revision", { n: r.revision })}</strong> · ${date(r.submitted_at)} ·
    ${t("fig.actual_spend")} ${money(r.actual_spend)} · ${t("fig.actual_sales")} ${money(r.actual_sales)} ·
    ${t("fig.roi")} ${percent(r.plan_vs_actual.roi)}
    ${r.reflections ? html`<p class="quote">${r.reflections}</p>` : ""}
  </li>`)}</ol>`;
}

export default function MyReports() {
  const list = usePaged((cursor) => api.searchFeedback({}, cursor, 20), []);
  const [open, setOpen] = useState(null);
  return html`<${Page} title=${t("nav.my_reports")} busy=${list.loading}>
    <${ListBody} list=${list} empty=${t("reports.none_mine")}
      render=${() => html`<ul class="cards">${list.items.map((r) => html`<li key=${r.campaign_id} class="card" data-campaign=${r.campaign_id}>
          <h2><a href=${`#/campaigns/${r.campaign_id}`}>${r.title}</a></h2>
          <p>${r.customer.name || r.customer.id} · ${r.start_date} – ${r.end_date}</p>
          <p class="status-line"><span>${t("reports.revision", { n: r.revision })}</span>
            <span>${t(`kind.${r.kind}`)}</span> <${StatusBadge} group="reimbursement" status=${r.reimbursement_status} /></p>
          <p>${t("fig.actual_spend")} ${money(r.plan_vs_actual.actual_spend)} · ${t("fig.roi")} ${percent(r.plan_vs_actual.roi)}
            · ${t("reports.submitted_at")} ${date(r.submitted_at)}</p>
          <div class="actions">
            ${r.reimbursement_status !== "reimbursed"
              ? html`<a class="button" href=${`#/campaigns/${r.campaign_id}/feedback`}>${t("reports.maintain")}<span class="visually-hidden">: ${r.title}</span></a>` : ""}
            <button type="button" class="secondary" aria-expanded=${open === r.campaign_id ? "true" : "false"}
              onClick=${() => setOpen(open === r.campaign_id ? null : r.campaign_id)}>${t("reports.revisions")}<span class="visually-hidden">: ${r.title}</span></button>
          </div>
          ${open === r.campaign_id ? html`<${Revisions} campaignId=${r.campaign_id} />` : ""}
        </li>`)}</ul>`} />
    <${Pager} list=${list} />
  <//>`;
}
