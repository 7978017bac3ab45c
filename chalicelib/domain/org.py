"""The org tree: paths such as CN/EAST/JS (group / region / province office)."""

from __future__ import annotations

import re

# Org index levels kept in the worklist indexes: group, region, province.
INDEXED_LEVELS = 3
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def is_valid_org(path: str) -> bool:
    parts = path.split("/") if isinstance(path, str) else []
    return 0 < len(parts) <= 8 and all(_SEGMENT.match(p) for p in parts)


def tenant_of(path: str) -> str:
    """The company: the root segment. Nothing ever crosses it."""
    return path.split("/", 1)[0]


def depth(path: str) -> int:
    return path.count("/") + 1


def ancestor(path: str, level: int) -> str | None:
    """The ancestor of `path` at `level` (1 = group), or None when the path is shallower."""
    parts = path.split("/")
    return "/".join(parts[:level]) if len(parts) >= level else None


def lineage(path: str) -> list[str]:
    """`path` and each of its ancestors, from the group down: CN, CN/EAST, CN/EAST/JS."""
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


def is_within(path: str, scope: str) -> bool:
    """True when `path` is `scope` or below it (whole segments only: CN/EA is not above CN/EAST)."""
    return path == scope or path.startswith(scope + "/")


def subtree_prefix(scope: str) -> str:
    """The sort-key prefix that selects `scope` and everything below it."""
    return scope + "/"
