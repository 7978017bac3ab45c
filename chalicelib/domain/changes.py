"""The changes feed (增量同步): what one change is, who may see it, how long it is kept.

Plain Python: no I/O. A change is written once per **audience** that may see it, each
audience being one partition a reader reads whole and in order:

* `owner#<tenant>|<owner id>`: the campaign's owner (a rep reads this one);
* `org#<node>` for every node on the campaign's org path (`org#CN`, `org#CN/EAST`,
  `org#CN/EAST/JS`): a manager reads their own node's, leader and finance the company's.

So what a caller may see is exactly the partition they read, as `domain/access.py` scopes a
campaign (a rep their own, a manager their subtree and their own applications, which carry
their own org, leader and finance the company), and a reader's cost is the changes they are
shown, never the size of the company.

Each change has a **fact**: a key naming the business fact it records (a campaign's version,
a feedback revision, a visit, a stream record's sequence number where the item has no version
of its own). A partition records a fact once, however often the stream delivers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal, scope_of

ENTITIES = ("campaign", "feedback", "attachment", "visit", "invoice")
OPS = ("upsert", "remove")
RETENTION_DAYS = 7  # promised: a cursor this old still works
KEEP_DAYS = 8  # kept: entries expire (TTL) this long after they are written, a day past the promise
RETENTION_SECONDS = RETENTION_DAYS * 24 * 3600
KEEP_SECONDS = KEEP_DAYS * 24 * 3600

#: An item's image as its table's stream carries it (DynamoDB JSON): how a change keeps the
#: entity's state, read back through the table's own model when the feed is read.
Image = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """One change of one entity, as a feed records it.

    `images`: the entity's state by role (`campaign`, `attachment`, `visit`, and for feedback
    `campaign`, `submitted`, `draft`), empty for a `remove`. The data a reader gets is made from
    them when the feed is read (short-lived links then, never stored)."""

    entity: str
    id: str
    campaign_id: str
    op: str
    fact: str
    images: Mapping[str, Image] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ValueError(f"unknown entity {self.entity!r}")
        if self.op not in OPS:
            raise ValueError(f"unknown op {self.op!r}")
        if self.op == "remove" and self.images:
            raise ValueError("a remove carries no state")


@dataclass(frozen=True)
class FeedEntry:
    """A change as one partition recorded it: its place (`seq`, 1, 2, 3 … without a gap) and
    when it was written (`at`, ISO UTC; `written`, epoch seconds: never earlier than the entry
    before it, since an entry is written only after the one before it committed)."""

    seq: int
    at: str
    written: float
    change: Change


def audiences(campaign_org: str, owner_id: str) -> list[str]:
    """Every partition a change of this campaign (or of what belongs to it) is written to."""
    tenant = orgs.tenant_of(campaign_org)
    return [f"owner#{tenant}|{owner_id}", *(f"org#{node}" for node in orgs.lineage(campaign_org))]


def audience_of(principal: Principal) -> str:
    """The one partition a caller reads: exactly their scope (domain/access.py: scope_of)."""
    scope = scope_of(principal)
    if scope.owner is not None:
        return f"owner#{scope.tenant}|{scope.owner}"
    return f"org#{scope.org}"


def cursor_binding(principal: Principal) -> str:
    """What a cursor is bound to: the company, the user and the partition they read. A cursor
    of another user (even one reading the same partition) or another company does not open."""
    return f"{principal.tenant}|{principal.sub}|{audience_of(principal)}"
