// Money control, shared by the screens that show it (API.md v2): the approval chain with its
// steps, a budget's figures as a bar, overlapping-application warnings, and the sentences the
// money errors need (409 budget_exceeded carries the amount still available).
import { html } from "./ui.js";
import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";
import { date, money } from "./format.js";
import { Badge, errorMessage, Facts, StatusBadge, useAsync } from "./components.js";

/** "省办经理 · CN/EAST/JS": an approval step's level and the org node whose manager takes it. */
export function stepLabel(step) {
  if (!step) return "—";
  return `${t(`level.${step.level}`, {}, step.level)} · ${step.org}`;
}

const within = (org, node) => org === node || org.startsWith(`${node}/`);

/**
 * Whether the signed-in person takes `step` in their own right (not through a delegation): a
 * leader any step of the company; a manager a step whose node is exactly theirs, or the
 * no-policy step of a campaign inside their subtree. Only to say so on screen — the API decides.
 */
export function ownStep(claims, step) {
  if (!step) return false;
  const tenant = (o) => String(o).split("/")[0];
  if (tenant(claims.org) !== tenant(step.org)) return false;
  if (claims.role === "leader") return true;
  if (claims.role !== "manager") return false;
  if (step.level === "manager") return within(step.org, claims.org);
  return step.org === claims.org;
}

function StepTaken({ s, level }) {
  const who = [
    s.level !== level.level ? t("chain.as_level", { level: t(`level.${s.level}`, {}, s.level) }) : "",
    s.by.name || s.by.id,
    s.acting_for ? t("chain.acting_for", { name: s.acting_for.name || s.acting_for.id }) : "",
  ].filter(Boolean).join(" ");
  return html`<span>${`${who} · ${t("chain.amount", { v: money(s.amount) })} · ${date(s.at)}`}</span>
    ${s.comment ? html`<span class="step-comment">“${s.comment}”</span>` : ""}`;
}

/** The chain fixed at submit: each level with the step taken on it, the one it waits for. */
export function ApprovalChain({ approval, status }) {
  if (!approval || !approval.chain || approval.chain.length === 0) return null;
  const { chain, steps, next } = approval;
  const done = !next && steps.length > 0;
  return html`<ol class="chain">
    ${chain.map((level, i) => {
      const s = steps[i];
      let badge;
      if (s) badge = html`<${Badge} kind="ok">${t("chain.done")}<//>`;
      else if (next && i === steps.length) badge = html`<${Badge} kind="info">${t("chain.next")}<//>`;
      else if (next) badge = html`<${Badge} kind="neutral">${t("chain.later")}<//>`;
      else if (done || status === "approved") badge = html`<${Badge} kind="neutral">${t("chain.not_needed")}<//>`;
      else badge = html`<${Badge} kind="neutral">${t("chain.not_taken")}<//>`;
      return html`<li key=${i} class=${s ? "taken" : next && i === steps.length ? "is-next" : ""}>
        <span class="chain-level">${stepLabel(level)}</span>
        ${badge}
        ${s ? html`<div class="chain-step"><${StepTaken} s=${s} level=${level} /></div>` : ""}
      </li>`;
    })}
  </ol>`;
}

/**
 * A budget as one bar: consumed, reserved, carved into children, and available, each a share
 * of the amount (SVG: sized by attributes, which the CSP allows, and with its figures as text).
 */
function barParts(b) {
  if (b.allocated === undefined) return [["committed", (b.amount || 0) - (b.available || 0)], ["available", b.available || 0]];
  return [["consumed", b.consumed || 0], ["reserved", b.reserved || 0], ["allocated", b.allocated || 0],
    ["available", b.available || 0]];
}

export function BudgetBar({ b }) {
  const total = Math.max(1, b.amount || 0);
  const parts = barParts(b);
  let x = 0;
  const label = parts.map(([k, v]) => `${t(`budget.${k}`)} ${money(v)}`).join("，");
  return html`<svg class="budget-bar" viewBox="0 0 1000 12" preserveAspectRatio="none" role="img" aria-label=${label}>
    <rect class="bar-bg" x="0" y="0" width="1000" height="12" rx="2" />
    ${parts.map(([k, v]) => {
      const w = (v / total) * 1000;
      const rect = html`<rect class=${`seg seg-${k}`} x=${x} y="0" width=${w} height="12" />`;
      x += w;
      return rect;
    })}
  </svg>`;
}

export function BudgetLegend({ b }) {
  return html`<ul class="legend budget-legend" aria-hidden="true">
    ${barParts(b).map(([k]) => html`<li><span class=${`swatch seg-${k}`}></span>${t(`budget.${k}`)}</li>`)}
  </ul>`;
}

export const categoryLabel = (c) => (c ? t(`category.${c}`, {}, c) : t("budget.any_category"));

export function BudgetFigures({ b }) {
  return html`<${Facts} className="figures" items=${[
    [t("budget.amount"), money(b.amount)],
    b.allocated !== undefined && [t("budget.allocated"), money(b.allocated)],
    b.reserved !== undefined && [t("budget.reserved"), money(b.reserved)],
    b.consumed !== undefined && [t("budget.consumed"), money(b.consumed)],
    [t("budget.available"), html`<strong class="available">${money(b.available)}</strong>`],
  ]} />`;
}

/** "这些申请时间重叠": each warning with links to the campaigns it names (titles fetched). */
export function Warnings({ warnings }) {
  const ids = (warnings || []).flatMap((w) => w.campaign_ids || []);
  const titles = useAsync(() => Promise.all(ids.slice(0, 10).map((id) => api.campaign(id).catch((e) => {
    if (e instanceof ApiError) return null;
    throw e;
  }))), [ids.join(",")]);
  if (!warnings || warnings.length === 0) return null;
  const byId = Object.fromEntries((titles.data || []).filter(Boolean).map((c) => [c.id, c]));
  return html`<div class="notice notice-warn warnings" role="status">
    ${warnings.map((w) => html`<div key=${w.code}>
      <p><strong>${t(`warning.${w.code}`, {}, w.code)}</strong></p>
      <ul>${(w.campaign_ids || []).map((id) => {
        const c = byId[id];
        return html`<li key=${id}><a href=${`#/campaigns/${id}`}>${c ? c.title : id}</a>${c ? html` · ${c.start_date} – ${c.end_date} · ${c.owner.name}
          <${StatusBadge} group="campaign" status=${c.status} />` : ""}</li>`;
      })}</ul>
    </div>`)}
  </div>`;
}

/** The message of a money error for the amount field: what is available, what is committed. */
export function amountError(error, committed) {
  if (!(error instanceof ApiError)) return null;
  if (error.code === "budget_exceeded" && error.body && error.body.available !== undefined) {
    return t("err.budget_exceeded_available", { v: money(error.body.available) });
  }
  if (error.code === "budget_below_committed") {
    const v = (error.body && error.body.params && error.body.params.committed) ?? committed;
    return v !== undefined ? t("err.budget_below_committed_v", { v: money(v) }) : errorMessage(error);
  }
  return null;
}
