// A — feedback rules: a leader requires feedback for one campaign, a whole category, or all
// campaigns, with a due time after the campaign ends and a minimum of photos.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { date } from "../format.js";
import {
  DataTable, Empty, FormMessage, LoadError, Loading, Notice, Page, Radios, SelectField, splitErrors, TextField,
  useAsync, useSubmit,
} from "../components.js";

const FIELDS = ["scope", "campaign_id", "category", "due_days", "min_photos"];

function RuleForm({ categories, campaigns, onCreated }) {
  const [v, setV] = useState({ scope: "category", campaign_id: "", category: "", due_days: "7", min_photos: "0" });
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const set = (k) => (x) => setV((s) => ({ ...s, [k]: x }));
  const { fields, general } = useMemo(() => splitErrors(submit.error, FIELDS), [submit.error]);
  const onSubmit = async (e) => {
    e.preventDefault();
    const body = { scope: v.scope, due_days: Number(v.due_days), min_photos: Number(v.min_photos) };
    if (v.scope === "campaign") body.campaign_id = v.campaign_id || null;
    if (v.scope === "category") body.category = v.category || null;
    const rule = await submit.run(() => api.createRule(body, intent.for(body)));
    if (rule) onCreated(rule);
  };
  return html`<form class="card form" novalidate onSubmit=${onSubmit}>
    <h2>${t("rules.new")}</h2>
    <${Radios} legend=${t("field.scope")} name="scope" value=${v.scope} onValue=${set("scope")} error=${fields.scope}
      options=${["campaign", "category", "all"].map((s) => ({ value: s, label: t(`required_by.${s}`) }))} />
    ${v.scope === "campaign" ? html`<${SelectField} label=${t("field.campaign")} name="campaign_id" value=${v.campaign_id}
      onValue=${set("campaign_id")} placeholder=${t("filter.choose")} error=${fields.campaign_id}
      options=${campaigns.map((c) => ({ value: c.id, label: `${c.title} · ${c.customer.name || c.customer.id} · ${c.start_date}` }))} />` : ""}
    ${v.scope === "category" ? html`<${SelectField} label=${t("field.category")} name="category" value=${v.category}
      onValue=${set("category")} placeholder=${t("filter.choose")} error=${fields.category}
      options=${categories.map((c) => ({ value: c.id, label: t(`category.${c.id}`, {}, c.name) }))} />` : ""}
    <div class="row">
      <${TextField} label=${t("field.due_days")} name="due_days" type="number" min="0" max="365" value=${v.due_days}
        onValue=${set("due_days")} error=${fields.due_days} hint=${t("rules.due_days_hint")} />
      <${TextField} label=${t("field.min_photos")} name="min_photos" type="number" min="0" max="50" value=${v.min_photos}
        onValue=${set("min_photos")} error=${fields.min_photos} />
    </div>
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("rules.create")}</button></div>
  </form>`;
}

function DeleteButton({ rule, onDeleted }) {
  const [confirming, setConfirming] = useState(false);
  const submit = useSubmit();
  if (!confirming) {
    return html`<button type="button" class="link danger" onClick=${() => setConfirming(true)}>${t("action.delete")}</button>`;
  }
  return html`<span class="confirm">
    <button type="button" class="danger" disabled=${submit.busy}
      onClick=${async () => { if (await submit.run(() => api.deleteRule(rule.id).then(() => true))) onDeleted(rule); }}>${t("action.confirm_delete")}</button>
    <button type="button" class="link" onClick=${() => setConfirming(false)}>${t("action.cancel")}</button>
    <${FormMessage} error=${submit.error} />
  </span>`;
}

export default function Rules() {
  const data = useAsync(() => Promise.all([api.rules(), api.categories(), api.campaigns({}, null, 200)]), []);
  const [notice, setNotice] = useState(null);
  if (data.error) return html`<${Page} title=${t("nav.rules")}><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (!data.data) return html`<${Page} title=${t("nav.rules")} busy=${true}><${Loading} /><//>`;
  const [rules, categories, campaigns] = data.data;
  const byId = Object.fromEntries(campaigns.items.map((c) => [c.id, c]));
  const target = (r) => (r.scope === "campaign" ? (byId[r.campaign_id] ? byId[r.campaign_id].title : r.campaign_id)
    : r.scope === "category" ? t(`category.${r.category}`, {}, r.category) : t("rules.every_campaign"));
  const created = (rule) => {
    data.setData(([rs, cs, cps]) => [{ ...rs, items: [rule, ...rs.items] }, cs, cps]);
    setNotice(t("rules.created"));
  };
  const deleted = (rule) => {
    data.setData(([rs, cs, cps]) => [{ ...rs, items: rs.items.filter((x) => x.id !== rule.id) }, cs, cps]);
    setNotice(t("rules.deleted"));
  };
  return html`<${Page} title=${t("nav.rules")} busy=${data.loading}>
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    <div class="split">
      <${RuleForm} categories=${categories.items} campaigns=${campaigns.items.filter((c) => c.status !== "rejected")} onCreated=${created} />
      <section class="card"><h2>${t("rules.current")}</h2>
        ${rules.items.length === 0 ? html`<${Empty}>${t("rules.none")}<//>` : html`<${DataTable} rowKey=${(r) => r.id} rows=${rules.items} columns=${[
          { label: t("field.scope"), render: (r) => t(`required_by.${r.scope}`) },
          { label: t("rules.target"), render: target },
          { label: t("field.due_days"), num: true, render: (r) => String(r.due_days) },
          { label: t("field.min_photos"), num: true, render: (r) => String(r.min_photos) },
          { label: t("rules.created_at"), render: (r) => date(r.created_at) },
          { label: t("rules.actions"), render: (r) => html`<${DeleteButton} rule=${r} onDeleted=${deleted} />` },
        ]} />`}
      </section>
    </div>
  <//>`;
}
