// Write (or keep maintaining) the feedback report of one campaign: actual figures, how it went,
// photos with their checks, then submit. Until the server has saved them, the entries live in
// a browser draft, so a dropped network or a reload loses nothing.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { colon, t } from "../i18n.js";
import { navigate } from "../router.js";
import { date, money, parseCount, parseYuan, percent, ratio, today, yuanText } from "../format.js";
import { useDraft } from "../drafts.js";
import {
  FormMessage, LoadError, Loading, MoneyField, Notice, Page, PlanVsActual, Radios, splitErrors, TextArea, TextField,
  useAsync, useSubmit,
} from "../components.js";
import { PhotoUploader } from "../photos.js";
import { InvoicePanel } from "../invoices.js";
import { StatusLine } from "./campaign.js";

const FIELDS = ["actual_spend", "actual_sales", "actual_units", "effect_rating", "reflections", "attachments"];

function valuesOf(report) {
  if (!report) return { actual_spend: "", actual_sales: "", actual_units: "", effect_rating: "", reflections: "" };
  return {
    actual_spend: yuanText(report.actual_spend), actual_sales: yuanText(report.actual_sales),
    actual_units: report.actual_units === null || report.actual_units === undefined ? "" : String(report.actual_units),
    effect_rating: report.effect_rating ? String(report.effect_rating) : "", reflections: report.reflections || "",
  };
}

function toBody(v) {
  const errors = {};
  const spend = parseYuan(v.actual_spend);
  const sales = parseYuan(v.actual_sales);
  const units = parseCount(v.actual_units);
  if (Number.isNaN(spend)) errors.actual_spend = t("err.money_format");
  if (Number.isNaN(sales)) errors.actual_sales = t("err.money_format");
  if (Number.isNaN(units)) errors.actual_units = t("err.count_format");
  if (Object.keys(errors).length) return { errors };
  return { body: { actual_spend: spend, actual_sales: sales, actual_units: units,
    effect_rating: v.effect_rating ? Number(v.effect_rating) : null, reflections: v.reflections.trim() || null } };
}

function FeedbackForm({ campaign, feedback, attachments, setAttachments, values, setValues, draft }) {
  const id = campaign.id;
  const server = feedback.draft || feedback.submitted;
  const [saved, setSaved] = useState(server ? server.updated_at : null);
  const [latest, setLatest] = useState(server);
  const submit = useSubmit();
  const locked = campaign.reimbursement.status === "reimbursed";
  // the figures are what happened: submitting opens on the campaign's last day (a draft any time)
  const notEnded = today() < campaign.end_date;
  const set = (name) => (value) => setValues((v) => ({ ...v, [name]: value }));
  const liveRatio = ratio(parseYuan(values.actual_spend), parseYuan(values.actual_sales));
  const minPhotos = campaign.feedback.min_photos || 0;
  const readyPhotos = attachments.filter((a) => a.kind === "photo" && a.status === "ready").length;

  const { fields, general } = useMemo(() => {
    if (submit.error && submit.error.local) return { fields: submit.error.local, general: t("err.check_fields") };
    return splitErrors(submit.error, FIELDS);
  }, [submit.error]);

  const save = async (e) => {
    e.preventDefault();
    const parsed = toBody(values);
    if (parsed.errors) return submit.setError({ local: parsed.errors });
    const out = await submit.run(() => api.saveFeedback(id, parsed.body));
    if (out) {
      draft.clear();
      setSaved(out.updated_at);
      setLatest(out);
    }
    return undefined;
  };

  const send = async (e) => {
    e.preventDefault();
    const parsed = toBody(values);
    if (parsed.errors) return submit.setError({ local: parsed.errors });
    const intent = new IntentKey(values.intent);
    const key = intent.for(parsed.body);
    setValues((v) => ({ ...v, intent: intent.toJSON() }));
    const out = await submit.run(() => api.submitFeedback(id, parsed.body, key));
    if (out) {
      draft.clear();
      navigate(`/campaigns/${id}`, { done: "feedback_submitted" });
    }
    return undefined;
  };

  return html`<form class="card form" novalidate onSubmit=${send}>
    ${draft.restored ? html`<${Notice} kind="info">${t("draft.restored")}<//>` : ""}
    ${locked ? html`<${Notice} kind="warn">${t("feedback.locked")}<//>` : ""}
    <fieldset disabled=${locked}><legend>${t("feedback.actuals")}</legend>
      <div class="row">
        <${MoneyField} label=${t("fig.actual_spend")} name="actual_spend" value=${values.actual_spend}
          onValue=${set("actual_spend")} required error=${fields.actual_spend}
          hint=${t("feedback.plan_was", { v: money(campaign.plan.expected_spend) })} />
        <${MoneyField} label=${t("fig.actual_sales")} name="actual_sales" value=${values.actual_sales}
          onValue=${set("actual_sales")} required error=${fields.actual_sales}
          hint=${t("feedback.plan_was", { v: money(campaign.plan.expected_sales) })} />
      </div>
      <p class="live-figure">${t("fig.actual_cost_ratio")}${colon()}<output aria-live="polite">${percent(liveRatio, 2)}</output>
        <span class="hint"> (${t("fig.expected_cost_ratio")} ${percent(campaign.plan.expected_cost_ratio, 2)})</span></p>
      <${TextField} label=${t("field.actual_units")} name="actual_units" inputmode="numeric" value=${values.actual_units}
        onValue=${set("actual_units")} error=${fields.actual_units} />
      <${Radios} legend=${t("field.effect_rating")} name="effect_rating" value=${values.effect_rating}
        onValue=${set("effect_rating")} error=${fields.effect_rating}
        options=${[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: t(`rating.${n}`) }))} />
      <${TextArea} label=${t("field.reflections")} name="reflections" value=${values.reflections}
        onValue=${set("reflections")} error=${fields.reflections} maxlength="5000" rows="5" />
    </fieldset>
    <fieldset><legend>${t("feedback.photos")}</legend>
      <p class="hint">${minPhotos ? t("feedback.min_photos", { n: minPhotos, ready: readyPhotos }) : t("feedback.photos_hint")}</p>
      <${PhotoUploader} campaignId=${id} items=${attachments} onItems=${setAttachments} editable=${!locked} />
      ${fields.attachments ? html`<p class="field-error" id="f-attachments-err">${fields.attachments}</p>` : ""}
    </fieldset>
    <${FormMessage}>${general}<//>
    ${saved ? html`<p class="hint" role="status">${t("feedback.saved_at", { at: date(saved) })}</p>` : ""}
    ${!locked ? html`<div class="actions">
      <button type="submit" disabled=${submit.busy || notEnded} aria-describedby=${notEnded ? "submit-from" : undefined}>${t("feedback.submit")}</button>
      <button type="button" class="secondary" disabled=${submit.busy} onClick=${save}>${t("feedback.save")}</button>
    </div>
    ${notEnded ? html`<p class="hint" id="submit-from">${t("feedback.submit_from", { day: campaign.end_date })}</p>` : ""}` : ""}
    ${latest ? html`<details class="figures-box"><summary>${t("campaign.evaluation")}</summary><${PlanVsActual} figures=${latest.plan_vs_actual} /></details>` : ""}
  </form>`;
}

export default function FeedbackEdit({ params }) {
  const data = useAsync(() => Promise.all([api.campaign(params.id), api.feedback(params.id), api.attachments(params.id),
    api.invoices(params.id)]), [params.id]);
  const title = t("feedback.title");
  if (data.error) return html`<${Page} title=${title}><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!data.data) return html`<${Page} title=${title} busy=${true}><${Loading} /><//>`;
  const [campaign, feedback, attachments, invoices] = data.data;
  return html`<${Page} title=${title} back=${`#/campaigns/${campaign.id}`}>
    <p class="subtitle"><strong>${campaign.title}</strong> · ${campaign.customer.name || campaign.customer.id} · ${campaign.start_date} – ${campaign.end_date}</p>
    <${StatusLine} c=${campaign} />
    ${feedback.submitted ? html`<p class="hint">${t("campaign.feedback_submitted", { n: feedback.submitted.revision, at: date(feedback.submitted.submitted_at) })}</p>` : ""}
    <${FeedbackScreen} campaign=${campaign} feedback=${feedback} attachments=${attachments.items} invoices=${invoices} />
  <//>`;
}

/** The report's form and, beside it (a form of its own), the invoices proving the spend. */
function FeedbackScreen({ campaign, feedback, attachments: initialAttachments, invoices: initialInvoices }) {
  const server = feedback.draft || feedback.submitted;
  const [values, setValues, draft] = useDraft(`feedback:${campaign.id}`, { ...valuesOf(server), intent: null });
  const [attachments, setAttachments] = useState(initialAttachments);
  const [invoices, setInvoices] = useState(initialInvoices);
  const editable = campaign.status === "approved" && campaign.reimbursement.status !== "reimbursed";
  const spend = parseYuan(values.actual_spend);
  return html`
    <${FeedbackForm} campaign=${campaign} feedback=${feedback} attachments=${attachments} setAttachments=${setAttachments}
      values=${values} setValues=${setValues} draft=${draft} />
    <${InvoicePanel} campaign=${campaign} invoices=${invoices} onInvoices=${setInvoices} editable=${editable}
      spend=${spend === null || Number.isNaN(spend) ? null : spend} onAttachments=${setAttachments} />`;
}
