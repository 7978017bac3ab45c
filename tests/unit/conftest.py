"""The fast loop (`make unit`): the domain and every use case against the in-memory storage.

A unit test starts no server, opens no connection and never reaches the DynamoDB storage: for
the length of every test here, binding or connecting a socket raises `NoNetwork` (threads that
were already running, such as another suite's moto in a whole `make test` run, are left
alone), and a use case that finds no storage installed raises instead of building the
DynamoDB one. A session that runs only this suite and still imports moto or a browser driver
fails (see `pytest_sessionfinish`). Use cases get their storage from the `store` fixture of
tests/unit/use_cases/conftest.py.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_reporting_sections import rollups_in_memory  # noqa: F401 (a fixture, found by pytest by name)

UNIT = Path(__file__).resolve().parent
#: what the fast loop never loads: a local AWS, a browser driver
FORBIDDEN_MODULES = ("moto", "playwright")


class NoNetwork(RuntimeError):
    """A unit test tried to bind or connect a socket."""


@pytest.fixture(autouse=True)
def _no_network_and_no_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    running = {t.ident for t in threading.enumerate() if t is not threading.main_thread()}

    def refuse(name: str) -> None:
        original: Callable[..., Any] = getattr(socket.socket, name)

        def guarded(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() in running:
                return original(self, *args, **kwargs)
            raise NoNetwork(f"a unit test may not {name} a socket ({args[0] if args else ''!r}): use the fakes")

        monkeypatch.setattr(socket.socket, name, guarded)

    for name in ("bind", "connect", "connect_ex"):
        refuse(name)

    def no_dynamo() -> None:
        raise RuntimeError("a unit test reached the DynamoDB storage: use the `store` fixture (InMemoryStorage)")

    monkeypatch.setattr("chalicelib.dal.repos._default", no_dynamo)
    yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A session of the unit suite alone that imported moto or a browser driver fails."""
    items = getattr(session, "items", [])
    if not items or any(UNIT not in Path(str(item.path)).resolve().parents for item in items):
        return
    loaded = sorted(m for m in FORBIDDEN_MODULES if m in sys.modules)
    if loaded:
        sys.stderr.write(f"\nthe unit suite imported {', '.join(loaded)}: it must run without them\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
