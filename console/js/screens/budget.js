// One budget (GET /budgets/{id}): its figures and bar, its ledger oldest first with paging
// (GET /budgets/{id}/entries — replaying it gives exactly the figures), and for a leader:
// resize it (PATCH: never below what it has committed; a carved budget grows out of its
// parent) and carve a child out of it (POST /budgets with parent_id).
import { html, useMemo, useState } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { date, money, parseYuan, yuanText } from "../format.js";
import { navigate } from "../router.js";
import { PAGE_SIZES } from "../filters.js";
import {
  DataTable, Empty, Facts, FormMessage, LoadError, Loading, MoneyField, Notice, Page, Pager, SelectField, splitErrors,
  useAsync, usePaged, useSubmit,
} from "../components.js";
import { amountError, BudgetBar, BudgetFigures, BudgetLegend } from "../money.js";
import { BUDGET_EDITORS, BudgetForm, budgetName } from "./budgets.js";

function ResizeForm({ b, onResized }) {
  const [amount, setAmount] = useState(yuanText(b.amount));
  const submit = useSubmit();
  const committed = b.allocated + b.reserved + b.consumed;
  const { fields, general } = useMemo(() => {
    const e = submit.error;
    if (e && e.local) return { fields: e.local, general: "" };
    const short = amountError(e, committed);
    if (short) return { fields: { amount: short }, general: "" };
    return splitErrors(e, ["amount"]);
  }, [submit.error]);
  const resize = async (e) => {
    e.preventDefault();
    const fen = parseYuan(amount);
    if (fen === null || Number.isNaN(fen)) return submit.setError({ local: { amount: t("err.money_format") } });
    const out = await submit.run(() => api.resizeBudget(b.id, fen));
    if (out) onResized(out);
    return undefined;
  };
  return html`<form class="card form" novalidate onSubmit=${resize} aria-label=${t("budget.resize")}>
    <h2>${t("budget.resize")}</h2>
    <${MoneyField} label=${t("budget.new_amount")} name="amount" value=${amount} onValue=${setAmount} error=${fields.amount}
      hint=${t(b.parent_id ? "budget.resize_hint_child" : "budget.resize_hint", { v: money(committed) })} required />
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("budget.resize_save")}</button></div>
  </form>`;
}

function Related({ e }) {
  if (e.campaign_id) {
    return html`<a href=${`#/campaigns/${e.campaign_id}`}>${e.campaign_title || t("ledger.campaign")}</a>
      <br /><code class="hint campaign-id">${e.campaign_id}</code>`;
  }
  if (e.budget_id) return html`<a href=${`#/budgets/${e.budget_id}`}>${t(e.kind === "carve" ? "ledger.child" : "ledger.parent")}</a>`;
  return "—";
}

const csvCell = (v) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The whole ledger as CSV, UTF-8 with a BOM so that Excel opens the Chinese right. */
export function ledgerCsv(entries) {
  const head = ["at", "kind", "amount", "campaign", "campaign_id", "budget_id", "by"].map((k) => t(`ledger.csv.${k}`));
  const rows = entries.map((e) => [e.at, t(`ledger.kind.${e.kind}`, {}, e.kind), (e.amount / 100).toFixed(2),
    e.campaign_title || "", e.campaign_id || "", e.budget_id || "", e.by ? e.by.name || e.by.id : ""]);
  return `\uFEFF${[head, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

function ExportLedger({ id, name }) {
  const submit = useSubmit();
  const run = async () => {
    const all = await submit.run(() => api.allBudgetEntries(id));
    if (!all) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([ledgerCsv(all.items)], { type: "text/csv;charset=utf-8" }));
    link.download = `${t("ledger.csv.file")}-${name.replace(/[\\/:*?"<>|\s]+/g, "_")}.csv`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  };
  return html`<span><button type="button" class="secondary" onClick=${run} disabled=${submit.busy}>${t("ledger.export")}</button>
    <${FormMessage} error=${submit.error} /></span>`;
}

function Ledger({ id, name, query, version }) {
  const limit = query.limit || "20";
  const entries = usePaged((cursor) => api.budgetEntries(id, cursor, limit), [id, limit, version]);
  return html`<section class="card ledger"><h2>${t("ledger.title")}</h2>
    <p class="hint">${t("ledger.intro")}</p>
    <form class="inline-form" onSubmit=${(e) => e.preventDefault()}>
      <${SelectField} label=${t("filter.page_size")} name="limit" value=${limit}
        options=${PAGE_SIZES.map((n) => ({ value: n, label: n }))} onValue=${(v) => navigate(`/budgets/${id}`, { limit: v })} />
      <${ExportLedger} id=${id} name=${name} />
    </form>
    ${entries.error ? html`<${LoadError} error=${entries.error} onRetry=${entries.reload} />`
      : !entries.data ? html`<${Loading} />`
      : entries.items.length === 0 ? html`<${Empty} />`
      : html`<${DataTable} rowKey=${(e) => e.id} rows=${entries.items} columns=${[
        { label: t("ledger.at"), render: (e) => date(e.at) },
        { label: t("ledger.kind"), render: (e) => t(`ledger.kind.${e.kind}`, {}, e.kind) },
        { label: t("ledger.amount"), num: true, render: (e) => money(e.amount) },
        { label: t("ledger.related"), render: (e) => html`<${Related} e=${e} />` },
        { label: t("ledger.by"), render: (e) => (e.by ? e.by.name || e.by.id : "—") },
      ]} />`}
    <${Pager} list=${entries} />
  </section>`;
}

export default function Budget({ params, query, session }) {
  const data = useAsync(() => Promise.all([api.budget(params.id), api.categories()]), [params.id]);
  const [notice, setNotice] = useState(null);
  const [version, setVersion] = useState(0);
  const editor = BUDGET_EDITORS.includes(session.claims.role);
  if (data.error) return html`<${Page} title=${t("budget.title")} back="#/budgets"><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!data.data) return html`<${Page} title=${t("budget.title")} busy=${true}><${Loading} /><//>`;
  const [b, categories] = data.data;
  const changed = (text) => {
    setNotice(text);
    setVersion((n) => n + 1);
    data.reload();
  };
  return html`<${Page} title=${budgetName(b)} back="#/budgets" busy=${data.loading}>
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    <section class="card"><h2>${t("budget.figures")}</h2>
      <${BudgetFigures} b=${b} />
      <${BudgetBar} b=${b} /><${BudgetLegend} b=${b} />
      <${Facts} items=${[
        b.parent_id && [t("budget.parent"), html`<a href=${`#/budgets/${b.parent_id}`}>${t("ledger.parent")}</a>`],
        [t("budget.updated_at"), date(b.updated_at)],
      ]} />
    </section>
    ${editor ? html`<div class="split">
      <${ResizeForm} key=${`${b.id}-${b.amount}`} b=${b} onResized=${(out) => changed(t("budget.resized", { v: money(out.amount) }))} />
      <${BudgetForm} key=${`carve-${b.id}`} categories=${categories.items} parent=${b} title=${t("budget.carve_title")}
        defaults=${{ org: b.org, period: b.period, category: b.category || "" }}
        onCreated=${(child) => changed(t("budget.carved", { name: budgetName(child), v: money(child.amount) }))} />
    </div>` : ""}
    <${Ledger} id=${b.id} name=${budgetName(b)} query=${query} version=${version} />
  <//>`;
}
