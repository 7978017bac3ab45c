"""The changes feed (GET /me/changes): how late it is, what a page reads, what a change writes.

* `changes_lag_ms_p99` (and `_p50`): on the local stack (`python -m devstack run`, its stream
  runners playing Lambda's event source mappings), a rep checks in on an approved campaign;
  from the 201 until the visit is in both the rep's feed and their region manager's, each
  polled from the cursor it held before the write. Nearest-rank percentiles over N check-ins,
  one at a time. Target ≤ 500 ms.
* `changes_read_amplification`: a worker process (its own moto, as bench.read_amplification)
  records CHANGES changes in a region manager's partition and as many in another region's,
  through the feed's own repository (dal/changes.py: the transaction the stream functions
  write), then pages the manager's feed through GET /me/changes?limit=200 from the start to
  the first empty page. DynamoDB items read (bench._common's counter: Query ScannedCount,
  GetItem items) ÷ items returned. Target ≤ 1.2.
* `changes_wru_per_change`: in the same worker, a draft edited EDITS times; each version's
  campaigns-stream record goes to the stream's use case (logic.changes.campaign_item_changed,
  with the images read back from the table as the stream carries them), which writes the
  change to the campaign's four audiences (its owner, the company, the region, the province).
  Write units priced by infra/capacity.py (bench._common's WriteCounter, as the cost model)
  ÷ changes.

    python -m bench.changes [--quick] [--out PATH]

prints a table and merges the figures into bench/results.json (`--quick`: small sizes,
writes nothing unless --out is given).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._common import (
    READS,
    WRITES,
    Http,
    app_in_process,
    clean_env,
    count_reads,
    count_writes,
    log,
    percentile,
    publish,
    target_table,
)
from bench._common import run_worker as _run_worker
from bench.local_stack import _approved
from bench.stream_unlock import _tokens, stack_at

if TYPE_CHECKING:
    from chalicelib.domain.campaign import Campaign

SIZES = {
    False: {"lag_visits": 60, "changes": 20000, "edits": 50},
    True: {"lag_visits": 5, "changes": 400, "edits": 5},
}
TARGETS = {"changes_lag_ms_p99": 500, "changes_read_amplification": 1.2}
PAGE = 200
RECORDED = 20  # changes per partition written through the repository's transaction; the rest batch-written
LAG_TIMEOUT = 10.0
POLL_SECONDS = 0.010
STORE = {"lat": 32.0415, "lon": 118.7849, "accuracy_m": 8}


# -- the lag, on the local stack ------------------------------------------------------------------
def _drain(api: Http, token: str, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    """Every change after `cursor` and the cursor after them (pages until an empty one)."""
    items: list[dict[str, Any]] = []
    while True:
        query = f"?limit={PAGE}" + (f"&cursor={urllib.parse.quote(cursor, safe='')}" if cursor else "")
        page = api.ok("GET", f"/me/changes{query}", token)
        cursor = page["next_cursor"]
        items += page["items"]
        if not page["items"]:
            assert cursor is not None
            return items, cursor


def measure_lag(url: str, n: int) -> dict[str, Any]:
    api, t = Http(url), _tokens()
    campaign_id = _approved(api, t, 0, "tasting")
    readers = {"rep": t["rep"], "manager": t["manager"]}
    cursors = {who: _drain(api, token, None)[1] for who, token in readers.items()}
    samples: list[float] = []
    late: list[str] = []
    for _ in range(n):
        visit = api.ok("POST", f"/campaigns/{campaign_id}/visits", t["rep"], STORE, expect=201)
        written = time.perf_counter()
        waiting = set(readers)
        while waiting and time.perf_counter() - written < LAG_TIMEOUT:
            for who in sorted(waiting):
                items, cursors[who] = _drain(api, readers[who], cursors[who])
                if any(i["entity"] == "visit" and i["id"] == visit["id"] for i in items):
                    waiting.discard(who)
            if waiting:
                time.sleep(POLL_SECONDS)
        if waiting:
            late.append(visit["id"])
        else:
            samples.append((time.perf_counter() - written) * 1000)
    return {
        "changes_lag_ms_p50": round(percentile(samples, 50), 1) if samples else None,
        "changes_lag_ms_p99": round(percentile(samples, 99), 1) if samples and not late else None,
        "visits": n,
        "seen_in_both": len(samples),
        "not_seen_within_s": {"timeout": LAG_TIMEOUT, "visits": late},
        "samples_ms": [round(s, 1) for s in samples],
        "poll_ms": POLL_SECONDS * 1000,
    }


# -- reads and writes, in a worker with its own moto -----------------------------------------------
def measure_counts(changes: int, edits: int, timeout: float = 5400.0) -> dict[str, Any]:
    """Run the worker in its own process and return its result."""
    args = ["--changes", str(changes), "--edits", str(edits)]
    return _run_worker("bench.changes", args, timeout=timeout, env=clean_env())


def _plan() -> dict[str, Any]:
    return {
        "title": "Feed bench",
        "category": "tasting",
        "customer": {"id": "C-FEED", "name": "Bench store"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "location": {"lat": 32.0415, "lon": 118.7849},
        "plan": {"expected_spend": 200000, "expected_sales": 1000000},
        "requested_amount": 200000,
    }


def _wru_per_change(edits: int) -> tuple[dict[str, Any], Campaign]:
    """A draft edited `edits` times, each version's stream record handed to the feed's use case;
    the figures and the campaign as it ends."""
    from chalicelib.dal import images, repos
    from chalicelib.domain.access import Principal
    from chalicelib.logic import campaigns, changes

    rep = Principal("bench-feed-rep", "rep", "CN/R3/P01", name="Bench Rep")  # a region of its own
    c = campaigns.create_campaign(rep, _plan())
    old: dict[str, Any] | None = None
    recorded, wru, calls = 0, 0, 0
    for i in range(edits + 1):
        if i:
            c = campaigns.update_campaign(rep, c.id, {"title": f"Feed bench, edit {i}"})
        current = repos.campaigns().get(c.id)
        assert current is not None
        new = dict(images.campaign_image(current))
        WRITES.reset()
        outcome = changes.campaign_item_changed(old, new)
        snap = WRITES.snapshot()
        assert outcome == "recorded", outcome
        recorded += 1
        wru += snap["wru"]
        calls += sum(snap["calls"].values())
        old = new
    audiences = 4  # owner#CN|bench-feed-rep, org#CN, org#CN/R3, org#CN/R3/P01
    figures = {
        "changes_wru_per_change": round(wru / recorded, 2),
        "changes": recorded,
        "audiences": audiences,
        "wru": wru,
        "wru_per_partition_entry": round(wru / (recorded * audiences), 2),
        "write_calls": calls,
    }
    return figures, c


def _seed(partitions: list[str], n: int, image: dict[str, Any], campaign_id: str) -> float:
    """`n` more changes in each partition: the first RECORDED through the repository's own
    transaction (dal/changes.py: record), the rest batch-written as the same entries (its
    entry_item) and the head at the last seq, without their fact guards (a page's Query reads
    the `e#` range only: another sort-key range of the partition costs it nothing in DynamoDB,
    and in moto, which filters a partition in Python, only time). Moto copies every table at
    each transaction, so 20,000 transactions would take hours there; how an entry was written
    does not change what reading it costs."""
    from chalicelib import clock
    from chalicelib.dal import repos
    from chalicelib.dal.changes import HEAD, entry_item
    from chalicelib.dal.models import ChangeModel
    from chalicelib.domain.changes import Change, FeedEntry

    started = time.perf_counter()
    feed = repos.changes()

    def change(partition: str, i: int) -> Change:
        fact = f"bench|{partition}|{i}"
        return Change("campaign", campaign_id, campaign_id, "upsert", fact, {"campaign": image})

    recorded = min(n, RECORDED)
    for partition in partitions:
        for i in range(recorded):
            assert feed.record(partition, change(partition, i)) is not None
    at, written = clock.now_iso(), time.time()
    with ChangeModel.batch_write() as batch:
        for partition in partitions:
            head = int(ChangeModel.get(partition, HEAD, consistent_read=True).seq or 0)
            for i in range(recorded, n):
                seq = head + i - recorded + 1
                entry = FeedEntry(seq=seq, at=at, written=written, change=change(partition, i))
                batch.save(entry_item(partition, entry))
            batch.save(ChangeModel(partition, HEAD, seq=head + n - recorded))
    return time.perf_counter() - started


def _page_through(client: Any, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    cursor: str | None = None
    read = returned = pages = 0
    seqs: list[int] = []
    READS.reset()
    started = time.perf_counter()
    while True:
        path = f"/me/changes?limit={PAGE}" + (f"&cursor={urllib.parse.quote(cursor, safe='')}" if cursor else "")
        resp = client.http.get(path, headers=headers)
        assert resp.status_code == 200, (resp.status_code, resp.body[:500])
        body = json.loads(resp.body)
        pages += 1
        returned += len(body["items"])
        seqs += [i["seq"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not body["items"]:
            break
    read = READS.items_read
    return {
        "changes_read_amplification": round(read / returned, 3) if returned else None,
        "items_read": read,
        "items_returned": returned,
        "pages": pages,
        "in_order_once": seqs == list(range(1, len(seqs) + 1)),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _count_reads_and_writes() -> None:
    count_reads()
    count_writes()


def worker(changes: int, edits: int, out: str) -> None:
    key_dir = tempfile.mkdtemp(prefix="huixiang-bench-keys-")
    sys.path.insert(0, os.getcwd())
    with app_in_process(key_dir, _count_reads_and_writes) as client:  # the counters before any client
        from chalicelib.dal import images
        from devstack.tokens import mint_token

        writes, campaign = _wru_per_change(edits)
        log(f"changes: {writes['changes_wru_per_change']} WRU per change ({writes['audiences']} partitions each)")
        image = dict(images.campaign_image(campaign))
        partitions = ["org#CN/R1", "org#CN/R2"]
        seed_s = _seed(partitions, changes, image, campaign.id)
        log(f"changes: seeded {changes} changes in each of {partitions} in {seed_s:.0f} s")
        manager = mint_token("bench-feed-manager", "manager", "CN/R1", name="Bench Manager", key_dir=key_dir)
        reads = _page_through(client, manager)
        log(
            f"changes: paged {reads['items_returned']} changes in {reads['pages']} pages, "
            f"{reads['items_read']} items read: {reads['changes_read_amplification']}"
        )
        with open(out, "w") as fh:
            json.dump(
                {
                    "changes_read_amplification": reads["changes_read_amplification"],
                    "changes_wru_per_change": writes["changes_wru_per_change"],
                    "reads": {
                        **reads,
                        "seeded": {p: changes for p in partitions},
                        "seed_s": round(seed_s, 1),
                    },
                    "writes": writes,
                },
                fh,
            )


# -- the run ----------------------------------------------------------------------------------------
def measure(quick: bool = False, url: str | None = None) -> dict[str, Any]:
    size = SIZES[quick]
    detail: dict[str, Any] = {"sizes": size}
    with stack_at(url, detail, "changes") as base:
        lag = measure_lag(base, size["lag_visits"])
    log(f"changes: lag p50 {lag['changes_lag_ms_p50']} ms, p99 {lag['changes_lag_ms_p99']} ms")
    counts = measure_counts(size["changes"], size["edits"])
    return {
        "changes_lag_ms_p50": lag["changes_lag_ms_p50"],
        "changes_lag_ms_p99": lag["changes_lag_ms_p99"],
        "changes_read_amplification": counts["changes_read_amplification"],
        "changes_wru_per_change": counts["changes_wru_per_change"],
        "changes_detail": {
            **detail,
            "lag": lag,
            "reads": counts["reads"],
            "writes": counts["writes"],
            "command": "python -m bench.changes" + (" --quick" if quick else ""),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "percentiles": "nearest rank",
        },
    }


def table(results: dict[str, Any]) -> str:
    return target_table(results, TARGETS, ("changes_lag_ms_p50", "changes_wru_per_change"), width=28)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.changes")
    parser.add_argument("--quick", action="store_true", help="small sizes; writes nothing unless --out")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--changes", type=int, default=SIZES[False]["changes"], help=argparse.SUPPRESS)
    parser.add_argument("--edits", type=int, default=SIZES[False]["edits"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.changes, args.edits, str(args.out))
        return 0
    results = measure(quick=args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
