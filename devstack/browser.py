"""Debian's Chromium as the browser tests and the console's benchmarks launch it through
Playwright (`executable_path`, never `playwright install`; `make test` installs the Debian
package), and the local sign-in page as they fill it in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

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


def local_sign_in(page: Any, user: Mapping[str, str]) -> None:
    """Fill in the local stack's sign-in page (devstack/console.py) as a person would and send
    it: `user` has the sub, name, role and org of the token to mint."""
    page.get_by_label("用户 ID").fill(user["sub"])
    page.get_by_label("姓名").fill(user["name"])
    page.get_by_label("角色").select_option(user["role"])
    page.get_by_label("组织路径").fill(user["org"])
    page.get_by_role("button", name="登录").click()
