"""The company-wide invoice ledger (DynamoDB, the invoices table).

| item | pk | attributes |
|---|---|---|
| a claimed invoice | `<tenant>\\|<invoice key>` (`<code>-<number>`, or the number of a 31/32) | `campaign_id`, `invoice_id`, `status` (claimed, settled), `data` (the invoice's fields, JSON) |

A claim is a put conditional on the key's absence, so of any number of racing or retried
claims of one invoice exactly one exists; it travels in one transaction with the campaign that
lists it (`campaigns.invoices_json`, conditional on the campaign's version) and its audit
entry. A release deletes the item only while that campaign holds it unsettled; settlement sets
`settled` (never released again) in the settlement's transaction. A campaign's invoices are
read by the keys it lists: one strongly consistent BatchGetItem (at most 50 keys).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.dal.errors import InvoiceTaken
from chalicelib.dal.models import InvoiceModel as M
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain import org as orgs
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.invoices import Invoice, InvoiceRef


def ledger_key(tenant: str, key: str) -> str:
    return f"{tenant}|{key}"


def _data(invoice: Invoice) -> dict[str, Any]:
    return {k: v for k, v in invoice.as_dict().items() if k not in ("status", "key")}


def _from_model(m: M) -> Invoice:
    return Invoice.from_dict({**json.loads(m.data), "status": m.status}, m.tenant)


def _holding(campaign_id: str, ref: InvoiceRef) -> Any:
    """The condition of a change by the campaign holding the claim: still its, still claimed."""
    return (M.campaign_id == campaign_id) & (M.invoice_id == ref.id) & (M.status == "claimed")


class InvoiceRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def claim(self, invoice: Invoice) -> None:
        item = M(
            ledger_key(invoice.tenant, invoice.key),
            tenant=invoice.tenant,
            campaign_id=invoice.campaign_id,
            invoice_id=invoice.id,
            status=invoice.status,
            data=json.dumps(_data(invoice), ensure_ascii=False),
        )
        self._writes.put(item, M.pk.does_not_exist(), conflict=InvoiceTaken)

    def holder(self, tenant: str, key: str) -> Invoice | None:
        try:
            return _from_model(M.get(ledger_key(tenant, key), consistent_read=True))
        except M.DoesNotExist:
            return None

    def of_campaign(self, campaign: Campaign) -> list[Invoice]:
        if not campaign.invoices:
            return []
        tenant = orgs.tenant_of(campaign.org)
        found = {
            m.invoice_id: _from_model(m)
            for m in M.batch_get([ledger_key(tenant, r.key) for r in campaign.invoices], consistent_read=True)
            if m.campaign_id == campaign.id
        }
        return [found[r.id] for r in campaign.invoices if r.id in found]

    def release(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> None:
        self._writes.delete(M(ledger_key(tenant, ref.key)), _holding(campaign_id, ref))

    def settle(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> None:
        self._writes.update(M(ledger_key(tenant, ref.key)), [M.status.set("settled")], _holding(campaign_id, ref))
