"""Feedback rules (A): leaders say which campaigns must be fed back."""

from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok

routes = Routes(__name__)


@routes.post("/feedback-rules")
def create_feedback_rule(req: ApiRequest) -> Result:
    from chalicelib.handlers.schemas import RuleIn
    from chalicelib.logic import rules as logic

    body = req.body(RuleIn)
    return created(present.rule(logic.create_rule(req.principal, body.model_dump())))


@routes.get("/feedback-rules")
def list_feedback_rules(req: ApiRequest) -> Result:
    from chalicelib.logic import rules as logic

    found = logic.list_rules(req.principal, req.page())
    return ok(present.page([present.rule(r) for r in found.items], found.next_cursor))


@routes.delete("/feedback-rules/{rule_id}")
def delete_feedback_rule(req: ApiRequest, rule_id: str) -> Result:
    from chalicelib.logic import rules as logic

    logic.delete_rule(req.principal, rule_id)
    return no_content()
