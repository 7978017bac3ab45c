// Photos and documents of a campaign: upload straight to object storage through the presigned
// POST the API hands out (progress bar, retry), then wait for the upload checker's verdict
// (ready, or rejected with a reason) and show each photo's integrity flags.
import { html, useRef, useState } from "./ui.js";
import { api, ApiError, IntentKey, uploadToStorage } from "./api.js";
import { codeText, colon, t } from "./i18n.js";
import { date } from "./format.js";
import { Badge, errorMessage, StatusBadge } from "./components.js";

const TYPES = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", heif: "image/heif",
  webp: "image/webp", pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation" };
const CHECK_TIMEOUT_MS = 60000;

function contentType(file) {
  if (file.type) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return TYPES[ext] || "application/octet-stream";
}

function size(bytes) {
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

function AttachmentCard({ a, onDelete, busy }) {
  const flags = a.status === "ready" ? integrityFlags(a) : [];
  return html`<li class=${`attachment attachment-${a.status}`} data-attachment=${a.id}>
    <div class="thumb">${a.thumbnail_url
      ? html`<img src=${a.thumbnail_url} alt=${t("photo.thumbnail_of", { name: a.filename })} width="96" height="96" />`
      : html`<span class="file-icon" aria-hidden="true">${(a.filename.split(".").pop() || "").slice(0, 4).toUpperCase()}</span>`}</div>
    <div class="attachment-body">
      <p class="filename">${a.download_url ? html`<a href=${a.download_url}>${a.filename}</a>` : a.filename}
        <span class="hint"> · ${size(a.size_bytes)}</span></p>
      <p><${StatusBadge} group="attachment" status=${a.status} />
        ${a.status === "ready" && a.kind === "photo" && flags.length === 0 ? html` <${Badge} kind="ok">${t("photo.checks_passed")}<//>` : ""}</p>
      ${a.status === "rejected" ? html`<p class="field-error">${t("photo.reason")}${colon()}${codeText("rejected", a.reason_code, a.reason_params) ?? a.reason}</p>` : ""}
      ${flags.length ? html`<ul class="flags" aria-label=${t("photo.flags")}>${flags.map((f) => html`<li>${f}</li>`)}</ul>` : ""}
      ${a.taken_at ? html`<p class="hint">${t("photo.taken_at")}${colon()}${date(a.taken_at)}${a.gps ? ` · GPS ${a.gps.lat.toFixed(4)}, ${a.gps.lon.toFixed(4)}` : ""}</p>` : ""}
      ${onDelete ? html`<button type="button" class="link danger" disabled=${busy} onClick=${() => onDelete(a)}>${t("action.delete")}
        <span class="visually-hidden"> ${a.filename}</span></button>` : ""}
    </div>
  </li>`;
}

export function PhotoList({ items, onDelete, busy }) {
  if (!items.length) return null;
  return html`<ul class="attachments">${items.map((a) => html`<${AttachmentCard} key=${a.id} a=${a} onDelete=${onDelete} busy=${busy} />`)}</ul>`;
}

let nextLocalId = 1;

/**
 * The uploader: choose or take photos, watch them go up, retry what failed.
 * items: the campaign's attachments (GET …/attachments); onItems(items) receives fresh lists.
 */
export function PhotoUploader({ campaignId, items, onItems, editable }) {
  const [uploads, setUploads] = useState([]);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState(null);
  const chooser = useRef(null);
  const camera = useRef(null);
  const patch = (localId, changes) => setUploads((list) => list.map((u) => (u.localId === localId ? { ...u, ...changes } : u)));

  const waitForCheck = async (attachmentId) => {
    const deadline = Date.now() + CHECK_TIMEOUT_MS;
    for (let delay = 300; Date.now() < deadline; delay = Math.min(delay * 1.5, 2000)) {
      await new Promise((r) => setTimeout(r, delay));
      const list = await api.attachments(campaignId);
      const a = list.items.find((x) => x.id === attachmentId);
      if (a && a.status !== "pending_upload") {
        onItems(list.items);
        return;
      }
    }
    throw new ApiError(504, { code: "check_timeout", message: "the check did not finish in time" });
  };

  const run = async (u) => {
    let { grant, intent } = u;
    try {
      if (grant && Date.parse(grant.upload.expires_at) - Date.now() < 30000) {
        grant = null; // the form is about to expire: this becomes a new upload with a new key
        intent = new IntentKey();
      }
      if (!grant) {
        patch(u.localId, { phase: "asking", error: null, progress: 0, intent });
        const body = { filename: u.file.name, content_type: contentType(u.file), size_bytes: u.file.size };
        grant = await api.requestUpload(campaignId, body, intent.for(body));
        patch(u.localId, { grant });
      }
      patch(u.localId, { phase: "uploading", error: null, progress: 0 });
      await uploadToStorage(grant.upload, u.file, (p) => patch(u.localId, { progress: p }));
      patch(u.localId, { phase: "checking", progress: 1 });
      await waitForCheck(grant.attachment.id);
      setUploads((list) => list.filter((x) => x.localId !== u.localId));
      if (u.preview) URL.revokeObjectURL(u.preview);
    } catch (error) {
      const expired = error instanceof ApiError && error.code === "upload_expired";
      patch(u.localId, { phase: "failed", error, ...(expired ? { grant: null, intent: new IntentKey() } : {}) });
    }
  };

  const add = (files) => {
    const fresh = Array.from(files).map((file) => ({
      localId: nextLocalId++, file, intent: new IntentKey(), grant: null, phase: "asking", progress: 0, error: null,
      preview: file.type && file.type.startsWith("image/") && file.type !== "image/heic" ? URL.createObjectURL(file) : null,
    }));
    setUploads((list) => [...list, ...fresh]);
    fresh.forEach(run);
  };

  const remove = async (a) => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await api.deleteAttachment(campaignId, a.id);
      onItems(items.filter((x) => x.id !== a.id));
    } catch (error) {
      setDeleteError(error);
    } finally {
      setDeleting(false);
    }
  };

  return html`<div class="uploader">
    <${PhotoList} items=${items} onDelete=${editable ? remove : null} busy=${deleting} />
    ${deleteError ? html`<p class="form-error" role="alert">${errorMessage(deleteError)}</p>` : ""}
    ${uploads.length ? html`<ul class="uploads" aria-label=${t("photo.uploads")}>${uploads.map((u) => html`<li key=${u.localId} class=${`upload upload-${u.phase}`}>
      ${u.preview ? html`<img src=${u.preview} alt="" width="64" height="64" />` : ""}
      <div class="upload-body">
        <p class="filename">${u.file.name} <span class="hint">· ${size(u.file.size)}</span></p>
        <label class="progress-label">${t(`photo.phase_${u.phase}`)}
          <progress max="100" value=${Math.round(u.progress * 100)} aria-label=${t("photo.progress_of", { name: u.file.name })}>${Math.round(u.progress * 100)}%</progress>
          <span class="pct">${Math.round(u.progress * 100)}%</span></label>
        ${u.phase === "failed" ? html`<p class="field-error" role="alert">${errorMessage(u.error)}</p>
          <div class="actions"><button type="button" class="secondary" onClick=${() => run(u)}>${t("action.retry")}<span class="visually-hidden"> ${u.file.name}</span></button>
          <button type="button" class="link" onClick=${() => setUploads((l) => l.filter((x) => x.localId !== u.localId))}>${t("action.cancel")}</button></div>` : ""}
      </div>
    </li>`)}</ul>` : ""}
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
