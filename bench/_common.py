"""Helpers shared by the benchmarks: paths, the interpreter, a clean child environment,
free ports, statistics, and running a benchmark worker in its own process.

Every benchmark that needs the app in-process runs it in a child process with its own
environment and its own moto endpoint, so `bench.run()` can be called from any process
(including a pytest session that already imported chalicelib with other settings).
"""

from __future__ import annotations

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from devstack.client import clean_env, free_port  # noqa: F401  (the benchmarks import them from here)

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


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def run_worker(module: str, args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict:
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
            return json.load(fh)
    finally:
        app_log.close()
        os.unlink(out)


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


def stop_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
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


def merge_results(out: Path, results: dict, *, stale: Sequence[str] = ()) -> None:
    """Merge one benchmark's results into the shared results file, keeping the others' keys.

    ``stale`` names keys a fresh run replaces wholesale (an old run's error list must not
    outlive the run that fixed it). A results file that is not JSON starts over."""
    merged: dict = {}
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


def publish(results: dict, shown: str, out: Path | None, quick: bool, *, stale: Sequence[str] = ()) -> None:
    """What every benchmark's command line ends with: print its table, then merge its results
    into `out`, by default bench/results.json (a --quick run writes nothing unless told where)."""
    print(shown)
    target = out if out is not None else (None if quick else RESULTS)
    if target is not None:
        merge_results(target, results, stale=stale)


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
class ReadCounter:
    """Counts the items DynamoDB read for this process, the one definition every benchmark
    uses: ScannedCount of a Query or Scan (items read before any filter), one per item that a
    GetItem, BatchGetItem or TransactGetItems returned. `matched` is what Queries returned."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        from collections import Counter

        self.items_read = 0
        self.matched = 0
        self.calls: Counter[str] = Counter()

    def snapshot(self) -> dict[str, Any]:
        return {"items_read": self.items_read, "items_after_filter": self.matched, "calls": dict(self.calls)}

    def __call__(self, http_response=None, parsed=None, model=None, **_: Any) -> None:
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


def _on_every_dynamodb_client(name: str, handlers: list[tuple[str, Any, str]]) -> None:
    """Register `handlers` (botocore event, handler, unique id) on every DynamoDB client any
    botocore session creates from now on: PynamoDB's and boto3's both go through
    `Session.create_client`. Once per `name`; call before the first client."""
    import botocore.session

    if name in _HOOKED:
        return
    _HOOKED.add(name)
    original = botocore.session.Session.create_client

    def create_client(self, service_name, *args, **kwargs):
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            for event, handler, unique_id in handlers:
                client.meta.events.register(event, handler, unique_id=unique_id)
        return client

    botocore.session.Session.create_client = create_client


def count_reads(counter: ReadCounter = READS) -> ReadCounter:
    """Count every DynamoDB read of this process from now on in `counter`."""
    _on_every_dynamodb_client("reads", [("after-call.dynamodb", counter, "bench-read-counter")])
    return counter


# -- what the storage wrote ------------------------------------------------------------------
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
        self._client = None
        self._schemas: dict[str, dict] = {}
        self.enabled = True
        self.reset()

    def reset(self) -> None:
        from collections import Counter

        self.table_wru = 0
        self.index_wru = 0
        self.items: Counter[str] = Counter()  # items written, per table
        self.index_writes: Counter[str] = Counter()  # index entries written, per table.index
        self.calls: Counter[str] = Counter()
        self.checks = 0
        self.failed_calls = 0

    def snapshot(self) -> dict[str, Any]:
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
    def _raw(self):
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

    def _schema(self, table: str) -> dict:
        if table not in self._schemas:
            d = self._raw().describe_table(TableName=table)["Table"]
            key = [k["AttributeName"] for k in d["KeySchema"]]
            indexes = {
                i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
                for i in d.get("GlobalSecondaryIndexes") or []
            }
            self._schemas[table] = {"key": key, "indexes": indexes}
        return self._schemas[table]

    def _image(self, table: str, key: dict) -> dict | None:
        return self._raw().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    # -- botocore events -------------------------------------------------------------------------
    def _targets(self, op: str, params: dict) -> list[tuple[str, dict, str]]:
        """(table, key, kind) of every item a write request names."""
        out = []

        def key_of(table: str, item: dict) -> dict:
            return {k: item[k] for k in self._schema(table)["key"]}

        if op == "PutItem":
            out.append((params["TableName"], key_of(params["TableName"], params["Item"]), "write"))
        elif op in ("UpdateItem", "DeleteItem"):
            out.append((params["TableName"], params["Key"], "write"))
        elif op == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for r in requests:
                    if "PutRequest" in r:
                        out.append((table, key_of(table, r["PutRequest"]["Item"]), "write"))
                    else:
                        out.append((table, r["DeleteRequest"]["Key"], "write"))
        elif op == "TransactWriteItems":
            for t in params["TransactItems"]:
                ((kind, body),) = t.items()
                table = body["TableName"]
                key = key_of(table, body["Item"]) if kind == "Put" else body["Key"]
                out.append((table, key, "check" if kind == "ConditionCheck" else "write"))
        return out

    def before(self, params=None, model=None, context=None, **_: Any) -> None:
        if not self.enabled or model is None or model.name not in self.WRITES or context is None:
            return
        targets = self._targets(model.name, params or {})
        context["bench_writes"] = [(table, key, kind, self._image(table, key)) for table, key, kind in targets]

    def after(self, http_response=None, parsed=None, model=None, context=None, **_: Any) -> None:
        if not self.enabled or model is None or model.name not in self.WRITES or not context:
            return
        targets = context.pop("bench_writes", None)
        if targets is None:
            return
        self.calls[model.name] += 1
        if (parsed or {}).get("Error") or getattr(http_response, "status_code", 200) >= 300:
            self.failed_calls += 1
            return
        from infra.capacity import write_cost

        transactional = model.name == "TransactWriteItems"
        for table, key, kind, before in targets:
            check = kind == "check"
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
    _on_every_dynamodb_client(
        "writes",
        [
            ("before-parameter-build.dynamodb", counter.before, "bench-write-counter-before"),
            ("after-call.dynamodb", counter.after, "bench-write-counter-after"),
        ],
    )
    return counter
