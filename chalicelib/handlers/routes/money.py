"""Money control: budgets and their ledgers, the approval policy, delegation, the approver's queue."""

from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok

routes = Routes(__name__)


# -- budgets ---------------------------------------------------------------------------------
@routes.post("/budgets")
def create_budget(req: ApiRequest) -> Result:
    from chalicelib.handlers.schemas import BudgetIn
    from chalicelib.logic import budgets

    body = req.body(BudgetIn)
    return created(
        present.budget(
            budgets.create_budget(req.principal, body.org, body.period, body.category, body.amount, body.parent_id)
        )
    )


@routes.get("/budgets")
def list_budgets(req: ApiRequest) -> Result:
    from chalicelib.logic import budgets

    found = budgets.list_budgets(req.principal, req.query_org(), req.query("period"), req.query("category"), req.page())
    return ok(present.page([present.budget(b) for b in found.items], found.next_cursor))


@routes.get("/budgets/{budget_id}")
def get_budget(req: ApiRequest, budget_id: str) -> Result:
    from chalicelib.logic import budgets

    return ok(present.budget(budgets.get_budget(req.principal, budget_id)))


@routes.patch("/budgets/{budget_id}")
def resize_budget(req: ApiRequest, budget_id: str) -> Result:
    from chalicelib.handlers.schemas import BudgetChange
    from chalicelib.logic import budgets

    body = req.body(BudgetChange)
    return ok(present.budget(budgets.resize_budget(req.principal, budget_id, body.amount)))


@routes.get("/budgets/{budget_id}/entries")
def budget_entries(req: ApiRequest, budget_id: str) -> Result:
    from chalicelib.logic import budgets

    found = budgets.ledger(req.principal, budget_id, req.page())
    return ok(present.page([present.ledger_entry(e) for e in found.items], found.next_cursor))


# -- approval chains -------------------------------------------------------------------------
@routes.put("/approval-policy")
def put_approval_policy(req: ApiRequest) -> Result:
    from chalicelib.handlers.schemas import ApprovalPolicyIn
    from chalicelib.logic import approvals

    body = req.body(ApprovalPolicyIn)
    return ok(approvals.set_policy(req.principal, [lv.model_dump() for lv in body.levels]))


@routes.get("/approval-policy")
def get_approval_policy(req: ApiRequest) -> Result:
    from chalicelib.logic import approvals

    return ok(approvals.get_policy(req.principal))


@routes.get("/me/approvals")
def my_approvals(req: ApiRequest) -> Result:
    from chalicelib.logic import approvals

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
    from chalicelib.handlers.schemas import DelegationIn
    from chalicelib.logic import approvals

    body = req.body(DelegationIn)
    d = approvals.set_delegation(req.principal, body.to.id, body.to.name, body.from_, body.until)
    return ok(present.delegation(d))


@routes.get("/me/delegation")
def get_delegation(req: ApiRequest) -> Result:
    from chalicelib.logic import approvals

    return ok(present.delegation(approvals.get_delegation(req.principal)))


@routes.delete("/me/delegation")
def delete_delegation(req: ApiRequest) -> Result:
    from chalicelib.logic import approvals

    approvals.delete_delegation(req.principal)
    return no_content()
