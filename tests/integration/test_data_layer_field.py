"""The field's repositories (visits, the changes feed) against DynamoDB (moto) and in memory,
side by side, as tests/integration/test_data_layer.py does for the others: the use-case tests
run on the in-memory ones, so both must keep the same conditions, order and cursors."""

from __future__ import annotations

import pytest

from chalicelib.dal.storage import DynamoStorage
from chalicelib.domain.errors import InvalidInput, StaleWrite
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.visits import Visit


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


# -- the changes feed ----------------------------------------------------------------------------
def change(n: int, fact: str | None = None, op: str = "upsert"):
    from chalicelib.domain.changes import Change

    images = {"visit": {"pk": {"S": f"c#C{n}"}, "sk": {"S": f"v#{n}"}}} if op == "upsert" else {}
    return Change("visit", f"V{n}", f"C{n}", op, fact or f"visit|V{n}", images)


def test_a_partition_numbers_its_entries_without_a_gap_and_records_each_fact_once(store, org):
    audience = f"org#{org}"
    first, second = store.changes.record(audience, change(1)), store.changes.record(audience, change(2))
    assert (first.seq, second.seq) == (1, 2) and first.written <= second.written
    assert store.changes.record(audience, change(1)) is None  # the same fact again: a redelivery
    assert store.changes.record(f"org#{org}/X", change(1)).seq == 1  # another partition counts its own
    assert [(e.seq, e.change) for e in store.changes.after(audience, 0, 10)] == [(1, change(1)), (2, change(2))]
    assert [e.seq for e in store.changes.after(audience, 1, 10)] == [2]
    assert store.changes.after(audience, 2, 10) == [] and store.changes.after("org#nobody", 0, 10) == []
    removed = store.changes.record(audience, change(3, op="remove"))
    assert store.changes.after(audience, 2, 10)[0].change == removed.change and removed.change.images == {}


def test_pages_of_a_partition_read_only_what_they_return(store, org):
    audience = f"owner#{org}|rep-1"
    for n in range(7):
        store.changes.record(audience, change(n))
    seen, after = [], 0
    while page := store.changes.after(audience, after, 3):
        seen += [e.seq for e in page]
        after = page[-1].seq
    assert seen == list(range(1, 8))


def test_racing_writers_get_every_number_once_and_every_fact_once(store, org):
    """Eight writers, each delivering the same 10 facts (a redelivery storm) and 5 of its own,
    on one partition at once: 10 + 40 entries, numbered 1..50, each fact once."""
    from concurrent.futures import ThreadPoolExecutor

    audience = f"org#{org.split('/')[0]}"

    def writer(w: int) -> int:
        made = 0
        for n in range(10):
            made += store.changes.record(audience, change(n)) is not None
            if n % 2:
                made += store.changes.record(audience, change(100 + w * 10 + n // 2)) is not None
        return made

    with ThreadPoolExecutor(8) as pool:
        made = sum(pool.map(writer, range(8)))
    entries = store.changes.after(audience, 0, 200)
    assert made == 50 and [e.seq for e in entries] == list(range(1, 51))
    facts = [e.change.fact for e in entries]
    assert len(set(facts)) == 50
    assert all(a.written <= b.written for a, b in zip(entries, entries[1:], strict=False))


def test_the_cursor_key_is_made_once_and_kept(store):
    key = store.changes.cursor_key()
    assert len(key) >= 32 and store.changes.cursor_key() == key
    if isinstance(store, DynamoStorage):
        assert DynamoStorage().changes.cursor_key() == key  # another process reads the same one
