"""The audit trail of campaigns: what every change appends, and reading a trail back.

A use case that changes a campaign records what it did in the same unit of work as the
change itself:

    before = audit_fields(campaign)
    ... change the campaign ...
    with repos.unit_of_work() as uow:
        history.save(uow, campaign, actor, [("approved", history.changes(before, campaign))])

`save` writes the campaign with its new entries (`record` appends them alone, for an insert);
`record` links the new entries to the campaign's chain head (kept on the campaign, so no read
is needed) and moves the head; the campaign's version condition then guarantees that of two
racing changes only one gets seq n, and a retried request or redelivered event that changes
nothing records nothing. Entries are only ever inserted (dal/audit.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.clock import now_iso
from chalicelib.dal import repos
from chalicelib.dal.ports import UnitOfWork
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.audit import (
    SYSTEM_ACTOR,
    Actor,
    AuditEntry,
    ChainHead,
    Person,
    actor_of,
    diff,
    next_entry,
    verify,
)
from chalicelib.domain.campaign import Campaign, audit_fields
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.pages import PageRequest
from chalicelib.logic.visibility import load_visible

Event = tuple[str, "dict[str, Any] | None"]


def actor(principal: Principal | None, acting_for: Person | None = None) -> Actor:
    """The actor of a change: the caller (with whom they act for), or the system for functions."""
    if principal is None:
        return SYSTEM_ACTOR
    return actor_of(principal.sub, principal.name, principal.role, acting_for)


def changes(before: dict[str, Any] | None, campaign: Campaign) -> dict[str, list[Any]]:
    """{field: [old, new]} of what a change did to the audited fields."""
    return diff(before or {}, audit_fields(campaign))


def record(
    uow: UnitOfWork, campaign: Campaign, who: Actor, events: Iterable[Event], at: str | None = None
) -> list[AuditEntry]:
    """Append one entry per event to the campaign's trail in `uow`, and move its head."""
    at = at or now_iso()
    head: AuditEntry | ChainHead = ChainHead()
    if campaign.audit_seq:
        if campaign.audit_head is None:
            raise ValueError(f"campaign {campaign.id} has {campaign.audit_seq} audit entries and no chain head")
        head = ChainHead(campaign.audit_seq, campaign.audit_head)
    tenant = orgs.tenant_of(campaign.org)
    written = []
    for action, change in events:
        head = next_entry(head, at, who, action, change or None)
        uow.audit.append(campaign.id, tenant, head)
        written.append(head)
    if written:
        campaign.audit_seq, campaign.audit_head = head.seq, head.hash
    return written


def save(
    uow: UnitOfWork, campaign: Campaign, who: Actor, events: Iterable[Event], at: str | None = None
) -> list[AuditEntry]:
    """Save the changed campaign in `uow` with one trail entry per event: a use case writes a
    changed campaign this way, so no change is saved without its record."""
    written = record(uow, campaign, who, events, at)
    uow.campaigns.save(campaign)
    return written


def trail(principal: Principal, campaign_id: str, page: PageRequest) -> tuple[list[dict[str, Any]], str | None, bool]:
    """A page of a campaign's trail (oldest first), the next cursor, and whether the whole chain
    verifies: every hash recomputes, seq runs 1..n, each entry links to the one before, and the
    last one is the head the campaign holds (so a trail cut short does not verify either)."""
    access.require(principal, "campaign.audit")
    campaign = load_visible(principal, campaign_id)
    items = repos.audit().entries(campaign_id)
    verified = _verified(campaign, items)
    start = _after(page.cursor, items)
    chunk = items[start : start + page.limit]
    more = start + page.limit < len(items)
    return chunk, (str(chunk[-1]["seq"]) if more and chunk else None), verified


def _verified(campaign: Campaign, items: list[dict[str, Any]]) -> bool:
    """The whole chain recomputes and ends at the head the campaign holds."""
    return (
        verify(items) and len(items) == campaign.audit_seq and (not items or items[-1]["hash"] == campaign.audit_head)
    )


def whole_chain(campaign: Campaign, attempts: int = 3) -> tuple[Campaign, list[dict[str, Any]], bool]:
    """A campaign (read again) and its whole trail, read together: a change landing between the
    two reads makes them disagree for a moment, so a chain that does not verify is read again
    (one that is broken stays broken). For a use case that has checked the caller sees it."""
    current, items = campaign, []
    for _ in range(attempts):
        current = repos.campaigns().get(campaign.id) or current
        items = repos.audit().entries(campaign.id)
        if _verified(current, items):
            return current, items, True
    return current, items, False


def _after(cursor: str | None, items: list[dict[str, Any]]) -> int:
    """Where a page starts: after the entry whose seq the cursor names (a chain with a gap
    still pages through every stored entry)."""
    if cursor is None:
        return 0
    for position, item in enumerate(items):
        if str(item.get("seq")) == cursor:
            return position + 1
    raise InvalidInput.field("cursor", "bad_cursor", "is not a cursor issued by this list")
