// One campaign: its plan, where it stands (approval chain, budget, feedback, settlement) and
// what the signed-in person can do next: submit a draft, decide, cancel (the owner, or an
// approver over it), read the audit trail.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { colon, t } from "../i18n.js";
import { date, money, percent } from "../format.js";
import {
  CampaignState, Facts, ruleWords, FormMessage, LoadError, Loading, Notice, Page, PlanVsActual, splitErrors, StatusBadge, TextArea, useAsync,
  useSubmit,
} from "../components.js";
import { PhotoList } from "../photos.js";
import { ApprovalChain, Warnings } from "../money.js";
import { device, orDevice } from "../sync.js";
import { useOutboxItems, Waiting } from "../offline.js";
import { isReport } from "../outbox.js";

/** What of this campaign waits in the outbox: the report, how many files and invoices. */
function Queued({ items }) {
  if (!items.length) return null;
  const report = items.filter(isReport).at(-1);
  const files = items.filter((i) => i.kind === "photo").length;
  const invoices = items.filter((i) => i.kind === "invoice").length;
  const parts = [
    report && t(`outbox.kind_${report.kind}`), files && t("outbox.files", { n: files }),
    invoices && t("outbox.invoices", { n: invoices }),
  ].filter(Boolean);
  return html`<p class="queued"><${Waiting} items=${items} /> ${parts.join(" · ")} · <a href="#/outbox">${t("nav.outbox")}</a></p>`;
}

export function CampaignFacts({ c }) {
  return html`<${Facts} items=${[
    [t("field.customer"), `${c.customer.name || ""} (${c.customer.id})`],
    [t("field.category"), t(`category.${c.category}`, {}, c.category)],
    [t("field.dates"), `${c.start_date} – ${c.end_date}`],
    c.location && [t("field.address"), c.location.address || `${c.location.lat}, ${c.location.lon}`],
    [t("field.owner"), `${c.owner.name} · ${c.org}`],
    [t("fig.expected_spend"), money(c.plan.expected_spend)],
    [t("fig.expected_sales"), money(c.plan.expected_sales)],
    c.plan.expected_units !== null && [t("field.expected_units"), String(c.plan.expected_units)],
    [t("fig.expected_cost_ratio"), percent(c.plan.expected_cost_ratio, 2)],
    [t("field.requested_amount"), money(c.requested_amount)],
    c.approved_amount !== null && [t("field.approved_amount"), money(c.approved_amount)],
  ]} />`;
}

export function StatusLine({ c }) {
  return html`<p class="status-line">
    <${CampaignState} c=${c} />
    ${c.status === "approved" ? html`<${StatusBadge} group="feedback" status=${c.feedback.status} />` : ""}
    ${c.status === "approved" ? html`<${StatusBadge} group="reimbursement" status=${c.reimbursement.status} />` : ""}
  </p>`;
}

function FeedbackRequirement({ c }) {
  const f = c.feedback;
  if (!f.required) return html`<p>${t("campaign.feedback_optional")}</p>`;
  return html`<p>${t("campaign.feedback_required", { by: ruleWords(f.required_by, c.category), due: f.due_date || "—" })}
    ${f.min_photos ? ` ${t("campaign.min_photos", { n: f.min_photos })}` : ""}
    ${f.status === "overdue" ? html` <strong class="overdue">${t("worklist.overdue_days", { n: f.days_overdue })}</strong>` : ""}</p>`;
}

/** Cancel with a reason: a button, then the reason and a confirmation (nothing is lost by a slip). */
function CancelCampaign({ c, onCancelled }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const { fields, general } = useMemo(() => splitErrors(submit.error, ["reason"]), [submit.error]);
  if (!open) {
    return html`<button type="button" class="secondary danger-outline" onClick=${() => setOpen(true)}>${t("cancel.open")}</button>`;
  }
  const confirm = async (e) => {
    e.preventDefault();
    const body = { reason: reason.trim() };
    const out = await submit.run(() => api.cancel(c.id, body, intent.for(body)));
    if (out) onCancelled(out);
  };
  return html`<form class="form cancel-form" novalidate onSubmit=${confirm} aria-label=${t("cancel.open")}>
    <p>${t(c.status === "approved" ? "cancel.explain_approved" : "cancel.explain")}</p>
    <${TextArea} label=${t("field.cancel_reason")} name="reason" value=${reason} onValue=${setReason} rows="3"
      error=${fields.reason} required maxlength="5000" />
    <${FormMessage}>${general}<//>
    <div class="actions">
      <button type="submit" class="danger" disabled=${submit.busy}>${t("cancel.confirm")}</button>
      <button type="button" class="link" onClick=${() => setOpen(false)}>${t("cancel.keep")}</button>
    </div>
  </form>`;
}

/** A person the API names by id only (cancellation.by) or as {id, name}. */
function person(p, c) {
  if (!p) return "—";
  if (typeof p === "object") return p.name || p.id;
  return p === c.owner.id ? `${c.owner.name} (${p})` : p;
}

function BudgetLine({ b, canOpen }) {
  if (!b) return null;
  const name = `${b.org} · ${b.period}${b.category ? ` · ${t(`category.${b.category}`, {}, b.category)}` : ""}`;
  return html`<${Facts} items=${[
    [t("budget.title"), canOpen ? html`<a href=${`#/budgets/${b.id}`}>${name}</a>` : name],
    [t("budget.reserved"), money(b.reserved)],
    [t("budget.consumed"), money(b.consumed)],
    [t("budget.released"), money(b.released)],
  ]} />`;
}

export default function Campaign({ params, query, session }) {
  const claims = session.claims;
  const data = useAsync(() => orDevice(() => api.campaign(params.id), () => device.campaign(claims, params.id)), [params.id]);
  const queued = useOutboxItems(params.id);
  const submit = useSubmit();
  const [intent] = useState(() => new IntentKey());
  const c = data.data;
  const mine = c && c.owner.id === session.claims.sub;
  const decider = c && ["manager", "leader"].includes(session.claims.role) && !mine;
  const fed = c && c.feedback.revision > 0;
  const evaluation = useAsync(() => (fed ? api.evaluation(params.id) : null), [params.id, fed]);
  const photos = useAsync(() => (c && c.status === "approved"
    ? orDevice(() => api.attachments(params.id), () => device.attachments(claims, params.id)) : null), [params.id, c && c.status]);

  const role = session.claims.role;
  const cancellable = c && (mine || decider) && ["draft", "submitted", "approved"].includes(c.status)
    && c.reimbursement.status !== "reimbursed";
  const [cancelled, setCancelled] = useState(false);
  const onCancelled = (out) => {
    data.setData(out);
    setCancelled(true);
  };
  const submitDraft = async () => {
    const out = await submit.run(() => api.submitCampaign(c.id, intent.for({ submit: c.id })));
    if (out) data.setData(out);
  };

  if (data.error) return html`<${Page} title=${t("campaign.title")}><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!c) return html`<${Page} title=${t("campaign.title")} busy=${true}><${Loading} /><//>`;
  return html`<${Page} title=${c.title} busy=${data.loading} back="#/campaigns"
    actions=${html`<a class="button secondary" href=${`#/campaigns/${c.id}/audit`}>${t("nav.audit")}</a>`}>
    ${query.done ? html`<${Notice} kind="ok">${t(`done.${query.done}`)}<//>` : ""}
    ${cancelled ? html`<${Notice} kind="ok">${t("cancel.done")}<//>` : ""}
    <${StatusLine} c=${c} />
    ${["draft", "submitted", "approved"].includes(c.status) ? html`<${Warnings} warnings=${c.warnings} />` : ""}
    <section class="card"><h2>${t("campaign.application")}</h2><${CampaignFacts} c=${c} />
      ${c.decision && c.decision.comment ? html`<p class="decision-comment"><strong>${t("campaign.decision_comment")}${colon()}</strong>${c.decision.comment}</p>` : ""}
      ${mine && c.status === "draft" ? html`<div class="actions">
        <button type="button" onClick=${submitDraft} disabled=${submit.busy}>${t("campaign.submit")}</button></div>
        <${FormMessage} error=${submit.error} />` : ""}
      ${decider && c.status === "submitted" ? html`<div class="actions"><a class="button" href=${`#/approvals/${c.id}`}>${t("campaign.decide")}</a></div>` : ""}
      ${cancellable ? html`<div class="actions"><${CancelCampaign} c=${c} onCancelled=${onCancelled} /></div>` : ""}
    </section>
    ${c.cancellation ? html`<section class="card"><h2>${t("cancel.title")}</h2><${Facts} items=${[
      [t("field.cancel_reason"), c.cancellation.reason],
      [t("cancel.by"), person(c.cancellation.by, c)],
      [t("cancel.at"), date(c.cancellation.at)],
    ]} /></section>` : ""}
    ${c.approval && c.approval.chain.length ? html`<section class="card"><h2>${t("card.chain")}</h2>
      <${ApprovalChain} approval=${c.approval} status=${c.status} /></section>` : ""}
    ${c.budget ? html`<section class="card"><h2>${t("budget.title")}</h2>
      <${BudgetLine} b=${c.budget} canOpen=${role !== "rep"} /></section>` : ""}
    ${c.status === "approved" ? html`<section class="card"><h2>${t("campaign.feedback")}</h2>
      <${FeedbackRequirement} c=${c} />
      ${c.feedback.submitted_at ? html`<p>${t("campaign.feedback_submitted", { n: c.feedback.revision, at: date(c.feedback.submitted_at) })}</p>` : ""}
      <${Queued} items=${queued} />
      ${mine ? html`<div class="actions"><a class="button" href=${`#/campaigns/${c.id}/feedback`}>
        ${c.reimbursement.status === "reimbursed" ? t("campaign.view_feedback") : fed ? t("campaign.edit_feedback") : t("campaign.write_feedback")}</a></div>` : ""}
      ${photos.data && photos.data.items.length ? html`<${PhotoList} items=${photos.data.items} />` : ""}
    </section>` : ""}
    ${c.status === "approved" ? html`<section class="card"><h2>${t("campaign.settlement")}</h2>
      <${Facts} items=${[
        [t("field.reimbursement"), html`<${StatusBadge} group="reimbursement" status=${c.reimbursement.status} />`],
        c.reimbursement.proposed_amount !== null && c.reimbursement.status !== "reimbursed" && [t("settle.proposed"), money(c.reimbursement.proposed_amount)],
        c.reimbursement.amount !== null && [t("settle.amount"), money(c.reimbursement.amount)],
        c.reimbursement.reimbursed_at && [t("settle.at"), date(c.reimbursement.reimbursed_at)],
        c.reimbursement.reimbursed_at && [t("settle.by"), person(c.reimbursement.by || c.reimbursement.reimbursed_by, c)],
        c.reimbursement.note && [t("settle.note"), c.reimbursement.note],
        c.reimbursement.voucher_no && [t("voucher.voucher_no"), c.reimbursement.voucher_no],
      ]} />
    </section>` : ""}
    ${evaluation.data ? html`<section class="card"><h2>${t("campaign.evaluation")}</h2>
      <${PlanVsActual} figures=${evaluation.data.plan_vs_actual} />
      ${evaluation.data.benchmark ? html`<p class="hint">${t("campaign.benchmark", {
        n: evaluation.data.benchmark.campaigns, roi: percent(evaluation.data.benchmark.median_roi),
        ratio: percent(evaluation.data.benchmark.median_cost_ratio, 2) })}</p>` : ""}
    </section>` : ""}
  <//>`;
}
