"""Idempotency-Key records (DynamoDB), through the Powertools Idempotency utility.

`run_once(request, operation)` runs `operation()` the first time a (caller, route, key) is
seen and stores what it returned; the same key with the same body returns that again without
running it; the same key with another body is a 409 `idempotency_key_reused`. A failed
operation (a domain error) is not remembered, so a corrected retry with the same key goes through.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.dal.ports import Stored
from chalicelib.domain.errors import Conflict

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

#: How the idempotent run is called: `request` is hashed and validated, `operation` passed through.
Execute = Callable[..., Stored]


@functools.lru_cache(maxsize=1)
def _executor() -> tuple[Execute, IdempotencyConfig]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from chalicelib.dal.clients import dynamodb

    s = settings()
    store = DynamoDBPersistenceLayer(table_name=s.idempotency_table, boto3_client=dynamodb())
    config = IdempotencyConfig(
        event_key_jmespath="[caller, route, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=s.idempotency_ttl_seconds,
    )

    # The name `execute` is part of every stored record's key (Powertools prefixes the function's
    # qualified name): renaming it would forget the keys of the last 24 hours.
    def execute(request: dict[str, Any], operation: Callable[[], Stored]) -> Stored:
        return operation()

    # Powertools' decorator returns Any; applied as a call, the result keeps a declared type.
    idempotent: Execute = idempotent_function(
        execute, data_keyword_argument="request", persistence_store=store, config=config
    )
    return idempotent, config


class IdempotencyStore:
    def run_once(self, request: dict[str, Any], operation: Callable[[], Stored], lambda_context: Any = None) -> Stored:
        """`request`: {caller, route, key, body}. Returns what the first run returned."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        execute, config = _executor()
        if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
            config.register_lambda_context(lambda_context)
        try:
            return execute(request=request, operation=operation)
        except IdempotencyValidationError:
            raise Conflict(
                "this Idempotency-Key was already used with a different body", code="idempotency_key_reused"
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise Conflict(
                "a request with this Idempotency-Key is still in progress; retry shortly", code="request_in_progress"
            ) from None
