"""The webhook delivery function: SQS messages (delivery tickets) from the delivery queue.

Every message of a batch is handled at once, each on its own thread: a receiver that takes the
whole timeout (10 s) holds up nobody else, and a batch ends within about one timeout. A message
whose handling raises (not a ticket, storage failing) is reported in `batchItemFailures`
(production sets `FunctionResponseTypes: [ReportBatchItemFailures]`, infra/template.yaml):
SQS makes it visible again, and after the queue's maxReceiveCount parks it, whole, in the
dead-letter queue. What a receiver does (an error, a timeout) is never a function failure: it is
an attempt, recorded and retried by the use case (logic/webhooks.py: deliver).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import on_first_use
from chalicelib.observability import count, logger, publishes_metrics

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): only the delivery function loads it
    from chalicelib.logic import webhooks
else:
    webhooks = on_first_use("chalicelib.logic.webhooks")


def _handle(record: dict[str, Any]) -> str:
    return webhooks.deliver(record["body"])


@publishes_metrics
def deliver_webhooks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    failures = []
    with ThreadPoolExecutor(max_workers=max(1, len(records)), thread_name_prefix="delivery") as pool:
        outcomes = [(record, pool.submit(_handle, record)) for record in records]
        for record, future in outcomes:
            error = future.exception()
            if error is None:
                logger().info(
                    "delivery ticket handled", extra={"message_id": record.get("messageId"), "outcome": future.result()}
                )
                continue
            logger().error(
                "delivery ticket failed; the queue retries it, then parks it",
                extra={"message_id": record.get("messageId"), "error": f"{type(error).__name__}: {error}"},
            )
            count("WebhookTicketFailures")
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}
