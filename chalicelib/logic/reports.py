"""Compiled reports, subscriptions and overdue-feedback reminders.

A report is requested (on demand by a leader, or by the 07:00 schedule) by inserting a
`pending` item per scope: the group, and every org node with a subscriber. The reports
table's stream compiles each one (roll-ups → HTML, XLSX, CSV in S3), marks it `ready` and
emails it to the subscribers of its scope.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import TYPE_CHECKING, Any

from chalicelib.clock import business_day_start, business_now, business_today, now_iso, previous_day
from chalicelib.dal import mail, repos
from chalicelib.dal.objects import report_prefix
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain import rollups as r
from chalicelib.domain.access import Principal, Scope
from chalicelib.domain.budget import periods_containing
from chalicelib.domain.campaign import days_overdue
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.search import RequestSearch
from chalicelib.lazy import on_first_use
from chalicelib.logic import feedback
from chalicelib.logic.evaluation import check_period, last_months, summary_row, summary_rows
from chalicelib.observability import count, logger

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): the report renderers load in the report compiler only
    from chalicelib import reporting
    from chalicelib.reporting import html, sections, tables
    from chalicelib.reporting import mail as report_mail
else:
    reporting = on_first_use("chalicelib.reporting")
    html = on_first_use("chalicelib.reporting.html")
    sections = on_first_use("chalicelib.reporting.sections")
    tables = on_first_use("chalicelib.reporting.tables")
    report_mail = on_first_use("chalicelib.reporting.mail")

FREQUENCIES = ("weekly", "monthly", "none")
OVERDUE_LIST_LIMIT = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Which subscribers get which report: a final report goes to every subscriber; a month-to-date
# report to weekly subscribers on Mondays; an on-demand report to every subscriber.
RECIPIENT_FREQUENCIES = {
    "final": ("weekly", "monthly"),
    "on_demand": ("weekly", "monthly"),
    "month_to_date": ("weekly",),
}


def subscriber_scope(sub: dict[str, Any]) -> str:
    return access.report_scope_org(sub["role"], sub["org"])


def report_scopes(tenant: str) -> list[str]:
    """The group, and every org node below it with a subscriber."""
    scopes = {subscriber_scope(s) for s in repos.reports().subscriptions(tenant) if s["frequency"] != "none"}
    return [tenant] + sorted(s for s in scopes if s != tenant)


def request_reports(
    tenant: str, period: str, kind: str, requested_by: str | None = None, business_day: str | None = None
) -> list[dict[str, Any]]:
    """One pending report per scope; the reports stream compiles them. The group's comes first."""
    out = []
    for scope in report_scopes(tenant):
        report = {
            "id": new_id(),
            "tenant": tenant,
            "period": period,
            "scope": scope,
            "kind": kind,
            "created_at": now_iso(),
            "requested_by": requested_by,
            "business_day": business_day or business_today(),
        }
        repos.reports().insert_report(tenant, report)
        out.append(report)
    return out


def run_reports(principal: Principal, period: str) -> list[dict[str, Any]]:
    access.require(principal, "report.run")
    check_period(period, period)
    return request_reports(principal.tenant, period, "on_demand", principal.sub)


# -- reading reports ------------------------------------------------------------------------
def _visible(principal: Principal, report: dict[str, Any]) -> bool:
    return access.report_visible(principal, report["scope"])


def _is_ulid(value: str) -> bool:
    return len(value) == 26 and value.isascii() and value.isalnum()


def present_report(report: dict[str, Any], with_links: bool = True) -> dict[str, Any]:
    artifacts = report.get("artifacts") or {}
    links = {}
    if with_links and report["status"] == "ready":
        links = {f"{kind}_url": repos.objects().artifact_url(key) for kind, key in artifacts.items()}
    return {
        "id": report["id"],
        "period": report["period"],
        "scope": report["scope"],
        "kind": report["kind"],
        "status": report["status"],
        "created_at": report["created_at"],
        "artifacts": {
            "html_url": links.get("html_url"),
            "xlsx_url": links.get("xlsx_url"),
            "csv_url": links.get("csv_url"),
        },
        "error": report.get("error"),
    }


def get_report(principal: Principal, report_id: str) -> dict[str, Any]:
    access.require(principal, "report.read")
    # report ids are ULIDs; anything else cannot exist (and never reaches DynamoDB)
    report = repos.reports().get_report(principal.tenant, report_id) if _is_ulid(report_id) else None
    if report is None:
        raise NotFound(f"report {report_id} does not exist")
    if not _visible(principal, report):
        raise Forbidden("this report is outside your scope")
    return present_report(report)


def list_reports(principal: Principal, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; a manager sees the reports of scopes within theirs (links on GET /reports/{id})."""
    access.require(principal, "report.read")
    if cursor is not None and not _is_ulid(cursor):
        raise InvalidInput.field("cursor", "bad_cursor", "is not a cursor issued by this list")
    items, next_start = repos.reports().list_reports(principal.tenant, limit, cursor)
    return [present_report(i, with_links=False) for i in items if _visible(principal, i)], next_start


# -- subscriptions -----------------------------------------------------------------------------
def subscribe(principal: Principal, frequency: str) -> dict[str, Any]:
    access.require(principal, "report.subscribe")
    if not principal.email:
        raise InvalidInput.field("email", "no_email", "your token carries no email address to send reports to")
    sub = {
        "user_id": principal.sub,
        "name": principal.name,
        "email": principal.email,
        "role": principal.role,
        "org": principal.org,
        "frequency": frequency,
        "updated_at": now_iso(),
    }
    repos.reports().put_subscription(principal.tenant, principal.sub, sub)
    return {
        "frequency": frequency,
        "scope": subscriber_scope(sub),
        "email": principal.email,
        "updated_at": sub["updated_at"],
    }


# -- compiling -------------------------------------------------------------------------------------
TREND_MONTHS = 6


def _row(group: str, metrics: dict[str, Any], name: str | None, today: str) -> dict[str, Any]:
    """A summary row (the API's shape) with the two figures the report adds: `required` and
    `compliance_rate` (the summary route does not return them)."""
    row = summary_row(group, metrics, name, today)
    row["required"] = int(metrics.get("required", 0))
    row["compliance_rate"] = r.compliance_rate(metrics, today)
    return row


def _rows(scope: Scope, group_by: str, first: str, last: str, today: str) -> list[dict[str, Any]]:
    return summary_rows(scope, group_by, first, last, today, row=_row)


def overdue_list(
    tenant: str, scope: str, today: str, limit: int | None = OVERDUE_LIST_LIMIT, period: str | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """Campaigns of the scope whose required feedback was due before `today` and is not in
    (worklist E), most overdue first; with `period`, only the campaigns that start in it, which
    are exactly those the period's roll-ups count as overdue. At most `limit` (None: all of
    them, for the reminders), and whether the list was cut."""
    system = Principal(sub="report-compiler", role="leader", org=tenant)
    # The due-date range is given explicitly rather than as status="overdue", which the worklist
    # reads against the clock: the report and its roll-up figures are as of `today`. A campaign
    # that starts in the period is due no earlier than the period's first day.
    due_before, due_after = previous_day(today), f"{period}-01" if period else None
    filters = RequestSearch(org=scope if scope != tenant else None, due_before=due_before, due_after=due_after)
    if due_after and due_after > due_before:
        return [], False  # the period starts today or later: nothing is overdue yet
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while limit is None or len(out) <= limit:
        page = feedback.search_feedback_requests(system, filters, PageRequest(200, cursor), today)
        for c in page.items:
            if period and not c.start_date.startswith(period):
                continue
            out.append(
                {
                    "campaign_id": c.id,
                    "title": c.title,
                    "owner": c.owner_name or c.owner_id,
                    "owner_id": c.owner_id,
                    "owner_email": c.owner_email,
                    "org": c.org,
                    "customer": c.customer_name or c.customer_id,
                    "start_date": c.start_date,
                    "due_date": c.feedback_due_date,
                    "days_overdue": days_overdue(c.feedback_due_date, today),
                }
            )
        cursor = page.next_cursor
        if cursor is None:
            break
    if limit is not None and len(out) > limit:
        return out[:limit], True
    return out, False


def as_of(today: str | None = None) -> dt.datetime:
    """The instant a report's figures are as of (Asia/Shanghai): now, or the start of `today`
    when another day is asked for."""
    now = business_now().replace(microsecond=0)
    if today is None or today == now.date().isoformat():
        return now
    return business_day_start(today)


def report_data(tenant: str, scope_org: str, period: str, kind: str, today: str | None = None) -> reporting.ReportData:
    """Everything a report shows, from the roll-ups and the overdue worklist, as of one instant."""
    moment = as_of(today)
    today = moment.date().isoformat()
    scope = Scope(tenant, scope_org)
    level = "region" if orgs.depth(scope_org) == 1 else "province"
    first, _ = last_months(TREND_MONTHS, until=period)
    by_month = {row["group"]: row for row in _rows(scope, "month", first, period, today)}
    months = [by_month.get(m) or _row(m, {}, None, today) for m in r.months_between(first, period)]
    total = months[-1]
    ranking = sorted(
        _rows(scope, "owner", period, period, today),
        key=lambda row: (row["roi"] is None, -(row["roi"] or 0), row["group"]),
    )
    items, cut = overdue_list(tenant, scope_org, today, period=period)
    # One figure, read from the roll-ups once: the headline, every total row, the section title
    # and the email all show it; the list beneath it selects the same campaigns.
    overdue = sections.overdue(items, total["feedback"]["overdue"], today, shown_all=not cut)
    trend = sections.trend(months, period)
    earlier = sum(m["feedback"]["overdue"] for m in months[:-1])
    # The budgets a subscriber of this scope may see (a leader: the company's; an office: its
    # subtree's and its ancestors' own), those in force in the period: its month, quarter, year.
    reader = Principal(sub="report-compiler", role="leader" if scope_org == tenant else "manager", org=scope_org)
    subtree, ancestors = access.budget_list_scope(reader, None)
    in_force, found, cursor = set(periods_containing(f"{period}-01")), [], None
    while True:
        page = repos.budgets().list(tenant, subtree, ancestors, None, None, PageRequest(200, cursor))
        found += [b.as_dict() for b in page.items if b.period in in_force]
        if (cursor := page.next_cursor) is None:
            break
    budget = sections.budgets(found, period, scope_org, tenant)
    headline = [
        reporting.Figure("campaigns", "Approved campaigns", total["campaigns"], "count", "category"),
        reporting.Figure("approved_amount", "Approved amount", total["approved_amount"], "money", "category"),
        reporting.Figure("actual_spend", "Actual spend (fed back)", total["actual_spend"], "money", "category"),
        reporting.Figure("actual_sales", "Actual sales (fed back)", total["actual_sales"], "money", "category"),
        reporting.Figure("roi", "ROI", total["roi"], "ratio", "category"),
        reporting.Figure("actual_cost_ratio", "Actual cost ratio", total["actual_cost_ratio"], "percent", "category"),
        reporting.Figure("compliance_rate", "Feedback compliance", total["compliance_rate"], "percent", level),
        reporting.Figure("overdue", "Overdue feedback", overdue.size, "count", "overdue"),
        reporting.Figure(
            "overdue_earlier", f"Overdue, campaigns of the {len(months) - 1} months before", earlier, "count", "trend"
        ),
    ]
    if budget.total is not None:
        headline.append(
            reporting.Figure("budget_available", "Budget available", budget.total["available"], "money", "budget")
        )
    notes = [
        "Campaigns count in the month of their start date once approved; actual figures are the latest "
        "submitted feedback's, and actual ratios are over the campaigns fed back.",
        f"Pending and overdue are as of {moment:%Y-%m-%d %H:%M} (Asia/Shanghai): overdue feedback was due "
        f"before {today}. Feedback compliance = required feedback delivered ÷ (delivered + overdue).",
        "Money is in yuan (CNY) with two decimals; a ratio without a denominator is shown as —.",
    ]
    return reporting.ReportData(
        tenant=tenant,
        scope=scope_org,
        period=period,
        kind=kind,
        as_of=moment,
        generated_at=now_iso(),
        headline=headline,
        notes=notes,
        sections=[
            sections.by_category(_rows(scope, "category", period, period, today), total),
            sections.by_org(level, _rows(scope, level, period, period, today), total),
            trend,
            sections.ranking(ranking),
            overdue,
            budget,
        ],
    )


def compile_report(tenant: str, report_id: str) -> str:
    """Compile a pending report into its artifacts and email it. Safe to run again: artifacts
    are overwritten, and the email is claimed once per report."""
    reports = repos.reports()
    report = reports.get_report(tenant, report_id)
    if report is None:
        raise LookupError(f"report {report_id} of {tenant} does not exist")
    if report["status"] == "ready":
        return "already_ready"
    reports.set_status(tenant, report_id, "running", expected=("pending", "running", "failed"))
    try:
        # as of the moment it is compiled (not the day it was asked for): the roll-ups are read
        # now, so pending/overdue must be counted against the same instant
        data = report_data(tenant, report["scope"], report["period"], report["kind"])
        prefix = report_prefix(tenant, report["period"], report_id)
        workbook = tables.to_xlsx(data)
        artifacts = {"html": f"{prefix}.html", "xlsx": f"{prefix}.xlsx", "csv": f"{prefix}.csv"}
        objects = repos.objects()
        objects.put_artifact(artifacts["html"], html.render(data).encode("utf-8"), "text/html; charset=utf-8")
        objects.put_artifact(artifacts["xlsx"], workbook, XLSX)
        objects.put_artifact(artifacts["csv"], tables.to_csv(data), "text/csv; charset=utf-8")
    except Exception as exc:
        reports.set_status(tenant, report_id, "failed", expected=("running",), error=f"{type(exc).__name__}: {exc}")
        raise
    reports.set_status(tenant, report_id, "ready", expected=("running", "failed"), artifacts=artifacts)
    email_report(report, data, workbook)
    return "ready"


def report_recipients(tenant: str, scope: str, kind: str, business_day: str) -> list[dict[str, Any]]:
    frequencies = RECIPIENT_FREQUENCIES.get(kind, ())
    if kind == "month_to_date" and dt.date.fromisoformat(business_day).weekday() != 0:
        return []
    return [
        s
        for s in repos.reports().subscriptions(tenant)
        if s["frequency"] in frequencies and subscriber_scope(s) == scope and s.get("email")
    ]


def email_report(report: dict[str, Any], data: reporting.ReportData, workbook: bytes) -> int:
    """The report by email: tables and PNG charts in the body, the workbook attached."""
    tenant = report["tenant"]
    recipients = report_recipients(
        tenant, report["scope"], report["kind"], report.get("business_day") or business_today()
    )
    if not recipients or not repos.reports().claim_email(tenant, report["id"]):
        return 0
    body = report_mail.body(data, report["id"], mail.sender_domain())
    message = mail.Mail(
        to=tuple(sorted({s["email"] for s in recipients})),
        subject=data.title,
        html=body.html,
        text=body.text,
        inline=tuple(mail.Inline(i.cid, i.content, i.mime_type) for i in body.images),
        attachments=(mail.Attachment(f"huixiang-{report['period']}.xlsx", workbook, XLSX),),
    )
    try:
        repos.mailer().send(message)
    except Exception:
        repos.reports().release_email(tenant, report["id"])
        raise
    count("ReportEmails")
    return len(message.to)


# -- schedules -------------------------------------------------------------------------------------
def previous_month(day: str) -> str:
    d = dt.date.fromisoformat(day).replace(day=1) - dt.timedelta(days=1)
    return d.isoformat()[:7]


def scheduled_reports(today: str | None = None, tenants: list[str] | None = None) -> list[dict[str, Any]]:
    """07:00 Asia/Shanghai: the final report of last month on the 1st, else month to date.
    Companies are those the roll-ups know (any with an approved campaign)."""
    today = today or business_today()
    kind, period = ("final", previous_month(today)) if today.endswith("-01") else ("month_to_date", today[:7])
    out = []
    for tenant in tenants if tenants is not None else repos.rollups().tenants():
        out += request_reports(tenant, period, kind, business_day=today)
    logger().info("scheduled reports requested", extra={"kind": kind, "period": period, "reports": len(out)})
    return out


def send_reminders(today: str | None = None, tenants: list[str] | None = None) -> dict[str, int]:
    """One email per rep with overdue feedback, listing all of it, copied to the nearest
    subscribed manager(s) above them; at most once per rep per day however often this runs."""
    today = today or business_today()
    sent = skipped = 0
    for tenant in tenants if tenants is not None else repos.rollups().tenants():
        overdue, _ = overdue_list(tenant, tenant, today, limit=None)
        by_rep: dict[str, list[dict[str, Any]]] = {}
        for item in overdue:
            by_rep.setdefault(item["owner_id"], []).append(item)
        subscribers = [s for s in repos.reports().subscriptions(tenant) if s["frequency"] != "none" and s.get("email")]
        for rep_id, items in sorted(by_rep.items()):
            email = next((i["owner_email"] for i in items if i.get("owner_email")), None)
            if not email:
                logger().warning("overdue feedback but no email for rep", extra={"rep": rep_id})
                skipped += 1
                continue
            if not repos.reports().claim_reminder(tenant, today, rep_id):
                skipped += 1
                continue
            try:
                cc = [m["email"] for m in access.nearest_managers_over(subscribers, items[0]["org"], rep_id)]
                repos.mailer().send(reminder_mail(email, items, sorted(set(cc)), today))
            except Exception:
                repos.reports().release_reminder(tenant, today, rep_id)
                raise
            sent += 1
    count("ReminderEmails", sent)
    return {"sent": sent, "skipped": skipped}


def reminder_mail(email: str, items: list[dict[str, Any]], cc: list[str], today: str) -> mail.Mail:
    rows = "".join(
        f"<tr><td>{escape(i['title'])}</td><td>{escape(i['customer'])}</td><td>{i['due_date']}</td>"
        f"<td>{i['days_overdue']}</td></tr>"
        for i in items
    )
    html_body = (
        f"<!doctype html><html><body><p>Feedback on {len(items)} campaign(s) is overdue as of {today}. "
        "Settlement stays locked until it arrives.</p><table border='1' cellpadding='4'>"
        f"<tr><th>campaign</th><th>customer</th><th>due</th><th>days overdue</th></tr>{rows}</table>"
        "</body></html>"
    )
    text = "\n".join(
        [f"Feedback overdue as of {today}:"]
        + [f"- {i['title']} ({i['customer']}), due {i['due_date']}, {i['days_overdue']} days overdue" for i in items]
    )
    return mail.Mail(
        to=(email,),
        cc=tuple(c for c in cc if c != email),
        subject=f"Huixiang: {len(items)} campaign feedback report(s) overdue",
        html=html_body,
        text=text,
    )
