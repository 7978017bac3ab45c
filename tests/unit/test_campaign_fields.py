"""A campaign's fields are declared once (domain/campaign.py): creating, editing, the audit trail
and the API's view of a campaign all follow that declaration."""

from __future__ import annotations

import pytest

from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.campaign import APPLICATION, audit_fields
from chalicelib.handlers import present
from chalicelib.logic import campaigns, history
from tests.unit.use_cases import builders
from tests.unit.use_cases.builders import REP


def application(**overrides: object) -> dict:
    """The use-case tests' application (builders.py), with customer K1 "Suguo", no place, no units."""
    plan = {"expected_spend": 200000, "expected_sales": 1000000, "expected_units": None}
    base = {"title": "Weekend tasting", "customer": {"id": "K1", "name": "Suguo"}, "location": None, "plan": plan}
    return builders.application(**{**base, **overrides})


@pytest.fixture(autouse=True)
def store():
    previous = repos.install(InMemoryStorage())
    yield
    repos.install(previous)


def _edits(campaign_id: str) -> list[dict]:
    return [e["changes"] for e in repos.audit().entries(campaign_id) if e["action"] == "edited"]


def test_a_new_customer_without_a_name_leaves_no_name_of_the_old_one():
    c = campaigns.create_campaign(REP, application())
    edited = campaigns.update_campaign(REP, c.id, {"customer": {"id": "K2"}})
    assert (edited.customer_id, edited.customer_name) == ("K2", "")
    assert present.campaign(edited)["customer"] == {"id": "K2", "name": ""}
    assert _edits(c.id) == [{"customer_id": ["K1", "K2"], "customer_name": ["Suguo", ""]}]


def test_a_change_to_the_plan_changes_only_the_figures_it_names():
    c = campaigns.create_campaign(REP, application())
    edited = campaigns.update_campaign(REP, c.id, {"plan": {"expected_units": 500}})
    assert present.campaign(edited)["plan"] == {
        "expected_spend": 200000,
        "expected_sales": 1000000,
        "expected_units": 500,
        "expected_cost_ratio": 0.2,
    }
    assert _edits(c.id) == [{"expected_units": [None, 500]}]


def test_null_clears_a_field_and_leaving_it_out_keeps_it():
    where = {"address": "Xinjiekou", "lat": 32.0415, "lon": 118.7849}
    c = campaigns.create_campaign(REP, application(location=where))
    kept = campaigns.update_campaign(REP, c.id, {"title": "Two-day tasting"})
    assert (kept.title, kept.location) == ("Two-day tasting", where)
    cleared = campaigns.update_campaign(REP, c.id, {"location": None})
    assert cleared.location is None
    titled, moved = _edits(c.id)
    assert titled == {"title": ["Weekend tasting", "Two-day tasting"]}
    assert list(moved) == ["location"] and moved["location"][1] is None  # (the trail keeps coordinates as text)


def test_every_application_field_is_created_shown_at_its_path_and_recorded_when_created():
    c = campaigns.create_campaign(REP, application(location={"address": None, "lat": 1.5, "lon": 2.5}))
    view = present.campaign(c)
    created = repos.audit().entries(c.id)[0]
    assert created["action"] == "created"
    for name, spec in APPLICATION:
        shown = view
        for key in spec.path:
            shown = shown[key]
        assert shown == getattr(c, name), name
        assert name in audit_fields(c), name
        if getattr(c, name) not in (None, ""):
            assert name in created["changes"], name
    assert set(history.changes({}, c)) == set(created["changes"])
