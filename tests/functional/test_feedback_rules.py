"""A: leaders require feedback; within seconds the covered campaigns show it (stream sweeps)."""

from __future__ import annotations

import pytest


def test_a_category_rule_locks_approved_campaigns_of_that_category_only(api, company, flow, streams):
    tasting, display = flow.approved(), flow.approved(category="display")
    assert tasting["reimbursement"]["status"] == "unlocked"
    rule = flow.rule(scope="category", category="tasting", due_days=10)
    streams.run_rules(company.root)
    t, d = flow.campaign(tasting["id"]), flow.campaign(display["id"])
    assert t["feedback"]["required"] is True and t["feedback"]["required_by"] == "category"
    assert t["feedback"]["due_date"] == "2026-11-13" and t["reimbursement"]["status"] == "locked"
    assert d["feedback"]["required"] is False and d["reimbursement"]["status"] == "unlocked"
    # WHEN the rule is deleted THEN the campaign is free again
    assert api.delete(f"/feedback-rules/{rule['id']}", company.leader).status_code == 204
    streams.run_rules(company.root)
    t = flow.campaign(tasting["id"])
    assert t["feedback"]["required"] is False and t["reimbursement"]["status"] == "unlocked"


def test_the_most_specific_rule_sets_the_due_date(api, company, flow, streams):
    c = flow.approved()
    flow.rule(scope="all", due_days=30)
    flow.rule(scope="category", category="tasting", due_days=10)
    own = flow.rule(scope="campaign", campaign_id=c["id"], due_days=2, min_photos=1)
    streams.run_rules(company.root)
    fb = flow.campaign(c["id"])["feedback"]
    assert (fb["required_by"], fb["due_date"], fb["min_photos"]) == ("campaign", "2026-11-05", 1)
    api.delete(f"/feedback-rules/{own['id']}", company.leader)
    streams.run_rules(company.root)
    fb = flow.campaign(c["id"])["feedback"]
    assert (fb["required_by"], fb["due_date"]) == ("category", "2026-11-13")


def test_rules_never_touch_reimbursed_campaigns(api, company, flow, streams):
    c = flow.approved()
    api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    flow.rule(scope="all")
    streams.run_rules(company.root)
    after = flow.campaign(c["id"])
    assert after["reimbursement"]["status"] == "reimbursed" and after["feedback"]["required"] is False


def test_an_all_rule_sweeps_many_campaigns_page_by_page(api, company, flow, streams, monkeypatch):
    import chalicelib.logic.rules as rules

    monkeypatch.setattr(rules, "SWEEP_PAGE", 2)
    ids = [flow.approved()["id"] for _ in range(5)]
    flow.rule(scope="all", due_days=3)
    delivered = streams.run_rules(company.root)
    assert delivered >= 4  # the rule, the sweep start, and one record per further page
    assert all(flow.campaign(i)["reimbursement"]["status"] == "locked" for i in ids)


def test_rule_records_redelivered_change_nothing_more(api, company, flow, streams):
    c = flow.approved()
    flow.rule(scope="all")
    streams.run_rules(company.root)
    before = flow.campaign(c["id"])
    records = streams.records(
        "rules", lambda r: (r["dynamodb"].get("NewImage") or {}).get("tenant", {}).get("S") == company.root
    )
    assert streams.invoke("on_rule_change", records) == {"batchItemFailures": []}
    assert flow.campaign(c["id"]) == before


def test_a_rule_already_in_force_is_shown_on_new_applications(api, company, flow, streams):
    flow.rule(scope="category", category="roadshow", due_days=4)
    c = flow.draft(category="roadshow")
    assert c["feedback"]["required"] is True and c["feedback"]["due_date"] == "2026-11-07"


def test_rule_validation_and_listing(api, company, flow):
    r = api.post("/feedback-rules", company.leader, {"scope": "category"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "category"
    r = api.post("/feedback-rules", company.leader, {"scope": "campaign", "campaign_id": "NOPE"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "campaign_id"
    r = api.post("/feedback-rules", company.leader, {"scope": "everything"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "scope"
    made = flow.rule(scope="all", due_days=14)
    assert made["due_days"] == 14 and made["min_photos"] == 0
    listed = api.get("/feedback-rules", company.rep).json["items"]
    assert [x["id"] for x in listed] == [made["id"]]
    assert api.delete("/feedback-rules/NOPE", company.leader).status_code == 404


@pytest.mark.parametrize("role", ["rep", "manager", "finance"])
def test_only_leaders_set_rules(api, company, role):
    token = {"rep": company.rep, "manager": company.manager, "finance": company.finance}[role]
    assert api.post("/feedback-rules", token, {"scope": "all"}).status_code == 403


def test_a_rule_binds_submit_and_settlement_before_its_sweep_has_run(api, company, flow):
    """A leader requires 5 photos; seconds later, before any sweep, the rep submits with none."""
    c = flow.approved()
    flow.rule(scope="campaign", campaign_id=c["id"], min_photos=5)  # no stream delivered
    assert flow.campaign(c["id"])["feedback"]["required"] is False  # the stored view is stale
    api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"actual_spend": 1000, "actual_sales": 5000})
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "attachments", r.json
    settle = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert settle.status_code == 409 and settle.json["code"] == "feedback_required", settle.json


def test_a_rep_lists_company_policy_and_the_rules_of_their_own_campaigns_only(api, company, flow):
    mine, theirs = flow.approved(), flow.approved(token=company.rep_west, approver=company.west_manager)
    flow.rule(scope="category", category="tasting")
    own = flow.rule(scope="campaign", campaign_id=mine["id"])
    other = flow.rule(scope="campaign", campaign_id=theirs["id"])
    seen = {r["id"] for r in api.get("/feedback-rules", company.rep).json["items"]}
    assert own["id"] in seen and other["id"] not in seen and len(seen) == 2
    west = {r["id"] for r in api.get("/feedback-rules", company.west_manager).json["items"]}
    assert other["id"] in west and own["id"] not in west
    assert len(api.get("/feedback-rules", company.leader).json["items"]) == 3


@pytest.mark.parametrize(
    "body",
    [{"scope": "category", "category": "tasting"}, {"scope": "all"}, {"scope": "campaign", "campaign_id": None}],
)
def test_one_rule_per_scope_and_target_and_a_second_names_the_one_in_force(api, company, flow, body):
    """A leader creating the same rule twice got two identical rows and no word of which applied."""
    if body["scope"] == "campaign":
        body = {**body, "campaign_id": flow.approved()["id"]}
    first = flow.rule(**body, due_days=7)
    again = api.post("/feedback-rules", company.leader, {**body, "due_days": 3})
    assert again.status_code == 409, again.json
    assert again.json["code"] == "rule_exists" and again.json["rule_id"] == first["id"]
    assert [r["id"] for r in api.get("/feedback-rules", company.leader).json["items"]] == [first["id"]]
    # a rule is changed by deleting it and creating another
    assert api.delete(f"/feedback-rules/{first['id']}", company.leader).status_code == 204
    second = api.post("/feedback-rules", company.leader, {**body, "due_days": 3})
    assert second.status_code == 201 and second.json["due_days"] == 3


def test_two_leaders_creating_the_same_rule_at_once_make_one(company):
    from chalicelib.domain.access import Principal
    from chalicelib.logic.rules import create_rule
    from tests.functional.test_concurrency import race

    leader = Principal(company.sub("leader"), "leader", company.root)
    for category in ("tasting", "display", "roadshow"):
        body = {"scope": "category", "category": category}
        outcomes = race(*[lambda body=body: create_rule(leader, body) for _ in range(3)])
        assert sorted(o[0] for o in outcomes) == ["conflict", "conflict", "ok"], outcomes
        assert {o[1] for o in outcomes if o[0] == "conflict"} == {"rule_exists"}
