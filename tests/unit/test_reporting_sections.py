"""What a compiled report says, built by report_data from roll-up metrics and an overdue
worklist held in memory (no AWS): every figure agrees with the section that details it.

`sample_report()` is shared by the other tests/unit/test_reporting_*.py files.
"""
from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.logic import reports

TENANT = "ACME"
PERIOD = "2026-11"
TODAY = "2026-11-23"
# Roll-up metrics as the stream keeps them (money in fen). November: a tasting fed back with
# ROI 4, a display at break-even, an in-store promotion of ¥17,600.00 approved and not fed back
# although required (overdue since 2026-11-04); October: one campaign still overdue.
TASTING = {"campaigns": 2, "approved_amount": 270000, "expected_spend": 400000, "expected_sales": 2000000,
           "fed_back": 1, "actual_spend": 100000, "actual_sales": 500000, "passive": 1, "required": 1,
           "roi#60": 1, "cr#38": 1}
DISPLAY = {"campaigns": 1, "approved_amount": 90000, "expected_spend": 90000, "expected_sales": 300000,
           "fed_back": 1, "actual_spend": 90000, "actual_sales": 90000, "active": 1, "roi#49": 1, "cr#49": 1}
PROMOTION = {"campaigns": 1, "approved_amount": 1760000, "expected_spend": 1760000, "expected_sales": 5000000,
             "required": 1, "due#2026-11-04": 1}
OCTOBER = {"campaigns": 1, "approved_amount": 50000, "expected_spend": 50000, "expected_sales": 100000,
           "required": 1, "due#2026-10-06": 1}


def _sum(*parts: dict) -> dict:
    out: dict = {}
    for p in parts:
        for k, v in p.items():
            out[k] = out.get(k, 0) + v
    return out


NOVEMBER = _sum(TASTING, DISPLAY, PROMOTION)
GROUPS = {
    "month": {"2026-10": (OCTOBER, None), "2026-11": (NOVEMBER, None)},
    "category": {"tasting": (TASTING, None), "display": (DISPLAY, None), "in_store_promotion": (PROMOTION, None)},
    "region": {f"{TENANT}/EAST": (_sum(TASTING, DISPLAY), None), f"{TENANT}/WEST": (PROMOTION, None)},
    "owner": {"rep-1": (TASTING, "李雷"), "rep-2": (DISPLAY, "韩梅梅"), "rep-3": (PROMOTION, "Wang Wu")},
}
OVERDUE_ITEMS = [
    {"campaign_id": "01OCT", "title": "October roadshow", "owner": "Wang Wu", "owner_id": "rep-3",
     "owner_email": None, "org": f"{TENANT}/WEST/SC", "customer": "Jinying", "start_date": "2026-10-01",
     "due_date": "2026-10-06", "days_overdue": 48},
    {"campaign_id": "01NOV", "title": "店内促销 Suguo", "owner": "Wang Wu", "owner_id": "rep-3", "owner_email": None,
     "org": f"{TENANT}/WEST/SC", "customer": "苏果 Xinjiekou", "start_date": "2026-11-01",
     "due_date": "2026-11-04", "days_overdue": 19},
]


@pytest.fixture
def rollups_in_memory(monkeypatch):
    """report_data over GROUPS and OVERDUE_ITEMS instead of DynamoDB."""
    asked = []

    def grouped_rows(scope, group_by, first, last):
        asked.append((group_by, first, last))
        return {g: v for g, v in GROUPS[group_by].items() if group_by != "month" or first <= g <= last}

    def search_feedback_requests(principal, filters, page, today=None):
        from chalicelib.domain.pages import Page
        from chalicelib.domain.campaign import Campaign, RuleRef

        items = []
        for o in OVERDUE_ITEMS:
            due = o["due_date"]
            if (filters.due_after or "0") <= due <= (filters.due_before or "9"):
                end = (dt.date.fromisoformat(due) - dt.timedelta(days=2)).isoformat()
                items.append(Campaign(
                    id=o["campaign_id"], org=o["org"], owner_id=o["owner_id"], owner_name=o["owner"],
                    title=o["title"], category="roadshow", customer_id="C", customer_name=o["customer"],
                    start_date=o["start_date"], end_date=end, expected_spend=1, expected_sales=1,
                    requested_amount=1, created_at="", updated_at="", status="approved",
                    rule=RuleRef("R", "all", due_days=2)))
        return Page(items=items)

    monkeypatch.setattr(reports, "grouped_rows", grouped_rows)
    monkeypatch.setattr("chalicelib.logic.feedback.search_feedback_requests", search_feedback_requests)
    return asked


def sample_report(today: str = TODAY):
    return reports.report_data(TENANT, TENANT, PERIOD, "final", today)


def test_the_title_says_what_kind_of_report_it_is(rollups_in_memory):
    assert sample_report().title == "Huixiang campaign report 2026-11 (final report) — ACME"
    assert reports.report_data(TENANT, TENANT, PERIOD, "on_demand", TODAY).title.endswith("(on demand) — ACME")


def test_the_overdue_figure_is_the_one_the_overdue_section_lists(rollups_in_memory):
    # GIVEN November's roll-ups count one overdue feedback, and the worklist also holds an October one
    data = sample_report()
    overdue = data.section("overdue")
    # THEN the headline, the section's title count, its list and every total row say the same
    assert data.figure("overdue").value == overdue.size == len(overdue.rows) == 1
    assert [o["campaign_id"] for o in overdue.rows] == ["01NOV"]
    assert data.section("category").total["overdue"] == data.section("region").total["overdue"] == 1
    assert sum(r["overdue"] for r in data.section("category").rows) == 1
    # AND the October campaign is counted where October is shown: the trend, and its own headline figure
    trend = {r["group"]: r for r in data.section("trend").rows}
    assert trend["2026-10"]["overdue"] == 1 and data.figure("overdue_earlier").value == 1
    assert data.figure("overdue_earlier").section == "trend"


def test_every_headline_figure_names_a_section_that_shows_the_same_value(rollups_in_memory):
    data = sample_report()
    for f in data.headline:
        section = data.section(f.section)
        if f.key == "overdue":
            assert section.size == f.value
        elif f.key == "overdue_earlier":
            assert sum(r["overdue"] for r in section.rows if r["group"] < PERIOD) == f.value
        else:
            assert section.total[f.key] == f.value, f.key


def test_figures_are_as_of_one_instant_in_shanghai(rollups_in_memory):
    data = sample_report("2026-11-03")
    assert data.as_of == dt.datetime(2026, 11, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert data.as_of_text == "2026-11-03 00:00 (Asia/Shanghai)"
    # on 3 November the promotion (due the 4th) is not yet overdue: figures and list agree on that too
    assert data.figure("overdue").value == 0 and data.section("overdue").rows == []
    now = reports.report_data(TENANT, TENANT, PERIOD, "final")
    assert now.as_of.utcoffset() == dt.timedelta(hours=8)
    assert abs((dt.datetime.now(dt.timezone.utc) - now.as_of).total_seconds()) < 5


def test_the_trend_covers_six_months_ending_with_the_period_empty_months_included(rollups_in_memory):
    data = sample_report()
    months = [r["group"] for r in data.section("trend").rows]
    assert months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert data.section("trend").rows[0]["campaigns"] == 0 and data.section("trend").rows[0]["roi"] is None
    assert ("month", "2026-06", "2026-11") in rollups_in_memory


def test_categories_read_as_names_and_reps_rank_by_roi(rollups_in_memory):
    data = sample_report()
    names = {r["group"]: r["name"] for r in data.section("category").rows}
    assert names["in_store_promotion"] == "In-store promotion 店内促销"
    assert [r["name"] for r in data.section("owner").rows] == ["李雷", "韩梅梅", "Wang Wu"]
    assert data.section("region").rows[0]["compliance_rate"] == 1.0
    assert data.section("region").rows[1]["compliance_rate"] == 0.0
