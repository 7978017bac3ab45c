"""Inputs `make fuzz` found answering 500, kept as regressions: each must be a clear 4xx
(or succeed) and leave the campaign intact."""

from __future__ import annotations

import pytest


def test_coordinates_too_small_for_dynamodb_are_rounded_not_a_500(api, company, flow):
    c = flow.draft(location={"address": None, "lat": -7.631578450341227e-278, "lon": -179.0})
    assert c["location"]["lat"] == 0 and c["location"]["lon"] == -179.0
    r = api.patch(f"/campaigns/{c['id']}", company.rep, {"location": {"lat": 1e-200, "lon": 5e-131}})
    assert r.status_code == 200, r.json
    assert (r.json["location"]["lat"], r.json["location"]["lon"]) == (0, 0)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"customer": None}, "customer"),
        ({"title": None}, "title"),
        ({"category": None}, "category"),
        ({"start_date": None}, "start_date"),
        ({"requested_amount": None}, "requested_amount"),
        ({"plan": None}, "plan"),
        ({"plan": {"expected_spend": None}}, "plan.expected_spend"),
    ],
)
def test_patch_null_on_a_field_that_cannot_be_empty_is_a_400_naming_it(api, company, flow, body, field):
    c = flow.draft()
    r = api.patch(f"/campaigns/{c['id']}", company.rep, body)
    assert r.status_code == 400, r.json
    assert r.json["code"] == "validation_error" and [e["field"] for e in r.json["errors"]] == [field]
    assert api.get(f"/campaigns/{c['id']}", company.rep).json == c


def test_patch_null_clears_what_may_be_empty(api, company, flow):
    c = flow.draft()
    r = api.patch(f"/campaigns/{c['id']}", company.rep, {"location": None, "plan": {"expected_units": None}})
    assert r.status_code == 200, r.json
    assert r.json["location"] is None and r.json["plan"]["expected_units"] is None
