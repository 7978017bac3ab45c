"""The field's use cases against the in-memory storage: check-ins, attested photos, the changes
feed. The moto tests (tests/functional/test_visits.py, test_field_*.py, tests/integration) run
the same rules through the real adapters."""

from __future__ import annotations

import pytest

from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import campaigns, visits
from tests.unit.test_use_cases import LEADER, REGION, REP, REP2, WEST, approved

XINJIEKOU = {"address": "Xinjiekou", "lat": 32.0415, "lon": 118.7849}


@pytest.fixture
def store():
    storage = InMemoryStorage()
    previous = repos.install(storage)
    yield storage
    repos.install(previous)


def _actions(campaign_id: str) -> list[str]:
    return [e["action"] for e in repos.audit().entries(campaign_id)]


# -- check-ins -----------------------------------------------------------------------------------
def test_a_check_in_and_its_audit_entry_are_written_together(store):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0420, 118.7850, 10.0)
    assert visits.list_visits(REGION, c.id, PageRequest(10)).items == [v]
    assert _actions(c.id)[-1] == "visit_recorded"
    assert repos.campaigns().get(c.id).audit_seq == len(_actions(c.id))


def test_the_far_threshold_is_the_photos_own(store, monkeypatch):
    import dataclasses

    from chalicelib import config

    c = approved(location=XINJIEKOU)
    near = visits.record_visit(REP, c.id, 32.0415, 118.8300, None)  # ~4.2 km east
    assert 4 < near.distance_km < 5 and near.far_from_location is False
    tuned = dataclasses.replace(config.settings(), evidence_thresholds='{"tasting": {"far_km": 3}}')
    monkeypatch.setattr(visits, "settings", lambda: tuned)
    far = visits.record_visit(REP, c.id, 32.0415, 118.8300, None)
    assert far.far_from_location is True


def test_a_check_in_racing_a_cancellation_is_refused_and_records_nothing(store, monkeypatch):
    c = approved()
    real_new_visit = visits.new_visit

    def cancel_first(*args, **kw):
        if repos.campaigns().get(c.id).status == "approved":
            campaigns.cancel_campaign(REP, c.id, "the store closed")  # between the read and the write
        return real_new_visit(*args, **kw)

    monkeypatch.setattr(visits, "new_visit", cancel_first)
    with pytest.raises(Conflict) as err:
        visits.record_visit(REP, c.id, 32.0, 118.0, None)
    assert err.value.code == "invalid_state"
    assert visits.list_visits(REP, c.id, PageRequest(10)).items == []
    assert "visit_recorded" not in _actions(c.id)


def test_only_the_owner_checks_in_and_only_the_campaigns_scope_lists(store):
    c = approved()
    for who in (REP2, REGION, LEADER):
        with pytest.raises(Forbidden):
            visits.record_visit(who, c.id, 32.0, 118.0, None)
    visits.record_visit(REP, c.id, 32.0, 118.0, None)
    with pytest.raises(Forbidden):
        visits.list_visits(WEST, c.id, PageRequest(10))


def test_an_upload_may_name_only_the_callers_own_visit_to_that_campaign(store):
    c, other = approved(), approved()
    mine = visits.record_visit(REP, c.id, 32.0, 118.0, None)
    elsewhere = visits.record_visit(REP, other.id, 32.0, 118.0, None)
    assert visits.visit_for_upload(REP, c, mine.id) == mine
    for who, visit_id in ((REP, elsewhere.id), (REP, "nope"), (REP2, mine.id)):
        with pytest.raises(InvalidInput) as err:
            visits.visit_for_upload(who, c, visit_id)
        assert err.value.errors[0]["field"] == "visit_id" and err.value.errors[0]["code"] == "unknown_visit"
