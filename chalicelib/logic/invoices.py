"""Invoices (发票, 以票核销): a campaign's owner claims the invoices that prove its spend, lists
and releases them; settlement makes them `settled` for good and cancellation releases them.

Each change is one unit of work: the invoice's ledger item (claimed only if its key is free in
the company: a put conditional on absence, so racing or retried claims of one invoice make
exactly one), the campaign listing its invoices (conditional on the version read) and the audit
entry. The campaign thus always knows the exact set it holds from one strongly consistent read,
and settlement and cancellation change them all in their own transaction.

Where webhooks hang `invoice.claimed`: the campaigns stream. A claim changes the campaign item
in the same transaction, and `domain.invoices.newly_claimed(old.invoices, new.invoices)` names
the invoices it claimed, once per invoice id however often a record is redelivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.clock import business_today, now_iso
from chalicelib.dal import repos
from chalicelib.dal.errors import InvoiceTaken
from chalicelib.dal.ports import UnitOfWork
from chalicelib.domain import access
from chalicelib.domain import invoices as inv
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign, check_invoices_claimable
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, StaleWrite, field_error
from chalicelib.domain.ids import new_id
from chalicelib.domain.invoices import Invoice, InvoiceFields
from chalicelib.logic import history, retry_on_stale, retry_on_stale_from
from chalicelib.logic.history import Event
from chalicelib.logic.visibility import load_visible


# -- HTTP use cases -------------------------------------------------------------------------------
def claim_invoice(principal: Principal, campaign_id: str, body: Mapping[str, Any]) -> Invoice:
    """Claim one invoice for the caller's approved, unsettled campaign, given as its QR text
    (`qr`), an attachment whose QR code the upload checker read (`attachment_id`), or typed.
    The same invoice held anywhere in the company (this campaign included) → 409
    invoice_already_claimed, naming the campaign only when the caller may see it."""
    access.require(principal, "invoice.claim")
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)
    check_invoices_claimable(campaign)
    source = inv.source_of(body)
    fields, named_by = _fields(campaign, source, body)
    attachment_id = str(body["attachment_id"]) if source == "attachment" else None

    def attempt(current: Campaign) -> Invoice:
        check_invoices_claimable(current)
        if any(r.key == fields.key for r in current.invoices):
            raise inv.already_claimed(current.id)
        inv.check_room(current.invoices, named_by)
        now = now_iso()
        invoice = Invoice(
            id=new_id(),
            campaign_id=current.id,
            tenant=principal.tenant,
            fields=fields,
            source=source,
            claimed_by=principal.person,
            created_at=now,
            attachment_id=attachment_id,
            flags=inv.flags(fields.issued_on, current.start_date),
        )
        before = current.invoice_total
        current.invoices = [*current.invoices, invoice.ref]
        current.updated_at = now
        change = {
            "invoice_id": [None, invoice.id],
            "invoice": [None, invoice.key],
            "amount": [None, fields.amount],
            "invoice_total": [before, current.invoice_total],
        }
        try:
            with repos.unit_of_work() as uow:
                uow.invoices.claim(invoice)  # first: a taken key is said as such, not as a stale campaign
                history.save(uow, current, history.actor(principal), [("invoice_claimed", change)], now)
        except InvoiceTaken:
            holder = repos.invoices().holder(principal.tenant, fields.key)
            if holder is None:
                raise StaleWrite(fields.key) from None  # released meanwhile: decide again
            raise _already_claimed(principal, holder) from None
        return invoice

    return retry_on_stale_from(campaign, lambda: load_visible(principal, campaign_id), attempt)


def _fields(campaign: Campaign, source: str, body: Mapping[str, Any]) -> tuple[InvoiceFields, str]:
    """The invoice a claim body gives, and the field that gave it (a refusal names it)."""
    today = business_today()
    if source == "qr":
        return inv.parse_qr(str(body["qr"]), today), "qr"
    if source == "attachment":
        return _from_attachment(campaign, str(body["attachment_id"]), today), "attachment_id"
    return inv.typed(body, today), "number"


def _from_attachment(campaign: Campaign, attachment_id: str, today: str) -> InvoiceFields:
    """The invoice whose QR code the upload checker found in one of this campaign's attachments."""
    a = repos.evidence().get(campaign.id, attachment_id)
    if a is None:
        raise InvalidInput.field("attachment_id", "unknown_attachment", "is not an attachment of this campaign")
    if a.status != "ready":
        raise InvalidInput.field(
            "attachment_id",
            "attachment_not_ready",
            f"has not been accepted by the upload checker (it is {a.status})",
            status=a.status,
        )
    if not a.invoice_qr:
        raise InvalidInput.field("attachment_id", "no_invoice_qr", "holds no invoice QR code the checker could read")
    try:
        return inv.parse_qr(a.invoice_qr, today)
    except InvalidInput as refused:  # the QR it holds, read but refused (a date in the future …)
        raise InvalidInput(
            [field_error("attachment_id", e["code"], e["message"], **e.get("params", {})) for e in refused.errors]
        ) from None


def _already_claimed(principal: Principal, holder: Invoice) -> Conflict:
    """The 409 of a taken invoice: the campaign holding it is named only to whoever may see it."""
    held_by = repos.campaigns().get(holder.campaign_id)
    visible = held_by is not None and access.in_scope(principal, held_by.org, held_by.owner_id)
    return inv.already_claimed(holder.campaign_id if visible else None)


def list_invoices(principal: Principal, campaign_id: str) -> tuple[list[Invoice], int]:
    """A campaign's invoices in claim order and their total (fen), scoped like the campaign."""
    access.require(principal, "invoice.read")
    campaign = load_visible(principal, campaign_id)
    found = repos.invoices().of_campaign(campaign)
    return found, sum(i.fields.amount for i in found)


def delete_invoice(principal: Principal, campaign_id: str, invoice_id: str) -> None:
    """The owner releases an invoice before settlement: its key may be claimed again. A settled
    invoice is never released (409 invoice_settled)."""
    access.require(principal, "invoice.delete")

    def attempt() -> None:
        campaign = load_visible(principal, campaign_id)
        access.require_owner(principal, campaign.owner_id)
        ref = campaign.invoice(invoice_id)
        if ref is None:
            raise NotFound(f"invoice {invoice_id} is not on this campaign")
        if campaign.reimbursement_status == "reimbursed":
            raise Conflict("this invoice is settled: it is never released", code="invoice_settled")
        now = now_iso()
        with repos.unit_of_work() as uow:
            events = release_held(uow, campaign, [ref.id])
            campaign.updated_at = now
            history.save(uow, campaign, history.actor(principal), events, now)

    retry_on_stale(attempt)


# -- what settlement and cancellation do to a campaign's invoices ----------------------------------
def settle_held(uow: UnitOfWork, campaign: Campaign) -> list[Event]:
    """Settlement: every invoice the campaign holds becomes `settled`, for good, in `uow` (the
    settlement's own transaction); the audit event that says so (none without invoices)."""
    tenant = orgs.tenant_of(campaign.org)
    for ref in campaign.invoices:
        uow.invoices.settle(tenant, ref, campaign.id)
    if not campaign.invoices:
        return []
    return [
        (
            "invoices_settled",
            {"invoices": [None, [r.key for r in campaign.invoices]], "amount": [None, campaign.invoice_total]},
        )
    ]


def release_held(uow: UnitOfWork, campaign: Campaign, invoice_ids: list[str] | None = None) -> list[Event]:
    """Release the campaign's invoices (those of `invoice_ids`, or all of them: a cancellation)
    in `uow`, and take them off the campaign; one audit event for all of them (a cancellation
    with 50 invoices must still fit one transaction)."""
    released = [r for r in campaign.invoices if invoice_ids is None or r.id in invoice_ids]
    if not released:
        return []
    tenant = orgs.tenant_of(campaign.org)
    for ref in released:
        uow.invoices.release(tenant, ref, campaign.id)
    before = campaign.invoice_total
    campaign.invoices = [r for r in campaign.invoices if r not in released]
    return [
        (
            "invoice_released",
            {"invoices": [[r.key for r in released], None], "invoice_total": [before, campaign.invoice_total]},
        )
    ]
