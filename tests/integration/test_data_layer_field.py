"""The field's repositories (visits, the changes feed) against DynamoDB (moto) and in memory,
side by side, as tests/integration/test_data_layer.py does for the others: the use-case tests
run on the in-memory ones, so both must keep the same conditions, order and cursors."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.dal.memory import InMemoryStorage
from chalicelib.dal.storage import DynamoStorage
from chalicelib.domain.errors import InvalidInput, StaleWrite
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.visits import Visit


@pytest.fixture(params=["dynamodb", "memory"])
def store(request):
    return DynamoStorage() if request.param == "dynamodb" else InMemoryStorage()


@pytest.fixture
def org() -> str:
    return f"I{uuid.uuid4().hex[:8].upper()}/EAST/JS"


def visit(campaign_id: str, org: str, **kw) -> Visit:
    base = dict(
        id=new_id(),
        campaign_id=campaign_id,
        tenant=org.split("/")[0],
        org=org,
        owner_id="rep-1",
        at="2026-11-02T02:00:00.000Z",
        expires_at="2026-11-02T04:00:00.000Z",
        lat=32.0415,
        lon=118.7849,
        accuracy_m=12.5,
        distance_km=0.12,
        far_from_location=False,
        within_campaign_dates=True,
    )
    base.update(kw)
    return Visit(**base)


# -- visits ------------------------------------------------------------------------------------
def test_a_visit_round_trips_and_is_never_overwritten(store, org):
    v = visit("C" + new_id(), org, accuracy_m=None, distance_km=None, far_from_location=None)
    store.visits.insert(v)
    assert store.visits.get(v.campaign_id, v.id) == v
    with pytest.raises(StaleWrite):
        store.visits.insert(visit(v.campaign_id, org, id=v.id, lat=0.5))
    assert store.visits.get(v.campaign_id, v.id) == v
    assert store.visits.get("C-other", v.id) is None  # another campaign's visit is not this one's


def test_a_campaigns_visits_page_newest_first_and_a_foreign_cursor_is_refused(store, org):
    campaign_id, other = "C" + new_id(), "C" + new_id()
    made = [store.visits.insert(visit(campaign_id, org, id=new_id(now_ms=1_800_000_000_000 + i))) for i in range(5)]
    store.visits.insert(visit(other, org))
    first = store.visits.list(campaign_id, PageRequest(2))
    second = store.visits.list(campaign_id, PageRequest(2, first.next_cursor))
    third = store.visits.list(campaign_id, PageRequest(2, second.next_cursor))
    assert [v.id for v in first.items + second.items + third.items] == [v.id for v in reversed(made)]
    assert third.next_cursor is None
    with pytest.raises(InvalidInput) as err:
        store.visits.list(other, PageRequest(2, first.next_cursor))
    assert err.value.errors[0]["field"] == "cursor"
