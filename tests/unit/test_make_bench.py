"""`make bench` on a fresh machine: its last benchmark (bench.console) drives Debian's Chromium,
so make installs it first, as `make test` does, instead of failing at the end with
"/usr/bin/chromium is missing"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_bench_installs_chromium_before_the_first_benchmark_when_it_is_missing():
    # -n: what make would run, on a machine where Chromium is not (yet) at that path
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "bench", "CHROMIUM=/nonexistent/chromium"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    installs = [i for i, line in enumerate(plan) if "apt-get install" in line and "chromium" in line]
    benchmarks = [i for i, line in enumerate(plan) if " -m bench" in line]
    assert installs and benchmarks, "\n".join(plan)
    assert installs[0] < benchmarks[0], "\n".join(plan)
    assert any("bench.console" in plan[i] for i in benchmarks)
