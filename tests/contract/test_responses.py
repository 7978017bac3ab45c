"""Every response of a whole campaign loop, success and error bodies, conforms to the served
OpenAPI document, validated strictly by openapi-core (a client nobody here wrote).

The loop calls every operation the spec declares at least once, as each role would, and
provokes each error class of API.md (400 validation_error with errors[], 401, 403, 404, 409).
A route added to the spec without a step here fails `test_the_loop_exercises_every_operation`.
"""
from __future__ import annotations

import json

import pytest

from tests import corpus
from tests.conftest import Api, Company, Streams, campaign_body
from tests.contract.recording import RecordingClient, RecordingHttp
from tests.functional.evidence_support import Evidence
from tests.functional.test_reports import compile_pending
from tests.functional.test_rollups import campaign_records

WHEN = "2026:11:02 10:30:00"          # inside the campaign's dates
XINJIEKOU = (32.0415, 118.7849)      # the campaign's location


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
    bad = _expect(api.post("/campaigns", rep, campaign_body(requested_amount=0, end_date="2026-10-01")),
                  400, "validation_error")
    assert bad["errors"]
    _expect(api.post("/campaigns", rep, raw="{not json"), 400, "validation_error")
    _expect(api.post("/campaigns", finance, campaign_body()), 403)
    _expect(api.post("/campaigns", rep, raw="title=x", headers={"Content-Type": "text/plain"}),
            415, "unsupported_media_type")
    _expect(api.post("/campaigns", rep, campaign_body(title="x" * 70_000)), 413, "payload_too_large")
    a = _expect(api.post("/campaigns", rep, campaign_body(location=None), headers={"Idempotency-Key": "k-a"}), 201)
    assert _expect(api.post("/campaigns", rep, campaign_body(location=None), headers={"Idempotency-Key": "k-a"}),
                   201)["id"] == a["id"]
    _expect(api.post("/campaigns", rep, campaign_body(title="other"), headers={"Idempotency-Key": "k-a"}),
            409, "idempotency_key_reused")
    b = _expect(api.post("/campaigns", rep, campaign_body(title="To be rejected")), 201)
    cid = a["id"]
    _expect(api.get(f"/campaigns/{cid}", rep), 200)
    _expect(api.get("/campaigns/01NOSUCHCAMPAIGN0000000000", leader), 404, "not_found")
    _expect(api.get(f"/campaigns/{cid}", co.rep2), 403)
    _expect(api.patch(f"/campaigns/{cid}", rep, {"location": {"address": "Xinjiekou, Nanjing",
                                                            "lat": XINJIEKOU[0], "lon": XINJIEKOU[1]}}), 200)
    _expect(api.patch(f"/campaigns/{cid}", rep, {"plan": {"expected_spend": -1}}), 400, "validation_error")
    _expect(api.post(f"/campaigns/{cid}/submit", rep), 200)
    _expect(api.patch(f"/campaigns/{cid}", rep, {"title": "late"}), 409, "not_editable")
    _expect(api.get(f"/campaigns/{cid}", manager), 200)           # an approver's view: customer history
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
    rule = _expect(api.post("/feedback-rules", leader, {"scope": "campaign", "campaign_id": cid, "min_photos": 1}),
                   201)
    extra = _expect(api.post("/feedback-rules", leader, {"scope": "category", "category": "display"}), 201)
    _expect(api.delete(f"/feedback-rules/{extra['id']}", leader), 204)
    _expect(api.delete(f"/feedback-rules/{extra['id']}", leader), 404, "not_found")
    streams.run_rules(co.root)
    _expect(api.get("/feedback-rules", leader), 200)
    assert rule["id"]
    _expect(api.get("/me/feedback-requests", rep), 200)
    _expect(api.get("/feedback-requests?status=pending", manager), 200)
    _expect(api.get("/feedback-requests?due_before=tomorrow", manager), 400, "validation_error")
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance), 409, "feedback_required")

    # -- feedback with evidence
    _expect(api.put(f"/campaigns/{b['id']}/feedback", rep, {"actual_spend": 1}), 409, "invalid_state")
    _expect(api.put(f"/campaigns/{cid}/feedback", rep, {"effect_rating": 9}), 400, "validation_error")
    _expect(api.put(f"/campaigns/{cid}/feedback", rep, {"actual_spend": 150000, "actual_sales": 900000,
                                                       "effect_rating": 4, "reflections": "busy"}), 200)
    _expect(api.get(f"/campaigns/{cid}/feedback", rep), 200)       # a draft, nothing submitted yet
    _expect(api.post(f"/campaigns/{cid}/feedback/submit", rep), 400, "validation_error")   # no photo yet
    ev = Evidence(api, lambda_client, co)
    _expect(ev.ask(cid, 1000, content_type="image/gif"), 400, "validation_error")
    photo = ev.upload(cid, corpus.jpeg(corpus.scene(7, (640, 480)), exif=corpus.exif(WHEN, *XINJIEKOU)))
    assert photo["status"] == "ready", photo
    pending = _expect(ev.ask(cid, 2048, content_type="application/pdf", filename="receipt.pdf"), 201)
    _expect(api.get(f"/campaigns/{cid}/attachments", rep), 200)
    _expect(api.delete(f"/campaigns/{cid}/attachments/{pending['attachment']['id']}", rep), 204)
    _expect(api.delete(f"/campaigns/{cid}/attachments/{pending['attachment']['id']}", rep), 404, "not_found")
    _expect(api.post(f"/campaigns/{cid}/feedback/submit", rep, {"reflections": "busy, two photos"}), 200)
    _expect(api.get(f"/campaigns/{cid}/feedback", rep), 200)       # the submitted revision
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

    # -- settlement
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance, {"amount": 999_999_999}), 400)
    _expect(api.post(f"/campaigns/{cid}/reimbursement", rep), 403)
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance, {"note": "paid"}), 201)
    _expect(api.post(f"/campaigns/{cid}/reimbursement", finance), 409, "already_reimbursed")
    _expect(api.put(f"/campaigns/{cid}/feedback", rep, {"actual_spend": 1}), 409, "feedback_locked")

    # -- reports
    _expect(api.put("/me/report-subscription", manager, {"frequency": "monthly"}), 200)
    _expect(api.put("/me/report-subscription", rep, {"frequency": "monthly"}), 403)
    _expect(api.put("/me/report-subscription", manager, {"frequency": "daily"}), 400, "validation_error")
    run = _expect(api.post("/reports/runs", leader, {"period": "2026-11"}), 202)
    _expect(api.post("/reports/runs", rep, {"period": "2026-11"}), 403)
    _expect(api.get("/reports", leader), 200)
    _expect(api.get(f"/reports/{run['report_id']}", leader), 200)     # pending
    compile_pending(streams, co.root)
    _expect(api.get(f"/reports/{run['report_id']}", leader), 200)     # ready, with links
    _expect(api.get("/reports/01NOSUCHREPORT000000000000", leader), 404, "not_found")


@pytest.fixture(scope="module")
def loop(lambda_client, openapi, chalice_app) -> RecordingHttp:
    """One whole loop for the module, as a fresh company, every exchange recorded."""
    recorder = RecordingHttp(lambda_client.http, openapi, chalice_app.routes)
    whole_loop(Api(RecordingClient(lambda_client, recorder)), Company(), Streams(lambda_client), lambda_client)
    return recorder


def test_every_response_of_a_whole_loop_conforms_to_the_spec(loop):
    assert not loop.failures(), loop.report()


def test_the_loop_exercises_every_operation_and_every_error_class(loop, served_spec):
    declared = {(path, method) for path, item in served_spec["paths"].items()
                for method in item if method in {"get", "put", "post", "patch", "delete"}}
    assert declared - loop.exercised() == set(), "operations the loop never calls: add a step to whole_loop"
    assert {200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 415} <= loop.statuses()


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

    report = {"id": "01ABC", "period": "2026-11", "scope": "T1", "kind": "on_demand", "status": "ready",
              "created_at": "2026-11-30T08:00:00Z", "error": None,
              "artifacts": {"html_url": None, "xlsx_url": None, "csv_url": None}}
    assert errors(200, report) == []
    assert "'extra' was unexpected" in " ".join(errors(200, {**report, "extra": 1}))
    assert "artifacts" in " ".join(errors(200, {**report, "artifacts": {"html_url": 1, "xlsx_url": None,
                                                                          "csv_url": None}}))
    assert "is not a 'date-time'" in " ".join(errors(200, {**report, "created_at": "yesterday"}))
    assert errors(418, {"code": "teapot", "message": "no"})       # a status the operation does not declare
    recorder = RecordingHttp(Canned(404, {"code": "not_found", "message": "no"}), openapi, chalice_app.routes)
    recorder.get("/no-such-route")
    assert recorder.exchanges[0].errors                             # a path the spec does not have
