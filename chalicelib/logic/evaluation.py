"""Evaluation: the summary report, a campaign's evaluation with its category benchmark, and a
customer's history. Aggregates come from the roll-ups only, so what they cost depends on the
number of months, org nodes, categories, reps or customers asked about, never on the number
of campaigns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from chalicelib.clock import business_today
from chalicelib.dal import repos
from chalicelib.domain import access, figures
from chalicelib.domain import org as orgs
from chalicelib.domain import rollups as r
from chalicelib.domain.access import Principal, Scope
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import FieldError, Forbidden, InvalidInput, field_error
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import CampaignFilters
from chalicelib.logic.visibility import list_visible, load_visible

GROUP_BY = ("category", "region", "province", "owner", "customer", "month")
_LEVEL = {"region": 2, "province": 3}
MAX_MONTHS = 36
BENCHMARK_MONTHS = 12


def current_month() -> str:
    return business_today()[:7]


def check_period(first: str | None, last: str | None) -> tuple[str, str]:
    """A reporting period of whole months (default: this month), at most MAX_MONTHS long."""
    errors: list[FieldError] = []
    this = current_month()
    first, last = first or last or this, last or first or this
    for name, value in (("from", first), ("to", last)):
        if not _is_month(value):
            errors.append(field_error(name, "not_a_month", "must be a month YYYY-MM"))
    if errors:
        raise InvalidInput(errors)
    if first > last:
        raise InvalidInput.field("from", "start_after_end", "must be on or before to", other="to")
    if len(r.months_between(first, last)) > MAX_MONTHS:
        raise InvalidInput.field(
            "to", "period_too_long", f"a period spans at most {MAX_MONTHS} months", max_months=MAX_MONTHS
        )
    return first, last


def _is_month(value: str) -> bool:
    try:
        return len(value) == 7 and value[4] == "-" and dt.date.fromisoformat(value + "-01") is not None
    except ValueError:
        return False


def _group_of(group_by: str, key: r.RowKey) -> str:
    if group_by == "category":
        return key.category
    if group_by == "month":
        return key.month
    if group_by in _LEVEL:
        return orgs.ancestor(key.org, _LEVEL[group_by]) or key.org
    return key.entity


def grouped_rows(scope: Scope, group_by: str, first: str, last: str) -> dict[str, tuple[dict[str, Any], str | None]]:
    """{group: (summed metrics, display name)} for a scope and period, from the roll-ups."""
    rollups = repos.rollups()
    t = scope.tenant
    if scope.owner is not None:
        if group_by == "customer":
            raise Forbidden("customer roll-ups are kept per org, not per rep; ask for another grouping")
        rows = rollups.entity_rows(t, "owner", scope.owner, first, last)
    elif group_by in ("category", "month"):
        rows = rollups.entity_rows(t, "org", scope.org, first, last)
    elif group_by in _LEVEL:
        level = _LEVEL[group_by]
        if orgs.depth(scope.org) >= level:
            # the scope sits at or below this level: its own rows, labelled with the ancestor
            rows = rollups.entity_rows(t, "org", scope.org, first, last)
        else:
            rows = rollups.period_rows(t, f"org-L{level}", first, last, scope.org)
    else:
        rows = rollups.period_rows(t, group_by, first, last, scope.org)
    out: dict[str, tuple[dict[str, Any], str | None]] = {}
    for key, metrics, label in rows:
        group = _group_of(group_by, key)
        total, name = out.get(group, ({}, None))
        out[group] = (r.add_into(total, metrics), label or name)
    return out


def summary(principal: Principal, group_by: str, first: str | None, last: str | None) -> dict[str, Any]:
    access.require(principal, "report.summary")
    if group_by not in GROUP_BY:
        raise InvalidInput.field(
            "group_by", "not_one_of", f"must be one of: {', '.join(GROUP_BY)}", choices=list(GROUP_BY)
        )
    first, last = check_period(first, last)
    items = summary_rows(access.scope_of(principal), group_by, first, last, business_today())
    return {"group_by": group_by, "from": first, "to": last, "items": items}


def summary_row(group: str, metrics: dict[str, Any], name: str | None, today: str) -> dict[str, Any]:
    """One group's row of a summary (the API's row shape), named when the group has a name."""
    row = r.summary_row(group, metrics, today)
    if name:
        row["name"] = name
    return row


Row = Callable[[str, dict[str, Any], str | None, str], dict[str, Any]]


def summary_rows(
    scope: Scope, group_by: str, first: str, last: str, today: str, row: Row = summary_row
) -> list[dict[str, Any]]:
    """The rows of a summary, one per group, sorted by group; `row(group, metrics, name, today)`
    makes each (the compiled report adds two figures to the API's row)."""
    groups = grouped_rows(scope, group_by, first, last)
    return [row(group, *groups[group], today) for group in sorted(groups)]


def last_months(count: int, until: str | None = None) -> tuple[str, str]:
    last = until or current_month()
    y, m = int(last[:4]), int(last[5:7]) - (count - 1)
    while m <= 0:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}", last


def region_of(org: str) -> str:
    return orgs.ancestor(org, 2) or org


def benchmark(c: Campaign) -> dict[str, Any]:
    """The same category in the same region over the last 12 months, from roll-up histograms."""
    region = region_of(c.org)
    first, last = last_months(BENCHMARK_MONTHS)
    total: dict[str, Any] = {}
    for key, metrics, _ in repos.rollups().entity_rows(orgs.tenant_of(c.org), "org", region, first, last):
        if key.category == c.category:
            r.add_into(total, metrics)
    roi_hist, cost_hist = r.histogram(total, r.ROI), r.histogram(total, r.COST)
    return {
        "category": c.category,
        "region": region,
        "from": first,
        "to": last,
        "campaigns": int(total.get("campaigns", 0)),
        "fed_back": int(total.get("fed_back", 0)),
        **dict(zip(("median_roi", "median_cost_ratio"), r.medians(total), strict=True)),
        "roi_percentile": figures.hist_percentile(roi_hist, figures.roi_bucket(c.actual_sales, c.actual_spend)),
        "cost_ratio_percentile": figures.hist_percentile(
            cost_hist, figures.cost_ratio_bucket(c.actual_spend, c.actual_sales)
        ),
    }


def evaluate_campaign(principal: Principal, campaign_id: str) -> tuple[Campaign, dict[str, Any]]:
    access.require(principal, "campaign.evaluate")
    campaign = load_visible(principal, campaign_id)
    return campaign, benchmark(campaign)


def customer_summary(principal: Principal, customer_id: str) -> dict[str, Any]:
    """campaigns, feedback compliance, spend, sales, median ROI and cost ratio of a customer,
    over every month, within what the caller may see."""
    scope = access.scope_of(principal)
    total: dict[str, Any] = {}
    if scope.owner is not None:
        # a rep's own campaigns for the customer: their contributions, summed as the roll-ups are
        for c in repos.campaigns().of_customer(scope.tenant, customer_id, scope.owner):
            for key, metrics in r.contribution(c).items():
                if key.dim == "customer":
                    r.add_into(total, metrics)
    else:
        for key, metrics, _ in repos.rollups().entity_rows(scope.tenant, "customer", customer_id, "0000-00", "9999-12"):
            if access.covers_org(scope, key.org):
                r.add_into(total, metrics)
    today = business_today()
    row = r.summary_row(customer_id, total, today)  # the same figures as a summary row
    del row["group"], row["reimbursed_amount"]
    return {**row, "feedback_compliance_rate": r.compliance_rate(total, today)}


def customer_history(
    principal: Principal, customer_id: str, page: PageRequest
) -> tuple[Page[Campaign], dict[str, Any]]:
    """The customer's campaigns the caller may see (a page), and the customer's summary."""
    access.require(principal, "customer.history")
    return list_visible(principal, CampaignFilters(customer_id=customer_id), page), customer_summary(
        principal, customer_id
    )


def approval_context(principal: Principal, c: Campaign) -> dict[str, Any] | None:
    """The customer's history summary an approver sees with a campaign (None for others)."""
    if not access.sees_approval_context(principal, c.org, c.owner_id):
        return None
    return customer_summary(principal, c.customer_id)
