"""The console's service worker across releases: after one visit the console opens with no
network; a changed file is a new release that runs, whole, from the next load on (one reload);
a release whose files are not all there yet (a deploy half done) never takes over, so no page
ever runs a mix of two releases. The console is served from a copy of console/ that the test
changes (devstack.console.static_server answers as the local stack does)."""

from __future__ import annotations

import shutil
import threading

import pytest

from devstack.console import static_server
from tests.browser.conftest import ROOT, TIMEOUT_MS

OLD_TITLE = "本地登录（仅限本地环境）"
NEW_TITLE = "本地登录（新版本）"
# a page reports what it runs once its first screen is ready: the heading (from i18n.js, loaded
# at start) and whether the sign-in form has the new release's class (signin.js, loaded lazily)
REPORT = """
new MutationObserver((_, observer) => {
  if (!document.documentElement.dataset.ready || !document.querySelector("main h1")) return;
  observer.disconnect();
  window.reportRelease([document.querySelector("main h1").textContent,
    Boolean(document.querySelector("form.release-2"))]);
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


# check for a new release now and wait for its install to end: "installed" (then activated and
# reloaded) or "redundant" (it failed); "none" when sw.js has not changed
INSTALL_OUTCOME = """async () => {
  const r = await navigator.serviceWorker.getRegistration();
  await r.update().catch(() => undefined);
  const w = r.installing;
  if (!w) return r.waiting ? r.waiting.state : "none";
  if (w.state !== "installing") return w.state;
  return new Promise((done) => w.addEventListener("statechange", () => w.state !== "installing" && done(w.state)));
}"""


@pytest.fixture
def served(tmp_path):
    """A copy of console/ served on a free port; `stale` maps a path to bytes served instead of
    the file's (a deploy that has not uploaded that file yet)."""
    root = tmp_path / "console"
    shutil.copytree(ROOT / "console", root)
    server = static_server(root)
    stale: dict[str, bytes] = {}
    handler = server.RequestHandlerClass

    class Deploying(handler):  # type: ignore[misc, valid-type]
        def _send_file(self, data: bytes, ctype: str, head: bool) -> None:
            super()._send_file(stale.get(self._route(), data), ctype, head)

    server.RequestHandlerClass = Deploying
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/console/", stale
    server.shutdown()
    server.server_close()


def until(page, check, timeout: float = 15.0) -> None:
    """Wait for check() while Playwright delivers the page's reports (a plain sleep would not)."""
    for _ in range(int(timeout * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError("condition not met in time")


def _release_2(root) -> dict[str, bytes]:
    """Change one file loaded at start and one loaded lazily; returns their old bytes."""
    old = {}
    for rel, before, after in (
        ("js/i18n.js", OLD_TITLE, NEW_TITLE),
        ("js/local/signin.js", 'class="card form"', 'class="card form release-2"'),
    ):
        path = root / rel
        old[f"/console/{rel}"] = path.read_bytes()
        text = path.read_text(encoding="utf-8")
        assert text.count(before) == 1, rel
        path.write_text(text.replace(before, after), encoding="utf-8")
    return old


def test_a_changed_file_runs_whole_from_the_next_load_and_a_half_deployed_release_never(browser, served):
    root, url, stale = served
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    seen: list[list] = []
    problems: list[str] = []
    context.expose_binding("reportRelease", lambda source, value: seen.append(value))
    context.add_init_script(REPORT)
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(str(e)))
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))

    # First visit: release 1 runs from the network and the worker installs it.
    page.goto(url)
    until(page, lambda: seen == [[OLD_TITLE, False]])
    until(page, lambda: page.evaluate("navigator.serviceWorker.controller !== null"))
    caches = page.evaluate("caches.keys()")
    assert len(caches) == 1 and caches[0].startswith("huixiang-console-")

    # With no network, the console still opens: every file from the worker's cache.
    context.set_offline(True)
    page.reload()
    until(page, lambda: len(seen) == 2)
    assert seen[1] == [OLD_TITLE, False]
    context.set_offline(False)

    # Release 2 half deployed: sw.js announces it, but i18n.js is still the old file. The new
    # worker finds a file that is not its release's and never takes over: release 1 goes on.
    stale.update(_release_2(root))
    del stale["/console/js/local/signin.js"]
    page.reload()
    until(page, lambda: len(seen) == 3)
    assert page.evaluate(INSTALL_OUTCOME) == "redundant"  # its install failed
    assert seen[2:] == [[OLD_TITLE, False]]
    assert page.evaluate("caches.keys()") == caches

    # The deploy completes: the next load installs release 2, reloads once, and runs it whole.
    stale.clear()
    before = len(loads)
    page.reload()
    until(page, lambda: seen[-1] == [NEW_TITLE, True], 30)
    assert len(loads) - before <= 2  # the load itself, and at most the one reload
    assert all(pair in ([OLD_TITLE, False], [NEW_TITLE, True]) for pair in seen), seen  # never a mix
    until(page, lambda: len(page.evaluate("caches.keys()")) == 1)
    assert page.evaluate("caches.keys()") != caches  # release 1's cache is gone

    # Offline again: release 2, whole, from its cache.
    context.set_offline(True)
    count = len(seen)
    page.reload()
    until(page, lambda: len(seen) == count + 1)
    assert seen[-1] == [NEW_TITLE, True]
    context.close()
    assert problems == []


def test_the_console_is_an_installable_app(browser, served, tmp_path):
    """Chromium's own verdict, in a profile of its own (it never installs from an incognito one):
    no installability error, and the manifest parses with its icons."""
    from devstack.browser import CHROMIUM, LAUNCH_ARGS

    _, url, _ = served
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=LAUNCH_ARGS
    )
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("html[data-ready]")
        until(page, lambda: page.evaluate("navigator.serviceWorker.controller !== null"))
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == url + "manifest.webmanifest" and manifest["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()
