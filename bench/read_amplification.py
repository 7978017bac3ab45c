"""Read amplification of every list and search route: DynamoDB items read ÷ items returned.

A worker process (its own environment, its own in-process moto server, like tests/conftest.py)
seeds one company, `CN`, with N campaigns across 3 regions and 30 provinces, written through
the repository layer's own mapping (`chalicelib.dal.campaigns.to_model` on domain Campaigns,
so every index key is derived exactly as the app derives it) with `CampaignModel.batch_write`.
It then calls each route through `chalice.test.Client` with a token of the right role and the
route's main filter, limit=50, first page and (when there is one) the page after `next_cursor`.

Items read are counted with a botocore event hook: every DynamoDB client created in the
worker (PynamoDB builds its own per Connection, boto3 too) gets an `after-call.dynamodb`
handler that adds up `ScannedCount` of Query/Scan responses (items evaluated before any
filter: what DynamoDB bills as read) and the items of GetItem/BatchGetItem/TransactGetItems.

    python -m bench.read_amplification [--campaigns 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from bench._common import READS as COUNTER  # one definition of "items read"
from bench._common import ReadSnapshot, app_env, clean_env, count_reads, log, run_worker

if TYPE_CHECKING:
    from chalice.test import Client

    from chalicelib.domain.campaign import Campaign

TARGET = 2.0
LIMIT = 50
SEED = 20251123

REGIONS = 3
PROVINCES = 30  # 10 per region: CN/R1/P01 … CN/R3/P30
REPS_PER_PROVINCE = 5
CUSTOMERS_PER_PROVINCE = 20  # Zipf-weighted: a few key accounts run many campaigns
CATEGORY_WEIGHTS = {"tasting": 35, "display": 25, "roadshow": 15, "in_store_promotion": 25}
STATUS_WEIGHTS = {"draft": 10, "submitted": 15, "approved": 65, "rejected": 10}
CATEGORY_RULES = {"tasting": (7, 0), "roadshow": (14, 2)}  # category -> (due_days, min_photos)
CAMPAIGN_RULE_EVERY = 50  # about one approved display campaign in 50 has its own rule


class Who(TypedDict):
    """The caller a route is measured for (a token is minted for it)."""

    sub: str
    role: str
    org: str


class Route(TypedDict):
    """A list or search route as measured: its path with the main filter, who calls it, and
    the index its access pattern reads (for the reader of the results)."""

    name: str
    path: str
    who: Who
    index: str
    delegate_from: NotRequired[str]  # bench.money: the token of the one who delegates to `who`


class PageRead(ReadSnapshot):
    """One page of a route: what the storage read for it, and what it returned."""

    items_returned: int
    ms: float
    ratio: float | None  # items read ÷ returned; None when nothing came back


#: one route's figures over its pages, as bench/results.json holds them ("as": who called)
RouteResult = TypedDict(
    "RouteResult",
    {
        "path": str,
        "as": NotRequired[str],
        "index": str,
        "ratio": float | None,
        "items_read": int,
        "items_returned": int,
        "repeated_across_pages": int,
        "pages": list[PageRead],
        "error": NotRequired[str],
    },
)


# ---------------------------------------------------------------------------------------------
# the parent side
# ---------------------------------------------------------------------------------------------


def measure(campaigns: int = 20000, timeout: float = 900.0) -> dict[str, Any]:
    """Run the worker in its own process and return its result."""
    return run_worker("bench.read_amplification", ["--campaigns", str(campaigns)], timeout=timeout, env=clean_env())


# ---------------------------------------------------------------------------------------------
# the worker: counting reads
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# the worker: seeding
# ---------------------------------------------------------------------------------------------


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


class World:
    """The seeded company: orgs, people, customers, rules and campaigns (domain objects)."""

    def __init__(self, n: int, today: str) -> None:
        from chalicelib.domain.campaign import RuleRef, feedback_kind, proposed_amount, settlement_gate
        from chalicelib.domain.feedback import FeedbackRule
        from chalicelib.domain.ids import new_id

        rng = random.Random(SEED)
        self.today = today
        today_d = dt.date.fromisoformat(today)
        now = dt.datetime.now(dt.UTC)
        self.provinces = [f"CN/R{i // (PROVINCES // REGIONS) + 1}/P{i + 1:02d}" for i in range(PROVINCES)]
        self.reps = {
            p: [f"rep-{p.rsplit('/', 1)[1]}-{k}" for k in range(1, REPS_PER_PROVINCE + 1)] for p in self.provinces
        }
        self.customers = {
            p: [f"C-{p.rsplit('/', 1)[1]}-{k:02d}" for k in range(1, CUSTOMERS_PER_PROVINCE + 1)]
            for p in self.provinces
        }
        zipf = [1 / k for k in range(1, CUSTOMERS_PER_PROVINCE + 1)]
        province_weights = [rng.uniform(0.5, 1.5) for _ in self.provinces]
        rule_time = now - dt.timedelta(days=400)
        self.rules: list[FeedbackRule] = []
        cat_refs: dict[str, RuleRef] = {}
        for i, (category, (due_days, min_photos)) in enumerate(sorted(CATEGORY_RULES.items())):
            created = rule_time + dt.timedelta(minutes=i)
            rule = FeedbackRule(
                id=new_id(_ms(created)),
                tenant="CN",
                scope="category",
                due_days=due_days,
                min_photos=min_photos,
                created_by="lead-CN",
                created_at=_iso(created),
                category=category,
            )
            self.rules.append(rule)
            cat_refs[category] = rule.ref()

        from chalicelib.domain.campaign import Campaign

        self.campaigns: list[Campaign] = []
        categories, cat_w = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
        statuses, status_w = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        display_approved = 0
        for _ in range(n):
            province = rng.choices(self.provinces, province_weights)[0]
            region = province.rsplit("/", 1)[0]
            owner = rng.choice(self.reps[province])
            customer = rng.choices(self.customers[province], zipf)[0]
            category = rng.choices(categories, cat_w)[0]
            created = now - dt.timedelta(days=rng.uniform(1, 365))
            start = created.date() + dt.timedelta(days=rng.randint(3, 30))
            end = start + dt.timedelta(days=rng.randint(0, 3))
            spend = rng.randint(50, 500) * 1000
            c = Campaign(
                id=new_id(_ms(created)),
                org=province,
                owner_id=owner,
                owner_name=owner.replace("-", " "),
                title=f"{category.replace('_', ' ').title()} at {customer}",
                category=category,
                customer_id=customer,
                customer_name=f"Store {customer}",
                start_date=start.isoformat(),
                end_date=end.isoformat(),
                expected_spend=spend,
                expected_sales=int(spend * rng.uniform(3, 8)),
                expected_units=rng.randint(100, 2000),
                requested_amount=spend,
                created_at=_iso(created),
                updated_at=_iso(created),
                location={
                    "address": f"{province} street {rng.randint(1, 999)}",
                    "lat": round(rng.uniform(20, 45), 4),
                    "lon": round(rng.uniform(100, 125), 4),
                },
                version=1,
            )
            c.status = rng.choices(statuses, status_w)[0]
            updated = created
            if c.status in ("approved", "rejected"):
                decided = created + dt.timedelta(hours=rng.uniform(2, 72))
                c.decided_by, c.decided_at = f"mgr-{region.replace('/', '-')}", _iso(decided)
                updated = decided
                if c.status == "rejected":
                    c.decision_comment = "budget exhausted"
            if c.status == "approved":
                c.approved_amount = int(c.requested_amount * rng.choice((1, 1, 0.9, 0.8)))
                c.rule = cat_refs.get(category)
                if category == "display":
                    display_approved += 1
                    if display_approved % CAMPAIGN_RULE_EVERY == 0:
                        rc = decided + dt.timedelta(hours=1)
                        rule = FeedbackRule(
                            id=new_id(_ms(rc)),
                            tenant="CN",
                            scope="campaign",
                            due_days=5,
                            min_photos=1,
                            created_by="lead-CN",
                            created_at=_iso(rc),
                            campaign_id=c.id,
                        )
                        self.rules.append(rule)
                        c.own_rule = c.rule = rule.ref()
                if end < today_d:
                    due = end + dt.timedelta(days=c.rule.due_days if c.rule else 7)
                    if c.rule is None:
                        p_submit = 0.3  # active feedback, not required
                    elif due < today_d - dt.timedelta(days=14):
                        p_submit = 0.8
                    else:
                        p_submit = 0.5
                    if rng.random() < p_submit:
                        submitted = dt.datetime.combine(end, dt.time(10), dt.UTC) + dt.timedelta(
                            days=rng.randint(0, 12), minutes=rng.randint(0, 600)
                        )
                        submitted = min(submitted, now - dt.timedelta(minutes=5))
                        c.feedback_revision = rng.choice((1, 1, 1, 2))
                        c.feedback_kind = feedback_kind(c)
                        c.feedback_submitted_at = _iso(submitted)
                        c.actual_spend = int(spend * rng.uniform(0.7, 1.1))
                        c.actual_sales = int(c.expected_sales * rng.uniform(0.5, 1.3))
                        c.actual_units = rng.randint(50, 2500)
                        c.proposed_amount = proposed_amount(c.actual_spend, c.approved_amount)
                        c.proposed_from_revision = c.feedback_revision
                        updated = max(updated, submitted)
                c.reimbursement_status = settlement_gate(c)
                if (
                    c.reimbursement_status == "unlocked"
                    and end < today_d - dt.timedelta(days=30)
                    and rng.random() < 0.5
                ):
                    paid = dt.datetime.combine(end, dt.time(9), dt.UTC) + dt.timedelta(days=30)
                    c.reimbursement_status = "reimbursed"
                    c.reimbursed_amount = proposed_amount(c.actual_spend, c.approved_amount)
                    c.reimbursed_at, c.reimbursed_by = _iso(paid), "fin-CN"
                    updated = max(updated, paid)
            c.updated_at = _iso(updated)
            self.campaigns.append(c)

    def stats(self) -> dict[str, Any]:
        from chalicelib.domain.campaign import feedback_status

        out: dict[str, Any] = {
            "campaigns": len(self.campaigns),
            "rules": len(self.rules),
            "provinces": len(self.provinces),
            "reps": sum(len(v) for v in self.reps.values()),
            "customers": sum(len(v) for v in self.customers.values()),
            "by_status": dict(Counter(c.status for c in self.campaigns)),
            "by_category": dict(Counter(c.category for c in self.campaigns)),
            "approved_by_feedback_status": dict(
                Counter(feedback_status(c, self.today) for c in self.campaigns if c.status == "approved")
            ),
            "approved_by_reimbursement_status": dict(
                Counter(c.reimbursement_status for c in self.campaigns if c.status == "approved")
            ),
        }
        return out

    # -- picking the busiest subjects for the routes -------------------------------------------
    def busiest(self, key: Callable[[Campaign], str], predicate: Callable[[Campaign], bool] = lambda c: True) -> str:
        counts = Counter(key(c) for c in self.campaigns if predicate(c))
        return counts.most_common(1)[0][0]


def seed(world: World) -> float:
    from chalicelib.dal import repos
    from chalicelib.dal.campaigns import to_model
    from chalicelib.dal.models import CampaignModel

    started = time.perf_counter()
    with CampaignModel.batch_write() as batch:
        for c in world.campaigns:
            batch.save(to_model(c))
    for rule in world.rules:
        repos.rules().insert(rule)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# the worker: calling the routes
# ---------------------------------------------------------------------------------------------


def routes(world: World) -> list[Route]:
    """Each list/search route with its main filter, and who calls it."""
    from chalicelib.domain.campaign import feedback_status

    today = world.today

    def region_of(org: str) -> str:
        return org.rsplit("/", 1)[0]

    rep = world.busiest(lambda c: c.owner_id)
    rep_org = next(c.org for c in world.campaigns if c.owner_id == rep)
    customer = world.busiest(lambda c: c.customer_id)
    customer_org = next(c.org for c in world.campaigns if c.customer_id == customer)
    awaiting_rep = world.busiest(lambda c: c.owner_id, lambda c: feedback_status(c, today) in ("pending", "overdue"))
    awaiting_org = next(c.org for c in world.campaigns if c.owner_id == awaiting_rep)
    fb_owner = world.busiest(lambda c: c.owner_id, lambda c: c.feedback_revision > 0)
    fb_owner_org = next(c.org for c in world.campaigns if c.owner_id == fb_owner)
    p01 = world.provinces[0]
    r1, r2 = region_of(p01), region_of(world.provinces[-1 - PROVINCES // REGIONS])

    def manager(region: str) -> Who:
        return {"sub": f"mgr-{region.replace('/', '-')}", "role": "manager", "org": region}

    leader: Who = {"sub": "lead-CN", "role": "leader", "org": "CN"}
    return [
        {"name": "campaigns?org=<province>", "path": f"/campaigns?org={p01}", "who": manager(r1), "index": "by_org"},
        {
            "name": "campaigns?status=submitted",
            "path": "/campaigns?status=submitted",
            "who": manager(r1),
            "index": "by_status",
        },
        {
            "name": "campaigns?category=display&org=<region>",
            "path": f"/campaigns?category=display&org={r2}",
            "who": leader,
            "index": "by_category",
        },
        {
            "name": "campaigns?customer_id=<busiest>",
            "path": f"/campaigns?customer_id={customer}",
            "who": manager(region_of(customer_org)),
            "index": "by_customer",
        },
        {
            "name": "campaigns (rep: own)",
            "path": "/campaigns",
            "who": {"sub": rep, "role": "rep", "org": rep_org},
            "index": "by_owner",
        },
        {
            "name": "me/feedback-requests (rep)",
            "path": "/me/feedback-requests",
            "who": {"sub": awaiting_rep, "role": "rep", "org": awaiting_org},
            "index": "fbq_owner",
        },
        {"name": "feedback?org=<region>", "path": f"/feedback?org={r1}", "who": manager(r1), "index": "fbd_l2"},
        {
            "name": "feedback?owner=<rep>",
            "path": f"/feedback?owner={fb_owner}",
            "who": manager(region_of(fb_owner_org)),
            "index": "fbd_owner",
        },
        {
            "name": "feedback-requests?status=overdue&org=<region>",
            "path": f"/feedback-requests?status=overdue&org={r1}",
            "who": manager(r1),
            "index": "fbq_l2",
        },
        {
            "name": "feedback-requests?status=pending (leader)",
            "path": "/feedback-requests?status=pending",
            "who": leader,
            "index": "fbq_l1",
        },
        {"name": "feedback-rules (leader)", "path": "/feedback-rules", "who": leader, "index": "rules.by_tenant"},
    ]


def secondary_routes(world: World) -> list[Route]:
    """Routes with a second filter that no index key covers: informative, not the target."""
    p01 = world.provinces[0]
    r1 = p01.rsplit("/", 1)[0]
    customer = world.busiest(lambda c: c.customer_id)
    region = next(c.org for c in world.campaigns if c.customer_id == customer).rsplit("/", 1)[0]
    mgr: Who = {"sub": f"mgr-{r1.replace('/', '-')}", "role": "manager", "org": r1}
    leader: Who = {"sub": "lead-CN", "role": "leader", "org": "CN"}
    return [
        {
            "name": "campaigns?status=approved&category=roadshow&org=<region>",
            "path": f"/campaigns?status=approved&category=roadshow&org={r1}",
            "who": mgr,
            "index": "by_status + filter category",
        },
        {
            "name": "campaigns?customer_id=<busiest>&status=submitted",
            "path": f"/campaigns?customer_id={customer}&status=submitted",
            "who": {"sub": f"mgr-{region.replace('/', '-')}", "role": "manager", "org": region},
            "index": "by_customer + filter status",
        },
        {
            "name": "campaigns?org=<province>&from=2000-01-01 (leader)",
            "path": f"/campaigns?org={p01}&from=2000-01-01",
            "who": leader,
            "index": "by_org + filter dates",
        },
        {
            "name": "feedback?org=<province>&kind=active",
            "path": f"/feedback?org={p01}&kind=active",
            "who": leader,
            "index": "fbd_l3 + filter kind",
        },
    ]


def call_route(client: Client, route: Route, key_dir: str) -> RouteResult:
    from devstack.tokens import mint_token

    who = route["who"]
    token = mint_token(who["sub"], who["role"], who["org"], name=who["sub"], key_dir=key_dir)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sep = "&" if "?" in route["path"] else "?"
    pages: list[PageRead] = []
    cursor: str | None = None
    seen: set[str] = set()
    repeated = 0
    error: str | None = None
    for _ in range(2):
        path = f"{route['path']}{sep}limit={LIMIT}"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor, safe="")
        COUNTER.reset()
        started = time.perf_counter()
        resp = client.http.get(path, headers=headers)
        ms = (time.perf_counter() - started) * 1000
        body = json.loads(resp.body) if resp.body else {}
        if resp.status_code != 200:
            failure = f"GET {path} as {who['role']} {who['org']}: {resp.status_code} {body}"
            if not pages:
                raise RuntimeError(failure)
            error = f"page {len(pages) + 1} (the first page's next_cursor): {resp.status_code} {body}"
            break  # the pages read so far are still measured
        returned = len(body["items"])
        ids = [item.get("campaign_id") or item.get("id") for item in body["items"]]
        repeated += sum(1 for i in ids if i in seen)
        seen.update(ids)
        pages.append(
            {
                **COUNTER.snapshot(),
                "items_returned": returned,
                "ms": round(ms, 1),
                "ratio": round(COUNTER.items_read / returned, 3) if returned else None,
            }
        )
        cursor = body.get("next_cursor")
        if not cursor:
            break
    read = sum(p["items_read"] for p in pages)
    returned = sum(p["items_returned"] for p in pages)
    # Nothing returned: the seed does not exercise the route; no ratio (the table shows FAIL).
    ratio = round(read / returned, 3) if returned else None
    out: RouteResult = {
        "path": route["path"],
        "as": f"{who['role']} {who['org']}",
        "index": route["index"],
        "ratio": ratio,
        "items_read": read,
        "items_returned": returned,
        "repeated_across_pages": repeated,
        "pages": pages,
    }
    return {**out, "error": error[:500]} if error else out


def _call_or_error(client: Client, route: Route, key_dir: str) -> RouteResult:
    """One route's result; a failing route (e.g. a 500) is recorded, not fatal to the others."""
    try:
        return call_route(client, route, key_dir)
    except Exception as exc:  # a route that fails is recorded, the others still measured
        return {
            "path": route["path"],
            "index": route["index"],
            "ratio": None,
            "items_read": 0,
            "items_returned": 0,
            "repeated_across_pages": 0,
            "pages": [],
            "error": f"{type(exc).__name__}: {exc}"[:500],
        }


def worker(campaigns: int, out: str) -> None:
    key_dir = tempfile.mkdtemp(prefix="huixiang-bench-keys-")
    sys.path.insert(0, os.getcwd())
    import logging

    from moto.server import ThreadedMotoServer

    from bench._common import free_port
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _, jwks = ensure_keys(key_dir)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        os.environ.update(
            app_env(f"http://127.0.0.1:{port}", JWKS_PATH=str(jwks), TOKEN_ISSUER=ISSUER, TOKEN_AUDIENCE=AUDIENCE)
        )
        count_reads()  # before chalicelib creates any client
        from chalice.test import Client

        from app import app
        from chalicelib.clock import business_today
        from chalicelib.dal.models import create_tables

        create_tables()
        started = time.perf_counter()
        world = World(campaigns, business_today())
        built = time.perf_counter() - started
        seconds = seed(world)
        log(
            f"read amplification: seeded {len(world.campaigns)} campaigns and {len(world.rules)} rules "
            f"in {seconds:.1f} s (+{built:.1f} s to build them)"
        )
        result: dict[str, dict[str, RouteResult]] = {"routes": {}, "secondary": {}}
        with Client(app, stage_name="dev") as client:
            for route in routes(world):
                r = _call_or_error(client, route, key_dir)
                result["routes"][route["name"]] = r
                log(
                    f"  {route['name']:<48} read {r['items_read']:>5} returned {r['items_returned']:>4} "
                    f"ratio {r['ratio']}" + (f"  ERROR {r['error']}" if r.get("error") else "")
                )
            for route in secondary_routes(world):
                r = _call_or_error(client, route, key_dir)
                result["secondary"][route["name"]] = r
                log(
                    f"  (secondary) {route['name']:<48} read {r['items_read']:>5} returned "
                    f"{r['items_returned']:>4} ratio {r['ratio']}"
                )
        ratios = {name: r["ratio"] for name, r in result["routes"].items()}
        known = [v for v in ratios.values() if v is not None]
        with open(out, "w") as fh:
            json.dump(
                {
                    "read_amplification": {
                        "routes": ratios,
                        "worst": max(known) if known else None,
                        "limit": LIMIT,
                        "campaigns": len(world.campaigns),
                        "unmeasured": [n for n, v in ratios.items() if v is None],
                        "errors": {n: r["error"] for n, r in result["routes"].items() if r.get("error")},
                    },
                    "read_amplification_detail": {
                        "routes": result["routes"],
                        "secondary_filters": result["secondary"],
                        "seed": world.stats(),
                        "seed_seconds": round(seconds, 1),
                        "today": world.today,
                        "ms": "per-page wall time through chalice.test.Client against moto, whose Query "
                        "walks the whole table: not a latency benchmark",
                        "counted": "ScannedCount of Query/Scan + items of GetItem/BatchGetItem/TransactGetItems, "
                        "via an after-call.dynamodb botocore hook on every DynamoDB client",
                    },
                },
                fh,
                default=str,
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.read_amplification")
    parser.add_argument("--campaigns", type=int, default=20000)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.campaigns, args.out)
    else:
        print(json.dumps(measure(args.campaigns), indent=2))


if __name__ == "__main__":
    main()
