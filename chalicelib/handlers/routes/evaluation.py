"""Evaluation routes: a campaign's figures with its benchmark, a customer's history, the summary."""
from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.http import ApiRequest, Result, ok
from chalicelib.logic import evaluation as logic


def campaign(req: ApiRequest, campaign_id: str) -> Result:
    c, bench = logic.evaluate_campaign(req.principal, campaign_id)
    return ok({"campaign_id": c.id, "plan_vs_actual": present.figures(c), "benchmark": bench})


def customer_history(req: ApiRequest, customer_id: str) -> Result:
    import re

    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", customer_id):
        from chalicelib.domain.errors import InvalidInput
        raise InvalidInput.field("customer_id", "must be 1-64 letters, digits or _.:-")
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
