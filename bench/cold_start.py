"""Cold start as a user feels it: a fresh Lambda process serving its first request.

`cold_start_first_request_ratio` (target ≤ 1.2, bar 1.5): the median, over alternating pairs,
of the wall time of a fresh interpreter that imports Huixiang's app and serves one
authenticated `GET /campaigns/{id}` through the Lambda entry point (`app.app(event, context)`,
an API Gateway proxy event) against moto, divided by the wall time of a fresh interpreter with
the baseline named in `cold_start_first_request_baseline`: a bare Chalice app whose route does
one DynamoDB GetItem with a boto3 client, served through the same entry point with the same
event, against the same moto. Both pay interpreter start, imports, client creation and one
round trip; the app also pays token verification, the use case, presenting and logging.

The app runs as Lambda runs it: app.py and chalicelib/ copied to a task root with the
unchecked-hash bytecode `make package` puts in the deployment zip (infra/package.py), nothing
written at run time (PYTHONDONTWRITEBYTECODE, as on Lambda's read-only /var/task); libraries
come with the bytecode pip wrote, as they do in the zip. `cold_start_first_request_from_source_ms_median`
(info) is the same app from its sources without bytecode: what every cold start paid while the
package carried none.

`cold_start_ratio` (kept, target ≤ 1.5): `python -c "import app"` against the baseline's import.

The runs alternate (baseline, app, app from source, …) after one untimed warm-up of each, so
drift in machine load hits all of them equally.

    python -m bench.cold_start [--pairs 15]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import ROOT, app_env, clean_env, log, median, python

TARGET = 1.2
BAR = 1.5
BASELINE_NAME = (
    "a bare Chalice app with one route doing one boto3 DynamoDB GetItem, served through its "
    "Lambda entry point with the same API Gateway event"
)

BASELINE_APP = '''\
"""Baseline: a bare Chalice app whose route reads one item with a boto3 DynamoDB client."""
import os

import boto3
from chalice import Chalice

app = Chalice(app_name="baseline")
dynamodb = boto3.client("dynamodb")


@app.route("/campaigns/{campaign_id}")
def get_campaign(campaign_id):
    item = dynamodb.get_item(TableName=os.environ["CAMPAIGNS_TABLE"], Key={"id": {"S": campaign_id}},
                             ConsistentRead=True).get("Item")
    return {"id": campaign_id, "found": item is not None}
'''

SERVE_ONE = """\
import json, os, sys
from app import app
event = json.loads(os.environ["BENCH_EVENT"])
response = app(event, None)
if response["statusCode"] != 200:
    sys.exit(f"status {response['statusCode']}: {response['body'][:300]}")
"""


def _event(campaign_id: str, token: str) -> dict[str, Any]:
    """The API Gateway (REST, proxy) event for GET /campaigns/{id}, as Lambda receives it."""
    path = f"/campaigns/{campaign_id}"
    headers = {"authorization": f"Bearer {token}", "accept": "application/json", "host": "api.example.com"}
    return {
        "resource": "/campaigns/{campaign_id}",
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"campaign_id": campaign_id},
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/campaigns/{campaign_id}",
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "bench-cold-start",
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


def _seed(endpoint: str, key_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Tables on a fresh moto, one campaign, a token for its owner; returns (event, env)."""
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys, mint_token

    _, jwks = ensure_keys(key_dir)
    env = clean_env(**app_env(endpoint), JWKS_PATH=str(jwks), TOKEN_ISSUER=ISSUER, TOKEN_AUDIENCE=AUDIENCE)
    code = (
        "from chalicelib.dal.models import create_tables; create_tables()\n"
        "from chalicelib.dal import repos\n"
        "from chalicelib.domain.approval import Approval, ApprovalStep, ChainStep\n"
        "from chalicelib.domain.audit import Person\n"
        "from chalicelib.domain.budget import CampaignBudget\n"
        "from chalicelib.domain.campaign import Campaign, RuleRef\n"
        # a campaign as most are read: approved through a two-step chain, budgeted, fed back
        "chain = (ChainStep('province', 'CN/EAST/JS'), ChainStep('region', 'CN/EAST'))\n"
        "steps = tuple(ApprovalStep(s.level, Person(f'm-{s.level}', 'M'), 100, '2026-11-01T00:00:00.000Z')"
        " for s in chain)\n"
        "c = Campaign(id='BENCHCOLD0000000000000000A', org='CN/EAST/JS', owner_id='rep-1', owner_name='Li',"
        " title='t', category='tasting', customer_id='K1', customer_name='k', start_date='2026-11-01',"
        " end_date='2026-11-03', expected_spend=100, expected_sales=500, requested_amount=100,"
        " created_at='2026-11-01T00:00:00.000Z', updated_at='2026-11-01T00:00:00.000Z', status='approved',"
        " approved_amount=100, approval=Approval(chain, steps), rule=RuleRef('R1', 'all', 7),"
        " budget=CampaignBudget('B1', 'CN', '2026', None, reserved=100), feedback_revision=1,"
        " feedback_kind='passive', feedback_submitted_at='2026-11-04T00:00:00.000Z', actual_spend=90,"
        " actual_sales=600, reimbursement_status='unlocked', audit_seq=0)\n"
        "repos.campaigns().insert(c)\n"
    )
    subprocess.run([python(), "-c", code], cwd=str(ROOT), env=env, check=True, timeout=120)
    token = mint_token("rep-1", "rep", "CN/EAST/JS", key_dir=key_dir, name="Li")
    env["CAMPAIGNS_TABLE"] = f"huixiang-{env['HUIXIANG_STAGE']}-campaigns"  # the app's own naming
    return _event("BENCHCOLD0000000000000000A", token), env


def _run(cwd: Path, env: dict[str, str], code: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [python(), "-c", code],
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`{code.splitlines()[0]}` failed in {cwd}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed * 1000


def task_root(where: Path, bytecode: bool = True) -> Path:
    """app.py and chalicelib/ as the deployment package holds them: sources and bytecode
    (without ``bytecode``: the sources alone, as the package was before it carried any)."""
    from infra.package import compile_tree

    where.mkdir()
    shutil.copy2(ROOT / "app.py", where / "app.py")
    shutil.copytree(ROOT / "chalicelib", where / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    if bytecode:
        compile_tree(where)
    return where


def measure(pairs: int = 15) -> dict[str, Any]:
    from devstack.stack import MotoServer

    moto = MotoServer(log_path=None)
    endpoint = moto.start()
    try:
        with tempfile.TemporaryDirectory(prefix="huixiang-cold-") as tmp:
            base_dir, key_dir = Path(tmp) / "baseline", Path(tmp) / "keys"
            base_dir.mkdir()
            (base_dir / "app.py").write_text(BASELINE_APP)
            packaged = task_root(Path(tmp) / "task")
            sources = task_root(Path(tmp) / "sources", bytecode=False)  # no __pycache__ a test run left
            event, env = _seed(endpoint, key_dir)
            env.update(BENCH_EVENT=json.dumps(event), PYTHONDONTWRITEBYTECODE="1")
            import_env = clean_env(**app_env("http://127.0.0.1:9"), PYTHONDONTWRITEBYTECODE="1")  # imports only
            runs = {
                "baseline": (base_dir, env, SERVE_ONE),
                "app": (packaged, env, SERVE_ONE),
                "app_from_source": (sources, env, SERVE_ONE),
            }
            import_runs = {
                "baseline": (base_dir, import_env, "import app"),
                "app": (packaged, import_env, "import app"),
            }
            for cwd, e, code in [*runs.values(), *import_runs.values()]:
                _run(cwd, e, code)  # warm-up, not timed
            first: dict[str, list[float]] = {name: [] for name in runs}
            imports: dict[str, list[float]] = {name: [] for name in import_runs}
            for _ in range(pairs):
                for name, run in runs.items():
                    first[name].append(_run(*run))
                for name, run in import_runs.items():
                    imports[name].append(_run(*run))
    finally:
        moto.stop()
    fb, fa, fs = median(first["baseline"]), median(first["app"]), median(first["app_from_source"])
    ib, ia = median(imports["baseline"]), median(imports["app"])
    log(
        f"cold start: {pairs} pairs; first request: baseline {fb:.1f} ms, app {fa:.1f} ms (ratio {fa / fb:.3f}), "
        f"app from source without bytecode {fs:.1f} ms (ratio {fs / fb:.3f}); "
        f"import only: baseline {ib:.1f} ms, app {ia:.1f} ms (ratio {ia / ib:.3f})"
    )
    return {
        "cold_start_first_request_ratio": round(fa / fb, 3),
        "cold_start_first_request_baseline": BASELINE_NAME,
        "cold_start_first_request_ms_median": round(fa, 1),
        "cold_start_first_request_baseline_ms_median": round(fb, 1),
        "cold_start_first_request_from_source_ms_median": round(fs, 1),
        "cold_start_ratio": round(ia / ib, 3),
        "cold_start_app_ms_median": round(ia, 1),
        "cold_start_baseline_ms_median": round(ib, 1),
        "cold_start_detail": {
            "pairs": pairs,
            "order": "baseline first request, app first request, app from source first request, "
            "baseline import, app import; repeated",
            "app": "app.py and chalicelib/ with the package's unchecked-hash bytecode, nothing written at run time",
            "first_request_ms": {k: [round(x, 1) for x in v] for k, v in first.items()},
            "import_ms": {k: [round(x, 1) for x in v] for k, v in imports.items()},
            "request": "GET /campaigns/{id} of an approved, budgeted, fed-back campaign with a two-step chain, by its owner with a bearer token: an API Gateway proxy event, moto endpoint",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start")
    parser.add_argument("--pairs", type=int, default=15)
    args = parser.parse_args()
    print(json.dumps(measure(args.pairs), indent=2))


if __name__ == "__main__":
    main()
