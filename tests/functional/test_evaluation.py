"""Summary report, campaign evaluation and customer history, read from stream-kept roll-ups."""

from __future__ import annotations

import pytest

from tests.functional.test_rollups import campaign_records, deliver


def about_roi(roi: float):
    """A median ROI read from a sketch: within ±1 % of 1 + ROI (a small group's is exact)."""
    return pytest.approx(roi, abs=0.01 * (1 + roi))


def sync(streams, company) -> None:
    assert deliver(streams, campaign_records(streams, company.root)) == {"batchItemFailures": []}


def rows_by_group(resp) -> dict:
    assert resp.status_code == 200, resp.json
    return {row["group"]: row for row in resp.json["items"]}


@pytest.fixture
def seeded(api, company, flow, streams):
    """EAST/JS: two tastings (one fed back), EAST/ZJ: a display, WEST/SC: a roadshow; November."""
    a = flow.approved(amount=150000)
    flow.submit_feedback(a["id"], actual_spend=100000, actual_sales=500000)
    b = flow.approved(amount=120000, customer={"id": "CUST-2", "name": "Jinying"})
    c = flow.approved(amount=90000, token=company.rep2, category="display")
    d = flow.approved(amount=80000, token=company.rep_west, approver=company.west_manager, category="roadshow")
    sync(streams, company)
    return {"a": a, "b": b, "c": c, "d": d}


def test_summary_by_category_adds_up_the_company_for_a_leader(api, company, seeded):
    rows = rows_by_group(api.get("/reports/summary?group_by=category&from=2026-11&to=2026-11", company.leader))
    assert set(rows) == {"tasting", "display", "roadshow"}
    tasting = rows["tasting"]
    assert tasting["campaigns"] == 2 and tasting["approved_amount"] == 270000
    assert tasting["expected_spend"] == 400000 and tasting["actual_spend"] == 100000
    assert tasting["actual_sales"] == 500000 and tasting["roi"] == 4.0 and tasting["actual_cost_ratio"] == 0.2
    assert tasting["expected_cost_ratio"] == 0.2
    assert tasting["feedback"] == {"passive": 0, "active": 1, "pending": 0, "overdue": 0}
    assert tasting["reimbursed_amount"] == 0


def test_summary_is_scoped_to_the_callers_subtree(api, company, seeded):
    east = rows_by_group(api.get("/reports/summary?group_by=province&from=2026-11&to=2026-11", company.manager))
    assert set(east) == {company.js, company.zj}
    js_only = rows_by_group(
        api.get("/reports/summary?group_by=region&from=2026-11&to=2026-11", company.province_manager)
    )
    assert set(js_only) == {company.east} and js_only[company.east]["campaigns"] == 2
    west = rows_by_group(api.get("/reports/summary?group_by=category&from=2026-11&to=2026-11", company.west_manager))
    assert set(west) == {"roadshow"}
    mine = rows_by_group(api.get("/reports/summary?group_by=owner&from=2026-11&to=2026-11", company.rep2))
    assert set(mine) == {company.sub("rep2")} and mine[company.sub("rep2")]["campaigns"] == 1
    by_customer = rows_by_group(
        api.get("/reports/summary?group_by=customer&from=2026-11&to=2026-11", company.province_manager)
    )
    assert set(by_customer) == {"CUST-1", "CUST-2"} and by_customer["CUST-2"]["name"] == "Jinying"


def test_summary_by_month_and_an_empty_period(api, company, seeded):
    rows = rows_by_group(api.get("/reports/summary?group_by=month&from=2026-10&to=2026-12", company.leader))
    assert set(rows) == {"2026-11"} and rows["2026-11"]["campaigns"] == 4
    assert rows_by_group(api.get("/reports/summary?group_by=region&from=2025-01&to=2025-02", company.leader)) == {}


@pytest.mark.parametrize(
    "query, field",
    [
        ("group_by=colour", "group_by"),
        ("", "group_by"),
        ("group_by=category&from=2026-13", "from"),
        ("group_by=category&from=2026-1&to=2026-02", "from"),
        ("group_by=category&from=2026-11&to=2026-10", "from"),
        ("group_by=category&from=2020-01&to=2026-10", "to"),
    ],
)
def test_a_bad_grouping_or_period_is_a_400_naming_the_field(api, company, query, field):
    r = api.get(f"/reports/summary?{query}", company.leader)
    assert r.status_code == 400, r.json
    assert r.json["code"] == "validation_error" and r.json["errors"][0]["field"] == field


def test_overdue_and_pending_feedback_depend_on_the_day_it_is_read(api, company, flow, streams):
    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    flow.approved(start_date="2026-01-05", end_date="2026-01-06")  # due long ago
    flow.approved(start_date="2026-01-07", end_date="2099-01-08")  # due far ahead
    sync(streams, company)
    rows = rows_by_group(api.get("/reports/summary?group_by=month&from=2026-01&to=2026-01", company.leader))
    assert rows["2026-01"]["feedback"] == {"passive": 0, "active": 0, "pending": 1, "overdue": 1}


def test_evaluation_gives_figures_and_the_category_benchmark_of_the_region(api, company, flow, streams):
    from chalicelib.logic.evaluation import current_month

    month = current_month()
    ids = []
    for spend, sales in ((100000, 200000), (100000, 300000), (100000, 500000)):
        c = flow.approved(start_date=f"{month}-01", end_date=f"{month}-02")
        flow.submit_feedback(c["id"], actual_spend=spend, actual_sales=sales)
        ids.append(c["id"])
    other = flow.approved(
        token=company.rep_west, approver=company.west_manager, start_date=f"{month}-01", end_date=f"{month}-02"
    )
    flow.submit_feedback(other["id"], token=company.rep_west, actual_spend=1, actual_sales=1000000)
    sync(streams, company)
    r = api.get(f"/campaigns/{ids[2]}/evaluation", company.rep)
    assert r.status_code == 200, r.json
    assert r.json["plan_vs_actual"]["roi"] == 4.0 and r.json["plan_vs_actual"]["actual_cost_ratio"] == 0.2
    bench = r.json["benchmark"]
    assert bench["category"] == "tasting" and bench["region"] == company.east and bench["campaigns"] == 3
    assert bench["median_roi"] == 2.0  # ROIs 1, 2, 4: median 2, exactly (a small group)
    assert bench["median_cost_ratio"] == 0.3333
    assert bench["roi_percentile"] > 80 and bench["cost_ratio_percentile"] < 20
    assert api.get(f"/campaigns/{ids[0]}/evaluation", company.rep_west).status_code == 403


def test_customer_history_lists_past_campaigns_with_a_summary(api, company, flow, streams):
    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    done = flow.approved(start_date="2026-03-01", end_date="2026-03-02")
    flow.submit_feedback(done["id"], actual_spend=100000, actual_sales=400000)
    flow.approved(start_date="2026-04-01", end_date="2026-04-02")  # required, overdue
    flow.approved(token=company.rep_west, approver=company.west_manager)  # same customer, WEST
    sync(streams, company)
    r = api.get("/customers/CUST-1/history", company.manager)
    assert r.status_code == 200, r.json
    assert len(r.json["items"]) == 2 and all("plan_vs_actual" in c for c in r.json["items"])
    s = r.json["summary"]
    assert s["campaigns"] == 2 and s["actual_spend"] == 100000 and s["actual_sales"] == 400000
    assert s["feedback_compliance_rate"] == 0.5 and s["median_roi"] == about_roi(3.0)
    assert api.get("/customers/CUST-1/history", company.leader).json["summary"]["campaigns"] == 3
    mine = api.get("/customers/CUST-1/history", company.rep_west).json
    assert mine["summary"]["campaigns"] == 1 and len(mine["items"]) == 1


def test_the_approver_sees_the_customers_history_before_and_on_approval(api, company, flow, streams):
    done = flow.approved(start_date="2026-03-01", end_date="2026-03-02")
    flow.submit_feedback(done["id"], actual_spend=100000, actual_sales=400000)
    sync(streams, company)
    pending = flow.submitted()
    seen = api.get(f"/campaigns/{pending['id']}", company.manager).json
    assert seen["customer_history"]["campaigns"] == 1 and seen["customer_history"]["actual_sales"] == 400000
    assert "customer_history" not in api.get(f"/campaigns/{pending['id']}", company.rep).json
    approved = api.post(f"/campaigns/{pending['id']}/approve", company.manager, {"approved_amount": 1000})
    assert approved.status_code == 200 and approved.json["customer_history"]["median_roi"] == about_roi(3.0)


def test_the_approval_card_median_agrees_with_the_past_campaigns_it_lists(api, company, flow, streams):
    """Two past campaigns that both show ROI 700.0 % and a cost ratio of 12.50 %: the card's
    medians say the same (the histograms said 649.9 % and 13.34 %)."""
    for spend in (100000, 200000):
        past = flow.approved(customer={"id": "SUGUO", "name": "Suguo"})
        fb = flow.submit_feedback(past["id"], actual_spend=spend, actual_sales=8 * spend)
        assert (fb["plan_vs_actual"]["roi"], fb["plan_vs_actual"]["actual_cost_ratio"]) == (7.0, 0.125)
    sync(streams, company)
    new = flow.submitted(customer={"id": "SUGUO", "name": "Suguo"}, start_date="2026-11-20", end_date="2026-11-21")
    card = api.get(f"/campaigns/{new['id']}/approval-card", company.manager).json
    summary = card["customer"]["summary"]
    assert (summary["median_roi"], summary["median_cost_ratio"]) == (7.0, 0.125)
    history = api.get("/customers/SUGUO/history", company.manager).json["items"]
    assert [c["plan_vs_actual"]["roi"] for c in history if c["id"] != new["id"]] == [7.0, 7.0]
