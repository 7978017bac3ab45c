"""Where use cases get their storage: one installed storage per process, built on first use.

Production and the local stack use DynamoStorage (DynamoDB, S3, SES). Tests of business
rules install an InMemoryStorage (dal/memory.py) with `install()`: the same interface, no moto.
"""

from __future__ import annotations

import functools
from typing import Any

_installed: Any = None


@functools.lru_cache(maxsize=1)
def _default() -> Any:
    from chalicelib.dal.storage import DynamoStorage

    return DynamoStorage()


def storage() -> Any:
    return _installed if _installed is not None else _default()


def install(replacement: Any) -> Any:
    """Use `replacement` as this process's storage (None: back to the default); returns the previous."""
    global _installed
    previous, _installed = _installed, replacement
    return previous


def campaigns():
    return storage().campaigns


def feedback():
    return storage().feedback


def rules():
    return storage().rules


def evidence():
    return storage().evidence


def budgets():
    return storage().budgets


def policies():
    return storage().policies


def delegations():
    return storage().delegations


def audit():
    return storage().audit


def rollups():
    return storage().rollups


def reports():
    return storage().reports


def objects():
    return storage().objects


def mailer():
    return storage().mailer


def idempotency():
    return storage().idempotency


def unit_of_work():
    """A context manager: repositories whose writes commit together when the block ends."""
    return storage().unit_of_work()
