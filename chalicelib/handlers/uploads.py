"""The S3 upload trigger: each `ObjectCreated` record under uploads/ is checked on its own.

S3 delivers at least once (and may deliver one event twice); `logic.evidence.check_upload`
is idempotent per (key, ETag). A record that fails raises after the others are done, so the
Lambda invocation fails and the asynchronous invoke retries it (then its on-failure
destination keeps it): errors are never swallowed, and the records already decided are
no-ops on the retry.
"""
from __future__ import annotations

from urllib.parse import unquote_plus

from chalicelib.observability import flush_metrics, logger


def records(event: dict) -> list:
    from chalicelib.logic.evidence import UploadEvent

    out = []
    for r in event.get("Records") or []:
        if not str(r.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = r["s3"]
        obj = s3["object"]
        out.append(UploadEvent(bucket=s3["bucket"]["name"], key=unquote_plus(obj["key"]), size=int(obj.get("size", 0)),
                               etag=str(obj.get("eTag") or obj.get("etag") or "").strip('"'),
                               sequencer=obj.get("sequencer", "")))
    return out


def on_upload(event: dict, context) -> dict:
    from chalicelib.logic.evidence import check_upload

    outcomes, failures = [], []
    try:
        for upload in records(event):
            try:
                outcome = check_upload(upload)
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the other records
                logger().exception("upload check failed", extra={"key": upload.key})
                failures.append(exc)
                continue
            logger().info("upload checked", extra={"key": upload.key, "outcome": outcome})
            outcomes.append({"key": upload.key, "outcome": outcome})
    finally:
        flush_metrics()
    if failures:
        raise failures[0]
    return {"outcomes": outcomes}
