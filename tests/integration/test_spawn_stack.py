"""Every stack a test, `make fuzz` or a benchmark starts comes from devstack.client.spawn_stack,
which gives it run files of its own: `make bench` beside a developer's `make run` once rewrote
var/run/endpoint, and `make verify-rollups` then talked to a stack that was gone."""

from __future__ import annotations

import subprocess
import sys
import tempfile

from devstack import RUN_DIR
from devstack.client import spawn_stack


def test_a_spawned_stack_gets_a_run_directory_of_its_own_and_no_inherited_settings(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # a test session's own moto
    probe = "import os; print(os.environ['DEVSTACK_RUN_DIR'], os.environ['PORT'], os.environ.get('AWS_ENDPOINT_URL'))"
    with tempfile.TemporaryFile() as out:
        proc, run_dir, env = spawn_stack(4711, out, cmd=[sys.executable, "-c", probe], new_session=False)
        assert proc.wait(timeout=30) == 0
        out.seek(0)
        seen_dir, port, endpoint = out.read().decode().split()
    assert seen_dir == str(run_dir) == env["DEVSTACK_RUN_DIR"] and run_dir.is_dir()
    assert run_dir.resolve() != RUN_DIR.resolve()
    assert (port, endpoint) == ("4711", "None") and "PORT" not in env
    other = spawn_stack(4712, subprocess.DEVNULL, cmd=[sys.executable, "-c", "pass"], new_session=False)
    assert other[0].wait(timeout=30) == 0 and other[1] != run_dir
