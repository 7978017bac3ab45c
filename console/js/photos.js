// Photos and documents of a campaign: each file is kept on the device first (the outbox, with its
// SHA-256), then uploaded straight to object storage through the presigned POST the API hands out
// (progress bar, retry), and the upload checker's verdict awaited (ready, or rejected with a
// reason); each photo shows its integrity flags and, taken during a check-in, its attestation.
import { html, useEffect, useRef, useState } from "./ui.js";
import { api } from "./api.js";
import { currentSession } from "./auth.js";
import { codeText, colon, t } from "./i18n.js";
import { date } from "./format.js";
import { Badge, errorMessage, StatusBadge } from "./components.js";
import { discard, drain, itemError, onOutbox, queuePhoto } from "./outbox.js";
import { useOutboxItems } from "./offline.js";
import { useOnline } from "./net.js";

const TYPES = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", heif: "image/heif",
  webp: "image/webp", pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation" };
const CHECK_TIMEOUT_MS = 60000;

export function contentType(file) {
  if (file.type) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return TYPES[ext] || "application/octet-stream";
}

export function size(bytes) {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** The integrity flags of a ready photo, as short sentences (empty when nothing is off). */
export function integrityFlags(a) {
  const i = a.integrity;
  if (!i) return [];
  const out = [];
  if (i.outside_campaign_window) out.push(t("photo.flag_outside_window"));
  if (i.far_from_location) out.push(t("photo.flag_far", { km: i.distance_km !== null && i.distance_km !== undefined ? i.distance_km.toFixed(1) : "?" }));
  if (i.missing_exif) out.push(t("photo.flag_missing_exif"));
  if (i.duplicate_of && i.duplicate_of.length) out.push(t("photo.flag_duplicate", { n: i.duplicate_of.length }));
  return out;
}

/** Why a photo requested during a check-in is not attested: the checks it failed, as sentences. */
export function attestationGaps(a) {
  const at = a.attestation;
  if (!at || a.attested) return [];
  return ["requested_during_visit", "taken_during_visit", "near_visit"].filter((k) => at[k] === false)
    .map((k) => t(`photo.attest_${k}`));
}

function AttachmentCard({ a, onDelete, busy }) {
  const flags = a.status === "ready" ? integrityFlags(a) : [];
  const gaps = a.status === "ready" ? attestationGaps(a) : [];
  return html`<li class=${`attachment attachment-${a.status}`} data-attachment=${a.id}>
    <div class="thumb">${a.thumbnail_url
      ? html`<img src=${a.thumbnail_url} alt=${t("photo.thumbnail_of", { name: a.filename })} width="96" height="96" />`
      : html`<span class="file-icon" aria-hidden="true">${(a.filename.split(".").pop() || "").slice(0, 4).toUpperCase()}</span>`}</div>
    <div class="attachment-body">
      <p class="filename">${a.download_url ? html`<a href=${a.download_url}>${a.filename}</a>` : a.filename}
        <span class="hint"> · ${size(a.size_bytes)}</span></p>
      <p><${StatusBadge} group="attachment" status=${a.status} />
        ${a.status === "ready" && a.kind === "photo" && flags.length === 0 ? html` <${Badge} kind="ok">${t("photo.checks_passed")}<//>` : ""}
        ${a.attested ? html` <${Badge} kind="ok"><span class="attested">${t("photo.attested")}</span><//>` : ""}</p>
      ${a.status === "rejected" ? html`<p class="field-error">${t("photo.reason")}${colon()}${codeText("rejected", a.reason_code, a.reason_params) ?? a.reason}</p>` : ""}
      ${flags.length ? html`<ul class="flags" aria-label=${t("photo.flags")}>${flags.map((f) => html`<li>${f}</li>`)}</ul>` : ""}
      ${gaps.length ? html`<ul class="flags" aria-label=${t("photo.not_attested")}>${gaps.map((f) => html`<li>${f}</li>`)}</ul>` : ""}
      ${a.taken_at ? html`<p class="hint">${t("photo.taken_at")}${colon()}${date(a.taken_at)}${a.gps ? ` · GPS ${a.gps.lat.toFixed(4)}, ${a.gps.lon.toFixed(4)}` : ""}</p>` : ""}
      ${a.sha256 ? html`<p class="hint hash" title=${a.sha256}>SHA-256 ${a.sha256.slice(0, 16)}…</p>` : ""}
      ${onDelete ? html`<button type="button" class="link danger" disabled=${busy} onClick=${() => onDelete(a)}>${t("action.delete")}
        <span class="visually-hidden"> ${a.filename}</span></button>` : ""}
    </div>
  </li>`;
}

export function PhotoList({ items, onDelete, busy }) {
  if (!items.length) return null;
  return html`<ul class="attachments">${items.map((a) => html`<${AttachmentCard} key=${a.id} a=${a} onDelete=${onDelete} busy=${busy} />`)}</ul>`;
}

/** The local preview of a file kept on the device (an object URL, released when it goes). */
function Preview({ blob }) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    if (!blob || !blob.type || !blob.type.startsWith("image/") || blob.type === "image/heic") return undefined;
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url ? html`<img src=${url} alt="" width="64" height="64" />` : null;
}

/** An outbox photo's phase: waiting, asking, uploading, failed (online, to be retried) or refused. */
function phaseOf(item, online) {
  if (item.sending) return item.progress !== null && item.progress !== undefined ? "uploading" : "asking";
  if (item.state === "refused") return "refused";
  return item.error && online ? "failed" : "waiting";
}

function UploadRow({ item, onDiscard, online }) {
  const phase = item.checking ? "checking" : phaseOf(item, online);
  const f = item.file;
  const pct = Math.round((item.checking ? 1 : item.progress || 0) * 100);
  const stuck = phase === "failed" || phase === "refused";
  return html`<li class=${`upload upload-${phase}`} data-seq=${item.seq}>
    <${Preview} blob=${f.blob} />
    <div class="upload-body">
      <p class="filename">${f.filename} <span class="hint">· ${size(f.size_bytes)}</span></p>
      ${phase === "waiting" || phase === "refused" ? html`<p class="progress-label">${t(`photo.phase_${phase}`)}</p>`
        : html`<label class="progress-label">${t(`photo.phase_${phase}`)}
          <progress max="100" value=${pct} aria-label=${t("photo.progress_of", { name: f.filename })}>${pct}%</progress>
          <span class="pct">${pct}%</span></label>`}
      ${stuck ? html`<p class="field-error" role="alert">${errorMessage(itemError(item))}</p>` : ""}
      ${!item.checking && !item.sending ? html`<div class="actions">
        ${phase !== "refused" ? html`<button type="button" class="secondary" onClick=${() => drain()}>${t(phase === "failed" ? "action.retry" : "outbox.send_now")}<span class="visually-hidden"> ${f.filename}</span></button>` : ""}
        <button type="button" class="link" onClick=${() => onDiscard(item)}>${t("action.cancel")}<span class="visually-hidden"> ${f.filename}</span></button></div>` : ""}
    </div>
  </li>`;
}

/**
 * The uploader: choose or take photos; each waits in the outbox until it can go, goes up with a
 * progress bar, then is checked. campaign: {id, title}; items: its attachments (GET
 * …/attachments); onItems(items) receives fresh lists; visit: the check-in in force, if any
 * (photos taken now are requested with its id).
 */
export function PhotoUploader({ campaign, items, onItems, editable, visit }) {
  const claims = currentSession().claims;
  const queued = useOutboxItems(campaign.id).filter((i) => i.kind === "photo");
  const online = useOnline();
  const [checking, showChecking] = useState([]); // sent, awaiting the checker's verdict: [{id, file}]
  const checkingNow = useRef([]);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState(null);
  const chooser = useRef(null);
  const camera = useRef(null);
  const polling = useRef(false);
  const live = useRef(true);
  useEffect(() => () => { live.current = false; }, []);
  const setChecking = (list) => {
    checkingNow.current = list;
    if (live.current) showChecking(list);
  };

  // one poller for every photo being checked
  const poll = async () => {
    if (polling.current) return;
    polling.current = true;
    try {
      const deadline = Date.now() + CHECK_TIMEOUT_MS;
      for (let delay = 300; live.current && Date.now() < deadline; delay = Math.min(delay * 1.5, 2000)) {
        await new Promise((r) => setTimeout(r, delay));
        const list = await api.attachments(campaign.id);
        const waiting = checkingNow.current.filter((c) => list.items.some((a) => a.id === c.id && a.status === "pending_upload"));
        setChecking(waiting);
        if (live.current) onItems(list.items.filter((a) => !waiting.some((c) => c.id === a.id)));
        if (!waiting.length) break;
      }
    } catch {
      /* the list is fetched again at the next visit */
    } finally {
      polling.current = false;
    }
  };

  useEffect(() => onOutbox((event) => {
    if (event.type !== "sent" || event.item.kind !== "photo" || event.item.campaign_id !== campaign.id) return;
    setChecking([...checkingNow.current, { id: event.response.id, file: event.item.file, seq: event.item.seq, checking: true }]);
    poll();
  }), [campaign.id]);

  const add = async (files) => {
    for (const file of Array.from(files)) {
      const inForce = visit && Date.parse(visit.expires_at) > Date.now();
      await queuePhoto(claims, { campaign, file, contentType: contentType(file), visitId: inForce ? visit.id : null });
    }
    drain();
  };

  const remove = async (a) => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await api.deleteAttachment(campaign.id, a.id);
      onItems(items.filter((x) => x.id !== a.id));
    } catch (error) {
      setDeleteError(error);
    } finally {
      setDeleting(false);
    }
  };

  const rows = [...queued, ...checking];
  return html`<div class="uploader">
    <${PhotoList} items=${items.filter((a) => !checking.some((c) => c.id === a.id))} onDelete=${editable ? remove : null} busy=${deleting} />
    ${deleteError ? html`<p class="form-error" role="alert">${errorMessage(deleteError)}</p>` : ""}
    ${rows.length ? html`<ul class="uploads" aria-label=${t("photo.uploads")}>${rows.map((item) => html`<${UploadRow}
      key=${item.checking ? `c-${item.id}` : item.seq} item=${item} online=${online} onDiscard=${(i) => discard(claims, i.seq)} />`)}</ul>` : ""}
    ${editable ? html`<div class="actions upload-actions">
      <input ref=${camera} type="file" accept="image/*" capture="environment" class="visually-hidden" id="photo-camera"
        onChange=${(e) => { add(e.currentTarget.files); e.currentTarget.value = ""; }} />
      <label for="photo-camera" class="button secondary">${t("photo.take")}</label>
      <input ref=${chooser} type="file" multiple class="visually-hidden" id="photo-choose"
        accept="image/jpeg,image/png,image/heic,image/heif,image/webp,application/pdf,.docx,.xlsx,.pptx"
        onChange=${(e) => { add(e.currentTarget.files); e.currentTarget.value = ""; }} />
      <label for="photo-choose" class="button secondary">${t("photo.choose")}</label>
    </div>` : ""}
  </div>`;
}
