// The approval policy (分级审批), GET/PUT /approval-policy: levels of amounts (yuan here, fen in
// the API) and who approves up to each — the province office, the region, the leaders. A
// leader edits it; managers read it (it says whose step an application waits for). Errors come
// back per level (levels.1.up_to) and show under that level's field.
import { html, useMemo, useState } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { date, money, parseYuan, yuanText } from "../format.js";
import {
  DataTable, FormMessage, LoadError, Loading, MoneyField, Notice, Page, SelectField, splitErrors, useAsync, useSubmit,
} from "../components.js";
import { SettlementPolicySwitch } from "../invoices.js";

const APPROVERS = ["province", "region", "leader"];

const toRows = (levels) => levels.map((lv) => ({ up_to: yuanText(lv.up_to), approver: lv.approver }));

function Explain() {
  return html`<p class="hint">${t("policy.explain")}</p>`;
}

function ReadOnly({ policy }) {
  if (!policy.levels.length) return null;
  return html`<section class="card">
    <${DataTable} rowKey=${(lv) => lv.i} rows=${policy.levels.map((lv, i) => ({ ...lv, i }))} columns=${[
      { label: t("policy.level"), render: (lv) => t("policy.level_n", { n: lv.i + 1 }) },
      { label: t("policy.up_to"), num: true, render: (lv) => (lv.up_to === null ? t("policy.no_limit") : money(lv.up_to)) },
      { label: t("policy.approver"), render: (lv) => t(`level.${lv.approver}`, {}, lv.approver) },
    ]} />
  </section>`;
}

function Editor({ policy, onSaved }) {
  const [rows, setRows] = useState(() => (policy.levels.length ? toRows(policy.levels) : [{ up_to: "", approver: "leader" }]));
  const submit = useSubmit();
  const names = rows.flatMap((_, i) => [`levels.${i}.up_to`, `levels.${i}.approver`]);
  const { fields, general } = useMemo(() => {
    if (submit.error && submit.error.local) return { fields: submit.error.local, general: t("err.check_fields") };
    return splitErrors(submit.error, [...names, "levels"]);
  }, [submit.error, rows.length]);
  const set = (i, k) => (v) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  const add = () => setRows((rs) => [...rs, { up_to: "", approver: APPROVERS[Math.min(APPROVERS.length - 1, rs.length)] }]);
  const remove = (i) => setRows((rs) => rs.filter((_, j) => j !== i));
  const save = async (e) => {
    e.preventDefault();
    const local = {};
    const levels = rows.map((r, i) => {
      const fen = parseYuan(r.up_to);
      if (Number.isNaN(fen)) local[`levels.${i}.up_to`] = t("err.money_format");
      return { up_to: fen, approver: r.approver };
    });
    if (Object.keys(local).length) return submit.setError({ local });
    const out = await submit.run(() => api.setPolicy({ levels }));
    if (out) onSaved(out);
    return undefined;
  };
  return html`<form class="card form policy-form" novalidate onSubmit=${save}>
    <ol class="levels">
      ${rows.map((r, i) => html`<li key=${i}><fieldset class="level">
        <legend>${t("policy.level_n", { n: i + 1 })}</legend>
        <div class="row">
          <${MoneyField} label=${t("policy.up_to")} name=${`levels.${i}.up_to`} value=${r.up_to} onValue=${set(i, "up_to")}
            error=${fields[`levels.${i}.up_to`]} hint=${i === rows.length - 1 ? t("policy.up_to_last_hint") : t("policy.up_to_hint")} />
          <${SelectField} label=${t("policy.approver")} name=${`levels.${i}.approver`} value=${r.approver} onValue=${set(i, "approver")}
            error=${fields[`levels.${i}.approver`]} options=${APPROVERS.map((a) => ({ value: a, label: t(`level.${a}`) }))} />
        </div>
        ${rows.length > 1 ? html`<button type="button" class="link danger" onClick=${() => remove(i)}>
          ${t("policy.remove")}<span class="visually-hidden"> ${t("policy.level_n", { n: i + 1 })}</span></button>` : ""}
      </fieldset></li>`)}
    </ol>
    ${fields.levels ? html`<p class="field-error">${fields.levels}</p>` : ""}
    <${FormMessage}>${general}<//>
    <div class="actions">
      <button type="button" class="secondary" onClick=${add} disabled=${rows.length >= 10}>${t("policy.add")}</button>
      <button type="submit" disabled=${submit.busy}>${t("policy.save")}</button>
    </div>
  </form>`;
}

export default function ApprovalPolicy({ session }) {
  const data = useAsync(() => api.policy(), []);
  const invoicePolicy = useAsync(() => api.settlementPolicy(), []);
  const [saved, setSaved] = useState(0);
  const leader = session.claims.role === "leader";
  const title = t("nav.policy");
  if (data.error) return html`<${Page} title=${title}><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!data.data) return html`<${Page} title=${title} busy=${true}><${Loading} /><//>`;
  const policy = data.data;
  const onSaved = (out) => {
    data.setData(out);
    setSaved((n) => n + 1);
  };
  return html`<${Page} title=${title} busy=${data.loading}>
    ${saved ? html`<${Notice} kind="ok">${t("policy.saved")}<//>` : ""}
    <${Explain} />
    ${policy.updated_at ? html`<p class="hint">${t("policy.updated", { name: policy.updated_by ? policy.updated_by.name || policy.updated_by.id : "—", at: date(policy.updated_at) })}</p>`
      : html`<p>${t("policy.none")}</p>`}
    ${leader ? html`<${Editor} key=${saved} policy=${policy} onSaved=${onSaved} />` : html`<${ReadOnly} policy=${policy} />`}
    ${invoicePolicy.data ? html`<${SettlementPolicySwitch} policy=${invoicePolicy.data} onSaved=${invoicePolicy.setData} editable=${leader} />` : ""}
  <//>`;
}
