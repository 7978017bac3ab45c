"""Campaign rules: feedback requirements, due dates, the settlement gate and amounts; and the
one declaration of a campaign's fields (which the applicant fills in, edits, and the audit
trail records), from which creating, editing, auditing and presenting a campaign all derive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from chalicelib.domain.approval import Approval, start_approval
from chalicelib.domain.budget import CampaignBudget
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, above, field_error
from chalicelib.domain.invoices import InvoiceRef, total

STATUSES = ("draft", "submitted", "approved", "rejected", "cancelled")
SCOPES = ("campaign", "category", "all")  # most specific first
DEFAULT_DUE_DAYS = 7


@dataclass(frozen=True)
class RuleRef:
    """The part of a feedback rule that a campaign needs to know."""

    rule_id: str
    scope: str
    due_days: int = DEFAULT_DUE_DAYS
    min_photos: int = 0


# -- a campaign's fields ------------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    """A field of the application, which its applicant fills in.

    `path`: where it sits in a request body and in the campaign's view (`("plan",
    "expected_spend")` is `{"plan": {"expected_spend": …}}`). `editable`: its owner may change it
    while the campaign is a draft. `empty`: what is kept when a body leaves it out or sends null.
    `whole`: its object is replaced whole by a change (a customer is its id and name together;
    a change to `plan` names only the figures it changes).
    """

    path: tuple[str, ...]
    editable: bool = True
    empty: Any = None
    whole: bool = False


def applied(*path: str, editable: bool = True, empty: Any = None, whole: bool = False) -> dict[str, Any]:
    """A field's metadata: part of the application (see Applied) and recorded by the audit trail."""
    return {"applied": Applied(path, editable, empty, whole), "audited": True}


AUDITED: dict[str, Any] = {"audited": True}  # recorded by the audit trail (audit_fields), not filled in


@dataclass
class Campaign:
    """A campaign. Its fields say how they travel (dataclasses.field metadata): `applied(...)`
    for the application's own fields (created from the body, edited in draft, audited,
    presented at their path), `AUDITED` for what the audit trail records of the rest. A new
    optional application field is one line here (and its attribute in dal/models.py)."""

    id: str
    org: str
    owner_id: str
    owner_name: str
    title: str = field(metadata=applied("title"))
    category: str = field(metadata=applied("category"))
    customer_id: str = field(metadata=applied("customer", "id", whole=True))
    customer_name: str = field(metadata=applied("customer", "name", empty="", whole=True))
    start_date: str = field(metadata=applied("start_date"))
    end_date: str = field(metadata=applied("end_date"))
    expected_spend: int = field(metadata=applied("plan", "expected_spend"))
    expected_sales: int = field(metadata=applied("plan", "expected_sales"))
    requested_amount: int = field(metadata=applied("requested_amount"))
    created_at: str
    updated_at: str
    expected_units: int | None = field(default=None, metadata=applied("plan", "expected_units"))
    location: dict[str, Any] | None = field(default=None, metadata=applied("location"))
    status: str = field(default="draft", metadata=AUDITED)
    approved_amount: int | None = field(default=None, metadata=AUDITED)
    decided_by: str | None = None
    decided_at: str | None = None
    decision_comment: str | None = None
    # the feedback rule in force (most specific), and the campaign's own campaign-scope rule
    rule: RuleRef | None = None
    own_rule: RuleRef | None = None
    # the latest submitted feedback revision
    feedback_revision: int = field(default=0, metadata=AUDITED)
    feedback_kind: str | None = None
    feedback_submitted_at: str | None = None
    actual_spend: int | None = None
    actual_sales: int | None = None
    actual_units: int | None = None
    # settlement
    reimbursement_status: str = field(default="not_eligible", metadata=AUDITED)
    reimbursed_amount: int | None = field(default=None, metadata=AUDITED)
    reimbursed_at: str | None = None
    reimbursed_by: str | None = None
    reimbursed_by_name: str | None = None
    reimbursement_note: str | None = None
    proposed_amount: int | None = field(default=None, metadata=AUDITED)
    proposed_from_revision: int = 0
    version: int | None = None
    owner_email: str | None = None  # where overdue-feedback reminders go (from the token)
    # money control
    submitted_at: str | None = None
    approval: Approval | None = None  # the chain fixed at submit and the steps taken on it
    budget: CampaignBudget | None = None  # the covering budget's reservation, from the final approval
    cancelled_at: str | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = field(default=None, metadata=AUDITED)
    # the audit trail's head: the last entry's seq and hash (the entries live in their own table)
    audit_seq: int = 0
    audit_head: str | None = None
    # invoices (以票核销): the ones it holds, in the order claimed (each claim is an item of the
    # invoices table, written in the same transaction as this list); the voucher number the
    # general ledger gave its settlement (feature-vouchers)
    invoices: list[InvoiceRef] = field(default_factory=list)
    voucher_no: str | None = None

    @property
    def feedback_required(self) -> bool:
        return self.rule is not None

    @property
    def feedback_due_date(self) -> str | None:
        return feedback_due_date(self.end_date, self.rule.due_days) if self.rule else None

    @property
    def invoice_total(self) -> int:
        """The sum of the invoices it holds (fen)."""
        return total(self.invoices)

    def invoice(self, invoice_id: str) -> InvoiceRef | None:
        return next((r for r in self.invoices if r.id == invoice_id), None)


def check_plan(start_date: str, end_date: str, category: str, categories: tuple[str, ...]) -> None:
    """Business validation of an application (types are checked before this)."""
    errors: list[FieldError] = []
    if end_date < start_date:
        errors.append(field_error("end_date", "end_before_start", "must be on or after start_date", other="start_date"))
    if category not in categories:
        errors.append(
            field_error(
                "category",
                "unknown_category",
                f"unknown category; one of: {', '.join(categories)}",
                choices=list(categories),
            )
        )
    if errors:
        raise InvalidInput(errors)


def check_location(location: dict[str, Any] | None) -> None:
    """A location is an address, coordinates, or both: reps often know only the address.
    Coordinates come as a pair; one alone names the missing one."""
    if location is None:
        return
    lat, lon = location.get("lat"), location.get("lon")
    if (lat is None) != (lon is None):
        missing, given = ("lon", "lat") if lon is None else ("lat", "lon")
        raise InvalidInput.field(
            f"location.{missing}",
            "coordinates_pair",
            f"is required with location.{given} (coordinates come as a pair)",
            other=f"location.{given}",
        )
    if lat is None and not location.get("address"):
        raise InvalidInput.field("location.address", "required", "is required when there are no coordinates")


def most_specific_rule(*candidates: RuleRef | None) -> RuleRef | None:
    """campaign beats category beats all; among rules of one scope the newest (largest id) wins."""
    present = [r for r in candidates if r is not None]
    if not present:
        return None
    return min(present, key=lambda r: (SCOPES.index(r.scope), _neg(r.rule_id)))


def _neg(rule_id: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in rule_id)


def feedback_due_date(end_date: str, due_days: int) -> str:
    return (dt.date.fromisoformat(end_date) + dt.timedelta(days=due_days)).isoformat()


def feedback_status(campaign: Campaign, today: str) -> str:
    if campaign.feedback_revision > 0:
        return "submitted"
    if not campaign.feedback_required:
        return "not_required"
    due = campaign.feedback_due_date  # set whenever feedback is required
    return "overdue" if due is not None and due < today else "pending"


def days_overdue(due_date: str | None, today: str) -> int:
    if not due_date or due_date >= today:
        return 0
    return (dt.date.fromisoformat(today) - dt.date.fromisoformat(due_date)).days


def settlement_gate(campaign: Campaign) -> str:
    """The reimbursement status an approved, unreimbursed campaign should have now."""
    if campaign.status != "approved":
        return "not_eligible"
    if campaign.reimbursement_status == "reimbursed":
        return "reimbursed"
    if campaign.feedback_required and campaign.feedback_revision == 0:
        return "locked"
    return "unlocked"


def proposed_amount(actual_spend: int | None, approved_amount: int) -> int:
    """Pay on actual spend, never above the approved amount; the approved amount with no feedback."""
    if actual_spend is None:
        return approved_amount
    return min(actual_spend, approved_amount)


def check_ended(campaign: Campaign, today: str, doing: str) -> None:
    """Money follows what happened: nothing is reported or paid for before the campaign's last
    day (its end date itself is allowed: the rep reports that evening). `today` is the
    Asia/Shanghai date; the error names the day from which it is allowed (`ends_on`)."""
    if today < campaign.end_date:
        raise Conflict(
            f"{doing} is possible from the campaign's last day, {campaign.end_date}",
            code="campaign_not_ended",
            params={"ends_on": campaign.end_date},
            ends_on=campaign.end_date,
        )


def check_can_settle(campaign: Campaign, today: str) -> None:
    status = campaign.reimbursement_status
    if status == "reimbursed":
        raise Conflict("this campaign has already been reimbursed", code="already_reimbursed")
    if campaign.status != "approved":
        raise Conflict("only approved campaigns can be settled", code="invalid_state")
    check_ended(campaign, today, "settlement")
    if status == "locked":
        raise Conflict("settlement is locked until the required feedback is submitted", code="feedback_required")


def settlement_amount(campaign: Campaign, requested: int | None, invoices_required: bool = False) -> int:
    """What settlement pays: on actual spend, never above the approved amount; where the company
    requires invoices (以票核销), never above what the campaign's invoices prove either (none at
    all, or an amount above their total: 409 invoices_short with `invoice_total`)."""
    assert campaign.approved_amount is not None
    if requested is not None and requested > campaign.approved_amount:
        raise above("amount", "above_approved", "the approved amount", campaign.approved_amount)
    amount = proposed_amount(campaign.actual_spend, campaign.approved_amount) if requested is None else requested
    if invoices_required:
        invoiced = campaign.invoice_total
        if requested is None:
            amount = min(amount, invoiced)
        if not campaign.invoices or amount > invoiced:
            raise Conflict(
                f"invoices are required: they prove {invoiced} fen, which does not cover {amount} fen"
                if campaign.invoices
                else "invoices are required and this campaign holds none",
                code="invoices_short",
                params={"invoice_total": invoiced, "amount": amount, "unit": "fen"},
                invoice_total=invoiced,
            )
    return amount


def check_invoices_claimable(campaign: Campaign) -> None:
    """Invoices are claimed on an approved campaign until it is settled (API.md: 409 invalid_state)."""
    if campaign.status != "approved" or campaign.reimbursement_status == "reimbursed":
        state = "reimbursed" if campaign.reimbursement_status == "reimbursed" else campaign.status
        raise Conflict(
            f"invoices are claimed on an approved campaign before settlement (this one is {state})",
            code="invalid_state",
        )


def check_feedback_editable(campaign: Campaign) -> None:
    if campaign.reimbursement_status == "reimbursed":
        raise Conflict("feedback is locked once the campaign is reimbursed", code="feedback_locked")
    if campaign.status != "approved":
        raise Conflict("feedback can be written once the campaign is approved", code="invalid_state")


def feedback_kind(campaign: Campaign) -> str:
    return "passive" if campaign.feedback_required else "active"


def check_cancellable(campaign: Campaign) -> None:
    """A draft, a submitted or an approved campaign may be cancelled until it is reimbursed."""
    if campaign.reimbursement_status == "reimbursed":
        raise Conflict("a reimbursed campaign cannot be cancelled", code="invalid_state")
    if campaign.status not in ("draft", "submitted", "approved"):
        raise Conflict(
            f"only a draft, submitted or approved campaign can be cancelled (this one is {campaign.status})",
            code="invalid_state",
        )


def overlaps(a: Campaign, b: Campaign) -> bool:
    """Two applications for the same customer and kind of campaign on overlapping days: the
    classic double claim. Rejected and cancelled ones, and drafts, do not count."""
    return (
        a.id != b.id
        and a.customer_id == b.customer_id
        and a.category == b.category
        and b.status in ("submitted", "approved")
        and a.start_date <= b.end_date
        and b.start_date <= a.end_date
    )


# -- what derives from the declaration of the fields ---------------------------------------------
APPLICATION: tuple[tuple[str, Applied], ...] = tuple(
    (f.name, f.metadata["applied"]) for f in fields(Campaign) if "applied" in f.metadata
)
_AUDITED = tuple(f.name for f in fields(Campaign) if f.metadata.get("audited"))
_MISSING = object()


def _at(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` in a body (_MISSING where it has none)."""
    value: Any = body
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


def application_values(body: Mapping[str, Any]) -> dict[str, Any]:
    """The application's fields of a new campaign, from its request body (validated before
    this: every required field is there); a field left out or null is its `empty`."""
    values = {}
    for name, spec in APPLICATION:
        value = _at(body, spec.path)
        values[name] = spec.empty if value is _MISSING or value is None else value
    return values


def edited_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields a change (a PATCH body) sets, and to what: a field named in it (null
    clears it to its `empty`), and every field of an object it replaces whole."""
    values = {}
    for name, spec in APPLICATION:
        if not spec.editable:
            continue
        value = _at(changes, spec.path)
        if value is _MISSING and not (spec.whole and _at(changes, spec.path[:-1]) is not _MISSING):
            continue
        values[name] = spec.empty if value is _MISSING or value is None else value
    return values


def application_view(c: Campaign) -> dict[str, Any]:
    """The application's fields as the campaign's view shows them, each at its path."""
    view: dict[str, Any] = {}
    for name, spec in APPLICATION:
        parent = view
        for key in spec.path[:-1]:
            parent = parent.setdefault(key, {})
        parent[spec.path[-1]] = getattr(c, name)
    return view


def audit_fields(c: Campaign) -> dict[str, Any]:
    """What the audit trail records of a campaign: every field a user or a rule can change
    (those declared audited, and what the rule in force decides), as plain values (the
    trail's `changes` are diffs of these)."""
    return {
        **{name: getattr(c, name) for name in _AUDITED},
        "feedback_required_by": c.rule.scope if c.rule else None,
        "feedback_due_date": c.feedback_due_date,
        "min_photos": c.rule.min_photos if c.rule else 0,
    }


def pending_approval(c: Campaign) -> Approval | None:
    """The approval a submitted campaign waits on. Campaigns submitted before chains existed
    wait, as they did then, for any manager over them or a leader."""
    if c.status != "submitted":
        return None
    return c.approval or start_approval(None, c.requested_amount, c.org, "rep", c.org)
