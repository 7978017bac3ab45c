"""The audit trail of a campaign: append-only entries chained by SHA-256.

Each entry's `hash` is the lowercase hex SHA-256 of the UTF-8 bytes of the entry without its
`hash`, serialised as `json.dumps(entry, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`; `prev_hash` is the previous entry's hash, 64 zeros for the first.

What is hashed is exactly what the API returns for an item minus `hash`, so an auditor can
recompute the chain from the JSON alone. To keep that true, optional keys are *omitted* when
absent, never written as null: `changes` when there are none, `actor.acting_for` when nobody
acts for anyone, `actor.name` when the actor has none (the system actor is exactly
`{"id": "system", "role": "system"}`). Every value in an entry is plain JSON (str, int,
bool, null, lists, objects). A float (a latitude in an edited `location`) is recorded as its
shortest round-trip decimal *text* ("31.2304"): the text of a JSON number is not canonical
across languages (Python writes 121.0 where JavaScript writes 121) nor across stores
(DynamoDB hands numbers back as Decimal), while a string hashes the same everywhere.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64

ACTIONS = (
    "created",
    "edited",
    "submitted",
    "approval_step",
    "approved",
    "rejected",
    "cancelled",
    "requirement_changed",
    "feedback_submitted",
    "settlement_unlocked",
    "reimbursed",
    "attachment_added",
    "attachment_ready",
    "attachment_rejected",
    "attachment_deleted",
    "visit_recorded",
    "budget_reserved",
    "budget_released",
    "budget_consumed",
    "invoice_claimed",
    "invoice_released",
    "invoices_settled",
    "voucher_posted",
)
ACTOR_ROLES = ("rep", "manager", "leader", "finance", "system")


@dataclass(frozen=True)
class Person:
    """Someone named on a record: an approver, a delegator, the author of a ledger entry."""

    id: str
    name: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        return cls(id=str(data["id"]), name=str(data.get("name") or ""))


@dataclass(frozen=True)
class Actor:
    """Who made a change, in which role, and for whom when acting under a delegation."""

    id: str
    role: str
    name: str | None = None
    acting_for: Person | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "role": self.role}
        if self.name is not None:
            out["name"] = self.name
        if self.acting_for is not None:
            out["acting_for"] = self.acting_for.as_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Actor:
        acting = data.get("acting_for")
        return cls(
            id=str(data["id"]),
            role=str(data["role"]),
            name=data.get("name"),
            acting_for=Person.from_dict(acting) if acting else None,
        )


# Functions (stream handlers, the upload checker, schedules) act as this one actor.
SYSTEM_ACTOR = Actor(id="system", role="system")


def actor_of(user_id: str, name: str, role: str, acting_for: Person | None = None) -> Actor:
    """The actor for a person from their token (`sub`, `name`, `custom:role`)."""
    return Actor(id=user_id, role=role, name=name, acting_for=acting_for)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: Actor
    action: str
    prev_hash: str
    hash: str
    changes: dict[str, list[Any]] | None = field(default=None)

    def body(self) -> dict[str, Any]:
        """The entry without `hash`: what is hashed."""
        out: dict[str, Any] = {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor.as_dict(),
            "action": self.action,
            "prev_hash": self.prev_hash,
        }
        if self.changes:
            out["changes"] = self.changes
        return out

    def as_dict(self) -> dict[str, Any]:
        """The API item: the body plus its hash."""
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        return cls(
            seq=int(data["seq"]),
            at=str(data["at"]),
            actor=Actor.from_dict(data["actor"]),
            action=str(data["action"]),
            prev_hash=str(data["prev_hash"]),
            hash=str(data["hash"]),
            changes=dict(data["changes"]) if data.get("changes") else None,
        )


@dataclass(frozen=True)
class ChainHead:
    """Where a chain stands: its last entry's seq and hash (seq 0 and 64 zeros: no entry yet).
    A campaign keeps its head, so the next entry can be linked without reading the trail."""

    seq: int = 0
    hash: str = GENESIS_HASH


def canonical_json(body: Mapping[str, Any]) -> str:
    """The one serialisation the hash is taken over (API.md, Audit trail)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_of(body: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of the canonical JSON of an entry without its `hash`."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def next_entry(
    prev: AuditEntry | ChainHead | None, at: str, actor: Actor, action: str, changes: Mapping[str, Any] | None = None
) -> AuditEntry:
    """The entry that follows `prev` (None or an empty head: the first of the chain), hashed and linked.

    Raises ValueError for an unknown action or role, or values that are not plain JSON: those
    are programming errors, never user input.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor.role not in ACTOR_ROLES:
        raise ValueError(f"unknown actor role {actor.role!r}")
    normalised = _plain_json(dict(changes)) if changes else None
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    draft = AuditEntry(
        seq=seq, at=at, actor=actor, action=action, prev_hash=prev_hash, hash="", changes=normalised or None
    )
    return AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        prev_hash=prev_hash,
        hash=hash_of(draft.body()),
        changes=draft.changes,
    )


def verify(
    entries: Iterable[AuditEntry | Mapping[str, Any]], first_seq: int = 1, prev_hash: str = GENESIS_HASH
) -> bool:
    """True when every hash recomputes, `seq` runs first_seq, first_seq+1, … without a gap,
    and each entry links to the one before (the first to `prev_hash`).

    Takes domain entries or the JSON items the API returns. `first_seq` and `prev_hash` let a
    reader verify a later page from the last entry it trusts; by default the whole chain.
    """
    expected_seq, expected_prev = first_seq, prev_hash
    for entry in entries:
        item = entry.as_dict() if isinstance(entry, AuditEntry) else dict(entry)
        claimed = item.pop("hash", None)
        if item.get("seq") != expected_seq or isinstance(item.get("seq"), bool):
            return False
        if item.get("prev_hash") != expected_prev:
            return False
        try:
            if hash_of(item) != claimed:
                return False
        except (TypeError, ValueError):
            return False
        expected_seq, expected_prev = expected_seq + 1, claimed
    return True


def diff(old_fields: Mapping[str, Any], new_fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field whose value differs; a missing field counts as None.

    Values compare whole (a changed `location` is one change). Empty when nothing changed,
    so a caller can skip writing an `edited` entry that would say nothing.
    """
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(old_fields) | set(new_fields)):
        old, new = old_fields.get(name), new_fields.get(name)
        if old != new:
            changes[name] = [old, new]
    return changes


def _plain_json(value: Any) -> Any:
    """A deep copy made of plain JSON values only: tuples become lists, floats and
    non-integral Decimals their decimal text, integral Decimals ints; anything else ValueError."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit values must be finite numbers")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("audit values must be finite numbers")
        return int(value) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, (list, tuple)):
        return [_plain_json(v) for v in value]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"audit object keys must be text, not {key!r}")
            out[key] = _plain_json(item)
        return out
    raise ValueError(f"audit values must be plain JSON, not {type(value).__name__}")
