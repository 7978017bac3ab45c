// Budgets (预算池), GET /budgets: the company's budgets by org, period and category (filters in
// the URL), each with what is carved into children, reserved by approved campaigns, consumed by
// settlements and still available — as figures and as a bar. A leader allocates a new budget
// here (POST /budgets); carving a child and resizing happen on the budget's own screen.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { money, parseYuan } from "../format.js";
import {
  DataTable, errorMessage, FormMessage, ListBody, MoneyField, Notice, Page, Pager, SelectField, splitErrors,
  TextField, useAsync, usePaged, useSubmit,
} from "../components.js";
import { apiFilters, Filters } from "../filters.js";
import { amountError, BudgetBar, categoryLabel } from "../money.js";

const NAMES = ["org", "period", "category"];
export const BUDGET_EDITORS = ["leader"];
const FORM_FIELDS = ["org", "period", "category", "amount", "parent_id"];

export function budgetName(b) {
  return `${b.org} · ${b.period} · ${categoryLabel(b.category)}`;
}

/**
 * Allocate a new budget or (with `parent`) carve a child out of one. The API judges every
 * field; 409 budget_exceeded says what the parent still has, next to the amount.
 */
export function BudgetForm({ categories, parent, defaults, onCreated, title }) {
  const [v, setV] = useState(() => ({ org: "", period: "", category: "", amount: "", ...defaults }));
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const set = (k) => (x) => setV((s) => ({ ...s, [k]: x }));
  const prefix = parent ? "carve-" : "new-";
  const { fields, general } = useMemo(() => {
    const e = submit.error;
    if (e && e.local) return { fields: e.local, general: "" };
    const short = amountError(e);
    if (short) return { fields: { amount: short }, general: "" };
    if (e && e.code === "budget_exists") return { fields: {}, general: errorMessage(e) };
    return splitErrors(e, FORM_FIELDS);
  }, [submit.error]);
  const create = async (e) => {
    e.preventDefault();
    const fen = parseYuan(v.amount);
    if (Number.isNaN(fen)) return submit.setError({ local: { amount: t("err.money_format") } });
    const body = { org: v.org.trim(), period: v.period.trim(), category: v.category || null, amount: fen };
    if (parent) body.parent_id = parent.id;
    const out = await submit.run(() => api.createBudget(body, intent.for(body)));
    if (out) {
      setV((s) => ({ ...s, amount: "" }));
      onCreated(out);
    }
    return undefined;
  };
  return html`<form class="card form spaced" novalidate onSubmit=${create} aria-label=${title}>
    <h2>${title}</h2>
    ${parent ? html`<p class="hint">${t("budget.carve_hint", { name: budgetName(parent), v: money(parent.available) })}</p>`
      : html`<p class="hint">${t("budget.allocate_hint")}</p>`}
    <div class="row">
      <${TextField} label=${t("field.org")} name=${`${prefix}org`} value=${v.org} onValue=${set("org")} error=${fields.org}
        hint=${t("auth.org_hint")} required autocomplete="off" />
      <${TextField} label=${t("budget.period")} name=${`${prefix}period`} value=${v.period} onValue=${set("period")} error=${fields.period}
        hint=${t("budget.period_hint")} required autocomplete="off" />
    </div>
    <div class="row">
      <${SelectField} label=${t("field.category")} name=${`${prefix}category`} value=${v.category} onValue=${set("category")}
        placeholder=${t("budget.any_category")} error=${fields.category}
        options=${categories.map((c) => ({ value: c.id, label: t(`category.${c.id}`, {}, c.name) }))} />
      <${MoneyField} label=${t("budget.amount")} name=${`${prefix}amount`} value=${v.amount} onValue=${set("amount")}
        error=${fields.amount} required />
    </div>
    ${fields.parent_id ? html`<p class="field-error">${fields.parent_id}</p>` : ""}
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${parent ? t("budget.carve") : t("budget.allocate")}</button></div>
  </form>`;
}

export function BudgetTable({ rows, caption }) {
  return html`<${DataTable} rowKey=${(b) => b.id} rows=${rows} caption=${caption} columns=${[
    { label: t("budget.title"), render: (b) => html`<a href=${`#/budgets/${b.id}`}>${budgetName(b)}</a>` },
    { label: t("budget.amount"), num: true, render: (b) => money(b.amount) },
    { label: t("budget.allocated"), num: true, render: (b) => money(b.allocated) },
    { label: t("budget.reserved"), num: true, render: (b) => money(b.reserved) },
    { label: t("budget.consumed"), num: true, render: (b) => money(b.consumed) },
    { label: t("budget.available"), num: true, render: (b) => html`<span class="avail"><strong>${money(b.available)}</strong><${BudgetBar} b=${b} /></span>` },
  ]} />`;
}

export default function Budgets({ query, session }) {
  const filters = apiFilters(query, NAMES);
  const limit = Number(query.limit || 20);
  const editor = BUDGET_EDITORS.includes(session.claims.role);
  const categories = useAsync(() => api.categories(), []);
  const list = usePaged((cursor) => api.budgets(filters, cursor, limit), [JSON.stringify(filters), limit]);
  const [notice, setNotice] = useState(null);
  const { fields } = splitErrors(list.error, NAMES);
  const cats = categories.data ? categories.data.items : [];
  const created = (b) => {
    setNotice(t("budget.created", { name: budgetName(b), v: money(b.amount) }));
    list.reload();
  };
  return html`<${Page} title=${t("nav.budgets")} busy=${list.loading}>
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    ${editor ? "" : html`<p class="hint">${t("budget.read_only")}</p>`}
    <${Filters} path="/budgets" query=${query} errors=${fields} fields=${[
      { name: "org", label: t("field.org") },
      { name: "period", label: t("budget.period") },
      { name: "category", label: t("field.category"), type: "select",
        options: cats.map((c) => ({ value: c.id, label: t(`category.${c.id}`, {}, c.name) })) },
    ]} />
    <${ListBody} list=${list} empty=${t("budget.none")} errorShown=${Object.keys(fields).length > 0}
      render=${() => html`<${BudgetTable} rows=${list.items} />`} />
    <${Pager} list=${list} />
    ${editor ? html`<${BudgetForm} categories=${cats} onCreated=${created} title=${t("budget.new")} />` : ""}
  <//>`;
}
