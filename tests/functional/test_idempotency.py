"""Retries from phones on bad networks: every POST honours Idempotency-Key."""

from __future__ import annotations

from tests.conftest import campaign_body


def key(k):
    return {"Idempotency-Key": k}


def test_replaying_a_create_returns_the_first_response_and_creates_nothing_more(api, company):
    first = api.post("/campaigns", company.rep, campaign_body(), headers=key("create-1"))
    again = api.post("/campaigns", company.rep, campaign_body(), headers=key("create-1"))
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert len(api.get("/campaigns", company.rep).json["items"]) == 1


def test_the_same_key_with_another_body_is_a_409(api, company):
    api.post("/campaigns", company.rep, campaign_body(), headers=key("create-2"))
    r = api.post("/campaigns", company.rep, campaign_body(title="Another"), headers=key("create-2"))
    assert r.status_code == 409 and r.json["code"] == "idempotency_key_reused"
    assert len(api.get("/campaigns", company.rep).json["items"]) == 1


def test_keys_are_per_caller(api, company):
    a = api.post("/campaigns", company.rep, campaign_body(), headers=key("shared"))
    b = api.post("/campaigns", company.rep2, campaign_body(), headers=key("shared"))
    assert a.status_code == b.status_code == 201 and a.json["id"] != b.json["id"]


def test_a_retried_feedback_submit_adds_one_revision(api, company, flow):
    c = flow.approved()
    api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"actual_spend": 100, "actual_sales": 900})
    first = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep, headers=key("fb-1"))
    again = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep, headers=key("fb-1"))
    assert first.status_code == again.status_code == 200 and again.json["revision"] == 1
    assert len(api.get(f"/campaigns/{c['id']}/feedback/revisions", company.rep).json["items"]) == 1


def test_a_retried_settlement_pays_once(api, company, flow):
    c = flow.approved(amount=100000)
    first = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {}, headers=key("pay-1"))
    again = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {}, headers=key("pay-1"))
    assert first.status_code == again.status_code == 201 and again.json == first.json


def test_a_refused_request_is_not_remembered(api, company):
    bad = api.post("/campaigns", company.rep, campaign_body(requested_amount=0), headers=key("fix-me"))
    assert bad.status_code == 400
    good = api.post(
        "/campaigns", company.rep, campaign_body(requested_amount=0) | {"requested_amount": 5}, headers=key("fix-me")
    )
    assert good.status_code == 201


def test_an_unusable_key_is_a_400(api, company):
    r = api.post("/campaigns", company.rep, campaign_body(), headers=key("k" * 200))
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "Idempotency-Key"
