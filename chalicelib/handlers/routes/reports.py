"""Compiled reports and report subscriptions."""
from __future__ import annotations

from chalicelib.handlers import schemas
from chalicelib.handlers.http import ApiRequest, Result
from chalicelib.handlers.http import ok
from chalicelib.logic import reports as logic


def run(req: ApiRequest) -> Result:
    body = req.body(schemas.ReportRun)
    reports = logic.run_reports(req.principal, body.period)
    return Result(202, {"report_id": reports[0]["id"], "report_ids": [r["id"] for r in reports],
                        "scopes": [r["scope"] for r in reports], "period": body.period, "status": "pending"})


def list_(req: ApiRequest) -> Result:
    limit, cursor = req.page()
    items, next_cursor = logic.list_reports(req.principal, limit, cursor)
    return ok({"items": items, "next_cursor": next_cursor})


def get(req: ApiRequest, report_id: str) -> Result:
    return ok(logic.get_report(req.principal, report_id))


def subscribe(req: ApiRequest) -> Result:
    body = req.body(schemas.ReportSubscription)
    return ok(logic.subscribe(req.principal, body.frequency))
