"""The AWS clients of the data layer, each built once per process on first use.

One configuration per service: S3 signs with SigV4 (S3 refuses SigV2 presigned URLs on
buckets created since mid-2020, and boto3 picks SigV2 in us-east-1 unless told), DynamoDB,
SES, SQS (the webhook delivery queue) and KMS (webhook secrets) use the stage's region. The local stack and the tests point them at moto through
AWS_ENDPOINT_URL, which boto3 and PynamoDB both read.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from chalicelib.config import settings

if TYPE_CHECKING:  # the clients' types come from the boto3 stubs (requirements-dev.txt), never deployed
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


def dynamodb_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or None


@functools.lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    """The low-level DynamoDB client, for the tables kept without PynamoDB models' help
    (roll-up counters with ADD, report items)."""
    import boto3

    return boto3.client("dynamodb", region_name=settings().region, endpoint_url=dynamodb_endpoint())


@functools.lru_cache(maxsize=1)
def s3() -> S3Client:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=settings().region, config=Config(signature_version="s3v4"))


@functools.lru_cache(maxsize=1)
def ses() -> SESClient:
    import boto3

    return boto3.client("ses", region_name=settings().region)


@functools.lru_cache(maxsize=1)
def sqs() -> SQSClient:
    import boto3

    return boto3.client("sqs", region_name=settings().region)


@functools.lru_cache(maxsize=1)
def kms() -> KMSClient:
    import boto3

    return boto3.client("kms", region_name=settings().region)
