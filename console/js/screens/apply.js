// Apply for a campaign (活动申报): the plan with its expected cost ratio shown live, kept as a
// draft in the browser until the server has it, and sent with an Idempotency-Key made here so
// that a retry after a dropped connection never creates a second application.
import { html, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { currentPosition } from "../geo.js";
import { colon, t } from "../i18n.js";
import { navigate } from "../router.js";
import { parseCount, parseYuan, percent, ratio } from "../format.js";
import { useDraft } from "../drafts.js";
import {
  FormMessage, MoneyField, Notice, Page, SelectField, splitErrors, TextField, useAsync, useSubmit,
} from "../components.js";

const EMPTY = {
  title: "", category: "", "customer.id": "", "customer.name": "", start_date: "", end_date: "",
  "location.address": "", "location.lat": "", "location.lon": "",
  "plan.expected_spend": "", "plan.expected_sales": "", "plan.expected_units": "", requested_amount: "",
  intent: null,
};
const FIELDS = Object.keys(EMPTY).filter((k) => k !== "intent");

/** The form's values as CampaignIn, or {errors} for what cannot even be parsed. */
function toBody(v) {
  const errors = {};
  const money = (name, required) => {
    const fen = parseYuan(v[name]);
    if (Number.isNaN(fen)) errors[name] = t("err.money_format");
    else if (fen === null && required) errors[name] = t("err.required");
    return fen;
  };
  const number = (name) => {
    const s = String(v[name] ?? "").trim();
    if (s === "") return null;
    const n = Number(s);
    if (Number.isNaN(n)) errors[name] = t("err.number_format");
    return n;
  };
  for (const name of ["title", "category", "customer.id", "start_date", "end_date"]) {
    if (!String(v[name] || "").trim()) errors[name] = t("err.required");
  }
  const units = parseCount(v["plan.expected_units"]);
  if (Number.isNaN(units)) errors["plan.expected_units"] = t("err.count_format");
  const body = {
    title: v.title.trim(),
    category: v.category,
    customer: { id: v["customer.id"].trim(), name: v["customer.name"].trim() || null },
    start_date: v.start_date,
    end_date: v.end_date,
    plan: {
      expected_spend: money("plan.expected_spend", true),
      expected_sales: money("plan.expected_sales", true),
      expected_units: Number.isNaN(units) ? null : units,
    },
    requested_amount: money("requested_amount", true),
  };
  // an address alone is a location; coordinates are optional, but come as a pair
  const lat = number("location.lat");
  const lon = number("location.lon");
  const address = v["location.address"].trim();
  if (lat !== null && lon === null) errors["location.lon"] = t("field_error.coordinates_pair");
  else if (lon !== null && lat === null) errors["location.lat"] = t("field_error.coordinates_pair");
  else if (lat !== null || address) body.location = { address: address || null, lat, lon };
  return Object.keys(errors).length ? { errors } : { body };
}

export default function Apply() {
  const [values, setValues, draft] = useDraft("apply", EMPTY);
  const categories = useAsync(() => api.categories(), []);
  const submit = useSubmit();
  const set = (name) => (value) => setValues((v) => ({ ...v, [name]: value }));
  const spend = parseYuan(values["plan.expected_spend"]);
  const sales = parseYuan(values["plan.expected_sales"]);
  const costRatio = useMemo(() => ratio(spend, sales), [spend, sales]);

  const { fields, general } = useMemo(() => {
    if (submit.error && submit.error.local) return { fields: submit.error.local, general: t("err.check_fields") };
    return splitErrors(submit.error, FIELDS);
  }, [submit.error]);

  // "使用我的位置": says why when it cannot (no support, permission denied, no fix in time)
  const [locating, setLocating] = useState(null); // null | "busy" | "ok" | an error's i18n key
  const useMyLocation = () => {
    setLocating("busy");
    currentPosition({ timeout: 15000, maximumAge: 60000 }).then((coords) => {
      setValues((v) => ({ ...v, "location.lat": coords.latitude.toFixed(5), "location.lon": coords.longitude.toFixed(5) }));
      setLocating("ok");
    }, (e) => setLocating(`geo.${e.reason}`));
  };

  const send = (andSubmit) => async (e) => {
    e.preventDefault();
    const parsed = toBody(values);
    if (parsed.errors) {
      submit.setError({ local: parsed.errors });
      return;
    }
    const intent = new IntentKey(values.intent);
    const key = intent.for(parsed.body);
    setValues((v) => ({ ...v, intent: intent.toJSON() })); // the key survives a reload with the draft
    const campaign = await submit.run(async () => {
      const created = await api.createCampaign(parsed.body, key);
      if (andSubmit) return api.submitCampaign(created.id, `${key}:submit`);
      return created;
    });
    if (campaign) {
      draft.clear();
      navigate(`/campaigns/${campaign.id}`, { done: andSubmit ? "submitted" : "drafted" });
    }
  };

  const onSpendBlur = () => {
    if (!values.requested_amount && values["plan.expected_spend"]) set("requested_amount")(values["plan.expected_spend"]);
  };
  const categoryOptions = (categories.data ? categories.data.items : []).map((c) => ({ value: c.id, label: t(`category.${c.id}`, {}, c.name) }));

  return html`<${Page} title=${t("apply.title")} busy=${categories.loading} back="#/campaigns">
    ${draft.restored ? html`<${Notice} kind="info">${t("draft.restored")}
      <button type="button" class="link" onClick=${() => { draft.clear(); setValues(EMPTY); }}>${t("draft.discard")}</button><//>` : ""}
    <form class="card form" novalidate onSubmit=${send(true)}>
      <fieldset><legend>${t("apply.what")}</legend>
        <${TextField} label=${t("field.title")} name="title" value=${values.title} onValue=${set("title")} required
          error=${fields.title} maxlength="200" />
        <${SelectField} label=${t("field.category")} name="category" value=${values.category} onValue=${set("category")}
          required placeholder=${t("filter.choose")} options=${categoryOptions} error=${fields.category} />
        <div class="row">
          <${TextField} label=${t("field.customer_id")} name="customer.id" value=${values["customer.id"]}
            onValue=${set("customer.id")} required error=${fields["customer.id"]} hint=${t("apply.customer_id_hint")} />
          <${TextField} label=${t("field.customer_name")} name="customer.name" value=${values["customer.name"]}
            onValue=${set("customer.name")} error=${fields["customer.name"]} />
        </div>
        <div class="row">
          <${TextField} type="date" label=${t("field.start_date")} name="start_date" value=${values.start_date}
            onValue=${set("start_date")} required error=${fields.start_date} />
          <${TextField} type="date" label=${t("field.end_date")} name="end_date" value=${values.end_date}
            onValue=${set("end_date")} required error=${fields.end_date} />
        </div>
      </fieldset>
      <fieldset><legend>${t("apply.where")}</legend>
        <${TextField} label=${t("field.address")} name="location.address" value=${values["location.address"]}
          onValue=${set("location.address")} error=${fields["location.address"]} />
        <div class="row">
          <${TextField} label=${t("field.lat")} name="location.lat" inputmode="decimal" value=${values["location.lat"]}
            onValue=${set("location.lat")} error=${fields["location.lat"]} />
          <${TextField} label=${t("field.lon")} name="location.lon" inputmode="decimal" value=${values["location.lon"]}
            onValue=${set("location.lon")} error=${fields["location.lon"]} />
        </div>
        <p class="hint">${t("apply.where_hint")}</p>
        <button type="button" class="secondary" onClick=${useMyLocation} disabled=${locating === "busy"}
          aria-describedby="geo-status">${t("apply.use_location")}</button>
        <p id="geo-status" class=${locating && locating.startsWith("geo.") ? "field-error" : "hint"} role="status" aria-live="polite">
          ${locating === "busy" ? t("geo.locating") : locating === "ok" ? t("geo.found") : locating ? t(locating) : ""}</p>
      </fieldset>
      <fieldset><legend>${t("apply.plan")}</legend>
        <div class="row">
          <${MoneyField} label=${t("fig.expected_spend")} name="plan.expected_spend" value=${values["plan.expected_spend"]}
            onValue=${set("plan.expected_spend")} onBlur=${onSpendBlur} required error=${fields["plan.expected_spend"]} />
          <${MoneyField} label=${t("fig.expected_sales")} name="plan.expected_sales" value=${values["plan.expected_sales"]}
            onValue=${set("plan.expected_sales")} required error=${fields["plan.expected_sales"]} />
        </div>
        <p class="live-figure">${t("fig.expected_cost_ratio")}${colon()}
          <output name="expected_cost_ratio" aria-live="polite" data-testid="expected-cost-ratio">${percent(costRatio, 2)}</output>
        </p>
        <${TextField} label=${t("field.expected_units")} name="plan.expected_units" inputmode="numeric"
          value=${values["plan.expected_units"]} onValue=${set("plan.expected_units")} error=${fields["plan.expected_units"]} />
        <${MoneyField} label=${t("field.requested_amount")} name="requested_amount" value=${values.requested_amount}
          onValue=${set("requested_amount")} required error=${fields.requested_amount} hint=${t("apply.requested_hint")} />
      </fieldset>
      <${FormMessage}>${general}<//>
      <div class="actions">
        <button type="submit" disabled=${submit.busy}>${t("apply.submit")}</button>
        <button type="button" class="secondary" disabled=${submit.busy} onClick=${send(false)}>${t("apply.save_draft")}</button>
      </div>
    </form>
  <//>`;
}
