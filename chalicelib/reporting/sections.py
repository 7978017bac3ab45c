"""The sections of a compiled report, built from summary rows and the overdue worklist.

A summary row is the API's (GET /reports/summary) with two more fields the report shows:
`required` (approved campaigns whose feedback is required) and `compliance_rate`.
"""

from __future__ import annotations

from chalicelib.domain.figures import ratio
from chalicelib.reporting import Column, Section, charts
from chalicelib.reporting.values import category_name

FIGURE_COLUMNS = (
    Column("campaigns", "Campaigns", "count"),
    Column("approved_amount", "Approved", "money"),
    Column("expected_spend", "Plan spend", "money", email=False),
    Column("actual_spend", "Actual spend", "money"),
    Column("expected_sales", "Plan sales", "money", email=False),
    Column("actual_sales", "Actual sales", "money"),
    Column("expected_cost_ratio", "Plan cost ratio", "percent", email=False),
    Column("actual_cost_ratio", "Actual cost ratio", "percent"),
    Column("roi", "ROI", "ratio"),
    Column("median_roi", "Median ROI", "ratio", email=False),
    Column("fed_back", "Fed back", "count", email=False),
    Column("passive", "Passive", "count", email=False),
    Column("active", "Active", "count", email=False),
    Column("pending", "Pending", "count", email=False),
    Column("overdue", "Overdue", "count"),
    Column("compliance_rate", "Feedback compliance", "percent"),
    Column("reimbursed_amount", "Reimbursed", "money", email=False),
)
OVERDUE_COLUMNS = (
    Column("campaign_id", "Campaign id", "id", html=False),
    Column("title", "Campaign"),
    Column("owner", "Rep"),
    Column("org", "Org", email=False),
    Column("customer", "Customer"),
    Column("start_date", "Start", "date", email=False),
    Column("due_date", "Feedback due", "date"),
    Column("days_overdue", "Days overdue", "count"),
)
# Budgets: `budget_period`, not `period` (the CSV's first column is the report's period).
BUDGET_COLUMNS = (
    Column("budget_id", "Budget id", "id", html=False),
    Column("org", "Org"),
    Column("budget_period", "Period"),
    Column("category", "Category id", "id", html=False),
    Column("category_name", "Category"),
    Column("amount", "Amount", "money"),
    Column("allocated", "Carved out", "money"),  # without it, amount − available would not add up
    Column("reserved", "Reserved", "money"),
    Column("consumed", "Consumed", "money"),
    Column("available", "Available", "money"),
    Column("utilisation", "Utilisation", "percent"),
    Column("parent_id", "Carved from (budget id)", "id", html=False),
)
EVERY_CATEGORY = "Every category"
EMAIL_RANKING_ROWS = 10
EMAIL_OVERDUE_ROWS = 20
EMAIL_BUDGET_ROWS = 20


def flat(row: dict) -> dict:
    """A summary row with its feedback counts lifted to the top level, as the columns read it."""
    out = {k: v for k, v in row.items() if k != "feedback"}
    out.update(row.get("feedback") or {})
    return out


def _with_total(total: dict | None) -> dict | None:
    return None if total is None else {**flat(total), "group": "total", "name": "Total"}


def by_category(rows: list[dict], total: dict) -> Section:
    named = [{**flat(r), "name": category_name(r["group"])} for r in rows]
    return Section(
        key="category",
        title="Plan vs actual by category",
        sheet="By category",
        columns=(Column("group", "Category id", "id", html=False), Column("name", "Category"), *FIGURE_COLUMNS),
        rows=named,
        total=_with_total(total),
        charts=[charts.spend_by_category(rows), charts.roi_by_category(rows)],
        empty="No approved campaigns in this period.",
    )


def by_org(level: str, rows: list[dict], total: dict) -> Section:
    named = [{**flat(r), "name": r.get("name") or r["group"].rsplit("/", 1)[-1]} for r in rows]
    return Section(
        key=level,
        title=f"By {level}",
        sheet=f"By {level}",
        columns=(
            Column("group", f"{level.capitalize()} (org path)", "id", html=False),
            Column("name", level.capitalize()),
            *FIGURE_COLUMNS,
        ),
        rows=named,
        total=_with_total(total),
        charts=[charts.compliance_by_org(level, named)],
        empty="No approved campaigns in this period.",
    )


def trend(months: list[dict], period: str) -> Section:
    earlier = [m for m in months if m["group"] < period]
    return Section(
        key="trend",
        title=f"The last {len(months)} months",
        sheet="Trend",
        columns=(Column("group", "Month", "month"), *FIGURE_COLUMNS),
        rows=[flat(m) for m in months],
        charts=[charts.spend_by_month(months), charts.roi_by_month(months)],
        notes=[
            f"Overdue feedback of the months before {period}: "
            f"{sum(m['feedback']['overdue'] for m in earlier)} (each month counts its own campaigns)."
        ],
    )


def ranking(rows: list[dict]) -> Section:
    ranked = [{**flat(r), "rank": i, "name": r.get("name") or r["group"]} for i, r in enumerate(rows, start=1)]
    return Section(
        key="owner",
        title="ROI ranking of reps",
        sheet="ROI ranking",
        columns=(
            Column("rank", "Rank", "count"),
            Column("group", "Rep id", "id", html=False),
            Column("name", "Rep"),
            *FIGURE_COLUMNS,
        ),
        rows=ranked,
        charts=[charts.roi_of_reps(ranked)],
        email_rows=EMAIL_RANKING_ROWS,
        notes=["Reps without feedback (no ROI yet) come last."],
        empty="No approved campaigns in this period.",
    )


def overdue(items: list[dict], count: int, as_of_day: str, shown_all: bool) -> Section:
    """The period's campaigns whose required feedback is overdue; `count` is the roll-ups' figure."""
    notes = [
        f"Required feedback due before {as_of_day} and not yet submitted, for the campaigns of this "
        "period (counted in the month of their start date), most overdue first."
    ]
    if not shown_all:
        notes.append(f"The list shows the first {len(items)} of {count}.")
    elif len(items) != count:
        notes.append(
            f"The list holds {len(items)} campaigns while the figures count {count}: campaigns changed "
            "while the report was compiled; the next report will agree."
        )
    return Section(
        key="overdue",
        title="Overdue feedback",
        sheet="Overdue feedback",
        columns=OVERDUE_COLUMNS,
        rows=items,
        count=count,
        notes=notes,
        email_rows=EMAIL_OVERDUE_ROWS,
        empty="No overdue feedback.",
    )


def _period_order(period: str) -> tuple:
    """A year before its quarters before its months: `2026`, `2026-Q4`, `2026-11`."""
    return period[:4], {4: 0, 7: 1 if "Q" in period else 2}.get(len(period), 3), period


def budgets(items: list[dict], period: str, scope: str, tenant: str) -> Section:
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
            "category_name": category_name(b["category"]) if b["category"] else EVERY_CATEGORY,
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
            "org": "Total",
            "amount": amount,
            "allocated": sum(r["allocated"] for r in rows) - sum(r["amount"] for r in within),
            "reserved": reserved,
            "consumed": consumed,
            "available": sum(r["available"] for r in rows),
            "utilisation": ratio(reserved + consumed, amount),
        }
    whose = (
        "every budget of the company"
        if scope == tenant
        else f"the budgets of {scope}, of the offices below it and of each org above it"
    )
    notes = [
        f"Shown: {whose} whose period contains {period} (the month, its quarter or its year).",
        "Figures are each budget's own as of the time above: reserved and consumed count the campaigns of "
        "every month of the budget's period, not only this report's. Utilisation = (reserved + consumed) ÷ "
        "amount; money carved out into a child budget is used under that child.",
        "The total counts carved money once: its amount is that of the budgets not carved out of another "
        "one listed here, its carved out what went to budgets not listed (other offices or periods).",
    ]
    return Section(
        key="budget",
        title="Budgets",
        sheet="Budgets",
        columns=BUDGET_COLUMNS,
        rows=rows,
        total=total,
        charts=[charts.budget_use(rows)] if rows else [],
        notes=notes if rows else notes[:1],
        email_rows=EMAIL_BUDGET_ROWS,
        empty=f"No budget is in force in {period} for this scope.",
    )
