"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): the error shape of API.md.

The spec already declares the Error schema on every documented 4xx; this check holds every
4xx to it, documented or not, and a 400 to the validation shape that names each field.
"""
from __future__ import annotations

import json
import re

import schemathesis

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
        if not errors or not all(isinstance(e, dict) and isinstance(e.get("field"), str) and
                                 isinstance(e.get("message"), str) for e in errors):
            raise AssertionError(f"validation_error without errors[{{field, message}}]: {body!r}")
    return None
