"""Compiled reports and report subscriptions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers.api import ApiRequest, Result, Routes, accepted, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import reports
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    reports = on_first_use("chalicelib.logic.reports")

routes = Routes(__name__)


@routes.post("/reports/runs")
def run_reports(req: ApiRequest) -> Result:
    body = req.body(schemas.ReportRun)
    requested = reports.run_reports(req.principal, body.period, body.language)
    return accepted(
        {
            "report_id": requested[0]["id"],
            "report_ids": [r["id"] for r in requested],
            "scopes": [r["scope"] for r in requested],
            "period": body.period,
            "language": body.language,
            "status": "pending",
        }
    )


@routes.get("/reports")
def list_reports(req: ApiRequest) -> Result:
    page = req.page()
    items, next_cursor = reports.list_reports(req.principal, page.limit, page.cursor)
    return ok({"items": items, "next_cursor": next_cursor})


@routes.get("/reports/{report_id}")
def get_report(req: ApiRequest, report_id: str) -> Result:
    return ok(reports.get_report(req.principal, report_id))


@routes.put("/me/report-subscription")
def put_report_subscription(req: ApiRequest) -> Result:
    body = req.body(schemas.ReportSubscriptionIn)
    return ok(reports.subscribe(req.principal, body.frequency, body.language))
