"""`make verify-rollups`: recompute every roll-up from the campaigns and print any difference.

An offline check (full table reads are fine here, never in chalicelib/): it Scans the
campaigns table, sums `contribution(c)` per row (the same domain function the stream handler
applies as deltas), Scans the roll-up rows and compares them metric by metric. Zero counters
left behind by deltas that cancelled out compare equal to absent ones. A row that has held
more campaigns than it keeps exact values for (`m:xover`) is compared without them
(domain/rollups.py: comparable).

Against the running local stack it finds the endpoint in var/run/endpoint; elsewhere it uses
the environment (AWS_ENDPOINT_URL, HUIXIANG_STAGE …). Exit code 1 when anything differs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from chalicelib.domain.rollups import Metrics, RowKey

ROOT = Path(__file__).resolve().parent.parent


def _scan(
    client: DynamoDBClient, table: str, tenant: str | None, attribute: str
) -> Iterator[dict[str, AttributeValueTypeDef]]:
    kwargs: dict[str, Any] = {"TableName": table}
    if tenant:
        kwargs.update(
            FilterExpression="#a = :t",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":t": {"S": tenant}},
        )
    for page in client.get_paginator("scan").paginate(**kwargs):
        yield from page["Items"]


def recompute(tenant: str | None = None) -> dict[RowKey, Metrics]:
    """Every roll-up row as the campaigns say it should be."""
    from chalicelib.config import settings
    from chalicelib.dal.campaigns import campaign_from_item
    from chalicelib.dal.clients import dynamodb
    from chalicelib.domain.rollups import add_into, contribution

    out: dict[RowKey, Metrics] = {}
    for item in _scan(dynamodb(), settings().campaigns_table, tenant, "tenant"):
        for key, metrics in contribution(campaign_from_item(item)).items():
            add_into(out.setdefault(key, {}), metrics)
    return {k: _nonzero(m) for k, m in out.items() if _nonzero(m)}


def stored(tenant: str | None = None) -> dict[RowKey, Metrics]:
    """Every roll-up row as the stream handler left it."""
    from chalicelib.config import settings
    from chalicelib.dal.clients import dynamodb
    from chalicelib.dal.rollups import rows_of

    out: dict[RowKey, Metrics] = {}
    for key, metrics, _ in rows_of(_scan(dynamodb(), settings().rollups_table, tenant, "tenant")):
        if _nonzero(metrics):
            out[key] = _nonzero(metrics)
    return out


def _nonzero(m: Metrics) -> Metrics:
    return {n: v for n, v in m.items() if v}


def differences(expected: dict[RowKey, Metrics], actual: dict[RowKey, Metrics]) -> list[str]:
    from chalicelib.domain.rollups import OVERFLOW, ROW_EXACT_CAP, comparable

    lines = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key, {}), actual.get(key, {})
        overflowed = got.get(OVERFLOW, 0) > 0 or want.get("fed_back", 0) > ROW_EXACT_CAP
        want, got = comparable(want, overflowed), comparable(got, overflowed)
        for name in sorted(set(want) | set(got)):
            if want.get(name, 0) != got.get(name, 0):
                lines.append(
                    f"{key.tenant} {key.dim}={key.entity} {key.month} {key.org} {key.category}: "
                    f"{name} stored {got.get(name, 0)}, recomputed {want.get(name, 0)}"
                )
    return lines


def verify(tenant: str | None = None) -> list[str]:
    return differences(recompute(tenant), stored(tenant))


def _point_at_local_stack() -> None:
    from devstack import running_endpoint

    endpoint = running_endpoint()
    if "AWS_ENDPOINT_URL" not in os.environ and endpoint is not None:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "HUIXIANG_STAGE": os.environ.get("HUIXIANG_STAGE", "dev"),
            }
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.verify_rollups", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default=None, help="check one company (org root) only")
    args = parser.parse_args(argv)
    _point_at_local_stack()
    if "AWS_ENDPOINT_URL" not in os.environ and not os.environ.get("AWS_EXECUTION_ENV"):
        print("no endpoint: start `make run` (it writes var/run/endpoint) or set AWS_ENDPOINT_URL", file=sys.stderr)
        return 2
    expected, actual = recompute(args.tenant), stored(args.tenant)
    lines = differences(expected, actual)
    for line in lines:
        print(line)
    print(f"{len(expected)} roll-up rows recomputed, {len(actual)} stored, {len(lines)} difference(s)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
