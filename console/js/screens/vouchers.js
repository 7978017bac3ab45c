// Vouchers for the general ledger (凭证): finance sets the accounts (PUT /accounting), makes a
// batch of every campaign settled up to a day that is in no batch yet (POST /voucher-batches:
// how many and how much), downloads its CSV and workbook for the ERP, and records the voucher
// number the ERP gave it (POST …/posted), which then reaches every campaign in it. Leaders read.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { date, money, today } from "../format.js";
import {
  Badge, DataTable, errorMessage, Facts, FormMessage, ListBody, LoadError, Loading, Notice, Page, Pager, splitErrors,
  TextField, useAsync, usePaged, useSubmit,
} from "../components.js";

const ACCOUNT_FIELDS = ["expense_account", "payable_account"];

/** The accounts: a default expense account, one per category where it differs, the payables account. */
function AccountsForm({ accounting, categories, onSaved }) {
  const [v, setV] = useState(() => ({
    expense_account: accounting.expense_account || "",
    payable_account: accounting.payable_account || "",
    ...Object.fromEntries(categories.map((c) => [`cat-${c.id}`, (accounting.expense_accounts || {})[c.id] || ""])),
  }));
  const submit = useSubmit();
  const set = (k) => (x) => setV((s) => ({ ...s, [k]: x }));
  const { fields, general } = useMemo(() => {
    const e = submit.error;
    const split = splitErrors(e, [...ACCOUNT_FIELDS, ...categories.map((c) => `expense_accounts.${c.id}`)]);
    return split;
  }, [submit.error, categories]);
  const save = async (e) => {
    e.preventDefault();
    const perCategory = Object.fromEntries(
      categories.map((c) => [c.id, v[`cat-${c.id}`].trim()]).filter(([, account]) => account),
    );
    const body = { expense_account: v.expense_account.trim(), payable_account: v.payable_account.trim() };
    if (Object.keys(perCategory).length) body.expense_accounts = perCategory;
    const out = await submit.run(() => api.setAccounting(body));
    if (out) onSaved(out);
    return undefined;
  };
  return html`<form class="card form spaced" novalidate onSubmit=${save} aria-label=${t("voucher.accounts")}>
    <h2>${t("voucher.accounts")}</h2>
    <p class="hint">${t("voucher.accounts_hint")}</p>
    <div class="row">
      <${TextField} label=${t("voucher.expense_account")} name="expense_account" value=${v.expense_account}
        onValue=${set("expense_account")} error=${fields.expense_account} required autocomplete="off" maxlength="40" />
      <${TextField} label=${t("voucher.payable_account")} name="payable_account" value=${v.payable_account}
        onValue=${set("payable_account")} error=${fields.payable_account} required autocomplete="off" maxlength="40" />
    </div>
    <fieldset class="row wrap"><legend>${t("voucher.per_category")}</legend>
      ${categories.map((c) => html`<${TextField} key=${c.id} label=${t(`category.${c.id}`, {}, c.name)} name=${`cat-${c.id}`}
        value=${v[`cat-${c.id}`]} onValue=${set(`cat-${c.id}`)} error=${fields[`expense_accounts.${c.id}`]}
        hint=${t("voucher.default_account")} autocomplete="off" maxlength="40" />`)}
    </fieldset>
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("voucher.save_accounts")}</button></div>
  </form>`;
}

/** Make a batch of what is settled up to `through` (default today): its count and total answer. */
function NewBatch({ onCreated }) {
  const [through, setThrough] = useState(today());
  const [intent, setIntent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const { fields, general } = useMemo(() => splitErrors(submit.error, ["through"]), [submit.error]);
  const create = async (e) => {
    e.preventDefault();
    const body = through ? { through } : {};
    const out = await submit.run(() => api.createVoucherBatch(body, intent.for(body)));
    if (out) {
      setIntent(new IntentKey()); // the next batch is another request, not a retry of this one
      onCreated(out);
    }
    return undefined;
  };
  return html`<form class="card form spaced" novalidate onSubmit=${create} aria-label=${t("voucher.new")}>
    <h2>${t("voucher.new")}</h2>
    <p class="hint">${t("voucher.new_hint")}</p>
    <div class="row">
      <${TextField} label=${t("voucher.through")} name="through" type="date" value=${through} onValue=${setThrough}
        error=${fields.through} />
    </div>
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("voucher.create")}</button></div>
  </form>`;
}

/** Record the ERP's voucher number on an open batch. */
function PostForm({ batch, onPosted }) {
  const [number, setNumber] = useState("");
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const { fields, general } = useMemo(() => {
    const e = submit.error;
    if (e && e.code === "already_posted") return { fields: {}, general: errorMessage(e) };
    return splitErrors(e, ["voucher_no"]);
  }, [submit.error]);
  const post = async (e) => {
    e.preventDefault();
    const out = await submit.run(() => api.postVoucherBatch(batch.id, number.trim(), intent.for(number.trim())));
    if (out) onPosted(out);
    return undefined;
  };
  return html`<form class="form inline" novalidate onSubmit=${post} aria-label=${t("voucher.post_for", { id: batch.id })}>
    <${TextField} label=${t("voucher.voucher_no")} name=${`voucher-${batch.id}`} value=${number} onValue=${setNumber}
      error=${fields.voucher_no} required autocomplete="off" maxlength="64" />
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("voucher.post")}</button></div>
  </form>`;
}

function Downloads({ b }) {
  if (!b.artifacts.csv_url) return html`<${Badge} kind="warn">${t("voucher.files_pending")}<//>`;
  return html`<span class="downloads"><a href=${b.artifacts.csv_url} download>CSV</a> · <a href=${b.artifacts.xlsx_url} download>XLSX</a></span>`;
}

function Status({ b }) {
  if (b.status !== "posted") return html`<${Badge} kind="info">${t("voucher.status_open")}<//>`;
  const done = b.posting && b.posting.status === "done";
  return html`<${Badge} kind="ok">${t("voucher.posted_as", { no: b.voucher_no })}<//>
    ${done ? "" : html` <span class="hint">${t("voucher.posting", { n: b.posting ? b.posting.campaigns_posted : 0, of: b.campaigns })}</span>`}`;
}

export default function Vouchers({ session }) {
  const finance = session.claims.role === "finance";
  const setup = useAsync(() => Promise.all([api.accounting(), api.categories()]), []);
  const list = usePaged((cursor) => api.voucherBatches(cursor, 20), []);
  const [notice, setNotice] = useState(null);
  const [posted, setPosted] = useState({});
  const created = (b) => {
    setNotice(t("voucher.created", { n: b.campaigns, total: money(b.total), through: b.through }));
    list.reload();
  };
  const saved = (a) => {
    setup.setData((d) => [a, d[1]]);
    setNotice(t("voucher.accounts_saved"));
  };
  const onPosted = (b) => {
    setPosted((p) => ({ ...p, [b.id]: b }));
    setNotice(t("voucher.posted_done", { no: b.voucher_no, n: b.campaigns }));
  };
  const rows = list.items.map((b) => posted[b.id] || b);
  const configured = setup.data && setup.data[0].payable_account;
  return html`<${Page} title=${t("nav.vouchers")} busy=${list.loading || setup.loading}>
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    ${finance ? "" : html`<p class="hint">${t("voucher.read_only")}</p>`}
    ${setup.error ? html`<${LoadError} error=${setup.error} onRetry=${setup.reload} />`
      : !setup.data ? html`<${Loading} />`
      : html`${configured ? html`<${Facts} className="accounts" items=${[
          [t("voucher.expense_account"), setup.data[0].expense_account],
          [t("voucher.payable_account"), setup.data[0].payable_account],
          ...Object.entries(setup.data[0].expense_accounts || {}).map(([cat, acc]) => [t(`category.${cat}`, {}, cat), acc]),
        ]} />` : html`<${Notice} kind="warn">${t("voucher.no_accounts")}<//>`}
        ${finance && configured ? html`<${NewBatch} onCreated=${created} />` : ""}`}
    <h2>${t("voucher.batches")}</h2>
    <${ListBody} list=${list} empty=${t("voucher.none")} render=${() => html`<${DataTable} rowKey=${(b) => b.id} rows=${rows}
      caption=${t("voucher.batches")} columns=${[
        { label: t("voucher.created_at"), render: (b) => html`${date(b.created_at)}<br /><span class="hint">${b.by.name || b.by.id}</span>` },
        { label: t("voucher.through"), render: (b) => b.through },
        { label: t("voucher.campaigns"), num: true, render: (b) => (b.campaigns === null ? "—" : String(b.campaigns)) },
        { label: t("voucher.total"), num: true, render: (b) => (b.total === null ? "—" : money(b.total)) },
        { label: t("voucher.files"), render: (b) => html`<${Downloads} b=${b} />` },
        { label: t("voucher.status"), render: (b) => html`<${Status} b=${b} />
          ${finance && b.status === "open" && b.export === "ready" ? html`<${PostForm} batch=${b} onPosted=${onPosted} />` : ""}` },
      ]} />`} />
    <${Pager} list=${list} />
    ${finance && setup.data ? html`<${AccountsForm} key=${JSON.stringify(setup.data[0])} accounting=${setup.data[0]}
      categories=${setup.data[1].items} onSaved=${saved} />` : ""}
  <//>`;
}
