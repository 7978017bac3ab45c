"""What `make run` prints while it serves: one line per request (method, path, status, time),
so the ready banner with the token command stays in view; the app's JSON log lines and metrics
go to the stack's log file (var/log/stack.log; a spawned stack's run directory), and
`make run VERBOSE=1` shows them on the terminal too."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from tests.e2e.conftest import Org, StackProcess, wait_for

ACCESS_LINE = re.compile(r"^\d\d:\d\d:\d\d  (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) \d+ ms$")
BANNER_END = "Ctrl-C to stop."


def test_n_requests_print_n_lines_and_the_app_logs_go_to_the_log_file():
    stack = StackProcess().wait_ready()
    try:
        wait_for(lambda: BANNER_END in stack.output())
        start = len(stack.output())
        org = Org("L")
        plan = {
            "title": "Display",
            "category": "display",
            "customer": {"id": "K1", "name": "Shop"},
            "start_date": "2026-11-02",
            "end_date": "2026-11-03",
            "plan": {"expected_spend": 1000, "expected_sales": 5000},
            "requested_amount": 1000,
        }
        status, c = stack.http("POST", "/campaigns", org.rep, plan)
        assert status == 201
        requests = [
            ("POST", "/campaigns", 201),
            ("GET", "/categories", 200),
            ("POST", f"/campaigns/{c['id']}/submit", 200),
            ("POST", f"/campaigns/{c['id']}/approve", 200),  # the roll-up stream runs behind it
            ("GET", f"/campaigns/{c['id']}", 200),
            ("GET", "/no-such-route", 404),
            ("GET", "/console/config.json", 200),  # a console file, served beside the API
        ]
        for method, path, expected in requests[1:]:
            approve = path.endswith("/approve")
            token, body = (org.manager, {"approved_amount": 900}) if approve else (org.rep, None)
            assert stack.http(method, path, token, body)[0] == expected

        def printed() -> list[str]:
            return [line for line in stack.output()[start:].splitlines() if line.strip()]

        wait_for(lambda: len(printed()) >= len(requests))
        time.sleep(1.5)  # the stream runners' work after the approval must print nothing either
        lines = printed()
        assert len(lines) == len(requests), "\n".join(lines)
        parsed = [ACCESS_LINE.match(line) for line in lines]
        assert all(parsed), "\n".join(lines)
        assert [(m["method"], m["path"], int(m["status"])) for m in parsed if m] == requests

        # the full logs: a Powertools JSON line per API request, the metrics, in the log file
        log = stack.app_log()
        assert log.count('"message":"request"') >= len(requests) - 2, log[-3000:]  # not the console file, not the 404
        assert '"CloudWatchMetrics"' in log
        assert '"message":"request"' not in stack.output()
    finally:
        stack.stop()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_verbose_shows_the_apps_json_logs_on_the_terminal_too():
    stack = StackProcess(["make", "--no-print-directory", "-s", "run", "VERBOSE=1"]).wait_ready()
    try:
        assert stack.http("GET", "/categories", Org("V").rep)[0] == 200
        wait_for(lambda: '"message":"request"' in stack.output() and "GET /categories 200" in stack.output())
        assert '"message":"request"' in stack.app_log()
    finally:
        stack.stop()
