"""Cold start: wall time of a fresh `python -c "import app"` against a bare Chalice app.

The baseline is the least any Chalice + DynamoDB function pays: import chalice and boto3 and
create a DynamoDB client at module level. It is written to a temporary directory at run time.
Both are run in fresh interpreters with the same environment, alternately (baseline, app,
baseline, app, ...) so that drift in machine load hits both equally; one untimed warm-up
of each first (bytecode caches, page cache).

`import app` is cheap by design (handlers are imported on first use), so the cost moves to
the first request. For context the same run also times, in the same alternation, a third
interpreter that pays what a first request pays before any I/O: `import app`, every route
handler module, auth (PyJWT), stream handlers, the Powertools Logger and Metrics the
middleware uses, and the PynamoDB botocore client
(`cold_start_first_request_*`, reported, not the target).

    python -m bench.cold_start [--pairs 15]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench._common import ROOT, app_env, clean_env, log, median, python, shown

TARGET = 1.5

BASELINE_APP = '''\
"""Baseline: a bare Chalice app that imports boto3 and creates a DynamoDB client."""
import boto3
from chalice import Chalice

app = Chalice(app_name="baseline")
dynamodb = boto3.client("dynamodb")


@app.route("/")
def index():
    return {"hello": "world"}
'''


FIRST_REQUEST = """\
import importlib, pkgutil
import app
import chalicelib.handlers.routes as routes
for m in pkgutil.iter_modules(routes.__path__):
    importlib.import_module(routes.__name__ + "." + m.name)
import chalicelib.handlers.auth, chalicelib.handlers.streams, chalicelib.handlers.idempotency
import jwt
from chalicelib.observability import logger, metrics
logger(); metrics()
from chalicelib.dal.models import CampaignModel
CampaignModel._get_connection().connection.client
"""


def _time_import(cwd: Path, env: dict[str, str], code: str = "import app") -> float:
    start = time.perf_counter()
    proc = subprocess.run([python(), "-c", code], cwd=str(cwd), env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`{code.splitlines()[0]}` failed in {cwd}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed * 1000


def measure(pairs: int = 15) -> dict:
    # Nothing listens there: neither import may talk to AWS.
    env = clean_env(**app_env("http://127.0.0.1:9"))
    with tempfile.TemporaryDirectory(prefix="huixiang-baseline-") as tmp:
        base_dir = Path(tmp)
        (base_dir / "app.py").write_text(BASELINE_APP)
        _time_import(base_dir, env)      # warm-up, not timed
        _time_import(ROOT, env)
        _time_import(ROOT, env, FIRST_REQUEST)
        baseline_ms, app_ms, first_ms = [], [], []
        for i in range(pairs):
            baseline_ms.append(_time_import(base_dir, env))
            app_ms.append(_time_import(ROOT, env))
            first_ms.append(_time_import(ROOT, env, FIRST_REQUEST))
        log(f"cold start: {pairs} pairs, baseline median {median(baseline_ms):.1f} ms, "
            f"app median {median(app_ms):.1f} ms, app + first-request imports {median(first_ms):.1f} ms")
    b, a, f = median(baseline_ms), median(app_ms), median(first_ms)
    return {
        "cold_start_ratio": round(a / b, 3),
        "cold_start_app_ms_median": round(a, 1),
        "cold_start_baseline_ms_median": round(b, 1),
        "cold_start_first_request_ratio": round(f / b, 3),
        "cold_start_first_request_ms_median": round(f, 1),
        "cold_start_detail": {
            "pairs": pairs,
            "command": f"{shown(python())} -c 'import app'",
            "app_ms": [round(x, 1) for x in app_ms],
            "baseline_ms": [round(x, 1) for x in baseline_ms],
            "first_request_ms": [round(x, 1) for x in first_ms],
            "first_request_code": FIRST_REQUEST,
            "order": "baseline, app, app+first-request imports; repeated `pairs` times",
            "baseline": "chalice.Chalice + boto3.client('dynamodb') at module level",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start")
    parser.add_argument("--pairs", type=int, default=15)
    args = parser.parse_args()
    print(json.dumps(measure(args.pairs), indent=2))


if __name__ == "__main__":
    main()
