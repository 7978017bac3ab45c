"""The changes feed (DynamoDB, the changes table): one partition per audience.

| item | pk | sk |
|---|---|---|
| head | `<audience>` | `head` (`seq`: the partition's last entry) |
| entry | `<audience>` | `e#<seq, 12 digits>` (`at`, `written`, `entity`, `entity_id`, `campaign_id`, `op`, `fact`, `state`) |
| fact guard | `<audience>` | `fact#<fact>` (`seq`: the entry that recorded it) |
| cursor key | `#cursor-key` | `key` (`secret`: 32 random bytes, made once) |

An entry is written in ONE transaction with its head's increment, conditional on the head
still holding the value read (`seq = n`, or absent for the first), and with its fact's guard,
put only if absent. So a partition's entries are numbered 1, 2, 3 … with no gap and no late
arrival (an entry n + 1 commits only after n did: a reader that has seen n never later finds a
smaller one appear, which a timestamp sort key cannot promise under concurrent writers), and a
fact is recorded once however often its stream record is delivered. Writers racing on one
partition lose the head's condition, read it again and retry. Entries and guards expire by
TTL (`expires_at`, KEEP_DAYS after writing); heads and the key do not.

A page is one strongly consistent Query: `sk BETWEEN e#<n + 1> AND e#<last>`, which reads
exactly the entries it returns. A head a process has read or written is remembered (a stream
function writes one partition after another), and read again when its condition fails.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import threading
import time
import zlib
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib import clock
from chalicelib.dal.models import ChangeModel as C
from chalicelib.dal.writes import Immediately, all_or_nothing
from chalicelib.domain.changes import KEEP_SECONDS, Change, FeedEntry
from chalicelib.domain.errors import StaleWrite

HEAD = "head"
ENTRY = "e#"
FACT = "fact#"
LAST_SK = ENTRY + "9" * 12
KEY_PK, KEY_SK = "#cursor-key", "key"
ATTEMPTS = 40  # a partition's head lost this many times in a row: the stream record is retried


class AlreadyRecorded(Exception):
    """This partition has recorded this fact already (a redelivered stream record)."""


def entry_sk(seq: int) -> str:
    return f"{ENTRY}{seq:012d}"


def pack(images: Any) -> bytes:
    """An entity's images as stored: compact JSON, compressed (a campaign's image is mostly
    repeated attribute names and index keys: about a third of its size)."""
    return zlib.compress(json.dumps(images, separators=(",", ":"), sort_keys=True).encode(), 6)


def unpack(state: bytes | None) -> dict[str, Any]:
    return json.loads(zlib.decompress(state)) if state else {}


def entry_of(m: C) -> FeedEntry:
    return FeedEntry(
        seq=int(m.seq or 0),
        at=m.at or "",
        written=float(m.written or 0),
        change=Change(
            entity=m.entity or "",
            id=m.entity_id or "",
            campaign_id=m.campaign_id or "",
            op=m.op or "",
            fact=m.fact or "",
            images=unpack(m.state),
        ),
    )


def entry_item(audience: str, entry: FeedEntry) -> C:
    """The item of `entry` in `audience`'s partition (expiring KEEP_SECONDS after it was written)."""
    change = entry.change
    return C(
        audience,
        entry_sk(entry.seq),
        seq=entry.seq,
        at=entry.at,
        written=entry.written,
        entity=change.entity,
        entity_id=change.id,
        campaign_id=change.campaign_id,
        op=change.op,
        fact=change.fact,
        state=pack(dict(change.images)) if change.images else None,
        expires_at=int(entry.written) + KEEP_SECONDS,
    )


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class ChangeRepository:
    def __init__(self) -> None:
        self._heads: dict[str, int] = {}
        self._lock = threading.Lock()
        self._key: bytes | None = None

    # -- writing ---------------------------------------------------------------------------------
    def _head(self, audience: str, fresh: bool) -> int:
        with self._lock:
            known = None if fresh else self._heads.get(audience)
        if known is not None:
            return known
        try:
            seq = int(C.get(audience, HEAD, consistent_read=True, attributes_to_get=["seq"]).seq or 0)
        except DoesNotExist:
            seq = 0
        with self._lock:
            self._heads[audience] = seq
        return seq

    def record(self, audience: str, change: Change) -> FeedEntry | None:
        """Append `change` to `audience`'s partition once: the entry, or None when the
        partition has recorded its fact already."""
        fresh = False
        for attempt in range(ATTEMPTS):
            n = self._head(audience, fresh)
            at = clock.now_iso()  # read after the head: never earlier than the entry before
            written = _epoch(at)
            expires = int(written) + KEEP_SECONDS
            entry = FeedEntry(seq=n + 1, at=at, written=written, change=change)
            try:
                with all_or_nothing(Immediately()) as writes:
                    writes.put(
                        C(audience, FACT + change.fact, seq=n + 1, expires_at=expires),
                        C.pk.does_not_exist(),
                        conflict=AlreadyRecorded,
                    )
                    writes.update(
                        C(audience, HEAD),
                        [C.seq.set(n + 1)],
                        (C.seq == n) if n else C.pk.does_not_exist(),
                    )
                    writes.put(entry_item(audience, entry), C.pk.does_not_exist())
            except AlreadyRecorded:
                return None
            except StaleWrite:
                fresh = True  # another writer moved the head: read it again
                time.sleep(random.uniform(0, 0.004 * min(attempt + 1, 10)))
                continue
            with self._lock:
                self._heads[audience] = n + 1
            return entry
        raise StaleWrite(f"the head of {audience} kept moving")

    # -- reading ---------------------------------------------------------------------------------
    def after(self, audience: str, seq: int, limit: int) -> list[FeedEntry]:
        """Up to `limit` entries after `seq`, oldest first: one strongly consistent Query that
        reads nothing it does not return."""
        found = C.query(
            audience,
            C.sk.between(entry_sk(seq + 1), LAST_SK),
            consistent_read=True,
            limit=limit,
            page_size=limit,
        )
        return [entry_of(m) for m in found]

    def cursor_key(self) -> bytes:
        """The key cursors are signed with: made once (put if absent), then read, per process."""
        if self._key is None:
            try:
                C(KEY_PK, KEY_SK, secret=secrets.token_bytes(32)).save(C.pk.does_not_exist())
            except PutError as exc:  # made already (by this or another process): read it below
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            self._key = bytes(C.get(KEY_PK, KEY_SK, consistent_read=True).secret or b"")
        return self._key


__all__ = ["AlreadyRecorded", "ChangeRepository", "entry_item", "entry_sk", "pack", "unpack"]
