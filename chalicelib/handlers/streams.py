"""DynamoDB stream adapters: each record a Powertools `DynamoDBRecord` (its event name, id and
images); its images, as the stream carries them (DynamoDB JSON), go to one use case, which reads
them through the table's model.

Each record is handled on its own through the Powertools batch utility, so one poison record
never fails the records around it: the handler returns `batchItemFailures`, which the event
source mapping honours because production sets `FunctionResponseTypes: [ReportBatchItemFailures]`
(Chalice cannot, so infra/ merges it in). A failing record is also parked whole in the object
store under `dead-letters/` before it is reported (logic/dead_letters.py), so that nothing is
lost even after the mapping's retries run out and only its coordinates reach the on-failure
queue. Handlers never swallow errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.handlers import present
from chalicelib.lazy import on_first_use
from chalicelib.observability import count, publishes_metrics

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): each stream's function loads only what it runs
    from aws_lambda_powertools.utilities import batch
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    from chalicelib.logic import changes, dead_letters, reports, rollups, rules, settlement, vouchers, webhooks
else:
    batch = on_first_use("aws_lambda_powertools.utilities.batch")
    changes = on_first_use("chalicelib.logic.changes")
    dead_letters = on_first_use("chalicelib.logic.dead_letters")
    reports = on_first_use("chalicelib.logic.reports")
    rollups = on_first_use("chalicelib.logic.rollups")
    rules = on_first_use("chalicelib.logic.rules")
    settlement = on_first_use("chalicelib.logic.settlement")
    webhooks = on_first_use("chalicelib.logic.webhooks")
    vouchers = on_first_use("chalicelib.logic.vouchers")

Image = dict[str, Any]
# a record's event name as the rules' use case says it
_CHANGE = {"INSERT": "created", "MODIFY": "modified", "REMOVE": "deleted"}


@functools.cache
def _processor(source: str) -> batch.BatchProcessor:
    class ParkingBatchProcessor(batch.BatchProcessor):
        """A BatchProcessor that parks each failed record before reporting it."""

        def failure_handler(self, record: Any, exception: Any) -> Any:
            dead_letters.park_failed_record(source, record.raw_event, exception[1])
            return super().failure_handler(record, exception)

    return ParkingBatchProcessor(event_type=batch.EventType.DynamoDBStreams, raise_on_entire_batch_failure=True)


def _run(source: str, event: dict[str, Any], context: Any, record_handler: Callable[[DynamoDBRecord], Any]) -> Any:
    return batch.process_partial_response(
        event=event, record_handler=_in_order(record_handler), processor=_processor(source), context=context
    )


def _in_order(record_handler: Callable[[DynamoDBRecord], Any]) -> Callable[[DynamoDBRecord], Any]:
    """A record handler for one batch that keeps each item's changes in order: once a record of
    an item fails, the later records of the same item in the batch fail too, unhandled. Lambda
    retries from the first failed record, so without this a later change of the item (handled
    now) would reach the changes feed before an earlier one (handled on the retry)."""
    failed: set[str] = set()

    def handle(record: DynamoDBRecord) -> Any:
        keys = json.dumps((record.raw_event.get("dynamodb") or {}).get("Keys"), sort_keys=True)
        if keys in failed:
            raise RuntimeError("an earlier change of this item failed in this batch; it is retried first")
        try:
            return record_handler(record)
        except Exception:
            failed.add(keys)
            raise

    return handle


def _sequence(record: DynamoDBRecord) -> str:
    """The record's sequence number: unique per change of an item, the same on every delivery."""
    number = (record.raw_event.get("dynamodb") or {}).get("SequenceNumber")
    if not number:
        raise ValueError("a stream record without its SequenceNumber, the fact that records it once")
    return str(number)


def _images(record: DynamoDBRecord) -> tuple[Image | None, Image | None]:
    """(old image, new image) of a record as the stream carries them (DynamoDB JSON, which the
    table's model reads directly: dal.models.model_from_image); None where it has none."""
    images = record.raw_event.get("dynamodb") or {}
    return images.get("OldImage"), images.get("NewImage")


def _require_images(record: DynamoDBRecord, source: str) -> tuple[Image | None, Image | None]:
    old, new = _images(record)
    name = _event(record)
    if (name != "INSERT" and old is None) or (name != "REMOVE" and new is None):
        raise ValueError(f"{source} record without its images: the stream view type must be NEW_AND_OLD_IMAGES")
    return old, new


def _record_time(record: DynamoDBRecord) -> str:
    """When the stream saw the change (the same on every delivery of the record), ISO 8601 UTC."""
    seconds = (record.raw_event.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if seconds is None:
        raise ValueError("stream record without its ApproximateCreationDateTime")
    at = dt.datetime.fromtimestamp(float(seconds), dt.UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(record: DynamoDBRecord) -> str:
    """INSERT, MODIFY or REMOVE."""
    name = record.event_name
    return name.name if name is not None else ""


# -- feedback table: unlock settlement, the changes feed --------------------------------------
def apply_feedback_record(record: DynamoDBRecord) -> str | None:
    """A submitted revision (an INSERT of rev#n) unlocks settlement (drafts change nothing
    there) and is an event for the company's webhooks; every change of a draft or revision
    reaches the changes feed."""
    old, new = _require_images(record, "feedback")
    outcome = None
    if _event(record) == "INSERT":
        assert new is not None  # an INSERT has its new image (_require_images)
        outcome = settlement.feedback_inserted(new)
        webhooks.feedback_item_inserted(new, present.campaign, present.feedback)
    changes.feedback_item_changed(old, new, _sequence(record))
    return outcome


@publishes_metrics
def on_feedback_change(event: dict[str, Any], context: Any) -> Any:
    return _run("feedback-stream", event, context, apply_feedback_record)


# -- rules table: sweeps --------------------------------------------------------------------
def apply_rule_record(record: DynamoDBRecord) -> int | None:
    name = _event(record)
    old, new = _require_images(record, "rules")
    image = new if name != "REMOVE" else old
    assert image is not None  # _require_images
    return rules.rules_item_changed(_CHANGE[name], image)


@publishes_metrics
def on_rule_change(event: dict[str, Any], context: Any) -> Any:
    return _run("rules-stream", event, context, apply_rule_record)


# -- campaigns table: roll-ups, the changes feed -------------------------------------------------
def apply_campaign_record(record: DynamoDBRecord) -> str:
    """Old image vs new image gives the roll-ups' delta (the eventID is the record's exactly-once
    key there) and the changes feed's entry (the campaign's version is its fact)."""
    old, new = _require_images(record, "campaigns")
    if not record.event_id:
        raise ValueError("campaigns record without its eventID, the key that applies it once")
    outcome = rollups.campaign_item_changed(record.event_id, old, new)
    if outcome == "duplicate":
        count("RollupDuplicates")
    webhooks.campaign_item_changed(old, new, present.campaign)
    changes.campaign_item_changed(old, new)
    return outcome


@publishes_metrics
def on_campaign_change(event: dict[str, Any], context: Any) -> Any:
    return _run("campaigns-stream", event, context, apply_campaign_record)


# -- evidence table: the changes feed (attachments and visits) --------------------------------------
def apply_evidence_record(record: DynamoDBRecord) -> str:
    old, new = _require_images(record, "evidence")
    return changes.evidence_item_changed(old, new, _sequence(record))


@publishes_metrics
def on_evidence_change(event: dict[str, Any], context: Any) -> Any:
    return _run("evidence-stream", event, context, apply_evidence_record)


# -- reports table: compile requested reports -----------------------------------------------------
def apply_report_record(record: DynamoDBRecord) -> str | None:
    """A report item INSERTed as pending is compiled; one MODIFYed into ready is an event for
    the company's webhooks; subscriptions and reminders are ignored."""
    if _event(record) == "MODIFY":
        old, new = _images(record)
        webhooks.report_item_changed(old, new, _record_time(record))
        return None
    if _event(record) != "INSERT":
        return None
    if record.dynamodb is None or not _images(record)[1]:
        return None
    new = record.dynamodb.new_image  # plain values (Powertools): three attributes are read
    if new.get("kind") != "report":
        return None
    return reports.compile_report(new["tenant"], new["sk"])


@publishes_metrics
def on_report_change(event: dict[str, Any], context: Any) -> Any:
    return _run("reports-stream", event, context, apply_report_record)


# -- vouchers table: a batch's voucher number onto its campaigns ------------------------------------
def apply_voucher_record(record: DynamoDBRecord) -> str | None:
    """A batch given its voucher number writes it on every campaign in it (resumably: a retry
    goes on where the last one stopped); every other change of the table is ignored."""
    if _event(record) == "REMOVE":
        return None
    old, new = _require_images(record, "vouchers")
    return vouchers.voucher_item_changed(old, new)


@publishes_metrics
def on_voucher_change(event: dict[str, Any], context: Any) -> Any:
    return _run("vouchers-stream", event, context, apply_voucher_record)
