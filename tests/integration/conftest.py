"""What the integration tests share: for the tests of the local stack's moto server and stream
runners, a DynamoDB client on the module's own server (each module defines `endpoint`: the
stack's atomic moto, or plain moto) and a fresh streamed table per test; for the data layer's
tests, each storage in turn (DynamoDB on moto and the in-memory one, held to the same port) and a
fresh org of a fresh company."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from chalicelib.dal.memory import InMemoryStorage
from chalicelib.dal.storage import DynamoStorage
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


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: Any) -> Any:
    """Each storage in turn, so both answer every data-layer test alike."""
    return DynamoStorage() if request.param == "dynamodb" else InMemoryStorage()


@pytest.fixture
def org() -> str:
    return f"I{uuid.uuid4().hex[:8].upper()}/EAST/JS"


def pytest_configure(config):
    """The repositories and tools run against this process's local AWS (tests/local_aws.py)."""
    local_aws.start(config)
