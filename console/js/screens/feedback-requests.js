// E — all feedback requests: campaigns whose feedback is required, soonest due first, with
// status (pending / overdue / submitted) and ageing in days, by every filter of the contract.
import { html } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  campaignColumns, DataTable, ListBody, Page, Pager, ruleWords, splitErrors, StatusBadge, useAsync, usePaged,
} from "../components.js";
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
    <${ListBody} list=${list} empty=${t("worklist.none")} errorShown=${Object.keys(fields).length > 0}
      render=${() => html`<${DataTable} rowKey=${(r) => r.campaign_id} rows=${list.items} columns=${[
        ...campaignColumns((r) => `#/campaigns/${r.campaign_id}`),
        { label: t("field.category"), render: (r) => t(`category.${r.category}`, {}, r.category) },
        { label: t("field.due_date"), render: (r) => r.due_date || "—" },
        { label: t("field.feedback_status"), render: (r) => html`<${StatusBadge} group="feedback" status=${r.status} />` },
        { label: t("worklist.ageing"), render: (r) => html`<${Ageing} row=${r} />` },
        { label: t("field.required_by"), render: (r) => ruleWords(r.required_by, r.category) },
        { label: t("field.reimbursement"), render: (r) => html`<${StatusBadge} group="reimbursement" status=${r.reimbursement_status} />` },
      ]} />`} />
    <${Pager} list=${list} />
  <//>`;
}
