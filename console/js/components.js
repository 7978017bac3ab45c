// Building blocks every screen shares: labelled fields with their error next to them, the
// page frame, lists with paging, status badges, plan-vs-actual figures.
import { html, useCallback, useEffect, useRef, useState } from "./ui.js";
import { ApiError, NetworkError } from "./api.js";
import { codeText, fieldMessage, lang, t } from "./i18n.js";
import { money, percent } from "./format.js";

const idOf = (name) => `f-${String(name).replace(/[^A-Za-z0-9_-]/g, "-")}`;

// -- errors ---------------------------------------------------------------------------------------
/** A readable sentence for an error of the API or of the network, in the current language. */
export function errorMessage(error) {
  if (!error) return "";
  if (error instanceof NetworkError) return t("err.network");
  if (error instanceof ApiError) {
    if (error.code === "validation_error" && error.errors.length) {
      return error.errors.map((e) => `${e.field}: ${fieldMessage(e)}`).join("; ");
    }
    return codeText("err", error.code, error.body && error.body.params) ?? error.message;
  }
  return error.message || String(error);
}

/**
 * Splits an error into messages per field (by the API's field path) and one general message.
 * Field errors whose field is not on the form are folded into the general message, labelled.
 */
export function splitErrors(error, visibleFields, labels = {}) {
  if (!error) return { fields: {}, general: "" };
  if (!(error instanceof ApiError) || error.code !== "validation_error") {
    return { fields: {}, general: errorMessage(error) };
  }
  const fields = {};
  const rest = [];
  for (const e of error.errors) {
    if (visibleFields.includes(e.field)) {
      if (!fields[e.field]) fields[e.field] = fieldMessage(e);
    } else {
      rest.push(`${labels[e.field] || e.field}: ${fieldMessage(e)}`);
    }
  }
  const general = rest.length ? rest.join("; ") : (Object.keys(fields).length ? t("err.check_fields") : errorMessage(error));
  return { fields, general };
}

export function FormMessage({ error, children }) {
  const text = children || (typeof error === "string" ? error : errorMessage(error));
  if (!text) return null;
  return html`<p class="form-error" role="alert">${text}</p>`;
}

export function Notice({ kind = "info", children }) {
  return html`<p class=${`notice notice-${kind}`} role="status">${children}</p>`;
}

// -- fields ---------------------------------------------------------------------------------------
function FieldFrame({ id, label, required, hint, error, children, className = "" }) {
  return html`<div class=${`field ${error ? "has-error" : ""} ${className}`}>
    <label for=${id}>${label}${required ? html`<span class="req" aria-hidden="true"> *</span>` : ""}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : ""}
    ${error ? html`<p class="field-error" id=${`${id}-err`}>${error}</p>` : ""}
  </div>`;
}

function describedBy(id, hint, error) {
  return [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
}

export function TextField({ label, name, value, onValue, error, hint, required, type = "text", className, suffix, ...rest }) {
  const id = idOf(name);
  const input = html`<input id=${id} name=${name} type=${type} value=${value ?? ""} required=${required}
    aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy(id, hint, error)}
    onInput=${(e) => onValue(e.currentTarget.value)} ...${rest} />`;
  return html`<${FieldFrame} id=${id} label=${label} required=${required} hint=${hint} error=${error} className=${className}>
    ${suffix ? html`<span class="with-suffix">${input}<span class="suffix" aria-hidden="true">${suffix}</span></span>` : input}
  </${FieldFrame}>`;
}

export function MoneyField(props) {
  return html`<${TextField} inputmode="decimal" autocomplete="off" suffix=${t("unit.yuan")} ...${props} />`;
}

export function TextArea({ label, name, value, onValue, error, hint, required, rows = 4, ...rest }) {
  const id = idOf(name);
  return html`<${FieldFrame} id=${id} label=${label} required=${required} hint=${hint} error=${error}>
    <textarea id=${id} name=${name} rows=${rows} required=${required} aria-invalid=${error ? "true" : undefined}
      aria-describedby=${describedBy(id, hint, error)} onInput=${(e) => onValue(e.currentTarget.value)}
      value=${value ?? ""} ...${rest}></textarea>
  </${FieldFrame}>`;
}

export function SelectField({ label, name, value, onValue, options, error, hint, required, placeholder, ...rest }) {
  const id = idOf(name);
  return html`<${FieldFrame} id=${id} label=${label} required=${required} hint=${hint} error=${error}>
    <select id=${id} name=${name} required=${required} aria-invalid=${error ? "true" : undefined}
      aria-describedby=${describedBy(id, hint, error)} onChange=${(e) => onValue(e.currentTarget.value)} ...${rest}>
      ${placeholder !== undefined ? html`<option value="">${placeholder}</option>` : ""}
      ${options.map((o) => html`<option value=${o.value} selected=${String(o.value) === String(value ?? "")}>${o.label}</option>`)}
    </select>
  </${FieldFrame}>`;
}

export function Radios({ legend, name, value, onValue, options, error }) {
  const id = idOf(name);
  return html`<fieldset class=${`field radios ${error ? "has-error" : ""}`} aria-describedby=${error ? `${id}-err` : undefined}>
    <legend>${legend}</legend>
    <div class="radio-row">
      ${options.map((o) => html`<label class="radio">
        <input type="radio" name=${name} value=${o.value} checked=${String(value) === String(o.value)}
          onChange=${() => onValue(o.value)} /> ${o.label}</label>`)}
    </div>
    ${error ? html`<p class="field-error" id=${`${id}-err`}>${error}</p>` : ""}
  </fieldset>`;
}

// -- page frame and states ------------------------------------------------------------------------
/** The first screen is usable: what `console_ready_ms` (make bench) measures up to. */
let firstReady;
/** Resolves once the first screen is rendered and usable (the console-ready mark). */
export const firstScreen = new Promise((resolve) => { firstReady = resolve; });
/** Dispatched on window each time a screen has its data (a Page no longer busy). */
export const SCREEN_READY = "huixiang:screen-ready";

export function markReady() {
  if (document.documentElement.dataset.ready) return;
  document.documentElement.dataset.ready = "true";
  performance.mark("console-ready");
  firstReady();
}

export function Page({ title, busy = false, actions, children, back, className = "" }) {
  useEffect(() => {
    document.title = `${title} · ${t("app.name")}`;
  }, [title]);
  useEffect(() => {
    if (!busy) {
      markReady();
      dispatchEvent(new Event(SCREEN_READY));
    }
  }, [busy]);
  return html`<div class=${`page ${className}`.trim()} data-busy=${busy ? "true" : "false"} aria-busy=${busy ? "true" : "false"}>
    <div class="page-head">
      ${back ? html`<a class="back" href=${back}>${t("action.back")}</a>` : ""}
      <h1 tabindex="-1">${title}</h1>
      ${actions ? html`<div class="page-actions">${actions}</div>` : ""}
    </div>
    ${children}
  </div>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t("state.loading")}</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children || t("state.empty")}</p>`;
}

export function LoadError({ error, onRetry }) {
  return html`<div class="load-error" role="alert">
    <p>${errorMessage(error)}</p>
    ${onRetry ? html`<button type="button" class="secondary" onClick=${onRetry}>${t("action.retry")}</button>` : ""}
  </div>`;
}

/** A paged list's body: its error with a retry (unless `errorShown` elsewhere, next to the
 * filter at fault), a loading note before the first page, the `empty` note, or `render()`. */
export function ListBody({ list, empty, render, errorShown = false }) {
  if (list.error && !errorShown) return html`<${LoadError} error=${list.error} onRetry=${list.reload} />`;
  if (list.loading && !list.data) return html`<${Loading} />`;
  if (list.items.length === 0) return html`<${Empty}>${empty}<//>`;
  return render();
}

/** The columns every list of campaigns starts with: its title (a link to `link(row)`), its
 * customer and, unless `owner` is false, its owner and org. */
export function campaignColumns(link, { owner = true } = {}) {
  const columns = [
    { label: t("field.title"), render: (r) => html`<a href=${link(r)}>${r.title}</a>` },
    { label: t("field.customer"), render: (r) => r.customer.name || r.customer.id },
  ];
  if (owner) columns.push({ label: t("field.owner"), render: (r) => `${r.owner.name} · ${r.org}` });
  return columns;
}

export function Badge({ kind = "neutral", children }) {
  return html`<span class=${`badge badge-${kind}`}>${children}</span>`;
}

const STATUS_KIND = {
  draft: "neutral", submitted: "info", approved: "ok", rejected: "bad", cancelled: "neutral",
  not_required: "neutral", pending: "warn", overdue: "bad",
  not_eligible: "neutral", locked: "bad", unlocked: "ok", reimbursed: "info",
  pending_upload: "warn", ready: "ok",
  running: "warn", failed: "bad",
};

/** A status as a coloured badge; `group` picks the i18n table (campaign, feedback, …). */
export function StatusBadge({ group, status }) {
  if (!status) return null;
  return html`<${Badge} kind=${STATUS_KIND[status] || "neutral"}>${t(`status.${group}.${status}`)}<//>`;
}

/** Who requires a campaign's feedback, in words a rep understands: "a rule for all tasting
 *  campaigns" rather than 「需要反馈（活动类型）」. */
export function ruleWords(scope, category) {
  if (!scope) return "—";
  const name = category ? t(`category.${category}`, {}, category) : "";
  return t(`rule.words.${scope}`, { category: lang() === "en" ? name.toLowerCase() : name }, scope);
}

/** Where a campaign stands for a person: a settled one reads 已核销 with the amount paid (its
 *  `status` stays `approved` in the API), any other its campaign status. */
export function CampaignState({ c }) {
  if (c.status === "approved" && c.reimbursement && c.reimbursement.status === "reimbursed") {
    return html`<${Badge} kind="ok">${t("status.settled", { v: money(c.reimbursement.amount) })}<//>`;
  }
  return html`<${StatusBadge} group="campaign" status=${c.status} />`;
}

// -- data -----------------------------------------------------------------------------------------
/** Runs `load()` whenever deps change; {data, error, loading, reload, setData}. */
export function useAsync(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve().then(load).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(run, [run]);
  const setData = useCallback((f) => setState((s) => ({ ...s, data: typeof f === "function" ? f(s.data) : f })), []);
  return { ...state, reload: run, setData };
}

/**
 * A cursor-paged list: fetchPage(cursor) → {items, next_cursor}. Keeps the cursors of the pages
 * seen so Previous works although the API's cursors only go forward.
 */
export function usePaged(fetchPage, deps) {
  const sig = JSON.stringify(deps);
  const [state, setState] = useState({ sig, cursors: [null] });
  const cursors = state.sig === sig ? state.cursors : [null];
  const page = cursors.length - 1;
  const result = useAsync(() => fetchPage(cursors[page]), [sig, page, cursors[page]]);
  const next = () => result.data && result.data.next_cursor
    && setState({ sig, cursors: [...cursors, result.data.next_cursor] });
  const prev = () => page > 0 && setState({ sig, cursors: cursors.slice(0, -1) });
  return { ...result, items: result.data ? result.data.items : [], page, next, prev,
    hasNext: Boolean(result.data && result.data.next_cursor), hasPrev: page > 0 };
}

export function Pager({ list }) {
  if (!list.hasNext && !list.hasPrev) return null;
  return html`<nav class="pager" aria-label=${t("pager.label")}>
    <button type="button" class="secondary" disabled=${!list.hasPrev || list.loading} onClick=${list.prev}>${t("pager.prev")}</button>
    <span>${t("pager.page", { n: list.page + 1 })}</span>
    <button type="button" class="secondary" disabled=${!list.hasNext || list.loading} onClick=${list.next}>${t("pager.next")}</button>
  </nav>`;
}

/**
 * A table on a desk, a stack of cards on a phone (CSS turns each row into a card and shows
 * the column label before each value). columns: [{key, label, render(row), num}].
 */
export function DataTable({ columns, rows, rowKey, caption }) {
  return html`<div class="table-wrap"><table class="data">
    ${caption ? html`<caption>${caption}</caption>` : ""}
    <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.num ? "num" : ""}>${c.label}</th>`)}</tr></thead>
    <tbody>
      ${rows.map((r) => html`<tr key=${rowKey(r)}>
        ${columns.map((c) => html`<td data-label=${c.label} class=${c.num ? "num" : ""}>${c.render ? c.render(r) : r[c.key]}</td>`)}
      </tr>`)}
    </tbody>
  </table></div>`;
}

/** Label/value pairs as a description list. items: [[label, value], …] (falsy entries skipped). */
export function Facts({ items, className = "" }) {
  return html`<dl class=${`facts ${className}`}>
    ${items.filter(Boolean).map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}
  </dl>`;
}

export function PlanVsActual({ figures }) {
  if (!figures) return null;
  const f = figures;
  return html`<${Facts} className="figures" items=${[
    [t("fig.expected_spend"), money(f.expected_spend)],
    [t("fig.actual_spend"), money(f.actual_spend)],
    [t("fig.spend_variance"), money(f.spend_variance)],
    [t("fig.expected_sales"), money(f.expected_sales)],
    [t("fig.actual_sales"), money(f.actual_sales)],
    [t("fig.completion_rate"), percent(f.completion_rate)],
    [t("fig.expected_cost_ratio"), percent(f.expected_cost_ratio, 2)],
    [t("fig.actual_cost_ratio"), percent(f.actual_cost_ratio, 2)],
    [t("fig.roi"), percent(f.roi)],
  ]} />`;
}

/** A form's submit state: {busy, error, run(fn)}; run keeps the error for the fields to show. */
export function useSubmit() {
  const [state, setState] = useState({ busy: false, error: null });
  const run = useCallback(async (fn) => {
    setState({ busy: true, error: null });
    try {
      const out = await fn();
      setState({ busy: false, error: null });
      return out;
    } catch (error) {
      setState({ busy: false, error });
      return undefined;
    }
  }, []);
  const setError = useCallback((error) => setState({ busy: false, error }), []);
  return { ...state, run, setError };
}
