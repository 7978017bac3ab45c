"""The whole loop through the HTTP routes and the stream handlers, as the product promises it."""

from __future__ import annotations

from tests.conftest import campaign_body


def test_rep_applies_and_gets_a_draft_owned_by_the_token(api, company):
    r = api.post("/campaigns", company.rep, campaign_body())
    assert r.status_code == 201
    c = r.json
    assert c["status"] == "draft"
    assert c["org"] == company.js and c["owner"] == {"id": company.sub("rep"), "name": "Li Lei"}
    assert c["plan"]["expected_cost_ratio"] == 0.2
    assert c["feedback"] == {**c["feedback"], "required": False, "status": "not_required"}
    assert c["reimbursement"]["status"] == "not_eligible"
    assert api.get(f"/campaigns/{c['id']}", company.rep).json == c


def test_settlement_stays_locked_until_required_feedback_arrives(api, company, flow, streams):
    # GIVEN a leader requires feedback for tastings, and a tasting is approved
    flow.rule(scope="category", category="tasting", due_days=5)
    streams.run_rules(company.root)
    c = flow.approved(amount=180000)
    assert c["feedback"]["required"] is True and c["feedback"]["required_by"] == "category"
    assert c["feedback"]["due_date"] == "2026-11-08"
    assert c["reimbursement"]["status"] == "locked"
    # WHEN finance tries to settle before feedback
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    # THEN it is refused
    assert r.status_code == 409 and r.json["code"] == "feedback_required"
    # WHEN the rep submits feedback with actual spend above the approved amount
    fb = flow.submit_feedback(c["id"], actual_spend=210000, actual_sales=800000)
    assert fb["revision"] == 1 and fb["kind"] == "passive"
    assert fb["plan_vs_actual"]["roi"] == round((800000 - 210000) / 210000, 4)
    # THEN the stream handler unlocks settlement and proposes the capped amount
    assert streams.deliver_feedback(c["id"]) == {"batchItemFailures": []}
    after = flow.campaign(c["id"])
    assert after["reimbursement"]["status"] == "unlocked"
    assert after["reimbursement"]["proposed_amount"] == 180000
    # AND finance settles on actual spend, capped at the approved amount
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {"note": "paid"})
    assert r.status_code == 201
    assert r.json["status"] == "reimbursed" and r.json["amount"] == 180000
    # AND the campaign says who settled it and with what note (not only the audit trail)
    paid = flow.campaign(c["id"], company.rep)["reimbursement"]
    assert paid["by"] == {"id": company.sub("finance"), "name": "Zhou Ba"} and paid["note"] == "paid"
    # AND feedback can no longer change
    r = api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"actual_spend": 1})
    assert r.status_code == 409 and r.json["code"] == "feedback_locked"


def test_settlement_defaults_to_actual_spend_below_the_approved_amount(api, company, flow, streams):
    c = flow.approved(amount=180000)
    assert c["reimbursement"]["status"] == "unlocked"  # nobody required feedback
    flow.submit_feedback(c["id"], actual_spend=120000)
    streams.deliver_feedback(c["id"])
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance)
    assert r.status_code == 201 and r.json["amount"] == 120000
    assert flow.campaign(c["id"])["feedback"]["kind"] == "active"


def test_settlement_without_feedback_pays_the_approved_amount(api, company, flow):
    c = flow.approved(amount=170000)
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert r.status_code == 201 and r.json["amount"] == 170000


def test_settlement_errors(api, company, flow):
    draft = flow.draft()
    r = api.post(f"/campaigns/{draft['id']}/reimbursement", company.finance, {})
    assert r.status_code == 409 and r.json["code"] == "invalid_state"
    c = flow.approved(amount=100000)
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {"amount": 100001})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "amount"
    assert api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {"amount": 90000}).status_code == 201
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert r.status_code == 409 and r.json["code"] == "already_reimbursed"


def test_feedback_revisions_are_kept_as_history(api, company, flow, streams):
    c = flow.approved()
    flow.submit_feedback(c["id"], actual_spend=100000)
    flow.submit_feedback(c["id"], actual_spend=110000)
    r = api.get(f"/campaigns/{c['id']}/feedback/revisions", company.rep)
    assert [(x["revision"], x["actual_spend"]) for x in r.json["items"]] == [(2, 110000), (1, 100000)]
    latest = api.get(f"/campaigns/{c['id']}/feedback", company.manager).json
    assert latest["submitted"]["revision"] == 2 and latest["draft"] is None
    streams.deliver_feedback(c["id"])
    assert flow.campaign(c["id"])["reimbursement"]["proposed_amount"] == 110000


def test_feedback_before_approval_is_refused(api, company, flow):
    c = flow.submitted()
    r = api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"actual_spend": 1})
    assert r.status_code == 409 and r.json["code"] == "invalid_state"


def test_submit_without_actual_figures_names_the_missing_fields(api, company, flow):
    c = flow.approved()
    api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"reflections": "went well"})
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep)
    assert r.status_code == 400 and r.json["code"] == "validation_error"
    assert {e["field"] for e in r.json["errors"]} == {"actual_spend", "actual_sales"}


def test_rule_min_photos_is_enforced_on_submit(api, company, flow, streams):
    c = flow.approved()
    flow.rule(scope="campaign", campaign_id=c["id"], min_photos=2)
    streams.run_rules(company.root)
    api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"actual_spend": 1, "actual_sales": 2})
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "attachments"


def test_approval_rules(api, company, flow):
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": c["requested_amount"] + 1})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "approved_amount"
    own = flow.submitted(token=company.manager)
    r = api.post(f"/campaigns/{own['id']}/approve", company.manager, {"approved_amount": 1})
    assert r.status_code == 403 and r.json["code"] == "self_approval"
    r = api.post(f"/campaigns/{c['id']}/approve", company.west_manager, {"approved_amount": 1})
    assert r.status_code == 403
    assert api.post(f"/campaigns/{c['id']}/approve", company.leader, {"approved_amount": 1}).status_code == 200
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 1})
    assert r.status_code == 409 and r.json["code"] == "invalid_state"


def test_reject_needs_a_comment_and_a_submitted_application(api, company, flow):
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/reject", company.manager, {})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "comment"
    r = api.post(f"/campaigns/{c['id']}/reject", company.manager, {"comment": "too expensive"})
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert r.json["decision"]["comment"] == "too expensive"
    r = api.post(f"/campaigns/{c['id']}/reject", company.manager, {"comment": "again"})
    assert r.status_code == 409 and r.json["code"] == "invalid_state"


def test_only_a_draft_is_editable(api, company, flow):
    c = flow.draft()
    r = api.patch(
        f"/campaigns/{c['id']}", company.rep, {"title": "Bigger tasting", "plan": {"expected_sales": 2000000}}
    )
    assert r.status_code == 200
    assert r.json["title"] == "Bigger tasting" and r.json["plan"]["expected_cost_ratio"] == 0.1
    api.post(f"/campaigns/{c['id']}/submit", company.rep)
    r = api.patch(f"/campaigns/{c['id']}", company.rep, {"title": "late"})
    assert r.status_code == 409 and r.json["code"] == "not_editable"
    r = api.post(f"/campaigns/{c['id']}/submit", company.rep)
    assert r.status_code == 409 and r.json["code"] == "invalid_state"


def test_unknown_campaign_is_404_and_foreign_campaign_is_403(api, company, flow):
    assert api.get("/campaigns/01NOSUCHCAMPAIGN", company.rep).status_code == 404
    c = flow.draft()
    assert api.get(f"/campaigns/{c['id']}", company.rep2).status_code == 403
    assert api.get(f"/campaigns/{c['id']}", company.west_manager).status_code == 403
    assert api.get(f"/campaigns/{c['id']}", company.province_manager).status_code == 200


def test_categories_are_configured(api, company):
    r = api.get("/categories", company.rep)
    assert [c["id"] for c in r.json["items"]] == ["tasting", "display", "roadshow", "in_store_promotion"]
    r = api.post("/campaigns", company.rep, campaign_body(category="skydiving"))
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "category"


def test_health_needs_no_token(api):
    r = api.get("/health")
    assert r.status_code == 200 and r.json == {"status": "ok"}
