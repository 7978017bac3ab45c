"""Campaign rules: feedback requirements, due dates, the settlement gate and amounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.approval import Approval, start_approval
from chalicelib.domain.budget import CampaignBudget
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, above, field_error

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


@dataclass
class Campaign:
    id: str
    org: str
    owner_id: str
    owner_name: str
    title: str
    category: str
    customer_id: str
    customer_name: str
    start_date: str
    end_date: str
    expected_spend: int
    expected_sales: int
    requested_amount: int
    created_at: str
    updated_at: str
    expected_units: int | None = None
    location: dict[str, Any] | None = None
    status: str = "draft"
    approved_amount: int | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    decision_comment: str | None = None
    # the feedback rule in force (most specific), and the campaign's own campaign-scope rule
    rule: RuleRef | None = None
    own_rule: RuleRef | None = None
    # the latest submitted feedback revision
    feedback_revision: int = 0
    feedback_kind: str | None = None
    feedback_submitted_at: str | None = None
    actual_spend: int | None = None
    actual_sales: int | None = None
    actual_units: int | None = None
    # settlement
    reimbursement_status: str = "not_eligible"
    reimbursed_amount: int | None = None
    reimbursed_at: str | None = None
    reimbursed_by: str | None = None
    reimbursement_note: str | None = None
    proposed_amount: int | None = None
    proposed_from_revision: int = 0
    version: int | None = None
    owner_email: str | None = None  # where overdue-feedback reminders go (from the token)
    # money control
    submitted_at: str | None = None
    approval: Approval | None = None  # the chain fixed at submit and the steps taken on it
    budget: CampaignBudget | None = None  # the covering budget's reservation, from the final approval
    cancelled_at: str | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    # the audit trail's head: the last entry's seq and hash (the entries live in their own table)
    audit_seq: int = 0
    audit_head: str | None = None

    @property
    def feedback_required(self) -> bool:
        return self.rule is not None

    @property
    def feedback_due_date(self) -> str | None:
        return feedback_due_date(self.end_date, self.rule.due_days) if self.rule else None


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


def check_can_settle(campaign: Campaign) -> None:
    status = campaign.reimbursement_status
    if status == "reimbursed":
        raise Conflict("this campaign has already been reimbursed", code="already_reimbursed")
    if campaign.status != "approved":
        raise Conflict("only approved campaigns can be settled", code="invalid_state")
    if status == "locked":
        raise Conflict("settlement is locked until the required feedback is submitted", code="feedback_required")


def settlement_amount(campaign: Campaign, requested: int | None) -> int:
    assert campaign.approved_amount is not None
    if requested is None:
        return proposed_amount(campaign.actual_spend, campaign.approved_amount)
    if requested > campaign.approved_amount:
        raise above("amount", "above_approved", "the approved amount", campaign.approved_amount)
    return requested


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


def audit_fields(c: Campaign) -> dict[str, Any]:
    """What the audit trail records of a campaign: every field a user or a rule can change,
    as plain values (the trail's `changes` are diffs of these)."""
    return {
        "title": c.title,
        "category": c.category,
        "customer_id": c.customer_id,
        "customer_name": c.customer_name,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "location": c.location,
        "expected_spend": c.expected_spend,
        "expected_sales": c.expected_sales,
        "expected_units": c.expected_units,
        "requested_amount": c.requested_amount,
        "status": c.status,
        "approved_amount": c.approved_amount,
        "feedback_required_by": c.rule.scope if c.rule else None,
        "feedback_due_date": c.feedback_due_date,
        "min_photos": c.rule.min_photos if c.rule else 0,
        "feedback_revision": c.feedback_revision,
        "reimbursement_status": c.reimbursement_status,
        "reimbursed_amount": c.reimbursed_amount,
        "proposed_amount": c.proposed_amount,
        "cancel_reason": c.cancel_reason,
    }


def pending_approval(c: Campaign) -> Approval | None:
    """The approval a submitted campaign waits on. Campaigns submitted before chains existed
    wait, as they did then, for any manager over them or a leader."""
    if c.status != "submitted":
        return None
    return c.approval or start_approval(None, c.requested_amount, c.org, "rep", c.org)
