// One campaign: its plan, where it stands (approval, feedback, settlement) and what the
// signed-in person can do next.
import { html, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { date, money, percent } from "../format.js";
import {
  Facts, FormMessage, LoadError, Loading, Notice, Page, PlanVsActual, StatusBadge, useAsync, useSubmit,
} from "../components.js";
import { PhotoList } from "../photos.js";

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
    <${StatusBadge} group="campaign" status=${c.status} />
    ${c.status === "approved" ? html`<${StatusBadge} group="feedback" status=${c.feedback.status} />` : ""}
    ${c.status === "approved" ? html`<${StatusBadge} group="reimbursement" status=${c.reimbursement.status} />` : ""}
  </p>`;
}

function FeedbackRequirement({ c }) {
  const f = c.feedback;
  if (!f.required) return html`<p>${t("campaign.feedback_optional")}</p>`;
  return html`<p>${t("campaign.feedback_required", { by: t(`required_by.${f.required_by}`), due: f.due_date || "—" })}
    ${f.min_photos ? ` ${t("campaign.min_photos", { n: f.min_photos })}` : ""}
    ${f.status === "overdue" ? html` <strong class="overdue">${t("worklist.overdue_days", { n: f.days_overdue })}</strong>` : ""}</p>`;
}

export default function Campaign({ params, query, session }) {
  const data = useAsync(() => api.campaign(params.id), [params.id]);
  const submit = useSubmit();
  const [intent] = useState(() => new IntentKey());
  const c = data.data;
  const mine = c && c.owner.id === session.claims.sub;
  const decider = c && ["manager", "leader"].includes(session.claims.role) && !mine;
  const fed = c && c.feedback.revision > 0;
  const evaluation = useAsync(() => (fed ? api.evaluation(params.id) : null), [params.id, fed]);
  const photos = useAsync(() => (c && c.status === "approved" ? api.attachments(params.id) : null), [params.id, c && c.status]);

  const submitDraft = async () => {
    const out = await submit.run(() => api.submitCampaign(c.id, intent.for({ submit: c.id })));
    if (out) data.setData(out);
  };

  if (data.error) return html`<${Page} title=${t("campaign.title")}><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!c) return html`<${Page} title=${t("campaign.title")} busy=${true}><${Loading} /><//>`;
  return html`<${Page} title=${c.title} busy=${data.loading} back="#/campaigns">
    ${query.done ? html`<${Notice} kind="ok">${t(`done.${query.done}`)}<//>` : ""}
    <${StatusLine} c=${c} />
    <section class="card"><h2>${t("campaign.application")}</h2><${CampaignFacts} c=${c} />
      ${c.decision && c.decision.comment ? html`<p class="decision-comment"><strong>${t("campaign.decision_comment")}:</strong> ${c.decision.comment}</p>` : ""}
      ${mine && c.status === "draft" ? html`<div class="actions">
        <button type="button" onClick=${submitDraft} disabled=${submit.busy}>${t("campaign.submit")}</button></div>
        <${FormMessage} error=${submit.error} />` : ""}
      ${decider && c.status === "submitted" ? html`<div class="actions"><a class="button" href=${`#/approvals/${c.id}`}>${t("campaign.decide")}</a></div>` : ""}
    </section>
    ${c.status === "approved" ? html`<section class="card"><h2>${t("campaign.feedback")}</h2>
      <${FeedbackRequirement} c=${c} />
      ${c.feedback.submitted_at ? html`<p>${t("campaign.feedback_submitted", { n: c.feedback.revision, at: date(c.feedback.submitted_at) })}</p>` : ""}
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
