"""What a path of the machine a file was written on looks like, for the tests that keep the
repository standing alone (the contract, the console, the recorded benchmark results): an
absolute path under a usual top-level folder, a Windows drive, or a way out of the repository."""

from __future__ import annotations

import re

MACHINE_PATH = re.compile(
    r"(?<![\w.:/])/(?:work|home|root|tmp|Users|opt|srv|mnt|usr|var|private)/|\.\./shared|\b[A-Z]:\\\\"
)


def machine_paths(text: str) -> list[str]:
    """Each place in ``text`` that names such a path (the line it stands on)."""
    return [line.strip() for line in text.splitlines() if MACHINE_PATH.search(line)]
