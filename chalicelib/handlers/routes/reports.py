"""Compiled reports and report subscriptions."""

from __future__ import annotations

from chalicelib.handlers.api import ApiRequest, Result, Routes, accepted, ok

routes = Routes(__name__)


@routes.post("/reports/runs")
def run_reports(req: ApiRequest) -> Result:
    from chalicelib.handlers.schemas import ReportRun
    from chalicelib.logic import reports as logic

    body = req.body(ReportRun)
    reports = logic.run_reports(req.principal, body.period, body.language)
    return accepted(
        {
            "report_id": reports[0]["id"],
            "report_ids": [r["id"] for r in reports],
            "scopes": [r["scope"] for r in reports],
            "period": body.period,
            "language": body.language,
            "status": "pending",
        }
    )


@routes.get("/reports")
def list_reports(req: ApiRequest) -> Result:
    from chalicelib.logic import reports as logic

    page = req.page()
    items, next_cursor = logic.list_reports(req.principal, page.limit, page.cursor)
    return ok({"items": items, "next_cursor": next_cursor})


@routes.get("/reports/{report_id}")
def get_report(req: ApiRequest, report_id: str) -> Result:
    from chalicelib.logic import reports as logic

    return ok(logic.get_report(req.principal, report_id))


@routes.put("/me/report-subscription")
def put_report_subscription(req: ApiRequest) -> Result:
    from chalicelib.handlers.schemas import ReportSubscriptionIn
    from chalicelib.logic import reports as logic

    body = req.body(ReportSubscriptionIn)
    return ok(logic.subscribe(req.principal, body.frequency, body.language))
