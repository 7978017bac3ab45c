"""What an invoice is (domain/invoices.py): every type's QR text, the same fields typed by hand,
every kind of malformed input refused naming the field with a stable code, the key, the flags,
and settlement on verified spend (domain/campaign.py: settlement_amount)."""

from __future__ import annotations

import pytest

from chalicelib.domain import invoices as inv
from chalicelib.domain.campaign import Campaign, settlement_amount
from chalicelib.domain.errors import FIELD_CODES, Conflict, InvalidInput
from chalicelib.domain.invoices import InvoiceRef

TODAY = "2026-12-06"
LEGACY = "01,{t},032001900111,12345678,1234.56,20261101,12345678901234567890,8A3C,"
DIGITAL = "01,{t},,24112000000012345678,388.00,20261118,,F5C5"


@pytest.mark.parametrize("t", ["01", "04", "08", "10", "11", "14"])
def test_every_legacy_type_reads_with_a_code_and_an_eight_digit_number(t):
    f = inv.parse_qr(LEGACY.format(t=t), TODAY)
    assert (f.type, f.code, f.number, f.amount, f.issued_on) == (t, "032001900111", "12345678", 123456, "2026-11-01")
    assert f.check_code == "12345678901234567890"
    assert f.key == "032001900111-12345678"


def test_a_ten_digit_code_is_a_legacy_code_too():
    f = inv.parse_qr("01,04,3200162130,21549870,1651.37,20261104,15563458613025452305,4FD5,", TODAY)
    assert f.key == "3200162130-21549870" and f.amount == 165137


@pytest.mark.parametrize("t", ["31", "32"])
def test_fully_digital_invoices_have_no_code_and_a_twenty_digit_number(t):
    f = inv.parse_qr(DIGITAL.format(t=t), TODAY)
    assert (f.code, f.number, f.amount, f.check_code) == ("", "24112000000012345678", 38800, "")
    assert f.key == "24112000000012345678"  # the number alone


@pytest.mark.parametrize(
    "text",
    [
        LEGACY.format(t="10") + "  ",  # spaces after the trailing comma
        LEGACY.format(t="10").rstrip(","),  # no trailing comma
        " " + LEGACY.format(t="10") + "\n",
    ],
)
def test_trailing_commas_and_spaces_do_not_matter(text):
    assert inv.parse_qr(text, TODAY).key == "032001900111-12345678"


@pytest.mark.parametrize(
    "amount,fen", [("1", 100), ("1.5", 150), ("1.05", 105), ("0.01", 1), ("9999999999999.99", 999999999999999)]
)
def test_the_amount_is_yuan_as_printed_stored_exactly_in_fen(amount, fen):
    text = f"01,10,032001900111,12345678,{amount},20261101,,8A3C"
    if fen > inv.MAX_AMOUNT:
        with pytest.raises(InvalidInput) as err:
            inv.parse_qr(text, TODAY)
        assert err.value.errors[0]["code"] == "too_large"
    else:
        assert inv.parse_qr(text, TODAY).amount == fen


def _refusal(text: str, today: str | None = TODAY) -> list[tuple[str, str, str | None]]:
    with pytest.raises(InvalidInput) as err:
        inv.parse_qr(text, today)
    for e in err.value.errors:
        assert e["code"] in FIELD_CODES
    return [(e["field"], e["code"], e.get("params", {}).get("part")) for e in err.value.errors]


@pytest.mark.parametrize(
    "text,refused",
    [
        # wrong version
        ("02,10,032001900111,12345678,1234.56,20261101,,8A3C", [("qr", "unsupported_qr_version", "version")]),
        # wrong type
        ("01,99,032001900111,12345678,1234.56,20261101,,8A3C", [("qr", "unknown_invoice_type", "type")]),
        ("01,,032001900111,12345678,1234.56,20261101,,8A3C", [("qr", "unknown_invoice_type", "type")]),
        # code length: 11 digits, letters, a code on a fully digital invoice, none on a legacy one
        ("01,10,03200190011,12345678,1234.56,20261101,,8A3C", [("qr", "bad_invoice_code", "code")]),
        ("01,10,03200190011X,12345678,1234.56,20261101,,8A3C", [("qr", "bad_invoice_code", "code")]),
        ("01,32,032001900111,24112000000012345678,1,20261101,,8A3C", [("qr", "bad_invoice_code", "code")]),
        ("01,10,,12345678,1234.56,20261101,,8A3C", [("qr", "bad_invoice_code", "code")]),
        # number length: 7 or 20 digits on a legacy invoice, 8 on a fully digital one
        ("01,10,032001900111,1234567,1234.56,20261101,,8A3C", [("qr", "bad_invoice_number", "number")]),
        ("01,10,032001900111,24112000000012345678,1,20261101,,8A3C", [("qr", "bad_invoice_number", "number")]),
        ("01,31,,12345678,1,20261101,,8A3C", [("qr", "bad_invoice_number", "number")]),
        # amounts: three decimals, a sign, an exponent, none, zero
        ("01,10,032001900111,12345678,1234.567,20261101,,8A3C", [("qr", "bad_invoice_amount", "amount")]),
        ("01,10,032001900111,12345678,-1234.56,20261101,,8A3C", [("qr", "bad_invoice_amount", "amount")]),
        ("01,10,032001900111,12345678,+1234.56,20261101,,8A3C", [("qr", "bad_invoice_amount", "amount")]),
        ("01,10,032001900111,12345678,1e3,20261101,,8A3C", [("qr", "bad_invoice_amount", "amount")]),
        ("01,10,032001900111,12345678,,20261101,,8A3C", [("qr", "bad_invoice_amount", "amount")]),
        ("01,10,032001900111,12345678,0.00,20261101,,8A3C", [("qr", "too_small", "amount")]),
        # impossible and future dates, a date in another form
        ("01,10,032001900111,12345678,1,20260230,,8A3C", [("qr", "not_a_date", "issued_on")]),
        ("01,10,032001900111,12345678,1,20261301,,8A3C", [("qr", "not_a_date", "issued_on")]),
        ("01,10,032001900111,12345678,1,2026-11-01,,8A3C", [("qr", "not_a_date", "issued_on")]),
        ("01,10,032001900111,12345678,1,20261207,,8A3C", [("qr", "in_the_future", "issued_on")]),
        # check codes: 19 digits, letters
        ("01,10,032001900111,12345678,1,20261101,1234567890123456789,8A3C", [("qr", "bad_check_code", "check_code")]),
        ("01,10,032001900111,12345678,1,20261101,ABCDE678901234567890,8A3C", [("qr", "bad_check_code", "check_code")]),
        # missing fields, extra fields, not a QR of an invoice at all, non-ASCII
        ("01,10,032001900111,12345678,1234.56,20261101", [("qr", "not_an_invoice_qr", None)]),
        ("01,10,032001900111,12345678,1234.56,20261101,,8A3C,extra,more", [("qr", "not_an_invoice_qr", None)]),
        ("https://weixin.qq.com/r/abcdef", [("qr", "not_an_invoice_qr", None)]),
        ("01,10,032001900111,12345678,1234.56,20261101,,发票", [("qr", "not_an_invoice_qr", None)]),
        ("01,10,032001900111,12345678,1234.56,20261101,,8A3C" + "X" * 100, [("qr", "not_an_invoice_qr", "tail")]),
    ],
)
def test_every_malformed_qr_is_refused_naming_qr_the_part_and_a_stable_code(text, refused):
    assert _refusal(text) == refused


def test_every_fault_of_one_qr_is_named_at_once():
    found = _refusal("01,10,0320019,1234567,1.234,20261301,12,8A3C")
    assert {code for _, code, _ in found} == {
        "bad_invoice_code",
        "bad_invoice_number",
        "bad_invoice_amount",
        "not_a_date",
        "bad_check_code",
    }


def test_the_upload_checker_knows_an_invoice_qr_whatever_its_date():
    assert inv.is_invoice_qr("01,10,032001900111,12345678,1,29991231,,8A3C")  # future: the claim decides
    assert not inv.is_invoice_qr("https://example.com/menu")
    assert not inv.is_invoice_qr("")


# -- typed by hand ---------------------------------------------------------------------------------
def typed(**overrides):
    body = {"type": "04", "code": "3200162130", "number": "21549870", "amount": 165137, "issued_on": "2026-11-04"}
    body.update(overrides)
    return inv.typed(body, TODAY)


def test_a_typed_invoice_is_the_same_invoice_as_its_qr():
    qr = inv.parse_qr("01,04,3200162130,21549870,1651.37,20261104,,4FD5,", TODAY)
    assert typed() == qr
    assert typed(type="32", code=None, number="24112000000012345678").key == "24112000000012345678"


@pytest.mark.parametrize(
    "overrides,field,code",
    [
        ({"type": "07"}, "type", "unknown_invoice_type"),
        ({"code": "123"}, "code", "bad_invoice_code"),
        ({"code": None}, "code", "bad_invoice_code"),
        ({"type": "31", "code": "3200162130", "number": "24112000000012345678"}, "code", "bad_invoice_code"),
        ({"number": "2154987"}, "number", "bad_invoice_number"),
        ({"type": "32", "code": None}, "number", "bad_invoice_number"),
        ({"amount": 0}, "amount", "too_small"),
        ({"issued_on": "2026-12-07"}, "issued_on", "in_the_future"),
        ({"check_code": "12345"}, "check_code", "bad_check_code"),
        ({"number": None}, "number", "required"),
        ({"issued_on": None}, "issued_on", "required"),
    ],
)
def test_a_typed_field_at_fault_is_named_itself(overrides, field, code):
    with pytest.raises(InvalidInput) as err:
        typed(**overrides)
    assert [(e["field"], e["code"]) for e in err.value.errors] == [(field, code)]


@pytest.mark.parametrize(
    "body,named",
    [
        ({"qr": "x", "number": "12345678"}, [("number", "not_with")]),
        ({"qr": "x", "attachment_id": "A1"}, [("attachment_id", "not_with")]),
        ({"attachment_id": "A1", "type": "10", "amount": 1}, [("type", "not_with")]),
        ({}, [("qr", "one_way_required")]),
    ],
)
def test_a_claim_gives_exactly_one_way(body, named):
    with pytest.raises(InvalidInput) as err:
        inv.source_of(body)
    assert [(e["field"], e["code"]) for e in err.value.errors] == named


def test_the_way_a_claim_takes():
    assert inv.source_of({"qr": "x"}) == "qr"
    assert inv.source_of({"attachment_id": "A"}) == "attachment"
    assert inv.source_of({"type": "10", "number": "1"}) == "manual"


# -- flags, room, claims seen on a stream ----------------------------------------------------------
def test_an_invoice_issued_more_than_thirty_days_before_the_campaign_is_flagged():
    assert inv.flags("2026-10-01", "2026-11-01") == {"issued_before_campaign": True}
    assert inv.flags("2026-10-02", "2026-11-01") == {"issued_before_campaign": False}  # exactly 30 days
    assert inv.flags("2026-11-05", "2026-11-01") == {"issued_before_campaign": False}


def test_a_fifty_first_invoice_is_refused_naming_the_field_that_brought_it():
    refs = [InvoiceRef(f"I{i}", f"K{i}", 1) for i in range(inv.MAX_PER_CAMPAIGN)]
    inv.check_room(refs[:-1], "qr")
    with pytest.raises(InvalidInput) as err:
        inv.check_room(refs, "attachment_id")
    assert err.value.errors[0]["field"] == "attachment_id"
    assert err.value.errors[0]["code"] == "too_many_invoices" and err.value.errors[0]["params"] == {"max": 50}


def test_claims_on_a_campaign_change_are_the_invoice_ids_it_gained():
    a, b, c = InvoiceRef("I1", "K1", 100), InvoiceRef("I2", "K2", 200), InvoiceRef("I3", "K1", 100)
    assert inv.newly_claimed([a], [a, b]) == [b]
    assert inv.newly_claimed([a, b], [b]) == []  # a release claims nothing
    assert inv.newly_claimed([a], [c]) == [c]  # released and claimed again: another claim, another id


# -- settlement on verified spend ------------------------------------------------------------------
def campaign(invoices: list[int], actual_spend: int | None = 150000, approved: int = 180000) -> Campaign:
    c = Campaign(
        id="C1",
        org="CN/EAST/JS",
        owner_id="rep",
        owner_name="",
        title="t",
        category="tasting",
        customer_id="K",
        customer_name="",
        start_date="2026-11-01",
        end_date="2026-11-03",
        expected_spend=200000,
        expected_sales=1,
        requested_amount=200000,
        created_at="",
        updated_at="",
        status="approved",
        approved_amount=approved,
        actual_spend=actual_spend,
    )
    c.invoices = [InvoiceRef(f"I{i}", f"K{i}", amount) for i, amount in enumerate(invoices)]
    return c


def test_without_the_policy_invoices_change_nothing():
    assert settlement_amount(campaign([]), None) == 150000
    assert settlement_amount(campaign([1000]), 170000) == 170000


@pytest.mark.parametrize(
    "invoices,actual,approved,default",
    [
        ([100000, 20000], 150000, 180000, 120000),  # invoices prove least
        ([100000, 90000], 150000, 180000, 150000),  # actual spend least
        ([100000, 90000], 200000, 180000, 180000),  # approved least
        ([50000], None, 180000, 50000),  # no feedback: approved against invoices
    ],
)
def test_where_invoices_are_required_the_default_is_the_least_of_approved_actual_and_invoiced(
    invoices, actual, approved, default
):
    assert settlement_amount(campaign(invoices, actual, approved), None, invoices_required=True) == default


def test_an_amount_above_the_invoices_or_no_invoice_at_all_is_short():
    with pytest.raises(Conflict) as err:
        settlement_amount(campaign([100000]), 100001, invoices_required=True)
    assert err.value.code == "invoices_short" and err.value.details == {"invoice_total": 100000}
    assert settlement_amount(campaign([100000]), 100000, invoices_required=True) == 100000
    with pytest.raises(Conflict) as none:
        settlement_amount(campaign([]), None, invoices_required=True)
    assert none.value.code == "invoices_short" and none.value.details == {"invoice_total": 0}


def test_above_the_approved_amount_is_bad_input_before_it_is_short():
    with pytest.raises(InvalidInput) as err:
        settlement_amount(campaign([100000]), 180001, invoices_required=True)
    assert err.value.errors[0]["code"] == "above_approved"
