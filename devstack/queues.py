"""Local delivery of SQS messages to the app's ``@app.on_sqs_message`` handlers, as Lambda's
SQS event source mapping delivers them (the webhook delivery queue).

``SqsRunner`` long-polls the queue (several pollers: Lambda runs batches side by side, so one
slow receiver does not hold up the rest), hands the handler the event Lambda sends for SQS
(``{"Records": [{messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody,
eventSource "aws:sqs", eventSourceARN, awsRegion}]}``) and applies Lambda's rules with
``ReportBatchItemFailures``:

* a message not named in ``batchItemFailures`` is deleted;
* one named there (or every message of a batch whose handler raised) stays on the queue and
  comes back once its visibility timeout ends (locally made short: it is set to
  ``RETRY_VISIBILITY_SECONDS``); after the queue's maxReceiveCount receives, SQS's redrive
  policy moves it, whole, to the dead-letter queue.

Delayed messages (``DelaySeconds``, the retry timers) become visible when SQS says so; ``drain``
waits for visible and in-flight messages only, never for a retry scheduled in the future.
It fits the ``Runner`` protocol of devstack.stack.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from devstack.pollers import QueuePoller

log = logging.getLogger("devstack.queues")

RETRY_VISIBILITY_SECONDS = 1
POLLERS = 4


def lambda_record(message: Mapping[str, Any], queue_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """One SQS message as a Lambda SQS event record."""
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": dict(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class SqsRunner(QueuePoller):
    """Polls one queue and invokes `handler(event, context)` with batches of its messages."""

    kind = "sqs"

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        queue_url: str,
        *,
        name: str,
        batch_size: int = 10,
        sqs: Any = None,
        pollers: int = POLLERS,
        context_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(handler, queue_url, name=name, sqs=sqs, pollers=pollers, context_factory=context_factory)
        self.batch_size = batch_size
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def receive_arguments(self) -> dict[str, Any]:
        return {"MaxNumberOfMessages": self.batch_size, "AttributeNames": ["All"], "MessageAttributeNames": ["All"]}

    def handle(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """One invocation with the batch; what it names in batchItemFailures (everything, if it
        raised) comes back after RETRY_VISIBILITY_SECONDS, the rest is deleted."""
        records = [lambda_record(m, self.queue_arn) for m in messages]
        with self._lock:
            self.invocations += 1
        try:
            response = self.handler({"Records": records}, self.context_factory())
            failed = {f.get("itemIdentifier") for f in (response or {}).get("batchItemFailures", [])}
        except Exception as exc:  # noqa: BLE001 - a function error: every message comes back
            log.warning("%s failed: %r", self.name, exc)
            failed = {r["messageId"] for r in records}
        for record in records:
            if record["messageId"] in failed:
                with self._lock:
                    self.failures += 1
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=RETRY_VISIBILITY_SECONDS,
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])


def sqs_sources(app: Any) -> list[Any]:
    """The app's SQS event sources (``chalice.app.SQSEventConfig``)."""
    from chalice.app import SQSEventConfig

    return [s for s in getattr(app, "event_sources", []) if isinstance(s, SQSEventConfig)]


def runners_for_app(app: Any, sqs: Any, *, stage: str = "dev") -> list[SqsRunner]:
    """One (unstarted) runner per SQS handler of the app, on the queue its decorator names
    (which must exist: devstack.webhooks.create_resources makes the delivery queue)."""
    from devstack.streams import LambdaContext, handler_for

    runners = []
    for source in sqs_sources(app):
        name = source.queue or str(source.queue_arn).rsplit(":", 1)[-1]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        function = f"{app.app_name}-{stage}-{source.name}"

        def context(f: str = function) -> LambdaContext:
            return LambdaContext(f, f"arn:aws:lambda:us-east-1:000000000000:function:{f}")

        runners.append(
            SqsRunner(
                handler_for(app, source),
                url,
                name=source.name,
                batch_size=source.batch_size,
                sqs=sqs,
                context_factory=context,
            )
        )
    return runners
