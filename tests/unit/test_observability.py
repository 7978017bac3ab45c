"""Counting and publishing metrics from many threads at once, as the local stack's threaded
server and stream runners do: no request may fail because another thread published."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading

from chalicelib.observability import count, flush_metrics


def test_threads_counting_and_publishing_at_once_neither_fail_nor_lose_a_count():
    threads, rounds = 8, 500
    errors: list[str] = []
    out = io.StringIO()

    def request() -> None:
        for _ in range(rounds):
            try:
                count("Requests")
                flush_metrics()
            except Exception as e:  # the failure under test
                errors.append(repr(e))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows every run
    try:
        with contextlib.redirect_stdout(out):
            workers = [threading.Thread(target=request) for _ in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            flush_metrics()
    finally:
        sys.setswitchinterval(switch)

    assert errors == []
    published = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    values = [p["Requests"] for p in published]  # a number, or a list when counted twice before a flush
    assert sum(sum(v) if isinstance(v, list) else v for v in values) == threads * rounds
