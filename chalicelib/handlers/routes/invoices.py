"""Invoices (发票): claim, list and release a campaign's invoices; the settlement policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import invoices, settlement
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    invoices = on_first_use("chalicelib.logic.invoices")
    settlement = on_first_use("chalicelib.logic.settlement")

routes = Routes(__name__)


@routes.post("/campaigns/{campaign_id}/invoices")
def claim_invoice(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.InvoiceIn)
    invoice = invoices.claim_invoice(req.principal, campaign_id, body.model_dump(exclude_none=True))
    return created(present.invoice(invoice))


@routes.get("/campaigns/{campaign_id}/invoices")
def list_invoices(req: ApiRequest, campaign_id: str) -> Result:
    found, total = invoices.list_invoices(req.principal, campaign_id)
    return ok({"items": [present.invoice(i) for i in found], "total": total})


@routes.delete("/campaigns/{campaign_id}/invoices/{invoice_id}")
def delete_invoice(req: ApiRequest, campaign_id: str, invoice_id: str) -> Result:
    invoices.delete_invoice(req.principal, campaign_id, invoice_id)
    return no_content()


@routes.put("/settlement-policy")
def put_settlement_policy(req: ApiRequest) -> Result:
    body = req.body(schemas.SettlementPolicyIn)
    return ok(settlement.set_settlement_policy(req.principal, body.invoices_required).as_dict())


@routes.get("/settlement-policy")
def get_settlement_policy(req: ApiRequest) -> Result:
    return ok(settlement.get_settlement_policy(req.principal).as_dict())
