"""The sections of a compiled report, built from summary rows and the overdue worklist, in the
reader's language.

A summary row is the API's (GET /reports/summary) with two more fields the report shows:
`required` (approved campaigns whose feedback is required) and `compliance_rate`.

The page shows a section's figure columns as two tables (`part` 0: money, 1: ratios and
feedback), each repeating the row's name, so neither is wider than a 1280 px window; the
email and a narrow window show only the `email` columns, which fit a 600 px mail client.
"""

from __future__ import annotations

from chalicelib.domain.figures import ratio
from chalicelib.reporting import Column, Row, Section, charts
from chalicelib.reporting.words import Language, category_name, say

EMAIL_RANKING_ROWS = 10
EMAIL_OVERDUE_ROWS = 20
EMAIL_BUDGET_ROWS = 20


def figure_columns(lang: Language) -> tuple[Column, ...]:
    def w(key: str) -> str:
        return say(lang, key)

    return (
        Column("campaigns", w("card.campaigns"), "count", email=False),
        Column("approved_amount", w("field.approved_amount"), "money"),
        Column("expected_spend", w("fig.expected_spend"), "money", email=False),
        Column("actual_spend", w("fig.actual_spend"), "money"),
        Column("expected_sales", w("fig.expected_sales"), "money", email=False),
        Column("actual_sales", w("fig.actual_sales"), "money", email=False),
        Column("expected_cost_ratio", w("fig.expected_cost_ratio"), "percent", email=False, part=1),
        Column("actual_cost_ratio", w("fig.actual_cost_ratio"), "percent", email=False, part=1),
        Column("roi", w("fig.roi"), "percent", part=1),
        Column("median_roi", w("card.median_roi"), "percent", email=False, part=1),
        Column("fed_back", w("status.feedback.submitted"), "count", email=False, part=1),
        Column("passive", w("kind.passive"), "count", email=False, part=1),
        Column("active", w("kind.active"), "count", email=False, part=1),
        Column("pending", w("status.feedback.pending"), "count", email=False, part=1),
        Column("overdue", w("status.feedback.overdue"), "count", part=1),
        Column("compliance_rate", w("card.compliance"), "percent", part=1),
        Column("reimbursed_amount", w("dash.reimbursed"), "money", email=False),
    )


def flat(row: Row) -> Row:
    """A summary row with its feedback counts lifted to the top level, as the columns read it."""
    out = {k: v for k, v in row.items() if k != "feedback"}
    out.update(row.get("feedback") or {})
    return out


def _with_total(total: Row | None, lang: Language) -> Row | None:
    return None if total is None else {**flat(total), "group": "total", "name": say(lang, "report.total")}


def by_category(rows: list[Row], total: Row, lang: Language) -> Section:
    named = [{**flat(r), "name": category_name(r["group"], lang)} for r in rows]
    return Section(
        key="category",
        title=say(lang, "report.s.category"),
        sheet=say(lang, "report.sheet.category"),
        columns=(
            Column("group", say(lang, "report.category_id"), "id", html=False, part=None),
            Column("name", say(lang, "field.category"), part=None),
            *figure_columns(lang),
        ),
        rows=named,
        total=_with_total(total, lang),
        charts=[charts.spend_by_category(rows, lang), charts.roi_by_category(rows, lang)],
        empty=say(lang, "report.no_campaigns"),
    )


def by_org(level: str, rows: list[Row], total: Row, lang: Language) -> Section:
    named = [{**flat(r), "name": r.get("name") or r["group"].rsplit("/", 1)[-1]} for r in rows]
    name = say(lang, f"report.{level}")
    return Section(
        key=level,
        title=say(lang, f"report.s.{level}"),
        sheet=say(lang, f"report.sheet.{level}"),
        columns=(
            Column("group", say(lang, "report.org_path", level=name), "id", html=False, part=None),
            Column("name", name, part=None),
            *figure_columns(lang),
        ),
        rows=named,
        total=_with_total(total, lang),
        charts=[charts.compliance_by_org(level, named, lang)],
        empty=say(lang, "report.no_campaigns"),
    )


def trend(months: list[Row], period: str, lang: Language) -> Section:
    earlier = [m for m in months if m["group"] < period]
    return Section(
        key="trend",
        title=say(lang, "report.s.trend", n=len(months)),
        sheet=say(lang, "report.sheet.trend"),
        columns=(Column("group", say(lang, "report.month"), "month", part=None), *figure_columns(lang)),
        rows=[flat(m) for m in months],
        charts=[charts.spend_by_month(months, lang), charts.roi_by_month(months, lang)],
        notes=[say(lang, "report.n.trend", period=period, n=sum(m["feedback"]["overdue"] for m in earlier))],
    )


def ranking(rows: list[Row], lang: Language) -> Section:
    ranked = [{**flat(r), "rank": i, "name": r.get("name") or r["group"]} for i, r in enumerate(rows, start=1)]
    return Section(
        key="owner",
        title=say(lang, "report.s.ranking"),
        sheet=say(lang, "report.sheet.ranking"),
        columns=(
            Column("rank", say(lang, "report.rank"), "count", part=None),
            Column("group", say(lang, "report.rep_id"), "id", html=False, part=None),
            Column("name", say(lang, "report.rep"), part=None),
            *figure_columns(lang),
        ),
        rows=ranked,
        charts=[charts.roi_of_reps(ranked, lang)],
        email_rows=EMAIL_RANKING_ROWS,
        notes=[say(lang, "report.n.ranking")],
        empty=say(lang, "report.no_campaigns"),
    )


def overdue(items: list[Row], count: int, as_of_day: str, shown_all: bool, lang: Language) -> Section:
    """The period's campaigns whose required feedback is overdue; `count` is the roll-ups' figure."""
    notes = [say(lang, "report.n.overdue", day=as_of_day)]
    if not shown_all:
        notes.append(say(lang, "report.n.overdue_cut", shown=len(items), count=count))
    elif len(items) != count:
        notes.append(say(lang, "report.n.overdue_moved", shown=len(items), count=count))
    return Section(
        key="overdue",
        title=say(lang, "report.s.overdue"),
        sheet=say(lang, "report.sheet.overdue"),
        columns=(
            Column("campaign_id", say(lang, "report.campaign_id"), "id", html=False),
            Column("title", say(lang, "field.campaign")),
            Column("owner", say(lang, "report.rep")),
            Column("org", say(lang, "field.org"), email=False),
            Column("customer", say(lang, "field.customer")),
            Column("start_date", say(lang, "field.start_date"), "date", email=False),
            Column("due_date", say(lang, "report.feedback_due"), "date"),
            Column("days_overdue", say(lang, "report.days_overdue"), "count"),
        ),
        rows=items,
        count=count,
        notes=notes,
        email_rows=EMAIL_OVERDUE_ROWS,
        empty=say(lang, "report.no_overdue"),
    )


def _period_order(period: str) -> tuple[str, int, str]:
    """A year before its quarters before its months: `2026`, `2026-Q4`, `2026-11`."""
    return period[:4], {4: 0, 7: 1 if "Q" in period else 2}.get(len(period), 3), period


def budgets(items: list[Row], period: str, scope: str, tenant: str, lang: Language) -> Section:
    """The budgets in force in the report's period (those whose period contains it), as the
    API gives them (`GET /budgets`: money in fen), one row each: org order, then the longer
    period first, then every category before a single one.

    The total counts carved money once: its amount is that of the budgets not carved out of
    another one listed here, and its "carved out" what they carved into budgets not listed, so
    amount = carved out + reserved + consumed + available holds on the total as on every row.
    """
    ordered = sorted(items, key=lambda b: (b["org"].split("/"), _period_order(b["period"]), b["category"] or ""))
    listed = {b["id"] for b in ordered}
    rows = [
        {
            "budget_id": b["id"],
            "org": b["org"],
            "budget_period": b["period"],
            "category": b["category"],
            "category_name": category_name(b["category"], lang) if b["category"] else say(lang, "budget.any_category"),
            "amount": b["amount"],
            "allocated": b["allocated"],
            "reserved": b["reserved"],
            "consumed": b["consumed"],
            "available": b["available"],
            "utilisation": ratio(b["reserved"] + b["consumed"], b["amount"]),
            "parent_id": b["parent_id"],
        }
        for b in ordered
    ]
    total = None
    if rows:
        within = [r for r in rows if r["parent_id"] in listed]
        amount = sum(r["amount"] for r in rows) - sum(r["amount"] for r in within)
        reserved, consumed = sum(r["reserved"] for r in rows), sum(r["consumed"] for r in rows)
        total = {
            "budget_id": "total",
            "org": say(lang, "report.total"),
            "amount": amount,
            "allocated": sum(r["allocated"] for r in rows) - sum(r["amount"] for r in within),
            "reserved": reserved,
            "consumed": consumed,
            "available": sum(r["available"] for r in rows),
            "utilisation": ratio(reserved + consumed, amount),
        }
    whose = (
        say(lang, "report.n.budget_scope_all", period=period)
        if scope == tenant
        else say(lang, "report.n.budget_scope_org", scope=scope, period=period)
    )
    notes = [whose, say(lang, "report.n.budget_figures"), say(lang, "report.n.budget_total")]

    def w(key: str) -> str:
        return say(lang, key)

    return Section(
        key="budget",
        title=w("report.s.budget"),
        sheet=w("report.sheet.budget"),
        columns=(
            Column("budget_id", w("report.budget_id"), "id", html=False),
            Column("org", w("field.org")),
            Column("budget_period", w("budget.period")),
            Column("category", w("report.category_id"), "id", html=False),
            Column("category_name", w("field.category")),
            Column("amount", w("budget.amount"), "money", email=False),
            Column("allocated", w("budget.allocated"), "money", email=False),  # amount − available adds up
            Column("reserved", w("budget.reserved"), "money", email=False),
            Column("consumed", w("budget.consumed"), "money", email=False),
            Column("available", w("budget.available"), "money"),
            Column("utilisation", w("report.utilisation"), "percent"),
            Column("parent_id", w("report.parent_id"), "id", html=False),
        ),
        rows=rows,
        total=total,
        charts=[charts.budget_use(rows, lang)] if rows else [],
        notes=notes if rows else notes[:1],
        email_rows=EMAIL_BUDGET_ROWS,
        empty=say(lang, "report.no_budget", period=period),
    )


def standouts(side: str, rows: list[Row], lang: Language, n: int) -> Section:
    """The period's campaigns with the best (`side` best) or the worst ROI, each a card with its
    rep's reflections and one photo (`thumbnail`: JPEG bytes, not a column)."""

    def w(key: str) -> str:
        return say(lang, key)

    named = [{**r, "category_name": category_name(r["category"], lang)} for r in rows]
    return Section(
        key=side,
        title=w(f"report.s.{side}"),
        sheet=w(f"report.sheet.{side}"),
        columns=(
            Column("campaign_id", w("report.campaign_id"), "id", html=False),
            Column("title", w("field.campaign")),
            Column("owner", w("report.rep")),
            Column("customer", w("field.customer")),
            Column("org", w("field.org")),
            Column("category_name", w("field.category")),
            Column("roi", w("fig.roi"), "percent"),
            Column("actual_spend", w("fig.actual_spend"), "money"),
            Column("actual_sales", w("fig.actual_sales"), "money"),
            Column("reflections", w("field.reflections")),
        ),
        rows=named,
        cards=True,
        notes=[say(lang, "report.n.standouts", n=n)] if side == "best" else [],
        empty=w("report.no_standouts" if side == "best" else "report.no_worst"),
    )
