from __future__ import annotations

from chalicelib.handlers import present, schemas
from chalicelib.handlers.http import ApiRequest, Result, created, ok
from chalicelib.logic import campaigns as logic

STATUSES = ("draft", "submitted", "approved", "rejected")


def create(req: ApiRequest) -> Result:
    body = req.body(schemas.CampaignIn)
    return created(present.campaign(logic.create_campaign(req.principal, body.model_dump())))


def get(req: ApiRequest, campaign_id: str) -> Result:
    return ok(present.campaign(logic.load_visible(req.principal, campaign_id)))


def patch(req: ApiRequest, campaign_id: str) -> Result:
    changes = req.body(schemas.CampaignChanges).model_dump(exclude_unset=True)
    return ok(present.campaign(logic.update_campaign(req.principal, campaign_id, changes)))


def submit(req: ApiRequest, campaign_id: str) -> Result:
    return ok(present.campaign(logic.submit_campaign(req.principal, campaign_id)))


def approve(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.Approval)
    return ok(present.campaign(logic.approve_campaign(req.principal, campaign_id, body.approved_amount, body.comment)))


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
