"""GET /openapi.json: the contract, public. Read from disk on first use, then kept."""
from __future__ import annotations

import functools
import json
from pathlib import Path

from chalicelib.handlers.http import Result, ok

_SPEC = Path(__file__).resolve().parent.parent.parent / "openapi.json"


@functools.lru_cache(maxsize=1)
def _spec() -> dict:
    with open(_SPEC, encoding="utf-8") as fh:
        return json.load(fh)


def get(req) -> Result:
    return ok(_spec())
