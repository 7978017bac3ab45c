"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): the error shape of API.md, and
path parameters that name real objects.

The spec already declares the Error schema on every documented 4xx; this check holds every
4xx to it, documented or not, and a 400 to the validation shape that names each field with its
code (never the `invalid` of last resort).

A generated id almost never names anything, so by itself the fuzzer only meets 404s. The run
seeds a company (tests/fuzz/run.py) and hands its ids over in HUIXIANG_FUZZ_IDS, by path
parameter name (`campaign_id`, `budget_id`, ...); each path parameter of a case is then one of
them or the generated value, so every operation on an id also runs against real campaigns,
budgets, attachments, rules and reports, in and out of the caller's reach.
"""

from __future__ import annotations

import functools
import json
import os
import re

import schemathesis
from hypothesis import strategies as st

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@schemathesis.check
def api_error_shape(ctx, response, case):
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} body is not JSON: {response.content[:200]!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not _CODE.match(body["code"]):
        raise AssertionError(f"{response.status_code} body lacks a snake_case code: {body!r}")
    if not isinstance(body.get("message"), str) or not body["message"]:
        raise AssertionError(f"{response.status_code} body lacks a message: {body!r}")
    if response.status_code == 400 and body["code"] == "validation_error":
        errors = body.get("errors")
        if not errors or not all(
            isinstance(e, dict)
            and isinstance(e.get("field"), str)
            and isinstance(e.get("code"), str)
            and _CODE.match(e["code"])
            and e["code"] != "invalid"
            and isinstance(e.get("message"), str)
            for e in errors
        ):
            raise AssertionError(f"validation_error without errors[{{field, code, message}}]: {body!r}")
    return None


@functools.lru_cache(maxsize=1)
def seeded_ids() -> dict[str, tuple[str, ...]]:
    """The seeded ids by path parameter name ({} when the run seeded none)."""
    try:
        data = json.loads(os.environ.get("HUIXIANG_FUZZ_IDS") or "{}")
    except ValueError:
        return {}
    return {name: tuple(values) for name, values in data.items() if isinstance(values, list) and values}


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    """Each path parameter: a seeded id of its name (drawn first, so about as often) or the
    generated value."""
    seeded = seeded_ids()
    if not path_parameters or not any(name in seeded for name in path_parameters):
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: (st.sampled_from(seeded[name]) | st.just(value)) if name in seeded else st.just(value)
            for name, value in path_parameters.items()
        }
    )
