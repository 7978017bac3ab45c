"""Voucher benchmarks: a batch of 10,000 settled campaigns, its voucher number posted back, and
finance users racing batch creation.

* `voucher_batch_10k_s`: wall time of `create_batch` (the real use case: the accounts and the
  export state read, the conditional cut, one strongly consistent Query of the range page by
  page, both files written line by line, both uploaded, the batch marked ready) over 10,000
  settled campaigns (target ≤ 30 s), `voucher_batch_10k_peak_mb` the peak resident memory the
  creation adds (target ≤ 256 MB; a fresh worker, ru_maxrss after − RSS before), and
  `voucher_batch_items_read_per_campaign` what DynamoDB read for it ÷ 10,000 (target ≤ 1.2;
  bench._common.ReadCounter). The local stack's moto server answers from a process of its own
  (so the memory measured is the creation's, as in a Lambda function, and every call crosses
  HTTP); the export items are seeded with BatchWriteItem (what each settlement's transaction
  writes: one item per campaign).
* `voucher_posting_10k_s`: wall time of the vouchers stream's `post_to_campaigns` writing one
  voucher number on 10,000 campaigns (a GetItem and a two-item transaction each, with its
  `voucher_posted` entry), the local stack's moto server answering over HTTP (one lock for
  every DynamoDB request: its threads do not overlap there as DynamoDB's do). In production
  each campaign waits on DynamoDB (~5 ms a read, ~15 ms a transaction) and POSTING_THREADS of
  them run at once.
* `voucher_race_rounds` (and `voucher_race_ok`): rounds of two finance users creating batches
  at the same moment while a settlement lands, against the local stack's moto server (its
  atomic transactions, over HTTP): every campaign in exactly one batch, every batch balanced.

    python -m bench.vouchers [--quick] [--out PATH]     (merges into bench/results.json)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench._common import READS, app_env, clean_env, count_reads, log, publish, rss_mb, run_worker

SIZES = {
    False: {"campaigns": 10_000, "posting": 10_000, "rounds": 20},
    True: {"campaigns": 300, "posting": 100, "rounds": 3},
}
TARGETS = {
    "voucher_batch_10k_s": 30.0,
    "voucher_batch_10k_peak_mb": 256.0,
    "voucher_batch_items_read_per_campaign": 1.2,
}
TENANT = "BENCHV"


def measure(quick: bool = False) -> dict[str, Any]:
    size = SIZES[bool(quick)]
    env = clean_env(**app_env("http://127.0.0.1:1", stage="bench-vouchers"))
    env.pop("AWS_ENDPOINT_URL")  # each worker starts the moto server it talks to
    batch = run_worker("bench.vouchers", ["--part", "batch", "--n", str(size["campaigns"])], 1800, env)
    posting = run_worker("bench.vouchers", ["--part", "posting", "--n", str(size["posting"])], 3600, env)
    race = run_worker("bench.vouchers", ["--part", "race", "--n", str(size["rounds"])], 1800, env)
    n = size["campaigns"]
    return {
        "voucher_batch_10k_s": batch["seconds"],
        "voucher_batch_10k_peak_mb": batch["peak_mb"],
        "voucher_batch_items_read_per_campaign": round(batch["items_read"] / n, 4),
        "voucher_posting_10k_s": posting["seconds"],
        "voucher_race_rounds": race["rounds"],
        "voucher_race_ok": race["ok"],
        "vouchers_detail": {
            "batch": batch,
            "posting": posting,
            "race": race,
            "quick": bool(quick),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }


def table(r: dict[str, Any]) -> str:
    d = r["vouchers_detail"]
    n = d["batch"]["campaigns"]
    rows = [
        (f"voucher_batch_10k_s @{n}", f"{r['voucher_batch_10k_s']:.2f} s", "≤ 30", r["voucher_batch_10k_s"] <= 30),
        ("  files (CSV, XLSX)", f"{d['batch']['csv_kb']} / {d['batch']['xlsx_kb']} KB", "", None),
        (
            "voucher_batch_10k_peak_mb",
            f"{r['voucher_batch_10k_peak_mb']:.1f}",
            "≤ 256",
            r["voucher_batch_10k_peak_mb"] <= 256,
        ),
        (
            "voucher_batch_items_read_per_campaign",
            f"{r['voucher_batch_items_read_per_campaign']:.4f}",
            "≤ 1.2",
            r["voucher_batch_items_read_per_campaign"] <= 1.2,
        ),
        ("  queries", str(d["batch"]["queries"]), "", None),
        (f"voucher_posting_10k_s @{d['posting']['campaigns']}", f"{r['voucher_posting_10k_s']:.1f} s", "info", None),
        ("voucher_race_rounds (exactly once, balanced)", str(r["voucher_race_rounds"]), "all", r["voucher_race_ok"]),
    ]
    return "\n".join(
        f"{a:<46} {b:>16}  {c:<6} {'' if ok is None else ('ok' if ok else 'FAIL')}" for a, b, c, ok in rows
    )


# -- workers ----------------------------------------------------------------------------------------
def _setup_server() -> Any:
    """A moto server with DynamoDB's atomic transactions (devstack.atomic_moto, as the local stack
    runs it) in a thread of this process: the app talks to it over HTTP, from many threads at
    once, and the seeding reaches its backend directly."""
    from devstack.atomic_moto import start_in_thread

    server, url = start_in_thread()
    os.environ["AWS_ENDPOINT_URL"] = url
    from chalicelib.dal.models import create_tables

    create_tables()
    _create_bucket()
    return server


def _create_bucket() -> None:
    import boto3

    from chalicelib.config import settings

    boto3.client("s3", region_name=settings().region).create_bucket(Bucket=settings().reports_bucket)


def _object_kb(key: str) -> int:
    import boto3

    from chalicelib.config import settings

    head = boto3.client("s3", region_name=settings().region).head_object(Bucket=settings().reports_bucket, Key=key)
    return round(head["ContentLength"] / 1024)


def _finance() -> Any:
    from chalicelib.domain.access import Principal

    return Principal(f"fin-{TENANT}", "finance", TENANT, name="周八")


def _moto_process() -> Any:
    """The local stack's moto server (devstack.motoserver: atomic DynamoDB) in a process of its
    own, so that the memory measured here is the creation's alone, as in a Lambda function."""
    import socket
    import subprocess

    from devstack.client import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.motoserver", "--parent-pid", str(os.getpid()), "-p", str(port)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    from chalicelib.dal.models import create_tables

    create_tables()
    _create_bucket()
    return proc


def _seed_exports_over_http(n: int, start: dt.datetime) -> None:
    """n export items, as n settlements' transactions leave them (BatchWriteItem, 25 a call)."""
    import boto3

    from chalicelib.config import settings
    from chalicelib.dal.vouchers import export_pk

    client = boto3.client("dynamodb", region_name=settings().region)
    items = [_export_item(i, start) for i in range(n)]
    for at in range(0, n, 25):
        requests: list[Any] = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": export_pk(TENANT)},
                        "sk": {"S": item.key},
                        "kind": {"S": "export"},
                        "tenant": {"S": TENANT},
                        "data": {"S": json.dumps(item.as_dict(), ensure_ascii=False, separators=(",", ":"))},
                    }
                }
            }
            for item in items[at : at + 25]
        ]
        client.batch_write_item(RequestItems={settings().vouchers_table: requests})


def _export_item(i: int, start: dt.datetime) -> Any:
    from chalicelib.config import settings
    from chalicelib.domain.vouchers import ExportItem

    categories = settings().categories
    at = (start + dt.timedelta(seconds=i)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return ExportItem(
        campaign_id=f"C{i:025d}",
        settled_at=at,
        amount=10_000 + (i * 7919) % 990_000,
        category=categories[i % len(categories)],
        title=f"周末品鉴会 第{i}场",
        customer_name="苏果超市新街口店",
        owner="李雷",
        owner_id="rep-1",
        org=f"{TENANT}/EAST/JS",
        invoices=(f"{24320000000000000000 + i}",),
    )


def worker_batch(n: int) -> dict[str, Any]:
    count_reads()  # before the first DynamoDB client
    moto = _moto_process()
    from chalicelib.logic import vouchers

    fin = _finance()
    vouchers.set_accounting(fin, "6601", "2202", {"tasting": "6601.01", "display": "6601.02"})
    started = time.perf_counter()
    _seed_exports_over_http(n, dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    log(f"vouchers: seeded {n} export items in {time.perf_counter() - started:.1f} s")
    import xlsxwriter  # noqa: F401  # imported before RSS is read: imports are not the batch's memory

    import chalicelib.reporting.vouchers  # noqa: F401

    before = rss_mb()
    READS.reset()
    started = time.perf_counter()
    batch = vouchers.create_batch(fin, None)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reads = READS.snapshot()
    assert batch.campaigns == n and batch.total is not None, batch
    result = {
        "campaigns": n,
        "seconds": round(seconds, 2),
        "peak_mb": round(max(peak - before, 0.0), 1),
        "rss_before_mb": round(before, 1),
        "max_rss_mb": round(peak, 1),
        "items_read": reads["items_read"],
        "queries": reads["calls"].get("Query", 0),
        "calls": reads["calls"],
        "total_fen": batch.total,
        "csv_kb": _object_kb(batch.artifacts["csv"]),
        "xlsx_kb": _object_kb(batch.artifacts["xlsx"]),
    }
    moto.terminate()
    return result


def worker_posting(n: int) -> dict[str, Any]:
    """One campaign settled through the use cases, cloned n times (item and export item)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.config import settings
    from chalicelib.dal import repos
    from chalicelib.dal.models import CampaignModel
    from chalicelib.dal.vouchers import export_pk
    from chalicelib.domain.access import Principal
    from chalicelib.domain.vouchers import export_item
    from chalicelib.logic import campaigns, settlement, vouchers
    from tests.conftest import campaign_body

    server = _setup_server()
    fin = _finance()
    rep = Principal("rep-1", "rep", f"{TENANT}/EAST/JS", name="李雷")
    mgr = Principal("mgr-1", "manager", f"{TENANT}/EAST", name="赵四")
    vouchers.set_accounting(fin, "6601", "2202", None)
    ended = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    c = campaigns.create_campaign(rep, campaign_body(start_date=ended, end_date=ended, requested_amount=100000))
    campaigns.submit_campaign(rep, c.id)
    campaigns.approve_campaign(mgr, c.id, 100000, None)
    settled = settlement.settle(fin, c.id, None, None)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    ctable, vtable = backend.get_table(settings().campaigns_table), backend.get_table(settings().vouchers_table)
    original = CampaignModel.get(c.id).serialize()
    for i in range(1, n):
        clone_id = f"{c.id[:16]}{i:010d}"
        ctable.put_item({**original, "id": {"S": clone_id}})
        item = export_item(settled, [])
        item = type(item)(**{**item.__dict__, "campaign_id": clone_id})
        vtable.put_item(
            {
                "pk": {"S": export_pk(TENANT)},
                "sk": {"S": item.key},
                "kind": {"S": "export"},
                "tenant": {"S": TENANT},
                "data": {"S": json.dumps(item.as_dict(), ensure_ascii=False)},
            }
        )
    batch = vouchers.create_batch(fin, None)
    assert batch.campaigns == n, batch
    vouchers.post_batch(fin, batch.id, "记-2026-12-0001")
    started = time.perf_counter()
    outcome = vouchers.post_to_campaigns(TENANT, batch.id)
    seconds = time.perf_counter() - started
    done = repos.vouchers().batch(TENANT, batch.id)
    assert outcome == "posted" and done is not None and done.campaigns_posted == n, (outcome, done)
    server.shutdown()
    return {"campaigns": n, "seconds": round(seconds, 1), "per_campaign_ms": round(seconds / n * 1000, 2)}


def worker_race(rounds: int) -> dict[str, Any]:
    """Two finance users at once, and a settlement landing, against a moto server with
    DynamoDB's atomic transactions (devstack.atomic_moto, as the local stack runs it)."""
    server = _setup_server()
    from chalicelib.clock import now_iso
    from chalicelib.dal import repos
    from chalicelib.domain.access import Principal
    from chalicelib.domain.errors import Conflict, StaleWrite
    from chalicelib.domain.pages import PageRequest
    from chalicelib.domain.vouchers import ExportItem
    from chalicelib.logic import vouchers

    fin, fin2 = _finance(), Principal(f"fin2-{TENANT}", "finance", TENANT, name="吴九")
    vouchers.set_accounting(fin, "6601", "2202", None)
    queued: dict[str, int] = {}
    lost_settlements = 0

    def settle(i: int) -> None:
        """A settlement's part: its export item, in a transaction with the watermark's check."""
        nonlocal lost_settlements
        for _ in range(20):  # as settle's retry_on_stale: a later settled time after a lost race
            item = ExportItem(f"R{i:025d}", now_iso(), 1000 + i, "tasting", "品鉴", "门店", "李雷", "rep-1", TENANT)
            try:
                repos.vouchers().queue(TENANT, item)
            except StaleWrite:
                lost_settlements += 1
                continue
            queued[item.campaign_id] = item.amount
            return
        raise AssertionError("a settlement never got through")

    def create(who: Principal, out: list[Any]) -> None:
        try:
            out.append(vouchers.create_batch(who, None))
        except Conflict as e:
            out.append(e.code)

    n = 0
    outcomes: list[Any] = []
    for _ in range(rounds):
        for _ in range(2):
            settle(n := n + 1)
        got: list[Any] = []
        threads = [
            threading.Thread(target=create, args=(fin, got)),
            threading.Thread(target=create, args=(fin2, got)),
            threading.Thread(target=settle, args=(n := n + 1,)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes += got
    create(fin, outcomes)
    batches = [b for b in outcomes if not isinstance(b, str)]
    refusals = [b for b in outcomes if isinstance(b, str)]
    seen: list[str] = []
    balanced = True
    for b in batches:
        items = list(repos.vouchers().exported(TENANT, b.since, b.until))
        seen += [i.campaign_id for i in items]
        balanced &= sum(i.amount for i in items) == b.total and b.campaigns == len(items)
    listed = repos.vouchers().batches(TENANT, PageRequest(limit=200)).items
    ok = sorted(seen) == sorted(queued) and balanced and len(listed) == len(batches)
    server.shutdown()
    return {
        "rounds": rounds,
        "ok": ok,
        "campaigns": len(queued),
        "batches": len(batches),
        "refusals": {code: refusals.count(code) for code in set(refusals)},
        "settlements_retried": lost_settlements,
        "in_two_batches": len(seen) - len(set(seen)),
        "left_out": len(set(queued) - set(seen)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vouchers")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, os.getcwd())
        workers = {"batch": worker_batch, "posting": worker_posting, "race": worker_race}
        Path(args.out).write_text(json.dumps(workers[args.part](args.n)))
        return 0
    results = measure(args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
