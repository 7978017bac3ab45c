"""Local development stack: moto as the AWS endpoint, the Chalice app on chalice.local,
DynamoDB stream runners that behave like Lambda's event source mappings, and local JWTs.

Nothing here is deployed; Chalice packages only app.py and chalicelib/.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the directory holding app.py), found from this package's location
#: so the stack works whatever the current directory is.
REPO_ROOT: Path = Path(__file__).resolve().parent.parent

#: Local state (keys, ready file, logs, the saved data). Git-ignored; never committed.
VAR_DIR: Path = REPO_ROOT / "var"

#: Where a running stack says it runs (`ready`, `endpoint`), for `/health`, `devstack invoke`
#: and the tools. DEVSTACK_RUN_DIR gives a stack (and whoever talks to it) a directory of its
#: own, so that several stacks can run side by side (the test suites do).
RUN_DIR: Path = Path(os.environ.get("DEVSTACK_RUN_DIR") or VAR_DIR / "run")
READY_FILE: Path = RUN_DIR / "ready"
ENDPOINT_FILE: Path = RUN_DIR / "endpoint"  # the moto URL, for `devstack invoke` and the tools


#: Where the local stack keeps its data between restarts (devstack.persist). DEVSTACK_STATE_DIR
#: moves it; set but empty, nothing is kept: the stacks tests and benchmarks start
#: (devstack.client.spawn_stack) begin empty and leave nothing behind.
_STATE_ENV = os.environ.get("DEVSTACK_STATE_DIR")
STATE_DIR: Path | None = VAR_DIR / "state" if _STATE_ENV is None else Path(_STATE_ENV) if _STATE_ENV else None

#: The stack's full logs (the app's JSON lines and metrics, moto's log). DEVSTACK_LOG_DIR moves them.
LOG_DIR: Path = Path(os.environ.get("DEVSTACK_LOG_DIR") or VAR_DIR / "log")


def running_endpoint() -> str | None:
    """The moto URL of the stack running with this run directory, or None if none runs."""
    try:
        return ENDPOINT_FILE.read_text().strip() or None
    except OSError:
        return None


__all__ = [
    "REPO_ROOT",
    "VAR_DIR",
    "RUN_DIR",
    "READY_FILE",
    "ENDPOINT_FILE",
    "STATE_DIR",
    "LOG_DIR",
    "running_endpoint",
]
