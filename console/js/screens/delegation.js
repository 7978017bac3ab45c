// Delegation while away (代理审批), GET/PUT/DELETE /me/delegation: a manager or leader names a
// colleague (user id and name) who may approve and reject in their name from one day to another
// (Asia/Shanghai). One delegation at a time; saving again replaces it.
import { html, useMemo, useState } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { today } from "../format.js";
import {
  Badge, Facts, FormMessage, LoadError, Loading, Notice, Page, splitErrors, TextField, useAsync, useSubmit,
} from "../components.js";

const FIELDS = ["to.id", "to.name", "from", "until"];

function phase(d) {
  const now = today();
  if (d.until < now) return ["neutral", "delegation.ended"];
  if (d.from > now) return ["info", "delegation.upcoming"];
  return ["ok", "delegation.active"];
}

function Current({ d, onRevoked }) {
  const [confirming, setConfirming] = useState(false);
  const submit = useSubmit();
  const [kind, label] = phase(d);
  const revoke = async () => {
    if (await submit.run(() => api.deleteDelegation().then(() => true))) onRevoked();
  };
  return html`<section class="card current-delegation"><h2>${t("delegation.current")}</h2>
    <p><${Badge} kind=${kind}>${t(label)}<//></p>
    <${Facts} items=${[
      [t("delegation.to"), `${d.to.name || ""} (${d.to.id})`],
      [t("delegation.from"), d.from],
      [t("delegation.until"), d.until],
    ]} />
    <p class="hint">${t("delegation.explain", { name: d.to.name || d.to.id })}</p>
    <div class="actions">
      ${confirming ? html`
        <button type="button" class="danger" disabled=${submit.busy} onClick=${revoke}>${t("delegation.confirm_revoke")}</button>
        <button type="button" class="link" onClick=${() => setConfirming(false)}>${t("action.cancel")}</button>`
        : html`<button type="button" class="secondary" onClick=${() => setConfirming(true)}>${t("delegation.revoke")}</button>`}
    </div>
    <${FormMessage} error=${submit.error} />
  </section>`;
}

function DelegationForm({ current, onSaved }) {
  const [v, setV] = useState(() => ({
    id: current ? current.to.id : "", name: current ? current.to.name || "" : "",
    from: current ? current.from : today(), until: current ? current.until : "",
  }));
  const submit = useSubmit();
  const set = (k) => (x) => setV((s) => ({ ...s, [k]: x }));
  const labels = { "to.id": t("delegation.to_id"), "to.name": t("delegation.to_name"), from: t("delegation.from"), until: t("delegation.until") };
  const { fields, general } = useMemo(() => splitErrors(submit.error, FIELDS, labels), [submit.error]);
  const onSubmit = async (e) => {
    e.preventDefault();
    const body = { to: { id: v.id.trim(), name: v.name.trim() || null }, from: v.from, until: v.until };
    const out = await submit.run(() => api.setDelegation(body));
    if (out) onSaved(out);
  };
  return html`<form class="card form" novalidate onSubmit=${onSubmit}>
    <h2>${current ? t("delegation.change") : t("delegation.new")}</h2>
    <p class="hint">${t("delegation.intro")}</p>
    <div class="row">
      <${TextField} label=${t("delegation.to_id")} name="to.id" value=${v.id} onValue=${set("id")} error=${fields["to.id"]}
        required autocomplete="off" hint=${t("delegation.to_id_hint")} />
      <${TextField} label=${t("delegation.to_name")} name="to.name" value=${v.name} onValue=${set("name")} error=${fields["to.name"]}
        autocomplete="off" />
    </div>
    <div class="row">
      <${TextField} label=${t("delegation.from")} name="from" type="date" value=${v.from} onValue=${set("from")} error=${fields.from} required />
      <${TextField} label=${t("delegation.until")} name="until" type="date" value=${v.until} onValue=${set("until")} error=${fields.until} required />
    </div>
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("delegation.save")}</button></div>
  </form>`;
}

export default function Delegation() {
  const data = useAsync(() => api.delegation(), []);
  const [notice, setNotice] = useState(null);
  const [formKey, setFormKey] = useState(0);
  if (data.error) return html`<${Page} title=${t("nav.delegation")}><${LoadError} error=${data.error} onRetry=${data.reload} /><//>`;
  if (data.data === undefined) return html`<${Page} title=${t("nav.delegation")} busy=${true}><${Loading} /><//>`;
  const d = data.data;
  const saved = (out) => {
    data.setData(out);
    setNotice(t("delegation.saved", { name: out.to.name || out.to.id, from: out.from, until: out.until }));
  };
  const revoked = () => {
    data.setData(null);
    setFormKey((k) => k + 1);
    setNotice(t("delegation.revoked"));
  };
  return html`<${Page} title=${t("nav.delegation")} busy=${data.loading}>
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    <div class="split">
      ${d ? html`<${Current} d=${d} onRevoked=${revoked} />` : html`<section class="card"><h2>${t("delegation.current")}</h2>
        <p>${t("delegation.none")}</p></section>`}
      <${DelegationForm} key=${formKey} current=${d} onSaved=${saved} />
    </div>
  <//>`;
}
