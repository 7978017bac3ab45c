"""Opaque, validated pagination cursors.

A cursor is the key of the last item returned, bound to the query that issued it. A cursor
that does not decode, names other attributes, or belongs to another query is a 400, never a 500.
Both the DynamoDB and the in-memory repositories use these, so a cursor means the same in each.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from chalicelib.domain.errors import InvalidInput

_MAX_CURSOR = 2048
BAD_CURSOR = "is not a cursor issued by this list with these filters"


def fingerprint(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_cursor(last_key: dict[str, str] | None, query_fp: str) -> str | None:
    """`last_key`: the string key attributes of the last item returned."""
    if not last_key:
        return None
    raw = json.dumps({"k": last_key, "q": query_fp}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, key_attrs: set[str], query_fp: str) -> dict[str, str] | None:
    if cursor is None:
        return None
    bad = InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_CURSOR:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, dict) or data.get("q") != query_fp:
        raise bad
    key = data.get("k")
    if not isinstance(key, dict) or set(key) != key_attrs:
        raise bad
    if not all(isinstance(v, str) and 0 < len(v) <= 512 for v in key.values()):
        raise bad
    return key


# A merged list (one Query per key, e.g. /me/approvals per approver key) pages with one cursor
# holding each key's own: the key's cursor, None while it has not moved, "" when it is done.
# Bounded like the API's parameter.
_MAX_MERGED_CURSOR = 4096


def encode_positions(positions: dict[str, str | None]) -> str | None:
    """The cursor of a merged list: None once every key is done."""
    if all(v == "" for v in positions.values()):
        return None
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_positions(cursor: str | None, keys: list[str]) -> dict[str, str | None]:
    """Each key's position from a merged list's cursor (None: from the start). A cursor of
    other keys, or whose positions are not cursors, is a 400 naming `cursor`."""
    if cursor is None:
        return {k: None for k in keys}
    bad = InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_MERGED_CURSOR:
        raise bad
    try:
        positions = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if (
        not isinstance(positions, dict)
        or sorted(positions) != sorted(keys)
        or not all(v is None or isinstance(v, str) for v in positions.values())
    ):
        raise bad
    return positions


def to_dynamo_key(key: dict[str, str] | None) -> dict[str, dict[str, str]] | None:
    return {name: {"S": value} for name, value in key.items()} if key else None


def from_dynamo_key(key: dict[str, dict[str, str]] | None) -> dict[str, str] | None:
    return {name: value["S"] for name, value in key.items()} if key else None


# The changes feed's cursor is a position in one partition, signed: an HMAC over the position
# and what it is bound to (the company, the user, the partition), keyed by a secret the storage
# keeps (dal/changes.py). A cursor edited, made up, or issued to someone else does not open: a
# 400 naming `cursor`, like any other list's.
_MAX_POSITION_CURSOR = 512


def sign_position(position: dict[str, int], binding: str, key: bytes) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":"), sort_keys=True).encode())
    text = payload.decode().rstrip("=")
    return f"{text}.{_mac(text, binding, key)}"


def open_position(cursor: str | None, binding: str, key: bytes, fields: set[str]) -> dict[str, int] | None:
    """The position a signed cursor holds (None: no cursor), each field a whole number ≥ 0."""
    if cursor is None:
        return None
    bad = InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
    if not isinstance(cursor, str) or len(cursor) > _MAX_POSITION_CURSOR:
        raise bad
    text, dot, mac = cursor.rpartition(".")
    if not dot or not hmac.compare_digest(mac, _mac(text, binding, key)):
        raise bad
    try:
        position = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if (
        not isinstance(position, dict)
        or set(position) != fields
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in position.values())
    ):
        raise bad
    return position


def _mac(text: str, binding: str, key: bytes) -> str:
    return hmac.new(key, f"{binding}\n{text}".encode(), hashlib.sha256).hexdigest()[:32]
