"""Evaluation routes: a campaign's figures with its benchmark, a customer's history, the summary."""
from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.http import ApiRequest, Result, ok
from chalicelib.logic import evaluation as logic


def campaign(req: ApiRequest, campaign_id: str) -> Result:
    c, bench = logic.evaluate_campaign(req.principal, campaign_id)
    return ok({"campaign_id": c.id, "plan_vs_actual": present.figures(c), "benchmark": bench})


def customer_history(req: ApiRequest, customer_id: str) -> Result:
    if len(customer_id) > 128 or not customer_id.isprintable():
        from chalicelib.domain.errors import InvalidInput
        raise InvalidInput.field("customer_id", "is too long or holds control characters")
    limit, cursor = req.page()
    page, summary = logic.customer_history(req.principal, customer_id, limit, cursor)
    return ok({"customer_id": customer_id, "items": [present.campaign(c) for c in page.items],
               "next_cursor": page.next_cursor, "summary": summary})


def summary(req: ApiRequest) -> Result:
    group_by = req.query("group_by")
    if group_by is None:
        from chalicelib.domain.errors import InvalidInput
        raise InvalidInput.field("group_by", f"is required; one of: {', '.join(logic.GROUP_BY)}")
    return ok(logic.summary(req.principal, group_by, req.query("from"), req.query("to")))
