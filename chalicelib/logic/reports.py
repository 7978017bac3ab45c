"""Compiled reports, subscriptions and overdue-feedback reminders.

A report is requested (on demand by a leader, or by the 07:00 schedule) by inserting a
`pending` item per scope: the group, and every org node with a subscriber, each with the
language its artifacts are written in (zh unless asked otherwise). The reports table's stream
compiles each one: its facts are gathered once (roll-ups, the overdue worklist, budgets, the
period's standout campaigns), composed in the report's language into HTML, XLSX and CSV in S3
(chalicelib/reporting/), marked `ready`, and emailed to the subscribers of its scope, each in
the language of their subscription. This module only orchestrates: the words and the layout
are reporting/'s, the sending is the mailer port's (`repos.mailer()`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from chalicelib.clock import business_day_start, business_now, business_today, now_iso, previous_day
from chalicelib.dal import repos
from chalicelib.dal.objects import report_prefix
from chalicelib.domain import access, figures
from chalicelib.domain import org as orgs
from chalicelib.domain import rollups as r
from chalicelib.domain.access import Principal, Scope
from chalicelib.domain.budget import periods_containing
from chalicelib.domain.campaign import Campaign, days_overdue
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
    from chalicelib.reporting import compose, html, tables
    from chalicelib.reporting import mail as report_mail
    from chalicelib.reporting.words import Language
else:
    reporting = on_first_use("chalicelib.reporting")
    compose = on_first_use("chalicelib.reporting.compose")
    html = on_first_use("chalicelib.reporting.html")
    tables = on_first_use("chalicelib.reporting.tables")
    report_mail = on_first_use("chalicelib.reporting.mail")

Row = dict[str, Any]
FREQUENCIES = ("weekly", "monthly", "none")
DEFAULT_LANGUAGE: Language = "zh"
OVERDUE_LIST_LIMIT = 1000
STANDOUTS = 3  # the period's campaigns with the best ROI, and as many with the worst
THUMBNAIL_MAX_BYTES = 256 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Which subscribers get which report: a final report goes to every subscriber; a month-to-date
# report to weekly subscribers on Mondays; an on-demand report to every subscriber.
RECIPIENT_FREQUENCIES = {
    "final": ("weekly", "monthly"),
    "on_demand": ("weekly", "monthly"),
    "month_to_date": ("weekly",),
}


def subscriber_scope(sub: Row) -> str:
    return access.report_scope_org(sub["role"], sub["org"])


def language_of(item: Row) -> Language:
    """A subscription's or a report's language; items stored before there was one: zh."""
    return "en" if item.get("language") == "en" else "zh"


def report_scopes(tenant: str) -> list[str]:
    """The group, and every org node below it with a subscriber."""
    scopes = {subscriber_scope(s) for s in repos.reports().subscriptions(tenant) if s["frequency"] != "none"}
    return [tenant] + sorted(s for s in scopes if s != tenant)


def request_reports(
    tenant: str,
    period: str,
    kind: str,
    requested_by: str | None = None,
    business_day: str | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> list[Row]:
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
            "language": language,
        }
        repos.reports().insert_report(tenant, report)
        out.append(report)
    return out


def run_reports(principal: Principal, period: str, language: Language = DEFAULT_LANGUAGE) -> list[Row]:
    access.require(principal, "report.run")
    check_period(period, period)
    return request_reports(principal.tenant, period, "on_demand", principal.sub, language=language)


# -- reading reports ------------------------------------------------------------------------
def _visible(principal: Principal, report: Row) -> bool:
    return access.report_visible(principal, report["scope"])


def _is_ulid(value: str) -> bool:
    return len(value) == 26 and value.isascii() and value.isalnum()


def present_report(report: Row, with_links: bool = True) -> Row:
    artifacts = report.get("artifacts") or {}
    links = {}
    if with_links and report["status"] == "ready":
        links = {f"{kind}_url": repos.objects().artifact_url(key) for kind, key in artifacts.items()}
    return {
        "id": report["id"],
        "period": report["period"],
        "scope": report["scope"],
        "kind": report["kind"],
        "language": language_of(report),
        "status": report["status"],
        "created_at": report["created_at"],
        "artifacts": {
            "html_url": links.get("html_url"),
            "xlsx_url": links.get("xlsx_url"),
            "csv_url": links.get("csv_url"),
        },
        "error": report.get("error"),
    }


def get_report(principal: Principal, report_id: str) -> Row:
    access.require(principal, "report.read")
    # report ids are ULIDs; anything else cannot exist (and never reaches DynamoDB)
    report = repos.reports().get_report(principal.tenant, report_id) if _is_ulid(report_id) else None
    if report is None:
        raise NotFound(f"report {report_id} does not exist")
    if not _visible(principal, report):
        raise Forbidden("this report is outside your scope")
    return present_report(report)


def list_reports(principal: Principal, limit: int, cursor: str | None) -> tuple[list[Row], str | None]:
    """Newest first; a manager sees the reports of scopes within theirs (links on GET /reports/{id})."""
    access.require(principal, "report.read")
    if cursor is not None and not _is_ulid(cursor):
        raise InvalidInput.field("cursor", "bad_cursor", "is not a cursor issued by this list")
    items, next_start = repos.reports().list_reports(principal.tenant, limit, cursor)
    return [present_report(i, with_links=False) for i in items if _visible(principal, i)], next_start


# -- subscriptions -----------------------------------------------------------------------------
def subscribe(principal: Principal, frequency: str, language: Language = DEFAULT_LANGUAGE) -> Row:
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
        "language": language,
        "updated_at": now_iso(),
    }
    repos.reports().put_subscription(principal.tenant, principal.sub, sub)
    return {
        "frequency": frequency,
        "language": language,
        "scope": subscriber_scope(sub),
        "email": principal.email,
        "updated_at": sub["updated_at"],
    }


# -- compiling -------------------------------------------------------------------------------------
TREND_MONTHS = 6


def _row(group: str, metrics: dict[str, int], name: str | None, today: str) -> Row:
    """A summary row (the API's shape) with the two figures the report adds: `required` and
    `compliance_rate` (the summary route does not return them)."""
    row = summary_row(group, metrics, name, today)
    row["required"] = int(metrics.get("required", 0))
    row["compliance_rate"] = r.compliance_rate(metrics, today)
    return row


def _rows(scope: Scope, group_by: str, first: str, last: str, today: str) -> list[Row]:
    return summary_rows(scope, group_by, first, last, today, row=_row)


def overdue_list(
    tenant: str, scope: str, today: str, limit: int | None = OVERDUE_LIST_LIMIT, period: str | None = None
) -> tuple[list[Row], bool]:
    """Campaigns of the scope whose required feedback was due before `today` and is not in
    (worklist E), most overdue first; with `period`, only the campaigns that start in it, which
    are exactly those the period's roll-ups count as overdue. At most `limit` (None: all of
    them, for the reminders), and whether the list was cut."""

    system = Principal(sub="report-compiler", role="leader", org=tenant)
    # The due-date range is given explicitly rather than as status="overdue", which the worklist
    # reads against the clock: the report and its roll-up figures are as of `today`. A campaign
    # that starts in the period is due no earlier than the period's first day.
    filters = RequestSearch(
        org=scope if scope != tenant else None,
        due_before=previous_day(today),
        due_after=f"{period}-01" if period else None,
    )
    if filters.due_after and filters.due_before and filters.due_after > filters.due_before:
        return [], False  # the period starts today or later: nothing is overdue yet
    out: list[Row] = []
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


def _budgets_in_force(tenant: str, scope_org: str, period: str) -> list[Row]:
    """The budgets a subscriber of this scope may see (a leader: the company's; an office: its
    subtree's and its ancestors' own), those in force in the period: its month, quarter, year."""

    reader = Principal(sub="report-compiler", role="leader" if scope_org == tenant else "manager", org=scope_org)
    subtree, ancestors = access.budget_list_scope(reader, None)
    in_force, found, cursor = set(periods_containing(f"{period}-01")), [], None
    while True:
        page = repos.budgets().list(tenant, subtree, ancestors, None, None, PageRequest(200, cursor))
        found += [b.as_dict() for b in page.items if b.period in in_force]
        if (cursor := page.next_cursor) is None:
            break
    return found


def standouts(tenant: str, scope_org: str, period: str, n: int = STANDOUTS) -> tuple[list[Row], list[Row]]:
    """The period's campaigns of the scope with the best and the worst ROI (n each, none in
    both: a month with k < 2n campaigns splits them, the better half first), each with its
    rep's reflections (the latest submitted feedback) and one ready photo's thumbnail.

    Bounded, whatever the month holds: the scope's standings are two Queries of n items each;
    then per campaign (at most 2n) one GetItem (does it still stand there?), one Query for its
    latest revision, one Query for its attachments (at most MAX_PER_CAMPAIGN) and one S3
    GetObject for a thumbnail. With n = 3: at most 2 + 4 × 6 = 26 requests. A standing the
    campaign no longer holds (its stream record failed and was parked) is left out.
    """

    rollups = repos.rollups()
    top = rollups.standings(tenant, scope_org, period, n, best=True)
    bottom = rollups.standings(tenant, scope_org, period, n, best=False)
    seen = {s.campaign_id for s in top + bottom}
    if len(seen) < 2 * n:  # every campaign of the month is in both lists: split them
        k = len(top)
        top, bottom = top[: (k + 1) // 2], bottom[: k // 2]
    out: tuple[list[Row], list[Row]] = ([], [])
    for side, found in zip(out, (top, bottom), strict=True):
        for s in found:
            c = repos.campaigns().get(s.campaign_id)
            if (
                c is not None
                and c.status == "approved"
                and r.month_of(c.start_date) == period
                and figures.roi(c.actual_sales, c.actual_spend) == s.roi
            ):
                side.append(_standout(c, s.roi))
    return out


def _standout(c: Campaign, roi: float) -> Row:
    report = repos.feedback().latest_submitted(c.id)
    key = next(
        (a.thumbnail_key for a in repos.evidence().list(c.id) if a.kind == "photo" and a.status == "ready"),
        None,
    )
    thumbnail = repos.objects().thumbnail(key, THUMBNAIL_MAX_BYTES) if key else None
    return {
        "campaign_id": c.id,
        "title": c.title,
        "owner": c.owner_name or c.owner_id,
        "customer": c.customer_name or c.customer_id,
        "org": c.org,
        "category": c.category,
        "roi": roi,
        "actual_spend": c.actual_spend,
        "actual_sales": c.actual_sales,
        "reflections": report.reflections if report else None,
        "thumbnail": thumbnail,
    }


def report_facts(
    tenant: str, scope_org: str, period: str, kind: str, today: str | None = None
) -> reporting.ReportFacts:
    """Everything a report shows, from the roll-ups, the overdue worklist, the budgets and the
    standings, as of one instant; in no language yet."""

    moment = as_of(today)
    today = moment.date().isoformat()
    scope = Scope(tenant, scope_org)
    level = "region" if orgs.depth(scope_org) == 1 else "province"
    first, _ = last_months(TREND_MONTHS, until=period)
    by_month = {row["group"]: row for row in _rows(scope, "month", first, period, today)}
    months = [by_month.get(m) or _row(m, {}, None, today) for m in r.months_between(first, period)]
    ranking = sorted(
        _rows(scope, "owner", period, period, today),
        key=lambda row: (row["roi"] is None, -(row["roi"] or 0), row["group"]),
    )
    items, cut = overdue_list(tenant, scope_org, today, period=period)
    best, worst = standouts(tenant, scope_org, period)
    return reporting.ReportFacts(
        tenant=tenant,
        scope=scope_org,
        period=period,
        kind=kind,
        as_of=moment,
        generated_at=now_iso(),
        level=level,
        months=months,
        categories=_rows(scope, "category", period, period, today),
        orgs=_rows(scope, level, period, period, today),
        ranking=ranking,
        overdue=items,
        overdue_cut=cut,
        budgets=_budgets_in_force(tenant, scope_org, period),
        best=best,
        worst=worst,
        standouts=STANDOUTS,
    )


def report_data(
    tenant: str, scope_org: str, period: str, kind: str, today: str | None = None, language: Language = DEFAULT_LANGUAGE
) -> reporting.ReportData:
    """The report of a scope and period, in `language`."""

    return compose.compose(report_facts(tenant, scope_org, period, kind, today), language)


def compile_report(tenant: str, report_id: str) -> str:
    """Compile a pending report into its artifacts (in the report's language) and email it.
    Safe to run again: artifacts are overwritten, and each language's email is claimed once."""

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
        facts = report_facts(tenant, report["scope"], report["period"], report["kind"])
        data = compose.compose(facts, language_of(report))
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
    email_report(report, facts, {data.language: (data, workbook)})
    return "ready"


def report_recipients(tenant: str, scope: str, kind: str, business_day: str) -> list[Row]:
    frequencies = RECIPIENT_FREQUENCIES.get(kind, ())
    if kind == "month_to_date" and dt.date.fromisoformat(business_day).weekday() != 0:
        return []
    return [
        s
        for s in repos.reports().subscriptions(tenant)
        if s["frequency"] in frequencies and subscriber_scope(s) == scope and s.get("email")
    ]


def email_report(
    report: Row, facts: reporting.ReportFacts, made: dict[Language, tuple[reporting.ReportData, bytes]]
) -> int:
    """The report by email, to each subscriber of its scope in the language of their
    subscription: one message per language (tables, PNG charts and photos in the body, the
    workbook attached), each claimed once, so a redelivery sends nothing twice. `made` holds the
    languages already composed; the others are composed from the same facts (no second read)."""

    tenant = report["tenant"]
    recipients = report_recipients(
        tenant, report["scope"], report["kind"], report.get("business_day") or business_today()
    )
    by_language: dict[Language, list[str]] = {}
    for s in recipients:
        by_language.setdefault(language_of(s), []).append(s["email"])
    mailer, sent = repos.mailer(), 0
    for lang, addresses in sorted(by_language.items()):
        if not repos.reports().claim_email(tenant, report["id"], lang):
            continue
        try:
            if lang not in made:
                composed = compose.compose(facts, lang)
                made[lang] = (composed, tables.to_xlsx(composed))
            data, workbook = made[lang]
            to = tuple(sorted(set(addresses)))
            mailer.send(report_mail.report_mail(data, report["id"], mailer.sender_domain(), to, workbook))
        except Exception:
            repos.reports().release_email(tenant, report["id"], lang)
            raise
        sent += len(to)
    if sent:
        count("ReportEmails")
    return sent


# -- schedules -------------------------------------------------------------------------------------
def previous_month(day: str) -> str:
    d = dt.date.fromisoformat(day).replace(day=1) - dt.timedelta(days=1)
    return d.isoformat()[:7]


def scheduled_reports(today: str | None = None, tenants: list[str] | None = None) -> list[Row]:
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
    subscribed manager(s) above them; at most once per rep per day however often this runs.
    In Chinese: a rep chooses no language (the words are reporting.mail.reminder's)."""

    today = today or business_today()
    sent = skipped = 0
    for tenant in tenants if tenants is not None else repos.rollups().tenants():
        overdue, _ = overdue_list(tenant, tenant, today, limit=None)
        by_rep: dict[str, list[Row]] = {}
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
                repos.mailer().send(report_mail.reminder(email, items, sorted(set(cc)), today, DEFAULT_LANGUAGE))
            except Exception:
                repos.reports().release_reminder(tenant, today, rep_id)
                raise
            sent += 1
    count("ReminderEmails", sent)
    return {"sent": sent, "skipped": skipped}
