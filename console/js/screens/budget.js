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
  if (e.campaign_id) return html`<a href=${`#/campaigns/${e.campaign_id}`}>${t("ledger.campaign")}</a>`;
  if (e.budget_id) return html`<a href=${`#/budgets/${e.budget_id}`}>${t(e.kind === "carve" ? "ledger.child" : "ledger.parent")}</a>`;
  return "—";
}

function Ledger({ id, query, version }) {
  const limit = query.limit || "20";
  const entries = usePaged((cursor) => api.budgetEntries(id, cursor, limit), [id, limit, version]);
  return html`<section class="card ledger"><h2>${t("ledger.title")}</h2>
    <p class="hint">${t("ledger.intro")}</p>
    <form class="inline-form" onSubmit=${(e) => e.preventDefault()}>
      <${SelectField} label=${t("filter.page_size")} name="limit" value=${limit}
        options=${PAGE_SIZES.map((n) => ({ value: n, label: n }))} onValue=${(v) => navigate(`/budgets/${id}`, { limit: v })} />
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
    <${Ledger} id=${b.id} query=${query} version=${version} />
  <//>`;
}
