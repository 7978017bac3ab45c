"""Sortable ids (ULID: 48-bit millisecond time from chalicelib.clock + 80 random bits, Crockford base32)."""

from __future__ import annotations

import os

from chalicelib.clock import now_ms as _now_ms

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def new_id(now_ms: int | None = None) -> str:
    ms = _now_ms() if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))
