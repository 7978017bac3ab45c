"""Use cases: one function per thing a user (or a trigger) does. Plain values in, domain objects
out; storage through chalicelib.dal.repos, so the same code runs on DynamoDB and in memory."""
from __future__ import annotations

from typing import Callable, TypeVar

from chalicelib.domain.errors import Conflict, StaleWrite

T = TypeVar("T")


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
                raise Conflict("the campaign kept changing while we tried to save; try again", code="conflict")
    raise AssertionError("unreachable")
