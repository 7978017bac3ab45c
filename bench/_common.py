"""Helpers shared by the benchmarks: paths, the interpreter, a clean child environment,
free ports, statistics, and running a benchmark worker in its own process.

Every benchmark that needs the app in-process runs it in a child process with its own
environment and its own moto endpoint, so `bench.run()` can be called from any process
(including a pytest session that already imported chalicelib with other settings).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

# the benchmarks import these from here (`as`: re-exported on purpose)
from devstack.client import clean_env as clean_env
from devstack.client import free_port as free_port
from infra.capacity import Item

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse
    from botocore.client import BaseClient
    from botocore.model import OperationModel
    from botocore.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT: Path = Path(__file__).resolve().parent.parent
BENCH_DIR: Path = ROOT / "bench"
RESULTS: Path = BENCH_DIR / "results.json"
QUICK_RESULTS: Path = BENCH_DIR / "results.quick.json"

REGION = "us-east-1"
CATEGORIES = "tasting,display,roadshow,in_store_promotion"


def python() -> str:
    """The project's venv interpreter (what `make bench` uses), else the running one."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def app_env(endpoint: str, stage: str = "bench", **extra: str) -> dict[str, str]:
    """The settings the tests give the app (tests/conftest.py), pointed at `endpoint`."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "HUIXIANG_STAGE": stage,
        "HUIXIANG_CATEGORIES": CATEGORIES,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **extra,
    }


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of at least one value."""
    if not values:
        raise ValueError("a percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median of at least one value."""
    if not values:
        raise ValueError("a median of no values")
    return statistics.median(values)


def run_worker(module: str, args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `python -m <module> --worker <args> --out <file>` and return the JSON it wrote.

    The child's progress lines (stderr) go to our stderr; its stdout (the app's request log
    lines, with tracebacks of any 500) goes to a temporary file whose tail is shown if the
    child fails; its result goes to a file so stray prints cannot corrupt it. The child gets
    its own session so that on timeout the whole group it started is stopped.
    """
    fd, out = tempfile.mkstemp(prefix="huixiang-bench-", suffix=".json")
    os.close(fd)
    app_log = tempfile.TemporaryFile(prefix="huixiang-bench-", suffix=".log")
    cmd = [python(), "-m", module, "--worker", *args, "--out", out]
    proc = subprocess.Popen(
        cmd,
        cwd=str(ROOT),
        env=env or clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=app_log,
        stderr=sys.stderr,
        start_new_session=True,
    )
    try:
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop_group(proc)
            raise RuntimeError(f"{module} worker timed out after {timeout:.0f}s") from None
        except BaseException:
            stop_group(proc)
            raise
        if rc != 0:
            app_log.seek(0)
            tail = app_log.read().decode(errors="replace")[-4000:]
            log(f"{module} worker failed; the tail of its stdout (app log):\n{tail}")
            raise RuntimeError(f"{module} worker failed with exit code {rc}")
        with open(out) as fh:
            result: dict[str, Any] = json.load(fh)
            return result
    finally:
        app_log.close()
        os.unlink(out)


def target_table(results: dict[str, Any], targets: Mapping[str, float], info: Sequence[str], width: int = 24) -> str:
    """A benchmark's figures against their targets (at most), then those only reported."""
    lines = [f"{'metric':<{width}} {'value':>10}  target  ok?", "-" * (width + 24)]
    for name, limit in targets.items():
        value = results.get(name)
        ok = "ok" if value is not None and value <= limit else "FAIL"
        lines.append(f"{name:<{width}} {'—' if value is None else value:>10}  ≤ {limit:<5} {ok}")
    for name in info:
        lines.append(f"{name:<{width}} {results.get(name)!s:>10}  (info)")
    return "\n".join(lines)


class Http:
    """JSON over one keep-alive connection to a stack the benchmarks drive: `(status, body, ms)`
    for every answer, errors included; `ok()` for a step that must succeed."""

    def __init__(self, url: str) -> None:
        import requests

        self.url = url
        self.session = requests.Session()

    def __call__(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any, float]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        resp = self.session.request(
            method,
            self.url + path,
            headers=headers,
            data=json.dumps(body, ensure_ascii=False).encode() if body is not None else None,
            timeout=60,
        )
        ms = (time.perf_counter() - started) * 1000
        return resp.status_code, (resp.json() if resp.content else None), ms

    def ok(self, method: str, path: str, token: str, body: Any = None, expect: int = 200) -> Any:
        status, answer, _ = self(method, path, token, body)
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {json.dumps(answer)[:500]}")
        return answer


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group of a child started with start_new_session, then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def write_json(path: Path, data: Any) -> None:
    """Write atomically (path.tmp, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)


def merge_results(out: Path, results: dict[str, Any], *, stale: Sequence[str] = ()) -> None:
    """Merge one benchmark's results into the shared results file, keeping the others' keys.

    ``stale`` names keys a fresh run replaces wholesale (an old run's error list must not
    outlive the run that fixed it). A results file that is not JSON starts over."""
    merged: dict[str, Any] = {}
    if out.exists():
        try:
            merged = json.loads(out.read_text())
        except ValueError:
            merged = {}
    for key in stale:
        merged.pop(key, None)
    merged.update(results)
    write_json(out, merged)
    print(f"\nresults merged into {out}")


def publish(results: dict[str, Any], shown: str, out: Path | None, quick: bool, *, stale: Sequence[str] = ()) -> None:
    """What every benchmark's command line ends with: print its table, then merge its results
    into `out`, by default bench/results.json (a --quick run writes nothing unless told where)."""
    print(shown)
    target = out if out is not None else (None if quick else RESULTS)
    if target is not None:
        merge_results(target, results, stale=stale)


def rss_mb() -> float:
    """This process's resident memory now (MB), as /proc says; 0 where there is no /proc."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def browser_main(
    prog: str,
    doc: str,
    measure: Callable[[bool], dict[str, Any]],
    table: Callable[[dict[str, Any]], str],
    argv: list[str] | None = None,
) -> int:
    """The command line of a benchmark that drives Debian's Chromium: `--quick`, `--out PATH`;
    it refuses to run without the browser rather than measure nothing."""
    import argparse

    from devstack.browser import CHROMIUM

    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        log(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
        return 1
    results = measure(args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


# -- what the storage read -------------------------------------------------------------------
class ReadSnapshot(TypedDict):
    """What a ReadCounter counted since its last reset."""

    items_read: int
    items_after_filter: int  # what Queries returned
    calls: dict[str, int]  # per operation


class ReadCounter:
    """Counts the items DynamoDB read for this process, the one definition every benchmark
    uses: ScannedCount of a Query or Scan (items read before any filter), one per item that a
    GetItem, BatchGetItem or TransactGetItems returned. `matched` is what Queries returned."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.items_read = 0
        self.matched = 0
        self.calls: Counter[str] = Counter()

    def snapshot(self) -> ReadSnapshot:
        return {"items_read": self.items_read, "items_after_filter": self.matched, "calls": dict(self.calls)}

    def __call__(
        self,
        http_response: AWSResponse | None = None,
        parsed: dict[str, Any] | None = None,
        model: OperationModel | None = None,
        **_: Any,
    ) -> None:
        """botocore's after-call event of a DynamoDB client."""
        op = model.name if model is not None else "?"
        parsed = parsed or {}
        self.calls[op] += 1
        if op in ("Query", "Scan"):
            self.items_read += int(parsed.get("ScannedCount", 0))
            self.matched += int(parsed.get("Count", 0))
        elif op == "GetItem":
            self.items_read += 1 if parsed.get("Item") else 0
        elif op == "BatchGetItem":
            self.items_read += sum(len(v) for v in (parsed.get("Responses") or {}).values())
        elif op == "TransactGetItems":
            self.items_read += sum(1 for r in parsed.get("Responses") or [] if r.get("Item"))


READS = ReadCounter()


_HOOKED: set[str] = set()


class Hook(NamedTuple):
    """A botocore event handler for every DynamoDB client (`first`: before any other of its event)."""

    event: str
    handler: Callable[..., Any]
    unique_id: str
    first: bool = False


def on_every_dynamodb_client(name: str, hooks: list[Hook]) -> None:
    """Register `hooks` on every DynamoDB client any botocore session creates from now on:
    PynamoDB's and boto3's both go through `Session.create_client`. Once per `name`; call
    before the first client."""
    import botocore.session

    if name in _HOOKED:
        return
    _HOOKED.add(name)
    original = botocore.session.Session.create_client

    def create_client(self: Session, service_name: str, *args: Any, **kwargs: Any) -> BaseClient:
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            for hook in hooks:
                register = client.meta.events.register_first if hook.first else client.meta.events.register
                register(hook.event, hook.handler, unique_id=hook.unique_id)
        return client

    # every session's clients, PynamoDB's included: botocore has no process-wide hook to register on
    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]  # patched on purpose


def count_reads(counter: ReadCounter = READS) -> ReadCounter:
    """Count every DynamoDB read of this process from now on in `counter`."""
    on_every_dynamodb_client("reads", [Hook("after-call.dynamodb", counter, "bench-read-counter")])
    return counter


# -- what the storage wrote ------------------------------------------------------------------
class WriteSnapshot(TypedDict):
    """What a WriteCounter counted since its last reset."""

    wru: int
    table_wru: int
    index_wru: int
    items_written: dict[str, int]  # per table
    index_entries_written: dict[str, int]  # per table.index
    calls: dict[str, int]  # per operation
    condition_checks: int
    failed_calls: int


class TableSchema(TypedDict):
    key: list[str]  # the table's key attributes
    indexes: dict[str, list[str]]  # each GSI's key attributes


class WriteTarget(NamedTuple):
    """An item a write request names."""

    table: str
    key: Item
    check: bool  # a ConditionCheck: read, never written


class WriteCounter:
    """Counts the write request units (WRU) this process's DynamoDB writes cost, priced by
    infra.capacity (the cost model's rules: the larger image per started KB, twice inside a
    transaction, a write per index entry touched): moto answers ReturnConsumedCapacity with
    constants, and nothing at all for TransactWriteItems.

    The item images come from GetItem calls on a client of its own (not counted as reads).
    Calls that failed (a condition or a transaction cancelled) are counted in `failed_calls`;
    DynamoDB bills them too, but the figure is what a successful write costs."""

    WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")

    def __init__(self) -> None:
        self._client: DynamoDBClient | None = None
        self._schemas: dict[str, TableSchema] = {}
        self.enabled = True
        self.reset()

    def reset(self) -> None:
        self.table_wru = 0
        self.index_wru = 0
        self.items: Counter[str] = Counter()  # items written, per table
        self.index_writes: Counter[str] = Counter()  # index entries written, per table.index
        self.calls: Counter[str] = Counter()
        self.checks = 0
        self.failed_calls = 0

    def snapshot(self) -> WriteSnapshot:
        return {
            "wru": self.table_wru + self.index_wru,
            "table_wru": self.table_wru,
            "index_wru": self.index_wru,
            "items_written": dict(self.items),
            "index_entries_written": dict(self.index_writes),
            "calls": dict(self.calls),
            "condition_checks": self.checks,
            "failed_calls": self.failed_calls,
        }

    # -- the client that reads the images, and the tables' keys --------------------------------
    def _raw(self) -> DynamoDBClient:
        if self._client is None:
            import boto3

            client = boto3.client("dynamodb")
            for event, uid in (
                ("after-call.dynamodb", "bench-read-counter"),
                ("before-parameter-build.dynamodb", "bench-write-counter-before"),
                ("after-call.dynamodb", "bench-write-counter-after"),
            ):
                client.meta.events.unregister(event, unique_id=uid)  # its own calls count for nothing
            self._client = client
        return self._client

    def _schema(self, table: str) -> TableSchema:
        if table not in self._schemas:
            d = self._raw().describe_table(TableName=table)["Table"]
            key = [k["AttributeName"] for k in d["KeySchema"]]
            indexes = {
                i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
                for i in d.get("GlobalSecondaryIndexes") or []
            }
            self._schemas[table] = {"key": key, "indexes": indexes}
        return self._schemas[table]

    def _image(self, table: str, key: Item) -> Item | None:
        return self._raw().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    # -- botocore events -------------------------------------------------------------------------
    def _targets(self, op: str, params: dict[str, Any]) -> list[WriteTarget]:
        """Every item a write request names."""
        out = []

        def key_of(table: str, item: Item) -> Item:
            return {k: item[k] for k in self._schema(table)["key"]}

        if op == "PutItem":
            out.append(WriteTarget(params["TableName"], key_of(params["TableName"], params["Item"]), False))
        elif op in ("UpdateItem", "DeleteItem"):
            out.append(WriteTarget(params["TableName"], params["Key"], False))
        elif op == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for r in requests:
                    if "PutRequest" in r:
                        out.append(WriteTarget(table, key_of(table, r["PutRequest"]["Item"]), False))
                    else:
                        out.append(WriteTarget(table, r["DeleteRequest"]["Key"], False))
        elif op == "TransactWriteItems":
            for t in params["TransactItems"]:
                ((kind, body),) = t.items()
                table = body["TableName"]
                key = key_of(table, body["Item"]) if kind == "Put" else body["Key"]
                out.append(WriteTarget(table, key, kind == "ConditionCheck"))
        return out

    def before(
        self,
        params: dict[str, Any] | None = None,
        model: OperationModel | None = None,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        """botocore's before-parameter-build event: the images of the items about to be written."""
        if not self.enabled or model is None or model.name not in self.WRITES or context is None:
            return
        targets = self._targets(model.name, params or {})
        context["bench_writes"] = [(target, self._image(target.table, target.key)) for target in targets]

    def after(
        self,
        http_response: AWSResponse | None = None,
        parsed: dict[str, Any] | None = None,
        model: OperationModel | None = None,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        """botocore's after-call event: the images after the write, priced against those before."""
        if not self.enabled or model is None or model.name not in self.WRITES or not context:
            return
        targets: list[tuple[WriteTarget, Item | None]] | None = context.pop("bench_writes", None)
        if targets is None:
            return
        self.calls[model.name] += 1
        if (parsed or {}).get("Error") or getattr(http_response, "status_code", 200) >= 300:
            self.failed_calls += 1
            return
        from infra.capacity import write_cost

        transactional = model.name == "TransactWriteItems"
        for (table, key, check), before in targets:
            after = before if check else self._image(table, key)
            cost = write_cost(before, after, self._schema(table)["indexes"], transactional, check=check)
            if check:
                self.checks += 1
            else:
                self.items[table] += 1
            self.table_wru += cost.table_wru
            self.index_wru += cost.index_wru
            for index, sizes in cost.index_entries.items():
                self.index_writes[f"{table}.{index}"] += len(sizes)


WRITES = WriteCounter()


def count_writes(counter: WriteCounter = WRITES) -> WriteCounter:
    """Count the write units of every DynamoDB write of this process from now on in `counter`
    (as `count_reads`); `counter.enabled = False` pauses it."""
    on_every_dynamodb_client(
        "writes",
        [
            Hook("before-parameter-build.dynamodb", counter.before, "bench-write-counter-before"),
            Hook("after-call.dynamodb", counter.after, "bench-write-counter-after"),
        ],
    )
    return counter


@contextlib.contextmanager
def app_in_process(key_dir: str, before_app: Callable[[], Any] = lambda: None) -> Iterator[Any]:
    """A benchmark worker's app: an in-process moto, the app's settings pointed at it, local
    tokens signed with the keys of `key_dir`, the tables created, and a chalice.test Client
    (yielded). `before_app` runs before the app is imported (a read or write counter must hook
    every DynamoDB client chalicelib makes)."""
    import logging

    from devstack.atomic_moto import start_in_thread
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _, jwks = ensure_keys(key_dir)
    server, endpoint = start_in_thread()
    try:
        os.environ.update(app_env(endpoint, JWKS_PATH=str(jwks), TOKEN_ISSUER=ISSUER, TOKEN_AUDIENCE=AUDIENCE))
        before_app()
        from chalice.test import Client

        from app import app
        from chalicelib.dal.models import create_tables

        create_tables()
        with Client(app, stage_name="dev") as client:
            yield client
    finally:
        server.shutdown()
