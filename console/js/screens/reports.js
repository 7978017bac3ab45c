// Compiled reports: the monthly HTML / XLSX / CSV reports of my scope, and (leader) compiling
// one now. Links are short-lived, so they are fetched when a report is opened.
import { html, useEffect, useMemo, useState } from "../ui.js";
import { api, IntentKey } from "../api.js";
import { lang, t } from "../i18n.js";
import { date, month } from "../format.js";
import {
  Empty, FormMessage, LoadError, Loading, Notice, Page, Pager, splitErrors, StatusBadge, TextField, usePaged, useSubmit,
} from "../components.js";

const POLL_MS = 1000;

function Links({ id, onStatus }) {
  const [state, setState] = useState({ report: null, error: null });
  useEffect(() => {
    let live = true;
    let timer;
    const load = () => api.report(id).then((report) => {
      if (!live) return;
      setState({ report, error: null });
      onStatus(report);
      if (report.status === "pending" || report.status === "running") timer = setTimeout(load, POLL_MS);
    }, (error) => live && setState({ report: null, error }));
    load();
    return () => { live = false; clearTimeout(timer); };
  }, [id]);
  if (state.error) return html`<${FormMessage} error=${state.error} />`;
  if (!state.report) return html`<${Loading} />`;
  const r = state.report;
  if (r.status !== "ready") return html`<p><${StatusBadge} group="report" status=${r.status} /> ${r.error || ""}</p>`;
  const a = r.artifacts;
  return html`<p class="links">
    ${a.html_url ? html`<a class="button" href=${a.html_url} target="_blank" rel="noopener">${t("reports.open_html")}</a>` : ""}
    ${a.xlsx_url ? html`<a class="button secondary" href=${a.xlsx_url} download>${t("reports.open_xlsx")}</a>` : ""}
    ${a.csv_url ? html`<a class="button secondary" href=${a.csv_url} download>${t("reports.open_csv")}</a>` : ""}
  </p>`;
}

function RunNow({ onRun }) {
  const [period, setPeriod] = useState(month(0));
  const [intent] = useState(() => new IntentKey());
  const submit = useSubmit();
  const { fields, general } = useMemo(() => splitErrors(submit.error, ["period"]), [submit.error]);
  const run = async (e) => {
    e.preventDefault();
    // the report is written in the console's language (its artifacts; subscribers get theirs)
    const language = lang();
    const out = await submit.run(() => api.runReport(period, language, intent.for({ period, language, at: Math.floor(Date.now() / 60000) })));
    if (out) onRun(out.report_id, period);
  };
  return html`<form class="card form inline-form" novalidate onSubmit=${run}>
    <h2>${t("reports.run_now")}</h2>
    <${TextField} type="month" label=${t("reports.period")} name="period" value=${period} onValue=${setPeriod} error=${fields.period} />
    <${FormMessage}>${general}<//>
    <div class="actions"><button type="submit" disabled=${submit.busy}>${t("reports.compile")}</button></div>
  </form>`;
}

export default function Reports({ session }) {
  const [bump, setBump] = useState(0);
  const [opened, setOpened] = useState(null);
  const [notice, setNotice] = useState(null);
  const list = usePaged((cursor) => api.reports(cursor), [bump]);
  const status = (report) => list.setData((d) => d && ({ ...d, items: d.items.map((x) => (x.id === report.id ? { ...x, status: report.status } : x)) }));
  const ran = (id, period) => {
    setNotice(t("reports.started", { period }));
    setOpened(id);
    setBump(bump + 1);
  };
  return html`<${Page} title=${t("nav.reports")} busy=${list.loading && !list.data}>
    ${notice ? html`<${Notice} kind="ok">${notice}<//>` : ""}
    ${session.claims.role === "leader" ? html`<${RunNow} onRun=${ran} />` : ""}
    <section class="card"><h2>${t("reports.compiled")}</h2>
    ${list.error ? html`<${LoadError} error=${list.error} onRetry=${list.reload} />`
      : !list.data ? html`<${Loading} />`
      : list.items.length === 0 && !opened ? html`<${Empty}>${t("reports.none")}<//>`
      : html`<ul class="report-list">${list.items.map((r) => html`<li key=${r.id} data-report=${r.id}>
          <p><strong>${r.period}</strong> · ${r.scope} · ${t(`reports.kind_${r.kind === "on_demand" ? "on_demand" : "scheduled"}`)} · ${date(r.created_at)}
            <${StatusBadge} group="report" status=${r.status} /></p>
          ${opened === r.id ? html`<${Links} id=${r.id} onStatus=${status} />`
            : html`<button type="button" class="secondary" onClick=${() => setOpened(r.id)}>${t("reports.open")}<span class="visually-hidden"> ${r.period} ${r.scope}</span></button>`}
        </li>`)}</ul>`}
    <${Pager} list=${list} />
    </section>
  <//>`;
}
