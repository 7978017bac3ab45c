"""Money control's figures (issue 9): what a budget costs an approval, how a budget holds under
a burst of approvals, how long an audit trail takes to verify, and what /me/approvals reads.

On one local stack (`python -m devstack run`, PORT=<free port>), over HTTP only:

* `approval_with_budget_ms` / `approval_without_budget_ms` (and `approval_budget_ms_ratio`):
  `POST /campaigns/{id}/approve` of a submitted campaign, one request at a time, in a company
  whose root has a budget covering it (the approval reserves, books a ledger entry and three
  audit entries) and in one without any budget (two audit entries); the two alternate, after
  a warm-up; median (and p90) of the round trip.
* `budget_race_100`: 100 submitted campaigns of one company, one budget with room for exactly
  37 of them (and half a campaign more); 100 threads, each on its own connection, approve one
  campaign each at the same moment. Approved count, the other answers, the budget's final
  `available`, the difference between the ledger replayed (GET /budgets/{id}/entries, as
  API.md defines each kind) and the budget's figures (must be 0), and the wall time from the
  release of the threads to the last answer.
* `audit_verify_ms_50`: `GET /campaigns/{id}/audit` of a campaign whose trail has exactly 50
  entries (created, edits and attachments while a draft, then submitted, approval_step,
  approved); the server recomputes the whole chain on every read. Median of the round trip;
  the chain is verified offline here too (SHA-256 as API.md defines it).

In a worker process of its own (the app in-process, an in-process moto, as
bench.read_amplification):

* `approval_wru_with_budget` / `approval_wru_without_budget` (and `approval_wru_ratio`): the
  write request units of the same two approvals, priced as DynamoDB prices them
  (bench._common.WriteCounter with infra.capacity's rules, those of the cost model: the larger
  item image per started KB, ×2 inside a transaction, plus each index entry written; moto's
  ReturnConsumedCapacity is constant, so it is not used).
* `me_approvals_read_amplification`: items read ÷ items returned by `GET /me/approvals`
  (two pages of 50) at N campaigns (20,000) with an approval policy set, for a province
  manager, a region manager and a leader (target ≤ 2), counted by bench._common.ReadCounter;
  callers holding a delegation are shown for information.

    python -m bench.money [--quick] [--out PATH]

prints the table and merges the figures into bench/results.json (`--quick`: small sizes,
nothing written unless --out is given).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from bench._common import (
    Http,
    WriteSnapshot,
    clean_env,
    log,
    median,
    percentile,
    publish,
    run_worker,
)

if TYPE_CHECKING:
    from chalice.test import Client

    from bench.read_amplification import Route, RouteResult, Who
    from chalicelib.domain.approval import ApprovalPolicy


class Size(TypedDict):
    approval_pairs: int  # approvals timed with and without a budget, alternating
    wru_approvals: int  # approvals whose write units are counted, each kind
    race: int  # approvals racing on one budget
    race_room: int  # how many of them the budget has room for
    audit_entries: int  # the length of the trail read and verified
    audit_reads: int
    campaigns: int  # seeded for /me/approvals


class Race(TypedDict):
    """`budget_race_<n>`: n approvals at once on a budget with room for `room_for`."""

    campaigns: int
    room_for: int
    approved: int
    refused_budget_exceeded: int
    other_answers: dict[str, int]  # "<status> <code>": how many (must be none)
    campaigns_by_status: dict[str, int]
    budget_amount: int
    final_available: int
    expected_available: int
    final_reserved: int
    ledger_replay_difference: int  # the ledger replayed against the budget's figures (must be 0)
    wall_ms: float
    request_ms_p50: float
    request_ms_max: float


SIZES: dict[bool, Size] = {
    False: {
        "approval_pairs": 30,
        "wru_approvals": 5,
        "race": 100,
        "race_room": 37,
        "audit_entries": 50,
        "audit_reads": 30,
        "campaigns": 20000,
    },
    True: {
        "approval_pairs": 4,
        "wru_approvals": 2,
        "race": 20,
        "race_room": 7,
        "audit_entries": 50,
        "audit_reads": 5,
        "campaigns": 500,
    },
}
TARGET_READ_AMPLIFICATION = 2.0
AMOUNT = 100_000  # fen requested and approved per campaign
#: the approval policy of the /me/approvals seed: every chain length occurs among its amounts
POLICY = {
    "levels": [
        {"up_to": 150_000, "approver": "province"},
        {"up_to": 350_000, "approver": "region"},
        {"up_to": None, "approver": "leader"},
    ]
}


# ---------------------------------------------------------------------------------------------
# over HTTP
# ---------------------------------------------------------------------------------------------
class Company:
    """A fresh company on the stack: a rep, the manager over them, a leader (local tokens)."""

    def __init__(self, prefix: str, key_dir: str | None = None) -> None:
        from devstack.tokens import mint_token

        self.root = prefix + uuid.uuid4().hex[:8].upper()
        self.region, self.province = f"{self.root}/EAST", f"{self.root}/EAST/JS"
        keys = key_dir or None  # None: the default key directory (var/jwt), the stack's
        self.rep = mint_token(f"rep-{self.root}", "rep", self.province, name="Bench Rep", key_dir=keys)
        self.manager = mint_token(f"mgr-{self.root}", "manager", self.region, name="Bench Manager", key_dir=keys)
        self.leader = mint_token(f"lead-{self.root}", "leader", self.root, name="Bench Leader", key_dir=keys)


def _start_date() -> str:
    return (dt.date.today() + dt.timedelta(days=10)).isoformat()


def campaign_body(i: int, amount: int = AMOUNT) -> dict[str, Any]:
    """An application of its own customer (so no two overlap: no duplicate warnings to look up)."""
    start = _start_date()
    return {
        "title": f"Money bench {i}",
        "category": "tasting",
        "customer": {"id": f"C-MONEY-{i}", "name": f"Bench store {i}"},
        "start_date": start,
        "end_date": start,
        "plan": {"expected_spend": amount, "expected_sales": amount * 5},
        "requested_amount": amount,
    }


def submitted(http: Http, co: Company, i: int, amount: int = AMOUNT) -> str:
    c = http.ok("POST", "/campaigns", co.rep, campaign_body(i, amount), expect=201)
    http.ok("POST", f"/campaigns/{c['id']}/submit", co.rep)
    campaign_id: str = c["id"]
    return campaign_id


def root_budget(http: Http, co: Company, amount: int) -> dict[str, Any]:
    budget: dict[str, Any] = http.ok(
        "POST", "/budgets", co.leader, {"org": co.root, "period": _start_date()[:4], "amount": amount}, expect=201
    )
    return budget


def replay(http: Http, token: str, budget_id: str) -> dict[str, int]:
    """A budget's figures from its ledger alone, each kind as API.md defines it."""
    figures = {"amount": 0, "allocated": 0, "reserved": 0, "consumed": 0}
    moves = {
        "allocate": {"amount": 1},
        "adjust": {"amount": 1},
        "carve": {"allocated": 1},
        "reserve": {"reserved": 1},
        "release": {"reserved": -1},
        "consume": {"reserved": -1, "consumed": 1},
    }
    cursor = None
    while True:
        page = http.ok(
            "GET", f"/budgets/{budget_id}/entries?limit=200" + (f"&cursor={cursor}" if cursor else ""), token
        )
        for e in page["items"]:
            for name, sign in moves[e["kind"]].items():
                figures[name] += sign * e["amount"]
        cursor = page["next_cursor"]
        if not cursor:
            return figures


def replay_difference(budget: dict[str, Any], replayed: dict[str, int]) -> int:
    return sum(abs(budget[k] - replayed[k]) for k in replayed)


# -- approval with and without a budget --------------------------------------------------------
def measure_approval(url: str, pairs: int, warmup: int = 2) -> dict[str, Any]:
    """Alternating approvals in a budgeted and an unbudgeted company; ms of each round trip."""
    http = Http(url)
    budgeted, plain = Company("MB"), Company("MN")
    root_budget(http, budgeted, (pairs + warmup + 1) * AMOUNT * 2)
    samples: dict[str, list[float]] = {"with_budget": [], "without_budget": []}
    for n in range(pairs + warmup):
        ids = {"with_budget": submitted(http, budgeted, n), "without_budget": submitted(http, plain, n)}
        order = ("with_budget", "without_budget") if n % 2 == 0 else ("without_budget", "with_budget")
        for kind in order:
            co = budgeted if kind == "with_budget" else plain
            status, c, ms = http("POST", f"/campaigns/{ids[kind]}/approve", co.manager, {"approved_amount": AMOUNT})
            if status != 200 or c["status"] != "approved" or (c["budget"] is None) != (kind == "without_budget"):
                raise RuntimeError(f"approval {kind}: {status} {json.dumps(c)[:300]}")
            if n >= warmup:
                samples[kind].append(ms)
    w, wo = median(samples["with_budget"]), median(samples["without_budget"])
    return {
        "approval_with_budget_ms": round(w, 1),
        "approval_without_budget_ms": round(wo, 1),
        "approval_budget_ms_ratio": round(w / wo, 3) if wo else None,
        "detail": {
            "pairs": pairs,
            "warmup_pairs": warmup,
            "with_budget_ms_p90": round(percentile(samples["with_budget"], 90), 1),
            "without_budget_ms_p90": round(percentile(samples["without_budget"], 90), 1),
            "samples_ms": {k: [round(v, 1) for v in s] for k, s in samples.items()},
            "order": "alternating, the first of each pair swapped every pair",
        },
    }


# -- 100 approvals racing on one budget ----------------------------------------------------------
def measure_race(url: str, n: int, room: int) -> Race:
    http = Http(url)
    co = Company("MR")
    amount = room * AMOUNT + AMOUNT // 2  # room for `room` approvals, and half of one more
    budget = root_budget(http, co, amount)
    ids = [submitted(http, co, i) for i in range(n)]
    answers: list[tuple[int, Any, float]] = [(0, {"code": "no answer"}, 0.0)] * n  # (status, body, ms)
    barrier = threading.Barrier(n + 1)
    sessions = [Http(url) for _ in range(n)]  # one connection per approver

    def approve(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = sessions[i]("POST", f"/campaigns/{ids[i]}/approve", co.manager, {"approved_amount": AMOUNT})
        except Exception as exc:  # a connection that failed is an answer too
            answers[i] = (0, {"code": type(exc).__name__}, 0.0)

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = (time.perf_counter() - started) * 1000
    outcomes = Counter(f"{s} {b.get('code')}" if s != 200 else "200 approved" for s, b, _ in answers)
    approved = outcomes.get("200 approved", 0)
    after = http.ok("GET", f"/budgets/{budget['id']}", co.leader)
    replayed = replay(http, co.leader, budget["id"])
    statuses = Counter(http.ok("GET", f"/campaigns/{cid}", co.leader)["status"] for cid in ids)
    return {
        "campaigns": n,
        "room_for": room,
        "approved": approved,
        "refused_budget_exceeded": outcomes.get("409 budget_exceeded", 0),
        "other_answers": {k: v for k, v in outcomes.items() if k not in ("200 approved", "409 budget_exceeded")},
        "campaigns_by_status": dict(statuses),
        "budget_amount": amount,
        "final_available": after["available"],
        "expected_available": amount - room * AMOUNT,
        "final_reserved": after["reserved"],
        "ledger_replay_difference": replay_difference(after, replayed),
        "wall_ms": round(wall, 1),
        "request_ms_p50": round(percentile([a[2] for a in answers], 50), 1),
        "request_ms_max": round(max(a[2] for a in answers), 1),
    }


# -- verifying a 50-entry audit trail ----------------------------------------------------------
def verify_offline(items: list[dict[str, Any]]) -> bool:
    """What an auditor does with the JSON alone: tools/verify_audit.py, standard library only."""
    from tools.verify_audit import chain_problems

    return chain_problems(items) == []


def measure_audit(url: str, entries: int, reads: int) -> dict[str, Any]:
    http = Http(url)
    co = Company("MA")
    c = http.ok("POST", "/campaigns", co.rep, campaign_body(0), expect=201)
    cid, made = c["id"], 1  # created
    while made < entries - 3:  # room for submitted, approval_step, approved
        if made % 4 == 3:
            http.ok(
                "POST",
                f"/campaigns/{cid}/attachments",
                co.rep,
                {"filename": f"photo-{made}.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
                expect=201,
            )
        else:
            http.ok("PATCH", f"/campaigns/{cid}", co.rep, {"title": f"Money bench, edit {made} 回响"})
        made += 1
    http.ok("POST", f"/campaigns/{cid}/submit", co.rep)
    http.ok("POST", f"/campaigns/{cid}/approve", co.manager, {"approved_amount": AMOUNT})
    path = f"/campaigns/{cid}/audit?limit=200"
    first = http.ok("GET", path, co.leader)
    if len(first["items"]) != entries or first["next_cursor"] is not None:
        raise RuntimeError(f"the trail has {len(first['items'])} entries, not {entries}")
    samples: list[float] = []
    for _ in range(reads):
        status, trail, ms = http("GET", path, co.leader)
        if status != 200 or not trail["verified"]:
            raise RuntimeError(f"GET {path}: {status} verified={trail and trail.get('verified')}")
        samples.append(ms)
    actions = Counter(e["action"] for e in first["items"])
    return {
        "audit_verify_ms_50": round(median(samples), 1),
        "detail": {
            "entries": len(first["items"]),
            "reads": reads,
            "verified": first["verified"],
            "verified_offline": verify_offline(first["items"]),
            "actions": dict(actions),
            "ms_p90": round(percentile(samples, 90), 1),
            "samples_ms": [round(s, 1) for s in samples],
            "path": "/campaigns/{id}/audit?limit=200 (one page: the whole trail)",
        },
    }


# ---------------------------------------------------------------------------------------------
# the worker: write units of an approval, /me/approvals at scale
# ---------------------------------------------------------------------------------------------
def _api(client: Client, method: str, path: str, token: str, body: Any = None, expect: int = 200) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    resp = getattr(client.http, method.lower())(
        path, headers=headers, body=json.dumps(body) if body is not None else None
    )
    answer = json.loads(resp.body) if resp.body else None
    if resp.status_code != expect:
        raise RuntimeError(f"{method} {path}: {resp.status_code} {json.dumps(answer)[:500]}")
    return answer


def measure_wru(client: Client, key_dir: str, approvals: int) -> dict[str, Any]:
    """The write units of approving with a covering budget and without one (no policy: one step)."""
    from bench._common import WRITES
    from chalicelib.config import settings

    s = settings()
    names = {
        s.campaigns_table: "campaigns",
        s.audit_table: "audit",
        s.control_table: "control (budget, ledger)",
        s.idempotency_table: "idempotency",
    }
    budgeted, plain = Company("WB", key_dir), Company("WN", key_dir)
    _api(
        client,
        "POST",
        "/budgets",
        budgeted.leader,
        {"org": budgeted.root, "period": _start_date()[:4], "amount": approvals * AMOUNT * 2},
        expect=201,
    )
    per: dict[str, list[WriteSnapshot]] = {"with_budget": [], "without_budget": []}
    for i in range(approvals):
        for kind, co in (("with_budget", budgeted), ("without_budget", plain)):
            c = _api(client, "POST", "/campaigns", co.rep, campaign_body(i), expect=201)
            _api(client, "POST", f"/campaigns/{c['id']}/submit", co.rep)
            WRITES.reset()
            WRITES.enabled = True
            try:
                _api(client, "POST", f"/campaigns/{c['id']}/approve", co.manager, {"approved_amount": AMOUNT})
            finally:
                WRITES.enabled = False
            snap = WRITES.snapshot()
            snap["items_written"] = {names.get(t, t): n for t, n in snap["items_written"].items()}
            snap["index_entries_written"] = {
                names.get(t.split(".")[0], t.split(".")[0]) + "." + t.split(".", 1)[1]: n
                for t, n in snap["index_entries_written"].items()
            }
            per[kind].append(snap)

    def mean(kind: str, field: Literal["wru", "table_wru", "index_wru"]) -> float:
        return round(sum(x[field] for x in per[kind]) / len(per[kind]), 2)

    w, wo = mean("with_budget", "wru"), mean("without_budget", "wru")
    return {
        "approval_wru_with_budget": w,
        "approval_wru_without_budget": wo,
        "approval_wru_ratio": round(w / wo, 3) if wo else None,
        "detail": {
            "approvals": approvals,
            "table_wru": {k: mean(k, "table_wru") for k in per},
            "index_wru": {k: mean(k, "index_wru") for k in per},
            "first_approval": {k: v[0] for k, v in per.items()},
            "counted": "bench._common.WriteCounter, priced by infra.capacity (the cost model's rules): per item "
            "written, one WRU per started KB of the larger of its "
            "images before and after, x2 inside TransactWriteItems; plus one WRU per started KB of "
            "each GSI entry added, changed or removed (item + 100 bytes; two writes when its key "
            "changes), not doubled. Priced from the item images, because moto's ConsumedCapacity is "
            "a constant (and empty for TransactWriteItems). No Idempotency-Key sent.",
        },
    }


class InboxWorld:
    """bench.read_amplification's company, with the approval policy in force: every submitted
    campaign got its chain at submit, some have steps taken; a tenth were submitted before the
    policy (they wait, as before chains, for any manager over them or a leader)."""

    def __init__(self, n: int, today: str, policy: ApprovalPolicy) -> None:
        import random

        from bench.read_amplification import World
        from chalicelib.domain.approval import Approval, ApprovalStep, start_approval
        from chalicelib.domain.audit import Person

        self.world = World(n, today)
        rng = random.Random(20261201)
        self.waiting: Counter[str] = Counter()
        for c in self.world.campaigns:
            if c.status != "submitted":
                continue
            submitted_at = dt.datetime.fromisoformat(c.created_at) + dt.timedelta(hours=rng.uniform(1, 48))
            c.submitted_at = c.updated_at = submitted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            if rng.random() < 0.1:
                c.approval = None
                self.waiting[f"any:{c.org.rsplit('/', 1)[0]}"] += 1
                continue
            approval = start_approval(policy, c.requested_amount, c.org, "rep", c.org)
            taken = rng.randint(0, len(approval.chain) - 1)
            steps = tuple(
                ApprovalStep(
                    level=s.level,
                    by=Person(f"mgr-{s.org.replace('/', '-')}", "Bench manager"),
                    amount=c.requested_amount,
                    at=c.submitted_at,
                )
                for s in approval.chain[:taken]
            )
            c.approval = Approval(approval.chain, steps)
            step = c.approval.next
            assert step is not None, "fewer steps were taken than the chain has"
            self.waiting[f"{step.level}:{step.org}"] += 1

    def busiest(self, level: str) -> str:
        return max((k for k in self.waiting if k.startswith(level + ":")), key=lambda k: self.waiting[k]).split(":", 1)[
            1
        ]


def measure_inbox(client: Client, key_dir: str, campaigns: int) -> dict[str, Any]:
    from bench import read_amplification as ra
    from bench._common import READS
    from chalicelib.clock import business_today
    from chalicelib.domain.approval import parse_policy
    from devstack.tokens import mint_token

    leader = mint_token("lead-CN", "leader", "CN", name="lead-CN", key_dir=key_dir)
    _api(client, "PUT", "/approval-policy", leader, POLICY)
    started = time.perf_counter()
    world = InboxWorld(campaigns, business_today(), parse_policy(POLICY["levels"]))
    seconds = ra.seed(world.world)
    log(
        f"me/approvals: seeded {campaigns} campaigns in {seconds:.1f} s; waiting: "
        f"{sum(world.waiting.values())} ({dict(Counter(k.split(':')[0] for k in world.waiting.elements()))})"
    )
    province, region = world.busiest("province"), world.busiest("region")
    other_region = max(
        (k.split(":", 1)[1] for k in world.waiting if k.startswith("region:") and not k.endswith(":" + region)),
        key=lambda r: world.waiting[f"region:{r}"],
    )

    def manager(org: str) -> Who:
        return {"sub": f"mgr-{org.replace('/', '-')}", "role": "manager", "org": org}

    # delegations (for information): a region manager and the leader each act for another region
    today = business_today()
    until = (dt.date.fromisoformat(today) + dt.timedelta(days=7)).isoformat()
    away = manager(other_region)
    away_token = mint_token(away["sub"], "manager", other_region, name=away["sub"], key_dir=key_dir)
    routes: list[Route] = [
        {
            "name": "me/approvals (province manager)",
            "path": "/me/approvals",
            "who": manager(province),
            "index": "wait_l3",
        },
        {"name": "me/approvals (region manager)", "path": "/me/approvals", "who": manager(region), "index": "wait_l2"},
        {
            "name": "me/approvals (leader)",
            "path": "/me/approvals",
            "who": {"sub": "lead-CN", "role": "leader", "org": "CN"},
            "index": "wait_l1 x2 (leader steps, steps of any manager)",
        },
    ]
    info: list[Route] = [
        {
            "name": "me/approvals (region manager acting for another region)",
            "path": "/me/approvals",
            "who": manager(region),
            "index": "wait_l2 x2",
            "delegate_from": away_token,
        },
        {
            "name": "me/approvals (leader acting for a region manager)",
            "path": "/me/approvals",
            "who": {"sub": "lead-CN", "role": "leader", "org": "CN"},
            "index": "wait_l1 x2 + wait_l2",
            "delegate_from": away_token,
        },
    ]
    result: dict[str, dict[str, RouteResult]] = {"routes": {}, "info": {}}
    for route in routes:
        result["routes"][route["name"]] = ra._call_or_error(client, route, key_dir)
    for route in info:
        _api(
            client,
            "PUT",
            "/me/delegation",
            route["delegate_from"],
            {"to": {"id": route["who"]["sub"], "name": route["who"]["sub"]}, "from": today, "until": until},
        )
        result["info"][route["name"]] = ra._call_or_error(client, route, key_dir)
        _api(client, "DELETE", "/me/delegation", route["delegate_from"], expect=204)
    for group in ("routes", "info"):
        for name, r in result[group].items():
            log(
                f"  {name:<58} read {r['items_read']:>4} returned {r['items_returned']:>4} ratio {r['ratio']}"
                + (f"  ERROR {r['error']}" if r.get("error") else "")
            )
    ratios = {name: r["ratio"] for name, r in result["routes"].items()}
    known = [v for v in ratios.values() if v is not None]
    READS.reset()
    return {
        "me_approvals_read_amplification": {
            "campaigns": campaigns,
            "routes": ratios,
            "worst": max(known) if known else None,
            "unmeasured": [n for n, v in ratios.items() if v is None],
            "errors": {n: r["error"] for n, r in result["routes"].items() if r.get("error")},
            "info": {name: r["ratio"] for name, r in result["info"].items()},
            "info_errors": {n: r["error"] for n, r in result["info"].items() if r.get("error")},
        },
        "detail": {
            "routes": result["routes"],
            "info": result["info"],
            "policy": POLICY,
            "waiting": {
                "by_level": dict(Counter(k.split(":")[0] for k in world.waiting.elements())),
                "province": {province: world.waiting[f"province:{province}"]},
                "region": {region: world.waiting[f"region:{region}"]},
                "leader": world.waiting.get("leader:CN", 0),
            },
            "seed_seconds": round(seconds, 1),
            "build_and_seed_seconds": round(time.perf_counter() - started, 1),
            "counted": "bench._common.ReadCounter (ScannedCount of Query/Scan + items of GetItem/"
            "BatchGetItem/TransactGetItems), two pages of limit=50",
        },
    }


def worker(campaigns: int, approvals: int, out: str) -> None:
    key_dir = tempfile.mkdtemp(prefix="huixiang-bench-keys-")
    sys.path.insert(0, os.getcwd())
    from bench._common import app_in_process, count_reads, count_writes

    def counters() -> None:  # before chalicelib creates any client
        count_reads()
        count_writes().enabled = False

    with app_in_process(key_dir, counters) as client:
        wru = measure_wru(client, key_dir, approvals)
        log(
            f"approval WRU: with budget {wru['approval_wru_with_budget']}, without {wru['approval_wru_without_budget']}"
        )
        inbox = measure_inbox(client, key_dir, campaigns)
    with open(out, "w") as fh:
        json.dump({"wru": wru, "inbox": inbox}, fh, default=str)


# ---------------------------------------------------------------------------------------------
# the parent side
# ---------------------------------------------------------------------------------------------
def measure(quick: bool = False, url: str | None = None, sizes: Size | None = None) -> dict[str, Any]:
    """Everything: the local-stack parts on a stack started here (or the one at `url`, as the
    smoke test does), then the in-process worker."""
    from bench.stream_unlock import stack_at

    size = sizes or SIZES[bool(quick)]
    results: dict[str, Any] = {}
    detail: dict[str, Any] = {"sizes": size}
    with stack_at(url, detail, "money") as url:
        approval = measure_approval(url, size["approval_pairs"])
        detail["approval"] = approval.pop("detail")
        results.update(approval)
        log(
            f"money: approve {results['approval_with_budget_ms']} ms with a budget, "
            f"{results['approval_without_budget_ms']} ms without"
        )
        race = measure_race(url, size["race"], size["race_room"])
        results[f"budget_race_{size['race']}"] = race
        log(
            f"money: {race['campaigns']} racing approvals: {race['approved']} approved (room for {race['room_for']}), "
            f"available {race['final_available']}, replay difference {race['ledger_replay_difference']}, "
            f"{race['wall_ms']} ms"
        )
        audit = measure_audit(url, size["audit_entries"], size["audit_reads"])
        detail["audit"] = audit.pop("detail")
        results.update(audit)
        log(
            f"money: audit trail of {detail['audit']['entries']} read and verified in {results['audit_verify_ms_50']} ms"
        )
    inproc = run_worker(
        "bench.money",
        ["--campaigns", str(size["campaigns"]), "--approvals", str(size["wru_approvals"])],
        timeout=1800,
        env=clean_env(),
    )
    detail["wru"] = inproc["wru"].pop("detail")
    results.update(inproc["wru"])
    detail["me_approvals"] = inproc["inbox"].pop("detail")
    results.update(inproc["inbox"])
    results["money_detail"] = {
        **detail,
        "command": "python -m bench.money" + (" --quick" if quick else ""),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "percentiles": "nearest rank",
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.money")
    parser.add_argument("--quick", action="store_true", help="small sizes; writes nothing unless --out")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--campaigns", type=int, default=20000, help=argparse.SUPPRESS)
    parser.add_argument("--approvals", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.campaigns, args.approvals, args.out)
        return 0
    from bench import table

    results = measure(quick=args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
