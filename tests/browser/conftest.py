"""Browser tests of the web console: one local stack (`python -m devstack run`) and one
Chromium (Debian's, through Playwright's executable_path) for the whole session, a fresh
browser context per role and test, a fresh company per test.

Every page is watched for script errors and Content-Security-Policy violations (a test fails
on either); `Console.check(name)` saves a screenshot under var/screenshots/, runs axe-core
(no serious or critical violation) and asserts the page does not scroll sideways.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from devstack.browser import CHROMIUM, LAUNCH_ARGS, local_sign_in
from devstack.client import call_json, free_port, spawn_stack, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PHONE = {"width": 375, "height": 812}
DESK = {"width": 1366, "height": 900}
LAPTOP = {"width": 1280, "height": 800}
DEVICES = {"phone": PHONE, "desk": DESK, "laptop": LAPTOP}
TIMEOUT_MS = 15000


class Stack:
    """The running local stack: its URL and the object store's origin (uploads go there)."""

    def __init__(self, url: str, storage: str) -> None:
        self.url = url
        self.storage = storage

    def call(self, method: str, path: str, token: str | None = None, body=None, key: str | None = None):
        return call_json(self.url, method, path, token, body, {"Idempotency-Key": key} if key else None)

    def ok(self, method: str, path: str, token: str | None = None, body=None, key: str | None = None):
        status, out = self.call(method, path, token, body, key)
        assert 200 <= status < 300, (method, path, status, out)
        return out

    def token(self, sub: str, role: str, org: str, name: str) -> str:
        return self.ok("POST", "/local/token", body={"sub": sub, "role": role, "org": org, "name": name})["token"]


@pytest.fixture(scope="session")
def stack():
    port = free_port()
    log_path = ROOT / "var" / "log" / "browser-stack.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    # run files of its own (other stacks may run beside it); a webhook's retries a second apart,
    # so a failed delivery is seen failing within the journey (tests/browser/test_webhooks.py)
    proc, _, _ = spawn_stack(port, log, new_session=False, HUIXIANG_WEBHOOK_RETRY_DELAYS="1,1")
    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(url, proc):
        proc.kill()
        pytest.fail(f"the local stack did not start; see {log_path}")
    with urllib.request.urlopen(url + "/console/", timeout=5) as r:
        csp = r.headers["Content-Security-Policy"]
    storage = re.search(r"connect-src 'self' (\S+)", csp).group(1).rstrip(";")
    yield Stack(url, storage)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives every run a fresh temporary profile (user-data-dir)
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


class Console:
    """One person at the console in one browser context."""

    def __init__(self, browser, stack: Stack, device: str, test: str) -> None:
        self.stack = stack
        self.device = device
        self.test = test
        self.context = browser.new_context(
            viewport=DEVICES[device], locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.problems: list[str] = []
        self.page = self._watch(self.context.new_page())
        self.checked: list[str] = []

    def _watch(self, page):
        def on_console(msg):
            text = msg.text
            if "Content Security Policy" in text or (msg.type == "error" and "Failed to load resource" not in text):
                self.problems.append(f"console {msg.type}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        return page

    # -- navigation -------------------------------------------------------------------------
    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.stack.url}/console/{'#' + route if route else ''}")
        self.page.wait_for_selector("html[data-ready]")

    def sign_in(self, user: dict) -> None:
        """The local sign-in page, filled in as a person would."""
        if not self.page.url.startswith(self.stack.url):
            self.open()
        local_sign_in(self.page, user)
        self.page.wait_for_selector("header.top")
        self.ready()

    def nav(self, label: str) -> None:
        """Follow a menu entry (opening the menu first on a phone)."""
        p = self.page
        toggle = p.locator(".menu-toggle")
        if toggle.is_visible():
            toggle.click()
        p.locator("#nav").get_by_role("link", name=label, exact=True).click()
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("main .page[data-busy=false]")

    def installed(self) -> None:
        """Wait until the service worker holds the console's release and serves this page: what
        "after one visit" means before the network goes (it installs once the page is idle)."""
        # polled with evaluate: wait_for_function compiles its predicate with eval, which the CSP refuses
        wait_for(lambda: self.page.evaluate("navigator.serviceWorker.controller !== null"), 60)

    # -- checks ------------------------------------------------------------------------------
    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.device}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self, name: str) -> None:
        """Screenshot, axe-core (no serious/critical violations), no sideways scrolling."""
        self.shot(name)
        self.checked.append(name)
        p = self.page
        if not p.evaluate("typeof window.axe === 'object'"):
            p.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
        violations = p.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }""")
        assert violations == [], f"{name} ({self.device}): {json.dumps(violations, ensure_ascii=False, indent=1)}"
        overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} ({self.device}) scrolls sideways by {overflow}px"

    def close(self) -> None:
        problems, self.problems = self.problems, []
        self.context.close()
        assert problems == [], problems


@pytest.fixture
def console(browser, stack, request):
    """console(device) → a Console in a fresh context; closed (and checked) after the test."""
    opened: list[Console] = []

    def make(device: str = "desk") -> Console:
        c = Console(browser, stack, device, request.node.name)
        opened.append(c)
        return c

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for c in opened:
        if failed:
            c.shot(f"FAILED-{request.node.name}")
        c.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class Company:
    """A fresh company (org root) per test: its cast as users of the local sign-in page, and
    their tokens for setting the scene through the API."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.root = "B" + uuid.uuid4().hex[:8].upper()
        r = self.root
        self.users = {
            "rep": {"sub": f"rep-{r}", "name": "李雷", "role": "rep", "org": f"{r}/EAST/JS"},
            "rep2": {"sub": f"rep2-{r}", "name": "韩梅梅", "role": "rep", "org": f"{r}/WEST/SC"},
            "manager": {"sub": f"mgr-{r}", "name": "赵四", "role": "manager", "org": f"{r}/EAST"},
            "leader": {"sub": f"lead-{r}", "name": "孙七", "role": "leader", "org": r},
            "finance": {"sub": f"fin-{r}", "name": "周八", "role": "finance", "org": r},
        }
        self.tokens = {k: stack.token(u["sub"], u["role"], u["org"], u["name"]) for k, u in self.users.items()}

    def add(self, who: str, name: str, role: str, org: str) -> dict:
        """One more person of this company (e.g. a province manager), with a token."""
        user = {"sub": f"{who}-{self.root}", "name": name, "role": role, "org": org}
        self.users[who] = user
        self.tokens[who] = self.stack.token(user["sub"], role, org, name)
        return user

    def api(self, who: str, method: str, path: str, body=None, key: str | None = None):
        return self.stack.ok(method, path, self.tokens[who], body, key)


@pytest.fixture
def company(stack) -> Company:
    return Company(stack)


def wait_for(check, timeout: float = 15.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
