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

#: Local state (keys, ready file, logs). Git-ignored; never committed.
VAR_DIR: Path = REPO_ROOT / "var"

#: Where a running stack says it runs (`ready`, `endpoint`), for `/health`, `devstack invoke`
#: and the tools. DEVSTACK_RUN_DIR gives a stack (and whoever talks to it) a directory of its
#: own, so that several stacks can run side by side (the test suites do).
RUN_DIR: Path = Path(os.environ.get("DEVSTACK_RUN_DIR") or VAR_DIR / "run")
READY_FILE: Path = RUN_DIR / "ready"
ENDPOINT_FILE: Path = RUN_DIR / "endpoint"  # the moto URL, for `devstack invoke` and the tools


def running_endpoint() -> str | None:
    """The moto URL of the stack running with this run directory, or None if none runs."""
    try:
        return ENDPOINT_FILE.read_text().strip() or None
    except OSError:
        return None


__all__ = ["REPO_ROOT", "VAR_DIR", "RUN_DIR", "READY_FILE", "ENDPOINT_FILE", "running_endpoint"]
