"""Logs carry ids, routes, statuses and timings: never a token, never a person's name or email,
never the free text people type (titles, customers, addresses, comments, reflections, notes).

Every log record of the service's Powertools logger and of the root logger (boto, Powertools
utilities, Chalice) is captured at the production level (INFO) through a whole loop, including
refused tokens, invalid input, conflicts and the stream handler."""

from __future__ import annotations

import io
import logging

import pytest

from tests.conftest import campaign_body, mint

SECRET_NAME = "Ouyang Xiaomei"
SECRET_EMAIL = "ouyang.xiaomei@example.com"
SECRETS = {
    "title": "Secret launch at Deji Plaza",
    "customer": "Deji Plaza Flagship",
    "address": "18 Zhongshan Road, Nanjing",
    "comment": "approved because of the secret margin",
    "rejection": "rejected over the private dispute",
    "reflections": "the regional buyer confided his numbers",
    "note": "paid through the personal account",
}


@pytest.fixture
def captured():
    from chalicelib.observability import logger

    service = logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(service.registered_formatter)
    handler.setLevel(logging.INFO)
    targets = [logging.getLogger(service.name), logging.getLogger()]
    levels = [t.level for t in targets]
    for t in targets:
        t.addHandler(handler)
        t.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        for t, level in zip(targets, levels, strict=True):
            t.removeHandler(handler)
            t.setLevel(level)


def test_logs_hold_no_tokens_and_no_personal_or_free_text(api, company, flow, streams, captured):
    rep = mint("rep-logs-" + company.root, "rep", company.js, name=SECRET_NAME, email=SECRET_EMAIL)
    body = campaign_body(
        title=SECRETS["title"],
        customer={"id": "CUST-9", "name": SECRETS["customer"]},
        location={"address": SECRETS["address"], "lat": 32.0, "lon": 118.8},
    )
    c = api.post("/campaigns", rep, body, headers={"Idempotency-Key": "logs-1"}).json
    api.post(f"/campaigns/{c['id']}/submit", rep)
    api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 1000, "comment": SECRETS["comment"]})
    other = api.post("/campaigns", rep, body).json
    api.post(f"/campaigns/{other['id']}/submit", rep)
    api.post(f"/campaigns/{other['id']}/reject", company.manager, {"comment": SECRETS["rejection"]})
    api.put(
        f"/campaigns/{c['id']}/feedback",
        rep,
        {"actual_spend": 900, "actual_sales": 5000, "reflections": SECRETS["reflections"]},
    )
    api.post(f"/campaigns/{c['id']}/feedback/submit", rep)
    streams.deliver_feedback(c["id"])
    assert (
        api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {"note": SECRETS["note"]}).status_code == 201
    )
    # refused requests log too, and must not echo what they refused
    assert api.get("/campaigns", rep + "tampered").status_code == 401
    assert api.patch(f"/campaigns/{c['id']}", rep, {"title": SECRETS["title"] + "\x07"}).status_code in (400, 409)
    assert api.post("/campaigns", rep, {**body, "title": 5}).status_code == 400
    assert (
        api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {"note": SECRETS["note"]}).status_code == 409
    )

    text = captured.getvalue()
    assert text.count('"message":"request"') >= 12, text[-2000:]  # the capture really saw the requests
    assert c["id"] in text or "feedback applied" in text  # ids are what logs are for
    for token in (rep, company.manager, company.finance):
        for part in token.split("."):
            assert part not in text, "a token (or part of one) was logged"
    assert "Bearer" not in text and "eyJ" not in text
    for secret in (SECRET_NAME, SECRET_EMAIL, *SECRETS.values()):
        assert secret not in text, f"logged: {secret}"
