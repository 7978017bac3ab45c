"""Time: UTC instants for records, business dates in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now_iso() -> str:
    """UTC now as ISO 8601 with millisecond precision and a Z: sortable as text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def business_today() -> str:
    """Today's calendar date in Asia/Shanghai, the zone reporting periods and due dates use."""
    return dt.datetime.now(_BUSINESS_TZ).date().isoformat()


def business_date_of(instant: str) -> str:
    """The Asia/Shanghai calendar date of a UTC instant written by now_iso()."""
    at = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return at.astimezone(_BUSINESS_TZ).date().isoformat()


def business_day_start_utc(day: str) -> str:
    """The UTC instant at which a calendar date begins in Asia/Shanghai, as sortable ISO text."""
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=_BUSINESS_TZ)
    return start.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def previous_day(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
