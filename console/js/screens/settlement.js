// The settlement queue (核销): approved campaigns whose settlement is unlocked, oldest approval
// first. Each card is the evidence pack finance needs before paying: the campaign's dates (and
// whether it has ended), plan against actual, the rep's reflections, the photos with their
// integrity flags, the invoices with their total against actual spend and their flags, what the
// budget will consume and release, and then the amount (the server's proposal: actual spend
// capped at the approved amount, and where the company requires invoices at their total) and
// the button.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { daysBetween, money, parseYuan, today, yuanText } from "../format.js";
import {
  Badge, Empty, Facts, FormMessage, LoadError, Loading, MoneyField, Notice, Page, PlanVsActual, splitErrors, TextField,
  useAsync, useSubmit,
} from "../components.js";
import { InvoiceList, InvoiceTotal, SettlementPolicySwitch } from "../invoices.js";
import { integrityFlags, PhotoList } from "../photos.js";

const decidedAt = (c) => (c.decision && c.decision.at) || c.updated_at;

export async function approvedCampaigns(status) {
  const { items, complete } = await api.allCampaigns({ status: "approved" });
  const wanted = items.filter((c) => c.reimbursement.status === status);
  wanted.sort((a, b) => (decidedAt(a) < decidedAt(b) ? -1 : decidedAt(a) > decidedAt(b) ? 1 : 0));
  return { items: wanted, complete };
}

/** What settlement pays by default: the proposal (actual spend, capped at the approved amount),
 * and where the company requires invoices never more than they prove. */
function defaultAmount(c, invoicesRequired) {
  const r = c.reimbursement;
  const proposed = r.proposed_amount !== null && r.proposed_amount !== undefined ? r.proposed_amount : c.approved_amount;
  return invoicesRequired ? Math.min(proposed, r.invoice_total) : proposed;
}

/** The campaign's dates, and whether it has ended (today, Asia/Shanghai as the server counts). */
function CampaignDates({ c }) {
  const ended = today() >= c.end_date;
  return html`${c.start_date} – ${c.end_date}
    <${Badge} kind=${ended ? "ok" : "warn"}>${t(ended ? "pack.ended" : "pack.not_ended")}<//>`;
}

/** What settling `fen` does to the campaign's budget: consumed, and the rest of the reservation released. */
function BudgetEffect({ c, fen, invoicesRequired }) {
  const b = c.budget;
  if (!b) return html`<p class="hint">${t("pack.no_budget")}</p>`;
  const valid = fen !== null && !Number.isNaN(fen) && fen <= b.reserved;
  const amount = valid ? fen : defaultAmount(c, invoicesRequired);
  const name = `${b.org} · ${b.period}${b.category ? ` · ${t(`category.${b.category}`, {}, b.category)}` : ""}`;
  return html`<p class="budget-effect">${t("pack.budget_effect", {
    budget: name, consumed: money(amount), released: money(Math.max(b.reserved - amount, 0)) })}</p>`;
}

/** The invoices: their count and total against actual spend; the list (open where one is flagged). */
function Invoices({ c, list }) {
  const flagged = list.items.some((i) => i.flags.issued_before_campaign);
  return html`<details class="invoices-box" open=${flagged}>
    <summary><${InvoiceTotal} total=${c.reimbursement.invoice_total} count=${c.reimbursement.invoices}
      spend=${c.plan_vs_actual.actual_spend} /></summary>
    <${InvoiceList} items=${list.items} />
  </details>`;
}

/** The pack's evidence, read when the card is shown: the latest submitted feedback, the attachments, the invoices. */
function Evidence({ c }) {
  const data = useAsync(() => Promise.all([api.feedback(c.id), api.attachments(c.id), api.invoices(c.id)]), [c.id]);
  if (data.error) return html`<${LoadError} error=${data.error} onRetry=${data.reload} />`;
  if (!data.data) return html`<${Loading} />`;
  const [fb, attachments, invoices] = data.data;
  const report = fb.submitted;
  const photos = attachments.items.filter((a) => a.status === "ready");
  const flagged = photos.filter((a) => integrityFlags(a).length).length;
  return html`<div class="evidence">
    <h3>${t("pack.plan_vs_actual")}</h3>
    <${PlanVsActual} figures=${c.plan_vs_actual} />
    <h3>${t("pack.reflections")}</h3>
    ${report && report.reflections ? html`<blockquote class="reflections">${report.reflections}</blockquote>`
      : html`<p class="hint">${t(report ? "pack.no_reflections" : "pack.no_feedback")}</p>`}
    <h3>${t("pack.photos", { n: photos.length })}${flagged ? html` <${Badge} kind="warn">${t("pack.flagged", { n: flagged })}<//>` : ""}</h3>
    ${photos.length ? html`<${PhotoList} items=${photos} />` : html`<p class="hint">${t("pack.no_photos")}</p>`}
    <h3>${t("pack.invoices")}</h3>
    <${Invoices} c=${c} list=${invoices} />
  </div>`;
}

function SettleForm({ c, onSettled, invoicesRequired }) {
  const [amount, setAmount] = useState(yuanText(defaultAmount(c, invoicesRequired)));
  const [note, setNote] = useState("");
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const { fields, general } = useMemo(() => {
    if (submit.error && submit.error.local) return { fields: submit.error.local, general: "" };
    return splitErrors(submit.error, ["amount", "note"]);
  }, [submit.error]);
  const settle = async (e) => {
    e.preventDefault();
    const fen = parseYuan(amount);
    if (Number.isNaN(fen)) return submit.setError({ local: { amount: t("err.money_format") } });
    const body = {};
    if (fen !== null && fen !== defaultAmount(c, invoicesRequired)) body.amount = fen;
    if (note.trim()) body.note = note.trim();
    const out = await submit.run(() => api.settle(c.id, body, intent.for(body)));
    if (out) onSettled(c, out);
    return undefined;
  };
  const prefix = `settle-${c.id}`;
  const notEnded = today() < c.end_date; // nothing is paid before the campaign's last day
  return html`<form class="form settle" novalidate onSubmit=${settle} aria-label=${t("settle.form_for", { title: c.title })}>
    <${BudgetEffect} c=${c} fen=${parseYuan(amount)} invoicesRequired=${invoicesRequired} />
    <div class="row">
      <${MoneyField} label=${t("settle.amount")} name=${`${prefix}-amount`} value=${amount} onValue=${setAmount}
        error=${fields.amount} hint=${t("settle.amount_hint", { v: money(c.approved_amount) })} />
      <${TextField} label=${t("settle.note")} name=${`${prefix}-note`} value=${note} onValue=${setNote} error=${fields.note} maxlength="1000" />
    </div>
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy || notEnded}
      aria-describedby=${notEnded ? `${prefix}-from` : undefined}>${t("settle.settle")}<span class="visually-hidden">: ${c.title}</span></button></div>
    ${notEnded ? html`<p class="hint" id=${`${prefix}-from`}>${t("settle.from", { day: c.end_date })}</p>` : ""}
  </form>`;
}

export default function Settlement() {
  const data = useAsync(() => approvedCampaigns("unlocked"), []);
  const policy = useAsync(() => api.settlementPolicy(), []);
  const required = Boolean(policy.data && policy.data.invoices_required);
  const [done, setDone] = useState(null);
  const settled = (c, out) => {
    data.setData((d) => ({ ...d, items: d.items.filter((x) => x.id !== c.id) }));
    setDone(t("settle.done", { title: c.title, amount: money(out.amount) }));
  };
  const items = data.data ? data.data.items : [];
  return html`<${Page} title=${t("nav.settlement")} busy=${data.loading || policy.loading}
    actions=${html`<a class="button secondary" href="#/settlement/locked">${t("nav.locked")}</a>
      <a class="button secondary" href="#/vouchers">${t("nav.vouchers")}</a>
      <a class="button secondary" href="#/budgets">${t("nav.budgets")}</a>`}>
    ${done ? html`<${Notice} kind="ok">${done}<//>` : ""}
    ${policy.data ? html`<${SettlementPolicySwitch} policy=${policy.data} onSaved=${policy.setData} editable=${true} />` : ""}
    ${data.error ? html`<${LoadError} error=${data.error} onRetry=${data.reload} />`
      : !data.data ? html`<${Loading} />`
      : items.length === 0 ? html`<${Empty}>${t("settle.none")}<//>`
      : html`<ol class="cards">${items.map((c) => html`<li key=${c.id} class="card" data-campaign=${c.id}>
          <h2><a href=${`#/campaigns/${c.id}`}>${c.title}</a></h2>
          <${Facts} items=${[
            [t("field.customer"), c.customer.name || c.customer.id],
            [t("field.owner"), `${c.owner.name} · ${c.org}`],
            [t("pack.dates"), html`<${CampaignDates} c=${c} />`],
            [t("settle.approved_at"), `${decidedAt(c).slice(0, 10)} (${t("worklist.days", { n: daysBetween(decidedAt(c), today()) })})`],
            [t("field.approved_amount"), money(c.approved_amount)],
            [t("fig.actual_spend"), money(c.plan_vs_actual.actual_spend)],
            [t("settle.proposed"), html`<strong>${money(defaultAmount(c, required))}</strong>`],
          ]} />
          ${required && c.reimbursement.invoice_total < defaultAmount(c, false)
            ? html`<${Notice} kind="warn">${t("settle.invoices_short", { total: money(c.reimbursement.invoice_total) })}<//>` : ""}
          <${Evidence} c=${c} />
          <${SettleForm} key=${`${c.id}-${required}`} c=${c} onSettled=${settled} invoicesRequired=${required} />
        </li>`)}</ol>`}
    ${data.data && !data.data.complete ? html`<p class="hint">${t("approvals.more")}</p>` : ""}
  <//>`;
}
