"""The worklists: B (my feedback requests), D (all feedback) and E (all feedback requests)."""

from __future__ import annotations

from chalicelib.clock import business_today


def ids(r):
    return [x["campaign_id"] for x in r.json["items"]]


def test_b_lists_my_approved_campaigns_awaiting_feedback_soonest_due_first(api, company, flow, streams):
    late = flow.approved(start_date="2026-10-01", end_date="2026-10-02")
    soon = flow.approved(start_date="2026-11-20", end_date="2099-11-21")
    flow.approved(token=company.rep2)  # someone else's
    flow.submitted()  # not approved yet
    flow.rule(scope="all", due_days=7)
    streams.run_rules(company.root)
    r = api.get("/me/feedback-requests", company.rep)
    assert r.status_code == 200 and ids(r) == [late["id"], soon["id"]]
    first = r.json["items"][0]
    assert first["status"] == "overdue" and first["due_date"] == "2026-10-09" and first["days_overdue"] > 0
    assert r.json["items"][1]["status"] == "pending"
    # WHEN feedback is submitted THEN the request leaves the to-do list
    flow.submit_feedback(late["id"])
    assert ids(api.get("/me/feedback-requests", company.rep)) == [soon["id"]]


def test_e_filters_pending_overdue_and_submitted_within_the_callers_scope(api, company, flow, streams):
    overdue = flow.approved(end_date="2026-11-02")
    pending = flow.approved(end_date="2099-01-01", start_date="2026-11-01")
    west = flow.approved(token=company.rep_west, approver=company.leader, end_date="2026-11-02")
    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    done = flow.approved(end_date="2026-11-02")
    flow.submit_feedback(done["id"])
    r = api.get("/feedback-requests?status=overdue", company.manager)  # CO/EAST
    assert ids(r) == [overdue["id"]] and r.json["items"][0]["days_overdue"] > 0
    assert ids(api.get("/feedback-requests?status=pending", company.manager)) == [pending["id"]]
    assert ids(api.get("/feedback-requests?status=submitted", company.manager)) == [done["id"]]
    assert ids(api.get("/feedback-requests", company.manager)) == [overdue["id"], pending["id"]]
    everyone = ids(api.get("/feedback-requests?status=overdue", company.leader))
    assert set(everyone) == {overdue["id"], west["id"]}
    assert ids(api.get(f"/feedback-requests?org={company.zj}", company.leader)) == []
    r = api.get("/feedback-requests?due_before=2026-11-05&due_after=2026-11-01", company.leader)
    assert set(ids(r)) == {overdue["id"], west["id"]}
    assert ids(api.get(f"/feedback-requests?owner={company.sub('rep_west')}", company.leader)) == [west["id"]]
    assert ids(api.get("/feedback-requests?category=display", company.leader)) == []


def test_d_lists_submitted_feedback_newest_first_with_figures(api, company, flow, streams):
    a, b = flow.approved(), flow.approved(category="display")
    flow.approved()  # no feedback
    flow.submit_feedback(a["id"], actual_spend=100000, actual_sales=500000)
    flow.submit_feedback(b["id"], actual_spend=50000, actual_sales=0)
    r = api.get("/feedback", company.manager)
    assert ids(r) == [b["id"], a["id"]]
    row = r.json["items"][1]
    assert row["kind"] == "active" and row["plan_vs_actual"]["roi"] == 4.0
    assert r.json["items"][0]["plan_vs_actual"]["actual_cost_ratio"] is None
    assert ids(api.get("/feedback?category=display", company.leader)) == [b["id"]]
    assert ids(api.get(f"/feedback?org={company.js}", company.leader)) == [b["id"], a["id"]]
    assert ids(api.get(f"/feedback?org={company.west}", company.leader)) == []
    assert ids(api.get("/feedback?kind=passive", company.leader)) == []
    today = business_today()
    assert len(ids(api.get(f"/feedback?submitted_from={today}&submitted_to={today}", company.leader))) == 2
    assert ids(api.get("/feedback?submitted_to=2020-01-01", company.leader)) == []
    assert ids(api.get("/feedback", company.rep2)) == []


def test_campaign_lists_are_scoped_filtered_and_paginated(api, company, flow):
    mine = [flow.draft()["id"] for _ in range(5)]
    submitted = flow.submitted(token=company.rep2)["id"]
    west = flow.draft(token=company.rep_west, category="display")["id"]
    seen, cursor = [], None
    while True:
        r = api.get("/campaigns?limit=2" + (f"&cursor={cursor}" if cursor else ""), company.rep)
        assert r.status_code == 200 and len(r.json["items"]) <= 2
        seen += [c["id"] for c in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(mine))  # newest first, each once
    assert {c["id"] for c in api.get("/campaigns", company.manager).json["items"]} == set(mine) | {submitted}
    assert [c["id"] for c in api.get("/campaigns?status=submitted", company.manager).json["items"]] == [submitted]
    assert [c["id"] for c in api.get("/campaigns?category=display", company.leader).json["items"]] == [west]
    assert [c["id"] for c in api.get(f"/campaigns?org={company.zj}", company.leader).json["items"]] == [submitted]
    by_customer = api.get("/campaigns?customer_id=CUST-1&from=2026-11-01&to=2026-11-01", company.leader)
    assert len(by_customer.json["items"]) == 7
    assert api.get("/campaigns?customer_id=CUST-1&from=2026-11-02", company.leader).json["items"] == []
    owner = company.sub("rep2")
    assert [c["id"] for c in api.get(f"/campaigns?owner={owner}", company.manager).json["items"]] == [submitted]
    assert api.get(f"/campaigns?owner={owner}", company.rep).status_code == 403
