"""The HTTP adapter: the one place that knows status codes, request parsing and error bodies.

Each route module under handlers/routes/ holds a `Routes` (a Chalice Blueprint) and declares
its handlers right where they are routed:

    routes = Routes(__name__)

    @routes.post("/campaigns/{campaign_id}/submit")
    def submit_campaign(req: ApiRequest, campaign_id: str) -> Result:
        ...

The view Chalice calls authenticates the caller, bounds the body, honours an Idempotency-Key
on POST, runs the handler and maps domain errors to the error shape of the contract.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from chalice.app import Blueprint, Request, Response

from chalicelib.config import settings
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import (
    FIELD_CODES,
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    field_error,
)
from chalicelib.domain.org import is_valid_org
from chalicelib.domain.pages import MAX_LIMIT, PageRequest
from chalicelib.lazy import on_first_use
from chalicelib.observability import count, flush_metrics, logger, tracer, tracing_enabled

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): by the requests that need them, never by other functions
    import pydantic

    from chalicelib.handlers import auth
    from chalicelib.logic import idempotency
else:
    pydantic = on_first_use("pydantic")
    auth = on_first_use("chalicelib.handlers.auth")
    idempotency = on_first_use("chalicelib.logic.idempotency")

_STATUS: dict[type, int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    PayloadTooLarge: 413,
}
Headers = dict[str, str | list[str]]  # as Chalice's Response takes them
_JSON: Headers = {"Content-Type": "application/json"}
Body = TypeVar("Body", bound="pydantic.BaseModel")
# Chalice keeps `current_request` on the shared app object; under a threaded server (the local
# stack) two requests would overwrite each other's. The middleware pins each thread's own.
_local = threading.local()


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def error_response(error: DomainError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message, **error.details}
    if error.params:
        body["params"] = error.params
    if isinstance(error, InvalidInput):
        body["errors"] = error.errors
    headers: Headers = dict(_JSON)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return Response(body=body, status_code=status_of(error), headers=headers)


@dataclass
class Result:
    """What a handler returns: a status and a JSON body (None for 204)."""

    status: int
    body: Any = None
    headers: Headers = field(default_factory=dict)


def ok(body: Any) -> Result:
    return Result(200, body)


def created(body: Any) -> Result:
    return Result(201, body)


def accepted(body: Any) -> Result:
    return Result(202, body)


def no_content() -> Result:
    return Result(204)


class ApiRequest:
    """The parts of a Chalice request a handler needs, with validation that yields 400s."""

    def __init__(self, request: Request, principal: Principal | None) -> None:
        self._request = request
        self._principal = principal

    @property
    def principal(self) -> Principal:
        """The caller (a public route has none, and so may not ask: 401)."""
        if self._principal is None:
            raise Unauthenticated("send Authorization: Bearer <token>")
        return self._principal

    @property
    def headers(self) -> Any:
        return self._request.headers

    def raw_body(self) -> str:
        raw = self._request.raw_body
        if isinstance(raw, bytes):
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput.field("body", "not_utf8", "is not UTF-8") from None
        return raw or ""

    @overload
    def body(self, schema: type[Body], optional: Literal[False] = False) -> Body: ...

    @overload
    def body(self, schema: type[Body], optional: Literal[True]) -> Body | None: ...

    def body(self, schema: type[Body], optional: bool = False) -> Body | None:
        """The JSON body validated against a pydantic schema; every field at fault is named."""
        raw = self.raw_body()
        if not raw.strip():
            if optional:
                return None
            raise InvalidInput.field("body", "required", "a JSON object is required")
        try:
            return schema.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            raise InvalidInput([_field_error(dict(e)) for e in exc.errors(include_url=False)]) from None

    def query(self, name: str, max_length: int = 512) -> str | None:
        params = self._request.query_params
        value = params.get(name) if params is not None else None
        if value is not None and len(value) > max_length:
            raise InvalidInput.field(name, "too_long", f"is longer than {max_length} characters", max_length=max_length)
        if value is not None and not value.isprintable():
            raise InvalidInput.field(name, "control_characters", "holds control characters")
        return value if value != "" else None

    def query_choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.query(name)
        if value is not None and value not in choices:
            raise InvalidInput.field(name, "not_one_of", f"must be one of: {', '.join(choices)}", choices=list(choices))
        return value

    def query_date(self, name: str) -> str | None:
        value = self.query(name)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput.field(name, "not_a_date", "must be a date YYYY-MM-DD") from None
        return value

    def query_org(self, name: str = "org") -> str | None:
        value = self.query(name)
        if value is not None and not is_valid_org(value):
            raise InvalidInput.field(name, "not_an_org", "must be an org path such as CN/EAST/JS")
        return value

    def page(self) -> PageRequest:
        # a cursor may hold several positions (/me/approvals merges one Query per approver key)
        cursor = self.query("cursor", max_length=4096)
        raw = self.query("limit")
        if raw is None:
            return PageRequest(cursor=cursor)
        message = f"must be an integer from 1 to {MAX_LIMIT}"
        if not raw.isdigit():
            raise InvalidInput.field("limit", "wrong_type", message, expected="integer")
        if int(raw) < 1:
            raise InvalidInput.field("limit", "too_small", message, min=1)
        if int(raw) > MAX_LIMIT:
            raise InvalidInput.field("limit", "too_large", message, max=MAX_LIMIT)
        return PageRequest(int(raw), cursor)


# pydantic's error types → the field codes of the contract (domain/errors.py: FIELD_CODES), each
# with the params its message is made from (from the error's context). A validator in schemas.py
# that raises a PydanticCustomError names its field code itself (`not_a_date`, `too_small` …).
# A type neither here nor in FIELD_CODES answers `invalid` (tests/unit/test_error_codes.py
# drives every kind of bad body through this and finds none that does).
Params = Callable[[dict[str, Any]], dict[str, Any]]


def _context(name: str, key: str | None = None, shift: int = 0) -> Params:
    def params(ctx: dict[str, Any]) -> dict[str, Any]:
        value = ctx.get(key or name)
        return {name: value + shift if shift and isinstance(value, int) else value}

    return params


def _expected(kind: str) -> Params:
    return lambda ctx: {"expected": kind}


def _nothing(ctx: dict[str, Any]) -> dict[str, Any]:
    return {}


def _choices(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"choices": re.findall(r"'([^']*)'", str(ctx.get("expected", "")))}  # "'a', 'b' or 'c'"


PYDANTIC_CODES: dict[str, tuple[str, Params]] = {
    "missing": ("required", _nothing),
    "extra_forbidden": ("not_allowed", _nothing),
    "json_invalid": ("not_json", _nothing),
    "model_type": ("wrong_type", _expected("object")),
    "model_attributes_type": ("wrong_type", _expected("object")),
    "dict_type": ("wrong_type", _expected("object")),
    "list_type": ("wrong_type", _expected("array")),
    "string_type": ("wrong_type", _expected("string")),
    "int_type": ("wrong_type", _expected("integer")),
    "int_parsing": ("wrong_type", _expected("integer")),
    "int_from_float": ("wrong_type", _expected("integer")),
    "float_type": ("wrong_type", _expected("number")),
    "float_parsing": ("wrong_type", _expected("number")),
    "finite_number": ("wrong_type", _expected("number")),
    "bool_type": ("wrong_type", _expected("boolean")),
    "greater_than_equal": ("too_small", _context("min", "ge")),
    "greater_than": ("too_small", _context("min", "gt", 1)),  # integers: above n is at least n + 1
    "less_than_equal": ("too_large", _context("max", "le")),
    "less_than": ("too_large", _context("max", "lt", -1)),
    "string_too_short": ("too_short", _context("min_length")),
    "string_too_long": ("too_long", _context("max_length")),
    "too_short": ("too_few", _context("min_length")),
    "too_long": ("too_many", _context("max_length")),
    "string_pattern_mismatch": ("bad_format", _context("pattern")),
    "literal_error": ("not_one_of", _choices),
    "enum": ("not_one_of", _choices),
}
# where pydantic's own sentence says less than ours
_MESSAGES = {
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "extra_forbidden": "is not a known field",
}


def _field_error(e: Mapping[str, Any]) -> FieldError:
    """One pydantic error as a field error of the contract: {field, code, message, params?}."""
    kind, ctx = e.get("type", ""), e.get("ctx") or {}
    field = ".".join(str(p) for p in e.get("loc", ()) if p != "__root__") or "body"
    message = _MESSAGES.get(kind) or e.get("msg") or "is not valid"
    if kind == "json_invalid":
        return field_error("body", "not_json", f"is not valid JSON ({ctx.get('error', message)})")
    if kind in PYDANTIC_CODES:
        code, params = PYDANTIC_CODES[kind]
        return field_error(field, code, message, **params(ctx))
    if kind in FIELD_CODES:  # a PydanticCustomError of schemas.py: its type is the code, its context the params
        return field_error(field, kind, message, **ctx)
    return field_error(field, "invalid", message)


# -- routes ----------------------------------------------------------------------------------
Handler = Callable[..., Result]
Reveal = Callable[["ApiRequest", Result], Result]


class Routes:
    """A Blueprint of API routes; `@routes.get(path)` registers the handler it decorates."""

    def __init__(self, import_name: str) -> None:
        self.blueprint = Blueprint(import_name)

    def route(
        self, method: str, path: str, *, public: bool = False, reveal: Reveal | None = None
    ) -> Callable[[Handler], Handler]:
        """`reveal`: what a response shows beyond what is remembered for a retried request (a
        secret, read again each time, so no copy of it rests in the idempotency store)."""

        def register(handler: Handler) -> Handler:
            def view(**path_params: str) -> Response:
                request = getattr(_local, "request", None) or self.blueprint.current_request
                return respond(request, handler, f"{method} {path}", path_params, public, reveal)

            view.__name__ = view.__qualname__ = handler.__name__
            view.__doc__ = handler.__doc__
            self.blueprint.route(path, methods=[method], name=handler.__name__)(view)
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)


def respond(
    request: Request,
    handler: Handler,
    route: str,
    path_params: dict[str, str],
    public: bool,
    reveal: Reveal | None = None,
) -> Response:
    """Run one handler for one request and turn its outcome into a Response."""
    try:
        principal = None
        if not public:
            principal = auth.authenticate(request.headers.get("authorization"))
        _check_size(request)
        api_request = ApiRequest(request, principal)
        key = request.headers.get("idempotency-key")
        if request.method == "POST" and key is not None and principal is not None:
            result = _run_once(
                api_request,
                key,
                route,
                path_params,
                lambda: handler(api_request, **path_params),
                getattr(request, "lambda_context", None),
            )
        else:
            result = handler(api_request, **path_params)
        if reveal is not None:
            result = reveal(api_request, result)
    except DomainError as error:
        return error_response(error)
    headers: Headers = {**_JSON, **result.headers} if result.body is not None else dict(result.headers)
    return Response(body=result.body if result.body is not None else "", status_code=result.status, headers=headers)


def _run_once(
    req: ApiRequest,
    key: str,
    route: str,
    path_params: dict[str, Any],
    operation: Callable[[], Result],
    lambda_context: Any,
) -> Result:
    """The same Idempotency-Key (per caller and route) and body: the first response again."""
    message = "must be 1 to 128 printable characters"
    if not key:
        raise InvalidInput.field("Idempotency-Key", "required", message)
    if len(key) > 128:
        raise InvalidInput.field("Idempotency-Key", "too_long", message, max_length=128)
    if not key.isprintable():
        raise InvalidInput.field("Idempotency-Key", "control_characters", message)
    raw = req.raw_body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = raw  # malformed JSON: the handler will refuse it; nothing is stored
    stored = idempotency.run_once(
        req.principal.sub,
        f"{route}:{json.dumps(path_params, sort_keys=True)}",
        key,
        body,
        lambda: asdict(operation()),
        lambda_context,
    )
    return Result(stored["status"], stored["body"], {**stored.get("headers", {}), "Idempotency-Key": key})


def _check_size(request: Request) -> None:
    raw = request.raw_body or b""
    if len(raw) > settings().max_body_bytes:
        limit = settings().max_body_bytes
        raise PayloadTooLarge(f"the body exceeds {limit} bytes", params={"max_bytes": limit})


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


def http_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Trace, log one line per request (ids only, never tokens), count it, and give Chalice's
    own error responses (415, 405, 500) the error shape of the contract."""
    started = time.perf_counter()
    context = event.context or {}
    route = f"{event.method} {context.get('resourcePath', event.path)}"
    _local.request = event
    try:
        if tracing_enabled():
            with tracer().provider.in_subsegment(f"## {route}") as subsegment:
                subsegment.put_annotation("route", route)
                response = get_response(event)
                # X-Ray takes any number; its stub's numbers.Number admits no int for mypy
                subsegment.put_annotation("status", response.status_code)  # type: ignore[arg-type]
        else:
            response = get_response(event)
    finally:
        _local.request = None
    origin = event.headers.get("origin") if event.headers else None
    response.headers.update(cors_headers(origin, settings().console_origin))
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        response.body = {"code": _CHALICE_CODES.get(body["Code"], "error"), "message": body.get("Message", "")}
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger().info(
        "request",
        extra={
            "route": route,
            "status": response.status_code,
            "ms": elapsed_ms,
            "request_id": context.get("requestId"),
        },
    )
    count("Requests")
    if response.status_code >= 500:
        count("ServerErrors")
    flush_metrics()
    return response
