"""What a user can search for: the filters of the campaign list and of worklists D and E.

Plain values; which index answers them is the data layer's business (dal/campaigns.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

FEEDBACK_REQUEST_STATUSES = ("pending", "overdue", "submitted")


@dataclass(frozen=True)
class CampaignFilters:
    """GET /campaigns (and customer history)."""

    status: str | None = None
    org: str | None = None
    owner: str | None = None
    category: str | None = None
    customer_id: str | None = None
    date_from: str | None = None  # campaign start_date on or after
    date_to: str | None = None  # campaign start_date on or before


@dataclass(frozen=True)
class FeedbackSearch:
    """D: submitted feedback. Dates are Asia/Shanghai business days."""

    org: str | None = None
    owner: str | None = None
    category: str | None = None
    customer_id: str | None = None
    kind: str | None = None
    submitted_from: str | None = None
    submitted_to: str | None = None


@dataclass(frozen=True)
class RequestSearch:
    """E: campaigns whose feedback is required. Without a status: pending and overdue."""

    org: str | None = None
    owner: str | None = None
    category: str | None = None
    customer_id: str | None = None
    status: str | None = None
    due_before: str | None = None  # inclusive
    due_after: str | None = None  # inclusive

    def check(self) -> None:
        if self.due_after and self.due_before and self.due_after > self.due_before:
            raise InvalidInput.field(
                "due_after", "start_after_end", "must be on or before due_before", other="due_before"
            )


def due_window(f: RequestSearch, today: str, yesterday: str) -> tuple[str, str] | None:
    """The due dates (inclusive) E covers: pending is due today or later, overdue before today.
    None when the filters leave no date at all."""
    lo, hi = f.due_after or "0000-00-00", f.due_before or "9999-12-31"
    if f.status == "pending":
        lo = max(lo, today)
    elif f.status == "overdue":
        hi = min(hi, yesterday)
    return (lo, hi) if lo <= hi else None
