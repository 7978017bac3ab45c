// E — all feedback requests: campaigns whose feedback is required, soonest due first, with
// status (pending / overdue / submitted) and ageing in days, by every filter of the contract.
import { html } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { DataTable, Empty, LoadError, Loading, Page, Pager, splitErrors, StatusBadge, useAsync, usePaged } from "../components.js";
import { apiFilters, Filters } from "../filters.js";
import { Ageing } from "./my-requests.js";

const NAMES = ["status", "org", "owner", "category", "customer_id", "due_after", "due_before"];

export default function FeedbackRequests({ query }) {
  const filters = apiFilters(query, NAMES);
  const limit = Number(query.limit || 20);
  const categories = useAsync(() => api.categories(), []);
  const list = usePaged((cursor) => api.searchFeedbackRequests(filters, cursor, limit), [JSON.stringify(filters), limit]);
  const { fields } = splitErrors(list.error, NAMES);
  return html`<${Page} title=${t("nav.feedback_requests")} busy=${list.loading}>
    <${Filters} path="/feedback-requests" query=${query} errors=${fields} fields=${[
      { name: "status", label: t("field.feedback_status"), type: "select", placeholder: t("filter.awaiting"),
        options: ["pending", "overdue", "submitted"].map((s) => ({ value: s, label: t(`status.feedback.${s}`) })) },
      { name: "org", label: t("field.org") },
      { name: "owner", label: t("field.owner_id") },
      { name: "category", label: t("field.category"), type: "select",
        options: (categories.data ? categories.data.items : []).map((c) => ({ value: c.id, label: t(`category.${c.id}`, {}, c.name) })) },
      { name: "customer_id", label: t("field.customer_id") },
      { name: "due_after", label: t("field.due_after"), type: "date" },
      { name: "due_before", label: t("field.due_before"), type: "date" },
    ]} />
    ${list.error && !Object.keys(fields).length ? html`<${LoadError} error=${list.error} onRetry=${list.reload} />`
      : list.loading && !list.data ? html`<${Loading} />`
      : list.items.length === 0 ? html`<${Empty}>${t("worklist.none")}<//>`
      : html`<${DataTable} rowKey=${(r) => r.campaign_id} rows=${list.items} columns=${[
        { label: t("field.title"), render: (r) => html`<a href=${`#/campaigns/${r.campaign_id}`}>${r.title}</a>` },
        { label: t("field.customer"), render: (r) => r.customer.name || r.customer.id },
        { label: t("field.owner"), render: (r) => `${r.owner.name} · ${r.org}` },
        { label: t("field.category"), render: (r) => t(`category.${r.category}`, {}, r.category) },
        { label: t("field.due_date"), render: (r) => r.due_date || "—" },
        { label: t("field.feedback_status"), render: (r) => html`<${StatusBadge} group="feedback" status=${r.status} />` },
        { label: t("worklist.ageing"), render: (r) => html`<${Ageing} row=${r} />` },
        { label: t("field.required_by"), render: (r) => t(`required_by.${r.required_by}`) },
        { label: t("field.reimbursement"), render: (r) => html`<${StatusBadge} group="reimbursement" status=${r.reimbursement_status} />` },
      ]} />`}
    <${Pager} list=${list} />
  <//>`;
}
