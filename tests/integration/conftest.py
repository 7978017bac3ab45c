"""What the tests of the local stack's moto server and stream runners share: a DynamoDB client
on the module's own server (each module defines `endpoint`: the stack's atomic moto, or plain
moto) and a fresh streamed table per test."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from tests import local_aws
from tests.integration.aws_creds import CREDS


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, **CREDS)


@pytest.fixture
def table(ddb: Any) -> str:
    """A table keyed by `pk` with a NEW_AND_OLD_IMAGES stream, named for this test alone."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def pytest_configure(config):
    """The repositories and tools run against this process's local AWS (tests/local_aws.py)."""
    local_aws.start(config)
