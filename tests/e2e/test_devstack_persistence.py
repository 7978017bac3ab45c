"""The local stack keeps its data across restarts (devstack.persist): a campaign, its photo and
a budget's ledger survive Ctrl-C and `make run` again, the roll-ups are not counted twice, the
streams go on where they stopped; `make run FRESH=1` starts empty; an unclean stop loses at
most the last snapshot interval, and never leaves the data half saved.

Each test starts stacks of its own on a state directory of its own (spawn_stack's stacks
otherwise start empty and keep nothing, whatever a developer's var/state holds)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, Org, StackProcess, wait_for

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

SNAPSHOT_SECONDS = 1.0


def persistent_stack(state_dir: Path, cmd: list[str] | None = None) -> StackProcess:
    return StackProcess(cmd, state_dir=state_dir, DEVSTACK_SNAPSHOT_SECONDS=str(SNAPSHOT_SECONDS)).wait_ready()


def moto_state(stack: StackProcess) -> dict[str, Any]:
    endpoint = (stack.run_dir / "endpoint").read_text().strip()
    with urllib.request.urlopen(endpoint + "/_devstack/state", timeout=10) as resp:
        return json.loads(resp.read())


def roll_ups_equal_a_recompute(stack: StackProcess, tenant: str, settle: float = 0.0) -> None:
    """tools.verify_rollups finds no difference, after `settle` seconds for the stream runners
    (a record wrongly delivered again after a restart would have moved a roll-up by then)."""
    time.sleep(settle)
    check = subprocess.run(
        [sys.executable, "-m", "tools.verify_rollups", "--tenant", tenant],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=stack.env,
    )
    assert check.returncode == 0 and "0 difference(s)" in check.stdout, check.stdout + check.stderr


def ok(stack: StackProcess, method: str, path: str, token: str, body: Any = None) -> Any:
    status, out = stack.http(method, path, token, body)
    assert 200 <= status < 300, (method, path, status, out)
    return out


PLAN = {
    "title": "Weekend tasting",
    "category": "tasting",
    "customer": {"id": "SUGUO-XJK", "name": "Suguo Xinjiekou"},
    "start_date": "2026-11-28",
    "end_date": "2026-11-29",
    "plan": {"expected_spend": 200000, "expected_sales": 1000000},
    "requested_amount": 200000,
}


def summary(stack: StackProcess, org: Org) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ok(
        stack, "GET", "/reports/summary?group_by=category&from=2026-11&to=2026-11", org.leader
    )["items"]
    return rows


def test_a_restart_keeps_the_campaign_its_photo_and_the_budget_ledger_and_counts_roll_ups_once(tmp_path):
    import requests

    from tests import corpus as C

    state = tmp_path / "state"
    org = Org("K")
    first = persistent_stack(state)
    try:
        budget = ok(first, "POST", "/budgets", org.leader, {"org": org.root, "period": "2026", "amount": 500000000})
        ok(first, "POST", "/feedback-rules", org.leader, {"scope": "category", "category": "tasting", "due_days": 7})
        c = ok(first, "POST", "/campaigns", org.rep, PLAN)
        ok(first, "POST", f"/campaigns/{c['id']}/submit", org.rep)
        ok(first, "POST", f"/campaigns/{c['id']}/approve", org.manager, {"approved_amount": 180000})
        photo = C.jpeg(C.scene(5, (640, 480)), exif=C.exif("2026:11:28 11:00:00"))
        asked = ok(
            first,
            "POST",
            f"/campaigns/{c['id']}/attachments",
            org.rep,
            {"filename": "shelf.jpg", "content_type": "image/jpeg", "size_bytes": len(photo)},
        )
        upload = asked["upload"]
        posted = requests.post(upload["url"], data=upload["fields"], files={"file": ("shelf.jpg", photo)}, timeout=10)
        assert posted.status_code in (200, 204), posted.text
        wait_for(
            lambda: ok(first, "GET", f"/campaigns/{c['id']}/attachments", org.rep)["items"][0]["status"] == "ready"
        )
        rows = wait_for(lambda: (lambda r: r if r and r[0]["approved_amount"] == 180000 else None)(summary(first, org)))
        before = {
            "campaign": ok(first, "GET", f"/campaigns/{c['id']}", org.finance),
            "attachments": ok(first, "GET", f"/campaigns/{c['id']}/attachments", org.rep)["items"],
            "ledger": ok(first, "GET", f"/budgets/{budget['id']}/entries", org.leader)["items"],
            "budget": ok(first, "GET", f"/budgets/{budget['id']}", org.leader),
            "audit": ok(first, "GET", f"/campaigns/{c['id']}/audit", org.finance),
        }
        assert [e["kind"] for e in before["ledger"]] == ["allocate", "reserve"]
    finally:
        first.stop()  # SIGTERM, as Ctrl-C

    second = persistent_stack(state)
    try:
        assert "restored" in second.output()
        after_campaign = ok(second, "GET", f"/campaigns/{c['id']}", org.finance)
        assert after_campaign == before["campaign"]
        assert ok(second, "GET", f"/budgets/{budget['id']}/entries", org.leader)["items"] == before["ledger"]
        assert ok(second, "GET", f"/budgets/{budget['id']}", org.leader) == before["budget"]
        assert ok(second, "GET", f"/campaigns/{c['id']}/audit", org.finance) == before["audit"]
        [attachment] = ok(second, "GET", f"/campaigns/{c['id']}/attachments", org.rep)["items"]
        assert {k: v for k, v in attachment.items() if not k.endswith("_url")} == {
            k: v for k, v in before["attachments"][0].items() if not k.endswith("_url")
        }
        # the photo's bytes, from the new stack's object store (the links name its new port)
        assert requests.get(attachment["download_url"], timeout=10).content == photo
        assert requests.get(attachment["thumbnail_url"], timeout=10).status_code == 200
        # the roll-ups were not moved again by the restart: one campaign, approved once
        roll_ups_equal_a_recompute(second, org.root, settle=2 * SNAPSHOT_SECONDS)
        assert summary(second, org) == rows

        # and the loop goes on: the feedback stream unlocks settlement, the roll-ups follow
        ok(second, "PUT", f"/campaigns/{c['id']}/feedback", org.rep, {"actual_spend": 150000, "actual_sales": 1200000})
        ok(second, "POST", f"/campaigns/{c['id']}/feedback/submit", org.rep)
        unlocked = wait_for(
            lambda: (lambda x: x if x["reimbursement"]["status"] == "unlocked" else None)(
                ok(second, "GET", f"/campaigns/{c['id']}", org.finance)
            )
        )
        assert unlocked["reimbursement"]["proposed_amount"] == 150000
        wait_for(lambda: summary(second, org)[0]["actual_spend"] == 150000)
        assert summary(second, org)[0]["campaigns"] == 1
        roll_ups_equal_a_recompute(second, org.root)
    finally:
        second.stop()


def test_a_webhook_made_before_a_restart_still_signs_with_its_secret_after_it(tmp_path):
    """Its secret is sealed with the local KMS key: the key is kept with the data, or the
    secret would never open again (and every delivery would fail)."""
    from standardwebhooks.webhooks import Webhook as Verifier

    from devstack.receiver import Receiver

    state = tmp_path / "state"
    org = Org("W")
    receiver = Receiver().start()
    try:
        first = persistent_stack(state)
        try:
            hook = ok(first, "POST", "/webhooks", org.leader, {"url": receiver.url, "events": ["campaign.submitted"]})
            time.sleep(2 * SNAPSHOT_SECONDS)
        finally:
            first.stop()
        second = persistent_stack(state)
        try:
            c = ok(second, "POST", "/campaigns", org.rep, PLAN)
            ok(second, "POST", f"/campaigns/{c['id']}/submit", org.rep)
            (got,) = receiver.wait_for(1, timeout=30)
            assert Verifier(hook["secret"]).verify(got.body, got.headers)["data"]["id"] == c["id"]
            rotated = ok(second, "POST", f"/webhooks/{hook['id']}/rotate-secret", org.leader)
            assert rotated["secret"] != hook["secret"]
        finally:
            second.stop()
    finally:
        receiver.stop()


@needs_make
def test_make_run_fresh_starts_empty_and_keeps_the_old_data_aside(tmp_path):
    state = tmp_path / "state"
    org = Org("F")
    first = persistent_stack(state)
    try:
        ok(first, "POST", "/budgets", org.leader, {"org": org.root, "period": "2026", "amount": 1000})
    finally:
        first.stop()
    fresh = persistent_stack(state, ["make", "--no-print-directory", "-s", "run", "FRESH=1"])
    try:
        assert ok(fresh, "GET", f"/budgets?org={org.root}", org.leader)["items"] == []
        assert (tmp_path / "state.previous" / "state.pickle").is_file()
        assert "nothing saved yet" in fresh.output()
    finally:
        fresh.stop()


def apply_one_by_one(stack: StackProcess, org: Org, seconds: float) -> list[tuple[float, str]]:
    """Campaigns applied for and approved one after another for `seconds` (counted from the
    first, once the stack's first requests have loaded what they need): (time, id) each."""
    made: list[tuple[float, str]] = []
    n = 0
    while not made or time.monotonic() - made[0][0] < seconds:
        n += 1
        c = ok(stack, "POST", "/campaigns", org.rep, {**PLAN, "title": f"Tasting {n}"})
        ok(stack, "POST", f"/campaigns/{c['id']}/submit", org.rep)
        ok(stack, "POST", f"/campaigns/{c['id']}/approve", org.manager, {"approved_amount": 1000 + n})
        if n > 1:  # the first one waited for imports: it says nothing about timing
            made.append((time.monotonic(), c["id"]))
    return made


def present(stack: StackProcess, org: Org, ids: list[str]) -> list[bool]:
    return [stack.http("GET", f"/campaigns/{cid}", org.finance)[0] == 200 for cid in ids]


def test_a_sigkill_of_the_stack_and_its_moto_loses_at_most_the_last_snapshot_interval(tmp_path):
    state = tmp_path / "state"
    org = Org("X")
    first = persistent_stack(state)
    try:
        moto_pid = moto_state(first)["pid"]
        made = apply_one_by_one(first, org, seconds=4 * SNAPSHOT_SECONDS)
        killed_at = time.monotonic()
        os.kill(moto_pid, signal.SIGKILL)  # both at once: nobody is left to save anything
        first.kill()
    finally:
        first.stop()
    assert len(made) >= 3, "too few campaigns to tell anything"

    second = persistent_stack(state)
    try:
        kept = present(second, org, [cid for _, cid in made])
        # a snapshot is one instant: what survived is everything up to some campaign, no holes
        assert kept == sorted(kept, reverse=True), kept
        # and nothing older than the snapshot interval (with time to write it) was lost
        old_enough = [keep for (at, _), keep in zip(made, kept, strict=True) if at < killed_at - 2 * SNAPSHOT_SECONDS]
        assert old_enough and all(old_enough), (kept, [round(killed_at - at, 2) for at, _ in made])
        # the streams went on from the saved checkpoints: every kept change rolled up exactly once
        roll_ups_equal_a_recompute(second, org.root, settle=2 * SNAPSHOT_SECONDS)
    finally:
        second.stop()


def test_a_sigkill_of_the_stack_alone_loses_nothing(tmp_path):
    # moto gets SIGTERM when the stack dies (PR_SET_PDEATHSIG) and saves before it exits
    state = tmp_path / "state"
    org = Org("Y")
    first = persistent_stack(state)
    try:
        made = apply_one_by_one(first, org, seconds=1.0)
        first.kill()
    finally:
        first.stop()
    second = persistent_stack(state)
    try:
        assert all(present(second, org, [cid for _, cid in made]))
        roll_ups_equal_a_recompute(second, org.root, settle=2 * SNAPSHOT_SECONDS)
    finally:
        second.stop()


def test_a_state_it_cannot_read_stops_the_stack_with_a_message_and_is_left_alone(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.pickle").write_bytes(b"not a snapshot")
    stack = StackProcess(state_dir=state)
    try:
        assert stack.proc.wait(timeout=120) == 1
        output = stack.output()
        assert "cannot read the saved state" in output and "FRESH=1" in output, output
        assert "Traceback" not in output, output
        assert (state / "state.pickle").read_bytes() == b"not a snapshot"
    finally:
        stack.stop()
