// The approval card (GET /campaigns/{id}/approval-card): the application, this customer's
// history (how its past campaigns went, plan against actual, their photos on demand), the budget
// that covers it with what is available now, overlapping applications, the approval chain with
// the steps taken and the one it waits for — and the decision: approve an amount, or reject with
// a comment. A delegate decides in their delegator's name (the API records acting_for).
import { html, useMemo, useState } from "../ui.js";
import { api, ApiError, IntentKey } from "../api.js";
import { colon, t } from "../i18n.js";
import { navigate } from "../router.js";
import { money, parseYuan, percent, yuanText } from "../format.js";
import {
  CampaignState, DataTable, Empty, errorMessage, Facts, FormMessage, LoadError, Loading, MoneyField, Notice, Page, splitErrors,
  StatusBadge, TextArea, useAsync, useSubmit,
} from "../components.js";
import { CampaignFacts } from "./campaign.js";
import {
  amountError, ApprovalChain, BudgetBar, BudgetFigures, BudgetLegend, categoryLabel, ownStep, stepLabel, Warnings,
} from "../money.js";

function CustomerSummary({ summary }) {
  if (!summary || !summary.campaigns) return html`<p class="hint">${t("card.no_history")}</p>`;
  return html`<${Facts} className="figures" items=${[
    [t("card.campaigns"), String(summary.campaigns)],
    [t("card.compliance"), percent(summary.feedback_compliance_rate)],
    [t("fig.actual_spend"), money(summary.actual_spend)],
    [t("fig.actual_sales"), money(summary.actual_sales)],
    [t("card.median_roi"), percent(summary.median_roi)],
    [t("card.median_cost_ratio"), percent(summary.median_cost_ratio, 2)],
  ]} />`;
}

/** The photos of a past campaign, on demand (links are short-lived, so fetched when asked). */
function PastPhotos({ id }) {
  const [open, setOpen] = useState(false);
  const data = useAsync(() => (open ? api.attachments(id) : null), [id, open]);
  if (!open) {
    return html`<button type="button" class="link" onClick=${() => setOpen(true)}>${t("card.show_photos")}</button>`;
  }
  if (data.error) return html`<${FormMessage} error=${data.error} />`;
  if (!data.data) return html`<span class="hint">${t("state.loading")}</span>`;
  const photos = data.data.items.filter((a) => a.kind === "photo" && a.thumbnail_url).slice(0, 4);
  if (!photos.length) return html`<span class="hint">${t("card.no_photos")}</span>`;
  return html`<span class="past-photos">${photos.map((a) => html`<img key=${a.id} src=${a.thumbnail_url}
    alt=${t("photo.thumbnail_of", { name: a.filename })} width="64" height="64" />`)}</span>`;
}

function BudgetSection({ budget, campaign, canOpen }) {
  if (!budget) return html`<section class="card"><h2>${t("card.budget")}</h2><p class="hint">${t("card.unbudgeted")}</p></section>`;
  const short = campaign.requested_amount > budget.available;
  return html`<section class="card budget-card"><h2>${t("card.budget")}</h2>
    <p>${canOpen ? html`<a href=${`#/budgets/${budget.id}`}>${budget.org} · ${budget.period} · ${categoryLabel(budget.category)}</a>`
      : `${budget.org} · ${budget.period} · ${categoryLabel(budget.category)}`}</p>
    <${BudgetFigures} b=${budget} />
    <${BudgetBar} b=${budget} /><${BudgetLegend} b=${budget} />
    ${short ? html`<p class="notice notice-warn">${t("card.budget_short", { v: money(budget.available) })}</p>`
      : html`<p class="hint">${t("card.budget_fits", { v: money(budget.available) })}</p>`}
  </section>`;
}

/** What a 403 of a decision means, in words, with the step the application waits for. */
function decisionMessage(error, next) {
  if (error instanceof ApiError && error.code === "not_your_step" && next) {
    return `${errorMessage(error)} ${t("card.step_belongs", { step: stepLabel(next) })}`;
  }
  return errorMessage(error);
}

function Decision({ campaign, approval, delegated, actingFor }) {
  const steps = (approval && approval.steps) || [];
  const cap = steps.length ? steps[steps.length - 1].amount : campaign.requested_amount;
  const next = approval && approval.next;
  const [amount, setAmount] = useState(yuanText(cap));
  const [comment, setComment] = useState("");
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const { fields, general } = useMemo(() => {
    const e = submit.error;
    if (e && e.local) return { fields: e.local, general: "" };
    const short = amountError(e);
    if (short) return { fields: { approved_amount: short }, general: "" };
    if (e && !(e instanceof ApiError && e.code === "validation_error")) return { fields: {}, general: decisionMessage(e, next) };
    return splitErrors(e, ["approved_amount", "comment"]);
  }, [submit.error]);
  const decide = (kind) => async (e) => {
    e.preventDefault();
    let body;
    if (kind === "approve") {
      const fen = parseYuan(amount);
      if (fen === null || Number.isNaN(fen)) return submit.setError({ local: { approved_amount: t("err.money_format") } });
      body = { approved_amount: fen, comment: comment.trim() || null };
    } else {
      body = { comment: comment.trim() };
    }
    if (actingFor) body.acting_for = actingFor.id;      // decide in the delegator's name, as the card says
    const key = intent.for({ kind, body });
    const out = await submit.run(() => (kind === "approve" ? api.approve(campaign.id, body, key) : api.reject(campaign.id, body, key)));
    if (!out) {
      // on a phone the buttons sit at the bottom of the screen: bring the form, and what went wrong, into view
      const form = document.getElementById("decision");
      if (form && form.scrollIntoView) form.scrollIntoView({ block: "start" });
      return undefined;
    }
    const taken = out.approval && out.approval.steps.length ? out.approval.steps[out.approval.steps.length - 1] : null;
    const done = { done: out.status === "submitted" ? "step" : kind === "approve" ? "approved" : "rejected" };
    if (out.status === "submitted" && out.approval.next) Object.assign(done, out.approval.next);
    if (kind === "approve" && taken && taken.acting_for) done.for = taken.acting_for.name || taken.acting_for.id;
    navigate("/approvals", done);
    return undefined;
  };
  return html`<form class="card form decision" id="decision" novalidate onSubmit=${decide("approve")}>
    <h2>${t("card.decision")}</h2>
    ${next ? html`<p>${t("card.deciding_step", { step: stepLabel(next) })}</p>` : ""}
    ${delegated ? html`<${Notice} kind=${delegated === "yes" ? "info" : "warn"}>${t(delegated === "yes" ? "card.delegated" : "card.not_own_step",
      { step: stepLabel(next), name: actingFor ? actingFor.name || actingFor.id : "" })}<//>` : ""}
    <${MoneyField} label=${t("field.approved_amount")} name="approved_amount" value=${amount} onValue=${setAmount}
      error=${fields.approved_amount} hint=${t(steps.length ? "card.amount_hint_step" : "card.amount_hint", { v: money(cap) })} />
    <${TextArea} label=${t("field.comment")} name="comment" value=${comment} onValue=${setComment} rows="3"
      error=${fields.comment} hint=${t("card.comment_hint")} />
    <${FormMessage}>${general}<//>
    <div class="actions decision-bar">
      <span class="bar-amount" aria-hidden="true">${t("field.approved_amount")}${colon()}${Number.isNaN(parseYuan(amount)) ? "—" : money(parseYuan(amount))}</span>
      <button type="submit" disabled=${submit.busy}>${t("card.approve")}</button>
      <button type="button" class="danger" disabled=${submit.busy} onClick=${decide("reject")}>${t("card.reject")}</button>
    </div>
  </form>`;
}

export default function ApprovalCard({ params, query, session }) {
  const data = useAsync(() => api.approvalCard(params.id), [params.id]);
  if (data.error) return html`<${Page} title=${t("card.title")} back="#/approvals"><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!data.data) return html`<${Page} title=${t("card.title")} busy=${true}><${Loading} /><//>`;
  const { campaign, customer, budget, warnings, approval, history, acting_for: actingFor } = data.data;
  const decidable = campaign.status === "submitted" && campaign.owner.id !== session.claims.sub;
  const next = approval && approval.next;
  // not mine in my own right: through a delegation (the card names the delegator), or someone else's step
  const delegated = actingFor ? "yes" : next && !ownStep(session.claims, next) ? "maybe" : null;
  return html`<${Page} title=${campaign.title} back="#/approvals" className=${decidable ? "has-decision-bar" : ""}
    actions=${html`<a class="button secondary" href=${`#/campaigns/${campaign.id}`}>${t("card.open_campaign")}</a>`}>
    <p class="status-line"><${StatusBadge} group="campaign" status=${campaign.status} /></p>
    <${Warnings} warnings=${warnings} />
    <div class="split">
      <section class="card"><h2>${t("campaign.application")}</h2><${CampaignFacts} c=${campaign} /></section>
      <section class="card"><h2>${t("card.history", { name: customer.name || customer.id })}</h2>
        <${CustomerSummary} summary=${customer.summary} />
      </section>
    </div>
    <div class="split">
      <${BudgetSection} budget=${budget} campaign=${campaign} canOpen=${true} />
      <section class="card"><h2>${t("card.chain")}</h2>
        <${ApprovalChain} approval=${approval} status=${campaign.status} />
      </section>
    </div>
    <section class="card"><h2>${t("card.past")}</h2>
      ${history.length === 0 ? html`<${Empty}>${t("card.no_past")}<//>` : html`<${DataTable} rowKey=${(c) => c.id} rows=${history} columns=${[
        { label: t("field.title"), render: (c) => html`<a href=${`#/campaigns/${c.id}`}>${c.title}</a>` },
        { label: t("field.dates"), render: (c) => `${c.start_date} – ${c.end_date}` },
        { label: t("field.status"), render: (c) => html`<${CampaignState} c=${c} />` },
        { label: t("fig.expected_spend"), num: true, render: (c) => money(c.plan_vs_actual.expected_spend) },
        { label: t("fig.actual_spend"), num: true, render: (c) => money(c.plan_vs_actual.actual_spend) },
        { label: t("fig.actual_sales"), num: true, render: (c) => money(c.plan_vs_actual.actual_sales) },
        { label: t("fig.roi"), num: true, render: (c) => percent(c.plan_vs_actual.roi) },
        { label: t("fig.actual_cost_ratio"), num: true, render: (c) => percent(c.plan_vs_actual.actual_cost_ratio, 2) },
        { label: t("card.photos"), render: (c) => html`<${PastPhotos} id=${c.id} />` },
      ]} />`}
    </section>
    ${decidable ? html`<${Decision} campaign=${campaign} approval=${approval} delegated=${delegated} actingFor=${actingFor} />`
      : html`<p class="hint">${t("card.not_decidable")}</p>`}
  <//>`;
}
