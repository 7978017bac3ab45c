"""Scheduled functions (EventBridge cron, UTC): report compilation and overdue reminders.
Both are safe to fire twice: reports are compiled per pending item, reminders are claimed
per rep per day with a conditional write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.lazy import on_first_use
from chalicelib.observability import logger, publishes_metrics

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): only the two schedules load it
    from chalicelib.logic import reports
else:
    reports = on_first_use("chalicelib.logic.reports")


@publishes_metrics
def compile_scheduled_reports(event: dict[str, Any], context: Any) -> dict[str, Any]:
    requested = reports.scheduled_reports()
    return {
        "reports": [
            {"id": r["id"], "tenant": r["tenant"], "scope": r["scope"], "period": r["period"], "kind": r["kind"]}
            for r in requested
        ]
    }


@publishes_metrics
def send_overdue_reminders(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = reports.send_reminders()
    logger().info("overdue reminders", extra=outcome)
    return outcome
