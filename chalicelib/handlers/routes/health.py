from __future__ import annotations

import os

from chalicelib.config import settings
from chalicelib.handlers.http import Result, ok


def get(req) -> Result:
    """200 once the service is ready. The local stack marks readiness with a file it writes
    after the endpoint, tables, bucket and stream runners are all up."""
    ready_file = settings().ready_file
    if ready_file and not os.path.exists(ready_file):
        return Result(503, {"code": "not_ready", "message": "the local stack is still starting"})
    return ok({"status": "ok"})
