"""DynamoDB stream adapters: each record a Powertools `DynamoDBRecord` (its event name, id and
images), its images read by the table's model (dal) into domain objects, one use case called.

Each record is handled on its own through the Powertools batch utility, so one poison record
never fails the records around it: the handler returns `batchItemFailures`, which the event
source mapping honours because production sets `FunctionResponseTypes: [ReportBatchItemFailures]`
(Chalice cannot, so infra/ merges it in). A failing record is also parked whole in the object
store under `dead-letters/` before it is reported, so that nothing is lost even after the
mapping's retries run out and only its coordinates reach the on-failure queue. Handlers never
swallow errors.
"""

from __future__ import annotations

import functools

from chalicelib.observability import count, logger, publishes_metrics


@functools.cache
def _processor(source: str):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    class ParkingBatchProcessor(BatchProcessor):
        """A BatchProcessor that parks each failed record before reporting it."""

        def failure_handler(self, record, exception):
            park_failed_record(source, record.raw_event, exception[1])
            return super().failure_handler(record, exception)

    return ParkingBatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=True)


def park_failed_record(source: str, raw_record: dict, error: BaseException) -> str:
    """Keep the whole failed record (the stream keeps it only 24 h). Idempotent per eventID."""
    from chalicelib.dal import repos

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


def _run(source: str, event: dict, context, record_handler) -> dict:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(
        event=event, record_handler=record_handler, processor=_processor(source), context=context
    )


def _images(record) -> tuple[dict | None, dict | None]:
    """(old image, new image) of a record as the stream carries them (DynamoDB JSON, which the
    table's model reads directly: dal.models.model_from_image); None where it has none."""
    images = record.raw_event.get("dynamodb") or {}
    return images.get("OldImage"), images.get("NewImage")


def _require_images(record, source: str) -> tuple[dict | None, dict | None]:
    old, new = _images(record)
    name = record.event_name.name
    if (name != "INSERT" and old is None) or (name != "REMOVE" and new is None):
        raise ValueError(f"{source} record without its images: the stream view type must be NEW_AND_OLD_IMAGES")
    return old, new


# -- feedback table: unlock settlement --------------------------------------------------------
def apply_feedback_record(record) -> str | None:
    """A submitted revision (an INSERT of rev#n) unlocks settlement; drafts change nothing."""
    from chalicelib.dal.feedback import report_from_image
    from chalicelib.logic.settlement import unlock_settlement

    if record.event_name.name != "INSERT":
        return None
    _, new = _require_images(record, "feedback")
    report = report_from_image(new)
    if report is None or report.status != "submitted":
        return None
    outcome = unlock_settlement(report.campaign_id, report.revision, report.actual_spend)
    logger().info(
        "feedback applied to settlement",
        extra={"campaign_id": report.campaign_id, "revision": report.revision, "outcome": outcome},
    )
    return outcome


@publishes_metrics
def on_feedback_change(event: dict, context) -> dict:
    return _run("feedback-stream", event, context, apply_feedback_record)


# -- rules table: sweeps --------------------------------------------------------------------
def apply_rule_record(record) -> int | None:
    from chalicelib.dal.rules import change_from_image
    from chalicelib.domain.feedback import Sweep
    from chalicelib.logic.rules import continue_sweep, rule_changed

    name = record.event_name.name
    old, new = _require_images(record, "rules")
    change = change_from_image(new if name != "REMOVE" else old)
    if not isinstance(change, Sweep):
        if name in ("INSERT", "REMOVE"):
            rule_changed(change, "created" if name == "INSERT" else "deleted")
        return None
    if name == "REMOVE" or change.done:
        return None
    return continue_sweep(change)


@publishes_metrics
def on_rule_change(event: dict, context) -> dict:
    return _run("rules-stream", event, context, apply_rule_record)


# -- campaigns table: roll-ups ------------------------------------------------------------------
def apply_campaign_record(record) -> str:
    """Old image vs new image gives the delta; the eventID is the record's exactly-once key."""
    from chalicelib.dal.campaigns import campaign_from_image
    from chalicelib.logic.rollups import apply_campaign_change

    old, new = _require_images(record, "campaigns")
    outcome = apply_campaign_change(record.event_id, campaign_from_image(old), campaign_from_image(new))
    if outcome == "duplicate":
        count("RollupDuplicates")
    return outcome


@publishes_metrics
def on_campaign_change(event: dict, context) -> dict:
    return _run("campaigns-stream", event, context, apply_campaign_record)


# -- reports table: compile requested reports -----------------------------------------------------
def apply_report_record(record) -> str | None:
    """A report item INSERTed as pending is compiled; subscriptions and reminders are ignored."""
    from chalicelib.logic.reports import compile_report

    if record.event_name.name != "INSERT":
        return None
    if not _images(record)[1]:
        return None
    new = record.dynamodb.new_image  # plain values (Powertools): three attributes are read
    if new.get("kind") != "report":
        return None
    return compile_report(new["tenant"], new["sk"])


@publishes_metrics
def on_report_change(event: dict, context) -> dict:
    return _run("reports-stream", event, context, apply_report_record)
