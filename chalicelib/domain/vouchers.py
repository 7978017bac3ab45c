"""Vouchers for the general ledger (凭证): a company's accounts, what a settled campaign leaves
for the export, voucher batches and the two lines each campaign gives.

Finance books every settlement in the general ledger: debit the marketing-expense account of
the campaign's category, credit payables. The export never books a settlement twice: every
settled campaign leaves one export item keyed `<settled_at>#<campaign id>` in its company's
export queue, and a batch takes a range of that queue, `[since, until)` in settled time, that
no other batch has taken or ever will (the company's watermark only moves forward; dal/vouchers.py
says how a settlement and a batch agree on it). The ERP's voucher number comes back onto the
batch and onto every campaign in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.clock import business_date_of, business_day_start_utc, next_day
from chalicelib.domain.audit import Person
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, field_error

#: an account code of a chart of accounts: `6601`, `6601.01`, `2202-01`, `660101` …
ACCOUNT_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$"
ACCOUNT_MAX_LENGTH = 40
VOUCHER_NO_MAX_LENGTH = 64
#: the columns of a voucher line, in the order of the contract (CSV and workbook)
COLUMNS = ("date", "account", "debit", "credit", "summary", "campaign_id", "owner", "org", "invoices")
SUMMARY_PREFIX = "活动费用核销"
#: how long a batch's creation holds its company's export (seconds): longer than the API
#: function may run (30 s), so a creator that is still running never loses it; a creation that
#: crashed is resumed by the next one after it
LEASE_SECONDS = 60
EXPORT_STATES = ("running", "ready")


# -- the accounts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Accounting:
    """A company's accounts for vouchers: the expense account (per category where one is named,
    else the default) and the payables account; who set them, when."""

    expense_account: str
    payable_account: str
    expense_accounts: dict[str, str] = field(default_factory=dict)
    by: Person | None = None
    at: str | None = None

    def account_for(self, category: str) -> str:
        return self.expense_accounts.get(category, self.expense_account)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expense_account": self.expense_account,
            "expense_accounts": dict(sorted(self.expense_accounts.items())),
            "payable_account": self.payable_account,
            "by": self.by.as_dict() if self.by else None,
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Accounting:
        by = data.get("by")
        return cls(
            expense_account=str(data["expense_account"]),
            payable_account=str(data["payable_account"]),
            expense_accounts={str(k): str(v) for k, v in (data.get("expense_accounts") or {}).items()},
            by=Person.from_dict(by) if by else None,
            at=data.get("at"),
        )


def new_accounting(
    expense_account: str,
    payable_account: str,
    expense_accounts: Mapping[str, str] | None,
    categories: tuple[str, ...],
    by: Person,
    at: str,
) -> Accounting:
    """The accounts as set: every account a code of the chart of accounts (`not_an_account`),
    every category named one of the company's (`unknown_category`); 400 naming each field at
    fault otherwise."""
    named = {"expense_account": expense_account, "payable_account": payable_account}
    named |= {f"expense_accounts.{category}": account for category, account in (expense_accounts or {}).items()}
    errors: list[FieldError] = [
        field_error(name, "not_an_account", "must be an account code: 1-40 letters, digits or ._- ")
        for name, account in named.items()
        if not re.match(ACCOUNT_PATTERN, account)
    ]
    errors += [
        field_error(
            f"expense_accounts.{category}",
            "unknown_category",
            f"unknown category; one of: {', '.join(categories)}",
            choices=list(categories),
        )
        for category in sorted(expense_accounts or {})
        if category not in categories
    ]
    if errors:
        raise InvalidInput(errors)
    return Accounting(expense_account, payable_account, dict(expense_accounts or {}), by, at)


# -- what a settled campaign leaves for the export -----------------------------------------------
@dataclass(frozen=True)
class ExportItem:
    """A settled campaign as its voucher lines need it, written in its settlement's
    transaction, so a batch reads one item per campaign and nothing else."""

    campaign_id: str
    settled_at: str  # UTC instant of the settlement (now_iso)
    amount: int  # fen settled
    category: str
    title: str
    customer_name: str
    owner: str  # the owner's name (their id where they have none)
    owner_id: str
    org: str
    invoices: tuple[str, ...] = ()  # the numbers of the invoices it settled, in claim order

    @property
    def key(self) -> str:
        """Its place in the company's export queue: settled time, then campaign id."""
        return export_key(self.settled_at, self.campaign_id)

    @property
    def settled_on(self) -> str:
        """The Asia/Shanghai day it was settled: a voucher line's date."""
        return business_date_of(self.settled_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "settled_at": self.settled_at,
            "amount": self.amount,
            "category": self.category,
            "title": self.title,
            "customer_name": self.customer_name,
            "owner": self.owner,
            "owner_id": self.owner_id,
            "org": self.org,
            "invoices": list(self.invoices),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportItem:
        return cls(
            campaign_id=str(data["campaign_id"]),
            settled_at=str(data["settled_at"]),
            amount=int(data["amount"]),
            category=str(data["category"]),
            title=str(data["title"]),
            customer_name=str(data.get("customer_name") or ""),
            owner=str(data.get("owner") or data["owner_id"]),
            owner_id=str(data["owner_id"]),
            org=str(data["org"]),
            invoices=tuple(str(n) for n in data.get("invoices") or ()),
        )


def export_key(settled_at: str, campaign_id: str) -> str:
    return f"{settled_at}#{campaign_id}"


def export_item(campaign: Campaign, invoice_numbers: list[str]) -> ExportItem:
    """The export item of a campaign being settled (its settlement fields already set)."""
    if campaign.reimbursed_at is None or campaign.reimbursed_amount is None:
        raise ValueError(f"campaign {campaign.id} is not settled")
    return ExportItem(
        campaign_id=campaign.id,
        settled_at=campaign.reimbursed_at,
        amount=campaign.reimbursed_amount,
        category=campaign.category,
        title=campaign.title,
        customer_name=campaign.customer_name or campaign.customer_id,
        owner=campaign.owner_name or campaign.owner_id,
        owner_id=campaign.owner_id,
        org=campaign.org,
        invoices=tuple(invoice_numbers),
    )


@dataclass(frozen=True)
class Line:
    """One voucher line (fen; the files show yuan): a debit or a credit, never both."""

    date: str
    account: str
    debit: int
    credit: int
    summary: str
    campaign_id: str
    owner: str
    org: str
    invoices: str


def summary(item: ExportItem) -> str:
    return f"{SUMMARY_PREFIX} {item.title} {item.customer_name}"


def lines(item: ExportItem, accounting: Accounting) -> tuple[Line, Line]:
    """A campaign's two lines: debit the expense account of its category, credit payables,
    each with the settled amount."""
    common = {
        "date": item.settled_on,
        "summary": summary(item),
        "campaign_id": item.campaign_id,
        "owner": item.owner,
        "org": item.org,
        "invoices": ";".join(item.invoices),
    }
    debit = Line(account=accounting.account_for(item.category), debit=item.amount, credit=0, **common)
    credit = Line(account=accounting.payable_account, debit=0, credit=item.amount, **common)
    return debit, credit


# -- the company's export: where the queue was cut last, and who is cutting it now ---------------
@dataclass(frozen=True)
class ExportState:
    """`watermark`: every export item settled before it is in a batch (none before the first);
    `exporting`: the batch being made now, held by `holder` until `lease_until`."""

    watermark: str = ""
    exporting: str | None = None
    holder: str | None = None
    lease_until: str | None = None

    def busy(self, now: str) -> bool:
        """A batch is being made and its creator's lease still runs."""
        return self.exporting is not None and (self.lease_until or "") > now

    def abandoned(self, now: str) -> bool:
        """A batch was being made and its creator's lease ran out: it crashed; resume it."""
        return self.exporting is not None and (self.lease_until or "") <= now


def bounds(through: str | None, today: str, now: str, watermark: str) -> tuple[str, str, str]:
    """(through, since, until) of a new batch: export items settled from the watermark up to the
    end of `through` (an Asia/Shanghai day, default today), and never past now (a day still to
    come takes what is settled so far: the watermark never runs ahead of the clock)."""
    through = through or today
    end_of_day = business_day_start_utc(next_day(through))
    return through, watermark, min(end_of_day, now)


# -- batches ---------------------------------------------------------------------------------
@dataclass
class VoucherBatch:
    """Export items `[since, until)` of a company, the accounts they were booked to, and once
    its files are made (`export` ready) how many campaigns it holds and their total; once the
    ERP's voucher number comes back, `voucher_no` and how far posting it to the campaigns got."""

    id: str
    tenant: str
    created_at: str
    by: Person
    through: str
    since: str
    until: str
    accounting: Accounting
    export: str = "running"
    campaigns: int | None = None
    total: int | None = None
    artifacts: dict[str, str] = field(default_factory=dict)  # kind (csv, xlsx) → object key
    voucher_no: str | None = None
    posted_at: str | None = None
    posted_by: Person | None = None
    campaigns_posted: int = 0
    posting: str | None = None  # running | done, once a number is recorded
    posting_cursor: str | None = None  # the export key of the last campaign the number was posted to

    @property
    def status(self) -> str:
        return "posted" if self.voucher_no else "open"

    def ready(self, campaigns: int, total: int, artifacts: dict[str, str]) -> VoucherBatch:
        return replace(self, export="ready", campaigns=campaigns, total=total, artifacts=dict(artifacts))


def check_postable(batch: VoucherBatch, voucher_no: str) -> bool:
    """Whether recording `voucher_no` on the batch changes anything: False when it already
    holds that number (the same request again: no second effect); 409 `already_posted` when it
    holds another, `invalid_state` while its files are still being made."""
    if batch.voucher_no is not None:
        if batch.voucher_no == voucher_no:
            return False
        raise Conflict(
            f"this batch was posted as voucher {batch.voucher_no}",
            code="already_posted",
            params={"voucher_no": batch.voucher_no},
            voucher_no=batch.voucher_no,
        )
    if batch.export != "ready":
        raise Conflict("the batch's files are still being made; post it once they are ready", code="invalid_state")
    return True
