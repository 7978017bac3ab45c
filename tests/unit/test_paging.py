"""Cursors are opaque and checked: a tampered one is a 400, never a 500."""

import base64
import json

import pytest

from chalicelib.dal.paging import decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidInput

KEY = {"id": "C1", "owner_id": "u1", "created_key": "2026#C1"}
ATTRS = {"id", "owner_id", "created_key"}


def test_a_cursor_round_trips_for_the_query_that_issued_it():
    cursor = encode_cursor(KEY, "fp1")
    assert decode_cursor(cursor, ATTRS, "fp1") == KEY


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-3],  # truncated
        lambda c: "!!" + c,  # not base64
        lambda c: base64.urlsafe_b64encode(b"[1,2]").decode(),
        lambda c: base64.urlsafe_b64encode(json.dumps({"k": {"id": "x"}, "q": "fp1"}).encode()).decode(),
        lambda c: base64.urlsafe_b64encode(
            json.dumps({"k": {"id": 1, "owner_id": "u", "created_key": "c"}, "q": "fp1"}).encode()
        ).decode(),
        lambda c: "A" * 5000,
    ],
)
def test_tampered_cursors_are_refused_naming_the_cursor(tamper):
    with pytest.raises(InvalidInput) as err:
        decode_cursor(tamper(encode_cursor(KEY, "fp1")), ATTRS, "fp1")
    assert err.value.errors[0]["field"] == "cursor"


def test_a_cursor_from_another_query_is_refused():
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor(KEY, "fp1"), ATTRS, "fp2")
