// A filter form whose values live in the URL (#/feedback?org=CN/EAST&kind=passive): applying
// navigates, so a filtered worklist can be bookmarked, shared and reloaded.
import { html, useEffect, useState } from "./ui.js";
import { t } from "./i18n.js";
import { navigate } from "./router.js";
import { SelectField, TextField } from "./components.js";

export const PAGE_SIZES = ["5", "20", "50", "200"];

/** fields: [{name, label, type: "text"|"date"|"select", options?}] */
export function Filters({ path, query, fields, errors = {} }) {
  const [values, setValues] = useState(query);
  useEffect(() => setValues(query), [JSON.stringify(query)]);
  const set = (name) => (v) => setValues((s) => ({ ...s, [name]: v }));
  const apply = (e) => {
    e.preventDefault();
    navigate(path, values);
  };
  const active = Object.keys(query).filter((k) => k !== "limit" && query[k]).length;
  const [open] = useState(() => active > 0 || Object.keys(errors).length > 0 || matchMedia("(min-width: 760px)").matches);
  return html`<details class="filters-box card" open=${open}>
    <summary>${t("filter.label")}${active ? ` (${active})` : ""}</summary>
    <form class="filters" onSubmit=${apply} role="search" aria-label=${t("filter.label")}>
    <div class="filter-grid">
      ${fields.map((f) => (f.type === "select"
        ? html`<${SelectField} key=${f.name} label=${f.label} name=${f.name} value=${values[f.name] || ""} onValue=${set(f.name)}
            placeholder=${f.placeholder ?? t("filter.any")} options=${f.options} error=${errors[f.name]} />`
        : html`<${TextField} key=${f.name} label=${f.label} name=${f.name} type=${f.type || "text"} value=${values[f.name] || ""}
            onValue=${set(f.name)} error=${errors[f.name]} />`))}
      <${SelectField} label=${t("filter.page_size")} name="limit" value=${values.limit || "20"} onValue=${set("limit")}
        placeholder=${undefined} options=${PAGE_SIZES.map((n) => ({ value: n, label: n }))} />
    </div>
    <div class="actions">
      <button type="submit">${t("filter.apply")}</button>
      <button type="button" class="secondary" onClick=${() => navigate(path, {})}>${t("filter.clear")}</button>
    </div>
  </form></details>`;
}

/** The API filters of a query (the URL's values minus paging). */
export function apiFilters(query, names) {
  const out = {};
  for (const n of names) if (query[n]) out[n] = query[n];
  return out;
}
