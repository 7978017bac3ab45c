"""Keeping the roll-ups: one campaign change applies its delta exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.dal import images, repos
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.rollups import RowKey, delta, placement


def labels_for(rows: dict[RowKey, dict[str, Any]], c: Campaign | None) -> dict[RowKey, str]:
    """Display names for customer and owner rows (the latest the campaign carries)."""
    if c is None:
        return {}
    names = {"customer": c.customer_name, "owner": c.owner_name}
    return {k: names[k.dim] for k in rows if k.dim in names and names[k.dim]}


def apply_campaign_change(event_id: str, old: Campaign | None, new: Campaign | None) -> str:
    """Apply contribution(new) − contribution(old) with the record's marker, in one transaction.

    Returns `unchanged` (the change moves no roll-up), `applied`, or `duplicate` (this record
    was applied before: a redelivery or a replayed batch). The campaign's standings (where its
    ROI ranks it) move in the same transaction.
    """
    rows = delta(old, new)
    placed = placement(old, new)
    if not rows and placed is None:
        return "unchanged"
    applied = repos.rollups().apply(event_id, rows, labels_for(rows, new or old), placed)
    return "applied" if applied else "duplicate"


def campaign_item_changed(event_id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str:
    """The campaigns table's stream saw a campaign change (its old and new images, DynamoDB
    JSON; None where the record has none): `apply_campaign_change` with the record's eventID."""
    return apply_campaign_change(event_id, images.campaign(old), images.campaign(new))
