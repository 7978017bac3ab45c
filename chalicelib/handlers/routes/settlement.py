"""Settlement (核销): finance reimburses an unlocked campaign."""

from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created

routes = Routes(__name__)


@routes.post("/campaigns/{campaign_id}/reimbursement")
def settle_campaign(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.handlers.schemas import SettlementIn
    from chalicelib.logic import settlement as logic

    body = req.body(SettlementIn, optional=True) or SettlementIn()
    campaign = logic.settle(req.principal, campaign_id, body.amount, body.note)
    view = present.campaign(campaign)
    return created({"campaign_id": campaign.id, **view["reimbursement"], "campaign": view})
