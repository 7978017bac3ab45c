"""Every role × every route × in scope / out of scope, against the one policy in domain/access.py.

Actors, seen from a campaign owned by `owner` (a rep in CO/EAST/JS):
  owner            the rep who applied                      peer_rep        a rep in CO/EAST/ZJ
  manager_in       the region manager of CO/EAST            manager_out     the manager of CO/WEST
  leader, finance  of the same company                      foreign_*       leader/finance of another company
"""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest

from tests.conftest import Company, business_date, campaign_body

_TODAY = business_date()
DELEGATION = {
    "to": {"id": "someone-else", "name": "Colleague"},
    "from": _TODAY.isoformat(),
    "until": (_TODAY + dt.timedelta(days=3)).isoformat(),
}

ACCOUNTS = {"expense_account": "6601", "payable_account": "2202"}
ACTORS = ("owner", "peer_rep", "manager_in", "manager_out", "leader", "finance", "foreign_leader", "foreign_finance")


def row(owner, peer_rep, manager_in, manager_out, leader, finance, foreign_leader, foreign_finance):
    return dict(
        zip(
            ACTORS,
            (owner, peer_rep, manager_in, manager_out, leader, finance, foreign_leader, foreign_finance),
            strict=True,
        )
    )


SCOPED_READ = row(200, 403, 200, 403, 200, 200, 403, 403)
HOOKS = row(403, 403, 403, 403, 200, 200, 404, 404)
HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["campaign.submitted"]}  # port 9: nothing listens
OWNER_ONLY = row(200, 403, 403, 403, 403, 403, 403, 403)

# route: (state the campaign must be in, method, path, body, expected per actor)
MATRIX = {
    "list categories": ("none", "GET", "/categories", None, row(*[200] * 8)),
    "the OpenAPI document (public)": ("none", "GET", "/openapi.json", None, row(*[200] * 8)),
    "create campaign": ("none", "POST", "/campaigns", campaign_body(), row(201, 201, 201, 201, 403, 403, 403, 403)),
    "get campaign": ("draft", "GET", "/campaigns/{id}", None, SCOPED_READ),
    "edit campaign": ("draft", "PATCH", "/campaigns/{id}", {"title": "New"}, OWNER_ONLY),
    "submit campaign": ("draft", "POST", "/campaigns/{id}/submit", None, OWNER_ONLY),
    "approve": (
        "submitted",
        "POST",
        "/campaigns/{id}/approve",
        {"approved_amount": 1000},
        row(403, 403, 200, 403, 200, 403, 403, 403),
    ),
    "reject": (
        "submitted",
        "POST",
        "/campaigns/{id}/reject",
        {"comment": "no"},
        row(403, 403, 200, 403, 200, 403, 403, 403),
    ),
    "list campaigns": ("draft", "GET", "/campaigns", None, row(*[200] * 8)),
    "list campaigns of the owner's org": (
        "draft",
        "GET",
        "/campaigns?org={org}",
        None,
        row(200, 200, 200, 403, 200, 200, 403, 403),
    ),
    "create rule": ("none", "POST", "/feedback-rules", {"scope": "all"}, row(403, 403, 403, 403, 201, 403, 201, 403)),
    "list rules": ("none", "GET", "/feedback-rules", None, row(*[200] * 8)),
    "delete rule": ("rule", "DELETE", "/feedback-rules/{rule}", None, row(403, 403, 403, 403, 204, 403, 404, 403)),
    "my feedback requests": ("none", "GET", "/me/feedback-requests", None, row(200, 200, 200, 200, 403, 403, 403, 403)),
    "save feedback draft": ("approved", "PUT", "/campaigns/{id}/feedback", {"actual_spend": 1}, OWNER_ONLY),
    "get feedback": ("approved", "GET", "/campaigns/{id}/feedback", None, SCOPED_READ),
    "submit feedback": (
        "approved",
        "POST",
        "/campaigns/{id}/feedback/submit",
        {"actual_spend": 1, "actual_sales": 2},
        OWNER_ONLY,
    ),
    "feedback revisions": ("approved", "GET", "/campaigns/{id}/feedback/revisions", None, SCOPED_READ),
    "settle": ("approved", "POST", "/campaigns/{id}/reimbursement", {}, row(403, 403, 403, 403, 403, 201, 403, 403)),
    "search feedback (D)": ("none", "GET", "/feedback", None, row(*[200] * 8)),
    "search feedback in the owner's org (D)": (
        "none",
        "GET",
        "/feedback?org={org}",
        None,
        row(200, 200, 200, 403, 200, 200, 403, 403),
    ),
    "search feedback requests (E)": ("none", "GET", "/feedback-requests", None, row(*[200] * 8)),
    "search feedback requests in the owner's org (E)": (
        "none",
        "GET",
        "/feedback-requests?org={org}",
        None,
        row(200, 200, 200, 403, 200, 200, 403, 403),
    ),
    "ask for an upload": (
        "approved",
        "POST",
        "/campaigns/{id}/attachments",
        {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
        row(201, 403, 403, 403, 403, 403, 403, 403),
    ),
    "list attachments": ("approved", "GET", "/campaigns/{id}/attachments", None, SCOPED_READ),
    "delete attachment": (
        "attachment",
        "DELETE",
        "/campaigns/{id}/attachments/{att}",
        None,
        row(204, 403, 403, 403, 403, 403, 403, 403),
    ),
    # in the field
    "check in": (
        "approved",
        "POST",
        "/campaigns/{id}/visits",
        {"lat": 32.0415, "lon": 118.7849},
        row(201, 403, 403, 403, 403, 403, 403, 403),
    ),
    "list visits": ("approved", "GET", "/campaigns/{id}/visits", None, SCOPED_READ),
    "evidence bundle": ("approved", "GET", "/campaigns/{id}/evidence", None, SCOPED_READ),
    "my changes": ("none", "GET", "/me/changes", None, row(*[200] * 8)),
    # evaluation and reports
    "campaign evaluation": ("approved", "GET", "/campaigns/{id}/evaluation", None, SCOPED_READ),
    "customer history": ("none", "GET", "/customers/{customer}/history", None, row(*[200] * 8)),
    "summary report": ("none", "GET", "/reports/summary?group_by=category", None, row(*[200] * 8)),
    "run reports": (
        "none",
        "POST",
        "/reports/runs",
        {"period": "2026-11"},
        row(403, 403, 403, 403, 202, 403, 202, 403),
    ),
    "list reports": ("none", "GET", "/reports", None, row(403, 403, 200, 200, 200, 403, 200, 403)),
    "get the group report": ("report", "GET", "/reports/{report}", None, row(403, 403, 403, 403, 200, 403, 404, 403)),
    "subscribe to reports": (
        "none",
        "PUT",
        "/me/report-subscription",
        {"frequency": "weekly"},
        row(403, 403, 200, 200, 200, 403, 200, 403),
    ),
    # money control
    "cancel": (
        "draft",
        "POST",
        "/campaigns/{id}/cancel",
        {"reason": "not needed"},
        row(200, 403, 200, 403, 200, 403, 403, 403),
    ),
    "audit trail": ("approved", "GET", "/campaigns/{id}/audit", None, SCOPED_READ),
    "approval card": (
        "submitted",
        "GET",
        "/campaigns/{id}/approval-card",
        None,
        row(403, 403, 200, 403, 200, 403, 403, 403),
    ),
    "my approvals": ("none", "GET", "/me/approvals", None, row(403, 403, 200, 200, 200, 403, 200, 403)),
    "set the approval policy": (
        "none",
        "PUT",
        "/approval-policy",
        {"levels": [{"up_to": None, "approver": "leader"}]},
        row(403, 403, 403, 403, 200, 403, 200, 403),
    ),
    "read the approval policy": ("none", "GET", "/approval-policy", None, row(403, 403, 200, 200, 200, 403, 200, 403)),
    "delegate": ("none", "PUT", "/me/delegation", DELEGATION, row(403, 403, 200, 200, 200, 403, 200, 403)),
    "read my delegation": (
        "own delegation",
        "GET",
        "/me/delegation",
        None,
        row(403, 403, 200, 200, 200, 403, 200, 403),
    ),
    "end my delegation": (
        "own delegation",
        "DELETE",
        "/me/delegation",
        None,
        row(403, 403, 204, 204, 204, 403, 204, 403),
    ),
    "create budget": (
        "none",
        "POST",
        "/budgets",
        {"org": "{root}", "period": "2026", "amount": 100000},
        row(403, 403, 403, 403, 201, 201, 400, 400),
    ),
    "list budgets": ("none", "GET", "/budgets", None, row(403, 403, 200, 200, 200, 200, 200, 200)),
    "get budget": ("budget", "GET", "/budgets/{budget}", None, row(403, 403, 200, 200, 200, 200, 403, 403)),
    "resize budget": (
        "budget",
        "PATCH",
        "/budgets/{budget}",
        {"amount": 200000},
        row(403, 403, 403, 403, 200, 200, 403, 403),
    ),
    "budget ledger": ("budget", "GET", "/budgets/{budget}/entries", None, row(403, 403, 200, 200, 200, 200, 403, 403)),
    # events out: a company's webhooks are its leaders' and finance's (another company's are unknown)
    "create webhook": ("none", "POST", "/webhooks", HOOK, row(403, 403, 403, 403, 201, 201, 201, 201)),
    "list webhooks": ("none", "GET", "/webhooks", None, row(403, 403, 403, 403, 200, 200, 200, 200)),
    "get webhook": ("webhook", "GET", "/webhooks/{webhook}", None, HOOKS),
    "rotate a webhook's secret": ("webhook", "POST", "/webhooks/{webhook}/rotate-secret", None, HOOKS),
    "list deliveries": ("webhook", "GET", "/webhooks/{webhook}/deliveries", None, HOOKS),
    "retry a delivery": (
        "failed delivery",
        "POST",
        "/webhooks/{webhook}/deliveries/{delivery}/retry",
        None,
        row(403, 403, 403, 403, 202, 202, 404, 404),
    ),
    "delete webhook": ("webhook", "DELETE", "/webhooks/{webhook}", None, row(403, 403, 403, 403, 204, 204, 404, 404)),
    # invoices and settlement on verified spend
    "claim invoice": (
        "approved",
        "POST",
        "/campaigns/{id}/invoices",
        {"qr": "{qr}"},
        row(201, 403, 403, 403, 403, 403, 403, 403),
    ),
    "list invoices": ("approved", "GET", "/campaigns/{id}/invoices", None, SCOPED_READ),
    "delete invoice": (
        "invoice",
        "DELETE",
        "/campaigns/{id}/invoices/{invoice}",
        None,
        row(204, 403, 403, 403, 403, 403, 403, 403),
    ),
    "set the settlement policy": (
        "none",
        "PUT",
        "/settlement-policy",
        {"invoices_required": False},
        row(403, 403, 403, 403, 200, 200, 200, 200),
    ),
    "read the settlement policy": (
        "none",
        "GET",
        "/settlement-policy",
        None,
        row(403, 403, 200, 200, 200, 200, 200, 200),
    ),
    # vouchers: the company's, whole; another company's finance works on its own (empty) export
    "set the accounts": ("none", "PUT", "/accounting", ACCOUNTS, row(403, 403, 403, 403, 403, 200, 403, 200)),
    "read the accounts": ("none", "GET", "/accounting", None, row(403, 403, 403, 403, 200, 200, 200, 200)),
    "create a voucher batch": (
        "settled",
        "POST",
        "/voucher-batches",
        {},
        row(403, 403, 403, 403, 403, 201, 403, 409),
    ),
    "list voucher batches": ("none", "GET", "/voucher-batches", None, row(403, 403, 403, 403, 200, 200, 200, 200)),
    "get a voucher batch": (
        "batch",
        "GET",
        "/voucher-batches/{batch}",
        None,
        row(403, 403, 403, 403, 200, 200, 404, 404),
    ),
    "post a voucher batch": (
        "batch",
        "POST",
        "/voucher-batches/{batch}/posted",
        {"voucher_no": "V-1"},
        row(403, 403, 403, 403, 403, 200, 403, 404),
    ),
}


def fresh_qr() -> str:
    """The QR text of an invoice nobody has claimed yet (the ledger is company-wide)."""
    return f"01,04,3200162130,{next(_NUMBERS) % 10**8:08d},88.00,20261102,,4FD5"


_NUMBERS = itertools.count(int(time.time() * 1000))


def tokens(co: Company, foreign: Company) -> dict[str, str]:
    return {
        "owner": co.rep,
        "peer_rep": co.rep2,
        "manager_in": co.manager,
        "manager_out": co.west_manager,
        "leader": co.leader,
        "finance": co.finance,
        "foreign_leader": foreign.leader,
        "foreign_finance": foreign.finance,
    }


@pytest.fixture(scope="module")
def foreign() -> Company:
    return Company()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", list(MATRIX))
def test_authorization_matrix(api, company, flow, foreign, streams, delivery_queue, route, actor):
    state, method, path, body, expected = MATRIX[route]
    values = {"org": company.js, "customer": "CUST-1"}
    if state in ("draft", "submitted", "approved"):
        values["id"] = getattr(flow, state)()["id"]
    if state == "rule":
        values["rule"] = flow.rule(scope="all")["id"]
    if state == "attachment":
        values["id"] = flow.approved()["id"]
        asked = api.post(
            f"/campaigns/{values['id']}/attachments",
            company.rep,
            {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
        )
        values["att"] = asked.json["attachment"]["id"]
    if state == "report":
        values["report"] = api.post("/reports/runs", company.leader, {"period": "2026-11"}).json["report_id"]
    if state == "budget":
        made = api.post("/budgets", company.leader, {"org": company.root, "period": "2026", "amount": 100000})
        assert made.status_code == 201, made.json
        values["budget"] = made.json["id"]
    if state in ("webhook", "failed delivery"):
        values["webhook"] = api.post("/webhooks", company.leader, HOOK).json["id"]
    if state == "failed delivery":  # a submit heard by the webhook, refused four times
        flow.submitted()
        records = streams.records(
            "campaigns", lambda r: (r["dynamodb"].get("NewImage") or {}).get("tenant", {}).get("S") == company.root
        )
        streams.invoke("on_campaign_change", records)
        delivery_queue.pump()
        failed = api.get(f"/webhooks/{values['webhook']}/deliveries?status=failed", company.leader).json["items"]
        values["delivery"] = failed[0]["id"]
    if state in ("settled", "batch"):  # the company's accounts, and a campaign settled since its last batch
        assert api.put("/accounting", company.finance, ACCOUNTS).status_code == 200
        settled = api.post(f"/campaigns/{flow.approved()['id']}/reimbursement", company.finance, {})
        assert settled.status_code == 201, settled.json
    if state == "batch":
        made = api.post("/voucher-batches", company.finance, {})
        assert made.status_code == 201, made.json
        values["batch"] = made.json["id"]
    if state == "own delegation":  # whoever may delegate has just done so
        api.put("/me/delegation", tokens(company, foreign)[actor], DELEGATION)
    if state == "invoice":
        values["id"] = flow.approved()["id"]
        claimed = api.post(f"/campaigns/{values['id']}/invoices", company.rep, {"qr": fresh_qr()})
        assert claimed.status_code == 201, claimed.json
        values["invoice"] = claimed.json["id"]
    if isinstance(body, dict) and body.get("qr") == "{qr}":
        body = {"qr": fresh_qr()}
    if isinstance(body, dict) and body.get("org") == "{root}":
        body = {**body, "org": company.root}
    r = api.call(method, path.format(**values), tokens(company, foreign)[actor], body)
    assert r.status_code == expected[actor], (route, actor, r.json)
    if r.status_code >= 400:
        assert set(r.json) >= {"code", "message"}


def test_every_contract_route_is_in_the_matrix(chalice_app):
    covered = {
        (
            m,
            p.split("?")[0]
            .replace("{id}", "{campaign_id}")
            .replace("{rule}", "{rule_id}")
            .replace("{att}", "{attachment_id}")
            .replace("{customer}", "{customer_id}")
            .replace("{report}", "{report_id}")
            .replace("{budget}", "{budget_id}")
            .replace("{webhook}", "{webhook_id}")
            .replace("{delivery}", "{delivery_id}")
            .replace("{batch}", "{batch_id}")
            .replace("{invoice}", "{invoice_id}"),
        )
        for _, m, p, _, _ in MATRIX.values()
    }
    served = {(m, p) for p, methods in chalice_app.routes.items() for m in methods if p != "/health"}
    assert served <= covered, served - covered
