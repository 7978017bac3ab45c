// What waits on this device to be sent, oldest first (the order it will go in), and what the server
// refused: each item with its campaign, what it is, its state and its error. Send now; fix a
// refused report on its form; discard (after a confirmation: it is gone for good).
import { html, useState } from "../ui.js";
import { t } from "../i18n.js";
import { date, money } from "../format.js";
import { Badge, Empty, Page, splitErrors } from "../components.js";
import { discard, drain, holdsUp, isReport, itemError } from "../outbox.js";
import { useOutboxItems } from "../offline.js";
import { useOnline } from "../net.js";
import { size } from "../photos.js";

/** The fields an outbox item's refusal may name, as the feedback form and the invoice form label them. */
const LABELS = () => ({
  actual_spend: t("fig.actual_spend"), actual_sales: t("fig.actual_sales"), actual_units: t("field.actual_units"),
  effect_rating: t("field.effect_rating"), reflections: t("field.reflections"), attachments: t("feedback.photos"),
  type: t("invoice.field_type"), code: t("invoice.field_code"), number: t("invoice.field_number"),
  amount: t("invoice.field_amount"), issued_on: t("invoice.issued_on"), check_code: t("invoice.field_check_code"),
});

function stateOf(item) {
  if (item.sending) return ["info", "outbox.state_sending"];
  if (item.state === "refused") return ["bad", "outbox.state_refused"];
  return ["warn", "outbox.state_waiting"];
}

function OutboxItem({ item, claims, online, blocked }) {
  const [confirming, setConfirming] = useState(false);
  const [kind, label] = stateOf(item);
  const error = itemError(item);
  const refused = item.state === "refused";
  const what = item.kind === "photo" ? `${item.file.filename} · ${size(item.file.size_bytes)}`
    : item.kind === "invoice" ? `${t("outbox.kind_invoice")} · ${money(item.body.amount)} · ${item.body.number}`
    : t(`outbox.kind_${item.kind}`);
  return html`<li class=${`card outbox-item ${refused ? "is-refused" : ""}`} data-seq=${item.seq} data-kind=${item.kind}
      data-campaign=${item.campaign_id}>
    <h2><a href=${`#/campaigns/${item.campaign_id}`}>${item.title}</a></h2>
    <p class="status-line"><${Badge} kind=${kind}>${t(label)}<//> <span>${what}</span>
      ${item.sending && item.progress !== null && item.progress !== undefined ? html`<span class="pct">${Math.round(item.progress * 100)}%</span>` : ""}</p>
    <p class="hint">${t("outbox.queued_at", { at: date(item.created_at) })}${item.attempts ? ` · ${t("outbox.attempts", { n: item.attempts })}` : ""}</p>
    ${error && (refused || online) ? html`<p class=${refused ? "form-error" : "hint"} role=${refused ? "alert" : undefined}>${splitErrors(error, [], LABELS()).general}</p>` : ""}
    ${blocked ? html`<p class="hint">${t("outbox.blocked")}</p>` : ""}
    ${!item.sending ? html`<div class="actions">
      ${refused && isReport(item) ? html`<a class="button" href=${`#/campaigns/${item.campaign_id}/feedback`}>${t("outbox.fix")}</a>` : ""}
      ${!refused ? html`<button type="button" class="secondary" disabled=${!online} onClick=${() => drain()}>${t("outbox.send_now")}</button>` : ""}
      ${confirming
        ? html`<button type="button" class="danger" onClick=${() => discard(claims, item.seq)}>${t("outbox.confirm_discard")}</button>
          <button type="button" class="link" onClick=${() => setConfirming(false)}>${t("outbox.keep")}</button>`
        : html`<button type="button" class="link danger" onClick=${() => setConfirming(true)}>${t("outbox.discard")}</button>`}
    </div>` : ""}
  </li>`;
}

export default function Outbox({ session }) {
  const items = useOutboxItems(undefined, null);
  const online = useOnline();
  return html`<${Page} title=${t("nav.outbox")} busy=${items === null}>
    <p class="hint">${t("outbox.explain")}</p>
    ${items === null ? "" : items.length
      ? html`<ol class="cards outbox">${items.map((item) => html`<${OutboxItem} key=${item.seq} item=${item}
          claims=${session.claims} online=${online} blocked=${item.state !== "refused"
            && items.some((o) => holdsUp(o) && o.campaign_id === item.campaign_id && o.seq < item.seq)} />`)}</ol>`
      : html`<${Empty}>${t("outbox.empty")}<//>`}
  <//>`;
}
