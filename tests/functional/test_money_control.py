"""Money control through the HTTP API: budgets and their ledger, the reservation made by the
final approval, settlement and cancellation, approval chains, delegation, duplicate warnings,
the approval card and the audit trail."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import business_date, mint
from tests.conftest import make_budget as budget

POLICY = {
    "levels": [
        {"up_to": 500000, "approver": "province"},
        {"up_to": 5000000, "approver": "region"},
        {"up_to": None, "approver": "leader"},
    ]
}
TODAY = business_date()


def replay(api, company, budget_id):
    """The figures the ledger gives, entry by entry (API.md: replaying gives them exactly)."""
    figures = {"amount": 0, "allocated": 0, "reserved": 0, "consumed": 0}
    cursor = None
    while True:
        r = api.get(f"/budgets/{budget_id}/entries" + (f"?cursor={cursor}" if cursor else ""), company.leader)
        assert r.status_code == 200, r.json
        for e in r.json["items"]:
            kind, a = e["kind"], e["amount"]
            if kind in ("allocate", "adjust"):
                figures["amount"] += a
            elif kind == "carve":
                figures["allocated"] += a
            elif kind == "reserve":
                figures["reserved"] += a
            elif kind == "release":
                figures["reserved"] -= a
            elif kind == "consume":
                figures["reserved"] -= a
                figures["consumed"] += a
        cursor = r.json["next_cursor"]
        if cursor is None:
            return figures


def figures_of(b: dict) -> dict:
    return {k: b[k] for k in ("amount", "allocated", "reserved", "consumed")}


# -- budgets -----------------------------------------------------------------------------------
def test_a_budget_is_allocated_carved_and_resized_and_its_ledger_replays_to_it(api, company):
    top = budget(api, company, 1_000_000)
    east = budget(api, company, 300_000, org=company.east, period="2026-Q4", parent_id=top["id"])
    assert east["available"] == 300_000 and east["parent_id"] == top["id"]
    top_now = api.get(f"/budgets/{top['id']}", company.leader).json
    assert top_now["allocated"] == 300_000 and top_now["available"] == 700_000
    grown = api.patch(f"/budgets/{east['id']}", company.finance, {"amount": 400_000})
    assert grown.status_code == 200 and grown.json["amount"] == 400_000
    shrunk = api.patch(f"/budgets/{east['id']}", company.finance, {"amount": 250_000})
    assert shrunk.status_code == 200
    top_now = api.get(f"/budgets/{top['id']}", company.leader).json
    assert top_now["allocated"] == 250_000 and top_now["available"] == 750_000
    for b in (top_now, shrunk.json):
        assert replay(api, company, b["id"]) == figures_of(b)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-Q5"}, "period"),
        ({"amount": -1}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 2**63}, "amount"),
        ({"org": "OTHER/EAST"}, "org"),
    ],
)
def test_bad_budgets_are_refused_naming_the_field(api, company, body, field):
    r = api.post("/budgets", company.leader, {"org": company.root, "period": "2026", "amount": 1000, **body})
    assert r.status_code == 400 and field in {e["field"] for e in r.json["errors"]}, r.json


@pytest.mark.parametrize(
    "child,field",
    [
        ({"org": "{west}"}, "org"),
        ({"period": "2027"}, "period"),
        ({"category": "display"}, "category"),
    ],
)
def test_a_carved_budget_must_fit_inside_its_parent(api, company, child, field):
    parent = budget(api, company, 100_000, org=company.east, period="2026-Q4", category="tasting")
    body = {
        "org": company.east,
        "period": "2026-11",
        "category": "tasting",
        "amount": 1000,
        "parent_id": parent["id"],
        **{k: (company.west if v == "{west}" else v) for k, v in child.items()},
    }
    r = api.post("/budgets", company.leader, body)
    assert r.status_code == 400 and field in {e["field"] for e in r.json["errors"]}, r.json


def test_one_budget_per_scope_and_never_more_than_the_parent_has(api, company):
    parent = budget(api, company, 100_000)
    again = api.post("/budgets", company.finance, {"org": company.root, "period": "2026", "amount": 5})
    assert again.status_code == 409 and again.json["code"] == "budget_exists"
    short = api.post(
        "/budgets",
        company.leader,
        {"org": company.east, "period": "2026", "amount": 100_001, "parent_id": parent["id"]},
    )
    assert short.status_code == 409 and short.json["code"] == "budget_exceeded" and short.json["available"] == 100_000


def test_a_budget_never_shrinks_below_what_it_has_committed(api, company, flow):
    b = budget(api, company, 200_000)
    flow.approved(amount=150_000)
    r = api.patch(f"/budgets/{b['id']}", company.leader, {"amount": 100_000})
    assert r.status_code == 409 and r.json["code"] == "budget_below_committed"


def test_who_sees_which_budgets(api, company):
    top = budget(api, company, 1_000_000)
    east = budget(api, company, 100_000, org=company.east, parent_id=top["id"])
    west = budget(api, company, 100_000, org=company.west, parent_id=top["id"])
    seen = {b["id"] for b in api.get("/budgets", company.manager).json["items"]}
    assert seen == {top["id"], east["id"]}  # their subtree and its ancestors
    assert api.get(f"/budgets/{west['id']}", company.manager).status_code == 403
    assert api.get("/budgets", company.rep).status_code == 403
    assert {b["id"] for b in api.get("/budgets", company.finance).json["items"]} == {top["id"], east["id"], west["id"]}


# -- effects on the campaign -------------------------------------------------------------------
def test_approval_reserves_settlement_consumes_and_releases_the_rest(api, company, flow, streams):
    b = budget(api, company, 500_000)
    c = flow.approved(amount=180_000)
    assert c["budget"] == {
        "id": b["id"],
        "org": company.root,
        "period": "2026",
        "category": None,
        "reserved": 180_000,
        "consumed": 0,
        "released": 0,
    }
    assert api.get(f"/budgets/{b['id']}", company.leader).json["available"] == 320_000
    paid = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {"amount": 150_000})
    assert paid.status_code == 201, paid.json
    assert (
        paid.json["campaign"]["budget"]["consumed"] == 150_000 and paid.json["campaign"]["budget"]["released"] == 30_000
    )
    after = api.get(f"/budgets/{b['id']}", company.leader).json
    assert (after["reserved"], after["consumed"], after["available"]) == (0, 150_000, 350_000)
    assert replay(api, company, b["id"]) == figures_of(after)


def test_the_ledger_names_the_campaigns_its_reader_may_see(api, company, flow):
    """Finance saw every campaign row as a bare 「活动」 link; a manager of another region sees
    the company budget's ledger but not the titles of campaigns outside their subtree."""
    b = budget(api, company, 500_000)
    east = flow.approved(amount=100_000, title="周末品鉴 · 苏果新街口")
    flow.approved(amount=50_000, title="西区路演", token=company.rep_west, approver=company.west_manager)
    entries = api.get(f"/budgets/{b['id']}/entries", company.finance).json["items"]
    titles = {e["campaign_id"]: e.get("campaign_title") for e in entries if e["kind"] == "reserve"}
    assert titles[east["id"]] == "周末品鉴 · 苏果新街口" and set(titles.values()) == {
        "周末品鉴 · 苏果新街口",
        "西区路演",
    }
    seen_west = api.get(f"/budgets/{b['id']}/entries", company.west_manager).json["items"]
    assert {e.get("campaign_title") for e in seen_west if e["kind"] == "reserve"} == {None, "西区路演"}


def test_an_approval_that_would_overspend_is_refused_and_the_campaign_stays_submitted(api, company, flow):
    budget(api, company, 100_000)
    c = flow.submitted()
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 150_000})
    assert r.status_code == 409 and r.json["code"] == "budget_exceeded" and r.json["available"] == 100_000
    assert flow.campaign(c["id"])["status"] == "submitted"


def test_the_most_specific_budget_covers_a_campaign(api, company, flow):
    budget(api, company, 1_000_000)
    province = budget(api, company, 300_000, org=company.js, period="2026-11", category="tasting")
    budget(api, company, 300_000, org=company.js, period="2026")
    c = flow.approved(amount=1000)
    assert c["budget"]["id"] == province["id"]


def test_cancelling_releases_everything_and_leaves_every_worklist(api, company, flow):
    flow.rule(scope="all")
    b = budget(api, company, 500_000)
    c = flow.approved(amount=100_000)
    r = api.post(f"/campaigns/{c['id']}/cancel", company.rep, {"reason": "the store closed"})
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
    assert r.json["budget"]["released"] == 100_000 and r.json["reimbursement"]["status"] == "not_eligible"
    assert api.get(f"/budgets/{b['id']}", company.leader).json["available"] == 500_000
    assert c["id"] not in {x["campaign_id"] for x in api.get("/me/feedback-requests", company.rep).json["items"]}
    assert c["id"] not in {x["campaign_id"] for x in api.get("/feedback-requests", company.leader).json["items"]}
    again = api.post(f"/campaigns/{c['id']}/cancel", company.rep, {"reason": "twice"})
    assert again.status_code == 409 and again.json["code"] == "invalid_state"
    settle = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert settle.status_code == 409 and settle.json["code"] == "invalid_state"


@pytest.mark.parametrize("ahead", ["settle", "cancel"])
def test_settlement_racing_cancellation_lets_exactly_one_win(api, company, flow, ahead):
    """Both at once; `ahead` starts 30 ms early, so each side wins in one of the runs (settling
    is the slower request: started together, cancelling always won)."""
    b = budget(api, company, 500_000)
    c = flow.approved(amount=100_000)

    def later(call, *args):
        time.sleep(0.03)
        return call(*args)

    settle_call = (api.post,) if ahead == "settle" else (later, api.post)
    cancel_call = (api.post,) if ahead == "cancel" else (later, api.post)
    with ThreadPoolExecutor(2) as pool:
        settle = pool.submit(*settle_call, f"/campaigns/{c['id']}/reimbursement", company.finance, {})
        cancel = pool.submit(*cancel_call, f"/campaigns/{c['id']}/cancel", company.manager, {"reason": "race"})
        settled, cancelled = settle.result(), cancel.result()
    assert sorted([settled.status_code, cancelled.status_code]) in ([200, 409], [201, 409]), (
        settled.json,
        cancelled.json,
    )
    loser = cancelled if settled.status_code == 201 else settled
    assert loser.json["code"] in ("invalid_state", "conflict"), loser.json
    # the winner decides what the campaign and the budget show afterwards
    campaign = api.get(f"/campaigns/{c['id']}", company.finance).json
    after = api.get(f"/budgets/{b['id']}", company.leader).json
    if settled.status_code == 201:
        assert campaign["status"] != "cancelled" and campaign["reimbursement"]["status"] == "reimbursed"
        assert campaign["budget"]["consumed"] == after["consumed"] == settled.json["amount"] > 0
    else:
        assert campaign["status"] == "cancelled" and campaign["budget"]["released"] == 100_000
        assert after["consumed"] == 0 and after["available"] == 500_000
    assert after["reserved"] == 0 and after["available"] + after["consumed"] == 500_000
    assert replay(api, company, b["id"]) == figures_of(after)


def test_racing_approvals_never_reserve_more_than_is_available(api, company, flow):
    b = budget(api, company, 5 * 100_000)
    campaigns = [flow.submitted(requested_amount=100_000)["id"] for _ in range(10)]
    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(
                lambda cid: api.post(f"/campaigns/{cid}/approve", company.manager, {"approved_amount": 100_000}),
                campaigns,
            )
        )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 5 + [409] * 5, [(r.status_code, r.json) for r in results]
    assert {r.json["code"] for r in results if r.status_code == 409} == {"budget_exceeded"}
    after = api.get(f"/budgets/{b['id']}", company.leader).json
    assert after["available"] == 0 and after["reserved"] == 500_000
    assert replay(api, company, b["id"]) == figures_of(after)


def test_a_retried_approval_reserves_once(api, company, flow):
    b = budget(api, company, 500_000)
    c = flow.submitted()
    key = {"Idempotency-Key": "approve-" + c["id"]}
    first = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 100_000}, headers=key)
    again = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 100_000}, headers=key)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert api.get(f"/budgets/{b['id']}", company.leader).json["reserved"] == 100_000
    trail = api.get(f"/campaigns/{c['id']}/audit", company.leader).json
    assert [e["action"] for e in trail["items"]].count("budget_reserved") == 1


# -- approval chains and delegation --------------------------------------------------------------
def test_a_chain_is_fixed_at_submit_and_taken_step_by_step(api, company):
    assert api.put("/approval-policy", company.leader, POLICY).status_code == 200
    c = api.post("/campaigns", company.rep, {**_body(), "requested_amount": 1_000_000}).json
    c = api.post(f"/campaigns/{c['id']}/submit", company.rep).json
    assert c["approval"]["chain"] == [
        {"level": "province", "org": company.js},
        {"level": "region", "org": company.east},
    ]
    assert c["approval"]["next"] == {"level": "province", "org": company.js}
    # the region may not take the province's step
    r = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 900_000})
    assert r.status_code == 403 and r.json["code"] == "not_your_step"
    step = api.post(f"/campaigns/{c['id']}/approve", company.province_manager, {"approved_amount": 900_000})
    assert step.status_code == 200 and step.json["status"] == "submitted"
    assert step.json["approval"]["next"] == {"level": "region", "org": company.east}
    again = api.post(f"/campaigns/{c['id']}/approve", company.province_manager, {"approved_amount": 800_000})
    assert again.status_code == 403 and again.json["code"] == "already_approved"
    higher = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 950_000})
    assert higher.status_code == 400 and higher.json["errors"][0]["field"] == "approved_amount"
    done = api.post(f"/campaigns/{c['id']}/approve", company.manager, {"approved_amount": 800_000})
    assert done.status_code == 200 and done.json["status"] == "approved" and done.json["approved_amount"] == 800_000
    assert [s["level"] for s in done.json["approval"]["steps"]] == ["province", "region"]
    assert done.json["approval"]["next"] is None


def test_me_approvals_lists_what_waits_for_my_step_oldest_first(api, company, flow):
    api.put("/approval-policy", company.leader, POLICY)
    small = flow.submitted(requested_amount=100_000)["id"]
    large = flow.submitted(requested_amount=1_000_000)["id"]
    province = [c["id"] for c in api.get("/me/approvals", company.province_manager).json["items"]]
    assert province == [small, large]
    assert api.get("/me/approvals", company.manager).json["items"] == []
    api.post(f"/campaigns/{large}/approve", company.province_manager, {"approved_amount": 900_000})
    assert [c["id"] for c in api.get("/me/approvals", company.manager).json["items"]] == [large]


def test_a_delegate_acts_for_the_delegator_only_on_the_delegated_days(api, company, flow):
    api.put("/approval-policy", company.leader, POLICY)
    c = flow.submitted(requested_amount=100_000)["id"]
    colleague = mint("deputy-" + company.root, "manager", company.west, name="Deputy")
    d = api.put(
        "/me/delegation",
        company.province_manager,
        {
            "to": {"id": "deputy-" + company.root, "name": "Deputy"},
            "from": TODAY.isoformat(),
            "until": (TODAY + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert d.status_code == 200, d.json
    assert c in [x["id"] for x in api.get("/me/approvals", colleague).json["items"]]
    r = api.post(f"/campaigns/{c}/approve", colleague, {"approved_amount": 90_000})
    assert r.status_code == 200 and r.json["status"] == "approved", r.json
    step = r.json["approval"]["steps"][0]
    assert step["by"]["id"] == "deputy-" + company.root and step["acting_for"]["id"] == company.sub("province_manager")
    trail = api.get(f"/campaigns/{c}/audit", company.leader).json["items"]
    assert trail[-2]["actor"]["acting_for"]["id"] == company.sub("province_manager")
    # after DELETE the authority is gone
    other = flow.submitted(requested_amount=100_000)["id"]
    assert api.delete("/me/delegation", company.province_manager).status_code == 204
    gone = api.post(f"/campaigns/{other}/approve", colleague, {"approved_amount": 1})
    assert gone.status_code == 403


@pytest.mark.parametrize(
    "body,field",
    [
        ({"to": {"id": "pm-self"}}, "to.id"),
        ({"until": "2000-01-01", "from": "2000-01-01"}, "until"),
        ({"from": "2026-12-10", "until": "2026-12-01"}, "until"),
    ],
)
def test_bad_delegations_are_refused(api, company, body, field):
    base = {"to": {"id": "someone"}, "from": TODAY.isoformat(), "until": (TODAY + dt.timedelta(days=1)).isoformat()}
    body = {**base, **body}
    if body["to"]["id"] == "pm-self":
        body["to"] = {"id": company.sub("province_manager")}
    r = api.put("/me/delegation", company.province_manager, body)
    assert r.status_code == 400 and field in {e["field"] for e in r.json["errors"]}, r.json


@pytest.mark.parametrize(
    "levels,field",
    [
        ([{"up_to": 500, "approver": "province"}, {"up_to": 400, "approver": "region"}], "levels.1.up_to"),
        ([{"up_to": 500, "approver": "province"}, {"up_to": None, "approver": "boss"}], "levels.1.approver"),
        ([{"up_to": None, "approver": "province"}, {"up_to": 900, "approver": "region"}], "levels.0.up_to"),
    ],
)
def test_bad_policies_are_refused_naming_the_level(api, company, levels, field):
    r = api.put("/approval-policy", company.leader, {"levels": levels})
    assert r.status_code == 400 and field in {e["field"] for e in r.json["errors"]}, r.json


# -- warnings, the card, the trail ---------------------------------------------------------------
def overlapping(warnings: list[dict]) -> list[dict]:
    """The overlapping_campaign warnings (an application for a campaign already begun also
    carries retroactive_application, tested in test_campaign_dates.py)."""
    return [w for w in warnings if w["code"] == "overlapping_campaign"]


def test_overlapping_applications_carry_a_warning_from_submit_on(api, company, flow):
    first = flow.submitted()
    second = flow.draft()
    assert api.get(f"/campaigns/{second['id']}", company.rep).json["warnings"] == []
    second = api.post(f"/campaigns/{second['id']}/submit", company.rep).json
    assert overlapping(second["warnings"])[0]["campaign_ids"] == [first["id"]]
    elsewhere = flow.submitted(start_date="2026-10-10", end_date="2026-10-12")
    assert overlapping(elsewhere["warnings"]) == []
    api.post(f"/campaigns/{first['id']}/reject", company.manager, {"comment": "no"})
    assert overlapping(api.get(f"/campaigns/{second['id']}", company.rep).json["warnings"]) == []


def test_the_approval_card_shows_what_an_approver_needs(api, company, flow, streams):
    from tests.functional.test_evaluation import sync

    done = flow.approved(start_date="2026-03-01", end_date="2026-03-02")  # the customer's past
    flow.submit_feedback(done["id"], actual_spend=100_000, actual_sales=400_000)
    sync(streams, company)
    b = budget(api, company, 500_000)
    flow.submitted()
    c = flow.submitted()
    card = api.get(f"/campaigns/{c['id']}/approval-card", company.manager)
    assert card.status_code == 200, card.json
    assert card.json["campaign"]["id"] == c["id"] and card.json["customer"]["id"] == "CUST-1"
    past = card.json["customer"]["summary"]
    assert (past["campaigns"], past["actual_spend"], past["actual_sales"]) == (1, 100_000, 400_000), past
    assert card.json["budget"] == {
        "id": b["id"],
        "org": company.root,
        "period": "2026",
        "category": None,
        "amount": 500_000,
        "available": 500_000,
    }
    assert card.json["warnings"][0]["code"] == "overlapping_campaign"
    assert card.json["approval"]["next"]["level"] == "manager"
    assert api.get(f"/campaigns/{c['id']}/approval-card", company.rep).status_code == 403


def test_the_audit_trail_records_every_change_once_and_verifies(api, company, flow, streams):
    budget(api, company, 500_000)
    flow.rule(scope="all")
    c = flow.approved(amount=180_000)
    flow.submit_feedback(c["id"])
    streams.deliver_feedback(c["id"])
    streams.deliver_feedback(c["id"])  # redelivered: nothing twice
    api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    trail = api.get(f"/campaigns/{c['id']}/audit", company.rep).json
    assert trail["verified"] is True
    actions = [e["action"] for e in trail["items"]]
    assert actions == [
        "created",
        "submitted",
        "approval_step",
        "approved",
        "budget_reserved",
        "feedback_submitted",
        "settlement_unlocked",
        "reimbursed",
        "budget_consumed",
        "budget_released",
    ], actions
    assert [e["seq"] for e in trail["items"]] == list(range(1, len(actions) + 1))
    assert trail["items"][0]["prev_hash"] == "0" * 64
    assert trail["items"][6]["actor"] == {"id": "system", "role": "system"}
    _verify_offline(trail["items"])


def _verify_offline(items: list[dict]) -> None:
    """What an auditor does with the JSON alone (tools/verify_audit.py, docs/audit.md)."""
    from tools.verify_audit import chain_problems

    assert chain_problems(items) == []


def _body(**overrides) -> dict:
    from tests.conftest import campaign_body

    return campaign_body(**overrides)
