// Events out (事件推送), GET /webhooks: the company's webhooks — standard (signed, for an ERP or
// a BI tool) and WeCom / DingTalk group robots — and a form to add one (POST /webhooks). A
// standard webhook's secret is shown once, right after it is made, with a copy button: the API
// never shows it again (rotating makes a new one, on the webhook's own screen).
import { html, useMemo, useRef, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { lang, t } from "../i18n.js";
import { date } from "../format.js";
import {
  DataTable, FormMessage, ListBody, Notice, Page, Pager, Radios, splitErrors, TextField, usePaged, useSubmit,
} from "../components.js";

export const EVENTS = [
  "campaign.submitted", "campaign.approved", "campaign.rejected", "campaign.cancelled", "feedback.submitted",
  "settlement.unlocked", "campaign.reimbursed", "invoice.claimed", "report.ready",
];
export const FORMATS = ["standard", "wecom", "dingtalk"];
const FIELDS = ["url", "events", "format", "description", "secret"];

export const eventLabel = (e) => t(`webhook_event.${e}`, {}, e);
/** A webhook's events as a list people read (、 between Chinese names, commas between English ones). */
export const eventList = (events) => events.map(eventLabel).join(lang() === "en" ? ", " : "、");
export const formatLabel = (f) => t(`webhook_format.${f}`, {}, f);

/** The secret of a standard webhook, shown once: a read-only field, selected on focus, and a
 * copy button (the clipboard API, or the selection where the page may not use it). */
export function SecretOnce({ secret, title }) {
  const input = useRef(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      input.current.select();
      document.execCommand("copy");
    }
    setCopied(true);
  };
  return html`<section class="card secret-once" aria-labelledby="secret-once-title">
    <h2 id="secret-once-title">${title}</h2>
    <p class="hint">${t("webhook.secret_once")}</p>
    <div class="secret-row">
      <label class="visually-hidden" for="f-webhook-secret">${t("webhook.secret")}</label>
      <input id="f-webhook-secret" ref=${input} class="secret-value" readonly value=${secret}
        onFocus=${(e) => e.currentTarget.select()} spellcheck="false" autocomplete="off" />
      <button type="button" class="secondary" onClick=${copy}>${t("webhook.copy")}</button>
    </div>
    ${copied ? html`<p class="hint" role="status">${t("webhook.copied")}</p>` : ""}
  </section>`;
}

function EventBoxes({ value, onValue, error }) {
  const toggle = (e) => onValue(value.includes(e) ? value.filter((x) => x !== e) : [...value, e]);
  return html`<fieldset class=${`field checks ${error ? "has-error" : ""}`} aria-describedby=${error ? "f-events-err" : undefined}>
    <legend>${t("webhook.events")}<span class="req" aria-hidden="true"> *</span></legend>
    <div class="check-grid">
      ${EVENTS.map((e) => html`<label class="check">
        <input type="checkbox" name="events" value=${e} checked=${value.includes(e)} onChange=${() => toggle(e)} />
        <span>${eventLabel(e)} <code>${e}</code></span></label>`)}
    </div>
    ${error ? html`<p class="field-error" id="f-events-err">${error}</p>` : ""}
  </fieldset>`;
}

function WebhookForm({ onCreated }) {
  const [v, setV] = useState({ url: "", format: "standard", events: ["campaign.submitted", "campaign.approved"], description: "", secret: "" });
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const set = (k) => (x) => setV((s) => ({ ...s, [k]: x }));
  const { fields, general } = useMemo(() => {
    const out = splitErrors(submit.error, FIELDS);
    // an event the API refuses is named by its place in the list (events[2]): shown with the list
    const rest = submit.error && submit.error.errors ? submit.error.errors.filter((e) => /^events\[\d+\]$/.test(e.field)) : [];
    if (rest.length && !out.fields.events) out.fields.events = t("webhook.events_refused");
    return out;
  }, [submit.error]);
  const create = async (e) => {
    e.preventDefault();
    const body = { url: v.url.trim(), format: v.format, events: v.events };
    if (v.description.trim()) body.description = v.description.trim();
    if (v.format === "dingtalk" && v.secret.trim()) body.secret = v.secret.trim();
    const out = await submit.run(() => api.createWebhook(body, intent.for(body)));
    if (out) {
      setV((s) => ({ ...s, url: "", description: "", secret: "" }));
      onCreated(out);
    }
  };
  return html`<form class="card form spaced" novalidate onSubmit=${create} aria-labelledby="new-webhook-title">
    <h2 id="new-webhook-title">${t("webhook.new")}</h2>
    <${Radios} legend=${t("webhook.format")} name="format" value=${v.format} onValue=${set("format")} error=${fields.format}
      options=${FORMATS.map((f) => ({ value: f, label: formatLabel(f) }))} />
    <p class="hint">${t(`webhook.format_hint.${v.format}`)}</p>
    <${TextField} label=${t("webhook.url")} name="url" type="url" value=${v.url} onValue=${set("url")} error=${fields.url}
      hint=${t("webhook.url_hint")} required autocomplete="off" spellcheck="false" />
    <${EventBoxes} value=${v.events} onValue=${set("events")} error=${fields.events} />
    <${TextField} label=${t("webhook.description")} name="description" value=${v.description} onValue=${set("description")}
      error=${fields.description} maxlength="500" autocomplete="off" />
    ${v.format === "dingtalk" ? html`<${TextField} label=${t("webhook.dingtalk_secret")} name="secret" value=${v.secret}
      onValue=${set("secret")} error=${fields.secret} hint=${t("webhook.dingtalk_secret_hint")} autocomplete="off" spellcheck="false" />`
      : fields.secret ? html`<p class="field-error">${fields.secret}</p>` : ""}
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("webhook.create")}</button></div>
  </form>`;
}

export function WebhookTable({ rows }) {
  return html`<${DataTable} rowKey=${(w) => w.id} rows=${rows} columns=${[
    { label: t("webhook.url"), render: (w) => html`<a class="url" href=${`#/webhooks/${w.id}`}>${w.description || w.url}</a>
      ${w.description ? html`<br /><span class="hint url">${w.url}</span>` : ""}` },
    { label: t("webhook.format"), render: (w) => formatLabel(w.format) },
    { label: t("webhook.events"), render: (w) => eventList(w.events) },
    { label: t("webhook.created_at"), render: (w) => date(w.created_at) },
  ]} />`;
}

export default function Webhooks({ query }) {
  const limit = Number(query.limit || 20);
  const list = usePaged((cursor) => api.webhooks(cursor, limit), [limit]);
  const [made, setMade] = useState(null);
  const created = (w) => {
    setMade(w);
    list.reload();
  };
  return html`<${Page} title=${t("nav.webhooks")} busy=${list.loading}>
    <p class="hint">${t("webhook.intro")}</p>
    ${query.deleted && !made ? html`<${Notice} kind="ok">${t("webhook.deleted")}<//>` : ""}
    ${made ? html`<${Notice} kind="ok">${t("webhook.created", { url: made.url })}<//>` : ""}
    ${made && made.secret ? html`<${SecretOnce} secret=${made.secret} title=${t("webhook.secret_title")} />` : ""}
    <section class="card" aria-labelledby="webhooks-current">
      <h2 id="webhooks-current">${t("webhook.current")}</h2>
      <${ListBody} list=${list} empty=${t("webhook.none")} render=${() => html`<${WebhookTable} rows=${list.items} />`} />
      <${Pager} list=${list} />
    </section>
    <${WebhookForm} onCreated=${created} />
  <//>`;
}
