// The summary dashboard: ROI, cost ratio (expected against actual) and feedback compliance by
// category, region and month, from GET /reports/summary (the roll-ups), as charts with values.
import { html, useEffect, useState } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { navigate } from "../router.js";
import { money, month, percent } from "../format.js";
import { Facts, LoadError, Loading, Page, splitErrors, TextField, useAsync } from "../components.js";
import { BarChart } from "../charts.js";

const DIMENSIONS = ["category", "region", "month"];

function label(dimension, row) {
  if (dimension === "category") return t(`category.${row.group}`, {}, row.group);
  return row.name || row.group;
}

function Totals({ rows }) {
  const sum = (k) => rows.reduce((s, r) => s + (r[k] || 0), 0);
  return html`<${Facts} className="tiles" items=${[
    [t("dash.campaigns"), String(sum("campaigns"))],
    [t("field.approved_amount"), money(sum("approved_amount"))],
    [t("fig.actual_spend"), money(sum("actual_spend"))],
    [t("fig.actual_sales"), money(sum("actual_sales"))],
    [t("dash.reimbursed"), money(sum("reimbursed_amount"))],
  ]} />`;
}

function Charts({ dimension, rows }) {
  const labelled = rows.map((r) => ({ ...r, label: label(dimension, r) }));
  return html`<div class="charts">
    <${BarChart} title=${t("dash.roi_by", { by: t(`dash.by_${dimension}`) })} series=${[{ label: t("fig.roi") }]}
      format=${(v) => percent(v)} rows=${labelled.map((r) => ({ label: r.label, values: [r.roi] }))} />
    <${BarChart} title=${t("dash.cost_ratio_by", { by: t(`dash.by_${dimension}`) })}
      series=${[{ label: t("fig.expected_cost_ratio") }, { label: t("fig.actual_cost_ratio") }]}
      format=${(v) => percent(v, 1)} rows=${labelled.map((r) => ({ label: r.label, values: [r.expected_cost_ratio, r.actual_cost_ratio] }))} />
    <${BarChart} title=${t("dash.compliance_by", { by: t(`dash.by_${dimension}`) })} series=${[{ label: t("card.compliance") }]}
      format=${(v) => percent(v, 0)} rows=${labelled.map((r) => ({
        label: r.label, values: [r.feedback_compliance_rate ?? null],
        sub: t("dash.counts", { passive: r.feedback.passive, overdue: r.feedback.overdue, pending: r.feedback.pending, active: r.feedback.active }) }))} />
  </div>`;
}

export default function Dashboard({ query }) {
  const from = query.from || month(-11);
  const to = query.to || month(0);
  const dimension = DIMENSIONS.includes(query.by) ? query.by : "category";
  const [range, setRange] = useState({ from, to });
  const data = useAsync(() => api.summary(dimension, from, to), [from, to, dimension]);
  useEffect(() => setRange({ from, to }), [from, to]);
  const { fields } = splitErrors(data.error, ["from", "to"]);
  const go = (changes) => navigate("/dashboard", { from, to, by: dimension, ...changes });
  return html`<${Page} title=${t("nav.dashboard")} busy=${data.loading}>
    <form class="filters card" onSubmit=${(e) => { e.preventDefault(); go(range); }}>
      <div class="filter-grid">
        <${TextField} type="month" label=${t("dash.from")} name="from" value=${range.from} error=${fields.from}
          onValue=${(v) => setRange({ ...range, from: v })} />
        <${TextField} type="month" label=${t("dash.to")} name="to" value=${range.to} error=${fields.to}
          onValue=${(v) => setRange({ ...range, to: v })} />
      </div>
      <div class="actions"><button type="submit">${t("filter.apply")}</button></div>
    </form>
    <div class="segmented" role="group" aria-label=${t("dash.group_by")}>
      ${DIMENSIONS.map((d) => html`<button type="button" class=${d === dimension ? "" : "secondary"} aria-pressed=${d === dimension ? "true" : "false"}
        onClick=${() => go({ by: d })}>${t(`dash.by_${d}`)}</button>`)}
    </div>
    ${data.error && !Object.keys(fields).length ? html`<${LoadError} error=${data.error} onRetry=${data.reload} />`
      : !data.data || data.loading ? html`<${Loading} />`
      : html`<${Totals} rows=${data.data.items} /><${Charts} dimension=${dimension} rows=${data.data.items} />`}
  <//>`;
}
