"""`python -m bench.console [--quick] [--out PATH]`: how soon the web console is usable.

Starts the local stack (`python -m devstack run`, as `make run` does) and Debian's Chromium
(Playwright, executable_path), then loads http://127.0.0.1:PORT/console/ in fresh browser
contexts (empty cache, as a first visit) and reads the `console-ready` performance mark the
console sets when its first screen is rendered and usable (the local sign-in form):

    console_ready_ms        median, navigation start → first screen usable, cold cache (target ≤ 1000)
    console_ready_warm_ms   the same on a reload (HTTP cache warm)
    console_home_ready_ms   sign-in click → the role's home screen loaded with its data

and merges them into bench/results.json (`--quick`: fewer runs, nothing written unless --out).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from bench._common import browser_main
from bench.stream_unlock import stack_at
from devstack.browser import CHROMIUM, LAUNCH_ARGS

TARGET_MS = 1000.0
READY_MARK = "performance.getEntriesByName('console-ready')[0]?.startTime ?? null"


def _ms(value: float) -> float:
    return round(value, 1)


def measure(quick: bool = False) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    runs = 3 if quick else 9
    cold: list[float] = []
    warm: list[float] = []
    home: list[float] = []
    stack: dict[str, Any] = {}
    with stack_at(None, stack, "console") as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            # one throw-away visit: the stack's first requests import modules lazily
            ctx = browser.new_context()
            ctx.new_page().goto(url + "/console/", wait_until="load")
            ctx.close()
            for i in range(runs):
                ctx = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
                page = ctx.new_page()
                page.goto(url + "/console/")
                page.wait_for_selector("html[data-ready]")
                cold.append(page.evaluate(READY_MARK))
                page.reload()
                page.wait_for_selector("html[data-ready]")
                warm.append(page.evaluate(READY_MARK))
                page.get_by_label("用户 ID").fill(f"bench-rep-{i}")
                page.get_by_label("组织路径").fill("BENCH/EAST/JS")
                started = time.perf_counter()
                page.get_by_role("button", name="登录").click()
                page.wait_for_selector("main .page[data-busy=false]")
                home.append((time.perf_counter() - started) * 1000)
                ctx.close()
            browser.close()
    return {
        "console_ready_ms": _ms(statistics.median(cold)),
        "console_ready_warm_ms": _ms(statistics.median(warm)),
        "console_home_ready_ms": _ms(statistics.median(home)),
        "console_detail": {
            "runs": runs,
            "stack": stack,
            "cold_ms": [_ms(v) for v in cold],
            "warm_ms": [_ms(v) for v in warm],
            "home_ms": [_ms(v) for v in home],
            "target_ms": TARGET_MS,
            "measured": "navigation start → the 'console-ready' mark (first screen rendered "
            "and usable), Chromium, 375×812, fresh context per run",
        },
    }


def table(results: dict[str, Any]) -> str:
    ok = results["console_ready_ms"] <= TARGET_MS
    rows = [
        ("console_ready_ms", f"{results['console_ready_ms']:.0f} ms", f"≤ {TARGET_MS:.0f}", "ok" if ok else "FAIL"),
        ("console_ready_warm_ms", f"{results['console_ready_warm_ms']:.0f} ms", "—", ""),
        ("console_home_ready_ms", f"{results['console_home_ready_ms']:.0f} ms", "—", ""),
    ]
    return "\n".join(f"{a:28s} {b:>10s}  {c:>8s}  {d}" for a, b, c, d in rows)


def main(argv: list[str] | None = None) -> int:
    return browser_main("python -m bench.console", __doc__ or "", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
