"""Money control: budgets and their ledgers, the approval policy, delegation, the approver's queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import approvals, budgets
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    approvals = on_first_use("chalicelib.logic.approvals")
    budgets = on_first_use("chalicelib.logic.budgets")

routes = Routes(__name__)


# -- budgets ---------------------------------------------------------------------------------
@routes.post("/budgets")
def create_budget(req: ApiRequest) -> Result:
    body = req.body(schemas.BudgetIn)
    return created(
        present.budget(
            budgets.create_budget(req.principal, body.org, body.period, body.category, body.amount, body.parent_id)
        )
    )


@routes.get("/budgets")
def list_budgets(req: ApiRequest) -> Result:
    found = budgets.list_budgets(req.principal, req.query_org(), req.query("period"), req.query("category"), req.page())
    return ok(present.page([present.budget(b) for b in found.items], found.next_cursor))


@routes.get("/budgets/{budget_id}")
def get_budget(req: ApiRequest, budget_id: str) -> Result:
    return ok(present.budget(budgets.get_budget(req.principal, budget_id)))


@routes.patch("/budgets/{budget_id}")
def resize_budget(req: ApiRequest, budget_id: str) -> Result:
    body = req.body(schemas.BudgetChange)
    return ok(present.budget(budgets.resize_budget(req.principal, budget_id, body.amount)))


@routes.get("/budgets/{budget_id}/entries")
def budget_entries(req: ApiRequest, budget_id: str) -> Result:
    found, titles = budgets.ledger(req.principal, budget_id, req.page())
    return ok(present.page([present.ledger_entry(e, titles) for e in found.items], found.next_cursor))


# -- approval chains -------------------------------------------------------------------------
@routes.put("/approval-policy")
def put_approval_policy(req: ApiRequest) -> Result:
    body = req.body(schemas.ApprovalPolicyIn)
    return ok(approvals.set_policy(req.principal, [lv.model_dump() for lv in body.levels]))


@routes.get("/approval-policy")
def get_approval_policy(req: ApiRequest) -> Result:
    return ok(approvals.get_policy(req.principal))


@routes.get("/me/approvals")
def my_approvals(req: ApiRequest) -> Result:
    found = approvals.my_approvals(req.principal, req.page())
    return ok(
        present.page(
            [{**present.campaign(c), "acting_for": acting.as_dict() if acting else None} for c, acting in found.items],
            found.next_cursor,
        )
    )


# -- delegation ------------------------------------------------------------------------------
@routes.put("/me/delegation")
def put_delegation(req: ApiRequest) -> Result:
    body = req.body(schemas.DelegationIn)
    d = approvals.set_delegation(req.principal, body.to.id, body.to.name, body.from_, body.until)
    return ok(present.delegation(d))


@routes.get("/me/delegation")
def get_delegation(req: ApiRequest) -> Result:
    return ok(present.delegation(approvals.get_delegation(req.principal)))


@routes.delete("/me/delegation")
def delete_delegation(req: ApiRequest) -> Result:
    approvals.delete_delegation(req.principal)
    return no_content()
