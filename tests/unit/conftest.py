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


#: While a unit test runs: the threads that were running before it (left alone); else None.
_exempt: set[int | None] | None = None


def _refused_while_a_unit_test_runs(name: str) -> None:
    original: Callable[..., Any] = getattr(socket.socket, name)

    def guarded(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
        exempt = _exempt
        if exempt is not None and threading.get_ident() not in exempt:
            raise NoNetwork(f"a unit test may not {name} a socket ({args[0] if args else ''!r}): use the fakes")
        return original(self, *args, **kwargs)

    setattr(socket.socket, name, guarded)


def _no_dynamodb_while_a_unit_test_runs() -> None:
    from chalicelib.dal import repos

    original = repos._default

    def guarded() -> Any:
        if _exempt is not None:
            raise RuntimeError("a unit test reached the DynamoDB storage: use the `store` fixture (InMemoryStorage)")
        return original()

    repos._default = guarded  # type: ignore[assignment]  # the same call, refused during a unit test


# Installed once (a guard per test cost as much as a small test); inert outside unit tests, so a
# whole `make test` run, whose other suites use sockets and DynamoDB, is unaffected.
for _name in ("bind", "connect", "connect_ex"):
    _refused_while_a_unit_test_runs(_name)
_no_dynamodb_while_a_unit_test_runs()


@pytest.fixture(autouse=True)
def _no_network_and_no_aws() -> Iterator[None]:
    global _exempt
    _exempt = {t.ident for t in threading.enumerate() if t is not threading.main_thread()}
    yield
    _exempt = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A session of the unit suite alone that imported moto or a browser driver fails."""
    items = getattr(session, "items", [])
    if not items or any(UNIT not in Path(str(item.path)).resolve().parents for item in items):
        return
    loaded = sorted(m for m in FORBIDDEN_MODULES if m in sys.modules)
    if loaded:
        sys.stderr.write(f"\nthe unit suite imported {', '.join(loaded)}: it must run without them\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
