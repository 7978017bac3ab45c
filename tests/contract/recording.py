"""Every response a test sees, held to the served OpenAPI document by openapi-core.

`RecordingHttp` stands in for chalice.test's `client.http`: it forwards each request to the app
unchanged, keeps the exchange, and validates the response (status code, headers, body) against
the operation the spec declares for that method and path. Wrap the conftest `Api` around it, or
hand it to the generated client's transport (tests/contract/generated.py), and every call is
checked the same way, so a route added later is checked as soon as a test calls it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from chalice.local import RouteMatcher

# The spec's second server: what chalice.test and the local stack serve at the root.
LOCAL = "http://127.0.0.1:8000"


@dataclass
class Exchange:
    method: str
    path: str  # the route template, e.g. /campaigns/{campaign_id}
    url: str  # what was asked, with its query
    status: int
    body: object
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.method.upper()} {self.url} → {self.status}"


def contract(spec: dict):
    """openapi-core over the served document. Objects are as closed as the spec says they are
    (additionalProperties: false on every response object, checked in test_openapi.py)."""
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(spec)


def _explain(error: Exception) -> list[str]:
    """openapi-core's error with the schema errors beneath it, one line each, with their paths."""
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if not schema_errors:
        return [f"{type(error).__name__}: {error}"]
    lines = []
    for e in schema_errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(body)"
        lines.append(f"{where}: {e.message}")
        for sub in getattr(e, "context", None) or []:  # anyOf/oneOf: why each branch failed
            sub_where = "/".join(str(p) for p in sub.absolute_path) or "(body)"
            lines.append(f"    {sub_where}: {sub.message}")
    return lines


class RecordingHttp:
    """chalice.test's HTTP client, every exchange kept and validated against the spec."""

    def __init__(self, http, openapi, routes) -> None:
        self.http = http
        self.openapi = openapi
        self.matcher = RouteMatcher(list(routes))
        self.exchanges: list[Exchange] = []

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | str = b""):
        from openapi_core.testing import MockRequest, MockResponse

        response = self.http.request(method, path, headers=headers or {}, body=body or b"")
        parts = urlsplit(path)
        try:
            match = self.matcher.match_route(parts.path)
            route, captured = match.route, match.captured
        except ValueError:  # no route: openapi-core then reports the path as unknown
            route, captured = parts.path, {}
        raw = response.body or b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        exchange = Exchange(method.lower(), route, path, response.status_code, parsed)
        request = MockRequest(
            LOCAL,
            method.lower(),
            parts.path,
            view_args=captured,
            args=dict(parse_qsl(parts.query)),
            headers=headers or {},
            data=body.encode() if isinstance(body, str) else body,
        )
        content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
        validated = MockResponse(
            raw if raw else None,
            status_code=response.status_code,
            headers=response.headers,
            content_type=content_type or "application/json",
        )
        for error in self.openapi.iter_response_errors(request, validated):
            exchange.errors.extend(_explain(error))
        self.exchanges.append(exchange)
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- what a test asserts on -------------------------------------------------------------
    def failures(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.errors]

    def report(self) -> str:
        bad = self.failures()
        lines = [f"{len(bad)} of {len(self.exchanges)} responses do not conform to the spec:"]
        for e in bad:
            lines.append(f"  {e.line()}")
            lines.extend(f"      {msg}" for msg in e.errors[:8])
        return "\n".join(lines)

    def exercised(self) -> set[tuple[str, str]]:
        return {(e.path, e.method) for e in self.exchanges}

    def statuses(self) -> set[int]:
        return {e.status for e in self.exchanges}


class RecordingClient:
    """What conftest's `Api` wraps: a chalice.test Client whose `http` records."""

    def __init__(self, lambda_client, http: RecordingHttp) -> None:
        self.lambda_ = lambda_client.lambda_
        self.http = http
