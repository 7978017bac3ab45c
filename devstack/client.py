"""Talking to a local stack from outside it: the few things the end-to-end tests, the browser
tests, `make fuzz` and the benchmarks all need. Standard library only, cheap to import.

- ``free_port()``: a port to start a stack on.
- ``clean_env(**overrides)``: the caller's environment without the AWS and app settings a test
  session or a benchmark has set for itself (a child stack must choose its own).
- ``call_json(base, method, path, ...)``: one JSON request, ``(status, body)`` for any answer,
  error statuses included (a test asserts on a 409 as readily as on a 200).
- ``wait_healthy(url, proc, timeout)``: until ``GET /health`` answers 200, the process exits,
  or the time is up.
- ``spawn_stack(port, out, ...)``: ``python -m devstack run`` as a child with run files of its own,
  starting empty (or from a state directory of its own).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent

# What must not leak from the caller into a child stack's AWS or app settings.
_SCRUB_PREFIXES = ("AWS_", "HUIXIANG_", "POWERTOOLS_", "JWKS", "TOKEN_")
_SCRUB_NAMES = (
    "CAMPAIGNS_TABLE",
    "FEEDBACK_TABLE",
    "RULES_TABLE",
    "IDEMPOTENCY_TABLE",
    "ATTACHMENTS_BUCKET",
    "FEEDBACK_STREAM_ARN",
    "RULES_STREAM_ARN",
    "PORT",
    "PYTHONPATH",
)


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def clean_env(**overrides: str) -> dict[str, str]:
    """os.environ without AWS/app settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB_PREFIXES) and k not in _SCRUB_NAMES}
    env.update(overrides)
    return env


def call_json(
    base: str,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One request with a JSON body (if any) and an optional bearer token; the decoded answer."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 120, interval: float = 0.1
) -> bool:
    """True once ``url/health`` answers 200; False if `proc` exited first or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(interval)
    return False


__all__ = ["free_port", "clean_env", "call_json", "wait_healthy"]


def spawn_stack(
    port: int,
    out: IO[bytes] | int,
    cmd: list[str] | None = None,
    python: str | None = None,
    new_session: bool = True,
    state_dir: Path | None = None,
    **env: str,
) -> tuple[subprocess.Popen[bytes], Path, dict[str, str]]:
    """Start a local stack on `port` (``python -m devstack run``, or `cmd`) from the project
    root, its output to `out`. It gets a run directory of its own (DEVSTACK_RUN_DIR): a stack
    a test or a benchmark starts never overwrites the endpoint file of the one a developer
    has running with `make run`, and writes its logs there (DEVSTACK_LOG_DIR). It starts empty
    and keeps nothing, whatever a developer's `make run` saved in var/state, unless given a
    `state_dir` of its own to restore from and save to. `new_session`: its own process group,
    to signal as a whole. Returns the process, its run directory and the environment it was
    given (without PORT: what a tool needs to talk to that stack)."""
    run_dir = Path(tempfile.mkdtemp(prefix="huixiang-run-"))
    tools_env = clean_env(
        DEVSTACK_RUN_DIR=str(run_dir),
        DEVSTACK_LOG_DIR=str(run_dir),
        DEVSTACK_STATE_DIR=str(state_dir) if state_dir is not None else "",
        **env,
    )
    proc = subprocess.Popen(
        cmd or [python or sys.executable, "-m", "devstack", "run"],
        cwd=ROOT,
        env={**tools_env, "PORT": str(port)},
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=new_session,
    )
    return proc, run_dir, tools_env
