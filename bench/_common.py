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
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

ROOT: Path = Path(__file__).resolve().parent.parent
BENCH_DIR: Path = ROOT / "bench"
RESULTS: Path = BENCH_DIR / "results.json"
QUICK_RESULTS: Path = BENCH_DIR / "results.quick.json"

REGION = "us-east-1"
CATEGORIES = "tasting,display,roadshow,in_store_promotion"

# Variables of the calling process that must not leak into a child's AWS or app settings.
_SCRUB_PREFIXES = ("AWS_", "HUIXIANG_", "POWERTOOLS_")
_SCRUB_NAMES = ("JWKS_PATH", "JWKS_URL", "TOKEN_ISSUER", "TOKEN_AUDIENCE", "CAMPAIGNS_TABLE",
                "FEEDBACK_TABLE", "RULES_TABLE", "IDEMPOTENCY_TABLE", "ATTACHMENTS_BUCKET",
                "FEEDBACK_STREAM_ARN", "RULES_STREAM_ARN", "PORT", "PYTHONPATH")


def python() -> str:
    """The project's venv interpreter (what `make bench` uses), else the running one."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def shown(path: str | Path) -> str:
    """A path as results.json may record it: relative to the repository (results are
    committed, and no tracked file names a path of the machine that produced it)."""
    try:
        return os.path.relpath(path, ROOT) if Path(path).is_absolute() else str(path)
    except ValueError:   # another drive (Windows)
        return Path(path).name


def clean_env(**overrides: str) -> dict[str, str]:
    """os.environ without AWS/app settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUB_PREFIXES) and k not in _SCRUB_NAMES}
    env.update(overrides)
    return env


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env or clean_env(), stdin=subprocess.DEVNULL,
                            stdout=app_log, stderr=sys.stderr, start_new_session=True)
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


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


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


def count_reads(counter: ReadCounter = READS) -> ReadCounter:
    """Register `counter` on every DynamoDB client any botocore session creates from now on
    (PynamoDB's and boto3's both go through `Session.create_client`). Call before the first client."""
    import botocore.session

    original = botocore.session.Session.create_client
    if getattr(original, "_bench_hooked", False):
        return counter

    def create_client(self, service_name, *args, **kwargs):
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            client.meta.events.register("after-call.dynamodb", counter, unique_id="bench-read-counter")
        return client

    create_client._bench_hooked = True  # type: ignore[attr-defined]
    botocore.session.Session.create_client = create_client
    return counter
