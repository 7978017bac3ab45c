// Check-in at the store (到店签到): the browser's position, POST /campaigns/{id}/visits, and the
// visit as the server recorded it (distance from the campaign's place, within its dates). The
// server takes the time, so a check-in needs the network; photos added while it is in force
// (two hours) are requested with its visit_id, which is what can make them attested.
import { html, useEffect, useState } from "./ui.js";
import { api, IntentKey } from "./api.js";
import { currentSession } from "./auth.js";
import { t } from "./i18n.js";
import { date } from "./format.js";
import { Badge, errorMessage, useAsync } from "./components.js";
import { device, orDevice } from "./sync.js";
import { currentPosition, PositionError } from "./geo.js";
import { useOnline } from "./net.js";

/** The visit in force now (the newest whose two hours have not run out), or null. */
export function activeVisit(visits, now = Date.now()) {
  return visits.find((v) => Date.parse(v.expires_at) > now) || null;
}

/** What the server found about a visit, as badges. */
export function VisitFlags({ v }) {
  return html`<p class="status-line visit-flags">
    ${v.distance_km === null || v.distance_km === undefined
      ? html`<${Badge} kind="neutral">${t("checkin.no_location")}<//>`
      : html`<${Badge} kind=${v.far_from_location ? "bad" : "ok"}>${t(v.far_from_location ? "checkin.far" : "checkin.near",
        { km: v.distance_km.toFixed(2) })}<//>`}
    <${Badge} kind=${v.within_campaign_dates ? "ok" : "warn"}>${t(v.within_campaign_dates ? "checkin.in_dates" : "checkin.out_of_dates")}<//>
  </p>`;
}

/** The check-in section of the feedback form; onActive(visit | null) hears the visit in force. */
export function CheckIn({ campaign, editable, onActive }) {
  const claims = currentSession().claims;
  const online = useOnline();
  const visits = useAsync(() => orDevice(() => api.visits(campaign.id), () => device.visits(claims, campaign.id)), [campaign.id]);
  const [state, setState] = useState({ busy: false, error: null });
  const [intent] = useState(() => new IntentKey());
  const list = (visits.data && visits.data.items) || [];
  const active = activeVisit(list);
  useEffect(() => onActive(active), [active && active.id]);
  if (campaign.status !== "approved") return null;

  const checkIn = async () => {
    setState({ busy: true, error: null });
    try {
      const coords = await currentPosition({ enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
      // the API takes an accuracy up to 100 km: a rougher fix says no more than that
      const body = { lat: coords.latitude, lon: coords.longitude, accuracy_m: Math.min(Math.round(coords.accuracy), 100000) };
      const visit = await api.checkIn(campaign.id, body, intent.for(body));
      visits.setData((d) => ({ next_cursor: null, ...(d || {}), items: [visit, ...((d && d.items) || [])] }));
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };

  const last = list[0];
  const error = state.error instanceof PositionError ? t(`checkin.${state.error.reason}`) : errorMessage(state.error);
  return html`<section class="checkin" aria-labelledby="checkin-title">
    <h2 id="checkin-title">${t("checkin.title")}</h2>
    ${active ? html`<p class="visit-at">${t("checkin.at", { at: date(active.at), until: date(active.expires_at) })}</p>
        <${VisitFlags} v=${active} />`
      : html`<p class="hint">${last ? t("checkin.expired", { at: date(last.at) }) : t("checkin.explain")}</p>`}
    ${editable ? html`<div class="actions">
      <button type="button" class=${active ? "secondary" : ""} disabled=${state.busy || !online} onClick=${checkIn}>
        ${state.busy ? t("checkin.locating") : t("checkin.button")}</button></div>` : ""}
    ${editable && !online ? html`<p class="hint">${t("checkin.needs_network")}</p>` : ""}
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ""}
  </section>`;
}
