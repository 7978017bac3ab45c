"""Debian's Chromium as the browser tests and bench.console launch it through Playwright
(`executable_path`, never `playwright install`; `make test` installs the Debian package)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("HUIXIANG_CHROMIUM", "/usr/bin/chromium")
# headless, and nothing that would reach the internet from a machine that cannot
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
