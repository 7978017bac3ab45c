"""A local DynamoDB stream runner that behaves like the Lambda event source mapping production
uses for the stream handlers:

    FunctionResponseTypes: [ReportBatchItemFailures]
    BisectBatchOnFunctionError: true
    MaximumRetryAttempts: MAX_RETRY_ATTEMPTS
    DestinationConfig.OnFailure: an SQS queue

It reads a table's stream with DescribeStream / GetShardIterator / GetRecords against the local
endpoint (moto), hands the handler the exact event Lambda sends, and applies Lambda's failure
rules:

* a response listing ``batchItemFailures`` checkpoints every record before the lowest failed
  sequence number and retries the batch from that record (bisected at it);
* a failure entry whose ``itemIdentifier`` is missing, empty or not in the batch fails the
  whole batch (retried whole, not bisected: the function did not error);
* a handler that raises (or returns something that is not JSON) is a function error: the batch
  is split in two and each half retried in order. As in Lambda, a split does not count towards
  the retry quota; a one-record batch cannot be split, so its retries are counted;
* once a batch has been retried MAX_RETRY_ATTEMPTS times, an on-failure record in Lambda's
  shape goes to the SQS queue and the runner moves past the batch, so a poison record holds
  back the records behind it for its retries only.

Within a shard, records are handed over strictly in order and one batch at a time, as Lambda
does. State (checkpoints, retry counts) lives in memory: a restarted runner starts again from
its starting position. With ``report_checkpoints`` (the local stack when it keeps its state)
it also tells the local moto each checkpoint, so that a saved state keeps only the records
still to be handled (devstack.persist).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import logging
import re
import threading
import time
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("devstack.streams")

#: Lambda ESM ``MaximumRetryAttempts`` used in production for the stream handlers.
MAX_RETRY_ATTEMPTS = 3
#: Chalice's default ``batch_size`` for ``on_dynamodb_record``.
DEFAULT_BATCH_SIZE = 100
#: Lambda polls a shard about four times a second; a little faster keeps tests snappy.
POLL_INTERVAL_SECONDS = 0.2
#: Pause before a retry. Lambda backs off too; locally a short fixed pause is enough.
RETRY_DELAY_SECONDS = 0.2
#: GetRecords returns at most 1000 records per call.
GET_RECORDS_LIMIT = 1000
#: How often a runner looks for new shards (only backends with several shards need it).
SHARD_REFRESH_SECONDS = 10.0
#: Against the local stack's moto (devstack.atomic_moto), runners are woken when their table's
#: stream grows and poll an idle stream only this often, as a safety net.
FED_POLL_INTERVAL_SECONDS = 1.0

DEFAULT_REGION = "us-east-1"

#: A stream record, an event, a shard description: JSON-shaped, as Lambda and botocore give them.
Json = dict[str, Any]
Handler = Callable[[Json, Any], Any]

_TABLE_ARN = re.compile(r"^arn:[^:]+:dynamodb:([^:]*):([^:]*):table/([^/]+)(?:/|$)")
# Botocore's client config: short timeouts so stop() is not held up by a dead endpoint.
_BOTO_CONFIG = BotoConfig(connect_timeout=2, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"})


# ---------------------------------------------------------------------------------------------
# ARNs and clients
# ---------------------------------------------------------------------------------------------


def table_name_from_arn(arn: str) -> str:
    """The table name in a table or stream ARN (``...:table/<name>/stream/<label>``)."""
    m = _TABLE_ARN.match(arn or "")
    if not m:
        raise ValueError(f"not a DynamoDB table or stream ARN: {arn!r}")
    return m.group(3)


def _arn_parts(arn: str) -> tuple[str, str]:
    """(region, account) of a DynamoDB ARN, with local defaults when it has none."""
    m = _TABLE_ARN.match(arn or "")
    region = (m.group(1) if m else "") or DEFAULT_REGION
    account = (m.group(2) if m else "") or "000000000000"
    return region, account


def _service_of(client: Any) -> str:
    return str(client.meta.service_model.service_name)


def _is_aws_endpoint(url: str | None) -> bool:
    return url is not None and (".amazonaws.com" in url or ".api.aws" in url)


# One session for every client made here: a session caches botocore's service models (a new
# one costs ~0.1 s per client). Sessions are not thread-safe, so clients are made under a lock;
# the clients themselves are.
_SESSION: boto3.session.Session | None = None
_SESSION_LOCK = threading.Lock()


def make_client(
    service: str, like: Any = None, *, endpoint_url: str | None = None, region_name: str | None = None
) -> Any:
    """A botocore client for ``service``.

    With ``like`` (a client of any service), the new client shares its endpoint (unless that is
    a real AWS endpoint), region and credentials, so a test can hand over one moto client and
    get the others. Without it, boto3's usual environment lookup applies (AWS_ENDPOINT_URL,
    AWS_DEFAULT_REGION, credentials).
    """
    if like is not None and _service_of(like) == service and endpoint_url is None:
        return like
    kwargs: dict[str, Any] = {"config": _BOTO_CONFIG}
    if like is not None:
        url = like.meta.endpoint_url
        if url and not _is_aws_endpoint(url):
            kwargs["endpoint_url"] = url
        kwargs["region_name"] = like.meta.region_name
        # botocore has no public accessor for a client's credentials; the signer holds them.
        creds = getattr(getattr(like, "_request_signer", None), "_credentials", None)
        if creds is not None:
            frozen = creds.get_frozen_credentials()
            kwargs.update(
                aws_access_key_id=frozen.access_key,
                aws_secret_access_key=frozen.secret_key,
                aws_session_token=frozen.token,
            )
    if endpoint_url is not None:
        kwargs["endpoint_url"] = endpoint_url
    if region_name is not None:
        kwargs["region_name"] = region_name
    with _SESSION_LOCK:
        global _SESSION
        if _SESSION is None:
            _SESSION = boto3.session.Session()
        kwargs.setdefault("region_name", _SESSION.region_name or DEFAULT_REGION)
        # any service by name: boto3's stubs type a client per literal service name only
        new_client: Callable[..., Any] = _SESSION.client
        return new_client(service, **kwargs)


def stream_arn_for(table_name: str, client: Any = None) -> str:
    """The table's current stream ARN (DescribeTable ``LatestStreamArn``).

    ``client`` may be a ``dynamodb`` or ``dynamodbstreams`` client (or None: from the
    environment). Raises LookupError when the table has no stream.
    """
    ddb = make_client("dynamodb", client)
    table = ddb.describe_table(TableName=table_name)["Table"]
    arn: str | None = table.get("LatestStreamArn")
    spec = table.get("StreamSpecification") or {}
    if not arn or spec.get("StreamEnabled") is False:
        raise LookupError(f"table {table_name} has no enabled stream")
    return arn


def list_shards(stream_arn: str, client: Any = None) -> list[Json]:
    """Every shard of a stream (DescribeStream, all pages), parents before children."""
    streams = make_client("dynamodbstreams", client)
    shards: list[Json] = []
    kwargs: dict[str, Any] = {"StreamArn": stream_arn}
    while True:
        desc = streams.describe_stream(**kwargs)["StreamDescription"]
        shards.extend(desc.get("Shards") or [])
        last = desc.get("LastEvaluatedShardId")
        if not last:
            break
        kwargs["ExclusiveStartShardId"] = last
    return shards


# ---------------------------------------------------------------------------------------------
# Event shape
# ---------------------------------------------------------------------------------------------


def _wire(value: Any) -> Any:
    """Attribute values back to their JSON wire form: botocore decodes B/BS to bytes, Lambda
    delivers them base64-encoded."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def _epoch_seconds(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:  # naive values from botocore/moto are UTC
            value = value.replace(tzinfo=_dt.UTC)
        # DynamoDB rounds ApproximateCreationDateTime down to the second in stream records.
        return int(value.timestamp())
    return value if isinstance(value, int | float) else float(value)  # epoch seconds already


def to_lambda_record(raw: Mapping[str, Any], stream_arn: str) -> Json:
    """One GetRecords record as Lambda puts it in the event (JSON-serialisable)."""
    src = raw.get("dynamodb") or {}
    ddb: dict[str, Any] = {}
    created = _epoch_seconds(src.get("ApproximateCreationDateTime"))
    if created is not None:
        ddb["ApproximateCreationDateTime"] = created
    for key in ("Keys", "NewImage", "OldImage"):
        if key in src:
            ddb[key] = _wire(src[key])
    ddb["SequenceNumber"] = str(src["SequenceNumber"])
    ddb["SizeBytes"] = src.get("SizeBytes", 0)
    ddb["StreamViewType"] = src.get("StreamViewType")
    region, _ = _arn_parts(stream_arn)
    record: dict[str, Any] = {
        "eventID": raw.get("eventID") or uuid.uuid4().hex,
        "eventName": raw.get("eventName"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    }
    if raw.get("userIdentity"):  # TTL deletions carry the dynamodb.amazonaws.com principal
        record["userIdentity"] = _wire(raw["userIdentity"])
    return record


def lambda_event(records: Iterable[Mapping[str, Any]]) -> Json:
    """The event Lambda invokes a stream handler with: ``{"Records": [...]}``."""
    return {"Records": [dict(r) for r in records]}


def read_records(table_name: str, client: Any = None) -> list[Json]:
    """Every record currently in the table's stream, oldest first, as Lambda event records.

    For tests: feed them to a handler with ``handler(lambda_event(records), context)``.
    ``client`` may be a ``dynamodb`` or ``dynamodbstreams`` client, or None (environment).
    """
    streams = make_client("dynamodbstreams", client)
    arn = stream_arn_for(table_name, client if client is not None else streams)
    out: list[Json] = []
    for shard in list_shards(arn, streams):
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        while it:
            resp = streams.get_records(ShardIterator=it, Limit=GET_RECORDS_LIMIT)
            recs = resp.get("Records") or []
            out.extend(to_lambda_record(r, arn) for r in recs)
            if not recs:  # an open shard always returns a next iterator: stop at its end
                break
            it = resp.get("NextShardIterator")
    return out


def _seq(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    return _dt.datetime.fromtimestamp(float(epoch), _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_iso() -> str:
    now = _dt.datetime.now(_dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------------------------
# Lambda context
# ---------------------------------------------------------------------------------------------


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools use."""

    def __init__(
        self,
        function_name: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int = 128,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# ---------------------------------------------------------------------------------------------
# Write notifications from the local moto
# ---------------------------------------------------------------------------------------------


class _WriteWatcher:
    """One thread per endpoint that long-polls devstack.atomic_moto's stream record counts and
    wakes the subscribed runners whose table's stream grew. Against a moto without it (plain
    ``moto.server``) it finds out at once and stops: the runners just poll."""

    WAIT_SECONDS = 10.0

    def __init__(self, endpoint_url: str) -> None:
        self.url = endpoint_url.rstrip("/")
        self.supported: bool | None = None  # None until the first answer
        self._runners: set[StreamRunner] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def subscribe(self, runner: StreamRunner) -> None:
        with self._lock:
            self._runners.add(runner)
            if self._thread is None and self.supported is not False:
                self._thread = threading.Thread(target=self._watch, name="stream-write-watcher", daemon=True)
                self._thread.start()

    def unsubscribe(self, runner: StreamRunner) -> None:
        with self._lock:
            self._runners.discard(runner)

    def _watch(self) -> None:
        import urllib.error
        import urllib.request

        from devstack.atomic_moto import WRITES_PATH

        seen, tables = -1, dict[str, int]()
        while True:
            with self._lock:
                runners = list(self._runners)
                if not runners:
                    self._thread = None  # the next subscriber starts another
                    return
            try:
                with urllib.request.urlopen(
                    f"{self.url}{WRITES_PATH}?after={seen}&wait={self.WAIT_SECONDS}", timeout=self.WAIT_SECONDS + 5
                ) as resp:
                    answer = json.loads(resp.read())
                count, counts = int(answer["writes"]), dict(answer["tables"])
            except urllib.error.HTTPError:
                self.supported = False  # not the local stack's moto: the runners poll
                log.info("stream runners: %s has no write notifications; polling", self.url)
                return
            except (OSError, ValueError, KeyError):
                time.sleep(1.0)  # moto restarting or gone: the runners' own errors say which
                continue
            self.supported = True
            if count != seen:
                grown = {t for t, n in counts.items() if n != tables.get(t)}
                seen, tables = count, counts
                for runner in runners:
                    if runner.table_name in grown:
                        runner._wake.set()


_WATCHERS: dict[str, _WriteWatcher] = {}
_WATCHERS_LOCK = threading.Lock()


def _watcher_for(endpoint_url: str | None) -> _WriteWatcher | None:
    if not endpoint_url or _is_aws_endpoint(endpoint_url):
        return None
    with _WATCHERS_LOCK:
        return _WATCHERS.setdefault(endpoint_url, _WriteWatcher(endpoint_url))


# ---------------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    records: list[Json]
    retries: int = 0  # retries already made for these records (Lambda's retry quota)
    invocations: int = 0  # invocations that included them (approximateInvokeCount)


@dataclass
class _Outcome:
    ok: bool
    failed_from: int = 0  # index of the first record to retry
    function_error: str | None = None
    whole_batch: bool = False


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    closed: bool = False
    buffer: list[Json] = field(default_factory=list)
    buffered_at: float = 0.0  # monotonic time the oldest buffered record arrived
    last_read: str | None = None  # last sequence number read (to re-acquire an iterator)
    initial: bool = True  # present when the runner attached (gets starting_position)


class StreamRunner:
    """Feeds one table's stream to one handler, as a Lambda event source mapping would.

    ``handler(event, context)`` is called in the runner's thread. Use ``start()``/``stop()``,
    ``alive`` (thread running and not failed) and ``drain(timeout)`` to wait until everything
    written to the table so far has been handled (including retries and DLQ sends).
    """

    def __init__(
        self,
        handler: Handler,
        table_name: str | None = None,
        *,
        stream_arn: str | None = None,
        name: str | None = None,
        function_name: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        starting_position: str = "TRIM_HORIZON",
        maximum_batching_window: float = 0.0,
        max_retry_attempts: int = MAX_RETRY_ATTEMPTS,
        bisect_on_error: bool = True,
        dlq_url: str | None = None,
        client: Any = None,
        poll_interval: float = POLL_INTERVAL_SECONDS,
        retry_delay: float = RETRY_DELAY_SECONDS,
        memory_limit_in_mb: int = 128,
        timeout_seconds: float = 60.0,
        report_checkpoints: bool = False,
    ) -> None:
        """``table_name`` (or a configured ``stream_arn`` to take it from) names the table;
        the live stream is always looked up, because a configured ARN (Chalice's) names a
        stream label that does not exist locally. ``client`` is any botocore client whose
        endpoint/region/credentials to use; default: the environment."""
        if table_name is None:
            if stream_arn is None:
                raise ValueError("table_name or stream_arn is required")
            table_name = table_name_from_arn(stream_arn)
        if starting_position not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError(f"unsupported starting position {starting_position!r}")
        if not 1 <= batch_size <= 10000:
            raise ValueError("batch_size must be between 1 and 10000")
        self.handler = handler
        self.table_name = table_name
        self.name = name or getattr(handler, "__name__", None) or table_name
        self.function_name = function_name or self.name
        self.batch_size = batch_size
        self.starting_position = starting_position
        self.maximum_batching_window = maximum_batching_window
        self.max_retry_attempts = max_retry_attempts
        self.bisect_on_error = bisect_on_error
        self.dlq_url = dlq_url
        self.poll_interval = poll_interval
        self.retry_delay = retry_delay
        self.memory_limit_in_mb = memory_limit_in_mb
        self.timeout_seconds = timeout_seconds
        self.report_checkpoints = report_checkpoints

        self._ddb = make_client("dynamodb", client)
        self._streams = make_client("dynamodbstreams", client)
        self._sqs = make_client("sqs", client) if dlq_url else None
        self._watcher = _watcher_for(self._streams.meta.endpoint_url)

        self.stream_arn: str | None = None
        self.function_arn: str = ""
        self._shards: dict[str, _Shard] = {}
        self._shards_refreshed = 0.0

        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._cond = threading.Condition()
        self._polls_started = 0
        self._idle_poll = -1  # index of the last poll that found nothing left to do
        self._waiting_logged = False

        #: Why the thread died (None while healthy).
        self.error: BaseException | None = None
        #: Counters, for logs, tests and benchmarks.
        self.invocations = 0
        self.records_delivered = 0
        self.retries = 0
        self.bisections = 0
        self.dlq_messages = 0
        self.checkpoint: str | None = None  # last sequence number done with

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StreamRunner:
        """Start polling in a daemon thread (returns self)."""
        if self._thread is not None:
            raise RuntimeError("runner already started")
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.name}", daemon=True)
        self._thread.start()
        if self._watcher is not None:
            self._watcher.subscribe(self)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it; an invocation under way is finished first."""
        if self._watcher is not None:
            self._watcher.unsubscribe(self)
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("stream runner %s did not stop within %.1fs", self.name, timeout)

    @property
    def alive(self) -> bool:
        """True while the thread runs and has not failed."""
        return self._thread is not None and self._thread.is_alive() and self.error is None

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every record written before this call has been handled (delivered and
        checkpointed, retried, or sent to the DLQ). True if caught up within ``timeout``;
        False on timeout, if the thread died, or while the table's stream does not exist."""
        deadline = time.monotonic() + timeout
        with self._cond:
            # Only a poll that starts after this point is sure to see the earlier writes.
            after = self._polls_started
        self._wake.set()
        with self._cond:
            while self._idle_poll <= after:
                if not self.alive and self._thread is not None:
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
                self._wake.set()
            return True

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": self.table_name,
            "stream_arn": self.stream_arn,
            "alive": self.alive,
            "invocations": self.invocations,
            "records_delivered": self.records_delivered,
            "retries": self.retries,
            "bisections": self.bisections,
            "dlq_messages": self.dlq_messages,
            "checkpoint": self.checkpoint,
        }

    # -- polling -----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                # A wake-up from here on (a write, drain(), stop()) ends the next wait at once.
                self._wake.clear()
                if self.stream_arn is None and not self._attach():
                    self._wait(1.0)
                    continue
                try:
                    got = self._poll()
                except (ClientError, BotoCoreError) as e:
                    log.warning("stream %s: reading %s failed (%s); re-attaching", self.name, self.table_name, e)
                    self._reattach()
                    self._wait(1.0)
                    continue
                worked = self._process_buffers()
                if not got and not worked and not self._has_buffered():
                    with self._cond:
                        self._idle_poll = self._polls_started
                        self._cond.notify_all()
                    self._wait(self._idle_interval())
                elif self.maximum_batching_window and self._has_buffered():
                    self._wait(min(self.poll_interval, self.maximum_batching_window))
        except BaseException as e:  # whatever it is, the watchdog needs to know why
            self.error = e
            log.exception("stream runner %s died", self.name)
        finally:
            with self._cond:
                self._cond.notify_all()

    def _idle_interval(self) -> float:
        """Woken by every write (local moto): poll an idle stream rarely; else Lambda-like."""
        if self._watcher is not None and self._watcher.supported:
            return max(self.poll_interval, FED_POLL_INTERVAL_SECONDS)
        return self.poll_interval

    def _wait(self, seconds: float) -> None:
        # _wake is cleared at the top of each round, before the poll, so a wake-up that came
        # during the poll is not lost; stop() sets _stop before _wake.
        if not self._stop.is_set():
            self._wake.wait(seconds)

    def _attach(self) -> bool:
        """Find the live stream and its shards; False (logged once) while it does not exist."""
        try:
            arn = stream_arn_for(self.table_name, self._ddb)
            region, account = _arn_parts(arn)
            self.stream_arn = arn
            self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{self.function_name}"
            self._shards = {}
            self._refresh_shards(initial=True)
        except (ClientError, BotoCoreError, LookupError) as e:
            self.stream_arn = None
            if not self._waiting_logged:
                log.info("stream %s: waiting for the stream of table %s (%s)", self.name, self.table_name, e)
                self._waiting_logged = True
            return False
        log.info("stream %s: reading %s (%s) from %s", self.name, self.table_name, arn, self.starting_position)
        return True

    def _reattach(self) -> None:
        """After a read error: the table may have been recreated (new stream), or the iterator
        lost (moto reset, expiry). Start over on a new stream; re-acquire iterators otherwise."""
        try:
            arn = stream_arn_for(self.table_name, self._ddb)
        except (ClientError, BotoCoreError, LookupError):
            self.stream_arn = None
            return
        if arn != self.stream_arn:
            log.warning("stream %s: table %s has a new stream; starting from its beginning", self.name, self.table_name)
            self.stream_arn = None
            self.starting_position = "TRIM_HORIZON"
            return
        for shard in self._shards.values():
            shard.iterator = None

    def _refresh_shards(self, initial: bool = False) -> None:
        assert self.stream_arn is not None
        for s in list_shards(self.stream_arn, self._streams):
            sid = s["ShardId"]
            if sid not in self._shards:
                # Shards found later are children of the ones being read: read them whole.
                self._shards[sid] = _Shard(sid, s.get("ParentShardId"), initial=initial)
        self._shards_refreshed = time.monotonic()

    def _iterator_for(self, shard: _Shard) -> str:
        assert self.stream_arn is not None
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.last_read is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.last_read)
        elif shard.initial:
            kwargs["ShardIteratorType"] = self.starting_position
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        iterator: str = self._streams.get_shard_iterator(**kwargs)["ShardIterator"]
        return iterator

    def _readable(self, shard: _Shard) -> bool:
        """Lambda reads a child shard only after its parent is finished."""
        if shard.closed:
            return False
        parent = self._shards.get(shard.parent_id or "")
        return parent is None or (parent.closed and not parent.buffer)

    def _poll(self) -> bool:
        """One GetRecords per readable shard with an empty buffer; True if records arrived."""
        with self._cond:
            self._polls_started += 1
        if time.monotonic() - self._shards_refreshed > SHARD_REFRESH_SECONDS:
            self._refresh_shards()
        got = False
        for shard in list(self._shards.values()):
            if not self._readable(shard) or len(shard.buffer) >= self.batch_size:
                continue
            if shard.iterator is None:
                shard.iterator = self._iterator_for(shard)
            resp = self._streams.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT)
            records = resp.get("Records") or []
            shard.iterator = resp.get("NextShardIterator")
            if shard.iterator is None:
                shard.closed = True
                self._shards_refreshed = 0.0  # look for its children at the next poll
            if records:
                got = True
                if not shard.buffer:
                    shard.buffered_at = time.monotonic()
                assert self.stream_arn is not None
                shard.buffer.extend(to_lambda_record(r, self.stream_arn) for r in records)
                shard.last_read = _seq(shard.buffer[-1])
        return got

    def _has_buffered(self) -> bool:
        return any(s.buffer for s in self._shards.values())

    def _process_buffers(self) -> bool:
        """Hand buffered records over in batches; True if any batch was processed."""
        worked = False
        for shard in list(self._shards.values()):
            while shard.buffer and not self._stop.is_set():
                if (
                    self.maximum_batching_window
                    and len(shard.buffer) < self.batch_size
                    and time.monotonic() - shard.buffered_at < self.maximum_batching_window
                ):
                    break  # gather more records first, as MaximumBatchingWindowInSeconds does
                batch = shard.buffer[: self.batch_size]
                self._process(shard.shard_id, batch)
                del shard.buffer[: len(batch)]
                shard.buffered_at = time.monotonic()
                worked = True
        return worked

    # -- one batch, with Lambda's failure handling --------------------------------------------

    def _process(self, shard_id: str, records: list[Json]) -> None:
        work: deque[_Batch] = deque([_Batch(list(records))])
        while work:
            if self._stop.is_set():
                return  # stopping: in-memory state is dropped anyway
            batch = work.popleft()
            batch.invocations += 1
            outcome = self._invoke(batch.records)
            if outcome.ok:
                self._checkpoint_at(shard_id, _seq(batch.records[-1]))
                continue
            if outcome.function_error is not None and self.bisect_on_error and len(batch.records) > 1:
                half = len(batch.records) // 2
                first, second = batch.records[:half], batch.records[half:]
                self.bisections += 1
                log.warning(
                    "stream %s: function error (%s) on %d records %s..%s; bisecting into %d + %d",
                    self.name,
                    outcome.function_error,
                    len(batch.records),
                    _seq(batch.records[0]),
                    _seq(batch.records[-1]),
                    len(first),
                    len(second),
                )
                # Splitting does not count towards the retry quota (as in Lambda).
                work.appendleft(_Batch(second, batch.retries, batch.invocations))
                work.appendleft(_Batch(first, batch.retries, batch.invocations))
                continue
            if outcome.failed_from > 0:
                self._checkpoint_at(shard_id, _seq(batch.records[outcome.failed_from - 1]))
            remainder = batch.records[outcome.failed_from :]
            if batch.retries >= self.max_retry_attempts:
                self._discard(shard_id, remainder, batch.invocations, outcome)
                self._checkpoint_at(shard_id, _seq(remainder[-1]))
                continue
            self.retries += 1
            reason = (
                f"function error ({outcome.function_error})"
                if outcome.function_error
                else "whole batch reported failed"
                if outcome.whole_batch
                else f"batchItemFailures from {_seq(remainder[0])}"
            )
            log.warning(
                "stream %s: %s; retry %d/%d of %d records from %s",
                self.name,
                reason,
                batch.retries + 1,
                self.max_retry_attempts,
                len(remainder),
                _seq(remainder[0]),
            )
            work.appendleft(_Batch(remainder, batch.retries + 1, batch.invocations))
            if self.retry_delay:
                self._stop.wait(self.retry_delay)

    def _checkpoint_at(self, shard_id: str, sequence_number: str) -> None:
        """Done with every record up to ``sequence_number``; tell the local moto if asked to
        (synchronously: the handler's writes are made by then, so a snapshot never holds a
        checkpoint ahead of them)."""
        self.checkpoint = sequence_number
        if not self.report_checkpoints:
            return
        from devstack.atomic_moto import CHECKPOINTS_PATH

        body = json.dumps({"table": self.table_name, "shard": shard_id, "sequence_number": sequence_number})
        req = urllib.request.Request(
            self._streams.meta.endpoint_url.rstrip("/") + CHECKPOINTS_PATH,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=10).close()
        except OSError as e:  # the record is then handled again after a restart: at least once
            log.warning("stream %s: could not report checkpoint %s: %s", self.name, sequence_number, e)

    def _invoke(self, records: Sequence[Json]) -> _Outcome:
        # A JSON round trip, as Lambda's, so the handler gets plain data it may mutate freely.
        event = json.loads(json.dumps(lambda_event(records)))
        context = LambdaContext(self.function_name, self.function_arn, self.memory_limit_in_mb, self.timeout_seconds)
        self.invocations += 1
        self.records_delivered += len(records)
        started = time.monotonic()
        try:
            response = self.handler(event, context)
        except (Exception, SystemExit) as e:  # any error is a function error, as in Lambda
            log.warning(
                "stream %s: handler raised on %d records %s..%s: %s: %s",
                self.name,
                len(records),
                _seq(records[0]),
                _seq(records[-1]),
                type(e).__name__,
                e,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            return _Outcome(ok=False, function_error="Unhandled")
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.timeout_seconds:
                log.warning(
                    "stream %s: invocation took %.1fs, over the %.0fs Lambda timeout",
                    self.name,
                    elapsed,
                    self.timeout_seconds,
                )
        try:
            json.dumps(response)
        except (TypeError, ValueError) as e:
            log.warning("stream %s: handler response is not JSON (%s)", self.name, e)
            return _Outcome(ok=False, function_error="Unhandled")
        return self._interpret(response, records)

    def _interpret(self, response: Any, records: Sequence[Json]) -> _Outcome:
        """Lambda's ReportBatchItemFailures rules."""
        if not isinstance(response, dict):
            return _Outcome(ok=True)
        failures = response.get("batchItemFailures")
        if not failures:  # missing, null or empty: complete success
            return _Outcome(ok=True)
        if not isinstance(failures, list):
            return _Outcome(ok=False, whole_batch=True)
        index = {_seq(r): i for i, r in enumerate(records)}
        lowest: int | None = None
        for f in failures:
            ident = f.get("itemIdentifier") if isinstance(f, dict) else None
            if ident is None or str(ident) == "" or str(ident) not in index:
                log.warning(
                    "stream %s: batchItemFailures entry %r names no record of the batch; the whole batch failed",
                    self.name,
                    f,
                )
                return _Outcome(ok=False, whole_batch=True)
            i = index[str(ident)]
            lowest = i if lowest is None else min(lowest, i)
        return _Outcome(ok=False, failed_from=lowest or 0)

    def _discard(self, shard_id: str, records: Sequence[Json], invocations: int, outcome: _Outcome) -> None:
        """Retries exhausted: send Lambda's on-failure record to the DLQ and move on."""
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": outcome.function_error,
            },
            "version": "1.0",
            "timestamp": _now_iso(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        self.dlq_messages += 1
        if self._sqs is None or not self.dlq_url:
            log.error(
                "stream %s: retries exhausted for %d records %s..%s; no on-failure destination, discarded",
                self.name,
                len(records),
                first["SequenceNumber"],
                last["SequenceNumber"],
            )
            return
        for attempt in range(3):
            try:
                self._sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(message))
                break
            except (ClientError, BotoCoreError) as e:
                if attempt == 2:
                    log.error("stream %s: could not send the on-failure record to %s: %s", self.name, self.dlq_url, e)
                    return
                time.sleep(0.2)
        log.error(
            "stream %s: retries exhausted after %d invocations for %d records %s..%s; sent to DLQ %s",
            self.name,
            invocations,
            len(records),
            first["SequenceNumber"],
            last["SequenceNumber"],
            self.dlq_url,
        )


# ---------------------------------------------------------------------------------------------
# Discovery from a Chalice app
# ---------------------------------------------------------------------------------------------


def dynamodb_sources(app: Any) -> list[Any]:
    """The app's DynamoDB stream event sources (``chalice.app.DynamoDBEventConfig``)."""
    from chalice.app import DynamoDBEventConfig

    return [s for s in getattr(app, "event_sources", []) if isinstance(s, DynamoDBEventConfig)]


def handler_for(app: Any, source: Any) -> Handler:
    """The callable Lambda would invoke for an event source: Chalice's wrapped handler
    (``app.handler_map``), else the ``handler_string`` module attribute."""
    handler: Handler | None = getattr(app, "handler_map", {}).get(source.name)
    if handler is not None:
        return handler
    import importlib

    module_name, _, attr = source.handler_string.rpartition(".")
    found: Handler = getattr(importlib.import_module(module_name), attr)
    return found


def runners_for_app(
    app: Any, *, stage: str = "dev", dlq_urls: Mapping[str, str] | None = None, client: Any = None, **kwargs: Any
) -> list[StreamRunner]:
    """One (unstarted) StreamRunner per DynamoDB stream handler of a Chalice app.

    The table comes from each configured stream ARN; ``dlq_urls`` maps handler name to its
    on-failure queue URL. Function names follow Chalice's ``<app>-<stage>-<handler>``.
    """
    runners = []
    for source in dynamodb_sources(app):
        runners.append(
            StreamRunner(
                handler_for(app, source),
                stream_arn=source.stream_arn,
                name=source.name,
                function_name=f"{app.app_name}-{stage}-{source.name}",
                batch_size=source.batch_size,
                starting_position=source.starting_position,
                maximum_batching_window=getattr(source, "maximum_batching_window_in_seconds", 0) or 0,
                dlq_url=(dlq_urls or {}).get(source.name),
                client=client,
                **kwargs,
            )
        )
    return runners


def drain_all(runners: Iterable[StreamRunner], timeout: float = 30.0) -> bool:
    """Wait until every runner has caught up, and stays caught up through a final round: a
    handler of one stream may write to a table another runner reads."""
    runners = list(runners)
    deadline = time.monotonic() + timeout
    while True:
        before = [r.invocations for r in runners]
        for r in runners:
            if not r.drain(max(0.0, deadline - time.monotonic())):
                return False
        if [r.invocations for r in runners] == before:
            return True
        if time.monotonic() >= deadline:
            return False


__all__ = [
    "MAX_RETRY_ATTEMPTS",
    "DEFAULT_BATCH_SIZE",
    "POLL_INTERVAL_SECONDS",
    "RETRY_DELAY_SECONDS",
    "LambdaContext",
    "StreamRunner",
    "drain_all",
    "dynamodb_sources",
    "handler_for",
    "lambda_event",
    "list_shards",
    "make_client",
    "read_records",
    "runners_for_app",
    "stream_arn_for",
    "table_name_from_arn",
    "to_lambda_record",
]
