"""One local stack (`python -m devstack run`, as a user starts it) shared by every end-to-end
module, and the small HTTP client they drive it with.

Starting a stack costs seconds (moto, tables, runners, the API), so the modules share one; each
test works in a company of its own and never sees another's data. Tests that stop a stack
start their own (see test_devstack_signals.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack.client import call_json, free_port, spawn_stack

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0


class Http:
    """JSON over urllib: (status, body) for any answer, errors included."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(
        self, method: str, path: str, token: str | None = None, body: Any = None, headers: dict | None = None
    ) -> tuple[int, Any]:
        return call_json(self.base, method, path, token, body, headers)


def token(sub: str, role: str, org: str) -> str:
    """A token the local stack accepts: signed with the key under var/jwt, as `devstack token` does."""
    from devstack.tokens import mint_token

    return mint_token(sub, role, org)


class StackProcess:
    """A command that starts the local stack (default `python -m devstack run`) in its own
    process group, its output in a file, with `url`, `wait_ready()`, `output()` and `stop()`."""

    def __init__(self, cmd: list[str] | None = None, state_dir: Path | None = None, **env: str) -> None:
        self.port = free_port()
        self.http = Http(f"http://127.0.0.1:{self.port}")
        self.cmd = cmd or [sys.executable, "-m", "devstack", "run"]
        self.log = tempfile.NamedTemporaryFile(prefix="huixiang-e2e-stack-", suffix=".log", delete=False)
        # run files of its own: other suites' stacks may run beside it; empty unless given a state
        self.proc, self.run_dir, self.env = spawn_stack(self.port, self.log, self.cmd, state_dir=state_dir, **env)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> StackProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.http("GET", "/health")[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                pytest.fail(f"the stack exited ({self.proc.returncode}): {self.output()}")
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"the stack did not become ready in {timeout:.0f} s: {self.output()}")

    def output(self) -> str:
        """What the stack printed on its terminal."""
        return Path(self.log.name).read_text(errors="replace")

    def app_log(self) -> str:
        """Its full log (the app's JSON lines, metrics and tracebacks), in its run directory."""
        try:
            return (self.run_dir / "stack.log").read_text(errors="replace")
        except OSError:
            return ""

    def signal_group(self, sig: int) -> None:
        """What a terminal does on Ctrl-C (SIGINT) or a supervisor on stop: signal the whole group."""
        os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        os.unlink(self.log.name)


def log_excerpt(log: str, limit: int = 12000) -> str:
    """What of a stack's log explains a failure: its last tracebacks, else its tail."""
    start = log.find("Traceback")
    if start < 0:
        return log[-limit:]
    tracebacks = log[start:]
    return tracebacks[-limit:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test against the shared stack shows the stack's log with it: a 500 says nothing
    more than 'internal server error' to the client, the traceback is in the stack's output."""
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("local_stack")
    if report.failed and isinstance(stack, StackProcess):
        report.sections.append(("local stack output", log_excerpt(stack.output())))
        report.sections.append(("local stack log", log_excerpt(stack.app_log())))


@pytest.fixture(scope="package")
def local_stack():
    """The shared stack, started by the first test that asks for it, stopped after the last."""
    stack = StackProcess().wait_ready()
    yield stack
    stack.stop()


@pytest.fixture
def http(local_stack) -> Http:
    return local_stack.http


class Org:
    """A fresh company on the shared stack with a rep, a manager, a leader and finance."""

    def __init__(self, prefix: str = "E") -> None:
        self.root = prefix + uuid.uuid4().hex[:8].upper()
        self.rep = token(f"rep-{self.root}", "rep", f"{self.root}/EAST/JS")
        self.manager = token(f"mgr-{self.root}", "manager", f"{self.root}/EAST")
        self.leader = token(f"lead-{self.root}", "leader", self.root)
        self.finance = token(f"fin-{self.root}", "finance", self.root)


@pytest.fixture
def org() -> Org:
    return Org()


def wait_for(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
