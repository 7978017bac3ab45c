"""devstack/ is typed: mypy, as configured in pyproject.toml, finds no error in it (the
chalicelib modules it imports are checked silently: their annotations are other work)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # mypy takes half a minute: make test runs it, the fast loop (make unit) does not
def test_mypy_finds_no_error_in_devstack(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path), "devstack"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
