"""The changes feed on the local stack as a user starts it: the stream runners of the campaigns
and evidence tables write the same partitions at the same time (racing writers), and every
reader still gets each change once, numbered without a gap, in order per entity, and only
what their scope holds (a manager of another region sees none of it)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from tests.e2e.conftest import token, wait_for

STORE = {"lat": 32.0415, "lon": 118.7849}


def _plan(i: int) -> dict[str, Any]:
    return {
        "title": f"Feed race {i}",
        "category": "tasting",
        "customer": {"id": f"K{i}", "name": "Shop"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "plan": {"expected_spend": 200000, "expected_sales": 1000000},
        "requested_amount": 200000,
    }


def _feed(http, who: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        status, page = http("GET", "/me/changes?limit=200" + (f"&cursor={cursor}" if cursor else ""), who)
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["items"]:
            return items


def test_racing_stream_runners_give_every_reader_each_change_once_in_order_and_in_scope(http):
    co = "F" + uuid.uuid4().hex[:8].upper()
    rep, peer = token(f"rep-{co}", "rep", f"{co}/EAST/JS"), token(f"peer-{co}", "rep", f"{co}/EAST/ZJ")
    west_rep = token(f"wrep-{co}", "rep", f"{co}/WEST/SC")
    manager, west = token(f"mgr-{co}", "manager", f"{co}/EAST"), token(f"wmgr-{co}", "manager", f"{co}/WEST")
    leader = token(f"lead-{co}", "leader", co)

    def approved(owner: str, approver: str, i: int) -> str:
        status, c = http("POST", "/campaigns", owner, _plan(i))
        assert status == 201, c
        assert http("POST", f"/campaigns/{c['id']}/submit", owner)[0] == 200
        assert http("POST", f"/campaigns/{c['id']}/approve", approver, {"approved_amount": 180000})[0] == 200
        return str(c["id"])

    mine, west_one = approved(rep, manager, 0), approved(west_rep, west, 1)
    visits: dict[str, list[str]] = {"rep": [], "west": []}
    drafts: list[str] = []
    failures: list[Any] = []

    def check_in(who: str, campaign_id: str, name: str) -> None:
        for _ in range(6):
            status, v = http("POST", f"/campaigns/{campaign_id}/visits", who, STORE)
            (visits[name].append(v["id"]) if status == 201 else failures.append(v))

    def apply() -> None:
        for i in range(4):
            status, c = http("POST", "/campaigns", peer, _plan(10 + i))
            (drafts.append(c["id"]) if status == 201 else failures.append(c))

    # the evidence runner (check-ins) and the campaigns runner (new drafts) write org#<co> and
    # org#<co>/EAST at the same time
    threads = [
        threading.Thread(target=check_in, args=(rep, mine, "rep")),
        threading.Thread(target=check_in, args=(west_rep, west_one, "west")),
        threading.Thread(target=apply),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures

    def ids(items: list[dict[str, Any]], entity: str) -> list[str]:
        return [i["id"] for i in items if i["entity"] == entity]

    every_visit = set(visits["rep"]) | set(visits["west"])

    def all_arrived() -> list[dict[str, Any]] | None:
        items = _feed(http, leader)
        arrived = set(ids(items, "visit")) == every_visit and set(drafts) <= set(ids(items, "campaign"))
        return items if arrived else None

    everything = wait_for(all_arrived, timeout=60)
    feeds = {
        "rep": _feed(http, rep),
        "manager": _feed(http, manager),
        "west": _feed(http, west),
        "leader": everything,
    }
    for name, items in feeds.items():
        # numbered 1, 2, 3 … without a gap or a repeat: nothing appeared late behind a reader
        assert [i["seq"] for i in items] == list(range(1, len(items) + 1)), name
        # each check-in once
        assert sorted(ids(items, "visit")) == sorted(set(ids(items, "visit"))), name
        # a campaign's versions in the order they were written
        for campaign_id in set(ids(items, "campaign")):
            statuses = [i["data"]["status"] for i in items if i["entity"] == "campaign" and i["id"] == campaign_id]
            expected = ["draft", "submitted", "approved"][: len(statuses)]
            assert statuses == expected, (name, campaign_id, statuses)
    assert set(ids(feeds["rep"], "visit")) == set(visits["rep"]) and set(ids(feeds["rep"], "campaign")) == {mine}
    assert set(ids(feeds["manager"], "visit")) == set(visits["rep"])
    assert set(ids(feeds["manager"], "campaign")) == {mine, *drafts}
    assert set(ids(feeds["west"], "visit")) == set(visits["west"])
    assert set(ids(feeds["west"], "campaign")) == {west_one}  # never another region's
