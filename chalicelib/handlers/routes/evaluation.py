"""Evaluation routes: a campaign's figures with its benchmark, a customer's history, the summary."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalicelib.domain.errors import InvalidInput
from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.logic import evaluation
else:
    evaluation = on_first_use("chalicelib.logic.evaluation")

routes = Routes(__name__)
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@routes.get("/campaigns/{campaign_id}/evaluation")
def evaluate_campaign(req: ApiRequest, campaign_id: str) -> Result:
    c, bench = evaluation.evaluate_campaign(req.principal, campaign_id)
    return ok({"campaign_id": c.id, "plan_vs_actual": present.figures(c), "benchmark": bench})


@routes.get("/customers/{customer_id}/history")
def customer_history(req: ApiRequest, customer_id: str) -> Result:
    if not _CUSTOMER_ID.fullmatch(customer_id):
        raise InvalidInput.field("customer_id", "not_an_id", "must be 1-64 letters, digits or _.:-")
    found, summary = evaluation.customer_history(req.principal, customer_id, req.page())
    return ok(
        {
            "customer_id": customer_id,
            "items": [present.campaign(c) for c in found.items],
            "next_cursor": found.next_cursor,
            "summary": summary,
        }
    )


@routes.get("/reports/summary")
def report_summary(req: ApiRequest) -> Result:
    group_by = req.query("group_by")
    if group_by is None:
        raise InvalidInput.field(
            "group_by",
            "required",
            f"is required; one of: {', '.join(evaluation.GROUP_BY)}",
            choices=list(evaluation.GROUP_BY),
        )
    return ok(evaluation.summary(req.principal, group_by, req.query("from"), req.query("to")))
