"""Fixtures of the contract tests: the served document, and an `Api` whose every response is
validated against it (tests/contract/recording.py)."""

from __future__ import annotations

import pytest

from tests import local_aws
from tests.conftest import Api
from tests.contract.recording import RecordingClient, RecordingHttp, contract


@pytest.fixture(scope="session")
def served_spec(lambda_client) -> dict:
    """The document as clients get it: GET /openapi.json, not the file in the repository."""
    import json

    r = lambda_client.http.get("/openapi.json")
    assert r.status_code == 200
    return json.loads(r.body)


@pytest.fixture(scope="session")
def openapi(served_spec):
    return contract(served_spec)


@pytest.fixture
def recorded_api(lambda_client, openapi, chalice_app) -> Api:
    """conftest's Api with every exchange recorded and validated: a test that uses it fails
    when any response it received does not conform to the spec (`.recorder` holds them)."""
    recorder = RecordingHttp(lambda_client.http, openapi, chalice_app.routes)
    api = Api(RecordingClient(lambda_client, recorder))
    api.recorder = recorder
    yield api
    assert not recorder.failures(), recorder.report()


def pytest_configure(config):
    """The contract is checked against the app in this process, on local AWS (tests/local_aws.py)."""
    local_aws.start(config)
