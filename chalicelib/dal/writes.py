"""Conditional item writes, alone or all together.

A repository states each write once (`put`, `update`, `delete`, `check`, each with its
condition and what a failed condition means) and hands it to a `Writes`:

* `Immediately` performs it at once (a conditional PutItem/UpdateItem/DeleteItem);
* `Together` collects the writes of a unit of work and commits them as ONE
  TransactWriteItems call: all of them take effect, or none.

So whether a campaign save stands alone or travels with a feedback revision, a ledger entry
and an audit entry is the caller's choice, and the repository code is the same.
A failed condition raises the write's `conflict()` (by default StaleWrite: re-read, decide
again); a transaction that lost a race with another one raises StaleWrite too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import StaleWrite

Conflict = Callable[[], BaseException]
TRANSACTION_LIMIT = 100  # DynamoDB's limit of items per transaction


@functools.lru_cache(maxsize=1)
def connection() -> Connection:
    """One connection (one botocore client) per process for transactions: creating a client
    costs more than most of the requests it serves."""
    from chalicelib.dal.clients import dynamodb_endpoint

    return Connection(region=settings().region, host=dynamodb_endpoint())


@dataclass
class _Write:
    kind: str  # put | update | delete | check
    target: Any  # a model instance (a model class for check)
    condition: Any = None
    actions: list | None = None
    key: tuple = ()  # (hash, range) for check
    conflict: Conflict = StaleWrite


class Writes:
    """Where a repository's writes go. `after` runs a callback once the write has happened."""

    def put(self, model, condition=None, conflict: Conflict = StaleWrite) -> None:
        raise NotImplementedError

    def update(self, model, actions: list, condition=None, conflict: Conflict = StaleWrite) -> None:
        raise NotImplementedError

    def delete(self, model, condition=None, conflict: Conflict = StaleWrite) -> None:
        raise NotImplementedError

    def check(self, model_cls, hash_key, range_key, condition, conflict: Conflict = StaleWrite) -> None:
        raise NotImplementedError

    def after(self, callback: Callable[[], None]) -> None:
        raise NotImplementedError


def _condition_failed(exc) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class Immediately(Writes):
    def put(self, model, condition=None, conflict: Conflict = StaleWrite) -> None:
        try:
            model.save(condition=condition)
        except PutError as exc:
            if _condition_failed(exc):
                raise conflict() from None
            raise

    def update(self, model, actions: list, condition=None, conflict: Conflict = StaleWrite) -> None:
        try:
            model.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if _condition_failed(exc):
                raise conflict() from None
            raise

    def delete(self, model, condition=None, conflict: Conflict = StaleWrite) -> None:
        try:
            model.delete(condition=condition)
        except DeleteError as exc:
            if _condition_failed(exc):
                raise conflict() from None
            raise

    def check(self, model_cls, hash_key, range_key, condition, conflict: Conflict = StaleWrite) -> None:
        raise TypeError("a condition check only makes sense inside a unit of work")

    def after(self, callback: Callable[[], None]) -> None:
        callback()


@dataclass
class Together(Writes):
    """The writes of one unit of work, committed as one transaction."""

    writes: list[_Write] = field(default_factory=list)
    callbacks: list[Callable[[], None]] = field(default_factory=list)

    def put(self, model, condition=None, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("put", model, condition, conflict=conflict))

    def update(self, model, actions: list, condition=None, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("update", model, condition, actions, conflict=conflict))

    def delete(self, model, condition=None, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("delete", model, condition, conflict=conflict))

    def check(self, model_cls, hash_key, range_key, condition, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("check", model_cls, condition, key=(hash_key, range_key), conflict=conflict))

    def after(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def commit(self) -> None:
        if not self.writes:
            return
        if len(self.writes) == 1 and self.writes[0].kind != "check":
            self._commit_single(self.writes[0])  # one item: a plain conditional write costs half
        else:
            self._commit_transaction()
        for callback in self.callbacks:
            callback()

    def _commit_single(self, w: _Write) -> None:
        single = Immediately()
        if w.kind == "put":
            single.put(w.target, w.condition, w.conflict)
        elif w.kind == "update":
            single.update(w.target, w.actions or [], w.condition, w.conflict)
        else:
            single.delete(w.target, w.condition, w.conflict)

    def _commit_transaction(self) -> None:
        if len(self.writes) > TRANSACTION_LIMIT:
            raise ValueError(f"{len(self.writes)} writes in one unit of work; DynamoDB allows {TRANSACTION_LIMIT}")
        # PynamoDB sends condition checks, deletes, puts, updates in that order; the
        # cancellation reasons come back in the order sent.
        order = {"check": 0, "delete": 1, "put": 2, "update": 3}
        sent = sorted(self.writes, key=lambda w: order[w.kind])
        try:
            with TransactWrite(connection=connection()) as tx:
                for w in sent:
                    if w.kind == "check":
                        tx.condition_check(w.target, w.key[0], w.key[1], condition=w.condition)
                    elif w.kind == "put":
                        tx.save(w.target, condition=w.condition)
                    elif w.kind == "update":
                        tx.update(w.target, actions=w.actions or [], condition=w.condition)
                    else:
                        tx.delete(w.target, condition=w.condition)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            reasons = [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]
            for w, code in zip(sent, reasons, strict=False):  # DynamoDB may report fewer reasons than writes
                if code == "ConditionalCheckFailed":
                    raise w.conflict() from None
            if "TransactionConflict" in reasons or not any(reasons):
                raise StaleWrite("the transaction lost a race with another one") from None
            raise


@contextmanager
def all_or_nothing(writes: Writes) -> Iterator[Together]:
    """The unit of work `writes` collects for, or a transaction of the block's own, committed
    when it ends without an error: a repository method whose writes must land together says so
    once, whether or not its caller opened a unit of work."""
    if isinstance(writes, Together):
        yield writes
        return
    own = Together()
    yield own
    own.commit()
