"""`make fuzz`: schemathesis against the local stack, once per role, with a valid token each.

    python -m tests.fuzz.run [--max-examples N] [--phases examples,coverage,fuzzing] [--base-url URL]
                             [--spec openapi.yaml] [--checks ...] [--parallel 2]

Starts `python -m devstack run` on a free port (unless --base-url names a running stack),
mints ID tokens for a fresh company (rep, manager, leader, finance), seeds what the routes
work on (a campaign in each state, a cancelled one, attachments, a rule, a report; budgets with
a carved child and a reservation, an approval policy with campaigns waiting for each step, a
delegation by the manager and one by the leader), and runs `st run openapi.yaml` for each
role with every response check (no 5xx, status codes, content types, headers and bodies as the
spec says) plus tests/fuzz/hooks.py's API.md error-shape check. The seeded ids go to the hooks
(HUIXIANG_FUZZ_IDS): path parameters are the seeded objects' ids as often as generated ones,
so every role's run meets real campaigns, budgets, attachments, rules and reports, its own and
out of its reach. Exit 0 only if every run passed. Reports (JUnit and a pytest file
reproducing any failure) go to var/fuzz/<role>/.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from devstack.client import call_json, free_port, spawn_stack, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).resolve().with_name("schemathesis.toml")
SPEC = ROOT / "openapi.yaml"
ROLES = ("rep", "manager", "leader", "finance")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance,api_error_shape"
)


class Stack:
    """`python -m devstack run` on a free port, stopped with SIGTERM."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Stack:
        # to a file, not a pipe: a full pipe nobody reads would block the server's log writes
        self.log = ROOT / "var" / "fuzz" / "stack.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        # run files of its own: other stacks may run beside it; --verbose: the app's JSON lines
        # (every route and status answered, every traceback) in this log too, not one line each
        command = [sys.executable, "-m", "devstack", "run", "--verbose"]
        with open(self.log, "w") as out:
            self.proc, _, _ = spawn_stack(self.port, out, command, new_session=False)
        if wait_healthy(self.base, self.proc):
            return self
        if self.proc.poll() is not None:
            raise RuntimeError(f"the local stack exited: {self.log.read_text()[-4000:]}")
        self.__exit__()
        raise RuntimeError("the local stack did not become ready in 120 s")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Company:
    root: str = field(default_factory=lambda: "F" + uuid.uuid4().hex[:9].upper())
    tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from devstack.tokens import mint_token

        orgs = {
            "rep": f"{self.root}/EAST/JS",
            "manager": f"{self.root}/EAST",
            "leader": self.root,
            "finance": self.root,
        }
        for role in ROLES:
            self.tokens[role] = mint_token(f"{role}-{self.root}", role, orgs[role], name=f"Fuzz {role}", ttl=6 * 3600)


#: the approval policy of the seed: a campaign of 1000 fen waits for its province, of 60000 for
#: its province and then its region, larger ones for the leader too
POLICY = {
    "levels": [
        {"up_to": 50000, "approver": "province"},
        {"up_to": 500000, "approver": "region"},
        {"up_to": None, "approver": "leader"},
    ]
}


def _ok(result: tuple[int, dict | None], *expected: int) -> dict:
    status, body = result
    assert status in (expected or (200,)), (status, body)
    return body or {}


def seed(base: str, co: Company) -> dict[str, list[str]]:
    """What the routes work on, so that fuzzed requests meet real objects too; returns the ids by
    the name of the path parameter that takes them (the hooks draw from these)."""
    body = {
        "title": "Fuzz seed",
        "category": "tasting",
        "customer": {"id": "K1", "name": "Shop"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "plan": {"expected_spend": 1000, "expected_sales": 5000},
        "requested_amount": 1000,
    }
    rep, mgr, leader, fin = (co.tokens[r] for r in ROLES)
    ids: dict[str, list[str]] = {
        "campaign_id": [],
        "attachment_id": [],
        "budget_id": [],
        "rule_id": [],
        "report_id": [],
        "customer_id": ["K1"],
        "webhook_id": [],
        "delivery_id": [],
        "invoice_id": [],
    }
    # events out: a standard webhook and a WeCom robot hearing every campaign event, to a port
    # nobody listens on (its deliveries fail and are retried: the log has every status)
    for fmt in ("standard", "wecom"):
        url = "http://127.0.0.1:9/hook" if fmt == "standard" else "http://127.0.0.1:9/cgi-bin/webhook/send?key=fuzz"
        events = ["campaign.submitted", "campaign.approved", "campaign.cancelled", "settlement.unlocked"]
        made = _ok(call_json(base, "POST", "/webhooks", fin, {"url": url, "events": events, "format": fmt}), 201)
        ids["webhook_id"].append(made["id"])
    ids["rule_id"].append(
        _ok(call_json(base, "POST", "/feedback-rules", leader, {"scope": "category", "category": "tasting"}), 201)["id"]
    )
    # money: a budget for the company, a child carved for the region, a grandchild for the province
    top = _ok(
        call_json(base, "POST", "/budgets", leader, {"org": co.root, "period": "2026", "amount": 10_000_000}), 201
    )
    east = _ok(
        call_json(
            base,
            "POST",
            "/budgets",
            fin,
            {"org": f"{co.root}/EAST", "period": "2026-Q4", "amount": 2_000_000, "parent_id": top["id"]},
        ),
        201,
    )
    js = _ok(
        call_json(
            base,
            "POST",
            "/budgets",
            fin,
            {
                "org": f"{co.root}/EAST/JS",
                "period": "2026-11",
                "category": "tasting",
                "amount": 500_000,
                "parent_id": east["id"],
            },
        ),
        201,
    )
    ids["budget_id"] += [top["id"], east["id"], js["id"]]
    for steps in (
        (),
        ("submit",),
        ("submit", "approve"),
        ("submit", "approve", "feedback"),
        ("cancel",),
        ("submit", "approve", "cancel"),
    ):
        c = _ok(call_json(base, "POST", "/campaigns", rep, body), 201)
        ids["campaign_id"].append(c["id"])
        for step in steps:
            if step == "submit":
                _ok(call_json(base, "POST", f"/campaigns/{c['id']}/submit", rep))
            elif step == "approve":  # no policy yet: the region manager decides alone; reserves
                _ok(call_json(base, "POST", f"/campaigns/{c['id']}/approve", mgr, {"approved_amount": 900}))
            elif step == "cancel":
                _ok(call_json(base, "POST", f"/campaigns/{c['id']}/cancel", rep, {"reason": "seeded"}))
            else:
                _ok(
                    call_json(
                        base, "PUT", f"/campaigns/{c['id']}/feedback", rep, {"actual_spend": 800, "actual_sales": 4000}
                    )
                )
                _ok(call_json(base, "POST", f"/campaigns/{c['id']}/feedback/submit", rep))
        # an invoice claimed on each approved live campaign (its QR text: one invoice per campaign)
        if "approve" in steps and "cancel" not in steps:
            qr = f"01,04,3200162130,{len(ids['campaign_id']):08d},9.00,20261102,,4FD5"
            claimed = _ok(call_json(base, "POST", f"/campaigns/{c['id']}/invoices", rep, {"qr": qr}), 201)
            ids["invoice_id"].append(claimed["id"])
        # evidence and reports too: a pending attachment on each live campaign
        if "cancel" not in steps:
            made = _ok(
                call_json(
                    base,
                    "POST",
                    f"/campaigns/{c['id']}/attachments",
                    rep,
                    {"filename": "seed.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
                ),
                201,
            )
            ids["attachment_id"].append(made["attachment"]["id"])
    # the approval policy, and applications waiting for each of its steps
    _ok(call_json(base, "PUT", "/approval-policy", leader, POLICY))
    for amount in (1000, 60000, 600000):
        c = _ok(call_json(base, "POST", "/campaigns", rep, {**body, "requested_amount": amount}), 201)
        _ok(call_json(base, "POST", f"/campaigns/{c['id']}/submit", rep))
        ids["campaign_id"].append(c["id"])
    # delegations: the manager's to the leader and the leader's to the manager, from today
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))  # Asia/Shanghai
    for token, to in ((mgr, "leader"), (leader, "manager")):
        _ok(
            call_json(
                base,
                "PUT",
                "/me/delegation",
                token,
                {"to": {"id": f"{to}-{co.root}", "name": f"Fuzz {to}"}, "from": today, "until": "2099-12-31"},
            )
        )
    ids["report_id"] += _ok(call_json(base, "POST", "/reports/runs", leader, {"period": "2026-11"}), 202)["report_ids"]
    deadline = time.monotonic() + 20  # the campaigns stream makes the deliveries
    while not ids["delivery_id"] and time.monotonic() < deadline:
        time.sleep(0.2)
        for hook in ids["webhook_id"]:
            found = _ok(call_json(base, "GET", f"/webhooks/{hook}/deliveries", leader))["items"]
            ids["delivery_id"] += [d["id"] for d in found]
    assert ids["delivery_id"], "the seeded campaigns made no webhook delivery"
    for token in (mgr, leader):
        _ok(call_json(base, "PUT", "/me/report-subscription", token, {"frequency": "monthly"}))
    return ids


def fuzz(
    base: str,
    co: Company,
    max_examples: int,
    phases: str,
    seed_value: int | None = None,
    workers: int = 2,
    ids: dict[str, list[str]] | None = None,
    spec: Path = SPEC,
    checks: str = CHECKS,
    parallel: int = 2,
) -> dict[str, tuple[int, str]]:
    """Run schemathesis once per role, `parallel` roles at a time (two runs of two workers keep
    the stack busy while each run generates its next cases); {role: (exit code, output)}.
    `ids`: seed()'s, for the hooks."""
    from concurrent.futures import ThreadPoolExecutor

    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "PYTHONPATH": str(ROOT),
        "HUIXIANG_FUZZ_IDS": json.dumps(ids or {}),
    }

    def one(role: str) -> tuple[int, str]:
        report_dir = ROOT / "var" / "fuzz" / role
        cmd = [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(CONFIG),
            "run",
            str(spec),
            "--url",
            base,
            "--header",
            f"Authorization: Bearer {co.tokens[role]}",
            "--checks",
            checks,
            "--max-examples",
            str(max_examples),
            "--phases",
            phases,
            "--workers",
            str(workers),
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "junit,pytest",
            "--report-dir",
            str(report_dir),
            "--output-sanitize",
            "true",
        ]
        if seed_value is not None:
            cmd += ["--seed", str(seed_value)]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(max(1, parallel)) as pool:
        return dict(zip(ROLES, pool.map(one, ROLES), strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="schemathesis against the local stack, per role")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--base-url", default=None, help="a running local stack (its tokens must verify)")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the OpenAPI document to fuzz (default openapi.yaml)")
    parser.add_argument("--checks", default=CHECKS, help="schemathesis checks (default: all of them)")
    parser.add_argument("--parallel", type=int, default=2, help="roles fuzzed at the same time")
    args = parser.parse_args(argv)
    if args.base_url:
        stack_cm, base = None, args.base_url
    else:
        stack_cm = Stack().__enter__()
        base = stack_cm.base
    try:
        co = Company()
        ids = seed(base, co)
        results = fuzz(
            base,
            co,
            args.max_examples,
            args.phases,
            args.seed,
            ids=ids,
            spec=args.spec,
            checks=args.checks,
            parallel=args.parallel,
        )
    finally:
        if stack_cm is not None:
            stack_cm.__exit__()
    for role, (code, out) in results.items():
        print(f"===== {role}: exit {code}\n{out}")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
