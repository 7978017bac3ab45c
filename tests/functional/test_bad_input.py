"""Bad input never yields a 500 or a half-written record: a clear 4xx naming the field."""

from __future__ import annotations

import json

import pytest

from tests.conftest import campaign_body


def fields(r) -> set[str]:
    return {e["field"] for e in r.json["errors"]}


def codes(r) -> dict[str, str]:
    """field → its code (what a client translates)."""
    return {e["field"]: e["code"] for e in r.json["errors"]}


def test_malformed_json_is_a_400_naming_the_body(api, company):
    r = api.post("/campaigns", company.rep, raw='{"title": "x",')
    assert r.status_code == 400 and r.json["code"] == "validation_error" and codes(r) == {"body": "not_json"}


def test_a_json_array_instead_of_an_object_is_a_400(api, company):
    r = api.post("/campaigns", company.rep, raw="[1, 2]")
    assert r.status_code == 400 and codes(r) == {"body": "wrong_type"}
    assert r.json["errors"][0]["params"] == {"expected": "object"}


def test_wrong_types_name_each_field(api, company):
    body = campaign_body(requested_amount="200000", start_date=20261101)
    body["plan"]["expected_spend"] = 1.5
    body["customer"] = {"id": True}
    r = api.post("/campaigns", company.rep, body)
    assert r.status_code == 400
    assert codes(r) == dict.fromkeys(
        {"requested_amount", "start_date", "plan.expected_spend", "customer.id"}, "wrong_type"
    )
    expected = {e["field"]: e["params"]["expected"] for e in r.json["errors"]}
    assert expected == {
        "requested_amount": "integer",
        "start_date": "string",
        "plan.expected_spend": "integer",
        "customer.id": "string",
    }


def test_unknown_fields_are_refused(api, company):
    r = api.post("/campaigns", company.rep, campaign_body(org="CN", approved_amount=5))
    assert r.status_code == 400 and codes(r) == {"org": "not_allowed", "approved_amount": "not_allowed"}
    assert all(e["message"] == "is not a known field" for e in r.json["errors"])


@pytest.mark.parametrize(
    "patch,field,code,params",
    [
        ({"end_date": "2026-10-01"}, "end_date", "end_before_start", {"other": "start_date"}),
        ({"requested_amount": 0}, "requested_amount", "too_small", {"min": 1, "unit": "fen"}),
        ({"start_date": "2026-02-30"}, "start_date", "not_a_date", None),
        ({"title": "   "}, "title", "too_short", {"min_length": 1}),
        ({"title": "bad\x00title"}, "title", "control_characters", None),
        ({"location": {"lat": 95, "lon": 10}}, "location.lat", "too_large", {"max": 90}),
        ({"category": "karaoke"}, "category", "unknown_category", None),
        (
            {"location": {"address": "Xinjiekou", "lat": 32.04}},
            "location.lon",
            "coordinates_pair",
            {"other": "location.lat"},
        ),
        ({"location": {"lon": 118.78}}, "location.lat", "coordinates_pair", {"other": "location.lon"}),
        ({"location": {}}, "location.address", "required", None),
    ],
)
def test_business_validation_names_the_field_with_its_code(api, company, patch, field, code, params):
    r = api.post("/campaigns", company.rep, campaign_body(**patch))
    assert r.status_code == 400
    (error,) = [e for e in r.json["errors"] if e["field"] == field]
    assert error["code"] == code
    if params is not None:
        assert error["params"] == params


def test_negative_money_is_refused(api, company):
    body = campaign_body()
    body["plan"]["expected_sales"] = -1
    r = api.post("/campaigns", company.rep, body)
    assert r.status_code == 400 and codes(r) == {"plan.expected_sales": "too_small"}


def test_oversized_bodies_are_a_413_and_nothing_is_written(api, company):
    big = campaign_body(title="x" * 100)
    big["padding"] = "y" * 70000
    r = api.post("/campaigns", company.rep, big)
    assert r.status_code == 413 and r.json["code"] == "payload_too_large"
    assert api.get("/campaigns", company.rep).json["items"] == []


def test_deeply_nested_json_is_a_400(api, company):
    r = api.post("/campaigns", company.rep, raw="[" * 3000 + "]" * 3000)
    assert r.status_code == 400 and codes(r) == {"body": "not_json"}


def test_missing_body_is_a_400(api, company, flow):
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager)
    assert r.status_code == 400 and codes(r) == {"body": "required"}


def test_bad_query_parameters_are_400s(api, company):
    for query, field, code in [
        ("limit=0", "limit", "too_small"),
        ("limit=201", "limit", "too_large"),
        ("limit=ten", "limit", "wrong_type"),
        ("status=archived", "status", "not_one_of"),
        ("from=2026-13-01", "from", "not_a_date"),
        ("org=CN//X", "org", "not_an_org"),
    ]:
        r = api.get(f"/campaigns?{query}", company.manager)
        assert r.status_code == 400 and codes(r) == {field: code}, query
    r = api.get("/campaigns?limit=201", company.manager)
    assert r.json["errors"][0]["params"] == {"max": 200}
    r = api.get("/campaigns?status=archived", company.manager)
    assert "approved" in r.json["errors"][0]["params"]["choices"]
    r = api.get("/feedback-requests?due_after=2026-12-01&due_before=2026-11-01", company.manager)
    assert r.status_code == 400 and codes(r) == {"due_after": "start_after_end"}
    r = api.get("/feedback?kind=whatever", company.manager)
    assert r.status_code == 400 and codes(r) == {"kind": "not_one_of"}


def test_a_failed_request_leaves_nothing_half_written(api, company, flow):
    c = flow.approved()
    api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"reflections": "no figures yet"})
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep)
    assert r.status_code == 400 and set(codes(r).values()) == {"required_to_submit"}
    after = api.get(f"/campaigns/{c['id']}/feedback", company.rep).json
    assert after["submitted"] is None and after["draft"]["reflections"] == "no figures yet"
    assert flow.campaign(c["id"])["feedback"]["revision"] == 0


def test_wrong_content_type_gets_the_contract_error_shape(api, company):
    r = api.call(
        "POST", "/campaigns", company.rep, raw=json.dumps(campaign_body()), headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415 and r.json["code"] == "unsupported_media_type" and "message" in r.json


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjp7fX0", "x" * 3000])
def test_tampered_pagination_cursors_are_400s(api, company, flow, cursor):
    flow.draft()
    r = api.get(f"/campaigns?cursor={cursor}", company.rep)
    assert r.status_code == 400 and codes(r) == {"cursor": "bad_cursor"}


def test_a_cursor_from_one_list_does_not_work_on_another(api, company, flow):
    for _ in range(3):
        flow.draft()
    first = api.get("/campaigns?limit=2", company.rep).json
    assert first["next_cursor"]
    r = api.get(f"/campaigns?limit=2&status=draft&cursor={first['next_cursor']}", company.rep)
    assert r.status_code == 400 and fields(r) == {"cursor"}
    r = api.get(f"/campaigns?limit=2&cursor={first['next_cursor']}", company.rep2)
    assert r.status_code == 400


def test_an_address_alone_is_a_location_and_half_a_coordinate_pair_is_not(api, company, flow):
    c = flow.draft(location={"address": "苏果新街口店"})
    assert c["location"] == {"address": "苏果新街口店", "lat": None, "lon": None}
    r = api.patch(f"/campaigns/{c['id']}", company.rep, {"location": {"address": "苏果新街口店", "lat": 32.04}})
    assert r.status_code == 400 and fields(r) == {"location.lon"}
    r = api.patch(f"/campaigns/{c['id']}", company.rep, {"location": {"lat": 32.04, "lon": 118.78}})
    assert r.status_code == 200 and r.json["location"] == {"address": None, "lat": 32.04, "lon": 118.78}


# -- invoices: every kind of malformed claim is a 400 naming the field, and nothing is written ------
GOOD_QR = "01,10,032001900111,{number},1234.56,20261101,12345678901234567890,8A3C,"
TYPED = {"type": "04", "code": "3200162130", "number": "{number}", "amount": 8800, "issued_on": "2026-11-02"}


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({"qr": "02,10,032001900111,12345678,1.00,20261101,,8A3C"}, "qr", "unsupported_qr_version"),
        ({"qr": "01,99,032001900111,12345678,1.00,20261101,,8A3C"}, "qr", "unknown_invoice_type"),
        ({"qr": "01,10,03200190011,12345678,1.00,20261101,,8A3C"}, "qr", "bad_invoice_code"),
        ({"qr": "01,32,032001900111,12345678901234567890,1.00,20261101,,8A3C"}, "qr", "bad_invoice_code"),
        ({"qr": "01,10,032001900111,1234567,1.00,20261101,,8A3C"}, "qr", "bad_invoice_number"),
        ({"qr": "01,32,,1234567890123456789,1.00,20261101,,8A3C"}, "qr", "bad_invoice_number"),
        ({"qr": "01,10,032001900111,12345678,1.005,20261101,,8A3C"}, "qr", "bad_invoice_amount"),
        ({"qr": "01,10,032001900111,12345678,-1.00,20261101,,8A3C"}, "qr", "bad_invoice_amount"),
        ({"qr": "01,10,032001900111,12345678,+1.00,20261101,,8A3C"}, "qr", "bad_invoice_amount"),
        ({"qr": "01,10,032001900111,12345678,1.00,20260230,,8A3C"}, "qr", "not_a_date"),
        ({"qr": "01,10,032001900111,12345678,1.00,20991231,,8A3C"}, "qr", "in_the_future"),
        ({"qr": "01,10,032001900111,12345678,1.00,20261101,123,8A3C"}, "qr", "bad_check_code"),
        ({"qr": "01,10,032001900111,12345678"}, "qr", "not_an_invoice_qr"),
        ({"qr": 12345678}, "qr", "wrong_type"),
        ({"qr": ["01", "10"]}, "qr", "wrong_type"),
        ({"qr": "01," * 4000}, "qr", "too_long"),
        ({"qr": ""}, "qr", "too_short"),
        ({}, "qr", "one_way_required"),
        ({"qr": GOOD_QR, **TYPED}, "type", "not_with"),
        ({"qr": GOOD_QR, "attachment_id": "01ATTACHMENT00000000000000"}, "attachment_id", "not_with"),
        ({**TYPED, "type": "99"}, "type", "unknown_invoice_type"),
        ({**TYPED, "amount": 0}, "amount", "too_small"),
        ({**TYPED, "amount": 12.5}, "amount", "wrong_type"),
        ({**TYPED, "issued_on": "2026-02-30"}, "issued_on", "not_a_date"),
        ({key: v for key, v in TYPED.items() if key != "number"}, "number", "required"),
        ({"attachment_id": "01NOSUCHATTACHMENT00000000"}, "attachment_id", "unknown_attachment"),
    ],
)
def test_a_malformed_invoice_claim_is_a_400_naming_the_field_and_writes_nothing(api, company, flow, body, field, code):
    c = flow.approved()
    before = flow.campaign(c["id"])
    body = {k: v.format(number="12345678") if isinstance(v, str) else v for k, v in body.items()}
    r = api.post(f"/campaigns/{c['id']}/invoices", company.rep, body)
    assert r.status_code == 400, r.json
    assert codes(r).get(field) == code, r.json
    assert api.get(f"/campaigns/{c['id']}/invoices", company.rep).json == {"items": [], "total": 0}
    assert flow.campaign(c["id"]) == before


def test_an_attachment_of_another_campaign_not_ready_or_without_a_qr_is_refused_naming_it(api, company, flow):
    c, other = flow.approved(), flow.approved()
    asked = api.post(
        f"/campaigns/{c['id']}/attachments",
        company.rep,
        {"filename": "invoice.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
    ).json["attachment"]
    r = api.post(f"/campaigns/{c['id']}/invoices", company.rep, {"attachment_id": asked["id"]})
    assert r.status_code == 400 and codes(r) == {"attachment_id": "attachment_not_ready"}
    assert r.json["errors"][0]["params"] == {"status": "pending_upload"}
    r = api.post(f"/campaigns/{other['id']}/invoices", company.rep, {"attachment_id": asked["id"]})
    assert r.status_code == 400 and codes(r) == {"attachment_id": "unknown_attachment"}
