"""Retry-safe requests: the same Idempotency-Key from the same caller on the same route, with
the same body, gets the first response again and changes nothing (kept 24 h,
dal/idempotency.py); the same key with another body is a 409 `idempotency_key_reused`. A
refused request (a domain error) is not remembered, so a corrected retry goes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.dal import repos

Response = dict[str, Any]


def run_once(
    caller: str, route: str, key: str, body: Any, respond: Callable[[], Response], lambda_context: Any = None
) -> Response:
    """`respond()` the first time (caller, route, key) is seen; its stored response after that."""
    request = {"caller": caller, "route": route, "key": key, "body": body}
    return repos.idempotency().run_once(request, respond, lambda_context)
