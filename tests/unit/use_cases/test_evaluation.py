"""Evaluation: the roll-ups the campaigns stream keeps, the summary report over them, a
campaign's benchmark and a customer's history (chalicelib.logic.evaluation, logic.rollups)."""

from __future__ import annotations

import pytest

from chalicelib.dal import repos
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import campaigns, evaluation
from chalicelib.logic.rollups import apply_campaign_change
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    OUTSIDER,
    REGION,
    REP,
    REP_WEST,
    REP_ZJ,
    WEST,
    approved,
    current,
    draft,
    fed_back,
    refused,
    rule,
    submitted,
)


def rolled_up(*campaign_ids: str) -> None:
    """The roll-ups as the campaigns stream leaves them once these campaigns are as they are now."""
    for campaign_id in campaign_ids:
        apply_campaign_change(f"seed-{campaign_id}", None, current(campaign_id))


def rows(who, group_by: str, first: str = "2026-11", last: str = "2026-11") -> dict[str, dict]:
    return {r["group"]: r for r in evaluation.summary(who, group_by, first, last)["items"]}


@pytest.fixture
def three_offices():
    """Approved campaigns in Jiangsu (tasting, fed back), Zhejiang (display) and Sichuan
    (tasting), plus a draft and a cancelled application that count nowhere."""
    js = fed_back(amount=180000, spend=150000)
    zj = approved(amount=100000, owner=REP_ZJ, category="display", customer={"id": "RT-HZ", "name": "RT-Mart"})
    sc = approved(amount=50000, owner=REP_WEST, approver=WEST)
    gone = campaigns.cancel_campaign(REP, approved().id, "off")
    rolled_up(js.id, zj.id, sc.id, gone.id, draft().id)
    return js, zj, sc


# -- the roll-ups --------------------------------------------------------------------------------
def test_roll_ups_apply_each_change_once_and_feed_the_summary():
    # GIVEN the stream record of an approval WHEN it is delivered twice THEN it counts once;
    # a record that moves no figure changes nothing; the summary shows the approval to whom may see it
    d = draft()
    before = current(d.id)
    campaigns.submit_campaign(REP, d.id)
    after = campaigns.approve_campaign(REGION, d.id, 180000, None)
    assert apply_campaign_change("E1", before, after) == "applied"
    assert apply_campaign_change("E1", before, after) == "duplicate"
    assert apply_campaign_change("E2", after, after) == "unchanged"
    assert [(g, r["campaigns"], r["approved_amount"]) for g, r in rows(LEADER, "category").items()] == [
        ("tasting", 1, 180000)
    ]
    assert rows(REP_WEST, "category") == {}


def test_a_cancelled_campaign_leaves_the_figures():
    # GIVEN an approved campaign in the roll-ups WHEN it is cancelled THEN it counts nowhere
    c = approved(amount=180000)
    rolled_up(c.id)
    cancelled = campaigns.cancel_campaign(REP, c.id, "off")
    assert apply_campaign_change("E-cancel", c, cancelled) == "applied"
    tasting = rows(LEADER, "category")["tasting"]
    assert (tasting["campaigns"], tasting["approved_amount"], tasting["expected_spend"]) == (0, 0, 0)


# -- the summary ---------------------------------------------------------------------------------
def test_the_summary_groups_approved_campaigns_by_category_region_and_province(three_offices):
    # GIVEN approved campaigns in three provinces THEN each grouping adds them up, the rest leaves them out
    by_category = rows(LEADER, "category")
    assert {g: (r["campaigns"], r["approved_amount"]) for g, r in by_category.items()} == {
        "display": (1, 100000),
        "tasting": (2, 230000),
    }
    assert {g: r["campaigns"] for g, r in rows(LEADER, "region").items()} == {"CN/EAST": 2, "CN/WEST": 1}
    assert list(rows(LEADER, "province")) == ["CN/EAST/JS", "CN/EAST/ZJ", "CN/WEST/SC"]
    assert list(rows(FINANCE, "month")) == ["2026-11"]


def test_the_summary_names_owners_and_customers(three_offices):
    # THEN owner and customer rows carry the names the campaigns carry
    owners = rows(LEADER, "owner")
    assert owners[REP.sub]["name"] == "Li Lei" and owners[REP_ZJ.sub]["name"] == "Han Meimei"
    assert rows(LEADER, "customer")["RT-HZ"]["name"] == "RT-Mart"


def test_each_role_summarises_only_its_scope(three_offices):
    # THEN the East's manager sees the East, a rep themselves, another company nothing;
    # customer roll-ups are per org, so a rep may not group by customer
    assert list(rows(REGION, "province")) == ["CN/EAST/JS", "CN/EAST/ZJ"]
    assert list(rows(REP, "owner")) == [REP.sub]
    assert rows(OUTSIDER, "category") == {}
    assert refused(evaluation.summary, REP, "customer", None, None).answer == (403, "forbidden")


def test_plan_against_actual_counts_actuals_over_the_campaigns_fed_back(three_offices):
    # GIVEN two tastings, one fed back (1,500 spent, 9,000 sold) THEN plans count both, actuals the one
    tasting = rows(LEADER, "category")["tasting"]
    assert (tasting["expected_spend"], tasting["actual_spend"], tasting["actual_sales"]) == (400000, 150000, 900000)
    assert (tasting["fed_back"], tasting["roi"], tasting["actual_cost_ratio"]) == (1, 5.0, 0.1667)
    assert (tasting["median_roi"], tasting["median_cost_ratio"]) == (5.0, 0.1667)  # its own, exactly


def test_feedback_compliance_counts_delivered_against_overdue_as_of_today(clock):
    # GIVEN required feedback delivered, overdue (due 10 November) and not yet due
    # THEN compliance is delivered ÷ (delivered + overdue); pending counts neither way
    rule(scope="all", due_days=7)
    delivered = fed_back()
    overdue = approved()  # due 11-10
    pending = approved(start_date="2026-11-25", end_date="2026-11-26")
    rolled_up(delivered.id, overdue.id, pending.id)
    row = rows(LEADER, "category")["tasting"]
    assert row["feedback"] == {"passive": 1, "active": 0, "pending": 1, "overdue": 1}
    assert row["feedback_compliance_rate"] == 0.5
    # AND on the 9th nothing was overdue yet
    clock.set("2026-11-09")
    assert rows(LEADER, "category")["tasting"]["feedback"]["overdue"] == 0


def test_a_summary_period_is_whole_months_in_order_and_at_most_three_years():
    # WHEN the period is no month, runs backwards, spans 37 months, or the grouping is unknown THEN named
    assert refused(evaluation.summary, LEADER, "category", "2026-13", "2026-11").codes == [("from", "not_a_month")]
    assert refused(evaluation.summary, LEADER, "category", "2026-11", "2026-10").codes == [("from", "start_after_end")]
    assert refused(evaluation.summary, LEADER, "category", "2023-01", "2026-01").codes == [("to", "period_too_long")]
    assert refused(evaluation.summary, LEADER, "colour", None, None).codes == [("group_by", "not_one_of")]
    assert evaluation.summary(LEADER, "category", None, None)["from"] == "2026-11"  # this month by default


# -- one campaign's evaluation and a customer's history ---------------------------------------------
def test_a_campaign_is_benchmarked_against_its_category_in_its_region_over_a_year():
    # GIVEN two earlier East tastings this year, one in the West, and this one
    # THEN it is compared with the East's three, and its ROI stands in the middle
    earlier = [fed_back(spend=s, start_date=d, end_date=d) for s, d in ((100000, "2026-03-02"), (300000, "2026-06-01"))]
    elsewhere = fed_back(owner=REP_WEST, approver=WEST)  # another region
    c = fed_back(spend=150000)
    rolled_up(*(x.id for x in earlier), elsewhere.id, c.id)
    shown, bench = evaluation.evaluate_campaign(REP, c.id)
    assert shown.id == c.id
    assert (bench["category"], bench["region"], bench["from"], bench["to"]) == (
        "tasting",
        "CN/EAST",
        "2025-12",
        "2026-11",
    )
    assert (bench["campaigns"], bench["fed_back"]) == (3, 3)
    assert bench["roi_percentile"] == 50.0 and bench["median_roi"] == 5.0  # the middle of 8.0, 5.0 and 2.0


def test_a_customers_history_lists_what_the_caller_may_see_with_its_summary():
    # GIVEN two reps' campaigns at the same store THEN the region manager sees both, a rep their own
    mine = fed_back()
    theirs = approved(owner=REP_ZJ)
    rolled_up(mine.id, theirs.id)
    page, summary = evaluation.customer_history(REGION, "SUGUO-XJK", PageRequest())
    assert {c.id for c in page.items} == {mine.id, theirs.id}
    assert (summary["campaigns"], summary["approved_amount"], summary["fed_back"]) == (2, 360000, 1)
    page, summary = evaluation.customer_history(REP, "SUGUO-XJK", PageRequest())
    assert [c.id for c in page.items] == [mine.id] and summary["campaigns"] == 1


def test_an_approver_sees_the_customers_history_beside_an_application_and_the_applicant_does_not():
    # GIVEN an application THEN the region manager sees the store's history; the rep and the West do not
    c = submitted()
    assert evaluation.approval_context(REGION, c)["campaigns"] == 0
    assert evaluation.approval_context(REP, c) is None
    assert evaluation.approval_context(WEST, c) is None


def test_roll_ups_know_every_company_with_an_approved_campaign():
    # GIVEN an approved campaign rolled up THEN the schedules know its company
    assert repos.rollups().tenants() == []
    rolled_up(approved().id)
    assert repos.rollups().tenants() == ["CN"]
