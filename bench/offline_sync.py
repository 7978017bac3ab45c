"""`python -m bench.offline_sync [--quick] [--out PATH]`: how the console's outbox drains.

A rep on a phone (Debian's Chromium through Playwright, as the browser tests drive it) signs in,
the network goes (`context.set_offline(True)`), and the rep writes the feedback report of 5
approved campaigns with 3 photos each (a rule asks for 3), submitting each; the console reloads
with no network (it opens as the rep, the outbox on the device); the network returns and the rep
signs in again. Measured, and counted on the server (not in the page):

    offline_sync.seconds              the network back → the outbox empty (the sign-in included)
    offline_sync.sending_seconds      signed in again → the outbox empty
    offline_sync.submitted_revisions  feedback revisions on the server (expected: one per campaign)
    offline_sync.ready_photos         attachments the upload checker accepted (expected: all)
    offline_sync.duplicates           attachments beyond one per photo + revisions beyond one per
                                      campaign (expected: 0)

`--quick`: 2 campaigns × 1 photo, nothing written unless --out.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench._common import Http, browser_main
from bench.stream_unlock import stack_at
from devstack.browser import CHROMIUM, LAUNCH_ARGS, local_sign_in

XINJIEKOU = (32.0415, 118.7849)
TIMEOUT_MS = 30000


def _day(offset: int) -> str:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    return (now + dt.timedelta(days=offset)).isoformat()


def _scene(
    http: Http, url: str, campaigns: int, photos: int
) -> tuple[dict[str, str], dict[str, str], list[dict[str, Any]]]:
    """A company of its own: a rule asking for `photos` photos, `campaigns` approved tastings."""
    import requests

    root = "OFF" + uuid.uuid4().hex[:8].upper()
    users = {
        "rep": {"sub": f"rep-{root}", "name": "李雷", "role": "rep", "org": f"{root}/EAST/JS"},
        "manager": {"sub": f"mgr-{root}", "name": "赵四", "role": "manager", "org": f"{root}/EAST"},
        "leader": {"sub": f"lead-{root}", "name": "孙七", "role": "leader", "org": root},
    }
    tokens = {k: requests.post(url + "/local/token", json=u, timeout=30).json()["token"] for k, u in users.items()}
    http.ok(
        "POST",
        "/feedback-rules",
        tokens["leader"],
        {"scope": "category", "category": "tasting", "due_days": 7, "min_photos": photos},
        expect=201,
    )
    made = []
    for i in range(campaigns):
        body = {
            "title": f"周末品鉴 {i + 1} · 苏果",
            "category": "tasting",
            "customer": {"id": f"SUGUO-{i}", "name": f"苏果 {i + 1} 号店"},
            "start_date": _day(-3),
            "end_date": _day(-2),
            "location": {"address": "南京新街口", "lat": XINJIEKOU[0], "lon": XINJIEKOU[1]},
            "plan": {"expected_spend": 200000, "expected_sales": 1000000, "expected_units": 500},
            "requested_amount": 200000,
        }
        c = http.ok("POST", "/campaigns", tokens["rep"], body, expect=201)
        http.ok("POST", f"/campaigns/{c['id']}/submit", tokens["rep"])
        made.append(http.ok("POST", f"/campaigns/{c['id']}/approve", tokens["manager"], {"approved_amount": 180000}))
    deadline = time.monotonic() + 30
    for c in made:
        while not http.ok("GET", f"/campaigns/{c['id']}", tokens["rep"])["feedback"]["required"]:
            if time.monotonic() > deadline:
                raise RuntimeError("the rule never reached the campaigns")
            time.sleep(0.2)
    return users["rep"], tokens, made


def _photo_files(folder: Path, campaigns: list[dict[str, Any]], photos: int) -> dict[str, list[str]]:
    """Distinct JPEGs (EXIF time within the campaign, GPS at its place) for each campaign."""
    from tests import corpus

    files: dict[str, list[str]] = {}
    for n, c in enumerate(campaigns):
        taken = f"{c['start_date'].replace('-', ':')} 10:30:00"
        for k in range(photos):
            path = folder / f"陈列-{n + 1}-{k + 1}.jpg"
            seed = 1000 + n * 10 + k
            path.write_bytes(corpus.jpeg(corpus.scene(seed, size=(800, 600)), exif=corpus.exif(taken, *XINJIEKOU)))
            files.setdefault(c["id"], []).append(str(path))
    return files


def _sign_in(page: Any, user: dict[str, str]) -> None:
    local_sign_in(page, user)
    page.wait_for_selector("main .page[data-busy=false]")


def _server_counts(http: Http, token: str, campaigns: list[dict[str, Any]]) -> dict[str, int]:
    revisions = ready = duplicates = 0
    for c in campaigns:
        found = http.ok("GET", f"/campaigns/{c['id']}/feedback/revisions", token)["items"]
        revisions += len(found)
        duplicates += max(0, len(found) - 1)
        files = http.ok("GET", f"/campaigns/{c['id']}/attachments", token)["items"]
        ready += sum(1 for a in files if a["status"] == "ready")
        duplicates += len(files) - len({a.get("sha256") or (a["filename"], a["size_bytes"]) for a in files})
    return {"submitted_revisions": revisions, "ready_photos": ready, "duplicates": duplicates}


def run(url: str, campaigns: int = 5, photos: int = 3, browser: Any = None) -> dict[str, Any]:
    """The scenario against the stack at `url` (a smoke test passes its own stack, and its own
    browser: Playwright's sync API cannot start a second one in the process)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                return run(url, campaigns, photos, own)
            finally:
                own.close()
    http = Http(url)
    rep, tokens, made = _scene(http, url, campaigns, photos)
    items = campaigns * (photos + 1)
    with tempfile.TemporaryDirectory() as tmp:
        files = _photo_files(Path(tmp), made, photos)
        context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(url + "/console/")
        page.wait_for_selector("html[data-ready]")
        _sign_in(page, rep)
        bar = page.locator(".offline-bar")
        bar.get_by_text("本机数据同步于").wait_for()

        # after one visit: the service worker holds the release and serves the page
        deadline = time.monotonic() + 60  # polled: wait_for_function's eval is refused by the CSP
        while not page.evaluate("navigator.serviceWorker.controller !== null"):
            if time.monotonic() > deadline:
                raise RuntimeError("the service worker never took over the page")
            page.wait_for_timeout(100)
        context.set_offline(True)
        written = time.perf_counter()
        for c in made:
            page.goto(f"{url}/console/#/campaigns/{c['id']}/feedback")
            page.wait_for_selector("main .page[data-busy=false]")
            page.get_by_label("实际花费").fill("1500")
            page.get_by_label("实际销售额").fill("9000")
            page.get_by_label("4 良好").check()
            with page.expect_file_chooser() as chooser:
                page.get_by_text("选择照片或文件").click()
            chooser.value.set_files(files[c["id"]])
            page.locator("li.upload-waiting").nth(photos - 1).wait_for()
            page.get_by_role("button", name="提交反馈").click()
            page.get_by_text("反馈报告已保存在本机").wait_for()
        written_s = time.perf_counter() - written
        page.reload()
        page.wait_for_selector("main .page[data-busy=false]")
        bar.get_by_text(f"等待发送（{items}）").wait_for()

        context.set_offline(False)
        back = time.perf_counter()
        bar.get_by_role("button", name="网络已恢复：登录后发送").click(timeout=TIMEOUT_MS)
        _sign_in(page, rep)
        signed_in = time.perf_counter()
        # the outbox counted (the bar's data-waiting) and empty, nothing refused
        page.wait_for_selector('.offline-bar[data-waiting="0"]:not(:has(.outbox-refused))', timeout=600000)
        done = time.perf_counter()
        context.close()
    counts = _server_counts(http, tokens["rep"], made)
    return {
        "seconds": round(done - back, 2),
        "sending_seconds": round(done - signed_in, 2),
        **counts,
        "campaigns": campaigns,
        "photos_per_campaign": photos,
        "written_offline_s": round(written_s, 1),
    }


def measure(quick: bool = False) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    campaigns, photos = (2, 1) if quick else (5, 3)
    with stack_at(None, detail, "offline sync") as url:
        result = run(url, campaigns, photos)
    result["stack"] = detail
    result["measured"] = (
        "a rep offline in Chromium writes feedback with photos, reloads, comes back online and "
        "signs in: seconds until the outbox is empty; revisions, ready photos and duplicates "
        "counted through the API"
    )
    return {"offline_sync": result}


def table(results: dict[str, Any]) -> str:
    r = results["offline_sync"]
    expected = r["campaigns"], r["campaigns"] * r["photos_per_campaign"], 0
    ok = (r["submitted_revisions"], r["ready_photos"], r["duplicates"]) == expected
    rows = [
        ("offline_sync.seconds", f"{r['seconds']:.1f} s", "—"),
        ("offline_sync.sending_seconds", f"{r['sending_seconds']:.1f} s", "—"),
        ("offline_sync.submitted_revisions", str(r["submitted_revisions"]), f"= {expected[0]}"),
        ("offline_sync.ready_photos", str(r["ready_photos"]), f"= {expected[1]}"),
        ("offline_sync.duplicates", str(r["duplicates"]), "= 0"),
    ]
    lines = [f"{a:36s} {b:>10s}  {c:>6s}" for a, b, c in rows]
    return "\n".join(lines + [f"{'exactly once':36s} {'ok' if ok else 'FAIL':>10s}"])


def main(argv: list[str] | None = None) -> int:
    return browser_main("python -m bench.offline_sync", __doc__ or "", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
