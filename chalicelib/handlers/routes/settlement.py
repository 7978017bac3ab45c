"""Settlement (核销): finance reimburses an unlocked campaign."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import settlement
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    settlement = on_first_use("chalicelib.logic.settlement")

routes = Routes(__name__)


@routes.post("/campaigns/{campaign_id}/reimbursement")
def settle_campaign(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.SettlementIn, optional=True) or schemas.SettlementIn()
    campaign = settlement.settle(req.principal, campaign_id, body.amount, body.note)
    view = present.campaign(campaign)
    return created({"campaign_id": campaign.id, **view["reimbursement"], "campaign": view})
