from __future__ import annotations

from chalicelib.handlers import present, schemas
from chalicelib.handlers.http import ApiRequest, Result, created
from chalicelib.logic import settlement as logic


def create(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.SettlementIn, optional=True) or schemas.SettlementIn()
    campaign = logic.settle(req.principal, campaign_id, body.amount, body.note)
    view = present.campaign(campaign)
    return created({"campaign_id": campaign.id, **view["reimbursement"], "campaign": view})
