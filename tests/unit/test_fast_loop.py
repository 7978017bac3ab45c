"""The unit suite's own promise (tests/unit/conftest.py): no server, no network, no AWS."""

from __future__ import annotations

import http.server
import socket

import pytest

from chalicelib.dal import repos
from tests.unit.conftest import NoNetwork


def test_a_unit_test_cannot_start_a_server():
    # GIVEN a unit test WHEN it starts an HTTP server (as moto's would) THEN it is refused
    with pytest.raises(NoNetwork):
        http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)


def test_a_unit_test_cannot_reach_a_server():
    # GIVEN a unit test WHEN it connects anywhere, even to this machine THEN it is refused before trying
    with pytest.raises(NoNetwork):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_a_use_case_without_the_in_memory_storage_never_builds_the_dynamodb_one():
    # GIVEN no storage installed WHEN a use case asks for a repository THEN it is told to use the fake
    with pytest.raises(RuntimeError, match="InMemoryStorage"):
        repos.campaigns()
