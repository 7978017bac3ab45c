"""Time: UTC instants for records, business dates in Asia/Shanghai.

Every reading of the clock in chalicelib goes through `now()` (records' timestamps, today's
business date, a report's "as of", the time part of new ids), so a test can set the time of
the whole service in one place with `use_clock` (tests/unit/use_cases fix it this way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

_BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def _system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_source: Callable[[], dt.datetime] = _system_now


def use_clock(source: Callable[[], dt.datetime] | None) -> Callable[[], dt.datetime]:
    """Read time from `source` (an aware datetime each call; None: the system clock) from now
    on, in this process; returns the previous source so a caller can put it back."""
    global _source
    previous, _source = _source, source or _system_now
    return previous


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return _source().astimezone(dt.UTC)


def business_now() -> dt.datetime:
    """The current instant in Asia/Shanghai, the zone of business dates."""
    return now().astimezone(_BUSINESS_TZ)


def now_iso() -> str:
    """UTC now as ISO 8601 with millisecond precision and a Z: sortable as text."""
    return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_ms() -> int:
    """UTC now in whole milliseconds since the epoch (the time part of a new id)."""
    return int(now().timestamp() * 1000)


def business_today() -> str:
    """Today's calendar date in Asia/Shanghai, the zone reporting periods and due dates use."""
    return business_now().date().isoformat()


def business_day_start(day: str) -> dt.datetime:
    """The instant a calendar date begins in Asia/Shanghai."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=_BUSINESS_TZ)


def business_date_of(instant: str) -> str:
    """The Asia/Shanghai calendar date of a UTC instant written by now_iso()."""
    at = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return at.astimezone(_BUSINESS_TZ).date().isoformat()


def business_day_start_utc(day: str) -> str:
    """The UTC instant at which a calendar date begins in Asia/Shanghai, as sortable ISO text."""
    start = business_day_start(day)
    return start.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def previous_day(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
