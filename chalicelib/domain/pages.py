"""A page of a list: what every list route returns, whatever stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    """How much to return, and where the previous page ended (an opaque cursor)."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None
