"""Evaluation benchmarks: summary scaling, items read, report compilation, exact roll-ups.

    python -m bench.evaluation [--size full|quick|smoke] [--out PATH]

A worker process (its own environment and in-process moto server, like tests/conftest.py)
seeds companies through the repository layer (never HTTP), then measures, side by side in
one run:

* `summary_scaling_ratio` — median time of `GET /reports/summary?group_by=category` over a
  year (as the company's leader, through chalice.test.Client) for a company with 200,000
  campaigns ÷ the same for one with 10,000; calls alternate between the two. Target ≤ 1.3.
* `summary_items_read` — DynamoDB items that query reads (ScannedCount, counted by a
  botocore hook on every DynamoDB client), for the 200,000-campaign company.
* `report_compile_s` / `report_compile_peak_mb` — compiling the group report (roll-ups,
  overdue list, HTML, XLSX, CSV, S3 puts) for a month of 200,000 campaigns; time of a plain
  run, then peak traced Python memory (tracemalloc) of a second run.
* `rollup_exact` — true when, after a fault-injected replay of the campaigns stream (random
  batch splits, a failure injected into a quarter of the records' transactions on first
  try, every record delivered again at the end), every roll-up row equals a recompute.

Seeding: campaigns are generated as domain objects; their roll-ups are summed with the same
`contribution()` the stream handler applies and written with `RollupRepository.put_rows`.
The campaigns table receives the campaigns the report compiler reads: those whose feedback
is overdue (capped, since the report lists at most 1000). For `rollup_exact` every campaign
and every change goes through `CampaignRepository`, so the real stream carries them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict
from unittest import mock

from bench._common import READS as COUNTER  # one definition of "items read"
from bench._common import count_reads, merge_results

if TYPE_CHECKING:
    from chalicelib.dal.rollups import RollupRepository
    from chalicelib.domain.campaign import Campaign
    from chalicelib.domain.rollups import Metrics, Placement, RowKey

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


class Size(TypedDict):
    small: int  # campaigns of the smaller company of the summary's pair
    large: int  # … and of the larger
    report: int  # campaigns in the month the report compiles
    exact: int  # campaigns written through the real stream for rollup_exact
    summary_calls: int  # summary requests per company


SIZES: dict[str, Size] = {
    "full": {"small": 10_000, "large": 200_000, "report": 200_000, "exact": 60, "summary_calls": 25},
    "quick": {"small": 1_000, "large": 20_000, "report": 20_000, "exact": 30, "summary_calls": 5},
    "smoke": {"small": 100, "large": 2_000, "report": 2_000, "exact": 8, "summary_calls": 2},  # for make test
}
TARGET_SCALING = 1.3
SEED = 20261123
CATEGORIES = ("tasting", "display", "roadshow", "in_store_promotion")
REGIONS, PROVINCES_PER_REGION, REPS_PER_PROVINCE, CUSTOMERS_PER_PROVINCE = 3, 10, 5, 20
OVERDUE_WRITTEN = 3000


def log(msg: str) -> None:
    print(f"[bench.evaluation] {msg}", file=sys.stderr, flush=True)


# -- parent side ------------------------------------------------------------------------------
def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def measure(size: str = "full", timeout: float = 3600.0) -> dict[str, Any]:
    """Run the worker in a clean child process and return its results."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HUIXIANG_", "POWERTOOLS_", "JWKS", "TOKEN_"))
    }
    fd, out = tempfile.mkstemp(prefix="huixiang-bench-eval-", suffix=".json")
    os.close(fd)
    cmd = [_python(), "-m", "bench.evaluation", "--worker", "--out", out, "--size", size]
    with tempfile.TemporaryFile() as app_log:
        proc = subprocess.run(cmd, cwd=str(ROOT), env=env, stdout=app_log, stderr=sys.stderr, timeout=timeout)
        if proc.returncode != 0:
            app_log.seek(0)
            tail = app_log.read()[-3000:].decode(errors="replace")
            raise RuntimeError(f"bench.evaluation worker failed ({proc.returncode}):\n{tail}")
    results: dict[str, Any] = json.loads(Path(out).read_text())
    return results


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Table rows (metric, value, target, ok?) in the style of bench/__init__.py."""
    out: list[tuple[str, str, str, str]] = []
    if "summary_scaling_ratio" in results:
        r = results["summary_scaling_ratio"]
        out.append(
            ("summary_scaling_ratio", f"{r:.3f}", f"≤ {TARGET_SCALING}", "ok" if r <= TARGET_SCALING else "FAIL")
        )
        out.append(("summary_items_read", str(results.get("summary_items_read")), "(constant)", ""))
    if "report_compile_s" in results:
        out.append(("report_compile_s", f"{results['report_compile_s']:.3f} s", "—", ""))
        out.append(("report_compile_peak_mb", f"{results['report_compile_peak_mb']:.1f} MB", "—", ""))
    if "median_relative_error_worst" in results:
        detail = results.get("median_relative_error_detail") or {}
        out.append(
            (
                "median_relative_error_worst",
                f"{results['median_relative_error_worst']:.2%}",
                "0 ≤ 50, ≤ 1%",
                "ok"
                if detail.get(f"worst_up_to_{EXACT_UP_TO}") == 0 and results["median_relative_error_worst"] <= 0.01
                else "FAIL",
            )
        )
        for part in (f"worst_up_to_{EXACT_UP_TO}", f"worst_above_{EXACT_UP_TO}"):
            if part in detail:
                out.append((f"  median error, groups {part[6:].replace('_', ' ')}", f"{detail[part]:.2%}", "", ""))
    if "rollup_exact" in results:
        out.append(
            ("rollup_exact", str(results["rollup_exact"]).lower(), "true", "ok" if results["rollup_exact"] else "FAIL")
        )
    return out


# -- worker: environment and counting -----------------------------------------------------------
def _environment(key_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    import logging

    from devstack.atomic_moto import start_in_thread
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _, jwks = ensure_keys(Path(key_dir))
    _, endpoint = start_in_thread()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "HUIXIANG_STAGE": "bench",
            "HUIXIANG_CATEGORIES": ",".join(CATEGORIES),
            "JWKS_PATH": str(jwks),
            "TOKEN_ISSUER": ISSUER,
            "TOKEN_AUDIENCE": AUDIENCE,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    count_reads()
    import boto3

    from chalicelib.config import settings
    from chalicelib.dal.models import create_tables
    from devstack.evaluation import create_resources

    create_tables()
    boto3.client("s3").create_bucket(Bucket=settings().attachments_bucket)
    create_resources()


# -- worker: a generated company ----------------------------------------------------------------
def generate(tenant: str, n: int, months: list[str], rng: random.Random) -> Iterator[Campaign]:
    """n domain Campaigns over `months`: 80 % approved, of those 60 % fed back, half required."""
    from chalicelib.domain.campaign import Campaign, RuleRef

    provinces = [
        f"{tenant}/R{r + 1}/P{r * PROVINCES_PER_REGION + p + 1:02d}"
        for r in range(REGIONS)
        for p in range(PROVINCES_PER_REGION)
    ]
    rule = RuleRef("RULE-ALL", "category", 7, 0)
    for i in range(n):
        org = provinces[rng.randrange(len(provinces))]
        p = org.rsplit("/", 1)[1]
        month = months[rng.randrange(len(months))]
        day = rng.randint(1, 20)
        spend = rng.randint(10, 500) * 1000
        c = Campaign(
            id=f"{tenant}-{i:07d}",
            org=org,
            owner_id=f"rep-{p}-{rng.randint(1, REPS_PER_PROVINCE)}",
            owner_name=f"Rep {p}",
            title=f"Campaign {i}",
            category=rng.choice(CATEGORIES),
            customer_id=f"C-{p}-{min(int(rng.paretovariate(1.2)), CUSTOMERS_PER_PROVINCE):02d}",
            customer_name="Customer",
            start_date=f"{month}-{day:02d}",
            end_date=f"{month}-{day + 2:02d}",
            expected_spend=spend,
            expected_sales=spend * rng.randint(2, 8),
            requested_amount=spend,
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            owner_email=f"rep-{p}@example.com",
        )
        roll = rng.random()
        if roll < 0.8:
            c.status, c.approved_amount = "approved", spend
            c.rule = rule if rng.random() < 0.5 else None
            if rng.random() < 0.6:
                c.feedback_revision, c.feedback_kind = 1, "passive" if c.rule else "active"
                c.actual_spend = int(spend * rng.uniform(0.5, 1.1))
                c.actual_sales = int(c.expected_sales * rng.uniform(0.2, 1.6))
                if rng.random() < 0.5:
                    c.reimbursement_status, c.reimbursed_amount = "reimbursed", min(c.actual_spend, spend)
                else:
                    c.reimbursement_status = "unlocked"
            else:
                c.reimbursement_status = "locked" if c.rule else "unlocked"
        else:
            c.status = "submitted"
        yield c


def seed_rollups(campaigns: Iterable[Campaign]) -> tuple[int, list[Campaign]]:
    """Sum contributions in memory and write the rows; returns (rows, overdue campaigns)."""
    from chalicelib.clock import business_today
    from chalicelib.dal import repos
    from chalicelib.domain.rollups import add_into, contribution

    today = business_today()
    rows: dict[RowKey, Metrics] = {}
    labels: dict[RowKey, str] = {}
    overdue: list[Campaign] = []
    for c in campaigns:
        for key, metrics in contribution(c).items():
            add_into(rows.setdefault(key, {}), metrics)
            if key.dim in ("customer", "owner"):
                labels[key] = c.customer_name if key.dim == "customer" else c.owner_name
        if (
            c.status == "approved"
            and c.feedback_revision == 0
            and (due := c.feedback_due_date) is not None  # a rule requires it
            and due < today
            and len(overdue) < OVERDUE_WRITTEN
        ):
            overdue.append(c)
    return repos.rollups().put_rows(rows, labels), overdue


def write_campaigns(campaigns: Iterable[Campaign]) -> None:
    from chalicelib.dal.campaigns import to_model
    from chalicelib.dal.models import CampaignModel

    with CampaignModel.batch_write() as batch:
        for c in campaigns:
            batch.save(to_model(c))


def year_months(year: int = 2026) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


# -- worker: the measurements -------------------------------------------------------------------
def _settle_heap() -> None:
    """Move everything seeded so far (moto's in-process store: millions of objects) out of the
    garbage collector's reach, so a full collection over moto's data does not land at random
    in the middle of a timed call of ours."""
    import gc

    gc.collect()
    gc.freeze()


def bench_summary(size: Size, key_dir: str) -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from devstack.tokens import mint_token

    rng = random.Random(SEED)
    companies = {"small": ("Y10K", size["small"]), "large": ("Y200K", size["large"])}
    seeded: dict[str, dict[str, Any]] = {}
    for label, (tenant, n) in companies.items():
        started = time.perf_counter()
        written, _ = seed_rollups(generate(tenant, n, year_months(), rng))
        seeded[label] = {
            "tenant": tenant,
            "campaigns": n,
            "rollup_rows": written,
            "seed_s": round(time.perf_counter() - started, 1),
        }
        log(f"summary: seeded {tenant} ({n} campaigns, {written} roll-up rows)")
    _settle_heap()
    path = "/reports/summary?group_by=category&from=2026-01&to=2026-12"
    times: dict[str, list[float]] = {"small": [], "large": []}
    reads: dict[str, list[int]] = {"small": [], "large": []}
    bodies: dict[str, Any] = {}
    with Client(app, stage_name="dev") as client:
        tokens = {
            label: mint_token(f"lead-{t}", "leader", t, key_dir=Path(key_dir)) for label, (t, _) in companies.items()
        }
        for label in ("small", "large"):  # warm-up: imports, connections
            client.http.get(path, headers={"Authorization": f"Bearer {tokens[label]}"})
        for _ in range(size["summary_calls"]):
            for label in ("small", "large"):
                COUNTER.reset()
                started = time.perf_counter()
                resp = client.http.get(path, headers={"Authorization": f"Bearer {tokens[label]}"})
                times[label].append((time.perf_counter() - started) * 1000)
                reads[label].append(COUNTER.items_read)
                if resp.status_code != 200:
                    raise RuntimeError(
                        f"summary {label}: {resp.status_code} {resp.body[:300].decode(errors='replace')}"
                    )
                bodies[label] = json.loads(resp.body)
    campaigns_seen = {label: sum(r["campaigns"] for r in bodies[label]["items"]) for label in bodies}
    small_ms, large_ms = statistics.median(times["small"]), statistics.median(times["large"])
    return {
        "summary_scaling_ratio": round(large_ms / small_ms, 3),
        "summary_items_read": max(reads["large"]),
        "summary_detail": {
            "path": path,
            "as": "leader of the company",
            "calls_each": size["summary_calls"],
            "median_ms": {"10k": round(small_ms, 2), "200k": round(large_ms, 2)},
            "items_read": {"10k": max(reads["small"]), "200k": max(reads["large"])},
            "approved_campaigns_in_result": {"10k": campaigns_seen["small"], "200k": campaigns_seen["large"]},
            "seeded": seeded,
            "order": "alternating small, large after one warm-up call each",
        },
    }


def bench_report(size: Size) -> dict[str, Any]:
    import tracemalloc

    from chalicelib.logic.reports import compile_report, request_reports

    rng = random.Random(SEED + 1)
    tenant = "M200K"
    written, overdue = seed_rollups(generate(tenant, size["report"], ["2026-11"], rng))
    write_campaigns(overdue)
    log(
        f"report: seeded {tenant} ({size['report']} campaigns in 2026-11, {written} rows, {len(overdue)} overdue written)"
    )
    report = request_reports(tenant, "2026-11", "on_demand")[0]
    _settle_heap()
    COUNTER.reset()
    started = time.perf_counter()
    outcome = compile_report(tenant, report["id"])
    elapsed = time.perf_counter() - started
    items_read = COUNTER.items_read
    second = request_reports(tenant, "2026-11", "on_demand")[0]
    tracemalloc.start()
    compile_report(tenant, second["id"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "report_compile_s": round(elapsed, 3),
        "report_compile_peak_mb": round(peak / 1e6, 2),
        "report_detail": {
            "campaigns_in_month": size["report"],
            "rollup_rows": written,
            "outcome": outcome,
            "overdue_campaigns_written": len(overdue),
            "items_read": items_read,
            "peak": "tracemalloc peak of a second compile (Python allocations, XlsxWriter included)",
            "artifacts": ["html", "xlsx", "csv"],
        },
    }


MEDIAN_GROUPINGS = ("category", "region", "province", "owner", "customer", "month")
EXACT_UP_TO = 50  # campaigns in a group whose medians must be exact


def _true_medians(campaigns: Iterable[Campaign], group_by: str) -> dict[str, tuple[int, float | None, float | None]]:
    """{group: (fed back, median 1 + ROI, median cost ratio)} from the campaigns' own figures,
    as the API shows each campaign (figures.roi, figures.ratio)."""
    from chalicelib.domain import figures
    from chalicelib.domain import org as orgs

    level = {"region": 2, "province": 3}
    values: dict[str, tuple[list[int], list[int]]] = {}  # the figures as value keys
    for c in campaigns:
        if c.status != "approved" or not c.feedback_revision:
            continue
        if group_by in level:
            group = orgs.ancestor(c.org, level[group_by]) or c.org
        else:
            group = {"category": c.category, "owner": c.owner_id, "customer": c.customer_id}.get(group_by) or (
                c.start_date[:7]
            )
        rois, costs = values.setdefault(group, ([], []))
        roi = figures.value_key(figures.roi(c.actual_sales, c.actual_spend))
        cost = figures.value_key(figures.ratio(c.actual_spend, c.actual_sales))
        if roi is not None:
            rois.append(roi)
        if cost is not None:
            costs.append(cost)

    def median(keys: list[int]) -> float | None:  # shown with the API's 4 decimals
        return round(statistics.median(keys) / figures.VALUE_SCALE, 4) if keys else None

    return {
        g: (max(len(r), len(k)), None if (m := median(r)) is None else 1 + m, median(k)) for g, (r, k) in values.items()
    }


def bench_medians(size: Size) -> dict[str, Any]:
    """The worst relative error of the summary's median ROI (as the multiple 1 + ROI, the value
    the roll-ups count) and median cost ratio against the campaigns' own figures, over every
    group of a synthetic year, for groups of up to 50 campaigns and for larger ones."""
    from chalicelib.clock import business_today
    from chalicelib.domain.access import Scope
    from chalicelib.logic.evaluation import summary_rows

    rng = random.Random(SEED + 3)
    tenant = "MEDIAN"
    campaigns = list(generate(tenant, size["small"], year_months(), rng))
    seed_rollups(campaigns)
    worst = {"small": 0.0, "large": 0.0}
    groups = {"small": 0, "large": 0}
    example: dict[str, dict[str, Any]] = {}
    for group_by in MEDIAN_GROUPINGS:
        truth = _true_medians(campaigns, group_by)
        for row in summary_rows(Scope(tenant, tenant), group_by, "2026-01", "2026-12", business_today()):
            fed, roi_multiple, cost = truth.get(row["group"], (0, None, None))
            if not fed:
                continue
            kind = "small" if fed <= EXACT_UP_TO else "large"
            groups[kind] += 1
            for true, got in ((roi_multiple, row["median_roi"]), (cost, row["median_cost_ratio"])):
                if true is None or got is None:
                    continue
                if got is row["median_roi"]:
                    got = 1 + got
                error = abs(got - true) / true if true else abs(got)
                if error > worst[kind]:
                    worst[kind] = error
                    example[kind] = {"group_by": group_by, "group": row["group"], "campaigns": fed, "true": true}
                    example[kind]["shown"] = got
    return {
        "median_relative_error_worst": round(max(worst.values()), 5),
        "median_relative_error_detail": {
            "campaigns": len(campaigns),
            "groupings": list(MEDIAN_GROUPINGS),
            "groups": groups,
            f"worst_up_to_{EXACT_UP_TO}": round(worst["small"], 5),
            f"worst_above_{EXACT_UP_TO}": round(worst["large"], 5),
            "worst_examples": example,
            "measure": "|median shown − median of the campaigns' own figures| ÷ the latter; ROI as 1 + ROI",
        },
    }


def bench_exact(size: Size) -> dict[str, Any]:
    """Real campaign writes, their real stream records, a fault-injected replay, a recompute."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from app import app
    from chalicelib.config import settings
    from chalicelib.dal import repos
    from chalicelib.dal import rollups as dal
    from chalicelib.domain.campaign import proposed_amount
    from devstack.streams import LambdaContext, lambda_event, read_records
    from tools.verify_rollups import verify

    rng = random.Random(SEED + 2)
    tenant = "EXACT"
    campaigns = list(generate(tenant, size["exact"], ["2026-09", "2026-10", "2026-11"], rng))
    changes = 0
    for c in campaigns:
        target = (c.status, c.approved_amount, c.feedback_revision, c.actual_spend, c.actual_sales)
        c.status, c.approved_amount, c.feedback_revision, c.feedback_kind = "draft", None, 0, None
        c.actual_spend = c.actual_sales = None
        reimbursement = (c.reimbursement_status, c.reimbursed_amount)
        c.reimbursement_status, c.reimbursed_amount = "not_eligible", None
        repos.campaigns().insert(c)
        approved_amount = target[1]
        if target[0] == "approved" and approved_amount is not None:
            c.status, c.approved_amount, c.reimbursement_status = "approved", approved_amount, "unlocked"
            repos.campaigns().save(c)
            changes += 1
            for _ in range(rng.randint(0, 3)):  # feedback revisions
                c.feedback_revision += 1
                c.feedback_kind = "passive" if c.rule else "active"
                c.actual_spend, c.actual_sales = rng.randint(0, 9) * 10000, rng.randint(0, 40) * 10000
                repos.campaigns().save(c)
                changes += 1
            if rng.random() < 0.2:  # moved to another month and category
                c.start_date, c.category = "2026-12-01", rng.choice(CATEGORIES)
                repos.campaigns().save(c)
                changes += 1
            if c.feedback_revision and reimbursement[0] == "reimbursed":
                c.reimbursement_status = "reimbursed"
                c.reimbursed_amount = proposed_amount(c.actual_spend, approved_amount)
                repos.campaigns().save(c)
                changes += 1
    records = [
        r
        for r in read_records(settings().campaigns_table)
        if (r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage") or {}).get("tenant", {}).get("S") == tenant
    ]
    handler = app.handler_map["on_campaign_change"]
    real = dal.RollupRepository.apply
    failed: set[str] = set()
    # every fourth record fails on its first delivery: chosen by position, not by the stream's
    # event ids (random, so a small run could otherwise inject nothing and test nothing)
    victims = {r["eventID"] for i, r in enumerate(records) if i % 4 == 1}

    def flaky(
        self: RollupRepository,
        event_id: str,
        rows: dict[RowKey, Metrics],
        labels: dict[RowKey, str] | None = None,
        placed: Placement | None = None,
    ) -> bool:
        if event_id in victims and event_id not in failed:
            failed.add(event_id)
            raise RuntimeError("injected failure")
        return real(self, event_id, rows, labels, placed)

    invocations = 0
    with mock.patch.object(dal.RollupRepository, "apply", flaky):
        pending = list(records)
        while pending:
            batch = pending[: rng.randint(1, 25)]
            invocations += 1
            try:
                payload = handler(
                    json.loads(json.dumps(lambda_event(batch))),
                    LambdaContext("on_campaign_change", "arn:local", 512, 60),
                )
            except BatchProcessingError:
                continue  # every record of the batch failed: the invocation fails, Lambda sends it again
            failed_ids = {f["itemIdentifier"] for f in payload.get("batchItemFailures", [])}
            first = next((i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed_ids), None)
            pending = (batch[first:] if first is not None else []) + pending[len(batch) :]
        for start in range(0, len(records), 50):  # a replay of everything
            payload = handler(
                json.loads(json.dumps(lambda_event(records[start : start + 50]))),
                LambdaContext("on_campaign_change", "arn:local", 512, 60),
            )
            invocations += 1
            if payload.get("batchItemFailures"):
                raise RuntimeError(f"replay failed: {payload}")
    differences = verify(tenant)
    return {
        "rollup_exact": not differences,
        "rollup_exact_detail": {
            "campaigns": len(campaigns),
            "changes": changes,
            "stream_records": len(records),
            "injected_failures": len(failed),
            "invocations": invocations,
            "differences": differences[:20],
        },
    }


def worker(size_name: str, out: str) -> None:
    key_dir = tempfile.mkdtemp(prefix="huixiang-bench-keys-")
    _environment(key_dir)
    size = SIZES[size_name]
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    parts: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("exact", lambda: bench_exact(size)),
        ("medians", lambda: bench_medians(size)),
        ("summary", lambda: bench_summary(size, key_dir)),
        ("report", lambda: bench_report(size)),
    ]
    for name, run in parts:
        started = time.perf_counter()
        try:
            results.update(run())
        except Exception as exc:  # recorded; the others still run
            import traceback

            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {exc}"[:500]
        seconds[name] = round(time.perf_counter() - started, 1)
        log(f"{name} done in {seconds[name]} s")
    results["evaluation_bench_run"] = {
        "size": size_name,
        "sizes": size,
        "seconds": seconds,
        "finished_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if errors:
        results["evaluation_errors"] = errors
    Path(out).write_text(json.dumps(results, indent=2, sort_keys=True, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size",
        choices=list(SIZES),
        default="full",
        help="full (the numbers that count), quick or smoke; only full writes results by default",
    )
    parser.add_argument("--quick", action="store_const", const="quick", dest="size", help="--size quick")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", type=Path, default=None, help="results file to merge into (default bench/results.json)"
    )
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.size, str(args.out))
        return 0
    results = measure(args.size)
    for metric, value, target, verdict in rows(results):
        print(f"{metric:28} {value:>14}  {target:10} {verdict}")
    for name, error in (results.get("evaluation_errors") or {}).items():
        print(f"{name} (error): {error}")
    out = args.out if args.out is not None else (RESULTS if args.size == "full" else None)
    if out is not None:
        merge_results(out, results, stale=("evaluation_errors",))
    return 1 if results.get("evaluation_errors") else 0


if __name__ == "__main__":
    sys.exit(main())
