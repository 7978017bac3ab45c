"""Every use-case test runs against a fresh in-memory storage and a fixed clock.

The clock stands at 10:00 on 2026-11-20 in Asia/Shanghai (02:00 UTC) and moves one
millisecond each time the service reads it, so records keep the order they were made in; a
test moves it with `clock.set(day, hour)` or `clock.advance(...)`. Builders: builders.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from chalicelib import clock as service_clock
from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from tests.unit.use_cases.builders import TODAY

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class Clock:
    """The service's clock in a test: a set instant, one millisecond later at each reading."""

    def __init__(self, day: str, hour: int = 10) -> None:
        self.at = dt.datetime.now(dt.UTC)
        self.set(day, hour)

    def __call__(self) -> dt.datetime:
        self.at += dt.timedelta(milliseconds=1)
        return self.at

    def set(self, day: str, hour: int = 10, minute: int = 0) -> None:
        """Move to `hour:minute` of `day` in Asia/Shanghai."""
        self.at = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI).astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)

    @property
    def today(self) -> str:
        return self.at.astimezone(SHANGHAI).date().isoformat()


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    fixed = Clock(TODAY)
    previous = service_clock.use_clock(fixed)
    yield fixed
    service_clock.use_clock(previous)


@pytest.fixture(autouse=True)
def store() -> Iterator[InMemoryStorage]:
    storage = InMemoryStorage()
    previous = repos.install(storage)
    yield storage
    repos.install(previous)
