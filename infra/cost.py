"""Measure what one campaign costs in requests and DynamoDB capacity, then price 1,000 a month.

    python -m infra.cost            # prints the measured table and the monthly estimate

Runs one whole campaign loop in-process (chalice.test client, moto server, the real stream
handler) and counts, per API route: the requests, every DynamoDB call, and the capacity units
each call consumes under on-demand rules (a write: 1 WRU per started KB on the table and on every
index that holds the item; a transaction: twice that; a strongly consistent read: 1 RRU per 4 KB;
an eventually consistent Query: 0.5). Item sizes are the serialised attribute names and values,
which is how DynamoDB sizes items. Prices are us-east-1 list prices (see PRICES), an assumption
the README states; the request mix per campaign is the loop below, also an assumption.
"""
from __future__ import annotations

import collections
import json
import math
import os
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# USD, us-east-1 list prices (on-demand DynamoDB after the November 2024 cut).
PRICES = {
    "api_gateway_rest_per_million": 3.50,
    "lambda_requests_per_million": 0.20,
    "lambda_gb_second": 0.0000166667,
    "dynamodb_wru_per_million": 0.625,
    "dynamodb_rru_per_million": 0.125,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "cloudwatch_logs_ingest_gb": 0.50,
    "s3_standard_gb_month": 0.023,
    "s3_put_per_thousand": 0.005,
    "ses_per_thousand": 0.10,
    "alarm_month": 0.10,
}
LAMBDA_MEMORY_GB = 1.0           # the prod stage's lambda_memory_size
ASSUMED_MS_PER_INVOCATION = 120  # warm p50 seen locally ~30-60 ms; doubled for cold starts and the network
LOG_BYTES_PER_REQUEST = 700      # one request line + one EMF metrics line


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    from devstack.atomic_moto import start_in_thread
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys

    key_dir = Path(tempfile.mkdtemp(prefix="huixiang-cost-keys-"))
    _, jwks = ensure_keys(key_dir)
    _, endpoint = start_in_thread()
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                       "HUIXIANG_STAGE": "cost", "JWKS_PATH": str(jwks), "TOKEN_ISSUER": ISSUER,
                       "TOKEN_AUDIENCE": AUDIENCE, "POWERTOOLS_TRACE_DISABLED": "true",
                       "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
                       "COST_KEY_DIR": str(key_dir)})
    import boto3

    from chalicelib.config import settings
    from chalicelib.dal.models import create_tables

    create_tables()
    boto3.client("s3").create_bucket(Bucket=settings().attachments_bucket)


def _size(item: dict) -> int:
    """DynamoDB's item size: attribute names plus values (numbers ~ digits/2 + 1)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        (kind, v), = value.items()
        if kind == "S":
            total += len(v.encode())
        elif kind == "N":
            total += len(v) // 2 + 1
        elif kind == "BOOL" or kind == "NULL":
            total += 1
        elif kind == "M":
            total += 3 + _size(v)
        elif kind == "L":
            total += 3 + sum(_size({"": x}) for x in v)
        else:
            total += len(json.dumps(v))
    return total


class Meter:
    """Counts DynamoDB calls and capacity per current route by wrapping botocore."""

    def __init__(self) -> None:
        self.route = "setup"
        self.calls: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.wru: collections.Counter = collections.Counter()
        self.rru: collections.Counter = collections.Counter()
        self._indexes: dict[str, list[tuple[str, str | None]]] = {}

    def indexes(self, table: str) -> list[tuple[str, str | None]]:
        if table not in self._indexes:
            from chalicelib.dal import models

            by_table = {m.Meta.table_name: m for m in (models.CampaignModel, models.FeedbackModel, models.RuleModel)}
            keys = []
            if table in by_table:
                for g in by_table[table]._get_schema()["global_secondary_indexes"]:
                    ks = {k["KeyType"]: k["AttributeName"] for k in g["key_schema"]}
                    keys.append((ks["HASH"], ks.get("RANGE")))
            self._indexes[table] = keys
        return self._indexes[table]

    def _write(self, table: str, item: dict | None, factor: int = 1) -> None:
        kb = max(1, math.ceil(_size(item or {}) / 1024)) if item else 1
        holders = 1 + sum(1 for h, r in self.indexes(table) if item and h in item and (r is None or r in item))
        self.wru[self.route] += factor * kb * holders

    def record(self, operation: str, params: dict, response: dict) -> None:
        self.calls[self.route][operation] += 1
        if operation == "PutItem":
            self._write(params["TableName"], params["Item"])
        elif operation in ("UpdateItem", "DeleteItem"):
            self._write(params["TableName"], response.get("Attributes") or {"k": {"S": "x" * 900}})
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, body), = entry.items()
                self._write(body["TableName"], body.get("Item") or {"k": {"S": "x" * 900}}, factor=2)
        elif operation == "GetItem":
            size = _size(response.get("Item") or {})
            self.rru[self.route] += max(1, math.ceil(size / 4096)) * (1 if params.get("ConsistentRead") else 0.5)
        elif operation == "Query":
            size = sum(_size(i) for i in response.get("Items", []))
            self.rru[self.route] += max(1, math.ceil(size / 4096)) * (1 if params.get("ConsistentRead") else 0.5)


def measure() -> tuple[Meter, collections.Counter, int]:
    _setup()
    import botocore.client
    from chalice.test import Client

    from app import app
    from devstack.streams import lambda_event, read_records
    from devstack.tokens import mint_token
    from chalicelib.config import settings

    import logging

    logging.getLogger("huixiang").setLevel(logging.WARNING)   # the table below is the output
    meter = Meter()
    original = botocore.client.BaseClient._make_api_call

    def counted(self, operation, params):
        response = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb":
            meter.record(operation, params, response)
        return response

    botocore.client.BaseClient._make_api_call = counted
    root = "C" + uuid.uuid4().hex[:8].upper()
    key_dir = os.environ["COST_KEY_DIR"]
    tok = {r: mint_token(f"{r}-{root}", r, org, key_dir=key_dir, name=r) for r, org in
           (("rep", f"{root}/EAST/JS"), ("manager", f"{root}/EAST"), ("leader", root), ("finance", root))}
    requests: collections.Counter = collections.Counter()
    stream_invocations = 0
    with Client(app, stage_name="dev") as client:
        def call(method, path, role, body=None, route=None, key=None):
            meter.route = route or f"{method} {path}"
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tok[role]}"}
            if key:
                headers["Idempotency-Key"] = key
            r = getattr(client.http, method.lower())(path, headers=headers,
                                                     body=json.dumps(body) if body is not None else None)
            requests[meter.route] += 1
            assert r.status_code < 400, (method, path, r.status_code, r.body)
            return json.loads(r.body) if r.body else None

        call("POST", "/feedback-rules", "leader", {"scope": "category", "category": "tasting"}, "setup")
        plan = {"title": "Tasting", "category": "tasting", "customer": {"id": "K1", "name": "Shop"},
                "start_date": "2026-11-01", "end_date": "2026-11-03", "location": {"lat": 32.0, "lon": 118.8},
                "plan": {"expected_spend": 200000, "expected_sales": 1000000}, "requested_amount": 200000}
        call("GET", "/categories", "rep")
        c = call("POST", "/campaigns", "rep", plan, key=str(uuid.uuid4()))
        cid = c["id"]
        call("PATCH", f"/campaigns/{cid}", "rep", {"title": "Tasting weekend"}, "PATCH /campaigns/{id}")
        call("POST", f"/campaigns/{cid}/submit", "rep", None, "POST /campaigns/{id}/submit", key=str(uuid.uuid4()))
        call("GET", "/campaigns?status=submitted", "manager", route="GET /campaigns (worklist)")
        call("GET", f"/campaigns/{cid}", "manager", route="GET /campaigns/{id}")
        call("POST", f"/campaigns/{cid}/approve", "manager", {"approved_amount": 180000},
             "POST /campaigns/{id}/approve", key=str(uuid.uuid4()))
        call("GET", "/me/feedback-requests", "rep")
        for spend in (100000, 150000):
            call("PUT", f"/campaigns/{cid}/feedback", "rep", {"actual_spend": spend, "actual_sales": 900000},
                 "PUT /campaigns/{id}/feedback")
        call("POST", f"/campaigns/{cid}/feedback/submit", "rep", None, "POST /campaigns/{id}/feedback/submit",
             key=str(uuid.uuid4()))
        meter.route = "setup"   # reading the stream back is the harness's work (Lambda's, in AWS)
        records = [r for r in read_records(settings().feedback_table)
                   if r["dynamodb"]["Keys"]["campaign_id"]["S"] == cid]
        meter.route = "stream: on_feedback_change"
        client.lambda_.invoke("on_feedback_change", lambda_event(records))
        stream_invocations += 1
        call("GET", f"/campaigns/{cid}/feedback", "finance", route="GET /campaigns/{id}/feedback")
        call("POST", f"/campaigns/{cid}/reimbursement", "finance", {}, "POST /campaigns/{id}/reimbursement",
             key=str(uuid.uuid4()))
        call("GET", f"/feedback?org={root}/EAST", "manager", route="GET /feedback (D)")
        call("GET", "/feedback-requests", "leader", route="GET /feedback-requests (E)")
    botocore.client.BaseClient._make_api_call = original
    return meter, requests, stream_invocations


def estimate(meter: Meter, requests: collections.Counter, stream_invocations: int, campaigns: int = 1000) -> dict:
    per = {k: v for k, v in requests.items() if k != "setup"}
    api_requests = sum(per.values()) * campaigns
    invocations = api_requests + stream_invocations * campaigns
    wru = sum(v for k, v in meter.wru.items() if k != "setup") * campaigns
    rru = sum(v for k, v in meter.rru.items() if k != "setup") * campaigns
    p = PRICES
    cost = {
        "API Gateway (REST)": api_requests / 1e6 * p["api_gateway_rest_per_million"],
        "Lambda requests": invocations / 1e6 * p["lambda_requests_per_million"],
        "Lambda compute": invocations * ASSUMED_MS_PER_INVOCATION / 1000 * LAMBDA_MEMORY_GB * p["lambda_gb_second"],
        "DynamoDB writes": wru / 1e6 * p["dynamodb_wru_per_million"],
        "DynamoDB reads": rru / 1e6 * p["dynamodb_rru_per_million"],
        "CloudWatch Logs": invocations * LOG_BYTES_PER_REQUEST / 1e9 * p["cloudwatch_logs_ingest_gb"],
    }
    return {"api_requests": api_requests, "invocations": invocations, "wru": wru, "rru": rru,
            "cost": cost, "total": sum(cost.values())}


def main() -> int:
    meter, requests, streams = measure()
    print(f"{'route':44} {'req':>4} {'ddb calls':>10} {'WRU':>6} {'RRU':>6}")
    for route in [r for r in requests if r != "setup"] + ["stream: on_feedback_change"]:
        calls = sum(meter.calls[route].values())
        detail = ",".join(f"{op}x{n}" for op, n in sorted(meter.calls[route].items()))
        print(f"{route:44} {requests.get(route, streams):>4} {calls:>10} {meter.wru[route]:>6} "
              f"{meter.rru[route]:>6}  {detail}")
    e = estimate(meter, requests, streams)
    print(f"\nper 1,000 campaigns: {e['api_requests']:,} API requests, {e['invocations']:,} invocations, "
          f"{e['wru']:,} WRU, {e['rru']:,.0f} RRU")
    for name, usd in e["cost"].items():
        print(f"  {name:22} ${usd:8.4f}")
    print(f"  {'total (variable)':22} ${e['total']:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
