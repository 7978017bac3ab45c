"""Feedback rules (A): leaders say which campaigns must be fed back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import rules
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    rules = on_first_use("chalicelib.logic.rules")

routes = Routes(__name__)


@routes.post("/feedback-rules")
def create_feedback_rule(req: ApiRequest) -> Result:
    body = req.body(schemas.RuleIn)
    return created(present.rule(rules.create_rule(req.principal, body.model_dump())))


@routes.get("/feedback-rules")
def list_feedback_rules(req: ApiRequest) -> Result:
    found = rules.list_rules(req.principal, req.page())
    return ok(present.page([present.rule(r) for r in found.items], found.next_cursor))


@routes.delete("/feedback-rules/{rule_id}")
def delete_feedback_rule(req: ApiRequest, rule_id: str) -> Result:
    rules.delete_rule(req.principal, rule_id)
    return no_content()
