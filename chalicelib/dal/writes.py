"""Conditional item writes, alone or all together.

A repository states each write once (`put`, `update`, `delete`, each with its condition and
what a failed condition means) and hands it to a `Writes`:

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
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
    kind: str  # check | put | update | delete
    model: Model
    condition: Condition | None = None
    actions: list[Action] = field(default_factory=list)
    conflict: Conflict = StaleWrite


class Writes:
    """Where a repository's writes go. `after` runs a callback once the write has happened."""

    def put(self, model: Model, condition: Condition | None = None, conflict: Conflict = StaleWrite) -> None:
        raise NotImplementedError

    def update(
        self,
        model: Model,
        actions: Sequence[Action],
        condition: Condition | None = None,
        conflict: Conflict = StaleWrite,
    ) -> None:
        raise NotImplementedError

    def delete(self, model: Model, condition: Condition | None = None, conflict: Conflict = StaleWrite) -> None:
        raise NotImplementedError

    def check(self, model: Model, condition: Condition, conflict: Conflict = StaleWrite) -> None:
        """A condition on the item `model` names (its key), written nowhere: the transaction
        it travels in commits only while it holds."""
        raise NotImplementedError

    def after(self, callback: Callable[[], None]) -> None:
        raise NotImplementedError


def _condition_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class Immediately(Writes):
    def put(self, model: Model, condition: Condition | None = None, conflict: Conflict = StaleWrite) -> None:
        try:
            model.save(condition=condition)
        except PutError as exc:
            if _condition_failed(exc):
                raise conflict() from None
            raise

    def update(
        self,
        model: Model,
        actions: Sequence[Action],
        condition: Condition | None = None,
        conflict: Conflict = StaleWrite,
    ) -> None:
        try:
            model.update(actions=list(actions), condition=condition)
        except UpdateError as exc:
            if _condition_failed(exc):
                raise conflict() from None
            raise

    def delete(self, model: Model, condition: Condition | None = None, conflict: Conflict = StaleWrite) -> None:
        try:
            model.delete(condition=condition)
        except DeleteError as exc:
            if _condition_failed(exc):
                raise conflict() from None
            raise

    def check(self, model: Model, condition: Condition, conflict: Conflict = StaleWrite) -> None:
        raise TypeError("a condition check only means something beside writes: use all_or_nothing")

    def after(self, callback: Callable[[], None]) -> None:
        callback()


@dataclass
class Together(Writes):
    """The writes of one unit of work, committed as one transaction."""

    writes: list[_Write] = field(default_factory=list)
    callbacks: list[Callable[[], None]] = field(default_factory=list)

    def put(self, model: Model, condition: Condition | None = None, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("put", model, condition, conflict=conflict))

    def update(
        self,
        model: Model,
        actions: Sequence[Action],
        condition: Condition | None = None,
        conflict: Conflict = StaleWrite,
    ) -> None:
        self.writes.append(_Write("update", model, condition, list(actions), conflict=conflict))

    def delete(self, model: Model, condition: Condition | None = None, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("delete", model, condition, conflict=conflict))

    def check(self, model: Model, condition: Condition, conflict: Conflict = StaleWrite) -> None:
        self.writes.append(_Write("check", model, condition, conflict=conflict))

    def after(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def commit(self) -> None:
        if not self.writes:
            return
        if all(w.kind == "check" for w in self.writes):
            raise ValueError("a unit of work of condition checks alone writes nothing")
        if len(self.writes) == 1:
            self._commit_single(self.writes[0])  # one item: a plain conditional write costs half
        else:
            self._commit_transaction()
        for callback in self.callbacks:
            callback()

    def _commit_single(self, w: _Write) -> None:
        single = Immediately()
        if w.kind == "put":
            single.put(w.model, w.condition, w.conflict)
        elif w.kind == "update":
            single.update(w.model, w.actions, w.condition, w.conflict)
        else:
            single.delete(w.model, w.condition, w.conflict)

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
                        tx.condition_check(type(w.model), *_key_of(w.model), condition=w.condition)
                    elif w.kind == "put":
                        tx.save(w.model, condition=w.condition)
                    elif w.kind == "update":
                        tx.update(w.model, actions=w.actions, condition=w.condition)
                    else:
                        tx.delete(w.model, condition=w.condition)
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


def _key_of(model: Model) -> tuple[object, object]:
    """(hash key, range key or None) of the item a model names."""
    cls = type(model)
    hash_name = cls._hash_key_attribute().attr_name
    range_attr = cls._range_key_attribute()
    return getattr(model, hash_name), getattr(model, range_attr.attr_name) if range_attr is not None else None


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
