"""The HTTP adapter: the one place that knows status codes, request parsing and error bodies.

`app.py` registers each route with a dotted name such as "campaigns.approve"; `dispatch`
imports that handler module on first use (keeping `import app` cheap), authenticates the
caller, applies the Idempotency-Key to POSTs, calls the handler and maps domain errors to the
error shape of API.md.
"""
from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from chalice import Response

from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
)

_STATUS: dict[type, int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
}
# Chalice keeps `app.current_request` on the shared app object; under a threaded server (the
# local stack) two requests would overwrite each other's. The middleware hands each thread
# its own request instead.
_local = threading.local()
PUBLIC = frozenset({"health.get", "openapi.get"})
_JSON = {"Content-Type": "application/json"}


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def error_response(error: DomainError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, InvalidInput):
        body["errors"] = error.errors
    headers = dict(_JSON)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return Response(body=body, status_code=status_of(error), headers=headers)


@dataclass
class Result:
    """What a handler returns: a status and a JSON body (None for 204)."""
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def ok(body: Any) -> Result:
    return Result(200, body)


def created(body: Any) -> Result:
    return Result(201, body)


def no_content() -> Result:
    return Result(204)


class ApiRequest:
    """The parts of a Chalice request a handler needs, with validation that yields 400s."""

    def __init__(self, request, principal) -> None:
        self._request = request
        self.principal = principal

    @property
    def headers(self):
        return self._request.headers

    def raw_body(self) -> str:
        raw = self._request.raw_body
        if isinstance(raw, bytes):
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput.field("body", "is not UTF-8") from None
        return raw or ""

    def body(self, schema, optional: bool = False):
        """The JSON body validated against a pydantic schema; every field at fault is named."""
        from pydantic import ValidationError

        raw = self.raw_body()
        if not raw.strip():
            if optional:
                return None
            raise InvalidInput.field("body", "a JSON object is required")
        try:
            return schema.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidInput([_field_error(e) for e in exc.errors(include_url=False)]) from None

    def query(self, name: str) -> str | None:
        params = self._request.query_params or {}
        value = params.get(name)
        if value is not None and (len(value) > 512 or not value.isprintable()):
            raise InvalidInput.field(name, "is too long or holds control characters")
        return value if value != "" else None

    def query_choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.query(name)
        if value is not None and value not in choices:
            raise InvalidInput.field(name, f"must be one of: {', '.join(choices)}")
        return value

    def query_date(self, name: str) -> str | None:
        import datetime as dt

        value = self.query(name)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput.field(name, "must be a date YYYY-MM-DD") from None
        return value

    def query_org(self, name: str = "org") -> str | None:
        from chalicelib.domain.org import is_valid_org

        value = self.query(name)
        if value is not None and not is_valid_org(value):
            raise InvalidInput.field(name, "must be an org path such as CN/EAST/JS")
        return value

    def page(self) -> tuple[int, str | None]:
        raw = self.query("limit")
        limit = 50
        if raw is not None:
            if not raw.isdigit() or not 1 <= int(raw) <= 200:
                raise InvalidInput.field("limit", "must be an integer from 1 to 200")
            limit = int(raw)
        return limit, self.query("cursor")


def _field_error(e: dict) -> dict[str, str]:
    loc = ".".join(str(p) for p in e.get("loc", ()) if p != "__root__")
    if e.get("type") == "json_invalid":
        return {"field": "body", "message": f"is not valid JSON ({e.get('ctx', {}).get('error', e['msg'])})"}
    if e.get("type") == "model_type" or e.get("type") == "model_attributes_type":
        return {"field": loc or "body", "message": "must be a JSON object"}
    if e.get("type") == "extra_forbidden":
        return {"field": loc, "message": "is not a known field"}
    return {"field": loc or "body", "message": e.get("msg", "is not valid")}


def _handler(name: str) -> Callable[..., Result]:
    module_name, func_name = name.rsplit(".", 1)
    module = importlib.import_module(f"chalicelib.handlers.routes.{module_name}")
    return getattr(module, func_name)


def dispatch(app, name: str, **path_params: str) -> Response:
    """Run the handler `name` for the current request and turn its outcome into a Response."""
    request = getattr(_local, "request", None) or app.current_request
    try:
        principal = None
        if name not in PUBLIC:
            from chalicelib.handlers.auth import authenticate
            principal = authenticate(request.headers.get("authorization"))
        _check_size(request)
        api_request = ApiRequest(request, principal)
        handler = _handler(name)
        if request.method == "POST" and request.headers.get("idempotency-key") is not None:
            from chalicelib.handlers.idempotency import run_once
            result = run_once(api_request, name, path_params, lambda: handler(api_request, **path_params),
                              getattr(request, "lambda_context", None))
        else:
            result = handler(api_request, **path_params)
    except DomainError as error:
        return error_response(error)
    headers = {**_JSON, **result.headers} if result.body is not None else dict(result.headers)
    return Response(body=result.body if result.body is not None else "", status_code=result.status, headers=headers)


def _check_size(request) -> None:
    from chalicelib.config import settings

    raw = request.raw_body or b""
    if len(raw) > settings().max_body_bytes:
        raise PayloadTooLarge(f"the body exceeds {settings().max_body_bytes} bytes")


# -- CORS --------------------------------------------------------------------------------------
def cors_headers(origin: str | None, allowed: str | None) -> dict[str, str]:
    """The CORS headers of a response to a request from `origin`: only the web console's origin
    (CONSOLE_ORIGIN) is answered; API Gateway answers its preflights (infra/template.yaml)."""
    if not origin or not allowed or origin != allowed:
        return {}
    return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"}


# -- middleware ----------------------------------------------------------------------------
_CHALICE_CODES = {
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed",
    "BadRequestError": "bad_request",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


def http_middleware(event, get_response):
    """Trace, log one line per request (ids only, never tokens), count it, and give Chalice's
    own error responses (415, 405, 500) the error shape of API.md."""
    from chalicelib.observability import count, flush_metrics, logger, tracer, tracing_enabled

    started = time.perf_counter()
    context = event.context or {}
    route = f"{event.method} {context.get('resourcePath', event.path)}"
    _local.request = event
    try:
        if tracing_enabled():
            with tracer().provider.in_subsegment(f"## {route}") as subsegment:
                subsegment.put_annotation("route", route)
                response = get_response(event)
                subsegment.put_annotation("status", response.status_code)
        else:
            response = get_response(event)
    finally:
        _local.request = None
    from chalicelib.config import settings

    response.headers.update(cors_headers((event.headers or {}).get("origin"), settings().console_origin))
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        response.body = {"code": _CHALICE_CODES.get(body["Code"], "error"), "message": body.get("Message", "")}
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger().info("request", extra={"route": route, "status": response.status_code, "ms": elapsed_ms,
                                    "request_id": context.get("requestId")})
    count("Requests")
    if response.status_code >= 500:
        count("ServerErrors")
    flush_metrics()
    return response
