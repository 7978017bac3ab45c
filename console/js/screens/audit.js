// A campaign's audit trail (审计轨迹), GET /campaigns/{id}/audit: every change, oldest first,
// who made it (and for whom, under a delegation; "system" for the stream functions), what it
// changed, and the hash chain — with the API's verdict on the whole chain as a badge.
import { html } from "../ui.js";
import { api } from "../api.js";
import { colon, t } from "../i18n.js";
import { date, money } from "../format.js";
import { navigate } from "../router.js";
import { PAGE_SIZES } from "../filters.js";
import { stepLabel } from "../money.js";
import {
  Badge, DataTable, Empty, LoadError, Loading, Page, Pager, SelectField, usePaged, useAsync,
} from "../components.js";

const MONEY = new Set(["expected_spend", "expected_sales", "requested_amount", "approved_amount", "reimbursed_amount",
  "proposed_amount", "amount", "budget_reserved", "budget_released", "budget_consumed", "actual_spend", "actual_sales"]);
const LABELLED = { status: "status.campaign", reimbursement_status: "status.reimbursement", feedback_required_by: "required_by",
  category: "category", level: "level", kind: "kind" };

function value(field, v) {
  if (v === null || v === undefined || v === "") return "—";
  if (MONEY.has(field)) return money(v);
  if (field === "approval_chain" && Array.isArray(v)) {
    return v.map((s) => stepLabel({ level: String(s).split(":")[0], org: String(s).split(":").slice(1).join(":") })).join(" → ");
  }
  if (LABELLED[field]) return t(`${LABELLED[field]}.${v}`, {}, String(v));
  if (typeof v === "object") return v.address || JSON.stringify(v);
  return String(v);
}

function Changes({ changes }) {
  const names = Object.keys(changes || {});
  if (!names.length) return "—";
  const list = html`<ul class="changes">${names.map((f) => html`<li key=${f}>
    <span class="change-field">${t(`audit.field.${f}`, {}, f)}</span>${colon()}${value(f, changes[f][0])} → <strong>${value(f, changes[f][1])}</strong></li>`)}</ul>`;
  if (names.length <= 4) return list;
  return html`<details><summary>${t("audit.n_changes", { n: names.length })}</summary>${list}</details>`;
}

function Actor({ a }) {
  if (!a || a.id === "system") return html`<span>${t("audit.system")}</span>`;
  return html`<span>${a.name || a.id} <span class="hint">(${t(`role.${a.role}`, {}, a.role)})</span>
    ${a.acting_for ? html` ${t("chain.acting_for", { name: a.acting_for.name || a.acting_for.id })}` : ""}</span>`;
}

export default function Audit({ params, query }) {
  const limit = query.limit || "50";
  const campaign = useAsync(() => api.campaign(params.id), [params.id]);
  const trail = usePaged((cursor) => api.audit(params.id, cursor, limit), [params.id, limit]);
  const title = t("nav.audit");
  const back = `#/campaigns/${params.id}`;
  if (trail.error) return html`<${Page} title=${title} back=${back}><${LoadError} error=${trail.error} onRetry=${trail.reload} /><//>`;
  const verified = trail.data && trail.data.verified;
  return html`<${Page} title=${title} back=${back} busy=${trail.loading || campaign.loading}>
    ${campaign.data ? html`<p class="subtitle">${campaign.data.title} · ${campaign.data.customer.name || campaign.data.customer.id}</p>` : ""}
    ${trail.data ? html`<p class="status-line verified-line">
      ${verified ? html`<${Badge} kind="ok">✓ ${t("audit.verified")}<//>` : html`<${Badge} kind="bad">✗ ${t("audit.not_verified")}<//>`}
      <span class="hint">${t(verified ? "audit.verified_hint" : "audit.not_verified_hint")}</span></p>` : ""}
    <form class="inline-form" onSubmit=${(e) => e.preventDefault()}>
      <${SelectField} label=${t("filter.page_size")} name="limit" value=${limit}
        options=${PAGE_SIZES.map((n) => ({ value: n, label: n }))}
        onValue=${(v) => navigate(`/campaigns/${params.id}/audit`, { limit: v })} />
    </form>
    ${!trail.data ? html`<${Loading} />`
      : trail.items.length === 0 ? html`<${Empty} />`
      : html`<${DataTable} rowKey=${(e) => e.seq} rows=${trail.items} caption=${t("audit.caption")} columns=${[
        { label: "#", num: true, render: (e) => String(e.seq) },
        { label: t("audit.at"), render: (e) => date(e.at) },
        { label: t("audit.action"), render: (e) => t(`audit.action.${e.action}`, {}, e.action) },
        { label: t("audit.actor"), render: (e) => html`<${Actor} a=${e.actor} />` },
        { label: t("audit.changes"), render: (e) => html`<${Changes} changes=${e.changes} />` },
        { label: t("audit.hash"), render: (e) => html`<code class="hash" title=${e.hash}>${e.hash.slice(0, 12)}…</code>` },
      ]} />`}
    <${Pager} list=${trail} />
  <//>`;
}
