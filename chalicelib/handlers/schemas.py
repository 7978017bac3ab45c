"""Request bodies (pydantic v2): strict types, unknown fields refused, sizes bounded."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_MONEY = 10**13  # fen: 100 billion CNY, far above any campaign


def _calendar_date(value: str) -> str:
    dt.date.fromisoformat(value)  # raises ValueError -> a 400 naming the field
    return value


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("must not contain control characters")
    return value


Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_calendar_date)]
Money = Annotated[int, Field(ge=0, le=MAX_MONEY)]
PositiveMoney = Annotated[int, Field(gt=0, le=MAX_MONEY)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Text = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_printable)]


class Body(BaseModel):
    # defer_build: a cold Lambda builds only the validators of the route it serves
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Customer(Body):
    id: Id
    name: Name | None = None


def _coordinate(value: float) -> float:
    # 7 decimals is about 1 cm; beyond that DynamoDB refuses magnitudes below 1e-130 (a 500)
    return round(value, 7) + 0.0


class Location(Body):
    address: Name | None = None
    lat: Annotated[float, Field(ge=-90, le=90), AfterValidator(_coordinate)]
    lon: Annotated[float, Field(ge=-180, le=180), AfterValidator(_coordinate)]


class Plan(Body):
    expected_spend: Money
    expected_sales: Money
    expected_units: Annotated[int, Field(ge=0, le=10**9)] | None = None


# In a PATCH, a field left out keeps its value and an explicit null clears it. Only fields
# that may be empty are Optional; the others default to None without accepting null (pydantic
# does not validate defaults), so `"title": null` is a 400 naming the field, not a 500.
class PlanChanges(Body):
    expected_spend: Money = None  # type: ignore[assignment]
    expected_sales: Money = None  # type: ignore[assignment]
    expected_units: Annotated[int, Field(ge=0, le=10**9)] | None = None


class CampaignIn(Body):
    title: Name
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    customer: Customer
    start_date: Date
    end_date: Date
    location: Location | None = None
    plan: Plan
    requested_amount: PositiveMoney


class CampaignChanges(Body):
    title: Name = None  # type: ignore[assignment]
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)] = None  # type: ignore[assignment]
    customer: Customer = None  # type: ignore[assignment]
    start_date: Date = None  # type: ignore[assignment]
    end_date: Date = None  # type: ignore[assignment]
    location: Location | None = None
    plan: PlanChanges = None  # type: ignore[assignment]
    requested_amount: PositiveMoney = None  # type: ignore[assignment]


class Approval(Body):
    approved_amount: PositiveMoney
    comment: Text | None = None
    acting_for: Id | None = None  # a delegator's id: decide in their name


Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), AfterValidator(_printable)
]


class Rejection(Body):
    comment: Reason
    acting_for: Id | None = None


class Cancellation(Body):
    reason: Reason


class RuleIn(Body):
    scope: Literal["campaign", "category", "all"]
    campaign_id: Id | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    due_days: Annotated[int, Field(ge=0, le=365)] = 7
    min_photos: Annotated[int, Field(ge=0, le=50)] = 0


class FeedbackIn(Body):
    actual_spend: Money | None = None
    actual_sales: Money | None = None
    actual_units: Annotated[int, Field(ge=0, le=10**9)] | None = None
    effect_rating: Annotated[int, Field(ge=1, le=5)] | None = None
    reflections: Text | None = None


class SettlementIn(Body):
    amount: Money | None = None
    note: Annotated[str, StringConstraints(max_length=1000), AfterValidator(_printable)] | None = None


class AttachmentIn(Body):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    size_bytes: Annotated[int, Field(gt=0, le=25 * 1024 * 1024)]


# -- evaluation and reports -------------------------------------------------------------------
def _month(value: str) -> str:
    dt.date.fromisoformat(value + "-01")  # raises ValueError -> a 400 naming the field
    return value


Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$"), AfterValidator(_month)]


class ReportRun(Body):
    period: Month
    language: Literal["zh", "en"] = "zh"


class ReportSubscription(Body):
    frequency: Literal["weekly", "monthly", "none"]
    language: Literal["zh", "en"] = "zh"


# -- money control ---------------------------------------------------------------------------
Org = Annotated[str, StringConstraints(min_length=1, max_length=300)]  # the domain checks the path


class BudgetIn(Body):
    org: Org
    period: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    amount: int  # the domain bounds it (and names it) so 2^63 is a 400, not an overflow
    parent_id: Id | None = None


class BudgetChange(Body):
    amount: int


class PolicyLevelIn(Body):
    up_to: int | None
    approver: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class PolicyIn(Body):
    levels: list[PolicyLevelIn] = Field(max_length=10)


class Delegate(Body):
    id: Id
    name: Name | None = None


class DelegationIn(Body):
    to: Delegate
    from_: Date = Field(alias="from")
    until: Date
