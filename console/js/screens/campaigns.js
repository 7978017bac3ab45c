// My campaigns (rep) / campaigns in my scope (others), newest data from GET /campaigns (with no
// network, a rep's campaigns as last synced to the device).
import { html } from "../ui.js";
import { api } from "../api.js";
import { device, orDevice } from "../sync.js";
import { t } from "../i18n.js";
import { href, navigate } from "../router.js";
import { date, money } from "../format.js";
import {
  campaignColumns, CampaignState, DataTable, ListBody, Notice, Page, Pager, SelectField, StatusBadge, usePaged,
} from "../components.js";

const STATUSES = ["draft", "submitted", "approved", "rejected", "cancelled"];

export default function Campaigns({ query, session }) {
  const status = query.status || "";
  const list = usePaged((cursor) => orDevice(() => api.campaigns({ status }, cursor, 20),
    () => (cursor ? undefined : device.campaigns(session.claims, status))), [status]);
  const canApply = ["rep", "manager"].includes(session.claims.role);
  const title = session.claims.role === "rep" ? t("nav.campaigns") : t("campaigns.all");
  return html`<${Page} title=${title} busy=${list.loading}
    actions=${canApply ? html`<a class="button" href="#/campaigns/new">${t("nav.apply")}</a>` : null}>
    ${query.done ? html`<${Notice} kind="ok">${t(`done.${query.done}`)}<//>` : ""}
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <${SelectField} label=${t("field.status")} name="status" value=${status} placeholder=${t("filter.any")}
        options=${STATUSES.map((s) => ({ value: s, label: t(`status.campaign.${s}`) }))}
        onValue=${(v) => navigate("/campaigns", { status: v })} />
    </form>
    <${ListBody} list=${list} empty=${t("campaigns.none")}
      render=${() => html`<${DataTable} rowKey=${(c) => c.id} rows=${list.items} columns=${[
        ...campaignColumns((c) => href(`/campaigns/${c.id}`), { owner: false }),
        { label: t("field.dates"), render: (c) => `${c.start_date} – ${c.end_date}` },
        { label: t("field.created_at"), render: (c) => date(c.created_at) },
        { label: t("field.requested_amount"), num: true, render: (c) => money(c.requested_amount) },
        { label: t("field.approved_amount"), num: true, render: (c) => money(c.approved_amount) },
        { label: t("field.paid_amount"), num: true, render: (c) => money(c.reimbursement.amount) },
        { label: t("field.status"), render: (c) => html`<${CampaignState} c=${c} />` },
        { label: t("field.feedback"), render: (c) => html`<${StatusBadge} group="feedback" status=${c.feedback.status} />` },
        { label: t("field.reimbursement"), render: (c) => html`<${StatusBadge} group="reimbursement" status=${c.reimbursement.status} />` },
      ]} />`} />
    <${Pager} list=${list} />
  <//>`;
}
