"""Vouchers for the general ledger (凭证): the company's accounts, voucher batches with their
files, and the ERP's voucher number recorded back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.domain.vouchers import VoucherBatch
    from chalicelib.handlers import schemas
    from chalicelib.logic import vouchers
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    vouchers = on_first_use("chalicelib.logic.vouchers")

routes = Routes(__name__)


def _batch(b: VoucherBatch) -> dict[str, object]:
    return present.voucher_batch(b, vouchers.links(b))


@routes.put("/accounting")
def put_accounting(req: ApiRequest) -> Result:
    body = req.body(schemas.AccountingIn)
    accounting = vouchers.set_accounting(
        req.principal, body.expense_account, body.payable_account, body.expense_accounts
    )
    return ok(present.accounting(accounting))


@routes.get("/accounting")
def get_accounting(req: ApiRequest) -> Result:
    return ok(present.accounting(vouchers.get_accounting(req.principal)))


@routes.post("/voucher-batches")
def create_voucher_batch(req: ApiRequest) -> Result:
    body = req.body(schemas.VoucherBatchIn, optional=True) or schemas.VoucherBatchIn()
    return created(_batch(vouchers.create_batch(req.principal, body.through)))


@routes.get("/voucher-batches")
def list_voucher_batches(req: ApiRequest) -> Result:
    found = vouchers.list_batches(req.principal, req.page())
    return ok(present.page([_batch(b) for b in found.items], found.next_cursor))


@routes.get("/voucher-batches/{batch_id}")
def get_voucher_batch(req: ApiRequest, batch_id: str) -> Result:
    return ok(_batch(vouchers.get_batch(req.principal, batch_id)))


@routes.post("/voucher-batches/{batch_id}/posted")
def post_voucher_batch(req: ApiRequest, batch_id: str) -> Result:
    body = req.body(schemas.VoucherPostIn)
    return ok(_batch(vouchers.post_batch(req.principal, batch_id, body.voucher_no)))
