"""Campaign rules: feedback requirements, due dates, the settlement gate and amounts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Conflict, InvalidInput

SCOPES = ("campaign", "category", "all")          # most specific first
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
    owner_email: str | None = None     # where overdue-feedback reminders go (from the token)

    @property
    def feedback_required(self) -> bool:
        return self.rule is not None

    @property
    def feedback_due_date(self) -> str | None:
        return feedback_due_date(self.end_date, self.rule.due_days) if self.rule else None


def check_plan(start_date: str, end_date: str, category: str, categories: tuple[str, ...]) -> None:
    """Business validation of an application (types are checked before this)."""
    errors = []
    if end_date < start_date:
        errors.append({"field": "end_date", "message": "must be on or after start_date"})
    if category not in categories:
        errors.append({"field": "category", "message": f"unknown category; one of: {', '.join(categories)}"})
    if errors:
        raise InvalidInput(errors)


def most_specific_rule(*candidates: RuleRef | None) -> RuleRef | None:
    """campaign beats category beats all; among rules of one scope the newest (largest id) wins."""
    present = [r for r in candidates if r is not None]
    if not present:
        return None
    return min(present, key=lambda r: (SCOPES.index(r.scope), _neg(r.rule_id)))


def _neg(rule_id: str) -> tuple:
    return tuple(-ord(ch) for ch in rule_id)


def feedback_due_date(end_date: str, due_days: int) -> str:
    return (dt.date.fromisoformat(end_date) + dt.timedelta(days=due_days)).isoformat()


def feedback_status(campaign: Campaign, today: str) -> str:
    if campaign.feedback_revision > 0:
        return "submitted"
    if not campaign.feedback_required:
        return "not_required"
    return "overdue" if campaign.feedback_due_date < today else "pending"


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
        raise InvalidInput.field("amount", f"must not exceed the approved amount ({campaign.approved_amount} fen)")
    return requested


def check_approval(campaign: Campaign, approved_amount: int) -> None:
    if campaign.status != "submitted":
        raise Conflict(f"only submitted applications can be decided (this one is {campaign.status})",
                       code="invalid_state")
    if approved_amount > campaign.requested_amount:
        raise InvalidInput.field("approved_amount",
                                 f"must not exceed the requested amount ({campaign.requested_amount} fen)")


def check_feedback_editable(campaign: Campaign) -> None:
    if campaign.reimbursement_status == "reimbursed":
        raise Conflict("feedback is locked once the campaign is reimbursed", code="feedback_locked")
    if campaign.status != "approved":
        raise Conflict("feedback can be written once the campaign is approved", code="invalid_state")


def feedback_kind(campaign: Campaign) -> str:
    return "passive" if campaign.feedback_required else "active"
