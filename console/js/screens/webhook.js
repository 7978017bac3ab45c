// One webhook (GET /webhooks/{id}) and its delivery log (GET /webhooks/{id}/deliveries?status=):
// each delivery's event, status, attempts with the last answer or error, and when it is tried
// next; a failed one is sent again by hand (POST …/deliveries/{id}/retry → 202). A standard
// webhook's secret is rotated here (the new one shown once; the old one keeps signing 24 hours),
// and the webhook deleted.
import { html, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { t } from "../i18n.js";
import { date } from "../format.js";
import { navigate } from "../router.js";
import {
  Badge, DataTable, Facts, FormMessage, ListBody, LoadError, Loading, Notice, Page, Pager, useAsync, usePaged, useSubmit,
} from "../components.js";
import { Filters } from "../filters.js";
import { eventLabel, eventList, formatLabel, SecretOnce } from "./webhooks.js";

const STATUS_KIND = { pending: "warn", delivered: "ok", failed: "bad" };
const STATUSES = ["pending", "delivered", "failed"];

function DeliveryStatus({ status }) {
  return html`<${Badge} kind=${STATUS_KIND[status] || "neutral"}>${t(`delivery_status.${status}`, {}, status)}<//>`;
}

/** What the receiver last answered: its HTTP status, or why nothing came (timeout, reset…). */
function answerText(code, error) {
  const status = code !== null && code !== undefined ? `HTTP ${code}` : "";
  if (!error) return status;
  return !status || error.startsWith(status) ? error : `${status} · ${error}`; // "HTTP 503: …" names its status
}

function lastAnswer(d) {
  return answerText(d.last_status_code, d.last_error) || "—";
}

function Attempts({ d }) {
  if (!d.attempt_log || d.attempt_log.length === 0) return html`<span>${d.attempts}</span>`;
  return html`<details class="attempts">
    <summary>${t("delivery.attempts_n", { n: d.attempts })}</summary>
    <ol>${d.attempt_log.map((a) => html`<li>
      <span>${date(a.at)}</span> · <strong>${answerText(a.status_code, a.error) || t("delivery.no_answer")}</strong>${" · "}<span>${t("delivery.ms", { ms: a.duration_ms })}</span>
    </li>`)}</ol>
  </details>`;
}

function RetryButton({ hook, d, onRetried }) {
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  if (d.status !== "failed") return "";
  const retry = async () => {
    const out = await submit.run(() => api.retryDelivery(hook.id, d.id, intent.for({ delivery: d.id })));
    if (out) onRetried(out);
  };
  return html`<span><button type="button" class="secondary" disabled=${submit.busy} onClick=${retry}
    aria-label=${t("delivery.retry_label", { event: eventLabel(d.event_type) })}>${t("delivery.retry")}</button>
    <${FormMessage} error=${submit.error} /></span>`;
}

function Deliveries({ hook, query }) {
  const status = STATUSES.includes(query.status) ? query.status : "";
  const limit = Number(query.limit || 20);
  const list = usePaged((cursor) => api.deliveries(hook.id, status || undefined, cursor, limit), [hook.id, status, limit]);
  const [notice, setNotice] = useState(null);
  const retried = (d) => {
    setNotice(t("delivery.retried", { event: eventLabel(d.event_type) }));
    list.reload();
  };
  return html`<section class="card deliveries" aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">${t("delivery.title")}</h2>
    <${Filters} path=${`/webhooks/${hook.id}`} query=${query} fields=${[
      { name: "status", label: t("delivery.status"), type: "select",
        options: STATUSES.map((s) => ({ value: s, label: t(`delivery_status.${s}`) })) },
    ]} />
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    <div class="list-actions"><button type="button" class="link" onClick=${list.reload} disabled=${list.loading}>${t("delivery.refresh")}</button></div>
    <${ListBody} list=${list} empty=${t("delivery.none")} render=${() => html`<${DataTable} rowKey=${(d) => d.id} rows=${list.items} columns=${[
      { label: t("delivery.event"), render: (d) => html`<span>${eventLabel(d.event_type)}</span><br /><code class="hint">${d.id}</code>` },
      { label: t("delivery.status"), render: (d) => html`<${DeliveryStatus} status=${d.status} />` },
      { label: t("delivery.attempts"), render: (d) => html`<${Attempts} d=${d} />` },
      { label: t("delivery.last_answer"), render: lastAnswer },
      { label: t("delivery.next_attempt_at"), render: (d) => (d.status === "pending" ? date(d.next_attempt_at) : "—") },
      { label: t("delivery.created_at"), render: (d) => date(d.created_at) },
      { label: t("delivery.actions"), render: (d) => html`<${RetryButton} hook=${hook} d=${d} onRetried=${retried} />` },
    ]} />`} />
    <${Pager} list=${list} />
  </section>`;
}

function Rotate({ hook, onRotated }) {
  const [confirming, setConfirming] = useState(false);
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  if (hook.format !== "standard") return "";
  if (!confirming) {
    return html`<button type="button" class="secondary" onClick=${() => setConfirming(true)}>${t("webhook.rotate")}</button>`;
  }
  const rotate = async () => {
    const out = await submit.run(() => api.rotateWebhookSecret(hook.id, intent.for({ rotate: hook.id, at: hook.secret_rotated_at })));
    if (out) {
      setConfirming(false);
      onRotated(out);
    }
  };
  return html`<span class="confirm">
    <span class="hint">${t("webhook.rotate_hint")}</span>
    <button type="button" disabled=${submit.busy} onClick=${rotate}>${t("webhook.rotate_confirm")}</button>
    <button type="button" class="link" onClick=${() => setConfirming(false)}>${t("action.cancel")}</button>
    <${FormMessage} error=${submit.error} />
  </span>`;
}

function Delete({ hook }) {
  const [confirming, setConfirming] = useState(false);
  const submit = useSubmit();
  if (!confirming) {
    return html`<button type="button" class="link danger" onClick=${() => setConfirming(true)}>${t("webhook.delete")}</button>`;
  }
  const remove = async () => {
    if (await submit.run(() => api.deleteWebhook(hook.id).then(() => true))) navigate("/webhooks", { deleted: "1" });
  };
  return html`<span class="confirm">
    <button type="button" class="danger" disabled=${submit.busy} onClick=${remove}>${t("action.confirm_delete")}</button>
    <button type="button" class="link" onClick=${() => setConfirming(false)}>${t("action.cancel")}</button>
    <${FormMessage} error=${submit.error} />
  </span>`;
}

export default function Webhook({ params, query }) {
  const hook = useAsync(() => api.webhook(params.id), [params.id]);
  const [secret, setSecret] = useState(null);
  const title = t("webhook.title");
  if (hook.error) return html`<${Page} title=${title} back="#/webhooks"><${LoadError} error=${hook.error} onRetry=${hook.reload} /><//>`;
  if (!hook.data) return html`<${Page} title=${title} back="#/webhooks" busy=${true}><${Loading} /><//>`;
  const w = hook.data;
  const rotated = (out) => {
    setSecret(out.secret);
    hook.setData(() => { const { secret: _, ...rest } = out; return rest; });
  };
  return html`<${Page} title=${w.description || title} back="#/webhooks" busy=${hook.loading}>
    ${secret ? html`<${SecretOnce} secret=${secret} title=${t("webhook.secret_rotated_title")} />` : ""}
    <section class="card" aria-labelledby="webhook-facts">
      <h2 id="webhook-facts">${t("webhook.settings")}</h2>
      <${Facts} className="webhook-facts" items=${[
        [t("webhook.url"), html`<span class="url">${w.url}</span>`],
        [t("webhook.format"), formatLabel(w.format)],
        [t("webhook.events"), eventList(w.events)],
        [t("webhook.scope"), w.org],
        [t("webhook.signed"), w.signed ? t("webhook.signed_yes") : t("webhook.signed_no")],
        [t("webhook.created_at"), `${date(w.created_at)} · ${w.created_by.name || w.created_by.id}`],
        w.secret_rotated_at ? [t("webhook.rotated_at"), date(w.secret_rotated_at)] : null,
      ]} />
      <div class="actions"><${Rotate} hook=${w} onRotated=${rotated} /><${Delete} hook=${w} /></div>
    </section>
    <${Deliveries} hook=${w} query=${query} />
  <//>`;
}
