"""Hostile input to the money-control routes: oversized policies, numbers far beyond any
amount, strange unicode in reasons and names, forged cursors. Each is a clear 4xx naming what
is wrong (or, for text that is merely unusual, accepted and kept exactly, with an audit trail
that still verifies), never a 500 and never a half-written change."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import business_date, campaign_body
from tests.conftest import make_budget as _budget
from tools.verify_audit import chain_problems

TODAY = business_date()
POLICY = {"levels": [{"up_to": 500000, "approver": "province"}, {"up_to": None, "approver": "region"}]}
UNREADABLE = "9" * 5000  # more digits than the JSON reader takes: the body as a whole is refused
HUGE = [
    "9" * 30,
    "9" * 400,
    UNREADABLE,
    "1e400",
    "-1e400",
    "1e308",
    "NaN",
    "Infinity",
    "-Infinity",
    "1.5",
    "-0",
    "true",
    '"100"',
    "null",
    "[]",
    "{}",
]


def _fields(r) -> set[str]:
    return {e["field"] for e in (r.json or {}).get("errors", [])}


def _refused(r, *fields: str, unreadable: bool = False) -> None:
    """A 4xx in the contract's error shape; a 400 names one of `fields` (any field when none
    given), or, `unreadable`, exactly `body`: a body the JSON reader cannot take at all (a
    number of 5000 digits, a lone surrogate) is refused whole."""
    assert r.status_code in (400, 413), (r.status_code, r.json)
    assert isinstance(r.json, dict) and r.json.get("code") and r.json.get("message"), r.json
    if unreadable:
        assert r.status_code == 400 and _fields(r) == {"body"}, r.json
    elif r.status_code == 400 and r.json["code"] == "validation_error":
        assert _fields(r) and "body" not in _fields(r), r.json
        if fields:
            assert _fields(r) & set(fields), (fields, r.json)


def _verifies(items: list[dict]) -> bool:
    """The trail as an auditor checks it offline (tools/verify_audit.py, the JSON alone)."""
    return chain_problems(items) == []


# -- the approval policy -------------------------------------------------------------------------
@pytest.mark.parametrize("count", [11, 1000, 20000])
def test_an_oversized_policy_is_refused_and_the_policy_in_force_stays(api, company, count):
    assert api.put("/approval-policy", company.leader, POLICY).status_code == 200
    levels = [{"up_to": (i + 1) * 1000, "approver": "province"} for i in range(count - 1)]
    levels.append({"up_to": None, "approver": "leader"})
    r = api.put("/approval-policy", company.leader, {"levels": levels})
    _refused(r, "levels")
    assert api.get("/approval-policy", company.leader).json["levels"] == POLICY["levels"]


@pytest.mark.parametrize("value", HUGE)
def test_a_policy_limit_that_is_no_amount_is_refused_naming_it(api, company, value):
    raw = '{"levels": [{"up_to": ' + value + ', "approver": "province"}, {"up_to": null, "approver": "leader"}]}'
    r = api.put("/approval-policy", company.leader, raw=raw)
    if value == "null":
        _refused(r, "levels.0.up_to")  # only the last level may have no limit
    else:
        _refused(r, "levels.0.up_to", "levels.0", unreadable=value == UNREADABLE)
    assert api.get("/approval-policy", company.leader).json["levels"] == []


@pytest.mark.parametrize(
    "levels",
    [
        [{"up_to": None, "approver": "leader", "extra": "x" * 10000}],
        [{"up_to": None, "approver": "l" * 100000}],
        [{"up_to": None, "approver": "leader\u0000"}],
        [{"up_to": None, "approver": "ＬＥＡＤＥＲ"}],
        [{"up_to": None, "approver": ["leader"]}],
        [["leader"]],
        ["leader"],
        [None],
        [[]],
    ],
)
def test_malformed_policy_levels_are_refused_naming_them(api, company, levels):
    r = api.put("/approval-policy", company.leader, {"levels": levels})
    _refused(r)
    assert all(f.startswith("levels") for f in _fields(r)), r.json
    assert api.get("/approval-policy", company.leader).json["levels"] == []


# -- budgets ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", HUGE)
def test_a_budget_amount_that_is_no_amount_is_refused_naming_it(api, company, value):
    raw = '{"org": "' + company.root + '", "period": "2026", "amount": ' + value + "}"
    _refused(api.post("/budgets", company.leader, raw=raw), "amount", unreadable=value == UNREADABLE)
    assert api.get("/budgets", company.leader).json["items"] == []


@pytest.mark.parametrize("value", HUGE)
def test_a_budget_resized_to_no_amount_is_refused_and_unchanged(api, company, value):
    b = _budget(api, company)
    _refused(
        api.patch(f"/budgets/{b['id']}", company.finance, raw='{"amount": ' + value + "}"),
        "amount",
        unreadable=value == UNREADABLE,
    )
    assert api.get(f"/budgets/{b['id']}", company.leader).json == b
    assert len(api.get(f"/budgets/{b['id']}/entries", company.leader).json["items"]) == 1


@pytest.mark.parametrize(
    "field,value",
    [
        ("period", "2026-Q٤"),
        ("period", "2026\u0000"),
        ("period", "2026-" + "1" * 5000),
        ("period", "2026-Q４"),
        ("period", "2026-00"),
        ("period", "0000"),
        ("period", "9999-Q4x"),
        ("category", "tästing"),
        ("category", "t" * 100000),
        ("category", "tasting\n"),
        ("category", ""),
        ("org", "{root}/../OTHER"),
        ("org", "{root}/東部"),
        ("org", "{root}/" + "/".join(["A"] * 200)),
        ("org", "{root}\u202e/EAST"),
        ("org", ""),
        ("parent_id", "../../etc/passwd"),
        ("parent_id", "x" * 5000),
    ],
)
def test_hostile_budget_fields_are_refused_naming_them(api, company, field, value):
    body = {"org": company.root, "period": "2026", "amount": 1000, field: value.replace("{root}", company.root)}
    r = api.post("/budgets", company.leader, body)
    _refused(r, field)
    assert api.get("/budgets", company.leader).json["items"] == []


@pytest.mark.parametrize("period", ["２０２６", "٢٠٢٦", "2026\n", "２０２６-11"])
def test_a_period_in_other_digits_or_with_a_line_break_is_refused(api, company, period):
    _budget(api, company)
    r = api.post("/budgets", company.leader, {"org": company.root, "period": period, "amount": 1000})
    _refused(r, "period")
    assert [b["period"] for b in api.get("/budgets", company.leader).json["items"]] == ["2026"]


def test_a_budget_list_filtered_by_a_period_in_other_digits_is_a_400(api, company):
    _budget(api, company)
    r = api.get("/budgets?period=２０２６", company.leader)
    assert r.status_code == 400 and _fields(r) == {"period"}, (r.status_code, r.json)


@pytest.mark.parametrize(
    "query",
    [
        "period=2026%00",
        "category=" + "c" * 5000,
        "org=%E2%80%AE",
        "cursor=" + "A" * 5000,
        "cursor=%00",
        "limit=99999999999999999999",
    ],
)
def test_hostile_budget_list_queries_are_a_400(api, company, query):
    _budget(api, company)
    r = api.get(f"/budgets?{query}", company.leader)
    assert r.status_code == 400 and r.json["code"] == "validation_error", (query, r.status_code, r.json)


# -- what is wrong, by code ---------------------------------------------------------------------------
def _codes(r) -> dict[str, tuple[str, dict]]:
    return {e["field"]: (e["code"], e.get("params", {})) for e in r.json["errors"]}


@pytest.mark.parametrize(
    "field,value,code,params",
    [
        ("amount", 10**30, "too_large", {"max": 10**15, "unit": "fen"}),
        ("amount", 0, "too_small", {"min": 1, "unit": "fen"}),
        ("amount", 1.5, "wrong_type", {"expected": "integer"}),
        ("amount", "100", "wrong_type", {"expected": "integer"}),
        ("period", "2026-Q٤", "not_a_period", {"first_year": 2000, "last_year": 2099}),
        ("period", "2026-" + "1" * 5000, "too_long", {"max_length": 16}),
        ("category", "tästing", "unknown_category", None),
        ("category", "", "too_short", {"min_length": 1}),
        ("org", "OTHER/EAST", "outside_company", {}),
        ("parent_id", "../../etc/passwd", "not_an_id", {}),
    ],
)
def test_a_hostile_budget_is_refused_with_the_code_of_what_is_wrong(api, company, field, value, code, params):
    body = {"org": company.root, "period": "2026", "amount": 1000, field: value}
    r = api.post("/budgets", company.leader, body)
    assert r.status_code == 400 and _codes(r)[field][0] == code, r.json
    if params is not None:
        assert _codes(r)[field][1] == params
    assert api.get("/budgets", company.leader).json["items"] == []


def test_hostile_policies_and_delegations_are_refused_with_the_code_of_what_is_wrong(api, company):
    def policy(*levels):
        return _codes(api.put("/approval-policy", company.leader, {"levels": list(levels)}))

    leader = {"up_to": None, "approver": "leader"}
    assert policy(*[{"up_to": i + 1, "approver": "province"} for i in range(11)]) == {
        "levels": ("too_many", {"max_length": 10})
    }
    assert policy() == {"levels": ("too_few", {"min_length": 1})}
    assert policy({"up_to": None, "approver": "province"}, leader) == {"levels.0.up_to": ("unlimited_before_last", {})}
    assert policy({"up_to": 900, "approver": "province"}, {"up_to": 500, "approver": "region"}, leader) == {
        "levels.1.up_to": ("not_increasing", {"previous": 900, "unit": "fen"})
    }
    assert policy({"up_to": 900, "approver": "region"}, {"up_to": None, "approver": "province"}) == {
        "levels.1.approver": ("approver_not_higher", {})
    }
    assert policy({"up_to": None, "approver": "ＬＥＡＤＥＲ"}) == {
        "levels.0.approver": ("not_one_of", {"choices": ["province", "region", "leader"]})
    }
    assert policy({**leader, "extra": 1}) == {"levels.0.extra": ("not_allowed", {})}

    def delegation(**body):
        base = {"to": {"id": "deputy"}, "from": TODAY.isoformat(), "until": TODAY.isoformat()}
        return _codes(api.put("/me/delegation", company.province_manager, {**base, **body}))

    assert delegation(until="２０２６-１２-０１") == {"until": ("not_a_date", {})}
    assert delegation(to={"id": "pm-" + company.root}) == {"to.id": ("self_delegation", {})}
    assert delegation(to={"id": "a/b"}) == {"to.id": ("not_an_id", {})}
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    assert delegation(**{"from": yesterday, "until": yesterday}) == {
        "until": ("in_the_past", {"today": TODAY.isoformat()})
    }
    assert delegation(until=yesterday) == {"until": ("end_before_start", {"other": "from"})}
    assert api.get("/me/delegation", company.province_manager).status_code == 404


# -- approving and deciding ------------------------------------------------------------------------
@pytest.mark.parametrize("value", HUGE + ["0", "-1"])
def test_an_approved_amount_that_is_no_amount_reserves_nothing(api, company, flow, value):
    b = _budget(api, company)
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager, raw='{"approved_amount": ' + value + "}")
    _refused(r, "approved_amount", unreadable=value == UNREADABLE)
    assert flow.campaign(c["id"])["status"] == "submitted"
    assert api.get(f"/budgets/{b['id']}", company.leader).json == b


@pytest.mark.parametrize("acting_for", ["x" * 5000, "../pm", "pm\u0000", "pm\nX-Injected: 1", "", 12, ["pm"]])
def test_a_hostile_acting_for_is_refused_naming_it(api, company, flow, acting_for):
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 1000, "acting_for": acting_for})
    _refused(r, "acting_for")
    assert flow.campaign(c["id"])["status"] == "submitted"


UNUSUAL = [
    "门店装修，活动取消 🙏",  # CJK and an emoji
    "بسبب الإغلاق",  # right to left
    "\u202eesolc erots\u202c",  # a bidi override
    "Zalgo: z̴̢̛a̷̧͝l̶̨̛g̸̢͘o̵̧͝",  # stacked combining marks
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP 𠜎𠜱",
    "\ufeffBOM first, then a zero\u200bwidth space",
    "中" * 4000,  # long, and 12,000 bytes
]


@pytest.mark.parametrize("reason", UNUSUAL)
def test_an_unusual_cancel_reason_is_kept_exactly_and_the_trail_still_verifies(api, company, flow, reason):
    b = _budget(api, company)
    c = flow.approved(amount=100_000)
    r = api.post(f"/campaigns/{c['id']}/cancel", company.rep, {"reason": reason})
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
    assert r.json["cancellation"]["reason"] == reason.strip()
    assert api.get(f"/budgets/{b['id']}", company.leader).json["available"] == 1_000_000
    trail = api.get(f"/campaigns/{c['id']}/audit", company.leader).json
    assert trail["verified"] is True and _verifies(trail["items"])
    assert reason.strip() in json.dumps([e.get("changes") for e in trail["items"]], ensure_ascii=False)


@pytest.mark.parametrize("reason", UNUSUAL[:3])
def test_an_unusual_rejection_comment_is_kept_and_the_trail_still_verifies(api, company, flow, reason):
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/reject", company.manager, {"comment": reason})
    assert r.status_code == 200 and r.json["decision"]["comment"] == reason.strip(), r.json
    trail = api.get(f"/campaigns/{c['id']}/audit", company.rep).json
    assert trail["verified"] is True and _verifies(trail["items"])


@pytest.mark.parametrize(
    "raw_reason",
    [
        '"\\u0000"',
        '"stop\\u0007"',
        '"a\\r\\nSet-Cookie: x=1"',
        '"\\ud800 lone"',
        '"\\udfff"',
        '""',
        '"   "',
        '"' + "x" * 5001 + '"',
        "null",
        "1",
        "[]",
        '{"text": "x"}',
    ],
)
def test_a_cancel_reason_that_is_no_text_is_refused_and_nothing_is_cancelled(api, company, flow, raw_reason):
    b = _budget(api, company)
    c = flow.approved(amount=100_000)
    r = api.post(f"/campaigns/{c['id']}/cancel", company.rep, raw='{"reason": ' + raw_reason + "}")
    _refused(r, "reason", unreadable=raw_reason.startswith('"\\ud'))  # a lone surrogate: no text at all
    assert flow.campaign(c["id"])["status"] == "approved"
    assert api.get(f"/budgets/{b['id']}", company.leader).json["reserved"] == 100_000


# -- delegation --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "to,field",
    [
        ({"id": "x" * 5000}, "to.id"),
        ({"id": "dépité"}, "to.id"),
        ({"id": "a\u0000b"}, "to.id"),
        ({"id": "ok", "name": "n" * 5000}, "to.name"),
        ({"id": "ok", "name": "a\r\nb"}, "to.name"),
        ({"id": "ok", "extra": 1}, "to.extra"),
        ({"name": "no id"}, "to.id"),
        ("someone", "to"),
        ([], "to"),
    ],
)
def test_hostile_delegates_are_refused_naming_the_field(api, company, to, field):
    r = api.put(
        "/me/delegation", company.province_manager, {"to": to, "from": TODAY.isoformat(), "until": TODAY.isoformat()}
    )
    _refused(r, field, field.split(".")[0])
    assert api.get("/me/delegation", company.province_manager).status_code == 404


@pytest.mark.parametrize(
    "day",
    [
        "２０２６-１２-０１",
        "2026-02-30",
        "9999-99-99",
        "2026-12-01T00:00:00Z",
        "",
        20261201,
        "0000-01-01",
        "+2026-12-01",
    ],
)
def test_hostile_delegation_days_are_refused_naming_them(api, company, day):
    for field in ("from", "until"):
        body = {"to": {"id": "deputy"}, "from": TODAY.isoformat(), "until": TODAY.isoformat(), field: day}
        _refused(api.put("/me/delegation", company.province_manager, body), field)
    assert api.get("/me/delegation", company.province_manager).status_code == 404


def test_a_delegate_name_in_any_script_is_kept_exactly(api, company):
    name = "王小明 · Ōtsuka · Ахмед 🙂"
    r = api.put(
        "/me/delegation",
        company.province_manager,
        {"to": {"id": "deputy-1", "name": name}, "from": TODAY.isoformat(), "until": TODAY.isoformat()},
    )
    assert r.status_code == 200 and r.json["to"]["name"] == name, r.json
    assert api.get("/me/delegation", company.province_manager).json["to"]["name"] == name


# -- cursors of the new lists ------------------------------------------------------------------------
@pytest.mark.parametrize("cursor", ["0", "-1", "51", "99999999999999999999999", "1.5", "%00", "x" * 3000, "１"])
def test_a_hostile_audit_cursor_is_a_400(api, company, flow, cursor):
    c = flow.approved()
    r = api.get(f"/campaigns/{c['id']}/audit?cursor={cursor}", company.leader)
    assert r.status_code == 400 and _fields(r) == {"cursor"}, (cursor, r.status_code, r.json)


@pytest.mark.parametrize("path", ["/me/approvals", "/budgets", "/budgets/{budget}/entries"])
@pytest.mark.parametrize("cursor", ["e30", "W10", "bnVsbA", "eyJrIjp7fSwicSI6IiJ9", "%FF%FE", "A" * 3000])
def test_hostile_cursors_of_the_money_lists_are_a_400(api, company, path, cursor):
    b = _budget(api, company)
    r = api.get(path.format(budget=b["id"]) + f"?cursor={cursor}", company.leader)
    assert r.status_code == 400 and _fields(r) == {"cursor"}, (path, cursor, r.status_code, r.json)


def test_an_approval_card_and_audit_of_a_hostile_campaign_id_are_a_404_or_400(api, company):
    for cid in ("x" * 3000, "..%2F..%2Fbudgets", "%00", "１２３", "' OR '1'='1"):
        for path in (f"/campaigns/{cid}/audit", f"/campaigns/{cid}/approval-card"):
            r = api.get(path, company.leader)
            assert r.status_code in (400, 404), (path, r.status_code, r.json)
        r = api.post(f"/campaigns/{cid}/cancel", company.rep, {"reason": "x"})
        assert r.status_code in (400, 404), (cid, r.status_code, r.json)


def test_a_campaign_body_with_a_huge_requested_amount_never_reaches_a_chain(api, company):
    """The chain is fixed from requested_amount at submit: an amount beyond any level is refused
    at the door, not turned into a chain with no level."""
    api.put("/approval-policy", company.leader, POLICY)
    for value in ("9" * 30, "1e400", "-1"):
        raw = json.dumps(campaign_body()).replace('"requested_amount": 200000', '"requested_amount": ' + value)
        _refused(api.post("/campaigns", company.rep, raw=raw), "requested_amount")
    assert api.get("/campaigns", company.rep).json["items"] == []


def test_the_next_cursor_of_my_approvals_is_always_accepted(api, company):
    """A region manager acting for the other region: both regions' applications, page after page."""
    for _ in range(4):
        for rep in (company.rep, company.rep_west):
            c = api.post("/campaigns", rep, campaign_body()).json
            assert api.post(f"/campaigns/{c['id']}/submit", rep).status_code == 200
    assert (
        api.put(
            "/me/delegation",
            company.west_manager,
            {"to": {"id": company.sub("manager")}, "from": TODAY.isoformat(), "until": TODAY.isoformat()},
        ).status_code
        == 200
    )
    seen, cursor = [], None
    for _ in range(5):
        r = api.get("/me/approvals?limit=3" + (f"&cursor={cursor}" if cursor else ""), company.manager)
        assert r.status_code == 200, r.json
        seen += [c["id"] for c in r.json["items"]]
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 8


def test_a_ledger_cursor_forged_to_point_at_another_budget_is_refused(api, company):
    """The fingerprint of a ledger's cursors is derivable; the key inside must still be the
    ledger's own, or a start key elsewhere would be a 500 from DynamoDB (moto only reads on)."""
    from chalicelib.dal.paging import encode_cursor, fingerprint

    mine = api.post("/budgets", company.leader, {"org": company.root, "period": "2026", "amount": 1000}).json
    other = api.post(
        "/budgets", company.leader, {"org": company.east, "period": "2026", "amount": 500, "parent_id": mine["id"]}
    ).json
    forged = encode_cursor({"pk": f"budget#{other['id']}", "sk": "entry#0"}, fingerprint("ledger", mine["id"]))
    r = api.get(f"/budgets/{mine['id']}/entries?cursor={forged}", company.leader)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "cursor"
    # the same cursor naming the budget's own partition pages on: the partition alone was refused
    own = encode_cursor({"pk": f"budget#{mine['id']}", "sk": "entry#0"}, fingerprint("ledger", mine["id"]))
    assert api.get(f"/budgets/{mine['id']}/entries?cursor={own}", company.leader).status_code == 200
