"""Stream records that could not be applied are kept whole in the object store
(`dead-letters/<source>/<event id>.json`, dal/objects.py): the stream keeps a record only 24 h,
and once the event source mapping's retries run out only its coordinates reach the on-failure
queue."""

from __future__ import annotations

from typing import Any

from chalicelib.dal import repos
from chalicelib.observability import count, logger


def park_failed_record(source: str, raw_record: dict[str, Any], error: BaseException) -> str:
    """Keep the whole failed record, say so in the log and the metrics; returns its key.
    Idempotent per eventID (a redelivered failure overwrites the same object)."""
    event_id = raw_record.get("eventID", "unknown")
    key = repos.objects().park(
        source, event_id, {"source": source, "error": f"{type(error).__name__}: {error}", "record": raw_record}
    )
    logger().error(
        "stream record failed; parked",
        extra={"source": source, "event_id": event_id, "parked_key": key, "error": type(error).__name__},
    )
    count("StreamRecordFailures")
    return key
