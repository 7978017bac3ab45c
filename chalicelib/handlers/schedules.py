"""Scheduled functions (EventBridge cron, UTC): report compilation and overdue reminders.
Both are safe to fire twice: reports are compiled per pending item, reminders are claimed
per rep per day with a conditional write."""

from __future__ import annotations

from chalicelib.observability import logger, publishes_metrics


@publishes_metrics
def compile_scheduled_reports(event: dict, context) -> dict:
    from chalicelib.logic.reports import scheduled_reports

    reports = scheduled_reports()
    return {
        "reports": [
            {"id": r["id"], "tenant": r["tenant"], "scope": r["scope"], "period": r["period"], "kind": r["kind"]}
            for r in reports
        ]
    }


@publishes_metrics
def send_overdue_reminders(event: dict, context) -> dict:
    from chalicelib.logic.reports import send_reminders

    outcome = send_reminders()
    logger().info("overdue reminders", extra=outcome)
    return outcome
