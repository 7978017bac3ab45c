// Locked settlements: approved campaigns that cannot be settled yet, each with why — the rule
// that requires feedback, its due date, how late it is, the photos it asks for.
import { html } from "../ui.js";
import { t } from "../i18n.js";
import { money } from "../format.js";
import { Badge, DataTable, Empty, LoadError, Loading, Page, ruleWords, StatusBadge, useAsync } from "../components.js";
import { approvedCampaigns } from "./settlement.js";

function why(c) {
  const f = c.feedback;
  const parts = [t("locked.because", { by: ruleWords(f.required_by, c.category) })];
  if (f.min_photos) parts.push(t("campaign.min_photos", { n: f.min_photos }));
  if (f.revision > 0) parts.push(t("locked.unlocking"));
  return parts.join(" ");
}

export default function Locked() {
  const data = useAsync(() => approvedCampaigns("locked"), []);
  const items = data.data ? data.data.items : [];
  return html`<${Page} title=${t("nav.locked")} busy=${data.loading} back="#/settlement">
    ${data.error ? html`<${LoadError} error=${data.error} onRetry=${data.reload} />`
      : !data.data ? html`<${Loading} />`
      : items.length === 0 ? html`<${Empty}>${t("locked.none")}<//>`
      : html`<${DataTable} rowKey=${(c) => c.id} rows=${items} columns=${[
        { label: t("field.title"), render: (c) => html`<a href=${`#/campaigns/${c.id}`}>${c.title}</a>` },
        { label: t("field.owner"), render: (c) => `${c.owner.name} · ${c.org}` },
        { label: t("field.approved_amount"), num: true, render: (c) => money(c.approved_amount) },
        { label: t("locked.why"), render: (c) => why(c) },
        { label: t("field.due_date"), render: (c) => c.feedback.due_date || "—" },
        { label: t("field.feedback_status"), render: (c) => html`<${StatusBadge} group="feedback" status=${c.feedback.status} />
          ${c.feedback.status === "overdue" ? html` <${Badge} kind="bad">${t("worklist.overdue_days", { n: c.feedback.days_overdue })}<//>` : ""}` },
      ]} />`}
  <//>`;
}
