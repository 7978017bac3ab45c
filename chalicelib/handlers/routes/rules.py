from __future__ import annotations

from chalicelib.handlers import present, schemas
from chalicelib.handlers.http import ApiRequest, Result, created, no_content, ok
from chalicelib.logic import rules as logic


def create(req: ApiRequest) -> Result:
    body = req.body(schemas.RuleIn)
    return created(present.rule(logic.create_rule(req.principal, body.model_dump())))


def list_(req: ApiRequest) -> Result:
    limit, cursor = req.page()
    page = logic.list_rules(req.principal, limit, cursor)
    return ok(present.page([present.rule(r) for r in page.items], page.next_cursor))


def delete(req: ApiRequest, rule_id: str) -> Result:
    logic.delete_rule(req.principal, rule_id)
    return no_content()
