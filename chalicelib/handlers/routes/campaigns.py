"""Campaigns (applications): create, read, edit, submit, approve, reject, list; categories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.campaign import STATUSES, Campaign
from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.domain import search
    from chalicelib.handlers import schemas
    from chalicelib.logic import approvals, campaigns, evaluation, history, visibility
else:
    search = on_first_use("chalicelib.domain.search")
    schemas = on_first_use("chalicelib.handlers.schemas")
    approvals = on_first_use("chalicelib.logic.approvals")
    campaigns = on_first_use("chalicelib.logic.campaigns")
    evaluation = on_first_use("chalicelib.logic.evaluation")
    history = on_first_use("chalicelib.logic.history")
    visibility = on_first_use("chalicelib.logic.visibility")

routes = Routes(__name__)


def _with_customer_history(req: ApiRequest, c: Campaign, body: dict[str, Any]) -> dict[str, Any]:
    """Approvers see how this customer's past campaigns went, without asking for it."""
    context = evaluation.approval_context(req.principal, c)
    return {**body, "customer_history": context} if context is not None else body


def _one(c: Campaign) -> dict[str, Any]:
    """A single campaign as its own routes show it: with its warnings (lists leave them out:
    each costs a Query)."""
    return {**present.campaign(c), "warnings": visibility.warnings(c)}


@routes.post("/campaigns")
def create_campaign(req: ApiRequest) -> Result:
    body = req.body(schemas.CampaignIn)
    return created(_one(campaigns.create_campaign(req.principal, body.model_dump())))


@routes.get("/campaigns")
def list_campaigns(req: ApiRequest) -> Result:
    page = req.page()
    filters = search.CampaignFilters(
        status=req.query_choice("status", STATUSES),
        org=req.query_org(),
        owner=req.query("owner"),
        category=req.query("category"),
        customer_id=req.query("customer_id"),
        date_from=req.query_date("from"),
        date_to=req.query_date("to"),
    )
    found = campaigns.list_campaigns(req.principal, filters, page)
    return ok(present.page([present.campaign(c) for c in found.items], found.next_cursor))


@routes.get("/campaigns/{campaign_id}")
def get_campaign(req: ApiRequest, campaign_id: str) -> Result:
    c = visibility.load_visible(req.principal, campaign_id)
    body = _one(c)
    return ok(_with_customer_history(req, c, body) if c.status == "submitted" else body)


@routes.patch("/campaigns/{campaign_id}")
def edit_campaign(req: ApiRequest, campaign_id: str) -> Result:
    changes = req.body(schemas.CampaignChanges).model_dump(exclude_unset=True)
    return ok(_one(campaigns.update_campaign(req.principal, campaign_id, changes)))


@routes.post("/campaigns/{campaign_id}/submit")
def submit_campaign(req: ApiRequest, campaign_id: str) -> Result:
    return ok(_one(campaigns.submit_campaign(req.principal, campaign_id)))


@routes.post("/campaigns/{campaign_id}/approve")
def approve_campaign(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.Approval)
    c = campaigns.approve_campaign(req.principal, campaign_id, body.approved_amount, body.comment, body.acting_for)
    return ok(_with_customer_history(req, c, _one(c)))


@routes.post("/campaigns/{campaign_id}/reject")
def reject_campaign(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.Rejection)
    return ok(_one(campaigns.reject_campaign(req.principal, campaign_id, body.comment, body.acting_for)))


@routes.post("/campaigns/{campaign_id}/cancel")
def cancel_campaign(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.CancellationIn)
    return ok(_one(campaigns.cancel_campaign(req.principal, campaign_id, body.reason)))


@routes.get("/campaigns/{campaign_id}/audit")
def campaign_audit(req: ApiRequest, campaign_id: str) -> Result:
    items, next_cursor, verified = history.trail(req.principal, campaign_id, req.page())
    return ok({"items": items, "next_cursor": next_cursor, "verified": verified})


@routes.get("/campaigns/{campaign_id}/approval-card")
def approval_card(req: ApiRequest, campaign_id: str) -> Result:
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
    return ok({"items": [{"id": c, "name": c.replace("_", " ")} for c in campaigns.categories(req.principal)]})
