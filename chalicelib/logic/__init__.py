"""Use cases: one function per thing a user (or a trigger) does. Plain values in, domain objects
out; storage through chalicelib.dal.repos, so the same code runs on DynamoDB and in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.domain.errors import Conflict, StaleWrite

T = TypeVar("T")
R = TypeVar("R")


def retry_on_stale(operation: Callable[[], T], attempts: int = 5) -> T:
    """Re-run a read-decide-write use case when its conditional write lost a race.

    Each attempt re-reads, so the loser of a race sees the winner's result and decides again
    (for example: a second settlement finds the campaign reimbursed and gets 409).
    """
    for attempt in range(attempts):
        try:
            return operation()
        except StaleWrite:
            if attempt == attempts - 1:
                raise Conflict(
                    "the campaign kept changing while we tried to save; try again", code="conflict"
                ) from None
    raise AssertionError("unreachable")


def retry_on_stale_from(first: T, read: Callable[[], T], decide: Callable[[T], R], attempts: int = 5) -> R:
    """`retry_on_stale` for a use case that already holds a read: the first attempt decides on
    `first` (its write is conditional on that version, so a stale one is refused), every retry
    on a fresh `read()`."""
    pending = [first]
    return retry_on_stale(lambda: decide(pending.pop() if pending else read()), attempts)
