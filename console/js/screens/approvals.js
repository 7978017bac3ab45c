// The approval queue: submitted applications I may decide, oldest first. Today this is the
// submitted list of GET /campaigns (minus my own); once GET /me/approvals exists it replaces
// the loader below (it also knows the approval chain's next step and delegations).
import { html } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { daysBetween, money, today } from "../format.js";
import { DataTable, Empty, LoadError, Loading, Notice, Page, useAsync } from "../components.js";

async function queue(sub) {
  const { items, complete } = await api.allCampaigns({ status: "submitted" });
  const mine = items.filter((c) => c.owner.id !== sub);
  mine.sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : 0));
  return { items: mine, complete };
}

export default function Approvals({ query, session }) {
  const data = useAsync(() => queue(session.claims.sub), [session.claims.sub]);
  const items = data.data ? data.data.items : [];
  return html`<${Page} title=${t("nav.approvals")} busy=${data.loading}>
    ${query.done ? html`<${Notice} kind="ok">${t(`done.${query.done}`)}<//>` : ""}
    <p class="hint">${t("approvals.intro")}</p>
    ${data.error ? html`<${LoadError} error=${data.error} onRetry=${data.reload} />`
      : !data.data ? html`<${Loading} />`
      : items.length === 0 ? html`<${Empty}>${t("approvals.none")}<//>`
      : html`<${DataTable} rowKey=${(c) => c.id} rows=${items} columns=${[
        { label: t("field.title"), render: (c) => html`<a href=${`#/approvals/${c.id}`}>${c.title}</a>` },
        { label: t("field.customer"), render: (c) => c.customer.name || c.customer.id },
        { label: t("field.owner"), render: (c) => `${c.owner.name} · ${c.org}` },
        { label: t("field.dates"), render: (c) => `${c.start_date} – ${c.end_date}` },
        { label: t("field.requested_amount"), num: true, render: (c) => money(c.requested_amount) },
        { label: t("approvals.waiting"), num: true, render: (c) => t("worklist.days", { n: daysBetween(c.updated_at, today()) }) },
      ]} />`}
    ${data.data && !data.data.complete ? html`<p class="hint">${t("approvals.more")}</p>` : ""}
  <//>`;
}
