"""`python -m bench.stream_decode [--quick] [--out PATH]`: what a stream handler spends turning
one campaign record's images into campaigns, before it does any work with them.

The roll-up handler reads both images of every campaign change (batches of 100). The adapter
decodes them straight from the record's DynamoDB JSON through the table's model
(`dal.models.model_from_image`); it used to take Powertools' plain values and serialise them
back to DynamoDB JSON first. Both paths run side by side here, in one process, on the same
records (a campaign with a location, a rule, an approval chain and a budget reservation):

    stream_decode_us_per_record     median µs per record (both images), today's path
    stream_decode_ratio             today's ÷ the old path's (lower is better)

and both must yield the same campaigns, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._common import log, publish

if TYPE_CHECKING:
    from chalicelib.domain.campaign import Campaign


def campaign() -> Campaign:
    """The campaign the records carry: every kind of attribute a campaign item has."""
    from chalicelib.domain.approval import Approval
    from chalicelib.domain.budget import CampaignBudget
    from chalicelib.domain.campaign import Campaign, RuleRef

    return Campaign(
        id="01BENCHDECODE0000000000000",
        org="CN/EAST/JS",
        owner_id="rep-1",
        owner_name="李雷",
        title="周末品鉴会",
        category="tasting",
        customer_id="K1",
        customer_name="苏果新街口",
        start_date="2026-11-01",
        end_date="2026-11-03",
        expected_spend=100_000,
        expected_sales=500_000,
        requested_amount=100_000,
        approved_amount=90_000,
        status="approved",
        created_at="2026-11-01T00:00:00.000Z",
        updated_at="2026-11-02T00:00:00.000Z",
        location={"address": "南京市玄武区", "lat": 32.05, "lon": 118.78},
        rule=RuleRef("R1", "all", 7, 2),
        approval=Approval.from_dict({"chain": [{"level": "manager", "org": "CN/EAST"}], "steps": [], "next": None}),
        budget=CampaignBudget("B1", "CN", "2026", None, reserved=90_000),
        version=3,
    )


def _records(count: int) -> list[dict[str, Any]]:
    from chalicelib.dal.campaigns import to_model

    image = to_model(campaign()).serialize()
    return [
        {
            "eventID": f"e{i}",
            "eventName": "MODIFY",
            "dynamodb": {"Keys": {"id": image["id"]}, "OldImage": image, "NewImage": image},
        }
        for i in range(count)
    ]


def _old_path(records: list[dict[str, Any]]) -> list[Campaign]:
    """Powertools' plain values, back to DynamoDB JSON, then the model (what the adapter did)."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )
    from boto3.dynamodb.types import TypeSerializer

    from chalicelib.dal.campaigns import from_model
    from chalicelib.dal.models import CampaignModel

    serializer = TypeSerializer()
    out: list[Campaign] = []
    for raw in records:
        stream = DynamoDBRecord(raw).dynamodb
        if stream is None:
            raise ValueError(f"record {raw['eventID']} carries no images")
        for image in (stream.old_image, stream.new_image):
            out.append(from_model(CampaignModel.from_raw_data({k: serializer.serialize(v) for k, v in image.items()})))
    return out


def _new_path(records: list[dict[str, Any]]) -> list[Campaign | None]:
    """What the adapter does (handlers.streams._images, dal.campaigns.campaign_from_image)."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )

    from chalicelib.dal.campaigns import campaign_from_image
    from chalicelib.handlers.streams import _images

    out: list[Campaign | None] = []
    for raw in records:
        out.extend(campaign_from_image(image) for image in _images(DynamoDBRecord(raw)))
    return out


def measure(quick: bool = False) -> dict[str, Any]:
    count, rounds = (50, 3) if quick else (1000, 7)
    records = _records(count)
    if _new_path(records) != _old_path(records):
        raise AssertionError("the two decoding paths disagree on the campaigns")
    timings: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(rounds):
        for name, path in (("old", _old_path), ("new", _new_path)):
            started = time.perf_counter()
            path(records)
            timings[name].append((time.perf_counter() - started) / count * 1e6)
    old, new = statistics.median(timings["old"]), statistics.median(timings["new"])
    log(f"stream decode: {new:.0f} µs per record, was {old:.0f} µs")
    return {
        "stream_decode_us_per_record": round(new, 1),
        "stream_decode_ratio": round(new / old, 3),
        "stream_decode_detail": {
            "records": count,
            "rounds": rounds,
            "old_us_per_record": round(old, 1),
            "measured": "both images of a campaign MODIFY record → two Campaigns, "
            "median of the rounds, alternating the paths",
        },
    }


def table(results: dict[str, Any]) -> str:
    return (
        f"stream_decode_us_per_record   {results['stream_decode_us_per_record']:>8.1f} µs\n"
        f"stream_decode_ratio (÷ old)   {results['stream_decode_ratio']:>8.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_decode", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    results = measure(args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
