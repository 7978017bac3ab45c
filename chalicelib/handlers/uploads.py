"""The S3 upload trigger: each `ObjectCreated` record under uploads/ is checked on its own.

Records are decoded with Powertools' `S3Event`. S3 delivers at least once (and may deliver
one event twice); `logic.uploads.check_upload` is idempotent per (key, ETag). A record that
fails raises after the others are done, so the Lambda invocation fails and the asynchronous
invoke retries it (then its on-failure destination keeps it): errors are never swallowed, and
the records already decided are no-ops on the retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from chalicelib.lazy import on_first_use
from chalicelib.observability import logger, publishes_metrics

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): only the upload function loads them
    from aws_lambda_powertools.utilities import data_classes

    from chalicelib.logic import uploads
else:
    data_classes = on_first_use("aws_lambda_powertools.utilities.data_classes")
    uploads = on_first_use("chalicelib.logic.uploads")


def uploads_in(event: dict[str, Any]) -> list[uploads.UploadEvent]:
    """The ObjectCreated records of an S3 event, as the checker's UploadEvents."""
    out = []
    for record in data_classes.S3Event(event).records:
        if not record.event_name.startswith("ObjectCreated"):
            continue
        obj = record.s3.get_object
        out.append(
            uploads.UploadEvent(
                bucket=record.s3.bucket.name,
                key=unquote_plus(obj.key),
                size=int(obj.get("size") or 0),
                etag=obj.etag.strip('"'),
                sequencer=obj.get("sequencer") or "",
            )
        )
    return out


@publishes_metrics
def on_upload(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcomes, failures = [], []
    for upload in uploads_in(event):
        try:
            outcome = uploads.check_upload(upload)
        except Exception as exc:  # every record is checked; the first failure is re-raised below
            logger().exception("upload check failed", extra={"key": upload.key})
            failures.append(exc)
            continue
        logger().info("upload checked", extra={"key": upload.key, "outcome": outcome})
        outcomes.append({"key": upload.key, "outcome": outcome})
    if failures:
        raise failures[0]
    return {"outcomes": outcomes}
