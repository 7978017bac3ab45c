"""One company's tokens never read or change another company's data: through every route,
every role, every list filter (including `?org=`, `?owner=`, `?customer_id=` aimed at the other
company), forged cursors and reused Idempotency-Keys. Extends tests/functional/test_authz_matrix.py,
which covers the foreign leader and finance on each route's happy path."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import Company, Flow, campaign_body

ROLES = ("rep", "manager", "leader", "finance")
INVOICE_QR = "01,04,3200162130,77001234,120.00,20261102,,4FD5"
LISTS = (
    "/campaigns",
    "/feedback",
    "/feedback-requests",
    "/feedback-rules",
    "/me/feedback-requests",
    "/reports",
    "/customers/CUST-1/history",  # both companies serve a customer CUST-1
    "/budgets",
    "/me/approvals",
    "/webhooks",
    "/me/changes",
)


@pytest.fixture(scope="module")
def victim(lambda_client):
    """Company A with a campaign in every state, submitted feedback and a rule."""
    from tests.conftest import Api

    api, co = Api(lambda_client), Company()
    flow = Flow(api, co)
    rule = flow.rule(scope="all")
    budget = api.post("/budgets", co.leader, {"org": co.root, "period": "2026", "amount": 10_000_000}).json
    draft, submitted, approved = flow.draft(), flow.submitted(), flow.approved()
    with_feedback = flow.approved()
    flow.submit_feedback(with_feedback["id"])
    attachment = api.post(
        f"/campaigns/{approved['id']}/attachments",
        co.rep,
        {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
    ).json["attachment"]
    visit = api.post(f"/campaigns/{approved['id']}/visits", co.rep, {"lat": 32.0415, "lon": 118.7849})
    assert visit.status_code == 201, visit.json
    report = api.post("/reports/runs", co.leader, {"period": "2026-11"}).json
    hook = api.post("/webhooks", co.leader, {"url": "http://127.0.0.1:9/hook", "events": ["campaign.approved"]}).json
    invoice = api.post(f"/campaigns/{approved['id']}/invoices", co.rep, {"qr": INVOICE_QR})
    assert invoice.status_code == 201, invoice.json
    return {
        "invoice": invoice.json,
        "co": co,
        "rule": rule,
        "campaigns": [draft, submitted, approved, with_feedback],
        "ids": {c["id"] for c in (draft, submitted, approved, with_feedback)}
        | set(report["report_ids"])
        | {budget["id"], hook["id"]},
        "attachment": attachment,
        "report_ids": report["report_ids"],
    }


@pytest.fixture(scope="module")
def attacker():
    return Company()


def _token(co: Company, role: str) -> str:
    return {"rep": co.rep, "manager": co.manager, "leader": co.leader, "finance": co.finance}[role]


def _ids(body: dict) -> set[str]:
    return {item.get("id") or item.get("campaign_id") for item in body["items"]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", LISTS)
def test_no_list_shows_another_companys_data(api, victim, attacker, role, path):
    r = api.get(path, _token(attacker, role))
    assert r.status_code in (200, 403), r.json
    if r.status_code == 200:
        assert not _ids(r.json) & (victim["ids"] | {victim["rule"]["id"]})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/campaigns", "/feedback", "/feedback-requests"])
@pytest.mark.parametrize("org", ["root", "js", "east"])
def test_org_filter_outside_the_callers_company_is_403(api, victim, attacker, role, path, org):
    target = {"root": victim["co"].root, "js": victim["co"].js, "east": victim["co"].east}[org]
    r = api.get(f"{path}?org={target}", _token(attacker, role))
    assert r.status_code == 403 and r.json["code"] == "forbidden"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/campaigns", "/feedback", "/feedback-requests"])
def test_owner_customer_and_category_filters_stay_inside_the_callers_company(api, victim, attacker, role, path):
    queries = [
        f"owner={victim['co'].sub('rep')}",
        "customer_id=CUST-1",
        "category=tasting",
        "customer_id=CUST-1&category=tasting",
    ]
    for query in queries:
        r = api.get(f"{path}?{query}", _token(attacker, role))
        assert r.status_code in (200, 403), (query, r.json)
        if r.status_code == 200:
            assert not _ids(r.json) & victim["ids"], query


# every route that names a campaign, with a body it would accept from the right caller
CAMPAIGN_ROUTES = [
    ("GET", "/campaigns/{id}", None),
    ("PATCH", "/campaigns/{id}", {"title": "pwned"}),
    ("POST", "/campaigns/{id}/submit", None),
    ("POST", "/campaigns/{id}/approve", {"approved_amount": 1000}),
    ("POST", "/campaigns/{id}/reject", {"comment": "pwned"}),
    ("PUT", "/campaigns/{id}/feedback", {"actual_spend": 1, "actual_sales": 1}),
    ("GET", "/campaigns/{id}/feedback", None),
    ("POST", "/campaigns/{id}/feedback/submit", {"actual_spend": 1, "actual_sales": 1}),
    ("GET", "/campaigns/{id}/feedback/revisions", None),
    ("POST", "/campaigns/{id}/reimbursement", {}),
    ("POST", "/campaigns/{id}/attachments", {"filename": "x.jpg", "content_type": "image/jpeg", "size_bytes": 1000}),
    ("GET", "/campaigns/{id}/attachments", None),
    ("DELETE", "/campaigns/{id}/attachments/{attachment_id}", None),
    ("GET", "/campaigns/{id}/evaluation", None),
    ("POST", "/campaigns/{id}/cancel", {"reason": "pwned"}),
    ("GET", "/campaigns/{id}/audit", None),
    ("GET", "/campaigns/{id}/approval-card", None),
    ("POST", "/campaigns/{id}/visits", {"lat": 32.0415, "lon": 118.7849}),
    ("GET", "/campaigns/{id}/visits", None),
    ("GET", "/campaigns/{id}/evidence", None),
    ("POST", "/campaigns/{id}/invoices", {"qr": "01,04,3200162130,77009999,1.00,20261102,,4FD5"}),
    ("GET", "/campaigns/{id}/invoices", None),
    ("DELETE", "/campaigns/{id}/invoices/{invoice_id}", None),
]


def test_campaign_routes_in_the_matrix_are_all_the_campaign_routes(chalice_app):
    served = {(m, p) for p, methods in chalice_app.routes.items() for m in methods if "{campaign_id}" in p}
    assert served == {(m, p.replace("{id}", "{campaign_id}")) for m, p, _ in CAMPAIGN_ROUTES}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,body", CAMPAIGN_ROUTES)
def test_another_companys_campaign_is_out_of_reach_and_unchanged(api, victim, attacker, role, method, path, body):
    co = victim["co"]
    for campaign in victim["campaigns"]:
        before = api.get(f"/campaigns/{campaign['id']}", co.leader).json
        feedback_before = api.get(f"/campaigns/{campaign['id']}/feedback", co.leader).json
        attachments_before = api.get(f"/campaigns/{campaign['id']}/attachments", co.leader).json
        trail_before = api.get(f"/campaigns/{campaign['id']}/audit", co.leader).json
        visits_before = api.get(f"/campaigns/{campaign['id']}/visits", co.leader).json
        invoices_before = api.get(f"/campaigns/{campaign['id']}/invoices", co.leader).json
        r = api.call(
            method,
            path.format(
                id=campaign["id"], attachment_id=victim["attachment"]["id"], invoice_id=victim["invoice"]["id"]
            ),
            _token(attacker, role),
            body,
            headers={"Idempotency-Key": f"k-{role}-{method}-{path}"} if method == "POST" else None,
        )
        assert r.status_code in (403, 404), (method, path, r.status_code, r.json)
        assert set(r.json) >= {"code", "message"} and campaign["title"] not in json.dumps(r.json)
        assert api.get(f"/campaigns/{campaign['id']}", co.leader).json == before, (method, path)
        assert api.get(f"/campaigns/{campaign['id']}/feedback", co.leader).json == feedback_before, (method, path)
        assert api.get(f"/campaigns/{campaign['id']}/attachments", co.leader).json == attachments_before
        assert api.get(f"/campaigns/{campaign['id']}/audit", co.leader).json == trail_before, (method, path)
        assert api.get(f"/campaigns/{campaign['id']}/visits", co.leader).json == visits_before, (method, path)
        assert api.get(f"/campaigns/{campaign['id']}/invoices", co.leader).json == invoices_before, (method, path)


@pytest.mark.parametrize("role", ROLES)
def test_another_companys_reports_are_out_of_reach(api, victim, attacker, role):
    for report_id in victim["report_ids"]:
        r = api.get(f"/reports/{report_id}", _token(attacker, role))
        assert r.status_code in (403, 404) and "artifacts" not in r.json, r.json


@pytest.mark.parametrize("group_by", ["category", "region", "province", "owner", "customer", "month"])
def test_the_summary_and_customer_history_count_only_the_callers_company(api, victim, streams, group_by):
    """Roll-ups are keyed by tenant: a fresh company sees nothing of the victim's approved and
    fed-back campaigns, whatever the grouping (the victim's campaigns are rolled up first)."""
    from tests.functional.test_rollups import campaign_records

    fresh = [r for r in campaign_records(streams, victim["co"].root) if r["eventID"] not in streams.delivered]
    if fresh:
        assert streams.invoke("on_campaign_change", fresh) == {"batchItemFailures": []}
    mine = api.get(f"/reports/summary?group_by={group_by}&from=2026-10&to=2026-12", victim["co"].leader)
    assert mine.status_code == 200 and mine.json["items"], mine.json  # the victim's data is there
    outsider = Company()
    for role in ("manager", "leader", "finance"):
        r = api.get(f"/reports/summary?group_by={group_by}&from=2026-10&to=2026-12", _token(outsider, role))
        assert r.status_code in (200, 403), r.json
        if r.status_code == 200:
            assert r.json["items"] == [], (role, r.json)
        history = api.get("/customers/CUST-1/history", _token(outsider, role))
        assert history.status_code in (200, 403)
        if history.status_code == 200:
            assert history.json["items"] == [] and history.json["summary"]["campaigns"] == 0, history.json


@pytest.mark.parametrize("role", ["manager", "leader"])
def test_a_report_subscription_is_for_the_callers_own_scope(api, attacker, role):
    r = api.put("/me/report-subscription", _token(attacker, role), {"frequency": "weekly"})
    assert r.status_code == 200 and r.json["scope"].split("/")[0] == attacker.root


@pytest.mark.parametrize("role", ROLES)
def test_another_companys_rule_cannot_be_deleted(api, victim, attacker, role):
    r = api.delete(f"/feedback-rules/{victim['rule']['id']}", _token(attacker, role))
    assert r.status_code in (403, 404)
    rules = api.get("/feedback-rules", victim["co"].leader).json["items"]
    assert victim["rule"]["id"] in {x["id"] for x in rules}


def test_the_same_idempotency_key_in_two_companies_never_replays_the_other_ones_response(api, victim, attacker):
    key = "shared-key-0001"
    mine = api.post("/campaigns", victim["co"].rep, campaign_body(), headers={"Idempotency-Key": key})
    theirs = api.post("/campaigns", attacker.rep, campaign_body(), headers={"Idempotency-Key": key})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json["id"] != theirs.json["id"]
    assert theirs.json["org"] == attacker.js and mine.json["org"] == victim["co"].js


def _forge(cursor: str, **changes) -> str:
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data["k"].update(changes)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/campaigns", "/feedback-rules", "/feedback", "/feedback-requests"])
def test_a_cursor_rewritten_to_point_into_another_company_is_a_400_not_a_500_nor_a_leak(api, victim, attacker, path):
    flow = Flow(api, attacker)
    if not api.get("/feedback-rules", attacker.leader).json["items"]:
        flow.rule(scope="all")
        flow.rule(scope="category", category="tasting")
        for i in range(6):  # feedback required by the rules: three pending, three submitted
            c = flow.approved()
            if i % 2:
                flow.submit_feedback(c["id"])
    first = api.get(f"{path}?limit=1", attacker.leader).json
    assert first["next_cursor"], path
    data = json.loads(base64.urlsafe_b64decode(first["next_cursor"] + "=" * (-len(first["next_cursor"]) % 4)))
    victim_values = {"org_root": victim["co"].root, "rule_tenant": victim["co"].root, "id": next(iter(victim["ids"]))}
    for name, value in data["k"].items():
        forged = _forge(
            first["next_cursor"],
            **{
                name: value.replace(attacker.root, victim["co"].root)
                if attacker.root in value
                else victim_values.get(name, value)
            },
        )
        r = api.get(f"{path}?limit=50&cursor={forged}", attacker.leader)
        assert r.status_code in (200, 400), (path, name, r.status_code, r.json)
        if r.status_code == 200:
            assert not _ids(r.json) & (victim["ids"] | {victim["rule"]["id"]}), (path, name)


def test_another_companys_claim_of_the_same_invoice_is_none_of_this_ones_business(api, victim, attacker):
    """The ledger is per company: the attacker claims the victim's invoice on a campaign of its
    own (201, nothing said of the victim), and the victim still holds its claim alone."""
    mine = Flow(api, attacker).approved()
    r = api.post(f"/campaigns/{mine['id']}/invoices", attacker.rep, {"qr": INVOICE_QR})
    assert r.status_code == 201 and r.json["campaign_id"] == mine["id"], r.json
    again = api.post(f"/campaigns/{mine['id']}/invoices", attacker.rep, {"qr": INVOICE_QR})
    assert again.status_code == 409 and again.json.get("claimed_on") == {"campaign_id": mine["id"]}
    co = victim["co"]
    held = api.get(f"/campaigns/{victim['invoice']['campaign_id']}/invoices", co.leader).json
    assert [i["id"] for i in held["items"]] == [victim["invoice"]["id"]]


@pytest.mark.parametrize("role", ("leader", "finance"))
def test_a_settlement_policy_is_the_callers_companys_own(api, victim, attacker, role):
    co = victim["co"]
    before = api.get("/settlement-policy", co.leader).json
    assert api.put("/settlement-policy", _token(attacker, role), {"invoices_required": True}).status_code == 200
    assert api.get("/settlement-policy", co.leader).json == before
