"""Fixtures of the contract tests: the served document, and an `Api` whose every response is
validated against it (tests/contract/recording.py)."""
from __future__ import annotations

import pytest

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
def recorder(lambda_client, openapi, chalice_app) -> RecordingHttp:
    return RecordingHttp(lambda_client.http, openapi, chalice_app.routes)


@pytest.fixture
def recorded_api(lambda_client, recorder) -> Api:
    """conftest's Api, every exchange recorded and validated."""
    return Api(RecordingClient(lambda_client, recorder))
