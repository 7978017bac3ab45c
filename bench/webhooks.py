"""Events out on the local stack, over HTTP only, to receivers on 127.0.0.1 (devstack/receiver.py):

* `webhook_delivery_ms_p99` (and p50): a campaign is submitted; from the submit's response to
  the moment a receiver answering 200 has read its `campaign.submitted` (signed: every one is
  verified with the standardwebhooks package), one campaign at a time. The path: the campaigns
  stream runner, the emitting use case (a delivery put, a ticket queued), the SQS runner, the
  delivery function (lease, secret, send). Target: at most 1,000 ms.
* `webhook_chaos`: 1,000 campaigns submitted (8 at a time) to a receiver that fails 30 % of
  the attempts it gets, at random (seeded), evenly among 500s, answers later than the sender
  waits, and connection resets, each after it has read the body. Counted at the receiver, once
  every delivery has settled: `events`, `delivered` (answered 2xx as the sender saw it), `lost`
  (never), `duplicates_after_failure` (an event received again after an attempt it had read
  failed on the sender's side: what at-least-once delivery means) and
  `duplicates_after_success` (received again after a 2xx: must be 0). The API's delivery log
  must agree (every delivery `delivered`). Target: none lost, no duplicate after a success.

The chaos run has a stack of its own with the retry schedule compressed to seconds and a 2 s
timeout (HUIXIANG_WEBHOOK_RETRY_DELAYS, HUIXIANG_WEBHOOK_TIMEOUT); production waits 10 s and
retries over 31.6 hours.

    python -m bench.webhooks [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

from bench._common import ROOT, Http, log, percentile, publish
from bench.stream_unlock import stack_at

SIZES = {False: {"latency": 50, "chaos": 1000}, True: {"latency": 5, "chaos": 40}}
TARGETS = {"webhook_delivery_ms_p99": 1000}
CHAOS_TIMEOUT_S = 2
CHAOS_ENV = {"HUIXIANG_WEBHOOK_RETRY_DELAYS": "1,1,2,2,3,3,5,5,8,8", "HUIXIANG_WEBHOOK_TIMEOUT": str(CHAOS_TIMEOUT_S)}
FAILURE_RATE = 0.3
SEED = 20261206
SETTLE_TIMEOUT_S = 600.0


def _company() -> dict[str, str]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from devstack.tokens import mint_token

    root = f"WH{uuid.uuid4().hex[:8].upper()}"
    return {
        "leader": mint_token(f"bench-leader-{root}", "leader", root, name="Bench Leader"),
        "rep": mint_token(f"bench-rep-{root}", "rep", f"{root}/R1/P01", name="Bench Rep"),
    }


def _application(i: int) -> dict[str, Any]:
    today = dt.date.today()
    return {
        "title": f"Webhook bench {i}",
        "category": "tasting",
        "customer": {"id": f"C-HOOK-{i % 13}", "name": "Bench store"},
        "start_date": (today + dt.timedelta(days=3)).isoformat(),
        "end_date": (today + dt.timedelta(days=4)).isoformat(),
        "plan": {"expected_spend": 300000, "expected_sales": 1000000},
        "requested_amount": 300000,
    }


def _webhook(api: Http, t: dict[str, str], url: str) -> dict[str, Any]:
    made = api.ok("POST", "/webhooks", t["leader"], {"url": url, "events": ["campaign.submitted"]}, expect=201)
    return cast("dict[str, Any]", made)


def measure_latency(url: str, n: int) -> dict[str, Any]:
    from standardwebhooks.webhooks import Webhook as Verifier

    from devstack.receiver import Receiver

    api, t, receiver = Http(url), _company(), Receiver().start()
    try:
        hook = _webhook(api, t, receiver.url)
        verifier, samples, missing = Verifier(hook["secret"]), [], 0
        for i in range(n):
            c = api.ok("POST", "/campaigns", t["rep"], _application(i), expect=201)
            api.ok("POST", f"/campaigns/{c['id']}/submit", t["rep"])
            submitted = time.time()
            got = receiver.wait_for(i + 1, timeout=30)
            if len(got) <= i:
                missing += 1
                continue
            event = verifier.verify(got[i].body, got[i].headers)
            assert event["data"]["id"] == c["id"], (event["data"]["id"], c["id"])
            samples.append((got[i].at - submitted) * 1000)
        return {"samples": samples, "missing": missing}
    finally:
        receiver.stop()


def _settled(api: Http, t: dict[str, str], hook_id: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    cursor = None
    while True:
        page = api.ok(
            "GET", f"/webhooks/{hook_id}/deliveries?limit=200" + (f"&cursor={cursor}" if cursor else ""), t["leader"]
        )
        for d in page["items"]:
            counts[d["status"]] += 1
        cursor = page["next_cursor"]
        if not cursor:
            return dict(counts)


def measure_chaos(
    url: str, n: int, timeout_s: float, kinds: tuple[str, ...] = ("500", "slow", "reset")
) -> dict[str, Any]:
    from devstack.receiver import Behaviour, Receiver

    api, t, receiver = Http(url), _company(), Receiver().start()
    receiver.behave(Behaviour.chaos(FAILURE_RATE, SEED, timeout_s, kinds))
    started = time.perf_counter()
    try:
        hook = _webhook(api, t, receiver.url)

        def submit(i: int) -> None:
            one = Http(url)
            c = one.ok("POST", "/campaigns", t["rep"], _application(i), expect=201)
            one.ok("POST", f"/campaigns/{c['id']}/submit", t["rep"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(submit, range(n)))
        submitted_s = time.perf_counter() - started
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            counts = _settled(api, t, hook["id"])
            if counts.get("delivered", 0) + counts.get("failed", 0) >= n or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        time.sleep(timeout_s + 1.5)  # the last slow answers finish
        answers: dict[str, list[str]] = defaultdict(list)
        for received, answer in zip(list(receiver.received), list(receiver.answered), strict=True):
            ok = answer.kind == "status" and 200 <= answer.status < 300
            answers[received.headers.get("webhook-id", "")].append("ok" if ok else answer.kind)
        delivered = sum(1 for seen in answers.values() if "ok" in seen)
        after_failure = after_success = 0
        for seen in answers.values():
            for earlier in seen[:-1]:
                if earlier == "ok":
                    after_success += 1
                else:
                    after_failure += 1
        failures = [a for a in receiver.answered if not (a.kind == "status" and 200 <= a.status < 300)]
        return {
            "events": n,
            "delivered": delivered,
            "lost": n - delivered,
            "duplicates_after_failure": after_failure,
            "duplicates_after_success": after_success,
            "attempts": len(receiver.received),
            "failed_attempts": len(failures),
            "failure_kinds": {
                k: sum(1 for a in failures if (a.kind if a.kind != "status" else "500") == k) for k in kinds
            },
            "delivery_log": counts,
            "submit_s": round(submitted_s, 1),
            "settle_s": round(time.perf_counter() - started - submitted_s, 1),
        }
    finally:
        receiver.stop()


def measure(
    quick: bool = False, url: str | None = None, chaos_url: str | None = None, sizes: dict[str, int] | None = None
) -> dict[str, Any]:
    """Both figures, each on a stack started for it, or on the stacks at `url` and `chaos_url`
    (a smoke test's: its timeout is the local stack's 10 s, so its receiver fails with 500s and
    resets only)."""
    size = sizes or SIZES[bool(quick)]
    detail: dict[str, Any] = {}
    with stack_at(url, detail.setdefault("latency_stack", {}), "webhook latency") as at:
        latency = measure_latency(at, size["latency"])
    samples = latency["samples"]
    chaos_stack: dict[str, Any] = {}
    with stack_at(chaos_url, chaos_stack, "webhook chaos", **CHAOS_ENV) as at:
        timeout = CHAOS_TIMEOUT_S if chaos_url is None else 10
        kinds = ("500", "slow", "reset") if chaos_url is None else ("500", "reset")
        chaos = measure_chaos(at, size["chaos"], timeout, kinds)
    detail["chaos_stack"] = chaos_stack
    figures = {
        "webhook_delivery_ms_p50": round(percentile(samples, 50), 1) if samples else None,
        "webhook_delivery_ms_p99": round(percentile(samples, 99), 1) if samples else None,
    }
    log(
        f"webhooks: p50 {figures['webhook_delivery_ms_p50']} ms, p99 {figures['webhook_delivery_ms_p99']} ms "
        f"over {len(samples)}; chaos {json.dumps({k: chaos[k] for k in ('events', 'delivered', 'lost')})}"
    )
    return {
        **figures,
        "webhook_chaos": {k: chaos[k] for k in ("events", "delivered", "lost", "duplicates_after_failure")},
        "webhook_detail": {
            "latency": {
                "campaigns": size["latency"],
                "measured": len(samples),
                "missing": latency["missing"],
                "max_ms": round(max(samples), 1) if samples else None,
                "percentiles": "nearest rank",
            },
            "chaos": {**chaos, "failure_rate": FAILURE_RATE, "seed": SEED, "settings": CHAOS_ENV},
            **detail,
        },
    }


def table(r: dict[str, Any]) -> str:
    chaos = r["webhook_chaos"]
    rows = [
        ("webhook_delivery_ms_p50", r["webhook_delivery_ms_p50"], "—"),
        ("webhook_delivery_ms_p99", r["webhook_delivery_ms_p99"], f"≤ {TARGETS['webhook_delivery_ms_p99']}"),
        (
            "webhook_chaos: events / delivered / lost",
            f"{chaos['events']} / {chaos['delivered']} / {chaos['lost']}",
            "lost 0",
        ),
        ("webhook_chaos: duplicates after a failure", chaos["duplicates_after_failure"], "counted"),
        (
            "webhook_chaos: duplicates after a success",
            r["webhook_detail"]["chaos"]["duplicates_after_success"],
            "0",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    return "\n".join(f"{name:<{width}}  {value!s:>14}  {target}" for name, value, target in rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    r = measure(quick=args.quick)
    publish(r, table(r), args.out, args.quick)


if __name__ == "__main__":
    main()
