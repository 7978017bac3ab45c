"""moto's server with DynamoDB's guarantees, and nothing else serialised.

What DynamoDB promises and moto does not, which the local stack and the tests rely on (1, 2),
and what makes moto fast enough to stand in for it (3, 4):

1. **Each request is atomic.** moto's in-memory backend takes no lock, so two racing requests
   could both pass a condition, and a reader could see half a transaction. Every DynamoDB and
   DynamoDB Streams request therefore runs under one lock (``DYNAMODB_LOCK``). Those requests
   never wait on anything (there is no long poll in either API), so the lock is held for the few
   milliseconds moto computes. S3, SQS, SES and the rest run concurrently, as in moto's own
   threaded server: an SQS long poll (the upload runner's ``WaitTimeSeconds``) holds nothing.
   The streams share the lock because a stream read must not see the records of a transaction
   that is still being applied, or undone.

2. **A cancelled transaction leaves no trace.** moto's ``TransactWriteItems`` applies the
   items one after the other and, when one fails, puts back deep copies of the tables taken
   before it started. Those copies carry a copy of the stream shard, so (a) the stream records
   of the writes it undid stay in the old shard, where (b) every shard iterator already handed
   out keeps reading: it never sees another record (the open shard just answers no records),
   and (c) the next records reuse the undone records' sequence numbers. A long-lived reader
   such as the stream runner (a Lambda event source mapping locally) stalled for good, without
   an error, after the first lost race. Here a transaction is decided as DynamoDB decides it:
   every condition is checked before anything is written, so a lost race writes nothing; and
   should a write fail while being applied (a validation error), only the touched items are
   put back and only the stream records of the undone writes are removed, in the shard every
   reader holds. No table is copied, so a transaction costs what its items cost, not what the
   table and its whole stream history cost.

3. **Stream readers need not poll blindly.** ``GET /_devstack/dynamodb-writes?after=N&wait=S``
   answers ``{"writes": M, "tables": {name: count}}`` as soon as more than N stream records
   have been appended in all (or after S seconds, at most 20): the local stream runners wait
   on it instead of polling every table's stream a few times a second, and a runner is woken
   only when its own table's count moved, so a record is handed over the moment it is
   written (Lambda's own pollers are slower, ~4 polls a second, which only the cadence changes:
   order, batching and failure handling stay the event source mapping's). It holds no lock.

4. **What moto spends its time on.** Profiled under a submit and a rule sweep, moto's costs
   grew with every item and were paid under the lock: building an item re-measured the whole
   item for each attribute it added (quadratic; a campaign has about sixty), every copy of an
   item paid it again, the response serializer looked each member of every attribute value up
   through six alias providers, and every update expression was parsed anew and run through
   ten validator passes. Items are now measured once (the same 400 KB limit) and copied
   attribute by attribute; a response member that is a key of its result dict is taken as it
   is (what the alias lookup finds first); each distinct update expression is parsed once; and
   updates made only of ``SET #a = :v`` / ``ADD #n :v`` are applied directly (anything else, or
   anything that would be an error, takes moto's own path). Which service answers a request
   is decided before the lock is taken, and moto's package directory, which it listed on
   every request to decide it, is listed once. Round trips on this machine: a
   campaign's GetItem ~8 → ~5 ms, a Query page of ten ~95 → ~35 ms, a roll-up transaction of
   fourteen updates ~100 → ~20 ms.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

#: Serialises DynamoDB and DynamoDB Streams requests (and moto's own /moto-api/ calls).
DYNAMODB_LOCK = threading.Lock()

#: The listen backlog of the moto server's socket (werkzeug's default is 128 too; said here
#: because a burst of API requests becomes a burst of connections to moto).
LISTEN_BACKLOG = 128

_TRANSACT_OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")

#: WSGI's start_response (status, headers) and a WSGI application.
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

WRITES_PATH = "/_devstack/dynamodb-writes"
MAX_WRITES_WAIT = 20.0
#: A stream runner's checkpoint (POST {table, shard, sequence_number}), kept with the state.
CHECKPOINTS_PATH = "/_devstack/stream-checkpoints"
#: The saved state: GET its status, POST …/save to save now (devstack.persist).
STATE_PATH = "/_devstack/state"


class SharedLock:
    """Held by many at once (``shared``) or by one alone (``exclusive``); a waiting exclusive
    holder goes first, so a snapshot waits only for the requests already running."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._exclusive and not self._waiting)
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._exclusive and not self._shared)
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class LocalState:
    """What the server knows about its state beyond moto's backends: whether it changed since
    a count was taken, the stream runners' checkpoints, and the persistence that saves it.

    Every request that may change state runs holding ``lock`` shared; a snapshot holds it
    exclusively, so it sees no request half done. An SQS long poll does not hold it (it would
    hold a snapshot up for its whole wait): it changes nothing a snapshot keeps.
    """

    def __init__(self) -> None:
        self.lock = SharedLock()
        self.checkpoints: dict[str, dict[str, str]] = {}
        self.persistence: Any = None  # a devstack.persist.Snapshotter when the state is saved
        self._changes = 0
        self._count_lock = threading.Lock()

    @property
    def changes(self) -> int:
        return self._changes

    def changed(self) -> None:
        with self._count_lock:
            self._changes += 1


#: The state of the server this process runs.
STATE = LocalState()

# Requests that change nothing a snapshot keeps: reads, and the SQS calls a poller makes.
_READ_PREFIXES = ("Get", "BatchGet", "Query", "Scan", "Describe", "List", "TransactGet")
_SQS_READS = frozenset({"ReceiveMessage", "GetQueueAttributes", "GetQueueUrl", "ListQueues", "ListQueueTags"})


def _operation(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, operation) of a request, as far as its headers say: ``X-Amz-Target`` for the
    JSON protocols (DynamoDB, its streams, SQS), else the method (S3)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        service, _, operation = target.partition(".")
        return service, operation
    query = environ.get("QUERY_STRING", "")
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "Action":
            return "query", value
    return "rest", environ.get("REQUEST_METHOD", "")


def changes_state(environ: dict[str, Any]) -> bool:
    service, operation = _operation(environ)
    if service.startswith("DynamoDBStreams"):
        return False
    if service.startswith("DynamoDB"):
        return not operation.startswith(_READ_PREFIXES)
    if service == "AmazonSQS" or service == "query":
        return operation not in _SQS_READS
    return operation not in ("GET", "HEAD", "OPTIONS")


def is_long_poll(environ: dict[str, Any]) -> bool:
    return _operation(environ)[1] == "ReceiveMessage"


class StreamRecordCounter:
    """How many stream records each table has had appended; lets a reader wait for the next."""

    def __init__(self) -> None:
        self._total = 0
        self._tables: dict[str, int] = {}
        self._changed = threading.Condition()

    def appended(self, table: str) -> None:
        with self._changed:
            self._total += 1
            self._tables[table] = self._tables.get(table, 0) + 1
            self._changed.notify_all()

    def wait(self, after: int, timeout: float) -> dict[str, Any]:
        with self._changed:
            self._changed.wait_for(lambda: self._total > after, timeout)
            return {"writes": self._total, "tables": dict(self._tables)}


#: Counts the records moto appends to every table's stream (StreamShard.add is patched).
STREAM_RECORDS = StreamRecordCounter()


def _writes_answer(
    counter: StreamRecordCounter, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        after = int(query.get("after", ["-1"])[0])
        wait = min(max(float(query.get("wait", ["0"])[0]), 0.0), MAX_WRITES_WAIT)
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [b'{"message": "after is an integer, wait a number of seconds"}']
    body = json.dumps(counter.wait(after, wait)).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


_LOCAL_PREFIX = "/_devstack/"


def _json_answer(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _local_answer(state: LocalState, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """The stream checkpoints and the saved state's status (see CHECKPOINTS_PATH, STATE_PATH)."""
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    if path == CHECKPOINTS_PATH and method == "POST":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length))
            table, shard, sequence = str(body["table"]), str(body["shard"]), str(int(body["sequence_number"]))
        except (KeyError, TypeError, ValueError):
            return _json_answer(start_response, "400 Bad Request", {"message": "table, shard, sequence_number"})
        with state.lock.shared():
            state.checkpoints.setdefault(table, {})[shard] = sequence
            state.changed()
        return _json_answer(start_response, "200 OK", {})
    if path == CHECKPOINTS_PATH:
        return _json_answer(start_response, "200 OK", state.checkpoints)
    if path == STATE_PATH and method == "GET":
        persistence = state.persistence
        return _json_answer(start_response, "200 OK", persistence.status() if persistence else {"state_dir": None})
    if path == STATE_PATH + "/save" and method == "POST":
        persistence = state.persistence
        if persistence is None:
            return _json_answer(start_response, "409 Conflict", {"message": "this server does not save its state"})
        saved = persistence.save()
        return _json_answer(start_response, "200 OK", {"saved": saved, **persistence.status()})
    return _json_answer(start_response, "404 Not Found", {"message": f"no {method} {path}"})


def needs_lock(environ: dict[str, Any]) -> bool:
    """True for the requests that must not interleave: DynamoDB, its streams, moto's API."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith(("DynamoDB_", "DynamoDBStreams_")):
        return True
    if environ.get("PATH_INFO", "").startswith("/moto-api"):
        return True
    # SigV4 names the service in the credential scope: Credential=AKID/date/region/dynamodb/...
    return "/dynamodb/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    from moto.dynamodb.exceptions import MockValidationException

    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    item = op["Item"]
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    missing = [n for n in names if n not in item]
    if missing:
        raise MockValidationException(
            f"One or more parameter values were invalid: Missing the key {missing[0]} in the item"
        )
    return {n: item[n] for n in names}


def _condition_holds(op: dict[str, Any], current: Any) -> bool:
    from moto.dynamodb.comparisons import get_filter_expression

    expression = op.get("ConditionExpression")
    if expression is None:
        return True
    condition = get_filter_expression(
        expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    return bool(condition.expr(current))


def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems as DynamoDB decides it: all conditions first, then all writes."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    # -- decide: nothing is written unless every item may be ---------------------------------
    reasons: list[tuple[str | None, str | None, Any]] = []
    writes: list[tuple[str, dict[str, Any], Any, dict[str, Any]]] = []
    targets: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        try:
            if op_type not in _TRANSACT_OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table = backend.get_table(op["TableName"])
            key = _key_of(table, op_type, op)
            target = (table.name, repr(sorted(key.items())))
            if target in targets:  # one transaction may touch an item only once
                raise MultipleTransactionsException()
            targets.add(target)
            current = backend.get_item(table.name, key)
            if not _condition_holds(op, current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                    old = current.to_json()["Attributes"]
                failed = ConditionalCheckFailed(item=old)
                reasons.append(("ConditionalCheckFailed", failed.message, old))
                continue
            reasons.append((None, None, None))
            writes.append((op_type, op, table, key))
        except (MultipleTransactionsException, MockValidationException):
            raise  # the request is invalid: a ValidationException, not a cancellation
        except Exception as e:  # any other problem cancels the transaction
            reasons.append((type(e).__name__, str(e), None))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)

    # -- apply: should a write still fail, undo the others in place ----------------------------
    undo: list[tuple[Any, Any, Any, Any]] = []
    shard_lengths: dict[int, tuple[Any, int]] = {}
    position = 0
    try:
        for position, (op_type, op, table, key) in enumerate(writes):  # noqa: B007 (the except below names it)
            if op_type == "ConditionCheck":
                continue
            hash_key, range_key = backend.get_keys_value(table, key)
            undo.append((table, hash_key, range_key, _copy_item(table.get_item(hash_key, range_key))))
            shard = table.stream_shard
            if shard is not None:
                shard_lengths.setdefault(id(shard), (shard, len(shard.items)))
            common = {
                "condition_expression": op.get("ConditionExpression"),
                "expression_attribute_names": op.get("ExpressionAttributeNames"),
                "expression_attribute_values": op.get("ExpressionAttributeValues"),
            }
            if op_type == "Put":
                backend.put_item(table.name, op["Item"], **common)
            elif op_type == "Delete":
                backend.delete_item(table.name, key, **common)
            else:
                backend.update_item(table.name, key, update_expression=op["UpdateExpression"], **common)
    except Exception as e:
        for table, hash_key, range_key, previous in reversed(undo):
            _put_back(table, hash_key, range_key, previous)
        for shard, length in shard_lengths.values():
            del shard.items[length:]  # no reader saw them: stream reads wait for DYNAMODB_LOCK
        if isinstance(e, (MultipleTransactionsException, MockValidationException)):
            raise
        reasons = [(None, None, None)] * len(transact_items)
        reasons[position] = (type(e).__name__, str(e), None)
        raise TransactionCanceledException(reasons) from None


def _copy_item(item: Any) -> Any:
    """A deep copy of a moto Item (copy.deepcopy would rebuild its attributes one checked
    attribute at a time, quadratic in their number)."""
    if item is None:
        return None
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    twin = object.__new__(type(item))
    twin.__dict__.update(item.__dict__)
    twin.attrs = LimitedSizeDict()
    dict.update(twin.attrs, {k: copy.deepcopy(v) for k, v in item.attrs.items()})
    return twin


def _put_back(table: Any, hash_key: Any, range_key: Any, previous: Any) -> None:
    """Restore one item as it was before the transaction (None: it did not exist)."""
    if range_key is not None:
        if previous is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = previous
    elif previous is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = previous


_ITEM_SIZE_LIMIT = 405000  # moto's own figure for DynamoDB's 400 KB (it measured 409-410 KB)


def _item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """moto's Item.__init__, measuring the item once instead of once per attribute."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, values)  # later single updates still go through its check


_FAST_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})


def _fast_get_value(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        if (
            type(value) is dict
            and not self._value_picker_transforms
            and self.operation_model.service_model.service_name in _FAST_SERVICES
        ):
            if key in value:
                return value[key]
            # An attribute value ({"S": ...}, moto's DynamoType.to_json) holds exactly one of
            # its ten members under its own name: the others are absent, not aliased.
            if getattr(getattr(shape, "parent", None), "name", None) == "AttributeValue":
                return None
        return original(self, value, key, shape)

    return get_value


_SIMPLE_CLAUSE = re.compile(r"\s*(SET|ADD)\s+((?:(?!\b(?:SET|ADD|REMOVE|DELETE)\b).)+)", re.IGNORECASE | re.DOTALL)
_SIMPLE_SET = re.compile(r"^\s*(#\w+)\s*=\s*(:\w+)\s*$")
_SIMPLE_ADD = re.compile(r"^\s*(#\w+)\s+(:\w+)\s*$")


def _simple_actions(
    expression: str, names: dict[str, str] | None, values: dict[str, Any] | None
) -> list[tuple[str, str, Any]] | None:
    """(action, attribute, value) for an update expression made only of ``SET #a = :v`` and
    ``ADD #n :v`` actions (each clause once, every name and value provided), else None."""
    if not expression or not names or not values:
        return None
    actions: list[tuple[str, str, Any]] = []
    seen_clauses: set[str] = set()
    end = 0
    for clause in _SIMPLE_CLAUSE.finditer(expression):
        if clause.start() != end:
            return None
        end = clause.end()
        keyword = clause.group(1).upper()
        if keyword in seen_clauses:
            return None
        seen_clauses.add(keyword)
        pattern = _SIMPLE_SET if keyword == "SET" else _SIMPLE_ADD
        for part in clause.group(2).split(","):
            match = pattern.match(part)
            if not match or match.group(1) not in names or match.group(2) not in values:
                return None
            actions.append((keyword, names[match.group(1)], values[match.group(2)]))
    if not actions or expression[end:].strip():
        return None
    return actions


def _fast_update_item(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's update_item, with a direct path for the simplest expressions (a roll-up change
    is a transaction of a dozen ``SET ... ADD ...`` updates, and moto's ten AST passes per
    update were most of the time a stream record took). Anything else, or anything that
    would be an error, takes moto's own path, which raises what DynamoDB raises."""

    def update_item(
        self: Any,
        table_name: str,
        key: dict[str, Any],
        update_expression: str,
        expression_attribute_names: dict[str, str],
        expression_attribute_values: dict[str, Any],
        attribute_updates: Any = None,
        expected: Any = None,
        condition_expression: str | None = None,
        return_values_on_condition_check_failure: str | None = None,
    ) -> Any:
        args = (
            self,
            table_name,
            key,
            update_expression,
            expression_attribute_names,
            expression_attribute_values,
            attribute_updates,
            expected,
            condition_expression,
            return_values_on_condition_check_failure,
        )
        actions = (
            None
            if attribute_updates or expected
            else _simple_actions(update_expression, expression_attribute_names, expression_attribute_values)
        )
        if actions is None:
            return original(*args)
        from moto.dynamodb.comparisons import get_filter_expression
        from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
        from moto.dynamodb.models.utilities import bytesize

        table = self.get_table(table_name)
        declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
        targets = [attribute for _, attribute, _ in actions]
        if len(set(targets)) != len(targets) or set(targets) & set(table.table_key_attrs):
            return original(*args)
        hash_key, range_key = self.get_keys_value(table, key)
        item = table.get_item(hash_key, range_key)
        new_attrs = {k: v for k, v in item.attrs.items()} if item is not None else {}
        for action, attribute, value in actions:
            if action == "SET":
                kind, raw = next(iter(value.items()))
                if attribute in declared and (kind != declared[attribute] or raw == ""):
                    return original(*args)  # a key of an index: moto raises the right error
                new_attrs[attribute] = DynamoType(value)
            else:
                if set(value) != {"N"}:
                    return original(*args)
                current = new_attrs.get(attribute)
                if current is not None and current.type != "N":
                    return original(*args)
                addend = DynamoType(value)
                new_attrs[attribute] = addend if current is None else current + addend
        if condition_expression is not None and not get_filter_expression(
            condition_expression, expression_attribute_names, expression_attribute_values
        ).expr(item):
            return original(*args)  # raises ConditionalCheckFailed as moto does
        key_attrs = {table.hash_key_attr: {hash_key.type: hash_key.value}}
        if range_key is not None:
            key_attrs[table.range_key_attr] = {range_key.type: range_key.value}
        for name, attr in key_attrs.items():
            new_attrs.setdefault(name, DynamoType(attr))
        if sum(bytesize(k) + v.size() for k, v in new_attrs.items()) > _ITEM_SIZE_LIMIT:
            return original(*args)  # raises ItemSizeToUpdateTooLarge
        updated = Item(hash_key, range_key, {})
        updated.attrs = LimitedSizeDict()
        dict.update(updated.attrs, new_attrs)
        if range_key is not None:
            table.items[hash_key][range_key] = updated
        else:
            table.items[hash_key] = updated
        if table.stream_shard is not None:
            table.stream_shard.add(item, updated)
        return updated

    return update_item


_INSTALLED = False


def _replace(owner: Any, name: str, value: object) -> None:
    """Replace an attribute of one of moto's classes or modules in place: what this module is
    for, and what a typed assignment to a method rightly refuses."""
    setattr(owner, name, value)


def install_dynamodb_fixes() -> None:
    """Make moto's DynamoDB decide transactions as above, count its stream records, and
    cheapen its two hot spots (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto import backends
    from moto.core import serialize
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamShard

    # moto declares this module untyped (a `# type: ignore` at its top), so mypy sees no names in it
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    _replace(DynamoDBBackend, "transact_write_items", transact_write_items)
    # moto lists its package directory on every request to find the service: once is enough
    modules = tuple(backends.list_of_moto_modules())
    _replace(backends, "list_of_moto_modules", lambda: modules)
    # The validators deep-copy the parsed expression before they touch it, so one parse per
    # distinct expression serves every update that uses it (the roll-ups reuse a few).
    _replace(
        UpdateExpressionParser, "make", staticmethod(functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make))
    )
    append = StreamShard.add

    def add(self: Any, old: Any, new: Any) -> None:
        append(self, old, new)
        STREAM_RECORDS.appended(self.table.name)

    _replace(StreamShard, "add", add)
    _replace(DynamoDBBackend, "update_item", _fast_update_item(DynamoDBBackend.update_item))
    _replace(Item, "__init__", _item_init)
    _replace(Item, "__deepcopy__", lambda self, memo: _copy_item(self))
    base = serialize.ResponseSerializer
    _replace(base, "get_value", _fast_get_value(base.get_value))
    _replace(
        base,
        "_value_picker_transforms",
        property(lambda self: getattr(self._value_picker, "response_transformers", None)),
    )
    _INSTALLED = True


def atomic_app() -> WsgiApp:
    """moto's WSGI app, DynamoDB requests serialised (the response is built inside the lock)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    install_dynamodb_fixes()
    app = DomainDispatcherApplication(create_backend_app)

    def serve(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == WRITES_PATH:
            return _writes_answer(STREAM_RECORDS, environ, start_response)
        if path.startswith(_LOCAL_PREFIX):
            return _local_answer(STATE, environ, start_response)
        if is_long_poll(environ):
            return list(app(environ, start_response))
        with STATE.lock.shared():
            if changes_state(environ):
                STATE.changed()
            if not needs_lock(environ):
                return list(app(environ, start_response))
            # which service's app answers is decided outside the lock: only the request runs in it
            service_app = app.get_application(environ)
            with DYNAMODB_LOCK:
                return list(service_app(environ, start_response))

    return serve


def make_moto_server(host: str, port: int) -> BaseWSGIServer:
    """The threaded werkzeug server moto's own server uses, with ``atomic_app()``."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        # headers and body go out in two sends: without TCP_NODELAY the body waits for the
        # client's delayed ACK (40 ms) on a kept-alive connection
        disable_nagle_algorithm = True

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, atomic_app(), threaded=True, request_handler=Handler)
    server.socket.listen(LISTEN_BACKLOG)
    return server


def start_in_thread(host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Serve in a daemon thread; returns the server and its endpoint URL."""
    server = make_moto_server(host, port)
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    return server, f"http://{host}:{server.server_port}"
