"""What the local stack answers for a path no route serves, or a method a path does not take:
the contract's error shape (404 not_found, 405 method_not_allowed), whatever the method, and
never a request header repeated back."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.e2e.conftest import token


def call(stack, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, dict(resp.getheaders()), raw
    finally:
        conn.close()


@pytest.fixture(scope="module")
def bearer() -> dict:
    return {"Authorization": "Bearer " + token("rep-unknown-routes", "rep", "CN/EAST/JS")}


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "TRACE", "BREW"])
def test_a_path_no_route_serves_is_404_not_found_without_echoing_the_token(local_stack, bearer, method):
    status, headers, raw = call(local_stack, method, "/no-such-route", bearer, b"{}" if method == "POST" else None)
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    body = json.loads(raw)
    assert body["code"] == "not_found" and body["message"]
    token_part = bearer["Authorization"].split()[1]
    assert token_part not in raw.decode() and not any(token_part in v for v in headers.values())


@pytest.mark.parametrize("method", ["TRACE", "BREW", "DELETE", "PUT", "OPTIONS", "CONNECT"])
def test_a_known_path_with_a_method_it_does_not_take_is_405_in_the_error_shape(local_stack, bearer, method):
    status, headers, raw = call(local_stack, method, "/campaigns", bearer)
    assert status == 405, raw
    assert json.loads(raw)["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET, POST"


def test_a_head_request_gets_the_answer_without_a_body(local_stack, bearer):
    status, headers, raw = call(local_stack, "HEAD", "/health", bearer)
    assert (status, raw) == (405, b"")
    assert headers["Allow"] == "GET"


def test_known_routes_still_answer_as_before(local_stack, bearer):
    assert call(local_stack, "GET", "/health")[0] == 200
    assert call(local_stack, "GET", "/categories/", bearer)[0] == 200  # a trailing slash, as API Gateway
    assert call(local_stack, "GET", "/campaigns/no-such-id", bearer)[0] == 404
    status, _, raw = call(local_stack, "GET", "/categories")
    assert status == 401 and json.loads(raw)["code"] == "unauthorized"
