"""What the storage tells a use case besides data (light: no AWS imports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.budget import Delta


class AlreadyDecided(Exception):
    """The upload checker already recorded a decision on this object version (or the
    attachment is gone): a redelivered S3 event."""


class ObjectMissing(Exception):
    """The object is gone, or is not the version asked for (its ETag changed)."""


class BudgetShort(Exception):
    """A budget change's condition failed: its `available` no longer covers it (or, for an
    amount change, its version moved). The use case re-reads and says how much is left."""

    def __init__(self, delta: Delta) -> None:
        super().__init__(delta.budget_id)
        self.delta = delta


class RuleTargetTaken(Exception):
    """A rule for the same scope and target already exists (its claim is held): one rule per
    campaign, category or "all" of a company."""


class InvoiceTaken(Exception):
    """The invoice's key is already claimed in the company (its ledger item exists): one
    invoice, one claim, until the campaign holding it releases it."""
