// The invoices that prove a campaign's spend (以票核销). The rep photographs an invoice (the photo
// goes up as an attachment, the upload checker reads its QR code, then the console claims it
// with {attachment_id}) or types its fields; the list shows each invoice with its flags and the
// total against actual spend. An invoice already used in the company is refused in words a rep
// understands, naming the campaign only when the API says which (when the rep may see it).
// A typed invoice goes through the outbox like the report: with no network it waits on the device
// (listed here and on the outbox screen) and is claimed once when the network is back; reading a
// photographed invoice's QR code needs the server, so that way needs the network.
import { html, useEffect, useMemo, useState } from "./ui.js";
import { api, ApiError, IntentKey, uploadToStorage } from "./api.js";
import { discard, itemError, onOutbox, queueInvoice, send } from "./outbox.js";
import { useOutboxItems } from "./offline.js";
import { useOnline } from "./net.js";
import { codeText, colon, t } from "./i18n.js";
import { money, parseYuan, today } from "./format.js";
import { Badge, errorMessage, FormMessage, MoneyField, Notice, SelectField, splitErrors, TextField } from "./components.js";

const TYPES = ["01", "04", "08", "10", "11", "14", "31", "32"];
const DIGITAL = new Set(["31", "32"]);
const TYPED = ["type", "code", "number", "amount", "issued_on", "check_code"];
const CHECK_TIMEOUT_MS = 60000;

/** A refused claim in words: the campaign holding the invoice by its title when the API names it. */
export async function claimRefusal(error) {
  if (!(error instanceof ApiError) || error.code !== "invoice_already_claimed") return errorMessage(error);
  const on = error.body && error.body.claimed_on;
  if (on && on.campaign_id) {
    try {
      const holder = await api.campaign(on.campaign_id);
      return t("err.invoice_already_claimed_on", { title: holder.title });
    } catch {
      // the campaign could not be read now: the general words still say what happened
    }
  }
  return t("err.invoice_already_claimed");
}

/** "发票合计 ¥… / 实际花费 ¥…" and whether the invoices cover the spend. */
export function InvoiceTotal({ total, count, spend }) {
  const short = spend !== null && spend !== undefined && total < spend;
  return html`<p class="invoice-total" data-invoice-total=${total}>
    ${t("invoice.total", { n: count, total: money(total) })}
    ${spend !== null && spend !== undefined ? html` · ${t("invoice.against_spend", { spend: money(spend) })}
      ${short ? html` <${Badge} kind="warn">${t("invoice.short_of_spend", { v: money(spend - total) })}<//>`
        : html` <${Badge} kind="ok">${t("invoice.covers_spend")}<//>`}` : ""}
  </p>`;
}

export function InvoiceList({ items, onDelete, busy }) {
  if (!items.length) return html`<p class="hint">${t("invoice.none")}</p>`;
  return html`<ul class="invoices">${items.map((i) => html`<li key=${i.id} class=${`invoice invoice-${i.status}`} data-invoice=${i.id}>
    <p><strong>${money(i.amount)}</strong> · ${t(`invoice.type_${i.type}`)} · ${i.code ? `${i.code} ` : ""}${i.number}</p>
    <p class="hint">${t("invoice.issued_on")}${colon()}${i.issued_on} · ${t(`invoice.source_${i.source}`)}
      · <${Badge} kind=${i.status === "settled" ? "ok" : "neutral"}>${t(`invoice.status_${i.status}`)}<//></p>
    ${i.flags.issued_before_campaign ? html`<p><${Badge} kind="warn">${t("invoice.flag_issued_before_campaign")}<//></p>` : ""}
    ${onDelete && i.status === "claimed" ? html`<button type="button" class="link danger" disabled=${busy} onClick=${() => onDelete(i)}>
      ${t("action.delete")}<span class="visually-hidden"> ${i.number}</span></button>` : ""}
  </li>`)}</ul>`;
}

function TypedForm({ campaign, claims, onQueued }) {
  const empty = { type: "04", code: "", number: "", amount: "", issued_on: "", check_code: "" };
  const [v, setV] = useState(empty);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [intent, setIntent] = useState(() => new IntentKey());
  const set = (name) => (value) => setV((x) => ({ ...x, [name]: value }));
  const { fields, general } = useMemo(() => {
    if (error && error.local) return { fields: error.local, general: "" };
    if (error && error.words) return { fields: {}, general: error.words };
    return splitErrors(error, TYPED);
  }, [error]);
  const submit = async (e) => {
    e.preventDefault();
    const amount = parseYuan(v.amount);
    if (amount === null || Number.isNaN(amount)) return setError({ local: { amount: t("err.money_format") } });
    const body = { type: v.type, number: v.number.trim(), amount, issued_on: v.issued_on };
    if (!DIGITAL.has(v.type) && v.code.trim()) body.code = v.code.trim();
    if (v.check_code.trim()) body.check_code = v.check_code.trim();
    setBusy(true);
    setError(null);
    try {
      const seq = await queueInvoice(claims, { campaign: { id: campaign.id, title: campaign.title }, body, key: intent.for(body) });
      const outcome = await send(seq);
      if (outcome.state === "refused") {
        await discard(claims, seq); // refused here, on its form: it is the person's to fix now
        const err = outcome.error;
        setError(err instanceof ApiError && err.code === "validation_error" ? err : { words: await claimRefusal(err) });
      } else {
        setV(empty);
        setIntent(new IntentKey());
        if (outcome.state !== "sent") onQueued(); // a claim sent is added by the panel, as every sent one
      }
    } catch (err) {
      setError({ words: await claimRefusal(err) });
    } finally {
      setBusy(false);
    }
    return undefined;
  };
  return html`<form class="form invoice-form" novalidate onSubmit=${submit} aria-label=${t("invoice.type_in")}>
    <div class="row">
      <${SelectField} label=${t("invoice.field_type")} name="invoice-type" value=${v.type} onValue=${set("type")}
        error=${fields.type} options=${TYPES.map((x) => ({ value: x, label: `${x} ${t(`invoice.type_${x}`)}` }))} />
      <${TextField} label=${t("invoice.field_code")} name="invoice-code" inputmode="numeric" value=${v.code}
        onValue=${set("code")} error=${fields.code} disabled=${DIGITAL.has(v.type)}
        hint=${DIGITAL.has(v.type) ? t("invoice.no_code_digital") : t("invoice.code_hint")} />
    </div>
    <div class="row">
      <${TextField} label=${t("invoice.field_number")} name="invoice-number" inputmode="numeric" value=${v.number}
        onValue=${set("number")} error=${fields.number} required hint=${DIGITAL.has(v.type) ? t("invoice.number_digital") : t("invoice.number_hint")} />
      <${MoneyField} label=${t("invoice.field_amount")} name="invoice-amount" value=${v.amount} onValue=${set("amount")}
        error=${fields.amount} required />
    </div>
    <div class="row">
      <${TextField} label=${t("invoice.issued_on")} name="invoice-issued-on" type="date" max=${today()} value=${v.issued_on}
        onValue=${set("issued_on")} error=${fields.issued_on} required />
      <${TextField} label=${t("invoice.field_check_code")} name="invoice-check-code" inputmode="numeric" value=${v.check_code}
        onValue=${set("check_code")} error=${fields.check_code} hint=${t("invoice.check_code_hint")} />
    </div>
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${busy}>${t("invoice.add")}</button></div>
  </form>`;
}

/**
 * The campaign's invoices, and (for its owner, before settlement) the ways to add one.
 * onAttachments(items) receives the campaign's fresh attachment list after a photographed invoice.
 */
export function InvoicePanel({ campaign, invoices, onInvoices, editable, spend, onAttachments, claims }) {
  const [phase, setPhase] = useState(null); // uploading | reading | claiming
  const [message, setMessage] = useState(null); // {kind, text}
  const [typing, setTyping] = useState(false);
  const [busy, setBusy] = useState(false);
  const online = useOnline();
  const waiting = useOutboxItems(campaign.id).filter((i) => i.kind === "invoice");
  const id = campaign.id;
  const add = (invoice) => {
    onInvoices((now) => (now.items.some((x) => x.id === invoice.id) ? now
      : { ...now, items: [...now.items, invoice], total: now.total + invoice.amount }));
    setMessage({ kind: "ok", text: t("invoice.claimed", { v: money(invoice.amount) }) });
  };
  // a typed invoice claimed, now or after waiting on the device, while this screen is open
  useEffect(() => onOutbox((event) => {
    if (event.type === "sent" && event.item.kind === "invoice" && event.item.campaign_id === id) add(event.response);
  }), [id]);

  const waitForCheck = async (attachmentId) => {
    const deadline = Date.now() + CHECK_TIMEOUT_MS;
    for (let delay = 300; Date.now() < deadline; delay = Math.min(delay * 1.5, 2000)) {
      await new Promise((r) => setTimeout(r, delay));
      const list = await api.attachments(id);
      const a = list.items.find((x) => x.id === attachmentId);
      if (a && a.status !== "pending_upload") {
        if (onAttachments) onAttachments(list.items);
        return a;
      }
    }
    throw new ApiError(504, { code: "check_timeout", message: "the check did not finish in time" });
  };

  const photograph = async (file) => {
    setMessage(null);
    try {
      setPhase("uploading");
      const body = { filename: file.name || "invoice.jpg", content_type: file.type || "image/jpeg", size_bytes: file.size };
      const grant = await api.requestUpload(id, body, new IntentKey().for(body));
      await uploadToStorage(grant.upload, file, () => {});
      setPhase("reading");
      const a = await waitForCheck(grant.attachment.id);
      if (a.status === "rejected") {
        setMessage({ kind: "error", text: codeText("rejected", a.reason_code, a.reason_params) ?? a.reason });
      } else if (!a.invoice_qr) {
        setMessage({ kind: "warn", text: t("invoice.no_qr_found") });
        setTyping(true);
      } else {
        setPhase("claiming");
        const claim = { attachment_id: a.id };
        add(await api.claimInvoice(id, claim, new IntentKey().for(claim)));
      }
    } catch (error) {
      setMessage({ kind: "error", text: await claimRefusal(error) });
    } finally {
      setPhase(null);
    }
  };

  const remove = async (invoice) => {
    setBusy(true);
    setMessage(null);
    try {
      await api.deleteInvoice(id, invoice.id);
      onInvoices({ items: invoices.items.filter((x) => x.id !== invoice.id), total: invoices.total - invoice.amount });
    } catch (error) {
      setMessage({ kind: "error", text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="card invoice-panel" aria-labelledby="invoices-title">
    <h2 id="invoices-title">${t("invoice.title")}</h2>
    <${InvoiceTotal} total=${invoices.total} count=${invoices.items.length} spend=${spend} />
    <${InvoiceList} items=${invoices.items} onDelete=${editable && online ? remove : null} busy=${busy} />
    ${waiting.length ? html`<ul class="invoices invoices-waiting">${waiting.map((i) => html`<li key=${i.seq}
        class="invoice-waiting" data-seq=${i.seq}>
      <p><strong>${money(i.body.amount)}</strong> · ${t(`invoice.type_${i.body.type}`)} · ${i.body.code ? `${i.body.code} ` : ""}${i.body.number}</p>
      <p class="hint"><${Badge} kind=${i.state === "refused" ? "bad" : "warn"}>${t(i.state === "refused" ? "outbox.state_refused" : "outbox.state_waiting")}<//>
        ${i.state === "refused" && itemError(i) ? html` ${errorMessage(itemError(i))}` : ""}</p>
      ${i.state === "refused" ? html`<button type="button" class="link danger" onClick=${() => discard(claims, i.seq)}>
        ${t("outbox.discard")}<span class="visually-hidden"> ${i.body.number}</span></button>` : ""}
    </li>`)}</ul>` : ""}
    ${message ? html`<div role=${message.kind === "error" ? "alert" : "status"}><${Notice} kind=${message.kind}>${message.text}<//></div>` : ""}
    ${phase ? html`<p class="hint" role="status">${t(`invoice.phase_${phase}`)}</p>` : ""}
    ${editable ? html`<div class="actions upload-actions">
      ${online ? html`<input type="file" accept="image/*,application/pdf" capture="environment" class="visually-hidden" id="invoice-photo"
        disabled=${phase !== null} onChange=${(e) => { const f = e.currentTarget.files[0]; e.currentTarget.value = ""; if (f) photograph(f); }} />
      <label for="invoice-photo" class="button">${t("invoice.photograph")}</label>` : ""}
      <button type="button" class="secondary" aria-expanded=${typing} onClick=${() => setTyping(!typing)}>${t("invoice.type_in")}</button>
    </div>
    ${online ? "" : html`<p class="hint">${t("invoice.photo_needs_network")}</p>`}
    ${typing ? html`<${TypedForm} campaign=${campaign} claims=${claims}
      onQueued=${() => setMessage({ kind: "warn", text: t("invoice.queued") })} />` : ""}` : ""}
  </section>`;
}

/**
 * The settlement policy (以票核销) as one switch: leader and finance set it, managers read it.
 * policy: GET /settlement-policy's answer; onSaved(policy) receives the one in force.
 */
export function SettlementPolicySwitch({ policy, onSaved, editable }) {
  const [on, setOn] = useState(policy.invoices_required); // shown at once, put back if the API refuses
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const toggle = async (e) => {
    const wanted = e.currentTarget.checked;
    setOn(wanted);
    setBusy(true);
    setError(null);
    try {
      const saved = await api.setSettlementPolicy({ invoices_required: wanted });
      setOn(saved.invoices_required);
      onSaved(saved);
    } catch (err) {
      setOn(!wanted);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card settlement-policy" aria-labelledby="settlement-policy-title">
    <h2 id="settlement-policy-title">${t("invoice.policy_title")}</h2>
    <label class="switch"><input type="checkbox" name="invoices_required" checked=${on}
      disabled=${busy || !editable} onChange=${toggle} /> ${t("invoice.policy_required")}</label>
    <p class="hint" role="status">${policy.invoices_required ? t("invoice.policy_on") : t("invoice.policy_off")}</p>
    ${error ? html`<p class="form-error" role="alert">${errorMessage(error)}</p>` : ""}
  </section>`;
}
