"""Stream unlock latency in the local stack: from the feedback submit response to the moment
`GET /campaigns/{id}` reads `reimbursement.status == "unlocked"`.

The local stack (`python -m devstack run`, PORT=<free port>) runs as a subprocess: moto, the
API on chalice.local, and the stream runners that play Lambda's event source mappings. The
benchmark, over HTTP only:

1. a leader creates a feedback rule for everything (`POST /feedback-rules {"scope": "all"}`);
2. a rep creates and submits N campaigns, a manager approves them, and each must show
   `reimbursement.status == "locked"` (waited for, up to 15 s);
3. one campaign at a time, the rep saves a feedback draft (PUT …/feedback) and submits it
   (POST …/feedback/submit); the clock starts when the submit response arrives, and the
   campaign is polled every 20 ms until it reads "unlocked".

The stack is stopped with SIGTERM (SIGKILL of its group if it lingers) and no moto server it
started may survive it. Tokens come from `devstack.tokens.mint_token` with the default key
directory (var/jwt), whose jwks.json the stack verifies with.

    python -m bench.stream_unlock [--campaigns 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict, cast

from bench._common import ROOT, Http, free_port, log, median, percentile, python, stop_group
from devstack.client import spawn_stack

TARGET_P50_MS = None  # no target given: reported only
POLL_SECONDS = 0.020
UNLOCK_TIMEOUT = 30.0
START_TIMEOUT = 90.0


class StackStop(TypedDict):
    """How a stack the benchmark started went away."""

    stopped_by: str | None  # SIGTERM, or SIGKILL after it ignored SIGTERM; None: it had exited
    exit_code: int | None
    orphans_killed: list[int]  # pids of what it started that outlived it


class Scenario(TypedDict):
    """What `run_scenario` measured: ms from each feedback submit to `unlocked`."""

    samples: list[float]
    failures: list[str]  # the campaigns that never read `unlocked` within UNLOCK_TIMEOUT
    rule_id: str


class StackProcess:
    """`python -m devstack run` as a child in its own session, its output in a log file."""

    def __init__(self, **env: str) -> None:
        self.env = env  # settings of this stack's own (e.g. a compressed webhook schedule)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        fd, self.log_path = tempfile.mkstemp(prefix="huixiang-bench-stack-", suffix=".log")
        os.close(fd)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import requests

        with open(self.log_path, "ab") as out:  # run files of its own: `make run`'s stay untouched
            self.proc, _, _ = spawn_stack(self.port, out, python=python(), **cast("dict[str, Any]", self.env))
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the local stack exited with {self.proc.returncode} before it was up:\n{self.tail()}"
                )
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the local stack did not answer /health within {START_TIMEOUT:.0f} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> StackStop:
        """SIGTERM the stack and wait; then make sure nothing it started survives."""
        info: StackStop = {"stopped_by": None, "exit_code": None, "orphans_killed": []}
        proc = self.proc
        if proc is None:
            return info
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
                info["stopped_by"] = "SIGTERM"
            except subprocess.TimeoutExpired:
                stop_group(proc)
                info["stopped_by"] = f"SIGKILL (did not stop within {timeout:.0f} s of SIGTERM)"
        info["exit_code"] = proc.returncode
        info["orphans_killed"] = _reap_orphans(proc.pid)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
        return info


def _children_of_stack(stack_pid: int) -> list[int]:
    """Processes the stack started that may outlive it: its moto server (own session, dies by
    PR_SET_PDEATHSIG) names the stack's pid on its command line; anything else of its group."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            pgid = os.getpgid(int(entry))
        except (OSError, ProcessLookupError):
            continue
        args = [a.decode(errors="replace") for a in cmd]
        moto = (
            "devstack.motoserver" in args
            and "--parent-pid" in args
            and args[args.index("--parent-pid") + 1 : args.index("--parent-pid") + 2] == [str(stack_pid)]
        )
        if moto or pgid == stack_pid:
            found.append(int(entry))
    return found


def _reap_orphans(stack_pid: int, grace: float = 5.0) -> list[int]:
    deadline = time.monotonic() + grace
    left = _children_of_stack(stack_pid)
    while left and time.monotonic() < deadline:  # PDEATHSIG'd children need a moment
        time.sleep(0.2)
        left = _children_of_stack(stack_pid)
    for pid in left:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)
    return left


def _tokens() -> dict[str, str]:
    """A fresh company per scenario: its rules (one per scope and target) and worklists are its
    own, so scenarios can run one after another on one stack."""
    import uuid

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from devstack.tokens import mint_token

    root = f"CN{uuid.uuid4().hex[:8].upper()}"
    return {
        "leader": mint_token(f"bench-leader-{root}", "leader", root, name="Bench Leader"),
        "manager": mint_token(f"bench-manager-{root}", "manager", f"{root}/R1", name="Bench Manager"),
        "rep": mint_token(f"bench-rep-{root}", "rep", f"{root}/R1/P01", name="Bench Rep"),
    }


def _campaign_body(i: int) -> dict[str, Any]:
    today = dt.date.today()
    return {
        "title": f"Bench tasting {i}",
        "category": ("tasting", "display", "roadshow", "in_store_promotion")[i % 4],
        "customer": {"id": f"C-BENCH-{i % 7}", "name": "Bench store"},
        "start_date": (today - dt.timedelta(days=3)).isoformat(),
        "end_date": (today - dt.timedelta(days=1)).isoformat(),
        "plan": {"expected_spend": 200000, "expected_sales": 1000000, "expected_units": 500},
        "requested_amount": 200000,
    }


def _wait_status(api: Http, token: str, campaign_id: str, want: str, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while True:
        c: dict[str, Any] = api.ok("GET", f"/campaigns/{campaign_id}", token)
        if c["reimbursement"]["status"] == want:
            return c
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def run_scenario(url: str, n: int) -> Scenario:
    api, t = Http(url), _tokens()
    rule = api.ok("POST", "/feedback-rules", t["leader"], {"scope": "all", "due_days": 7}, expect=201)
    ids = []
    for i in range(n):
        c = api.ok("POST", "/campaigns", t["rep"], _campaign_body(i), expect=201)
        api.ok("POST", f"/campaigns/{c['id']}/submit", t["rep"])
        api.ok("POST", f"/campaigns/{c['id']}/approve", t["manager"], {"approved_amount": 180000})
        if _wait_status(api, t["rep"], c["id"], "locked", 15.0) is None:
            raise RuntimeError(f"campaign {c['id']} approved under rule {rule['id']} never showed 'locked'")
        ids.append(c["id"])
    samples: list[float] = []
    failures: list[str] = []
    for cid in ids:
        api.ok(
            "PUT",
            f"/campaigns/{cid}/feedback",
            t["rep"],
            {"actual_spend": 150000, "actual_sales": 900000, "effect_rating": 4, "reflections": "busy"},
        )
        api.ok("POST", f"/campaigns/{cid}/feedback/submit", t["rep"])
        submitted = time.perf_counter()
        deadline = submitted + UNLOCK_TIMEOUT
        while True:
            c = api.ok("GET", f"/campaigns/{cid}", t["rep"])
            now = time.perf_counter()
            if c["reimbursement"]["status"] == "unlocked":
                samples.append((now - submitted) * 1000)
                break
            if now > deadline:
                failures.append(cid)
                break
            time.sleep(POLL_SECONDS)
    return {"samples": samples, "failures": failures, "rule_id": rule["id"]}


@contextmanager
def stack_at(url: str | None, detail: dict[str, Any], name: str, **env: str) -> Iterator[str]:
    """The local stack at ``url`` (a smoke test's), or one started here for the block (with
    ``env`` added to its environment): its start time and how it stopped go into ``detail``, and
    if the block fails its log tail is printed before the error goes on."""
    if url is not None:
        yield url
        return
    stack = StackProcess(**env)
    started = time.perf_counter()
    try:
        stack.start()
        detail["stack_start_s"] = round(time.perf_counter() - started, 1)
        log(f"{name}: local stack up on {stack.url} in {detail['stack_start_s']} s")
        yield stack.url
    except BaseException:
        log(f"{name} failed; stack log tail:\n{stack.tail()}")
        raise
    finally:
        stopped = detail["stack_stop"] = stack.stop()
        log(
            f"{name}: stack stopped ({stopped['stopped_by']}, exit {stopped['exit_code']}, "
            f"orphans killed: {stopped['orphans_killed'] or 'none'})"
        )


def unlock_figures(samples: list[float]) -> dict[str, float | None]:
    """`stream_unlock_ms_p50` / `_p99` of a scenario's samples (nearest rank; None without any)."""
    return {f"stream_unlock_ms_p{p}": round(percentile(samples, p), 1) if samples else None for p in (50, 99)}


def measure(campaigns: int = 40) -> dict[str, Any]:
    stack: dict[str, Any] = {}
    with stack_at(None, stack, "stream unlock") as url:
        result = run_scenario(url, campaigns)
    samples = result["samples"]
    figures = unlock_figures(samples)
    log(
        f"stream unlock: {len(samples)} unlocks, p50 {figures['stream_unlock_ms_p50']} ms, "
        f"p99 {figures['stream_unlock_ms_p99']} ms, {len(result['failures'])} timed out"
    )
    return {
        **figures,
        "stream_unlock_detail": {
            "campaigns": campaigns,
            "unlocked": len(samples),
            "timed_out": result["failures"],
            "timeout_s": UNLOCK_TIMEOUT,
            "poll_ms": POLL_SECONDS * 1000,
            "median_ms": round(median(samples), 1) if samples else None,
            "max_ms": round(max(samples), 1) if samples else None,
            "samples_ms": [round(s, 1) for s in samples],
            **stack,
            "percentiles": "nearest rank",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_unlock")
    parser.add_argument("--campaigns", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(measure(args.campaigns), indent=2))


if __name__ == "__main__":
    main()
