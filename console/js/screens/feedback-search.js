// D — all feedback: submitted feedback with its plan-vs-actual figures, newest first, by every
// filter of the contract (org, owner, category, customer, kind, submitted from/to), paged.
import { html } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { daysBetween, money, percent, today } from "../format.js";
import {
  campaignColumns, DataTable, ListBody, Page, Pager, splitErrors, StatusBadge, useAsync, usePaged,
} from "../components.js";
import { apiFilters, Filters } from "../filters.js";

const NAMES = ["org", "owner", "category", "customer_id", "kind", "submitted_from", "submitted_to"];

export default function FeedbackSearch({ query }) {
  const filters = apiFilters(query, NAMES);
  const limit = Number(query.limit || 20);
  const categories = useAsync(() => api.categories(), []);
  const list = usePaged((cursor) => api.searchFeedback(filters, cursor, limit), [JSON.stringify(filters), limit]);
  const { fields } = splitErrors(list.error, NAMES);
  return html`<${Page} title=${t("nav.feedback_search")} busy=${list.loading}>
    <${Filters} path="/feedback" query=${query} errors=${fields} fields=${[
      { name: "org", label: t("field.org") },
      { name: "owner", label: t("field.owner_id") },
      { name: "category", label: t("field.category"), type: "select",
        options: (categories.data ? categories.data.items : []).map((c) => ({ value: c.id, label: t(`category.${c.id}`, {}, c.name) })) },
      { name: "customer_id", label: t("field.customer_id") },
      { name: "kind", label: t("field.kind"), type: "select",
        options: ["passive", "active"].map((k) => ({ value: k, label: t(`kind.${k}`) })) },
      { name: "submitted_from", label: t("field.submitted_from"), type: "date" },
      { name: "submitted_to", label: t("field.submitted_to"), type: "date" },
    ]} />
    <${ListBody} list=${list} empty=${t("worklist.none")} errorShown=${Object.keys(fields).length > 0}
      render=${() => html`<${DataTable} rowKey=${(r) => r.campaign_id} rows=${list.items} columns=${[
        ...campaignColumns((r) => `#/campaigns/${r.campaign_id}`),
        { label: t("field.category"), render: (r) => t(`category.${r.category}`, {}, r.category) },
        { label: t("field.kind"), render: (r) => t(`kind.${r.kind}`) },
        { label: t("reports.submitted_at"), render: (r) => `${(r.submitted_at || "").slice(0, 10)} (r${r.revision})` },
        { label: t("worklist.ageing"), num: true, render: (r) => (r.submitted_at ? t("worklist.days", { n: daysBetween(r.submitted_at, today()) }) : "—") },
        { label: t("fig.actual_spend"), num: true, render: (r) => money(r.plan_vs_actual.actual_spend) },
        { label: t("fig.actual_sales"), num: true, render: (r) => money(r.plan_vs_actual.actual_sales) },
        { label: t("fig.roi"), num: true, render: (r) => percent(r.plan_vs_actual.roi) },
        { label: t("fig.actual_cost_ratio"), num: true, render: (r) => percent(r.plan_vs_actual.actual_cost_ratio, 2) },
        { label: t("field.reimbursement"), render: (r) => html`<${StatusBadge} group="reimbursement" status=${r.reimbursement_status} />` },
      ]} />`} />
    <${Pager} list=${list} />
  <//>`;
}
