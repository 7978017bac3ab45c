"""Local resources of events out: the delivery queue with its dead-letter queue, and the KMS key
that seals webhook secrets (moto's KMS: the same code path as production).

The queue is made as infra/template.yaml makes it (a redrive policy parking a message after
MAX_RECEIVES failed receives), with a short visibility timeout: locally a failed message comes
back in seconds rather than minutes. `python -m devstack run` and the test sessions call
`create_resources()`; it is idempotent.
"""

from __future__ import annotations

import json
from typing import Any

MAX_RECEIVES = 5  # infra/template.yaml: the queue's RedrivePolicy maxReceiveCount (tests/infra compares)
LOCAL_VISIBILITY_SECONDS = 5
# The local stack's retry schedule: the production one's shape, in seconds rather than hours.
LOCAL_RETRY_DELAYS = "1,2,3,5,8,13,21,34,55,89"


def dead_letter_name(queue: str) -> str:
    return f"{queue}-dlq"


def create_queues(sqs: Any, queue: str, visibility: int = LOCAL_VISIBILITY_SECONDS) -> tuple[str, str]:
    """(queue URL, dead-letter queue URL), created if missing."""
    dlq = sqs.create_queue(QueueName=dead_letter_name(queue), Attributes={"MessageRetentionPeriod": "1209600"})[
        "QueueUrl"
    ]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=queue,
        Attributes={
            "VisibilityTimeout": str(visibility),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        },
    )["QueueUrl"]
    return url, dlq


def create_key(kms: Any, alias: str) -> str:
    """The key id behind `alias` (alias/…), created with its alias if missing."""
    for entry in kms.list_aliases()["Aliases"]:
        if entry["AliasName"] == alias and entry.get("TargetKeyId"):
            return str(entry["TargetKeyId"])
    key_id = kms.create_key(Description="huixiang webhook secrets (local)")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return str(key_id)


def create_resources() -> dict[str, str]:
    """The queue, its dead-letter queue and the key, for the settings of this process."""
    import boto3

    from chalicelib.config import settings

    s = settings()
    url, dlq = create_queues(boto3.client("sqs", region_name=s.region), s.webhook_queue)
    key = create_key(boto3.client("kms", region_name=s.region), s.webhook_key_id)
    return {"queue_url": url, "dlq_url": dlq, "key_id": key}
