"""Modules imported on first use, named at the top of the module that uses them.

Every Lambda function imports app.py, and with it every route module. What a handler calls
costs a cold start real time when imported (the use cases with the domain and storage code
behind them, pydantic's request bodies: ~40 and ~70 ms), and a function that never calls it
should not pay for it; nor should the report renderers load anywhere but in the report
compiler. Such a module is imported where a reader looks, typed, under `TYPE_CHECKING` (so
mypy checks every call and import-linter's contracts see the dependency), and bound at run time
to a stand-in that imports it the first time one of its attributes is read:

    if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda imports this module
        from chalicelib.logic import campaigns
    else:
        campaigns = on_first_use("chalicelib.logic.campaigns")

tests/unit/test_import_graph.py checks that each stand-in names the module imported above it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class OnFirstUse:
    """A module's stand-in: the first attribute read imports it; every read is the module's own
    (so a test that patches the module patches what the caller sees)."""

    # prefixed so that no attribute of a module it stands for is shadowed
    __slots__ = ("_lazy_name", "_lazy_module")

    def __init__(self, name: str) -> None:
        self._lazy_name = name
        self._lazy_module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._lazy_module
        if module is None:
            module = self._lazy_module = importlib.import_module(self._lazy_name)  # thread-safe: the import lock
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<{self._lazy_name}, imported on first use>"


def on_first_use(name: str) -> Any:
    """A stand-in for the module `name` (dotted, absolute), imported when first used."""
    return OnFirstUse(name)
