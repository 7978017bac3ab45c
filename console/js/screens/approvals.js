// The approval queue: GET /me/approvals — submitted applications waiting for a step that is
// mine, or a delegator's while I stand in for them — oldest submitted first, each with the
// step it waits for. Rows that reach me through a delegation are marked with the delegator
// the API names (`acting_for`).
import { html } from "../ui.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { daysBetween, money, today } from "../format.js";
import { Badge, campaignColumns, DataTable, ListBody, Notice, Page, Pager, usePaged } from "../components.js";
import { stepLabel } from "../money.js";

function DoneNotice({ query }) {
  if (!query.done) return null;
  const parts = [t(`done.${query.done}`, { next: query.level ? stepLabel({ level: query.level, org: query.org }) : "" })];
  if (query.for) parts.push(t("done.acting_for", { name: query.for }));
  return html`<${Notice} kind="ok">${parts.join(" ")}<//>`;
}

export default function Approvals({ query, session }) {
  const list = usePaged((cursor) => api.myApprovals(cursor, 50), [session.claims.sub]);
  const delegated = (c) => Boolean(c.acting_for);
  return html`<${Page} title=${t("nav.approvals")} busy=${list.loading}
    actions=${html`<a class="button secondary" href="#/me/delegation">${t("nav.delegation")}</a>`}>
    <${DoneNotice} query=${query} />
    <p class="hint">${t("approvals.intro")}</p>
    <${ListBody} list=${list} empty=${t("approvals.none")}
      render=${() => html`<${DataTable} rowKey=${(c) => c.id} rows=${list.items} columns=${[
        ...campaignColumns((c) => `#/approvals/${c.id}`),
        { label: t("field.dates"), render: (c) => `${c.start_date} – ${c.end_date}` },
        { label: t("field.requested_amount"), num: true, render: (c) => money(c.requested_amount) },
        { label: t("approvals.step"), render: (c) => html`${stepLabel(c.approval && c.approval.next)}
          ${delegated(c) ? html` <${Badge} kind="warn">${t("approvals.delegated")} · ${c.acting_for.name || c.acting_for.id}<//>` : ""}` },
        { label: t("approvals.waiting"), num: true,
          render: (c) => t("worklist.days", { n: daysBetween(c.submitted_at || c.updated_at, today()) }) },
      ]} />`} />
    <${Pager} list=${list} />
  <//>`;
}
