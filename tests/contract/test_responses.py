"""Every response of a whole campaign loop, success and error bodies, conforms to the served
OpenAPI document, validated strictly by openapi-core (a client nobody here wrote).

The loop calls every operation the spec declares at least once, as each role would, and
provokes each error class of API.md (400 validation_error with errors[], 401, 403, 404, 409),
money control's included (budgets, chains, delegation, cancel, the approval card, the audit
trail: `money_loop`). A route added to the spec without a step here fails
`test_the_loop_exercises_every_operation`.
"""

from __future__ import annotations

import json

import pytest

from tests import corpus
from tests.conftest import Api, Company, Streams, campaign_body, mint
from tests.contract.recording import RecordingClient, RecordingHttp
from tests.functional.evidence_support import Evidence
from tests.functional.test_reports import compile_pending
from tests.functional.test_rollups import campaign_records

WHEN = "2026:11:02 10:30:00"  # inside the campaign's dates
XINJIEKOU = (32.0415, 118.7849)  # the campaign's location
NO_CAMPAIGN = "01NOSUCHCAMPAIGN0000000000"
NO_BUDGET = "01NOSUCHBUDGET000000000000"
POLICY = {
    "levels": [
        {"up_to": 500000, "approver": "province"},
        {"up_to": 5000000, "approver": "region"},
        {"up_to": None, "approver": "leader"},
    ]
}


def _expect(r, status: int, code: str | None = None):
    assert r.status_code == status, (status, r.status_code, r.json)
    if code is not None:
        assert r.json["code"] == code, r.json
    return r.json


def whole_loop(api, co, streams, lambda_client) -> None:
    """Apply, approve, require feedback, gather evidence, feed back, evaluate, settle, report."""
    rep, manager, leader, finance = co.rep, co.manager, co.leader, co.finance
    # -- public and reference data
    _expect(api.get("/health"), 200)
    _expect(api.get("/openapi.json"), 200)
    _expect(api.get("/categories", rep), 200)
    _expect(api.get("/categories"), 401, "unauthorized")
    _expect(api.get("/categories", "not-a-token"), 401, "unauthorized")

    # -- applications
    bad = _expect(
        api.post("/campaigns", rep, campaign_body(requested_amount=0, end_date="2026-10-01")), 400, "validation_error"
    )
    assert bad["errors"]
    _expect(api.post("/campaigns", rep, raw="{not json"), 400, "validation_error")
    _expect(api.post("/campaigns", finance, campaign_body()), 403)
    _expect(
        api.post("/campaigns", rep, raw="title=x", headers={"Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    _expect(api.post("/campaigns", rep, campaign_body(title="x" * 70_000)), 413, "payload_too_large")
    a = _expect(api.post("/campaigns", rep, campaign_body(location=None), headers={"Idempotency-Key": "k-a"}), 201)
    assert (
        _expect(api.post("/campaigns", rep, campaign_body(location=None), headers={"Idempotency-Key": "k-a"}), 201)[
            "id"
        ]
        == a["id"]
    )
    _expect(
        api.post("/campaigns", rep, campaign_body(title="other"), headers={"Idempotency-Key": "k-a"}),
        409,
        "idempotency_key_reused",
    )
    b = _expect(api.post("/campaigns", rep, campaign_body(title="To be rejected")), 201)
    cid = a["id"]
    _expect(api.get(f"/campaigns/{cid}", rep), 200)
    _expect(api.get("/campaigns/01NOSUCHCAMPAIGN0000000000", leader), 404, "not_found")
    _expect(api.get(f"/campaigns/{cid}", co.rep2), 403)
    _expect(
        api.patch(
            f"/campaigns/{cid}",
            rep,
            {"location": {"address": "Xinjiekou, Nanjing", "lat": XINJIEKOU[0], "lon": XINJIEKOU[1]}},
        ),
        200,
    )
    _expect(api.patch(f"/campaigns/{cid}", rep, {"plan": {"expected_spend": -1}}), 400, "validation_error")
    _expect(api.post(f"/campaigns/{cid}/submit", rep), 200)
    _expect(api.patch(f"/campaigns/{cid}", rep, {"title": "late"}), 409, "not_editable")
    _expect(api.get(f"/campaigns/{cid}", manager), 200)  # an approver's view: customer history
    _expect(api.post(f"/campaigns/{cid}/approve", rep, {"approved_amount": 100}), 403)
    _expect(api.post(f"/campaigns/{cid}/approve", manager, {"approved_amount": 999_999_999}), 400)
    _expect(api.post(f"/campaigns/{cid}/approve", manager, {"approved_amount": 180000, "comment": "ok"}), 200)
    _expect(api.post(f"/campaigns/{cid}/approve", manager, {"approved_amount": 180000}), 409, "invalid_state")
    _expect(api.post(f"/campaigns/{b['id']}/reject", manager, {"comment": "no"}), 409, "invalid_state")
    _expect(api.post(f"/campaigns/{b['id']}/submit", rep), 200)
    _expect(api.post(f"/campaigns/{b['id']}/reject", manager, {}), 400, "validation_error")
    _expect(api.post(f"/campaigns/{b['id']}/reject", manager, {"comment": "not this month"}), 200)
    _expect(api.get("/campaigns?status=approved", leader), 200)
    _expect(api.get("/campaigns?limit=0", leader), 400, "validation_error")

    # -- a leader requires feedback with one photo for this campaign
    _expect(api.post("/feedback-rules", rep, {"scope": "all"}), 403)
    _expect(api.post("/feedback-rules", leader, {"scope": "campaign"}), 400, "validation_error")
    rule = _expect(api.post("/feedback-rules", leader, {"scope": "campaign", "campaign_id": cid, "min_photos": 1}), 201)
    extra = _expect(api.post("/feedback-rules", leader, {"scope": "category", "category": "display"}), 201)
    twice = _expect(
        api.post("/feedback-rules", leader, {"scope": "category", "category": "display"}), 409, "rule_exists"
    )
    assert twice["rule_id"] == extra["id"]
    _expect(api.delete(f"/feedback-rules/{extra['id']}", leader), 204)
    _expect(api.delete(f"/feedback-rules/{extra['id']}", leader), 404, "not_found")
    streams.run_rules(co.root)
    _expect(api.get("/feedback-rules", leader), 200)
    assert rule["id"]
    _expect(api.get("/me/feedback-requests", rep), 200)
    _expect(api.get("/feedback-requests?status=pending", manager), 200)
    _expect(api.get("/feedback-requests?due_before=tomorrow", manager), 400, "validation_error")
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance), 409, "feedback_required")
    coming = campaign_body(customer={"id": "CUST-LATER"}, start_date="2099-01-01", end_date="2099-01-02")
    coming = _expect(api.post("/campaigns", rep, coming), 201)
    _expect(api.post(f"/campaigns/{coming['id']}/submit", rep), 200)
    _expect(api.post(f"/campaigns/{coming['id']}/approve", manager, {"approved_amount": 1000}), 200)
    early = _expect(api.post(f"/campaigns/{coming['id']}/feedback/submit", rep, {}), 409, "campaign_not_ended")
    assert early["ends_on"] == "2099-01-02"
    _expect(api.post(f"/campaigns/{coming['id']}/reimbursement", finance), 409, "campaign_not_ended")

    # -- feedback with evidence
    _expect(api.put(f"/campaigns/{b['id']}/feedback", rep, {"actual_spend": 1}), 409, "invalid_state")
    _expect(api.put(f"/campaigns/{cid}/feedback", rep, {"effect_rating": 9}), 400, "validation_error")
    _expect(
        api.put(
            f"/campaigns/{cid}/feedback",
            rep,
            {"actual_spend": 150000, "actual_sales": 900000, "effect_rating": 4, "reflections": "busy"},
        ),
        200,
    )
    _expect(api.get(f"/campaigns/{cid}/feedback", rep), 200)  # a draft, nothing submitted yet
    _expect(api.post(f"/campaigns/{cid}/feedback/submit", rep), 400, "validation_error")  # no photo yet
    ev = Evidence(api, lambda_client, co)
    _expect(ev.ask(cid, 1000, content_type="image/gif"), 400, "validation_error")
    photo = ev.upload(cid, corpus.jpeg(corpus.scene(7, (640, 480)), exif=corpus.exif(WHEN, *XINJIEKOU)))
    assert photo["status"] == "ready", photo
    pending = _expect(ev.ask(cid, 2048, content_type="application/pdf", filename="receipt.pdf"), 201)
    _expect(api.get(f"/campaigns/{cid}/attachments", rep), 200)
    _expect(api.delete(f"/campaigns/{cid}/attachments/{pending['attachment']['id']}", rep), 204)
    _expect(api.delete(f"/campaigns/{cid}/attachments/{pending['attachment']['id']}", rep), 404, "not_found")
    _expect(api.post(f"/campaigns/{cid}/feedback/submit", rep, {"reflections": "busy, two photos"}), 200)
    _expect(api.get(f"/campaigns/{cid}/feedback", rep), 200)  # the submitted revision
    _expect(api.get(f"/campaigns/{cid}/feedback/revisions", manager), 200)
    assert streams.deliver_feedback(cid) == {"batchItemFailures": []}
    _expect(api.get("/feedback?kind=passive", leader), 200)

    # -- evaluation, from the roll-ups the campaigns stream keeps
    assert streams.invoke("on_campaign_change", campaign_records(streams, co.root)) == {"batchItemFailures": []}
    _expect(api.get(f"/campaigns/{cid}/evaluation", manager), 200)
    _expect(api.get(f"/campaigns/{cid}/evaluation", co.rep2), 403)
    _expect(api.get("/customers/CUST-1/history", manager), 200)
    _expect(api.get("/customers/bad id!/history", manager), 400, "validation_error")
    _expect(api.get("/reports/summary?group_by=category&from=2026-11&to=2026-11", leader), 200)
    _expect(api.get("/reports/summary", leader), 400, "validation_error")

    # -- invoices (以票核销): claimed once in the company, listed, released; settlement on verified spend
    _expect(api.get("/settlement-policy", rep), 403, "forbidden")
    _expect(api.put("/settlement-policy", manager, {"invoices_required": True}), 403, "forbidden")
    _expect(api.put("/settlement-policy", leader, {"invoices_required": "sometimes"}), 400, "validation_error")
    assert _expect(api.get("/settlement-policy", manager), 200)["invoices_required"] is False
    assert _expect(api.put("/settlement-policy", leader, {"invoices_required": True}), 200)["invoices_required"]
    _expect(api.post(f"/campaigns/{cid}/invoices", rep, {"qr": "01,10,1,2"}), 400, "validation_error")
    _expect(api.post(f"/campaigns/{cid}/invoices", manager, {"qr": corpus.INVOICE_QR}), 403, "forbidden")
    _expect(api.post(f"/campaigns/{NO_CAMPAIGN}/invoices", rep, {"qr": corpus.INVOICE_QR}), 404, "not_found")
    _expect(api.post(f"/campaigns/{b['id']}/invoices", rep, {"qr": corpus.INVOICE_QR}), 409, "invalid_state")
    first = _expect(api.post(f"/campaigns/{cid}/invoices", rep, {"qr": corpus.INVOICE_QR}), 201)
    again = _expect(api.post(f"/campaigns/{cid}/invoices", rep, {"qr": corpus.INVOICE_QR}), 409)
    assert again["code"] == "invoice_already_claimed" and again["claimed_on"] == {"campaign_id": cid}
    typed = {"type": "32", "number": "26322000000012345678", "amount": 500, "issued_on": "2026-11-02"}
    second = _expect(api.post(f"/campaigns/{cid}/invoices", rep, typed, headers={"Idempotency-Key": "inv-1"}), 201)
    listed = _expect(api.get(f"/campaigns/{cid}/invoices", manager), 200)
    assert [i["id"] for i in listed["items"]] == [first["id"], second["id"]] and listed["total"] == 123956
    _expect(api.delete(f"/campaigns/{cid}/invoices/{second['id']}", manager), 403, "forbidden")
    _expect(api.delete(f"/campaigns/{cid}/invoices/{second['id']}", rep), 204)
    _expect(api.delete(f"/campaigns/{cid}/invoices/{second['id']}", rep), 404, "not_found")
    short = _expect(api.post(f"/campaigns/{cid}/reimbursement", finance, {"amount": 150000}), 409, "invoices_short")
    assert short["invoice_total"] == 123456

    # -- settlement (where invoices are required: the smallest of approved, actual spend and invoices)
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance, {"amount": 999_999_999}), 400)
    _expect(api.post(f"/campaigns/{cid}/reimbursement", rep), 403)
    paid = _expect(api.post(f"/campaigns/{cid}/reimbursement", finance, {"note": "paid"}), 201)
    assert paid["campaign"]["reimbursement"]["amount"] == paid["campaign"]["reimbursement"]["invoice_total"] == 123456
    _expect(api.delete(f"/campaigns/{cid}/invoices/{first['id']}", rep), 409, "invoice_settled")
    _expect(api.put("/settlement-policy", finance, {"invoices_required": False}), 200)
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance), 409, "already_reimbursed")
    _expect(api.put(f"/campaigns/{cid}/feedback", rep, {"actual_spend": 1}), 409, "feedback_locked")

    # -- vouchers for the general ledger: the settled campaign above, exported once and posted
    assert _expect(api.get("/accounting", leader), 200)["payable_account"] is None
    _expect(api.post("/voucher-batches", finance, {}), 409, "accounting_not_configured")
    _expect(api.put("/accounting", finance, {"expense_account": "66 01", "payable_account": "2202"}), 400)
    _expect(api.put("/accounting", leader, {"expense_account": "6601", "payable_account": "2202"}), 403, "forbidden")
    accounts = {"expense_account": "6601", "expense_accounts": {"tasting": "6601.01"}, "payable_account": "2202"}
    _expect(api.put("/accounting", finance, accounts), 200)
    _expect(api.post("/voucher-batches", finance, {"through": "2026-02-30"}), 400, "validation_error")
    batch = _expect(api.post("/voucher-batches", finance, {}), 201)
    assert batch["campaigns"] == 1 and batch["total"] == 123456 and batch["artifacts"]["csv_url"]
    assert _expect(api.post("/voucher-batches", finance, {}), 409, "nothing_to_export")["through"]
    assert [b["id"] for b in _expect(api.get("/voucher-batches", leader), 200)["items"]] == [batch["id"]]
    _expect(api.get(f"/voucher-batches/{batch['id']}", rep), 403, "forbidden")
    _expect(api.get("/voucher-batches/01ZZZZZZZZZZZZZZZZZZZZZZZZ", finance), 404, "not_found")
    posted = _expect(api.post(f"/voucher-batches/{batch['id']}/posted", finance, {"voucher_no": "记-0001"}), 200)
    assert posted["status"] == "posted" and posted["posting"]["status"] == "running"
    other = _expect(api.post(f"/voucher-batches/{batch['id']}/posted", finance, {"voucher_no": "记-0002"}), 409)
    assert other["code"] == "already_posted" and other["voucher_no"] == "记-0001"
    assert streams.deliver_vouchers(co.root) == {"batchItemFailures": []}
    done = _expect(api.get(f"/voucher-batches/{batch['id']}", finance), 200)
    assert done["posting"] == {"status": "done", "campaigns_posted": 1}
    assert _expect(api.get(f"/campaigns/{cid}", rep), 200)["reimbursement"]["voucher_no"] == "记-0001"

    # -- reports
    _expect(api.put("/me/report-subscription", manager, {"frequency": "monthly"}), 200)
    _expect(api.put("/me/report-subscription", manager, {"frequency": "monthly", "language": "en"}), 200)
    _expect(
        api.put("/me/report-subscription", manager, {"frequency": "monthly", "language": "fr"}), 400, "validation_error"
    )
    _expect(api.put("/me/report-subscription", rep, {"frequency": "monthly"}), 403)
    _expect(api.put("/me/report-subscription", manager, {"frequency": "daily"}), 400, "validation_error")
    run = _expect(api.post("/reports/runs", leader, {"period": "2026-11"}), 202)
    _expect(api.post("/reports/runs", rep, {"period": "2026-11"}), 403)
    _expect(api.get("/reports", leader), 200)
    _expect(api.get(f"/reports/{run['report_id']}", leader), 200)  # pending
    compile_pending(streams, co.root)
    _expect(api.get(f"/reports/{run['report_id']}", leader), 200)  # ready, with links
    _expect(api.get("/reports/01NOSUCHREPORT000000000000", leader), 404, "not_found")

    money_loop(api, co)
    webhooks_loop(api, co, streams, lambda_client)
    field_loop(api, co, lambda_client, cid)


def field_loop(api, co, lambda_client, cid: str) -> None:
    """In the field (v3): a check-in, a photo asked for during it and declared by its hash, a
    photo whose bytes are not the declared ones; with the errors a client handles."""
    import hashlib

    from chalicelib.clock import business_today

    rep, manager = co.rep, co.manager
    today = business_today()
    here = _expect(api.post("/campaigns", rep, campaign_body(start_date=today, end_date=today)), 201)
    _expect(api.post(f"/campaigns/{here['id']}/submit", rep), 200)
    _expect(api.post(f"/campaigns/{here['id']}/visits", rep, {"lat": 32.0, "lon": 118.0}), 409, "invalid_state")
    # money_loop set a policy: a province manager takes a small amount
    _expect(api.post(f"/campaigns/{here['id']}/approve", co.province_manager, {"approved_amount": 1000}), 200)
    visit = _expect(api.post(f"/campaigns/{here['id']}/visits", rep, {"lat": XINJIEKOU[0], "lon": XINJIEKOU[1]}), 201)
    _expect(api.post(f"/campaigns/{here['id']}/visits", rep, {"lat": 91, "lon": 0}), 400, "validation_error")
    _expect(api.post(f"/campaigns/{here['id']}/visits", manager, {"lat": 32.0, "lon": 118.0}), 403, "forbidden")
    _expect(api.get(f"/campaigns/{here['id']}/visits?limit=1", manager), 200)
    _expect(api.get(f"/campaigns/{here['id']}/visits", co.rep2), 403, "forbidden")
    _expect(api.get(f"/campaigns/{NO_CAMPAIGN}/visits", rep), 404, "not_found")
    ev = Evidence(api, lambda_client, co)
    photo = corpus.jpeg(corpus.scene(8, (640, 480)), exif=corpus.exif(None, *XINJIEKOU))
    body = {"filename": "shelf.jpg", "content_type": "image/jpeg", "size_bytes": len(photo)}
    asked = _expect(
        api.post(
            f"/campaigns/{here['id']}/attachments",
            rep,
            {**body, "visit_id": visit["id"], "sha256": hashlib.sha256(photo).hexdigest()},
        ),
        201,
    )
    ev.post(asked["upload"], photo)
    ev.deliver(ev.event_for(f"uploads/{here['id']}/{asked['attachment']['id']}"))
    wrong = _expect(api.post(f"/campaigns/{here['id']}/attachments", rep, {**body, "sha256": "0" * 64}), 201)
    ev.post(wrong["upload"], photo)
    ev.deliver(ev.event_for(f"uploads/{here['id']}/{wrong['attachment']['id']}"))
    listed = _expect(api.get(f"/campaigns/{here['id']}/attachments", rep), 200)["items"]
    assert {a["status"] for a in listed} == {"ready", "rejected"}, listed
    _expect(api.post(f"/campaigns/{here['id']}/attachments", rep, {**body, "sha256": "ABC"}), 400, "validation_error")
    _expect(
        api.post(f"/campaigns/{here['id']}/attachments", rep, {**body, "visit_id": "NOPE"}), 400, "validation_error"
    )
    bundle = _expect(api.get(f"/campaigns/{here['id']}/evidence", manager), 200)
    assert bundle["audit"]["verified"] is True and bundle["visits"], bundle
    _expect(api.get(f"/campaigns/{cid}/evidence", co.finance), 200)  # with feedback and settlement
    _expect(api.get(f"/campaigns/{here['id']}/evidence", co.rep2), 403, "forbidden")
    _expect(api.get(f"/campaigns/{NO_CAMPAIGN}/evidence", co.finance), 404, "not_found")
    # the changes feed, from what the stream functions wrote
    streams = Streams(lambda_client)
    for kind, function in (
        ("campaigns", "on_campaign_change"),
        ("feedback", "on_feedback_change"),
        ("evidence", "on_evidence_change"),
    ):
        mine = [
            r
            for r in streams.records(kind, lambda r: co.root in json.dumps(r))
            if r["eventID"] not in streams.delivered
        ]
        assert streams.invoke(function, mine) == {"batchItemFailures": []}
    page = _expect(api.get("/me/changes?limit=200", co.leader), 200)
    assert {i["entity"] for i in page["items"]} >= {"campaign", "feedback", "attachment", "visit"}, page
    assert {i["op"] for i in page["items"]} == {"upsert", "remove"}
    _expect(api.get(f"/me/changes?cursor={page['next_cursor']}", co.leader), 200)
    _expect(api.get(f"/me/changes?cursor={page['next_cursor']}", co.manager), 400, "validation_error")
    _expect(api.get("/me/changes?limit=0", rep), 400, "validation_error")
    _expect(api.get("/me/changes"), 401, "unauthorized")
    stale = _stale_cursor(co)
    _expect(api.get(f"/me/changes?cursor={stale}", co.leader), 410, "resync_required")


def _stale_cursor(co) -> str:
    """A cursor the server itself signed eight days ago, for the leader's feed."""
    import time

    from chalicelib.dal import repos
    from chalicelib.dal.paging import sign_position
    from chalicelib.domain.access import Principal
    from chalicelib.domain.changes import cursor_binding

    leader = Principal(f"lead-{co.root}", "leader", co.root)
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    return sign_position({"s": 1, "t": eight_days_ago}, cursor_binding(leader), repos.changes().cursor_key())


def money_loop(api, co) -> None:
    """Money control (v2) after the core loop, in the same company: budgets and their ledger,
    the policy and its chains, delegation, the approval card, cancel, settlement against a
    budget, and the audit trail; every route with its success and the errors a client handles."""
    from chalicelib.clock import business_today

    rep, manager, pm, leader, finance = co.rep, co.manager, co.province_manager, co.leader, co.finance
    today = business_today()  # delegation days are Asia/Shanghai days

    # -- budgets: allocate, carve, refuse, resize, read the ledger
    top_body = {"org": co.root, "period": "2026", "amount": 1_000_000}
    top = _expect(api.post("/budgets", leader, top_body, headers={"Idempotency-Key": "budget-top"}), 201)
    assert (
        _expect(api.post("/budgets", leader, top_body, headers={"Idempotency-Key": "budget-top"}), 201)["id"]
        == top["id"]
    )
    bad = _expect(
        api.post("/budgets", leader, {"org": "OTHER/EAST", "period": "2026-13", "amount": 0}), 400, "validation_error"
    )
    assert {e["field"] for e in bad["errors"]} == {"org", "period", "amount"}
    _expect(api.post("/budgets", leader, {**top_body, "amount": 2**63}), 400, "validation_error")
    _expect(api.post("/budgets", leader, {**top_body, "colour": "red"}), 400, "validation_error")
    _expect(
        api.post("/budgets", leader, raw="amount=1", headers={"Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    _expect(api.post("/budgets", None, top_body), 401, "unauthorized")
    _expect(api.post("/budgets", rep, top_body), 403, "forbidden")
    _expect(api.post("/budgets", manager, top_body), 403, "forbidden")
    _expect(api.post("/budgets", finance, {**top_body, "amount": 5}), 409, "budget_exists")
    east = _expect(
        api.post("/budgets", finance, {"org": co.east, "period": "2026-Q4", "amount": 300_000, "parent_id": top["id"]}),
        201,
    )
    assert east["parent_id"] == top["id"] and east["available"] == 300_000
    short = _expect(
        api.post("/budgets", leader, {"org": co.west, "period": "2026", "amount": 800_000, "parent_id": top["id"]}),
        409,
        "budget_exceeded",
    )
    assert short["available"] == 700_000
    misfit = _expect(
        api.post("/budgets", leader, {"org": co.west, "period": "2026-Q4", "amount": 1, "parent_id": east["id"]}),
        400,
        "validation_error",
    )
    assert [e["field"] for e in misfit["errors"]] == ["org"]

    _expect(api.get("/budgets", leader), 200)
    assert [b["id"] for b in _expect(api.get(f"/budgets?org={co.east}&period=2026-Q4", manager), 200)["items"]] == [
        east["id"]
    ]
    _expect(api.get("/budgets?category=tasting", finance), 200)
    _expect(api.get("/budgets?limit=0", leader), 400, "validation_error")
    _expect(api.get("/budgets?period=2026-Q5", leader), 400, "validation_error")
    _expect(api.get(f"/budgets?org={co.west}", manager), 403, "forbidden")
    _expect(api.get("/budgets", rep), 403, "forbidden")
    _expect(api.get("/budgets"), 401, "unauthorized")
    _expect(api.get(f"/budgets/{east['id']}", manager), 200)
    _expect(api.get(f"/budgets/{east['id']}", co.west_manager), 403, "forbidden")
    _expect(api.get(f"/budgets/{NO_BUDGET}", leader), 404, "not_found")

    assert _expect(api.patch(f"/budgets/{east['id']}", finance, {"amount": 400_000}), 200)["amount"] == 400_000
    _expect(api.patch(f"/budgets/{east['id']}", finance, {"amount": 0}), 400, "validation_error")
    _expect(api.patch(f"/budgets/{east['id']}", finance, {}), 400, "validation_error")
    grow = _expect(api.patch(f"/budgets/{east['id']}", finance, {"amount": 5_000_000}), 409, "budget_exceeded")
    assert grow["available"] == 600_000  # what the parent has left
    _expect(api.patch(f"/budgets/{top['id']}", leader, {"amount": 100_000}), 409, "budget_below_committed")
    _expect(api.patch(f"/budgets/{east['id']}", manager, {"amount": 5}), 403, "forbidden")
    _expect(api.patch(f"/budgets/{NO_BUDGET}", leader, {"amount": 5}), 404, "not_found")

    first = _expect(api.get(f"/budgets/{top['id']}/entries?limit=1", leader), 200)
    assert first["items"][0]["kind"] == "allocate" and first["next_cursor"]
    rest = _expect(api.get(f"/budgets/{top['id']}/entries?cursor={first['next_cursor']}", leader), 200)
    assert [e["kind"] for e in rest["items"]] == ["carve", "carve"] and rest["items"][0]["budget_id"] == east["id"]
    _expect(api.get(f"/budgets/{top['id']}/entries?cursor=not-a-cursor", leader), 400, "validation_error")
    _expect(api.get(f"/budgets/{top['id']}/entries", rep), 403, "forbidden")
    _expect(api.get(f"/budgets/{NO_BUDGET}/entries", leader), 404, "not_found")

    # -- the approval policy
    assert _expect(api.get("/approval-policy", manager), 200) == {"levels": [], "updated_by": None, "updated_at": None}
    _expect(api.get("/approval-policy", rep), 403, "forbidden")
    _expect(api.put("/approval-policy", manager, POLICY), 403, "forbidden")
    bad = _expect(
        api.put(
            "/approval-policy",
            leader,
            {"levels": [{"up_to": None, "approver": "boss"}, {"up_to": 500, "approver": "province"}]},
        ),
        400,
        "validation_error",
    )
    assert {e["field"] for e in bad["errors"]} >= {"levels.0.up_to", "levels.0.approver"}
    _expect(api.put("/approval-policy", leader, {"levels": []}), 400, "validation_error")
    _expect(api.put("/approval-policy", leader, POLICY), 200)
    assert _expect(api.get("/approval-policy", pm), 200)["levels"] == POLICY["levels"]

    # -- a two-step chain: province, then region; a draft has no approval yet
    big = _expect(api.post("/campaigns", rep, campaign_body(requested_amount=1_000_000)), 201)
    assert big["approval"] is None and big["warnings"] == [] and big["submitted_at"] is None
    big = _expect(api.post(f"/campaigns/{big['id']}/submit", rep), 200)
    assert big["approval"]["chain"] == [{"level": "province", "org": co.js}, {"level": "region", "org": co.east}]
    assert big["warnings"][0]["code"] == "overlapping_campaign"  # the core loop's campaign
    assert big["id"] in {c["id"] for c in _expect(api.get("/me/approvals", pm), 200)["items"]}
    _expect(api.get("/me/approvals?limit=0", pm), 400, "validation_error")
    _expect(api.get("/me/approvals", rep), 403, "forbidden")
    card = _expect(api.get(f"/campaigns/{big['id']}/approval-card", pm), 200)
    assert card["budget"] == {
        "id": east["id"],
        "org": co.east,
        "period": "2026-Q4",
        "category": None,
        "amount": 400_000,
        "available": 400_000,
    }
    _expect(api.get(f"/campaigns/{big['id']}/approval-card", rep), 403, "forbidden")
    _expect(api.get(f"/campaigns/{NO_CAMPAIGN}/approval-card", leader), 404, "not_found")
    _expect(api.post(f"/campaigns/{big['id']}/approve", manager, {"approved_amount": 900_000}), 403, "not_your_step")
    step = _expect(api.post(f"/campaigns/{big['id']}/approve", pm, {"approved_amount": 900_000, "comment": "ok"}), 200)
    assert step["status"] == "submitted" and step["approval"]["next"] == {"level": "region", "org": co.east}

    # -- delegation: the region manager lends their authority to the province manager, who
    #    may still not take a second step of the same chain
    _expect(api.get("/me/delegation", manager), 404, "not_found")
    _expect(api.delete("/me/delegation", manager), 404, "not_found")
    bad = _expect(
        api.put(
            "/me/delegation", manager, {"to": {"id": co.sub("manager")}, "from": "2026-12-10", "until": "2026-12-01"}
        ),
        400,
        "validation_error",
    )
    assert {e["field"] for e in bad["errors"]} == {"to.id", "until"}
    _expect(
        api.put("/me/delegation", rep, {"to": {"id": co.sub("manager")}, "from": today, "until": today}),
        403,
        "forbidden",
    )
    _expect(
        api.put(
            "/me/delegation",
            manager,
            {"to": {"id": co.sub("province_manager"), "name": "Zhang San"}, "from": today, "until": today},
        ),
        200,
    )
    assert _expect(api.get("/me/delegation", manager), 200)["delegator"]["id"] == co.sub("manager")
    _expect(api.get("/me/delegation", rep), 403, "forbidden")
    _expect(
        api.post(f"/campaigns/{big['id']}/approve", pm, {"approved_amount": 800_000, "acting_for": co.sub("manager")}),
        403,
        "already_approved",
    )
    _expect(
        api.post(f"/campaigns/{big['id']}/approve", manager, {"approved_amount": 950_000}), 400, "validation_error"
    )  # above the previous step's
    over = _expect(
        api.post(f"/campaigns/{big['id']}/approve", manager, {"approved_amount": 800_000}), 409, "budget_exceeded"
    )
    assert over["available"] == 400_000
    done = _expect(
        api.post(
            f"/campaigns/{big['id']}/approve",
            manager,
            {"approved_amount": 350_000},
            headers={"Idempotency-Key": "approve-big"},
        ),
        200,
    )
    assert done["status"] == "approved" and done["budget"]["reserved"] == 350_000
    _expect(api.delete("/me/delegation", manager), 204)
    _expect(api.delete("/me/delegation", rep), 403, "forbidden")

    # -- nobody approves their own: a region manager's application goes to a leader
    own = _expect(api.post("/campaigns", manager, campaign_body(requested_amount=100)), 201)
    own = _expect(api.post(f"/campaigns/{own['id']}/submit", manager), 200)
    assert own["approval"]["chain"] == [{"level": "leader", "org": co.root}]
    _expect(api.post(f"/campaigns/{own['id']}/approve", manager, {"approved_amount": 100}), 403, "self_approval")
    assert (
        _expect(api.post(f"/campaigns/{own['id']}/approve", leader, {"approved_amount": 100}), 200)["approval"][
            "steps"
        ][0]["level"]
        == "leader"
    )

    # -- a delegate approves and rejects in the delegator's name, on the delegated day only
    deputy = mint("deputy-" + co.root, "manager", co.west, name="Deputy")
    small = _expect(api.post("/campaigns", rep, campaign_body(requested_amount=100_000)), 201)
    _expect(api.post(f"/campaigns/{small['id']}/submit", rep), 200)
    _expect(
        api.put(
            "/me/delegation", pm, {"to": {"id": "deputy-" + co.root, "name": "Deputy"}, "from": today, "until": today}
        ),
        200,
    )
    assert small["id"] in {c["id"] for c in _expect(api.get("/me/approvals", deputy), 200)["items"]}
    _expect(api.get(f"/campaigns/{small['id']}/approval-card", deputy), 200)
    _expect(
        api.post(f"/campaigns/{small['id']}/approve", deputy, {"approved_amount": 1, "acting_for": "bad id!"}),
        400,
        "validation_error",
    )
    _expect(
        api.post(f"/campaigns/{small['id']}/approve", deputy, {"approved_amount": 1, "acting_for": "nobody"}),
        403,
        "not_your_step",
    )
    small = _expect(
        api.post(
            f"/campaigns/{small['id']}/approve",
            deputy,
            {"approved_amount": 40_000, "acting_for": co.sub("province_manager")},
        ),
        200,
    )
    assert small["approval"]["steps"][0]["acting_for"]["id"] == co.sub("province_manager")
    other = _expect(
        api.post(
            "/campaigns", rep, campaign_body(requested_amount=100, start_date="2026-12-10", end_date="2026-12-11")
        ),
        201,
    )
    _expect(api.post(f"/campaigns/{other['id']}/submit", rep), 200)
    assert (
        _expect(
            api.post(
                f"/campaigns/{other['id']}/reject",
                deputy,
                {"comment": "not now", "acting_for": co.sub("province_manager")},
            ),
            200,
        )["status"]
        == "rejected"
    )

    # -- cancel: an approved campaign gives its reservation back; a submitted one leaves the queue
    _expect(api.post(f"/campaigns/{small['id']}/cancel", co.rep2, {"reason": "x"}), 403, "forbidden")
    _expect(api.post(f"/campaigns/{small['id']}/cancel", finance, {"reason": "x"}), 403, "forbidden")
    _expect(api.post(f"/campaigns/{small['id']}/cancel", rep, {}), 400, "validation_error")
    _expect(api.post(f"/campaigns/{NO_CAMPAIGN}/cancel", leader, {"reason": "x"}), 404, "not_found")
    cancelled = _expect(api.post(f"/campaigns/{small['id']}/cancel", rep, {"reason": "the store closed"}), 200)
    assert cancelled["status"] == "cancelled" and cancelled["budget"]["released"] == 40_000
    assert cancelled["cancellation"]["reason"] == "the store closed"
    _expect(api.post(f"/campaigns/{small['id']}/cancel", rep, {"reason": "twice"}), 409, "invalid_state")
    _expect(api.post(f"/campaigns/{other['id']}/cancel", rep, {"reason": "rejected"}), 409, "invalid_state")
    waiting = _expect(api.post("/campaigns", rep, campaign_body(requested_amount=100)), 201)
    _expect(api.post(f"/campaigns/{waiting['id']}/submit", rep), 200)
    _expect(api.post(f"/campaigns/{waiting['id']}/cancel", manager, {"reason": "duplicate"}), 200)
    assert waiting["id"] not in {c["id"] for c in _expect(api.get("/me/approvals", pm), 200)["items"]}
    _expect(api.get("/campaigns?status=cancelled", leader), 200)
    _expect(api.delete("/me/delegation", pm), 204)

    # -- settlement consumes part of the reservation and releases the rest
    paid = _expect(api.post(f"/campaigns/{big['id']}/reimbursement", finance, {"amount": 300_000}), 201)
    assert paid["campaign"]["budget"] == {
        "id": east["id"],
        "org": co.east,
        "period": "2026-Q4",
        "category": None,
        "reserved": 0,
        "consumed": 300_000,
        "released": 50_000,
    }
    _expect(api.post(f"/campaigns/{big['id']}/cancel", rep, {"reason": "too late"}), 409, "invalid_state")

    # -- the audit trail: every change once, chained, verified
    trail = _expect(api.get(f"/campaigns/{big['id']}/audit", rep), 200)
    assert trail["verified"] is True and trail["next_cursor"] is None
    assert [e["action"] for e in trail["items"]] == [
        "created",
        "submitted",
        "approval_step",
        "approval_step",
        "approved",
        "budget_reserved",
        "reimbursed",
        "budget_consumed",
        "budget_released",
    ]
    page = _expect(api.get(f"/campaigns/{small['id']}/audit?limit=2", leader), 200)
    assert page["next_cursor"] and page["verified"] is True
    _expect(api.get(f"/campaigns/{small['id']}/audit?cursor={page['next_cursor']}", leader), 200)
    _expect(api.get(f"/campaigns/{small['id']}/audit?cursor=abc", leader), 400, "validation_error")
    _expect(api.get(f"/campaigns/{small['id']}/audit", co.rep2), 403, "forbidden")
    _expect(api.get(f"/campaigns/{NO_CAMPAIGN}/audit", leader), 404, "not_found")
    _expect(api.get(f"/campaigns/{small['id']}/audit"), 401, "unauthorized")


def webhooks_loop(api, co, streams, lambda_client) -> None:
    """Events out (v3): webhooks made, refused, read, rotated; a delivery failed at a receiver
    that refuses it, retried by hand; a webhook deleted."""
    from devstack.receiver import Behaviour, Receiver
    from tests.conftest import DeliveryQueue

    leader, finance, rep = co.leader, co.finance, co.rep
    receiver = Receiver().start()
    receiver.behave(Behaviour.status(503))
    try:
        body = {"url": receiver.url, "events": ["campaign.submitted"], "description": "ERP"}
        hook = _expect(api.post("/webhooks", finance, body, headers={"Idempotency-Key": "hook-1"}), 201)
        assert hook["secret"].startswith("whsec_")
        _expect(api.post("/webhooks", leader, {**body, "url": "https://10.0.0.1/x"}), 400, "validation_error")
        _expect(api.post("/webhooks", leader, {**body, "events": ["campaign.exploded"]}), 400, "validation_error")
        _expect(api.post("/webhooks", rep, body), 403, "forbidden")
        robot = _expect(api.post("/webhooks", leader, {**body, "url": receiver.url + "?key=k", "format": "wecom"}), 201)
        assert robot["secret"] is None
        _expect(api.post(f"/webhooks/{robot['id']}/rotate-secret", leader), 409, "secret_not_rotatable")
        assert {h["id"] for h in _expect(api.get("/webhooks", leader), 200)["items"]} >= {hook["id"], robot["id"]}
        assert "secret" not in _expect(api.get(f"/webhooks/{hook['id']}", finance), 200)
        _expect(api.get("/webhooks/01NOSUCHWEBHOOK00000000000", leader), 404, "not_found")
        rotated = _expect(api.post(f"/webhooks/{hook['id']}/rotate-secret", leader), 200)
        assert rotated["secret"] != hook["secret"]
        c = _expect(api.post("/campaigns", rep, campaign_body(title="Heard by a webhook")), 201)
        _expect(api.post(f"/campaigns/{c['id']}/submit", rep), 200)
        fresh = [r for r in campaign_records(streams, co.root) if r["eventID"] not in streams.delivered]
        streams.invoke("on_campaign_change", fresh)
        DeliveryQueue(lambda_client).pump()
        failed = _expect(api.get(f"/webhooks/{hook['id']}/deliveries?status=failed", leader), 200)["items"]
        # the company's submits so far (their records reach the stream function only now)
        assert {d["event_type"] for d in failed} == {"campaign.submitted"} and failed[0]["attempt_log"]
        _expect(api.get(f"/webhooks/{hook['id']}/deliveries?status=lost", leader), 400, "validation_error")
        receiver.behave(Behaviour.status(200))
        again = _expect(api.post(f"/webhooks/{hook['id']}/deliveries/{failed[0]['id']}/retry", finance), 202)
        assert again["status"] == "pending"
        DeliveryQueue(lambda_client).pump()
        delivered = _expect(api.get(f"/webhooks/{hook['id']}/deliveries", leader), 200)["items"]
        assert delivered[0]["status"] == "delivered"
        _expect(
            api.post(f"/webhooks/{hook['id']}/deliveries/{failed[0]['id']}/retry", finance), 409, "delivery_not_failed"
        )
        _expect(api.delete(f"/webhooks/{robot['id']}", leader), 204)
        _expect(api.delete(f"/webhooks/{robot['id']}", leader), 404, "not_found")
    finally:
        receiver.stop()


@pytest.fixture(scope="module")
def loop(lambda_client, openapi, chalice_app) -> RecordingHttp:
    """One whole loop for the module, as a fresh company, every exchange recorded."""
    recorder = RecordingHttp(lambda_client.http, openapi, chalice_app.routes)
    whole_loop(Api(RecordingClient(lambda_client, recorder)), Company(), Streams(lambda_client), lambda_client)
    return recorder


def test_every_response_of_a_whole_loop_conforms_to_the_spec(loop):
    assert not loop.failures(), loop.report()


def test_the_loop_exercises_every_operation_and_every_error_class(loop, served_spec):
    declared = {
        (path, method)
        for path, item in served_spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert declared - loop.exercised() == set(), "operations the loop never calls: add a step to whole_loop"
    assert {200, 201, 202, 204, 400, 401, 403, 404, 409, 410, 413, 415} <= loop.statuses()


def test_the_recorder_refuses_an_undeclared_field_a_wrong_type_and_an_undeclared_status(openapi, chalice_app):
    """The check itself: what a strict client would choke on is reported, with where."""
    from chalice.test import HTTPResponse

    class Canned:
        def __init__(self, status: int, body: dict) -> None:
            self.status, self.body = status, body

        def request(self, method, path, headers=None, body=b""):
            return HTTPResponse(json.dumps(self.body).encode(), {"Content-Type": "application/json"}, self.status)

    def errors(status: int, body: dict) -> list[str]:
        recorder = RecordingHttp(Canned(status, body), openapi, chalice_app.routes)
        recorder.get("/reports/01ABC")
        return recorder.exchanges[0].errors

    report = {
        "id": "01ABC",
        "period": "2026-11",
        "scope": "T1",
        "kind": "on_demand",
        "language": "zh",
        "status": "ready",
        "created_at": "2026-11-30T08:00:00Z",
        "error": None,
        "artifacts": {"html_url": None, "xlsx_url": None, "csv_url": None},
    }
    assert errors(200, report) == []
    assert "'extra' was unexpected" in " ".join(errors(200, {**report, "extra": 1}))
    assert "artifacts" in " ".join(
        errors(200, {**report, "artifacts": {"html_url": 1, "xlsx_url": None, "csv_url": None}})
    )
    assert "is not a 'date-time'" in " ".join(errors(200, {**report, "created_at": "yesterday"}))
    assert errors(418, {"code": "teapot", "message": "no"})  # a status the operation does not declare
    recorder = RecordingHttp(Canned(404, {"code": "not_found", "message": "no"}), openapi, chalice_app.routes)
    recorder.get("/no-such-route")
    assert recorder.exchanges[0].errors  # a path the spec does not have


def test_the_recorder_holds_budget_conflicts_to_their_two_shapes(openapi, chalice_app):
    """A 409 of a route that moves budget money is an Error, or a BudgetExceeded that adds
    `available`; `available` on any other code, or a negative one, is refused."""
    from chalice.test import HTTPResponse

    def errors(body: dict) -> list[str]:
        class Canned:
            def request(self, method, path, headers=None, body=b""):
                return HTTPResponse(json.dumps(answer).encode(), {"Content-Type": "application/json"}, 409)

        answer = body
        recorder = RecordingHttp(Canned(), openapi, chalice_app.routes)
        recorder.post("/campaigns/01ABC/approve", body=json.dumps({"approved_amount": 1}))
        return recorder.exchanges[0].errors

    message = "the budget has 5 fen available, 9 fen are needed"
    assert errors({"code": "budget_exceeded", "message": message, "available": 5}) == []
    assert errors({"code": "invalid_state", "message": "no"}) == []
    assert errors({"code": "invalid_state", "message": "no", "available": 5})
    assert errors({"code": "budget_exceeded", "message": message, "available": -1})
    assert errors({"code": "budget_exceeded", "message": message, "available": "5"})
