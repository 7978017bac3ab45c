// The settlement queue (核销): approved campaigns whose settlement is unlocked, oldest approval
// first, each with the amount proposed from its latest feedback (actual spend, capped at the
// approved amount). Finance settles with that default or another amount, and a note.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { daysBetween, money, parseYuan, today, yuanText } from "../format.js";
import {
  Empty, errorMessage, Facts, FormMessage, LoadError, Loading, MoneyField, Notice, Page, splitErrors, TextField, useAsync, useSubmit,
} from "../components.js";
import { InvoiceList, InvoiceTotal, SettlementPolicySwitch } from "../invoices.js";

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

/** The campaign's invoices, read when finance opens them. */
function Invoices({ c }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const open = (e) => {
    if (e.currentTarget.open && !list) api.invoices(c.id).then(setList, setError);
  };
  return html`<details class="invoices-box" onToggle=${open}>
    <summary><${InvoiceTotal} total=${c.reimbursement.invoice_total} count=${c.reimbursement.invoices}
      spend=${c.plan_vs_actual.actual_spend} /></summary>
    ${error ? html`<p class="form-error" role="alert">${errorMessage(error)}</p>`
      : list ? html`<${InvoiceList} items=${list.items} />` : html`<${Loading} />`}
  </details>`;
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
  return html`<${Page} title=${t("nav.settlement")} busy=${data.loading}
    actions=${html`<a class="button secondary" href="#/settlement/locked">${t("nav.locked")}</a>
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
            [t("settle.approved_at"), `${decidedAt(c).slice(0, 10)} (${t("worklist.days", { n: daysBetween(decidedAt(c), today()) })})`],
            [t("field.approved_amount"), money(c.approved_amount)],
            [t("fig.actual_spend"), money(c.plan_vs_actual.actual_spend)],
            [t("settle.proposed"), html`<strong>${money(defaultAmount(c, required))}</strong>`],
          ]} />
          ${required && c.reimbursement.invoice_total < defaultAmount(c, false)
            ? html`<${Notice} kind="warn">${t("settle.invoices_short", { total: money(c.reimbursement.invoice_total) })}<//>` : ""}
          <${Invoices} c=${c} />
          <${SettleForm} key=${`${c.id}-${required}`} c=${c} onSettled=${settled} invoicesRequired=${required} />
        </li>`)}</ol>`}
    ${data.data && !data.data.complete ? html`<p class="hint">${t("approvals.more")}</p>` : ""}
  <//>`;
}
