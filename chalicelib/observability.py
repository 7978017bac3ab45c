"""One Logger, one Metrics, one Tracer for the whole service, created on first use.

Powertools reads POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_TRACE_DISABLED
and POWERTOOLS_METRICS_DISABLED from the stage config; tests and the local stack disable tracing.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer

P = ParamSpec("P")
R = TypeVar("R")

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "huixiang")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Huixiang")
# One Metrics object collects for the whole process. A Lambda sandbox runs one invocation at a
# time, but the local stack serves requests and runs its stream runners in threads: a flush in
# one thread emptied the set another had just found non-empty ("Must contain at least one
# metric") or was iterating ("dictionary changed size"), and the request answered 500.
_metrics_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger()


@functools.lru_cache(maxsize=1)
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics()


@functools.lru_cache(maxsize=1)
def tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer()


def tracing_enabled() -> bool:
    """X-Ray is on in deployed stages; off locally and in tests, where loading its SDK
    (≈0.4 s) would only slow the first request down."""
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true")


def count(name: str, value: int = 1) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    with _metrics_lock:
        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Publish what has been counted (EMF on stdout); with nothing counted there is nothing to do."""
    with _metrics_lock:
        if metrics().metric_set:
            metrics().flush_metrics()


def publishes_metrics(handler: Callable[P, R]) -> Callable[P, R]:
    """Publish what an invocation counted when it ends, however it ends."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        finally:
            flush_metrics()

    return wrapper
