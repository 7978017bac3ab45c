"""Reports, report subscriptions and sent-reminder markers (table `huixiang-{stage}-reports`).

| item | pk | sk |
|---|---|---|
| compiled report | `report\\|T` | report id (a ULID: newest last) |
| subscription | `sub\\|T` | user id |
| reminder sent | `reminder\\|T\\|<day>` | rep id (expires by TTL) |

A report's `language` (zh, en) is in its `data`, as is a subscription's; a report's email is
claimed once per language (`emailed_at`, `emailed_at_en`).

Report fields live in a JSON `data` attribute next to `status`, so a status change is one
conditional UpdateItem. A report INSERT on this table's stream starts its compilation.
Report artifacts live in the object store (dal/objects.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.dal.ports import Report

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REMINDER_TTL_SECONDS = 3 * 24 * 3600


def _client() -> DynamoDBClient:
    from chalicelib.dal.clients import dynamodb

    return dynamodb()


def _emailed(language: str) -> str:
    """The attribute marking a report's email in one language as sent (`emailed_at` for zh, as
    before there were languages, so a report emailed then is not emailed again)."""
    return "emailed_at" if language == "zh" else f"emailed_at_{language}"


def _item_to_report(item: Mapping[str, Any]) -> Report:
    data: Report = json.loads(item["data"]["S"])
    data["status"] = item["status"]["S"]
    if "artifacts" in item:
        data["artifacts"] = json.loads(item["artifacts"]["S"])
    if "error" in item:
        data["error"] = item["error"]["S"]
    return data


class ReportRepository:
    # -- reports ------------------------------------------------------------------------------
    def insert_report(self, tenant: str, report: Report) -> None:
        _client().put_item(
            TableName=settings().reports_table,
            ConditionExpression="attribute_not_exists(pk)",
            Item={
                "pk": {"S": f"report|{tenant}"},
                "sk": {"S": report["id"]},
                "kind": {"S": "report"},
                "tenant": {"S": tenant},
                "status": {"S": "pending"},
                "data": {"S": json.dumps(report)},
            },
        )

    def get_report(self, tenant: str, report_id: str) -> Report | None:
        item = (
            _client()
            .get_item(
                TableName=settings().reports_table,
                ConsistentRead=True,
                Key={"pk": {"S": f"report|{tenant}"}, "sk": {"S": report_id}},
            )
            .get("Item")
        )
        return _item_to_report(item) if item else None

    def list_reports(self, tenant: str, limit: int, start: str | None) -> tuple[list[Report], str | None]:
        kwargs: dict[str, Any] = {}
        if start:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": f"report|{tenant}"}, "sk": {"S": start}}
        out = _client().query(
            TableName=settings().reports_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"report|{tenant}"}},
            ScanIndexForward=False,
            Limit=limit,
            **kwargs,
        )
        last = out.get("LastEvaluatedKey")
        return [_item_to_report(i) for i in out["Items"]], (last["sk"]["S"] if last else None)

    def set_status(
        self,
        tenant: str,
        report_id: str,
        status: str,
        *,
        expected: tuple[str, ...],
        artifacts: dict[str, str] | None = None,
        error: str | None = None,
    ) -> bool:
        """Move a report's status if it is in one of `expected`; False if it was not."""
        client = _client()
        names = {"#s": "status"}
        values: dict[str, Any] = {":new": {"S": status}}
        sets = ["#s = :new"]
        if artifacts is not None:
            names["#a"], values[":a"] = "artifacts", {"S": json.dumps(artifacts)}
            sets.append("#a = :a")
        if error is not None:
            names["#e"], values[":e"] = "error", {"S": error[:500]}
            sets.append("#e = :e")
        conds = []
        for i, s in enumerate(expected):
            values[f":x{i}"] = {"S": s}
            conds.append(f"#s = :x{i}")
        try:
            client.update_item(
                TableName=settings().reports_table,
                Key={"pk": {"S": f"report|{tenant}"}, "sk": {"S": report_id}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=" OR ".join(conds),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    def claim_email(self, tenant: str, report_id: str, language: str = "zh") -> bool:
        """Mark a report's email in `language` as sent, once: False if it was already marked."""
        client = _client()
        try:
            client.update_item(
                TableName=settings().reports_table,
                Key={"pk": {"S": f"report|{tenant}"}, "sk": {"S": report_id}},
                UpdateExpression="SET #e = :now",
                ConditionExpression="attribute_not_exists(#e)",
                ExpressionAttributeNames={"#e": _emailed(language)},
                ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
            )
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    def release_email(self, tenant: str, report_id: str, language: str = "zh") -> None:
        _client().update_item(
            TableName=settings().reports_table,
            Key={"pk": {"S": f"report|{tenant}"}, "sk": {"S": report_id}},
            UpdateExpression="REMOVE #e",
            ExpressionAttributeNames={"#e": _emailed(language)},
        )

    # -- subscriptions -------------------------------------------------------------------------
    def put_subscription(self, tenant: str, user_id: str, subscription: dict[str, Any]) -> None:
        _client().put_item(
            TableName=settings().reports_table,
            Item={"pk": {"S": f"sub|{tenant}"}, "sk": {"S": user_id}, "data": {"S": json.dumps(subscription)}},
        )

    def subscriptions(self, tenant: str) -> list[dict[str, Any]]:
        """Every subscription of a company: one per manager or leader, so a short list."""
        out: list[dict[str, Any]] = []
        for page in (
            _client()
            .get_paginator("query")
            .paginate(
                TableName=settings().reports_table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"sub|{tenant}"}},
            )
        ):
            out += [json.loads(i["data"]["S"]) for i in page["Items"]]
        return out

    # -- reminders -----------------------------------------------------------------------------
    def claim_reminder(self, tenant: str, day: str, rep_id: str) -> bool:
        """Record that `rep_id` gets today's reminder; False if someone already did (sent once a day)."""
        client = _client()
        try:
            client.put_item(
                TableName=settings().reports_table,
                ConditionExpression="attribute_not_exists(pk)",
                Item={
                    "pk": {"S": f"reminder|{tenant}|{day}"},
                    "sk": {"S": rep_id},
                    "expires_at": {"N": str(int(time.time()) + REMINDER_TTL_SECONDS)},
                },
            )
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    def release_reminder(self, tenant: str, day: str, rep_id: str) -> None:
        _client().delete_item(
            TableName=settings().reports_table, Key={"pk": {"S": f"reminder|{tenant}|{day}"}, "sk": {"S": rep_id}}
        )
