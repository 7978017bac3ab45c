from __future__ import annotations

from chalicelib.handlers import present, schemas
from chalicelib.handlers.http import ApiRequest, Result, created, ok
from chalicelib.logic import campaigns as logic

STATUSES = ("draft", "submitted", "approved", "rejected")


def create(req: ApiRequest) -> Result:
    body = req.body(schemas.CampaignIn)
    return created(present.campaign(logic.create_campaign(req.principal, body.model_dump())))


def get(req: ApiRequest, campaign_id: str) -> Result:
    c = logic.load_visible(req.principal, campaign_id)
    body = present.campaign(c)
    if c.status == "submitted":
        body = _with_customer_history(req, c, body)
    return ok(body)


def _with_customer_history(req: ApiRequest, c, body: dict) -> dict:
    """Approvers see how this customer's past campaigns went, without asking for it."""
    from chalicelib.logic.evaluation import approval_context

    context = approval_context(req.principal, c)
    return {**body, "customer_history": context} if context is not None else body


def patch(req: ApiRequest, campaign_id: str) -> Result:
    changes = req.body(schemas.CampaignChanges).model_dump(exclude_unset=True)
    return ok(present.campaign(logic.update_campaign(req.principal, campaign_id, changes)))


def submit(req: ApiRequest, campaign_id: str) -> Result:
    return ok(present.campaign(logic.submit_campaign(req.principal, campaign_id)))


def approve(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.Approval)
    c = logic.approve_campaign(req.principal, campaign_id, body.approved_amount, body.comment)
    return ok(_with_customer_history(req, c, present.campaign(c)))


def reject(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.Rejection)
    return ok(present.campaign(logic.reject_campaign(req.principal, campaign_id, body.comment)))


def list_(req: ApiRequest) -> Result:
    limit, cursor = req.page()
    filters = logic.CampaignFilters(
        status=req.query_choice("status", STATUSES), org=req.query_org(), owner=req.query("owner"),
        category=req.query("category"), customer_id=req.query("customer_id"),
        date_from=req.query_date("from"), date_to=req.query_date("to"),
    )
    page = logic.list_campaigns(req.principal, filters, limit, cursor)
    return ok(present.page([present.campaign(c) for c in page.items], page.next_cursor))


def categories(req: ApiRequest) -> Result:
    return ok({"items": [{"id": c, "name": c.replace("_", " ")} for c in logic.categories(req.principal)]})
