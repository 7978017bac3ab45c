"""Feedback reports and feedback rules."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.campaign import RuleRef
from chalicelib.domain.errors import InvalidInput, field_error

REQUIRED_ACTUALS = ("actual_spend", "actual_sales")


@dataclass
class FeedbackReport:
    campaign_id: str
    author_id: str
    author_name: str
    status: str  # draft | submitted
    created_at: str
    updated_at: str
    revision: int = 0  # 0 for a draft, n for the n-th submission
    kind: str | None = None
    actual_spend: int | None = None
    actual_sales: int | None = None
    actual_units: int | None = None
    effect_rating: int | None = None
    reflections: str | None = None
    submitted_at: str | None = None


def check_submittable(report: FeedbackReport, ready_photos: int, min_photos: int) -> None:
    errors = [
        field_error(name, "required_to_submit", "is required to submit feedback")
        for name in REQUIRED_ACTUALS
        if getattr(report, name) is None
    ]
    if ready_photos < min_photos:
        errors.append(
            field_error(
                "attachments",
                "too_few_photos",
                f"the feedback rule asks for at least {min_photos} ready photos; {ready_photos} so far",
                min_photos=min_photos,
                ready=ready_photos,
            )
        )
    if errors:
        raise InvalidInput(errors)


@dataclass
class FeedbackRule:
    id: str
    tenant: str
    scope: str  # campaign | category | all
    due_days: int
    min_photos: int
    created_by: str
    created_at: str
    campaign_id: str | None = None
    category: str | None = None
    # a campaign rule records whose campaign it is, so that listing rules can be scoped
    campaign_org: str | None = None
    campaign_owner: str | None = None

    @property
    def target(self) -> str:
        return rule_target(self.tenant, self.scope, self.campaign_id or self.category)

    def ref(self) -> RuleRef:
        return RuleRef(rule_id=self.id, scope=self.scope, due_days=self.due_days, min_photos=self.min_photos)


def rule_target(tenant: str, scope: str, value: str | None = None) -> str:
    """The key that a rule and the campaigns it covers share: CN|category|tasting, CN|all|*."""
    return f"{tenant}|{scope}|{value if scope != 'all' else '*'}"


@dataclass(frozen=True)
class Sweep:
    """Progress of re-applying rules to the campaigns one rule covers, a page per stream record."""

    rule_id: str
    change: str  # created | deleted
    tenant: str
    scope: str
    category: str | None
    campaign_id: str | None
    cursor: str | None
    done: bool
