"""Money control across companies: another company's leader, finance, manager or rep never
reads or moves a company's budgets, ledgers, policy, approvals or delegations, and a
delegation lends authority only to the delegate it names, in the delegator's company, with a
manager's or leader's token. The campaign routes (audit, approval card, cancel) are in
test_cross_company.py's matrix of every campaign route."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from tests.conftest import Api, Company, business_date, campaign_body, mint

ROLES = ("rep", "manager", "leader", "finance")
TODAY = business_date()
POLICY = {"levels": [{"up_to": 500000, "approver": "province"}, {"up_to": None, "approver": "region"}]}
DEPUTY = "deputy-shared-id"  # the delegate's id: the same string in the other company too


def _token(co: Company, role: str) -> str:
    return {"rep": co.rep, "manager": co.manager, "leader": co.leader, "finance": co.finance}[role]


@pytest.fixture(scope="module")
def bank(lambda_client):
    """Company A: a budget and a child carved from it, a policy, a campaign waiting for its
    province step, one approved (so reserved, with ledger entries), and the province manager's
    delegation to DEPUTY for today."""
    api, co = Api(lambda_client), Company()
    top = api.post("/budgets", co.leader, {"org": co.root, "period": "2026", "amount": 1_000_000})
    assert top.status_code == 201, top.json
    east = api.post(
        "/budgets", co.finance, {"org": co.east, "period": "2026", "amount": 400_000, "parent_id": top.json["id"]}
    )
    assert east.status_code == 201, east.json
    assert api.put("/approval-policy", co.leader, POLICY).status_code == 200

    def submitted() -> str:
        c = api.post("/campaigns", co.rep, campaign_body(requested_amount=100_000)).json
        assert api.post(f"/campaigns/{c['id']}/submit", co.rep).status_code == 200
        return c["id"]

    waiting, approved = submitted(), submitted()
    done = api.post(f"/campaigns/{approved}/approve", co.province_manager, {"approved_amount": 90_000})
    assert done.status_code == 200 and done.json["status"] == "approved" and done.json["budget"], done.json
    d = api.put(
        "/me/delegation",
        co.province_manager,
        {
            "to": {"id": DEPUTY, "name": "Deputy"},
            "from": TODAY.isoformat(),
            "until": (TODAY + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert d.status_code == 200, d.json
    deputy = mint(DEPUTY, "manager", co.west, name="Deputy")
    assert waiting in {c["id"] for c in api.get("/me/approvals", deputy).json["items"]}  # the delegation works
    return {
        "co": co,
        "budgets": [top.json["id"], east.json["id"]],
        "waiting": waiting,
        "approved": approved,
        "deputy": deputy,
    }


@pytest.fixture(scope="module")
def outsider():
    return Company()


def _books(api, bank) -> dict:
    """Everything A's leader sees of A's money: budgets, ledgers, policy, the delegation."""
    co = bank["co"]
    return {
        "budgets": [api.get(f"/budgets/{b}", co.leader).json for b in bank["budgets"]],
        "ledgers": [api.get(f"/budgets/{b}/entries", co.leader).json for b in bank["budgets"]],
        "list": api.get("/budgets", co.leader).json,
        "policy": api.get("/approval-policy", co.leader).json,
        "delegation": api.get("/me/delegation", co.province_manager).json,
        "campaigns": [api.get(f"/campaigns/{c}", co.leader).json for c in (bank["waiting"], bank["approved"])],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/budgets/{budget}", None),
        ("GET", "/budgets/{budget}/entries", None),
        ("PATCH", "/budgets/{budget}", {"amount": 1}),
        ("PATCH", "/budgets/{budget}", {"amount": 5_000_000}),
    ],
)
def test_another_companys_budgets_and_ledgers_are_out_of_reach_and_unchanged(
    api, bank, outsider, role, method, path, body
):
    before = _books(api, bank)
    for budget_id in bank["budgets"]:
        r = api.call(method, path.format(budget=budget_id), _token(outsider, role), body)
        assert r.status_code in (403, 404), (method, path, r.status_code, r.json)
        assert set(r.json) >= {"code", "message"} and "amount" not in r.json and "items" not in r.json
    assert _books(api, bank) == before


@pytest.mark.parametrize("role", ROLES)
def test_another_companys_org_is_no_budget_filter(api, bank, outsider, role):
    co = bank["co"]
    for org in (co.root, co.east, co.js):
        r = api.get(f"/budgets?org={org}", _token(outsider, role))
        assert r.status_code == 403 and r.json["code"] == "forbidden", (org, r.json)


@pytest.mark.parametrize("role", ["leader", "finance"])
def test_nobody_carves_a_budget_out_of_another_companys(api, bank, outsider, role):
    before = _books(api, bank)
    co = bank["co"]
    for parent in bank["budgets"]:
        r = api.post(
            "/budgets",
            _token(outsider, role),
            {"org": outsider.root, "period": "2026-11", "amount": 100, "parent_id": parent},
        )
        assert r.status_code == 400 and {e["field"] for e in r.json["errors"]} == {"parent_id"}, r.json
    for org in (co.root, co.east):  # nor puts a budget into the other company
        r = api.post("/budgets", _token(outsider, role), {"org": org, "period": "2026-12", "amount": 100})
        assert r.status_code in (400, 403), r.json
        if r.status_code == 400:
            assert "org" in {e["field"] for e in r.json["errors"]}, r.json
    assert _books(api, bank) == before
    assert api.get("/budgets", _token(outsider, role)).json["items"] == []


def test_a_budget_id_of_another_company_never_covers_nor_reserves(api, bank, outsider):
    """B's approvals reserve from B's budgets only: with none, B's campaign is unbudgeted and
    A's budget does not move."""
    before = _books(api, bank)
    c = api.post("/campaigns", outsider.rep, campaign_body()).json
    api.post(f"/campaigns/{c['id']}/submit", outsider.rep)
    r = api.post(f"/campaigns/{c['id']}/approve", outsider.manager, {"approved_amount": 150_000})
    assert r.status_code == 200 and r.json["budget"] is None, r.json
    assert _books(api, bank) == before


def test_a_policy_is_the_callers_companys_alone(api, bank, outsider):
    before = _books(api, bank)
    theirs = {"levels": [{"up_to": None, "approver": "leader"}]}
    assert api.put("/approval-policy", outsider.leader, theirs).status_code == 200
    assert api.get("/approval-policy", outsider.manager).json["levels"] == theirs["levels"]
    assert _books(api, bank) == before
    assert api.get("/approval-policy", bank["co"].manager).json["levels"] == POLICY["levels"]


@pytest.mark.parametrize("role", ROLES)
def test_another_companys_approvers_never_see_its_waiting_campaigns(api, bank, outsider, role):
    r = api.get("/me/approvals", _token(outsider, role))
    assert r.status_code == (200 if role in ("manager", "leader") else 403), r.json
    if r.status_code == 200:
        assert not {c["id"] for c in r.json["items"]} & {bank["waiting"], bank["approved"]}


# -- delegations -------------------------------------------------------------------------------
def _acts(api, bank, token: str) -> list:
    """Every way a delegate would use the delegation on A's waiting campaign: (status, body)."""
    co, cid = bank["co"], bank["waiting"]
    out = []
    for body in ({"approved_amount": 50_000}, {"approved_amount": 50_000, "acting_for": co.sub("province_manager")}):
        out.append(("approve", api.post(f"/campaigns/{cid}/approve", token, body)))
    for body in ({"comment": "no"}, {"comment": "no", "acting_for": co.sub("province_manager")}):
        out.append(("reject", api.post(f"/campaigns/{cid}/reject", token, body)))
    out.append(("card", api.get(f"/campaigns/{cid}/approval-card", token)))
    out.append(("read", api.get(f"/campaigns/{cid}", token)))
    out.append(("cancel", api.post(f"/campaigns/{cid}/cancel", token, {"reason": "as the deputy"})))
    return out


@pytest.mark.parametrize("role", ["manager", "leader"])
def test_the_delegate_id_in_another_company_holds_no_authority(api, bank, outsider, role):
    """A token of company B whose subject is the very id A's delegation names."""
    before = _books(api, bank)
    impostor = mint(DEPUTY, role, outsider.east if role == "manager" else outsider.root, name="Deputy")
    assert bank["waiting"] not in {c["id"] for c in api.get("/me/approvals", impostor).json["items"]}
    for what, r in _acts(api, bank, impostor):
        assert r.status_code in (403, 404), (what, r.status_code, r.json)
        assert "customer" not in r.json and "campaign" not in r.json, what
    assert _books(api, bank) == before


@pytest.mark.parametrize("role", ["rep", "finance"])
def test_the_delegate_id_with_a_rep_or_finance_token_holds_no_authority(api, bank, role):
    """The same company, the delegate's very id, but not a manager's or leader's token."""
    before = _books(api, bank)
    co = bank["co"]
    token = mint(DEPUTY, role, co.zj if role == "rep" else co.root, name="Deputy")
    assert api.get("/me/approvals", token).status_code == 403
    for what, r in _acts(api, bank, token):
        if what == "read" and role == "finance":
            assert r.status_code == 200  # finance reads every campaign of its company, as before
            continue
        assert r.status_code in (403, 404), (what, r.status_code, r.json)
    assert _books(api, bank) == before


def test_another_companys_user_with_the_delegators_id_cannot_read_end_or_replace_the_delegation(api, bank, outsider):
    co = bank["co"]
    before = _books(api, bank)
    twin = mint(co.sub("province_manager"), "manager", outsider.js, name="Zhang San")  # A's delegator's id, in B
    assert api.get("/me/delegation", twin).status_code == 404
    assert api.delete("/me/delegation", twin).status_code == 404
    mine = api.put(
        "/me/delegation", twin, {"to": {"id": "someone-in-b"}, "from": TODAY.isoformat(), "until": TODAY.isoformat()}
    )
    assert mine.status_code == 200 and mine.json["to"]["id"] == "someone-in-b", mine.json
    assert _books(api, bank) == before
    assert bank["waiting"] in {c["id"] for c in api.get("/me/approvals", bank["deputy"]).json["items"]}
    assert api.delete("/me/delegation", twin).status_code == 204
    assert _books(api, bank) == before


def test_a_delegation_to_someone_of_another_company_lends_nothing(api, outsider):
    """A manager may name anyone; only a manager or leader of their own company can use it."""
    co = Company()
    api.put("/approval-policy", co.leader, POLICY)
    c = api.post("/campaigns", co.rep, campaign_body(requested_amount=100_000)).json
    api.post(f"/campaigns/{c['id']}/submit", co.rep)
    foreign_id = outsider.sub("manager")
    d = api.put(
        "/me/delegation",
        co.province_manager,
        {"to": {"id": foreign_id}, "from": TODAY.isoformat(), "until": TODAY.isoformat()},
    )
    assert d.status_code == 200 and d.json["to"]["id"] == foreign_id, d.json
    r = api.post(
        f"/campaigns/{c['id']}/approve",
        outsider.manager,
        {"approved_amount": 1000, "acting_for": co.sub("province_manager")},
    )
    assert r.status_code in (403, 404), r.json
    assert api.get(f"/campaigns/{c['id']}", co.leader).json["status"] == "submitted"
    assert c["id"] not in {x["id"] for x in api.get("/me/approvals", outsider.manager).json["items"]}


# -- forged cursors ----------------------------------------------------------------------------
def _cursor(key: dict, fp_parts: tuple) -> str:
    from chalicelib.dal.paging import encode_cursor, fingerprint

    return encode_cursor(key, fingerprint(*fp_parts))


def _b64(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_ledger_cursor_pointing_into_another_companys_ledger_is_a_400_not_a_500_nor_a_leak(api, bank, outsider):
    mine = api.post("/budgets", outsider.leader, {"org": outsider.root, "period": "2026-10", "amount": 1000}).json
    victim = bank["budgets"][0]
    entry = api.get(f"/budgets/{victim}/entries", bank["co"].leader).json["items"][0]
    forged = _cursor({"pk": f"budget#{victim}", "sk": f"entry#{entry['id']}"}, ("ledger", mine["id"]))
    r = api.get(f"/budgets/{mine['id']}/entries?cursor={forged}", outsider.leader)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "cursor", (r.status_code, r.json)


def test_a_budget_list_cursor_pointing_into_another_company_is_a_400_not_a_500_nor_a_leak(api, bank, outsider):
    co = bank["co"]
    for org in ("EAST", "WEST", "NORTH"):
        api.post("/budgets", outsider.leader, {"org": f"{outsider.root}/{org}", "period": "2026", "amount": 1000})
    first = api.get("/budgets?limit=1", outsider.leader).json
    assert first["next_cursor"]
    data = json.loads(base64.urlsafe_b64decode(first["next_cursor"] + "=" * (-len(first["next_cursor"]) % 4)))
    data["k"] = {k: v.replace(outsider.root, co.root) for k, v in data["k"].items()}
    data["k"]["pk"] = f"budget#{bank['budgets'][0]}"
    r = api.get(f"/budgets?limit=50&cursor={_b64(data)}", outsider.leader)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "cursor", (r.status_code, r.json)


def test_an_approvals_cursor_naming_another_companys_keys_is_a_400(api, bank, outsider):
    co = bank["co"]
    for state in (
        {co.js: None},
        {outsider.east: None, co.east: None},
        {outsider.east: "x"},
        {outsider.east: 5},
        {outsider.east: ["x"]},
        ["x"],
        "x",
    ):
        r = api.get(f"/me/approvals?cursor={_b64(state)}", outsider.manager)
        assert r.status_code == 400 and r.json["errors"][0]["field"] == "cursor", (state, r.status_code, r.json)
