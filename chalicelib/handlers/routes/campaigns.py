"""Campaigns (applications): create, read, edit, submit, approve, reject, list; categories."""

from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, ok

routes = Routes(__name__)


def _with_customer_history(req: ApiRequest, c, body: dict) -> dict:
    """Approvers see how this customer's past campaigns went, without asking for it."""
    from chalicelib.logic.evaluation import approval_context

    context = approval_context(req.principal, c)
    return {**body, "customer_history": context} if context is not None else body


def _one(c) -> dict:
    """A single campaign as its own routes show it: with its warnings (lists leave them out:
    each costs a Query)."""
    from chalicelib.logic import campaigns as logic

    return {**present.campaign(c), "warnings": logic.warnings(c)}


@routes.post("/campaigns")
def create_campaign(req: ApiRequest) -> Result:
    from chalicelib.handlers.schemas import CampaignIn
    from chalicelib.logic import campaigns as logic

    body = req.body(CampaignIn)
    return created(_one(logic.create_campaign(req.principal, body.model_dump())))


@routes.get("/campaigns")
def list_campaigns(req: ApiRequest) -> Result:
    from chalicelib.domain.campaign import STATUSES
    from chalicelib.domain.search import CampaignFilters
    from chalicelib.logic import campaigns as logic

    page = req.page()
    filters = CampaignFilters(
        status=req.query_choice("status", STATUSES),
        org=req.query_org(),
        owner=req.query("owner"),
        category=req.query("category"),
        customer_id=req.query("customer_id"),
        date_from=req.query_date("from"),
        date_to=req.query_date("to"),
    )
    found = logic.list_campaigns(req.principal, filters, page)
    return ok(present.page([present.campaign(c) for c in found.items], found.next_cursor))


@routes.get("/campaigns/{campaign_id}")
def get_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.logic import campaigns as logic

    c = logic.load_visible(req.principal, campaign_id)
    body = _one(c)
    return ok(_with_customer_history(req, c, body) if c.status == "submitted" else body)


@routes.patch("/campaigns/{campaign_id}")
def edit_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.handlers.schemas import CampaignChanges
    from chalicelib.logic import campaigns as logic

    changes = req.body(CampaignChanges).model_dump(exclude_unset=True)
    return ok(_one(logic.update_campaign(req.principal, campaign_id, changes)))


@routes.post("/campaigns/{campaign_id}/submit")
def submit_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.logic import campaigns as logic

    return ok(_one(logic.submit_campaign(req.principal, campaign_id)))


@routes.post("/campaigns/{campaign_id}/approve")
def approve_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.handlers.schemas import Approval
    from chalicelib.logic import campaigns as logic

    body = req.body(Approval)
    c = logic.approve_campaign(req.principal, campaign_id, body.approved_amount, body.comment, body.acting_for)
    return ok(_with_customer_history(req, c, _one(c)))


@routes.post("/campaigns/{campaign_id}/reject")
def reject_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.handlers.schemas import Rejection
    from chalicelib.logic import campaigns as logic

    body = req.body(Rejection)
    return ok(_one(logic.reject_campaign(req.principal, campaign_id, body.comment, body.acting_for)))


@routes.post("/campaigns/{campaign_id}/cancel")
def cancel_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.handlers.schemas import CancellationIn
    from chalicelib.logic import campaigns as logic

    body = req.body(CancellationIn)
    return ok(_one(logic.cancel_campaign(req.principal, campaign_id, body.reason)))


@routes.get("/campaigns/{campaign_id}/audit")
def campaign_audit(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.logic import history

    items, next_cursor, verified = history.trail(req.principal, campaign_id, req.page())
    return ok({"items": items, "next_cursor": next_cursor, "verified": verified})


@routes.get("/campaigns/{campaign_id}/approval-card")
def approval_card(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.logic import approvals

    card = approvals.approval_card(req.principal, campaign_id)
    c = card["campaign"]
    return ok(
        {
            "campaign": present.campaign(c),
            "customer": card["customer"],
            "budget": card["budget"],
            "warnings": card["warnings"],
            "approval": present.approval(c),
            "acting_for": card["acting_for"],
        }
    )


@routes.get("/categories")
def list_categories(req: ApiRequest) -> Result:
    from chalicelib.logic import campaigns as logic

    return ok({"items": [{"id": c, "name": c.replace("_", " ")} for c in logic.categories(req.principal)]})
