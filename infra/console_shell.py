"""The console's app shell: which files its service worker precaches, and the release they make.

The service worker (console/sw.js) keeps one cache per release and serves a page from that cache
alone, so a page never runs a mix of two releases. It learns the release from the shell manifest
written into it where the line ``const SHELL = /* SHELL */ null;`` stands:
``{"version": …, "files": {path: sha256}}``. The version is a hash of every shipped file's path
and content (sw.js's own code included), so any changed file makes a new release, and the
browser, seeing new bytes in sw.js, installs it; the worker checks each file it fetches against
its hash and activates only a complete cache of exactly that release.

The same function writes sw.js for the local stack (devstack/console.py, per request, from
console/) and for production (infra/console_dist.py, from the copy it uploads), so both ship the
files that are really there: the local sign-in screen locally, not in production.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

WORKER = "sw.js"
PLACEHOLDER = "const SHELL = /* SHELL */ null;"
#: Answered by the network first (the deployment's settings), kept by the worker for offline
#: starts, and so not part of a release.
CONFIG = "config.json"


def shipped(relative: str) -> bool:
    """Whether a file under console/ is served to browsers (docs and the vendoring record are not)."""
    name = relative.rsplit("/", 1)[-1]
    return not name.endswith(".md") and name != "manifest.json"


def shell(root: Path) -> dict[str, Any]:
    """The release of the console served from ``root``: its version and every file's SHA-256."""
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and shipped(rel) and rel not in (WORKER, CONFIG):
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    release = hashlib.sha256((root / WORKER).read_bytes())
    for rel, digest in files.items():
        release.update(f"{rel}\0{digest}\n".encode())
    return {"version": release.hexdigest()[:16], "files": files}


def service_worker(root: Path) -> bytes:
    """console/sw.js with the shell manifest of ``root`` written in."""
    code = (root / WORKER).read_text(encoding="utf-8")
    if code.count(PLACEHOLDER) != 1:
        raise ValueError(f"{WORKER} must hold the line {PLACEHOLDER!r} exactly once")
    manifest = json.dumps(shell(root), separators=(",", ":"), sort_keys=True)
    return code.replace(PLACEHOLDER, f"const SHELL = {manifest};").encode("utf-8")
