"""Idempotency-Key on POSTs, through the Powertools Idempotency utility.

The key is scoped to the caller and the route; the request body is the validated payload.
The same key with the same body returns the first response again without running the use
case; the same key with another body is a 409 `idempotency_key_reused`. Failed requests
(4xx) are not remembered, so a corrected retry with the same key goes through.
"""
from __future__ import annotations

import functools
import json
import threading
from typing import Callable

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, InvalidInput

_current = threading.local()


@functools.lru_cache(maxsize=1)
def _idempotent_executor():
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    import boto3

    s = settings()
    client = boto3.client("dynamodb", region_name=s.region)
    store = DynamoDBPersistenceLayer(table_name=s.idempotency_table, boto3_client=client)
    config = IdempotencyConfig(
        event_key_jmespath="[caller, route, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=s.idempotency_ttl_seconds,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)
    def execute(request: dict) -> dict:
        result = _current.operation()
        return {"status": result.status, "body": result.body, "headers": result.headers}

    return execute, config


def run_once(api_request, route: str, path_params: dict, operation: Callable, lambda_context=None):
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from chalicelib.handlers.http import Result

    key = api_request.headers.get("idempotency-key")
    if not key or len(key) > 128 or not key.isprintable():
        raise InvalidInput.field("Idempotency-Key", "must be 1 to 128 printable characters")
    raw = api_request.raw_body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = raw   # malformed JSON: the handler will refuse it; nothing is stored
    execute, config = _idempotent_executor()
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)
    request = {"caller": api_request.principal.sub, "route": f"{route}:{json.dumps(path_params, sort_keys=True)}",
               "key": key, "body": body}
    _current.operation = operation
    try:
        stored = execute(request=request)
    except IdempotencyValidationError:
        raise Conflict("this Idempotency-Key was already used with a different body",
                       code="idempotency_key_reused") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly",
                       code="request_in_progress") from None
    finally:
        _current.operation = None
    return Result(stored["status"], stored["body"], {**stored.get("headers", {}), "Idempotency-Key": key})
