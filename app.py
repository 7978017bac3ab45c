"""Huixiang (回响): campaign feedback for field marketing. Wiring only.

HTTP routes live beside their handlers in chalicelib/handlers/routes/ (one Blueprint per
module); the event handlers below decode their events in chalicelib/handlers/ and call use cases.
The handler modules bind what they call (use cases, request bodies, Powertools' batch and S3
utilities) on first use (chalicelib/lazy.py), so `import app` stays cheap for every function.
"""

import os
from typing import Any

from chalice.app import Chalice, Cron

from chalicelib.handlers import api, deliveries, schedules, streams, uploads
from chalicelib.handlers.routes import (
    attachments,
    campaigns,
    evaluation,
    feedback,
    field,
    invoices,
    money,
    reports,
    rules,
    service,
    settlement,
    vouchers,
    webhooks,
)

# Powertools owns the "huixiang" logger (JSON lines); Chalice must not add a second handler to it.
app = Chalice(app_name="huixiang", configure_logs=False)
app.register_middleware(api.http_middleware, "http")
for module in (
    service,
    campaigns,
    rules,
    feedback,
    settlement,
    invoices,
    attachments,
    field,
    evaluation,
    reports,
    money,
    webhooks,
    vouchers,
):
    app.register_blueprint(module.routes.blueprint)

_STREAM = "arn:aws:dynamodb:{region}:000000000000:table/huixiang-{stage}-{table}/stream/local"


def _stream_arn(variable: str, table: str) -> str:
    """The stream ARN from stage config; the local stack resolves the real one by table name."""
    return os.environ.get(variable) or _STREAM.format(
        region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        stage=os.environ.get("HUIXIANG_STAGE", "dev"),
        table=table,
    )


# -- stream triggers ---------------------------------------------------------------------------
@app.on_dynamodb_record(
    stream_arn=_stream_arn("FEEDBACK_STREAM_ARN", "feedback"), batch_size=100, starting_position="TRIM_HORIZON"
)
def on_feedback_change(event: Any) -> Any:
    """A submitted feedback revision unlocks the campaign's settlement; every feedback change
    reaches the changes feed."""
    return streams.on_feedback_change(event.to_dict(), event.context)


@app.on_dynamodb_record(
    stream_arn=_stream_arn("RULES_STREAM_ARN", "rules"), batch_size=10, starting_position="TRIM_HORIZON"
)
def on_rule_change(event: Any) -> Any:
    """A feedback rule created or deleted re-evaluates the campaigns it covers."""
    return streams.on_rule_change(event.to_dict(), event.context)


@app.on_dynamodb_record(
    stream_arn=_stream_arn("CAMPAIGNS_STREAM_ARN", "campaigns"), batch_size=100, starting_position="TRIM_HORIZON"
)
def on_campaign_change(event: Any) -> Any:
    """Every campaign change moves the monthly roll-ups by its delta, exactly once, and reaches
    the changes feed of everyone who may see it."""
    return streams.on_campaign_change(event.to_dict(), event.context)


@app.on_dynamodb_record(
    stream_arn=_stream_arn("EVIDENCE_STREAM_ARN", "evidence"), batch_size=100, starting_position="TRIM_HORIZON"
)
def on_evidence_change(event: Any) -> Any:
    """Attachments and check-ins reach the changes feed of everyone who may see them."""
    return streams.on_evidence_change(event.to_dict(), event.context)


@app.on_dynamodb_record(
    stream_arn=_stream_arn("REPORTS_STREAM_ARN", "reports"), batch_size=1, starting_position="TRIM_HORIZON"
)
def on_report_requested(event: Any) -> Any:
    """A pending report inserted (on demand or by the schedule) is compiled, stored and emailed."""
    return streams.on_report_change(event.to_dict(), event.context)


@app.on_dynamodb_record(
    stream_arn=_stream_arn("VOUCHERS_STREAM_ARN", "vouchers"), batch_size=1, starting_position="TRIM_HORIZON"
)
def on_voucher_change(event: Any) -> Any:
    """A voucher batch given its voucher number writes it on every campaign in it."""
    return streams.on_voucher_change(event.to_dict(), event.context)


# -- the upload checker -----------------------------------------------------------------------
# A plain Lambda function, not @app.on_s3_event: Chalice cannot package an S3 trigger for
# CloudFormation, so infra/template.yaml adds its S3 event (ObjectCreated under uploads/) and
# devstack/uploads.py registers the same trigger locally. It receives the raw S3 event, as Lambda sends it.
@app.lambda_function(name="on_upload")
def on_upload(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An uploaded object is checked: what it really is, photo metadata, integrity flags."""
    return uploads.on_upload(event, context)


# -- events out: the webhook delivery queue ----------------------------------------------------------
# As with the streams: a placeholder ARN of the stage's queue, which infra/template.yaml replaces
# with the queue it creates (with its dead-letter queue); devstack/queues.py polls the queue of
# that name locally.
_QUEUE = "arn:aws:sqs:{region}:000000000000:huixiang-{stage}-webhook-deliveries"


@app.on_sqs_message(
    queue_arn=_QUEUE.format(
        region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"), stage=os.environ.get("HUIXIANG_STAGE", "dev")
    ),
    batch_size=10,
)
def deliver_webhooks(event: Any) -> Any:
    """Each delivery ticket: one attempt at a webhook delivery, recorded, retried later if it failed."""
    return deliveries.deliver_webhooks(event.to_dict(), event.context)


# -- schedules --------------------------------------------------------------------------------
# 07:00 Asia/Shanghai is 23:00 UTC the day before (EventBridge cron runs in UTC).
@app.schedule(Cron(0, 23, "*", "*", "?", "*"), name="compile_scheduled_reports")
def compile_scheduled_reports(event: Any) -> Any:
    """Month to date every morning; the final report of last month on the 1st."""
    return schedules.compile_scheduled_reports(event.to_dict(), event.context)


# 09:00 Asia/Shanghai is 01:00 UTC the same day.
@app.schedule(Cron(0, 1, "*", "*", "?", "*"), name="send_overdue_reminders")
def send_overdue_reminders(event: Any) -> Any:
    """One reminder per rep with overdue feedback, at most once a day."""
    return schedules.send_overdue_reminders(event.to_dict(), event.context)
