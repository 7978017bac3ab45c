"""Local delivery of S3 upload events, as Lambda's S3 trigger delivers them.

The local bucket notifies an SQS queue (moto implements S3 → SQS notifications) for
`s3:ObjectCreated:*` under the prefix of each S3 trigger (`s3_sources`); ``S3UploadRunner`` long-polls
the queue and invokes the handler with the event Lambda sends for S3: ``{"Records": [...]}``,
each record with eventVersion, eventSource, awsRegion, eventTime, eventName, userIdentity,
requestParameters, responseElements and s3.{bucket.{name, ownerIdentity, arn},
object.{key, size, eTag, sequencer}} (moto leaves some out; they are filled in here).

Like an asynchronous Lambda invoke, a failed invocation is retried (MAX_RETRY_ATTEMPTS) and then
parked in a dead-letter queue. It fits the ``Runner`` protocol of devstack.stack.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from devstack.pollers import QueuePoller

log = logging.getLogger("devstack.uploads")

MAX_RETRY_ATTEMPTS = 2  # Lambda's default for asynchronous invokes
_sequence = itertools.count(1)


def s3_record(
    bucket: str,
    key: str,
    size: int,
    etag: str,
    *,
    event_name: str = "ObjectCreated:Post",
    region: str = "us-east-1",
    sequencer: str | None = None,
    event_time: str | None = None,
) -> dict[str, Any]:
    """One S3 event record in the shape Lambda delivers (key URL-encoded, as S3 does)."""
    from urllib.parse import quote_plus

    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time or time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:LOCAL"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "huixiang-uploads",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "LOCAL"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": int(size),
                "eTag": etag.strip('"'),
                "sequencer": sequencer or f"{time.time_ns():016X}{next(_sequence):04X}",
            },
        },
    }


def s3_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def normalise(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """moto's notification message → the Lambda event (None for s3:TestEvent and the like)."""
    from urllib.parse import unquote_plus

    records = body.get("Records")
    if not records:
        return None
    out = []
    for r in records:
        obj, bucket = r["s3"]["object"], r["s3"]["bucket"]
        # moto encodes "/" as %2F; S3 leaves slashes as they are and quote_plus-encodes the rest
        full = s3_record(
            bucket["name"],
            unquote_plus(obj["key"]),
            int(obj.get("size", 0)),
            obj.get("eTag", ""),
            event_name=r.get("eventName", "ObjectCreated:Put"),
            region=r.get("awsRegion", "us-east-1"),
            sequencer=obj.get("sequencer"),
            event_time=r.get("eventTime"),
        )
        full["s3"]["configurationId"] = r["s3"].get("configurationId", "huixiang-uploads")
        out.append(full)
    return s3_event(*out)


def configure_bucket(s3: Any, sqs: Any, bucket: str, prefix: str, queue_name: str) -> str:
    """Create the queue and point the bucket's ObjectCreated notifications under `prefix` at it."""
    url: str = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "huixiang-uploads",
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
            ]
        },
    )
    return url


class S3UploadRunner(QueuePoller):
    """Polls the notification queue and invokes `handler(event, context)` per message."""

    kind = "s3"

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        queue_url: str,
        *,
        name: str = "on_upload",
        dlq_url: str | None = None,
        sqs: Any = None,
        context_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(handler, queue_url, name=name, sqs=sqs, context_factory=context_factory)
        self.dlq_url = dlq_url

    def receive_arguments(self) -> dict[str, Any]:
        return {"MaxNumberOfMessages": 10, "VisibilityTimeout": 60}

    def handle(self, messages: Sequence[Mapping[str, Any]]) -> None:
        for message in messages:
            self._deliver(message)

    def _deliver(self, message: Mapping[str, Any]) -> None:
        event = normalise(json.loads(message["Body"]))
        if event is not None:
            for attempt in range(1 + MAX_RETRY_ATTEMPTS):
                self.invocations += 1
                try:
                    self.handler(event, self.context_factory())
                    break
                except Exception as exc:  # retried, then parked, as Lambda does
                    self.failures += 1
                    log.warning("%s failed (attempt %d): %r", self.name, attempt + 1, exc)
                    if attempt == MAX_RETRY_ATTEMPTS:
                        if self.dlq_url:
                            self.sqs.send_message(
                                QueueUrl=self.dlq_url,
                                MessageBody=json.dumps({"requestPayload": event, "errorMessage": repr(exc)}),
                            )
                    else:
                        time.sleep(0.2)
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass(frozen=True)
class S3Trigger:
    """An S3 trigger of a plain Lambda function (``@app.lambda_function``): what infra/template.yaml
    declares as the function's SAM ``S3`` event, since Chalice cannot package ``on_s3_event``."""

    name: str
    bucket: str
    prefix: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)


EXPLICIT_NAMES = frozenset({"on_upload"})


def explicit_triggers() -> list[S3Trigger]:
    """The S3 triggers registered here rather than by Chalice decorators (one place, also read
    by tests/infra to check that the template's S3 event matches)."""
    from chalicelib.config import settings
    from chalicelib.dal.objects import UPLOAD_PREFIX

    return [S3Trigger(name="on_upload", bucket=settings().attachments_bucket, prefix=UPLOAD_PREFIX)]


def s3_sources(app: Any) -> list[Any]:
    """The app's S3 event sources: ``chalice.app.S3EventConfig`` from decorators, plus the explicit
    triggers whose function the app defines."""
    from chalice.app import S3EventConfig

    declared = [s for s in getattr(app, "event_sources", []) if isinstance(s, S3EventConfig)]
    wanted = set(getattr(app, "handler_map", {})) & EXPLICIT_NAMES - {s.name for s in declared}
    # only an app that defines one of them needs Huixiang's settings (other apps may lack chalicelib)
    return declared + ([t for t in explicit_triggers() if t.name in wanted] if wanted else [])


def runners_for_app(app: Any, s3: Any, sqs: Any, *, stage: str = "dev") -> list[S3UploadRunner]:
    """Configure each S3 trigger's bucket to notify a local queue; one (unstarted) runner each."""
    from devstack.streams import LambdaContext, handler_for

    runners = []
    for source in s3_sources(app):
        function = f"{app.app_name}-{stage}-{source.name}"
        queue = configure_bucket(s3, sqs, source.bucket, source.prefix or "", f"{function}-events")
        dlq = sqs.create_queue(QueueName=f"{function}-dlq")["QueueUrl"]

        def context(f: str = function) -> LambdaContext:
            return LambdaContext(f, f"arn:aws:lambda:us-east-1:000000000000:function:{f}")

        runners.append(
            S3UploadRunner(
                handler_for(app, source), queue, name=source.name, dlq_url=dlq, sqs=sqs, context_factory=context
            )
        )
    return runners
