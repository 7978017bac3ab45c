"""Vouchers across companies and under hostile input: another company never reads, exports or
posts a company's batches nor sees its accounts; bad accounts, dates, voucher numbers and forged
cursors are a clear 400 naming the field (never a 500), and nothing is half-written."""

from __future__ import annotations

import pytest

from tests.conftest import Api, Company, Flow, business_date

ACCOUNTS = {"expense_account": "6601", "expense_accounts": {"tasting": "6601.01"}, "payable_account": "2202"}


@pytest.fixture(scope="module")
def books(lambda_client):
    """Company A: its accounts, one settled campaign in a batch, one settled since."""
    api, co = Api(lambda_client), Company()
    flow = Flow(api, co)
    assert api.put("/accounting", co.finance, ACCOUNTS).status_code == 200
    first = flow.approved()
    assert api.post(f"/campaigns/{first['id']}/reimbursement", co.finance, {}).status_code == 201
    batch = api.post("/voucher-batches", co.finance, {})
    assert batch.status_code == 201, batch.json
    later = flow.approved()
    assert api.post(f"/campaigns/{later['id']}/reimbursement", co.finance, {}).status_code == 201
    return {"api": api, "co": co, "batch": batch.json["id"], "later": later["id"]}


@pytest.fixture(scope="module")
def outsider():
    return Company()


def _state(books) -> dict:
    api, co = books["api"], books["co"]
    return {
        "accounts": api.get("/accounting", co.finance).json,
        # the batches without their links (a link is signed anew, with the time, on every read)
        "batches": [{**b, "artifacts": None} for b in api.get("/voucher-batches", co.finance).json["items"]],
        "later": api.get(f"/campaigns/{books['later']}", co.finance).json["reimbursement"],
    }


def _fields(r) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in (r.json or {}).get("errors", [])]


def test_another_company_never_reads_exports_nor_posts_a_companys_vouchers(books, outsider):
    api, batch = books["api"], books["batch"]
    before = _state(books)
    for token in (outsider.leader, outsider.finance):
        assert api.get(f"/voucher-batches/{batch}", token).status_code == 404
        assert batch not in {b["id"] for b in api.get("/voucher-batches", token).json["items"]}
        assert api.get("/accounting", token).json["payable_account"] is None
    assert api.post(f"/voucher-batches/{batch}/posted", outsider.finance, {"voucher_no": "X-1"}).status_code == 404
    # its own accounts and batch take nothing of A's settled campaigns
    assert api.put("/accounting", outsider.finance, {"expense_account": "1", "payable_account": "2"}).status_code == 200
    r = api.post("/voucher-batches", outsider.finance, {})
    assert (r.status_code, r.json["code"]) == (409, "nothing_to_export"), r.json
    assert _state(books) == before


@pytest.mark.parametrize(
    "body,fields",
    [
        ({**ACCOUNTS, "expense_account": ""}, [("expense_account", "not_an_account")]),
        ({**ACCOUNTS, "payable_account": "22 02"}, [("payable_account", "not_an_account")]),
        ({**ACCOUNTS, "payable_account": "9" * 41}, [("payable_account", "not_an_account")]),
        ({**ACCOUNTS, "payable_account": "２２０２"}, [("payable_account", "not_an_account")]),
        ({**ACCOUNTS, "payable_account": "-2202"}, [("payable_account", "not_an_account")]),
        ({**ACCOUNTS, "payable_account": 2202}, [("payable_account", "wrong_type")]),
        ({**ACCOUNTS, "expense_accounts": {"yachts": "6602"}}, [("expense_accounts.yachts", "unknown_category")]),
        ({**ACCOUNTS, "expense_accounts": {"tasting": "科目"}}, [("expense_accounts.tasting", "not_an_account")]),
        ({**ACCOUNTS, "expense_accounts": ["6601"]}, [("expense_accounts", "wrong_type")]),
        ({"expense_account": "6601"}, [("payable_account", "required")]),
        ({**ACCOUNTS, "cost_center": "X"}, [("cost_center", "not_allowed")]),
    ],
)
def test_bad_accounts_are_refused_naming_the_field_and_change_nothing(books, body, fields):
    api, co = books["api"], books["co"]
    before = api.get("/accounting", co.finance).json
    r = api.put("/accounting", co.finance, body)
    assert r.status_code == 400 and set(fields) <= set(_fields(r)), r.json
    assert api.get("/accounting", co.finance).json == before


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({"through": "2026-13-01"}, "through", "not_a_date"),
        ({"through": "2026-02-30"}, "through", "not_a_date"),
        ({"through": "20261120"}, "through", "not_a_date"),
        ({"through": 20261120}, "through", "wrong_type"),
        ({"through": "2026-11-20", "all": True}, "all", "not_allowed"),
    ],
)
def test_a_bad_through_is_a_400_and_takes_no_campaign(books, body, field, code):
    api, co = books["api"], books["co"]
    before = _state(books)
    r = api.post("/voucher-batches", co.finance, body)
    assert r.status_code == 400 and (field, code) in _fields(r), r.json
    assert _state(books) == before


def test_a_day_long_past_takes_nothing_and_a_day_to_come_takes_what_is_settled_so_far(books):
    api, co = books["api"], books["co"]
    r = api.post("/voucher-batches", co.finance, {"through": "2001-01-01"})
    assert (r.status_code, r.json["code"], r.json["through"]) == (409, "nothing_to_export", "2001-01-01")
    ahead = business_date().replace(year=business_date().year + 1).isoformat()
    r = api.post("/voucher-batches", co.finance, {"through": ahead})
    assert r.status_code == 201 and r.json["campaigns"] == 1 and r.json["through"] == ahead, r.json


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({"voucher_no": ""}, "voucher_no", "too_short"),
        ({"voucher_no": "   "}, "voucher_no", "too_short"),
        ({"voucher_no": "V" * 65}, "voucher_no", "too_long"),
        ({"voucher_no": "V-1\x00"}, "voucher_no", "control_characters"),
        ({"voucher_no": 42}, "voucher_no", "wrong_type"),
        ({}, "voucher_no", "required"),
    ],
)
def test_a_bad_voucher_number_is_a_400_and_posts_nothing(books, body, field, code):
    api, co, batch = books["api"], books["co"], books["batch"]
    r = api.post(f"/voucher-batches/{batch}/posted", co.finance, body)
    assert r.status_code == 400 and (field, code) in _fields(r), r.json
    assert api.get(f"/voucher-batches/{batch}", co.finance).json["voucher_no"] is None


@pytest.mark.parametrize("batch_id", ["nope", "0" * 26, "..%2Faccounting", "%00", "a" * 300])
def test_unknown_or_strange_batch_ids_are_404s(books, batch_id):
    api, co = books["api"], books["co"]
    assert api.get(f"/voucher-batches/{batch_id}", co.finance).status_code == 404
    r = api.post(f"/voucher-batches/{batch_id}/posted", co.finance, {"voucher_no": "V-1"})
    assert r.status_code == 404, r.json


def test_a_batch_list_cursor_pointing_into_another_company_is_a_400(books, outsider):
    from chalicelib.dal.paging import encode_cursor, fingerprint

    api, co = books["api"], books["co"]
    forged = encode_cursor({"pk": f"batch#{co.root}", "sk": "Z" * 26}, fingerprint("voucher-batches", outsider.root))
    r = api.get(f"/voucher-batches?cursor={forged}", outsider.finance)
    assert r.status_code == 400 and _fields(r) == [("cursor", "bad_cursor")], r.json
    r = api.get("/voucher-batches?cursor=garbage", co.finance)
    assert r.status_code == 400 and _fields(r) == [("cursor", "bad_cursor")], r.json
