"""End to end: the local stack as a user starts it (`python -m devstack run`, shared by the e2e
modules, see conftest.py) and the whole loop over HTTP, stream runners included."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

from tests.e2e.conftest import ROOT, token, wait_for


def cli_token(sub: str, role: str, org: str) -> str:
    """A token from the command line a user runs (`python -m devstack token`)."""
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "token", "--sub", sub, "--role", role, "--org", org],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_the_whole_loop_over_http(http):
    co = "E" + uuid.uuid4().hex[:8].upper()
    rep, mgr = cli_token(f"rep-{co}", "rep", f"{co}/EAST/JS"), token(f"mgr-{co}", "manager", f"{co}/EAST")
    lead, fin = token(f"lead-{co}", "leader", co), token(f"fin-{co}", "finance", co)
    fin2 = token(f"fin2-{co}", "finance", co)

    assert http("GET", "/categories", rep)[0] == 200
    status, rule = http("POST", "/feedback-rules", lead, {"scope": "category", "category": "tasting"})
    assert status == 201
    plan = {
        "title": "Tasting",
        "category": "tasting",
        "customer": {"id": "K1", "name": "Shop"},
        "start_date": "2026-11-28",
        "end_date": "2026-11-29",
        "plan": {"expected_spend": 200000, "expected_sales": 1000000},
        "requested_amount": 200000,
    }
    status, c = http("POST", "/campaigns", rep, plan, {"Idempotency-Key": f"e2e-{co}"})
    assert status == 201 and c["feedback"]["required"] is True
    assert http("POST", "/campaigns", rep, plan, {"Idempotency-Key": f"e2e-{co}"})[1]["id"] == c["id"]
    assert http("POST", f"/campaigns/{c['id']}/submit", rep)[0] == 200
    status, c = http("POST", f"/campaigns/{c['id']}/approve", mgr, {"approved_amount": 180000})
    assert status == 200 and c["reimbursement"]["status"] == "locked"
    status, err = http("POST", f"/campaigns/{c['id']}/reimbursement", fin, {})
    assert (status, err["code"]) == (409, "feedback_required")
    assert [x["campaign_id"] for x in http("GET", "/me/feedback-requests", rep)[1]["items"]] == [c["id"]]

    assert (
        http("PUT", f"/campaigns/{c['id']}/feedback", rep, {"actual_spend": 150000, "actual_sales": 1200000})[0] == 200
    )
    status, fb = http("POST", f"/campaigns/{c['id']}/feedback/submit", rep)
    assert status == 200 and fb["kind"] == "passive"
    # the stream runner unlocks settlement within seconds
    after = wait_for(
        lambda: (lambda r: r if r["reimbursement"]["status"] == "unlocked" else None)(
            http("GET", f"/campaigns/{c['id']}", fin)[1]
        )
    )
    assert after["reimbursement"]["proposed_amount"] == 150000

    # two finance users settle at once: exactly one wins
    results = []
    barrier = threading.Barrier(2)

    def settle(tok):
        barrier.wait()
        results.append(http("POST", f"/campaigns/{c['id']}/reimbursement", tok, {}))

    threads = [threading.Thread(target=settle, args=(t,)) for t in (fin, fin2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in results) == [201, 409]
    assert [b["amount"] for s, b in results if s == 201] == [150000]
    assert [b["code"] for s, b in results if s == 409] == ["already_reimbursed"]

    status, rows = http("GET", f"/feedback?org={co}/EAST", mgr)
    assert status == 200 and [r["campaign_id"] for r in rows["items"]] == [c["id"]]
    assert http("DELETE", f"/feedback-rules/{rule['id']}", lead)[0] == 204


def test_a_photo_uploaded_through_the_presigned_link_is_checked_within_seconds(http):
    import requests

    from tests import corpus as C

    co = "P" + uuid.uuid4().hex[:8].upper()
    rep, mgr = token(f"rep-{co}", "rep", f"{co}/EAST/JS"), token(f"mgr-{co}", "manager", f"{co}/EAST")
    plan = {
        "title": "Display",
        "category": "display",
        "customer": {"id": "K2"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "plan": {"expected_spend": 1000, "expected_sales": 5000},
        "requested_amount": 1000,
    }
    status, c = http("POST", "/campaigns", rep, plan)
    assert status == 201 and http("POST", f"/campaigns/{c['id']}/submit", rep)[0] == 200
    assert http("POST", f"/campaigns/{c['id']}/approve", mgr, {"approved_amount": 1000})[0] == 200
    photo = C.jpeg(C.scene(9, (800, 600)), exif=C.exif("2026:11:02 10:00:00"))
    status, asked = http(
        "POST",
        f"/campaigns/{c['id']}/attachments",
        rep,
        {"filename": "shelf.jpg", "content_type": "image/jpeg", "size_bytes": len(photo)},
    )
    assert status == 201, asked
    started = time.monotonic()
    upload = asked["upload"]
    r = requests.post(upload["url"], data=upload["fields"], files={"file": ("shelf.jpg", photo)}, timeout=10)
    assert r.status_code in (200, 204), r.text
    ready = wait_for(
        lambda: [
            a
            for a in http("GET", f"/campaigns/{c['id']}/attachments", rep)[1]["items"]
            if a["status"] != "pending_upload"
        ],
        timeout=10,
    )
    assert time.monotonic() - started < 10
    assert ready[0]["status"] == "ready" and ready[0]["taken_at"] == "2026-11-02T10:00:00"
    assert requests.get(ready[0]["thumbnail_url"], timeout=10).status_code == 200


def wait_slowly(check, timeout=30.0):
    return wait_for(check, timeout, interval=0.2)


def test_reports_roll_ups_and_schedules_work_in_the_local_stack(http, local_stack):
    co = "R" + uuid.uuid4().hex[:8].upper()
    rep, mgr = token(f"rep-{co}", "rep", f"{co}/EAST/JS"), token(f"mgr-{co}", "manager", f"{co}/EAST")
    lead = token(f"lead-{co}", "leader", co)
    plan = {
        "title": "Display",
        "category": "display",
        "customer": {"id": "K9", "name": "Shop"},
        "start_date": "2026-11-02",
        "end_date": "2026-11-03",
        "plan": {"expected_spend": 100000, "expected_sales": 400000},
        "requested_amount": 100000,
    }
    status, c = http("POST", "/campaigns", rep, plan)
    assert status == 201
    assert http("POST", f"/campaigns/{c['id']}/submit", rep)[0] == 200
    assert http("POST", f"/campaigns/{c['id']}/approve", mgr, {"approved_amount": 90000})[0] == 200
    # the campaigns stream runner moves the roll-ups within seconds
    rows = wait_slowly(
        lambda: http("GET", "/reports/summary?group_by=category&from=2026-11&to=2026-11", lead)[1]["items"]
    )
    assert rows[0]["group"] == "display" and rows[0]["approved_amount"] == 90000
    # a report run is compiled by the reports stream runner and emailed to the subscriber as .eml
    assert http("PUT", "/me/report-subscription", lead, {"frequency": "monthly"})[0] == 200
    status, run = http("POST", "/reports/runs", lead, {"period": "2026-11"})
    assert status == 202
    report = wait_slowly(
        lambda: (lambda r: r if r["status"] == "ready" else None)(http("GET", f"/reports/{run['report_id']}", lead)[1]),
        timeout=60,
    )
    assert report["artifacts"]["xlsx_url"].startswith("http")
    outbox = ROOT / "var" / "outbox"
    assert wait_for(
        lambda: [p for p in outbox.glob("*.eml") if f"lead-{co}@example.com" in p.read_text(errors="replace")]
    )
    # a scheduled function runs now on demand, and the roll-ups equal a recompute
    env = local_stack.env  # whoever talks to the stack finds it through its run directory
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "invoke", "send_overdue_reminders"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert '"sent"' in out.stdout
    check = subprocess.run(
        [sys.executable, "-m", "tools.verify_rollups", "--tenant", co],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert check.returncode == 0 and "0 difference(s)" in check.stdout, check.stdout + check.stderr
