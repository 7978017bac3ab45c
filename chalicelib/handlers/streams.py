"""DynamoDB stream handlers: settlement unlock (feedback table) and rule sweeps (rules table).

Each record is handled on its own through the Powertools batch utility, so one poison record
never fails the records around it: the handler returns `batchItemFailures`, which the event
source mapping honours because production sets `FunctionResponseTypes: [ReportBatchItemFailures]`
(Chalice cannot, so infra/ merges it in). A failing record is also parked whole in S3 under
`dead-letters/` before it is reported, so that nothing is lost even after the mapping's retries
run out and only its coordinates reach the on-failure queue. Handlers never swallow errors.
"""
from __future__ import annotations

import functools
import json

from chalicelib.config import settings
from chalicelib.observability import count, flush_metrics, logger


@functools.lru_cache(maxsize=None)
def _processor(source: str):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    class ParkingBatchProcessor(BatchProcessor):
        """A BatchProcessor that parks each failed record in S3 before reporting it."""

        def failure_handler(self, record, exception):
            park_failed_record(source, record.raw_event, exception[1])
            return super().failure_handler(record, exception)

    return ParkingBatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=True)


@functools.lru_cache(maxsize=1)
def _s3():
    import boto3
    return boto3.client("s3", region_name=settings().region)


def park_failed_record(source: str, raw_record: dict, error: BaseException) -> str:
    """Keep the whole failed record (the stream keeps it only 24 h). Idempotent per eventID."""
    event_id = raw_record.get("eventID", "unknown")
    key = f"dead-letters/{source}/{event_id}.json"
    body = json.dumps({"source": source, "error": f"{type(error).__name__}: {error}", "record": raw_record},
                      default=str)
    _s3().put_object(Bucket=settings().attachments_bucket, Key=key, Body=body.encode(),
                     ContentType="application/json", ServerSideEncryption="AES256")
    logger().error("stream record failed; parked", extra={"source": source, "event_id": event_id,
                                                           "parked_key": key, "error": type(error).__name__})
    count("StreamRecordFailures")
    return key


def _run(source: str, event: dict, context, record_handler) -> dict:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    try:
        return process_partial_response(event=event, record_handler=record_handler,
                                        processor=_processor(source), context=context)
    finally:
        flush_metrics()


# -- feedback table: unlock settlement --------------------------------------------------------
def apply_feedback_record(record) -> str | None:
    """A submitted revision (an INSERT of rev#n) unlocks settlement; drafts change nothing."""
    from chalicelib.logic.settlement import unlock_settlement

    if record.event_name.name != "INSERT":
        return None
    image = record.dynamodb.new_image
    if image.get("status") != "submitted":
        return None
    spend = image.get("actual_spend")
    outcome = unlock_settlement(str(image["campaign_id"]), int(image["revision"]),
                                None if spend is None else int(spend))
    logger().info("feedback applied to settlement", extra={"campaign_id": image["campaign_id"],
                                                            "revision": int(image["revision"]), "outcome": outcome})
    return outcome


def on_feedback_change(event: dict, context) -> dict:
    return _run("feedback-stream", event, context, apply_feedback_record)


# -- rules table: sweeps --------------------------------------------------------------------
def apply_rule_record(record) -> int | None:
    from chalicelib.dal.rules import rule_from_image, sweep_from_image
    from chalicelib.logic.rules import continue_sweep, rule_changed

    name = record.event_name.name
    raw = record.raw_event["dynamodb"]
    image = raw.get("NewImage") if name != "REMOVE" else raw.get("OldImage")
    if not image:
        raise ValueError("rules stream record without an image: the stream view type must be NEW_AND_OLD_IMAGES")
    rule = rule_from_image(image)
    if rule is not None:
        if name in ("INSERT", "REMOVE"):
            rule_changed(rule, "created" if name == "INSERT" else "deleted")
        return None
    sweep = sweep_from_image(image)
    if sweep is None or name == "REMOVE" or sweep.done:
        return None
    return continue_sweep(sweep)


def on_rule_change(event: dict, context) -> dict:
    return _run("rules-stream", event, context, apply_rule_record)


# -- campaigns table: roll-ups ------------------------------------------------------------------
def apply_campaign_record(record) -> str:
    """Old image vs new image gives the delta; the eventID is the record's exactly-once key."""
    from chalicelib.dal.campaigns import campaign_from_image
    from chalicelib.logic.rollups import apply_campaign_change

    raw = record.raw_event
    images = raw.get("dynamodb") or {}
    name = record.event_name.name
    if name != "INSERT" and "OldImage" not in images or name != "REMOVE" and "NewImage" not in images:
        raise ValueError("campaigns stream record without images: the view type must be NEW_AND_OLD_IMAGES")
    outcome = apply_campaign_change(raw["eventID"], campaign_from_image(images.get("OldImage")),
                                    campaign_from_image(images.get("NewImage")))
    if outcome == "duplicate":
        count("RollupDuplicates")
    return outcome


def on_campaign_change(event: dict, context) -> dict:
    return _run("campaigns-stream", event, context, apply_campaign_record)


# -- reports table: compile requested reports -----------------------------------------------------
def apply_report_record(record) -> str | None:
    """A report item INSERTed as pending is compiled; subscriptions and reminders are ignored."""
    from chalicelib.logic.reports import compile_report

    if record.event_name.name != "INSERT":
        return None
    image = record.raw_event["dynamodb"].get("NewImage") or {}
    if image.get("kind", {}).get("S") != "report":
        return None
    return compile_report(image["tenant"]["S"], image["sk"]["S"])


def on_report_change(event: dict, context) -> dict:
    return _run("reports-stream", event, context, apply_report_record)
