"""Time: UTC instants for records, business dates in Asia/Shanghai."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now_iso() -> str:
    """UTC now as ISO 8601 with millisecond precision and a Z: sortable as text."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def business_today() -> str:
    """Today's calendar date in Asia/Shanghai, the zone reporting periods and due dates use."""
    return dt.datetime.now(_BUSINESS_TZ).date().isoformat()
