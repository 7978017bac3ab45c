"""The service itself: health (for the load balancer and the local stack) and the contract."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from chalicelib.config import settings
from chalicelib.handlers.api import ApiRequest, Result, Routes, ok

routes = Routes(__name__)
_SPEC = Path(__file__).resolve().parent.parent.parent / "openapi.json"


@routes.get("/health", public=True)
def health(req: ApiRequest) -> Result:
    """200 once the service is ready. The local stack marks readiness with a file it writes
    after the endpoint, tables, bucket and stream runners are all up."""
    ready_file = settings().ready_file
    if ready_file and not os.path.exists(ready_file):
        return Result(503, {"code": "not_ready", "message": "the local stack is still starting"})
    return ok({"status": "ok"})


@functools.lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    with open(_SPEC, encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    return spec


@routes.get("/openapi.json", public=True)
def openapi_document(req: ApiRequest) -> Result:
    """The contract (OpenAPI), public. Read from disk on first use, then kept."""
    return ok(_spec())
