"""Stopping the local stack as people do: one Ctrl-C on `make run` (the terminal signals the
whole foreground process group, make included), a SIGTERM to that group (make forwards it to
the stack, which so gets it twice), and a SIGTERM to `python -m devstack run` alone. Each ends
cleanly: no traceback, no make error, nothing left listening."""

from __future__ import annotations

import shutil
import signal
import socket

import pytest

from tests.e2e.conftest import StackProcess


def closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def moto_port(output: str) -> int:
    line = next(x for x in output.splitlines() if "AWS endpoint (moto): " in x)
    return int(line.split("AWS endpoint (moto): ")[1].split()[0].rsplit(":", 1)[1])


def assert_clean_stop(stack: StackProcess, output: str) -> None:
    assert "Traceback" not in output, output
    assert "Traceback" not in stack.app_log(), stack.app_log()
    assert "make: ***" not in output, output
    assert "local stack stopped" in output, output
    assert closed(stack.port) and closed(moto_port(output))


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@needs_make
def test_one_ctrl_c_on_make_run_stops_the_stack_cleanly():
    stack = StackProcess(["make", "--no-print-directory", "-s", "run"]).wait_ready()
    try:
        stack.signal_group(signal.SIGINT)  # what the terminal does on Ctrl-C
        code = stack.proc.wait(timeout=60)
        output = stack.output()
        # the stack exited 0, so make stops only because it was interrupted itself
        assert code in (0, -signal.SIGINT), output
        assert_clean_stop(stack, output)
    finally:
        stack.kill()
        stack.stop()


@needs_make
def test_a_sigterm_to_make_runs_process_group_stops_the_stack_once():
    stack = StackProcess(["make", "--no-print-directory", "-s", "run"]).wait_ready()
    try:
        stack.signal_group(signal.SIGTERM)
        code = stack.proc.wait(timeout=60)
        output = stack.output()
        assert code in (0, -signal.SIGTERM), output
        assert_clean_stop(stack, output)
        # make forwards its SIGTERM to the stack, which gets the group's too (the kernel may
        # merge the two if both land before the first is handled): it stops once either way
        assert output.count("local stack stopped") == 1, output
    finally:
        stack.kill()
        stack.stop()


def test_a_ctrl_c_followed_at_once_by_a_sigterm_stops_the_stack_once_without_a_traceback():
    # what a terminal and a supervisor (or a make that forwards SIGTERM) do together: two
    # different signals, so the second is not merged into the first and arrives mid-stop
    stack = StackProcess().wait_ready()
    try:
        stack.proc.send_signal(signal.SIGINT)
        stack.proc.send_signal(signal.SIGTERM)
        assert stack.proc.wait(timeout=60) == 0, stack.output()
        assert_clean_stop(stack, stack.output())
    finally:
        stack.kill()
        stack.stop()


def test_python_m_devstack_run_exits_0_on_sigterm():
    stack = StackProcess().wait_ready()
    try:
        stack.proc.send_signal(signal.SIGTERM)
        assert stack.proc.wait(timeout=60) == 0
        output = stack.output()
        assert "http://127.0.0.1:" in output
        assert_clean_stop(stack, output)
    finally:
        stack.kill()
        stack.stop()
