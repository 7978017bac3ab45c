"""How fast the local stack answers, over HTTP only, on one `python -m devstack run` started for
the run (PORT=<free port>), idle but for the benchmark:

* `local_get_ms_p50`: `GET /campaigns/{id}` one request at a time (after a warm-up), on one
  keep-alive connection; p50 and p99 of the round trip.
* `stream_unlock_ms_p50` / `_p99`: feedback submit response → the campaign reads `unlocked`
  (bench.stream_unlock's scenario: a rule for everything, N locked campaigns, one at a time).
* `rule_sweep_100_ms`: a leader creates a category rule covering 100 approved campaigns; from
  the 201 to the moment the leader's worklist (GET /feedback-requests) lists all of them,
  after which each must read `feedback.required_by == "category"`.
* `concurrent_50_resets`: 50 connections opened at once, each sending `GET /campaigns/{id}`;
  how many were reset or refused (and the statuses of the rest).

Targets (issue 8): p50 GET ≤ 50 ms, unlock p99 ≤ 300 ms, sweep of 100 ≤ 2,000 ms, 0 resets.

    python -m bench.local_stack [--quick] [--out PATH]

prints a table and merges the figures into bench/results.json (`--quick`: small sizes, writes
nothing unless --out is given).
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench._common import Http, log, percentile, publish, target_table
from bench.stream_unlock import _tokens, run_scenario, stack_at, unlock_figures

SIZES = {
    False: {"gets": 200, "unlocks": 40, "sweep": 100, "connections": 50},
    True: {"gets": 20, "unlocks": 5, "sweep": 10, "connections": 50},
}
TARGETS = {"local_get_ms_p50": 50, "stream_unlock_ms_p99": 300, "rule_sweep_100_ms": 2000, "concurrent_50_resets": 0}
SWEEP_TIMEOUT = 60.0
POLL_SECONDS = 0.050


def _plan(i: int, category: str = "tasting", customer: str = "C-LOCAL") -> dict[str, Any]:
    today = dt.date.today()
    return {
        "title": f"Local stack bench {i}",
        "category": category,
        "customer": {"id": customer, "name": "Bench store"},
        "start_date": (today - dt.timedelta(days=3)).isoformat(),
        "end_date": (today - dt.timedelta(days=1)).isoformat(),
        "plan": {"expected_spend": 200000, "expected_sales": 1000000},
        "requested_amount": 200000,
    }


def _approved(api: Http, t: dict[str, str], i: int, category: str, customer: str = "C-LOCAL") -> str:
    c = api.ok("POST", "/campaigns", t["rep"], _plan(i, category, customer), expect=201)
    api.ok("POST", f"/campaigns/{c['id']}/submit", t["rep"])
    api.ok("POST", f"/campaigns/{c['id']}/approve", t["manager"], {"approved_amount": 180000})
    campaign_id: str = c["id"]
    return campaign_id


def measure_get(api: Http, t: dict[str, str], n: int) -> dict[str, Any]:
    campaign_id = _approved(api, t, 0, "tasting")
    for _ in range(5):
        api.ok("GET", f"/campaigns/{campaign_id}", t["rep"])
    samples: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        api.ok("GET", f"/campaigns/{campaign_id}", t["rep"])
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "local_get_ms_p50": round(percentile(samples, 50), 1),
        "local_get_ms_p99": round(percentile(samples, 99), 1),
        "local_get_requests": n,
        "campaign_id": campaign_id,
    }


def measure_sweep(api: Http, t: dict[str, str], n: int) -> dict[str, Any]:
    """n approved campaigns of a category nobody else uses, each for its own store (one store
    with n overlapping roadshows would make every read carry an (n-1)-campaign duplicate
    warning, which is not the sweep), then a leader's rule for that category. Timed: from the
    rule's 201 until the leader's worklist (GET /feedback-requests?category=…, every page)
    lists all n as required by the category rule, polled every POLL_SECONDS; then each campaign is read once and must show
    `feedback.required_by == "category"` (untimed: reading n campaigns one by one at every
    poll would load the stack more than the sweep it measures, and time the poller)."""
    category = "roadshow"
    ids = [_approved(api, t, i, category, customer=f"C-SWEEP-{i}") for i in range(n)]

    def listed() -> set[str]:
        found: set[str] = set()
        cursor = None
        while True:
            page = api.ok(
                "GET",
                f"/feedback-requests?category={category}&limit=200" + (f"&cursor={cursor}" if cursor else ""),
                t["leader"],
            )
            found.update(row["campaign_id"] for row in page["items"] if row["required_by"] == "category")
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    assert not listed() & set(ids), "no category rule covered the campaigns before this one"
    api.ok("POST", "/feedback-rules", t["leader"], {"scope": "category", "category": category}, expect=201)
    started = time.perf_counter()
    polls, covered = 0, 0
    while time.perf_counter() - started < SWEEP_TIMEOUT:
        polls += 1
        covered = len(listed() & set(ids))
        if covered == n:
            break
        time.sleep(POLL_SECONDS)
    elapsed = (time.perf_counter() - started) * 1000
    shown = sum(api.ok("GET", f"/campaigns/{c}", t["leader"])["feedback"]["required_by"] == "category" for c in ids)
    done = covered == n and shown == n
    return {
        "rule_sweep_100_ms": round(elapsed, 1) if done else None,
        "rule_sweep_campaigns": n,
        "rule_sweep_covered": covered,
        "rule_sweep_shown": shown,
        "rule_sweep_polls": polls,
    }


def measure_connections(url: str, token: str, campaign_id: str, n: int) -> dict[str, Any]:
    """n sockets connect at once (a barrier), then each sends one request and reads the answer."""
    host, port = url.rsplit("//", 1)[1].split(":")
    barrier = threading.Barrier(n)
    outcomes: list[str] = [""] * n
    request = (
        f"GET /campaigns/{campaign_id} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    ).encode()

    def one(i: int) -> None:
        barrier.wait()
        try:
            with socket.create_connection((host, int(port)), timeout=30) as s:
                s.sendall(request)
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            outcomes[i] = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "no answer"
        except ConnectionResetError:
            outcomes[i] = "reset"
        except ConnectionRefusedError:
            outcomes[i] = "refused"
        except OSError as e:
            outcomes[i] = type(e).__name__

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o] = counts.get(o, 0) + 1
    return {
        "concurrent_50_resets": counts.get("reset", 0) + counts.get("refused", 0),
        "concurrent_outcomes": counts,
        "concurrent_connections": n,
    }


def measure(quick: bool = False, url: str | None = None) -> dict[str, Any]:
    """Start a local stack (or use the one at ``url``, as the smoke test does) and measure."""
    size = SIZES[quick]
    results: dict[str, Any] = {}
    detail: dict[str, Any] = {"sizes": size}
    with stack_at(url, detail, "local stack") as url:
        api, t = Http(url), _tokens()
        get = measure_get(api, t, size["gets"])
        log(f"local stack: GET p50 {get['local_get_ms_p50']} ms, p99 {get['local_get_ms_p99']} ms")
        conns = measure_connections(url, t["rep"], get.pop("campaign_id"), size["connections"])
        log(f"local stack: {conns['concurrent_connections']} connections at once: {conns['concurrent_outcomes']}")
        sweep = measure_sweep(api, t, size["sweep"])
        log(
            f"local stack: rule over {sweep['rule_sweep_campaigns']} campaigns shown in {sweep['rule_sweep_100_ms']} ms"
        )
        unlock = run_scenario(url, size["unlocks"])
        samples = unlock["samples"]
        results.update(
            {
                "local_get_ms_p50": get["local_get_ms_p50"],
                **unlock_figures(samples),
                "rule_sweep_100_ms": sweep["rule_sweep_100_ms"],
                "concurrent_50_resets": conns["concurrent_50_resets"],
            }
        )
        log(f"local stack: unlock p50 {results['stream_unlock_ms_p50']} ms, p99 {results['stream_unlock_ms_p99']} ms")
        detail.update(
            get=get,
            connections=conns,
            sweep=sweep,
            unlock={
                "campaigns": size["unlocks"],
                "unlocked": len(samples),
                "timed_out": unlock["failures"],
                "samples_ms": [round(s, 1) for s in samples],
            },
        )
    results["local_stack_detail"] = {
        **detail,
        "command": "python -m bench.local_stack" + (" --quick" if quick else ""),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "percentiles": "nearest rank",
    }
    return results


def table(results: dict[str, Any]) -> str:
    return target_table(results, TARGETS, ("stream_unlock_ms_p50",))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_stack")
    parser.add_argument("--quick", action="store_true", help="small sizes; writes nothing unless --out")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    results = measure(quick=args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
