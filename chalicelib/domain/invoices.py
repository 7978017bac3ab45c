"""Invoices (发票, 以票核销): what a Chinese VAT invoice's QR code says, the same fields typed by
hand, the key that makes one invoice one claim company-wide, and what a campaign holds.

Plain Python, no I/O. Every field is checked by one rule of `RULES` (a table: the field, the
code a refusal speaks, and the pattern for legacy and for fully digital invoices), whether it
came from a QR code or from a form, so the two can never disagree on what an invoice is. A
refusal names the field: `qr` for a QR text (with `part`, the QR's field at fault, in its
params), the body's own field for typed entry.

The QR text printed on every invoice (API.md):

    01,<type>,<code>,<number>,<amount>,<YYYYMMDD>,<check code>,<tail>

Types 31/32 (数电票, fully digital) have an empty code and a 20-digit number; the others a 10-
or 12-digit code and an 8-digit number. `amount` is yuan with at most two decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.audit import Person
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, field_error

TYPES: dict[str, str] = {
    "01": "增值税专用发票 (special)",
    "04": "增值税普通发票 (general)",
    "08": "增值税电子专用发票 (electronic special)",
    "10": "增值税电子普通发票 (electronic general)",
    "11": "增值税普通发票（卷式） (roll)",
    "14": "通行费电子普通发票 (toll)",
    "31": "电子发票（增值税专用发票） (fully digital special)",
    "32": "电子发票（普通发票） (fully digital general)",
}
FULLY_DIGITAL = frozenset({"31", "32"})
QR_VERSION = "01"
QR_PARTS = ("version", "type", "code", "number", "amount", "issued_on", "check_code", "tail")
MAX_QR_LENGTH = 256  # a real invoice's QR text is under 100 characters
MAX_PER_CAMPAIGN = 50  # a campaign's invoices settle in one transaction with its other writes
EARLY_DAYS = 30  # issued more than this many days before the campaign's start: flagged
MAX_AMOUNT = 10**13  # fen, as the API's money bound (schemas.MAX_MONEY)
SOURCES = ("qr", "attachment", "manual")
STATUSES = ("claimed", "settled")


# -- the table of field rules ---------------------------------------------------------------------
@dataclass(frozen=True)
class FieldRule:
    """One field of an invoice: the code a refusal speaks, its pattern for legacy invoices and
    for fully digital ones (31/32), and in words what it must be (for the message)."""

    name: str
    code: str
    legacy: str
    digital: str
    says: str

    def pattern(self, invoice_type: str) -> str:
        return self.digital if invoice_type in FULLY_DIGITAL else self.legacy

    def check(self, value: str, invoice_type: str, where: str) -> FieldError | None:
        if re.fullmatch(self.pattern(invoice_type), value):
            return None
        return _refusal(where, self.name, self.code, f"must be {self.says}", invoice_type=invoice_type)


RULES: tuple[FieldRule, ...] = (
    FieldRule("code", "bad_invoice_code", r"[0-9]{10}|[0-9]{12}", r"", "10 or 12 digits (empty for types 31 and 32)"),
    FieldRule("number", "bad_invoice_number", r"[0-9]{8}", r"[0-9]{20}", "8 digits (20 for types 31 and 32)"),
    FieldRule("check_code", "bad_check_code", r"(?:[0-9]{20})?", r"(?:[0-9]{20})?", "empty or 20 digits"),
)
_AMOUNT = re.compile(r"([0-9]{1,13})(?:\.([0-9]{1,2}))?")
_QR_DATE = re.compile(r"[0-9]{8}")
_TAIL = re.compile(r"[0-9A-Za-z+/=_-]{0,64}")


def _refusal(where: str, part: str, code: str, message: str, **params: Any) -> FieldError:
    """A field error at `where` (`qr`, or the typed field itself); a QR's names the `part`."""
    if where == "qr":
        return field_error("qr", code, f"the QR code's {part} {message}", part=part, **params)
    return field_error(where, code, message, **params)


# -- an invoice's fields ----------------------------------------------------------------------------
@dataclass(frozen=True)
class InvoiceFields:
    """What identifies an invoice and what it is worth: the same whether read or typed."""

    type: str
    code: str
    number: str
    amount: int  # fen
    issued_on: str  # YYYY-MM-DD
    check_code: str = ""

    @property
    def key(self) -> str:
        """One invoice, one key: `<code>-<number>`, or the number alone for types 31/32."""
        return self.number if self.type in FULLY_DIGITAL else f"{self.code}-{self.number}"


def _check_common(
    invoice_type: str, strings: Mapping[str, str], amount: int, issued_on: str, today: str | None, where: dict[str, str]
) -> list[FieldError]:
    """Every rule of the table, the amount's bounds and the date's; `where` maps a field to the
    field an error names (all `qr` for a QR text)."""
    errors: list[FieldError] = []
    if invoice_type not in TYPES:
        errors.append(
            _refusal(
                where["type"],
                "type",
                "unknown_invoice_type",
                f"must be one of {', '.join(TYPES)}",
                choices=list(TYPES),
            )
        )
        return errors  # the other rules depend on the type
    for rule in RULES:
        error = rule.check(strings.get(rule.name, ""), invoice_type, where[rule.name])
        if error is not None:
            errors.append(error)
    if amount < 1:
        errors.append(_refusal(where["amount"], "amount", "too_small", "must be above zero", min=1, unit="fen"))
    elif amount > MAX_AMOUNT:
        errors.append(
            _refusal(
                where["amount"], "amount", "too_large", f"must be at most {MAX_AMOUNT} fen", max=MAX_AMOUNT, unit="fen"
            )
        )
    if today is not None and issued_on > today:
        errors.append(
            _refusal(where["issued_on"], "issued_on", "in_the_future", f"is after today ({today})", today=today)
        )
    return errors


def parse_qr(text: str, today: str | None) -> InvoiceFields:
    """The invoice a QR text describes, or InvalidInput naming `qr` (the part at fault in
    `params.part`). `today` (Asia/Shanghai): a later date is refused; None skips that check
    (the upload checker decides only whether a text is an invoice's QR)."""
    body = text.strip()
    if body.endswith(","):
        body = body[:-1].rstrip()
    parts = body.split(",")
    if len(parts) != len(QR_PARTS) or not body.isascii():
        raise InvalidInput.field(
            "qr",
            "not_an_invoice_qr",
            f"is not an invoice's QR text ({len(QR_PARTS)} comma-separated fields starting with {QR_VERSION})",
            parts=len(QR_PARTS),
        )
    raw = dict(zip(QR_PARTS, (p.strip() for p in parts), strict=True))
    if raw["version"] != QR_VERSION:
        raise InvalidInput.field(
            "qr",
            "unsupported_qr_version",
            f"the QR code's version is {raw['version'][:8]!r}; only {QR_VERSION} is known",
            part="version",
            version=QR_VERSION,
        )
    errors: list[FieldError] = []
    amount = _qr_amount(raw["amount"], errors)
    issued_on = _qr_date(raw["issued_on"], errors)
    if not _TAIL.fullmatch(raw["tail"]):
        errors.append(_refusal("qr", "tail", "not_an_invoice_qr", "is not an invoice QR's last field", parts=8))
    where = dict.fromkeys(("type", "code", "number", "amount", "issued_on", "check_code"), "qr")
    # an amount or a date already refused is not checked again (1 and "" pass the bounds)
    errors += _check_common(raw["type"], raw, amount if amount is not None else 1, issued_on or "", today, where)
    if errors:
        raise InvalidInput(errors)
    assert amount is not None and issued_on is not None
    code = "" if raw["type"] in FULLY_DIGITAL else raw["code"]
    return InvoiceFields(raw["type"], code, raw["number"], amount, issued_on, raw["check_code"])


def _qr_amount(text: str, errors: list[FieldError]) -> int | None:
    """Yuan with at most two decimals, as printed, in fen: no sign, no exponent, no third decimal."""
    m = _AMOUNT.fullmatch(text)
    if m is None:
        errors.append(
            _refusal("qr", "amount", "bad_invoice_amount", "must be yuan with at most two decimals (e.g. 1234.50)")
        )
        return None
    whole, cents = m.group(1), (m.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def _qr_date(text: str, errors: list[FieldError]) -> str | None:
    if _QR_DATE.fullmatch(text):
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            pass
    errors.append(_refusal("qr", "issued_on", "not_a_date", "must be a calendar date YYYYMMDD"))
    return None


def typed(body: Mapping[str, Any], today: str) -> InvoiceFields:
    """The invoice typed by hand: `type`, `code` (not for 31/32), `number`, `amount` (fen),
    `issued_on` (YYYY-MM-DD, checked as a date by the body's schema), `check_code`."""
    missing = [name for name in ("type", "number", "amount", "issued_on") if body.get(name) is None]
    if missing:
        raise InvalidInput([field_error(name, "required", "is required to type an invoice") for name in missing])
    invoice_type = str(body["type"])
    strings = {name: str(body.get(name) or "") for name in ("code", "number", "check_code")}
    where = {name: name for name in ("type", "code", "number", "amount", "issued_on", "check_code")}
    errors = _check_common(invoice_type, strings, int(body["amount"]), str(body["issued_on"]), today, where)
    if errors:
        raise InvalidInput(errors)
    code = "" if invoice_type in FULLY_DIGITAL else strings["code"]
    return InvoiceFields(
        invoice_type, code, strings["number"], int(body["amount"]), str(body["issued_on"]), strings["check_code"]
    )


def is_invoice_qr(text: str) -> bool:
    """Whether a decoded QR text is an invoice's (what the upload checker records): well formed,
    whatever its date."""
    try:
        parse_qr(text, None)
    except InvalidInput:
        return False
    return True


#: The fields of a typed invoice (POST …/invoices), besides `qr` and `attachment_id`.
TYPED_FIELDS = ("type", "code", "number", "amount", "issued_on", "check_code")


def source_of(body: Mapping[str, Any]) -> str:
    """Which of the three ways a claim body takes: exactly one of `qr`, `attachment_id`, or
    the typed fields (refused naming the field that comes with another, or `qr` when none)."""
    given = [name for name in ("qr", "attachment_id") if body.get(name) is not None]
    typed_given = [name for name in TYPED_FIELDS if body.get(name) is not None]
    if typed_given:
        given.append("manual")
    if len(given) == 1:
        return {"qr": "qr", "attachment_id": "attachment"}.get(given[0], "manual")
    if not given:
        raise InvalidInput.field(
            "qr",
            "one_way_required",
            "send the QR text (qr), an attachment holding its QR code (attachment_id), or the typed fields",
            choices=["qr", "attachment_id", "type"],
        )
    first, others = given[0], [typed_given[0] if g == "manual" else g for g in given[1:]]
    raise InvalidInput(
        [field_error(name, "not_with", f"cannot come with {first}: send one of them", other=first) for name in others]
    )


# -- an invoice claimed by a campaign ---------------------------------------------------------------
@dataclass
class Invoice:
    """An invoice as claimed by a campaign (one per key and company, until released)."""

    id: str
    campaign_id: str
    tenant: str
    fields: InvoiceFields
    source: str  # qr | attachment | manual
    claimed_by: Person
    created_at: str
    attachment_id: str | None = None
    status: str = "claimed"  # claimed | settled
    flags: dict[str, bool] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.fields.key

    @property
    def ref(self) -> InvoiceRef:
        return InvoiceRef(self.id, self.key, self.fields.amount)

    def as_dict(self) -> dict[str, Any]:
        """The invoice as API.md shows it."""
        f = self.fields
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "key": self.key,
            "type": f.type,
            "code": f.code,
            "number": f.number,
            "amount": f.amount,
            "issued_on": f.issued_on,
            "check_code": f.check_code,
            "source": self.source,
            "attachment_id": self.attachment_id,
            "status": self.status,
            "flags": {"issued_before_campaign": bool(self.flags.get("issued_before_campaign"))},
            "claimed_by": self.claimed_by.as_dict(),
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], tenant: str) -> Invoice:
        return cls(
            id=str(d["id"]),
            campaign_id=str(d["campaign_id"]),
            tenant=tenant,
            fields=InvoiceFields(
                str(d["type"]),
                str(d.get("code") or ""),
                str(d["number"]),
                int(d["amount"]),
                str(d["issued_on"]),
                str(d.get("check_code") or ""),
            ),
            source=str(d["source"]),
            claimed_by=Person.from_dict(d["claimed_by"]),
            created_at=str(d["created_at"]),
            attachment_id=d.get("attachment_id"),
            status=str(d.get("status") or "claimed"),
            flags={k: bool(v) for k, v in (d.get("flags") or {}).items()},
        )


@dataclass(frozen=True)
class InvoiceRef:
    """What a campaign keeps of each invoice it holds: enough to know the exact set, its total
    and where each claim lives from the campaign alone (one strongly consistent read)."""

    id: str
    key: str
    amount: int

    def as_list(self) -> list[Any]:
        return [self.id, self.key, self.amount]

    @classmethod
    def from_list(cls, item: list[Any]) -> InvoiceRef:
        return cls(str(item[0]), str(item[1]), int(item[2]))


def flags(issued_on: str, campaign_start: str) -> dict[str, bool]:
    """What a reviewer should know of an invoice: issued more than EARLY_DAYS days before the
    campaign began (it informs, never blocks)."""
    first = dt.date.fromisoformat(campaign_start) - dt.timedelta(days=EARLY_DAYS)
    return {"issued_before_campaign": dt.date.fromisoformat(issued_on) < first}


def total(refs: list[InvoiceRef]) -> int:
    return sum(r.amount for r in refs)


def check_room(refs: list[InvoiceRef], field_name: str) -> None:
    """A campaign holds at most MAX_PER_CAMPAIGN invoices (its settlement writes them all in one
    transaction): one more is refused naming the field that brought it."""
    if len(refs) >= MAX_PER_CAMPAIGN:
        raise InvalidInput.field(
            field_name,
            "too_many_invoices",
            f"a campaign holds at most {MAX_PER_CAMPAIGN} invoices",
            max=MAX_PER_CAMPAIGN,
        )


def already_claimed(campaign_id: str | None) -> Conflict:
    """409 invoice_already_claimed; `claimed_on` only when the caller may see that campaign."""
    details: dict[str, Any] = {"claimed_on": {"campaign_id": campaign_id}} if campaign_id else {}
    return Conflict(
        "this invoice is already claimed in your company"
        + (f" (by campaign {campaign_id})" if campaign_id else " (by a campaign you cannot see)"),
        code="invoice_already_claimed",
        params={"campaign_id": campaign_id} if campaign_id else {},
        **details,
    )


def newly_claimed(before: list[InvoiceRef], after: list[InvoiceRef]) -> list[InvoiceRef]:
    """The invoices a campaign change claimed: on the campaign after it, not before. A stream
    reader of the campaigns table (old and new images) finds each claim here exactly once per
    invoice id, however often a record is redelivered (the fact: `invoice.claimed:<id>`)."""
    known = {r.id for r in before}
    return [r for r in after if r.id not in known]


@dataclass(frozen=True)
class SettlementPolicy:
    """A company's settlement policy: whether settlement pays only on invoices (以票核销), and who
    set it when (none of them: the default, invoices not required)."""

    invoices_required: bool = False
    by: Person | None = None
    at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "invoices_required": self.invoices_required,
            "updated_by": self.by.as_dict() if self.by else None,
            "updated_at": self.at,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SettlementPolicy:
        by = d.get("updated_by")
        return cls(bool(d.get("invoices_required")), Person.from_dict(by) if by else None, d.get("updated_at"))
