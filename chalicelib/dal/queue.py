"""The webhook delivery queue (SQS, ports.DeliveryQueue): one message per delivery ticket.

SQS holds a message back for at most 15 minutes (`DelaySeconds`), so a ticket due later is
sent for the longest delay and, when it arrives early, sent again for what remains
(logic/webhooks.py): a chain of timers. The queue's redrive policy parks a message its
function keeps failing on in the dead-letter queue, whole (infra/template.yaml).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.config import settings
from chalicelib.dal.clients import sqs
from chalicelib.domain.webhooks import MAX_QUEUE_DELAY


@functools.lru_cache(maxsize=1)
def queue_url() -> str:
    """The queue's URL: from the settings (production), else looked up once by name (local)."""
    return settings().webhook_queue_url or sqs().get_queue_url(QueueName=settings().webhook_queue)["QueueUrl"]


class SqsDeliveryQueue:
    def send(self, ticket: dict[str, Any], delay_seconds: int = 0) -> None:
        sqs().send_message(
            QueueUrl=queue_url(),
            MessageBody=json.dumps(ticket, separators=(",", ":")),
            DelaySeconds=max(0, min(MAX_QUEUE_DELAY, int(delay_seconds))),
        )
