"""Roll-up storage: exactly-once deltas from the campaigns stream, and Queries for the reports.

Item layout (table `huixiang-{stage}-rollups`):

| item | pk | sk | by_period pp | by_period ps |
|---|---|---|---|---|
| org row | `T\\|org\\|<node>` | `<month>#<node>#<category>` | `T\\|org-L<level>` | `<month>#<node>#<node>#<category>` |
| customer row | `T\\|customer\\|<id>` | `<month>#<org>#<category>` | `T\\|customer` | `<month>#<id>#<org>#<category>` |
| owner row | `T\\|owner\\|<id>` | `<month>#<org>#<category>` | `T\\|owner` | `<month>#<id>#<org>#<category>` |
| standing | `T\\|standing\\|<node>\\|<month>` | `<ROI key>#<campaign id>` | | |
| record marker | `marker\\|<eventID>` | `-` | | |
| tenant registry | `tenants` | `T` | | |

Counters are attributes named `m:<metric>` changed only with ADD, so concurrent deltas to
one row commute. A stream record's deltas, its marker (put only if absent, expiring by TTL)
and the tenant registry entry are ONE TransactWriteItems call: the record takes effect
completely and once, or not at all.

The exact values a row keeps for its medians (`m:rv#…`, `m:cv#…`, domain/rollups.py) are
bounded: before a record whose deltas carry values, the rows it touches are read (one
consistent BatchGetItem of `m:fed_back` and `m:xover`). A row that stays within
ROW_EXACT_CAP gets its values with a condition that it still does (and has not overflowed);
one that would pass it gets `m:xover` instead and no values. A condition lost to a racing
record cancels the transaction, which is decided again from a fresh read.

A standing (domain/rollups.py) is an item whose sort key orders a node's month by ROI
(`roi_key`): the best campaigns are one Query backwards, the worst one Query forwards, each
reading only the items it returns. The stream record that moves a campaign's ROI deletes its
old standings and puts its new ones in the same transaction as its deltas.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.dal.ports import RollupRow
from chalicelib.domain import org as orgs
from chalicelib.domain.rollups import (
    MAX_ROWS_PER_CHANGE,
    OVERFLOW,
    ROW_EXACT_CAP,
    Metrics,
    Placement,
    RowKey,
    Standing,
    capped,
    exact_kept,
    is_exact,
    without_exact,
)

METRIC = "m:"
MARKER = "marker|"
TRANSACTION_LIMIT = 100
EXACT_ATTEMPTS = 5  # decisions on the exact values, each from a fresh read, before the record fails
STANDING = "standing"
# ROI ≥ −1 (sales are never negative) with 4 decimals: (ROI + 1) × 10⁴ as 20 digits sorts as numbers do
_ROI_DIGITS = 20


def roi_key(roi: float) -> str:
    return f"{round((roi + 1) * 10_000):0{_ROI_DIGITS}d}"


if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesOutputTypeDef,
        KeysAndAttributesTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
        WriteRequestOutputTypeDef,
        WriteRequestTypeDef,
    )


def _client() -> DynamoDBClient:
    from chalicelib.dal.clients import dynamodb

    return dynamodb()


def standing_keys(s: Standing) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": f"{s.tenant}|{STANDING}|{s.node}|{s.month}"}, "sk": {"S": f"{roi_key(s.roi)}#{s.campaign_id}"}}


def _placed_key(p: Placement) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": f"{p.tenant}|{STANDING}-of|{p.campaign_id}"}, "sk": {"S": "-"}}


def _standing_from(item: Mapping[str, AttributeValueTypeDef], tenant: str, campaign_id: str) -> list[Standing]:
    return [Standing(tenant, n, m, float(r), campaign_id) for n, m, r in json.loads(item["placed"]["S"])]


def _standing_writes(
    table: str, placed: Placement, seen: tuple[int, list[Standing]] | None
) -> list[TransactWriteItemTypeDef]:
    """Move a campaign's standings from those its stored placement lists (`seen`: version,
    standings; None: none yet) to `placed`'s, and store the placement, conditional on it being
    the one read (a racing record makes the transaction retry from a fresh read)."""
    before = set(seen[1]) if seen else set()
    after = set(placed.standings)
    out: list[TransactWriteItemTypeDef] = [
        {"Delete": {"TableName": table, "Key": standing_keys(s)}} for s in sorted(before - after)
    ]
    out += [
        {
            "Put": {
                "TableName": table,
                "Item": {**standing_keys(s), "campaign_id": {"S": s.campaign_id}, "roi": {"N": repr(s.roi)}},
            }
        }
        for s in sorted(after - before)
    ]
    placement_item: dict[str, AttributeValueTypeDef] = {
        **_placed_key(placed),
        "version": {"N": str(placed.version)},
        "placed": {"S": json.dumps([[s.node, s.month, s.roi] for s in sorted(after)])},
    }
    condition = (
        {"ConditionExpression": "attribute_not_exists(pk)"}
        if seen is None
        else {"ConditionExpression": "version = :seen", "ExpressionAttributeValues": {":seen": {"N": str(seen[0])}}}
    )
    out.append({"Put": {"TableName": table, "Item": placement_item, **condition}})  # type: ignore[typeddict-item]
    return out


def row_keys(k: RowKey) -> dict[str, str]:
    """pk, sk and the by_period index keys of a row."""
    if k.dim == "org":
        pp = f"{k.tenant}|org-L{k.level}"
    else:
        pp = f"{k.tenant}|{k.dim}"
    return {
        "pk": f"{k.tenant}|{k.dim}|{k.entity}",
        "sk": f"{k.month}#{k.org}#{k.category}",
        "pp": pp,
        "ps": f"{k.month}#{k.entity}#{k.org}#{k.category}",
    }


def _update(
    table: str, key: RowKey, metrics: Metrics, label: str | None, within_cap: bool = False
) -> TransactWriteItemTypeDef:
    """The row's update; `within_cap`: only while it has not overflowed and, after this change,
    holds at most ROW_EXACT_CAP campaigns with feedback (the change carries exact values)."""
    keys = row_keys(key)
    names = {
        "#pp": "pp",
        "#ps": "ps",
        "#t": "tenant",
        "#d": "dim",
        "#e": "entity",
        "#mo": "month",
        "#o": "org",
        "#c": "category",
    }
    values: dict[str, AttributeValueTypeDef] = {
        ":pp": {"S": keys["pp"]},
        ":ps": {"S": keys["ps"]},
        ":t": {"S": key.tenant},
        ":d": {"S": key.dim},
        ":e": {"S": key.entity},
        ":mo": {"S": key.month},
        ":o": {"S": key.org},
        ":c": {"S": key.category},
    }
    sets = ["#pp = :pp", "#ps = :ps", "#t = :t", "#d = :d", "#e = :e", "#mo = :mo", "#o = :o", "#c = :c"]
    if label:
        names["#l"], values[":l"] = "label", {"S": label}
        sets.append("#l = :l")
    adds = []
    for i, (name, value) in enumerate(sorted(metrics.items())):
        names[f"#m{i}"], values[f":m{i}"] = METRIC + name, {"N": str(int(value))}
        adds.append(f"#m{i} :m{i}")
    expression = "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else "")
    update: UpdateTypeDef = {
        "TableName": table,
        "Key": {"pk": {"S": keys["pk"]}, "sk": {"S": keys["sk"]}},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if within_cap:
        names["#xo"], names["#fb"] = METRIC + OVERFLOW, METRIC + "fed_back"
        values[":cap"] = {"N": str(ROW_EXACT_CAP - max(int(metrics.get("fed_back", 0)), 0))}
        update["ConditionExpression"] = "attribute_not_exists(#xo) AND (attribute_not_exists(#fb) OR #fb <= :cap)"
    return {"Update": update}


def _with_exact_decided(
    rows: dict[RowKey, Metrics], state: dict[RowKey, tuple[int, bool]]
) -> dict[RowKey, tuple[Metrics, bool]]:
    """{key: (metrics to apply, whether they carry exact values)}: a change keeps its values
    only where the row may hold them (domain.rollups.exact_kept); elsewhere they give way to
    the overflow mark (set once)."""
    out = {}
    for key, metrics in rows.items():
        if not any(is_exact(n) for n in metrics):
            out[key] = (metrics, False)
            continue
        fed_back, overflowed = state.get(key, (0, False))
        if exact_kept(fed_back, overflowed, metrics):
            out[key] = (metrics, True)
        else:
            plain = without_exact(metrics)
            if not overflowed:
                plain[OVERFLOW] = 1
            out[key] = (plain, False)
    return out


class RollupRepository:
    def apply(
        self,
        event_id: str,
        rows: dict[RowKey, Metrics],
        labels: dict[RowKey, str] | None = None,
        placed: Placement | None = None,
    ) -> bool:
        """Apply one stream record's deltas, and the campaign's standings as of its version
        (`placed`), with its marker, atomically. False when the record was applied before (the
        marker exists): a redelivery has no second effect. Standings move only forwards: a
        record older than the placement stored (applied out of order after a failure) leaves
        them as they are."""
        if not rows and placed is None:
            return True
        if len(rows) > MAX_ROWS_PER_CHANGE:
            raise ValueError(f"{len(rows)} roll-up rows for one change; at most {MAX_ROWS_PER_CHANGE} expected")
        table = settings().rollups_table
        tenants = sorted({k.tenant for k in rows})
        with_values = sorted(k for k, m in rows.items() if any(is_exact(n) for n in m))
        for _ in range(EXACT_ATTEMPTS):
            decided = _with_exact_decided(rows, self._exact_state(table, with_values))
            moves = self._standing_moves(table, placed)
            outcome = self._transact(table, event_id, tenants, decided, labels, moves)
            if outcome is not None:
                return outcome
        raise RuntimeError(f"roll-up rows of {event_id} kept changing under it; the record will be retried")

    def _standing_moves(self, table: str, placed: Placement | None) -> list[TransactWriteItemTypeDef]:
        """The writes that move a campaign's standings to `placed`: none when the placement
        stored is as new or newer (one consistent GetItem)."""
        if placed is None:
            return []
        item = _client().get_item(TableName=table, Key=_placed_key(placed), ConsistentRead=True).get("Item")
        seen = None
        if item is not None:
            seen = (int(item["version"]["N"]), _standing_from(item, placed.tenant, placed.campaign_id))
            if seen[0] >= placed.version:
                return []
        return _standing_writes(table, placed, seen)

    def _exact_state(self, table: str, keys: list[RowKey]) -> dict[RowKey, tuple[int, bool]]:
        """{row: (campaigns with feedback, overflowed)} of the rows whose values a record moves."""
        if not keys:
            return {}
        by_id = {(row_keys(k)["pk"], row_keys(k)["sk"]): k for k in keys}
        request: Mapping[str, KeysAndAttributesTypeDef | KeysAndAttributesOutputTypeDef] = {
            table: {
                "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in by_id],
                "ConsistentRead": True,
                "ProjectionExpression": "pk, sk, #fb, #xo",
                "ExpressionAttributeNames": {"#fb": METRIC + "fed_back", "#xo": METRIC + OVERFLOW},
            }
        }
        out: dict[RowKey, tuple[int, bool]] = {}
        client = _client()
        while request:
            resp = client.batch_get_item(RequestItems=request)
            for item in resp.get("Responses", {}).get(table, []):
                key = by_id[(item["pk"]["S"], item["sk"]["S"])]
                fed_back = int(item.get(METRIC + "fed_back", {}).get("N", "0"))
                out[key] = (fed_back, int(item.get(METRIC + OVERFLOW, {}).get("N", "0")) > 0)
            request = resp.get("UnprocessedKeys") or {}
        return out

    def _transact(
        self,
        table: str,
        event_id: str,
        tenants: list[str],
        decided: dict[RowKey, tuple[Metrics, bool]],
        labels: dict[RowKey, str] | None,
        moves: list[TransactWriteItemTypeDef],
    ) -> bool | None:
        """One attempt: True applied, False applied before (the marker exists), None when a
        row's cap condition failed (read and decide again)."""
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {
                        "pk": {"S": MARKER + event_id},
                        "sk": {"S": "-"},
                        "expires_at": {"N": str(int(time.time()) + settings().marker_ttl_seconds)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        items += [
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "tenants"}, "sk": {"S": t}},
                    "UpdateExpression": "SET #t = :t",
                    "ExpressionAttributeNames": {"#t": "tenant"},
                    "ExpressionAttributeValues": {":t": {"S": t}},
                }
            }
            for t in tenants
        ]
        items += [_update(table, k, m, (labels or {}).get(k), exact) for k, (m, exact) in sorted(decided.items())]
        items += moves
        assert len(items) <= TRANSACTION_LIMIT, len(items)
        client = _client()
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons[1:]):
                return None
            raise
        return True

    def put_rows(self, rows: dict[RowKey, Metrics], labels: dict[RowKey, str] | None = None) -> int:
        """Overwrite rows with absolute values: for backfills and benchmark seeding only (never
        on the stream path, where only deltas are applied). Their companies join the registry the
        schedules read, as a stream record's do. Returns the rows written."""
        table = settings().rollups_table
        items: list[WriteRequestTypeDef] = [
            {"PutRequest": {"Item": {"pk": {"S": "tenants"}, "sk": {"S": t}, "tenant": {"S": t}}}}
            for t in sorted({k.tenant for k in rows})
        ]
        for key, metrics in rows.items():
            item: dict[str, AttributeValueTypeDef] = {name: {"S": value} for name, value in row_keys(key).items()}
            item.update(
                {
                    "tenant": {"S": key.tenant},
                    "dim": {"S": key.dim},
                    "entity": {"S": key.entity},
                    "month": {"S": key.month},
                    "org": {"S": key.org},
                    "category": {"S": key.category},
                }
            )
            if labels and labels.get(key):
                item["label"] = {"S": labels[key]}
            item.update({METRIC + name: {"N": str(int(v))} for name, v in capped(metrics).items() if v})
            items.append({"PutRequest": {"Item": item}})
        client = _client()
        for start in range(0, len(items), 25):
            pending: Mapping[str, Sequence[WriteRequestTypeDef | WriteRequestOutputTypeDef]]
            pending = {table: items[start : start + 25]}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return len(rows)

    # -- reads --------------------------------------------------------------------------------
    def entity_rows(self, tenant: str, dim: str, entity: str, first_month: str, last_month: str) -> list[RollupRow]:
        """Every row of one entity (an org node's own rows, a customer, an owner) in the months."""
        return list(
            self._query(
                TableName=settings().rollups_table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": {"S": f"{tenant}|{dim}|{entity}"},
                    ":lo": {"S": first_month},
                    ":hi": {"S": last_month + "#~"},
                },
            )
        )

    def period_rows(
        self, tenant: str, partition: str, first_month: str, last_month: str, scope: str | None
    ) -> list[RollupRow]:
        """Every row of a dimension (`customer`, `owner`) or org level (`org-L2`) in the months,
        narrowed to rows whose org lies within `scope`."""
        kwargs: dict[str, Any] = {}
        values = {":pp": {"S": f"{tenant}|{partition}"}, ":lo": {"S": first_month}, ":hi": {"S": last_month + "#~"}}
        if scope is not None and orgs.depth(scope) > 1:
            kwargs = {
                "FilterExpression": "#o = :scope OR begins_with(#o, :prefix)",
                "ExpressionAttributeNames": {"#o": "org"},
            }
            values.update({":scope": {"S": scope}, ":prefix": {"S": orgs.subtree_prefix(scope)}})
        return list(
            self._query(
                TableName=settings().rollups_table,
                IndexName="by_period",
                KeyConditionExpression="pp = :pp AND ps BETWEEN :lo AND :hi",
                ExpressionAttributeValues=values,
                **kwargs,
            )
        )

    def standings(self, tenant: str, node: str, month: str, limit: int, best: bool) -> list[Standing]:
        """The campaigns of an org node's month by ROI, the best first (`best`) or the worst
        first: one Query that reads `limit` items."""
        out = _client().query(
            TableName=settings().rollups_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"{tenant}|{STANDING}|{node}|{month}"}},
            ScanIndexForward=not best,
            Limit=limit,
        )
        return [
            Standing(tenant, node, month, float(i["roi"]["N"]), i["campaign_id"]["S"]) for i in out.get("Items", [])
        ]

    def tenants(self) -> list[str]:
        out: list[str] = []
        paginator = _client().get_paginator("query")
        for page in paginator.paginate(
            TableName=settings().rollups_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "tenants"}},
        ):
            out += [item["sk"]["S"] for item in page["Items"]]
        return out

    def _query(self, **kwargs: Any) -> Iterator[RollupRow]:
        paginator = _client().get_paginator("query")
        for page in paginator.paginate(**kwargs):
            for item in page["Items"]:
                yield row_from_item(item)


def row_from_item(item: Mapping[str, Any]) -> RollupRow:
    key = RowKey(
        item["tenant"]["S"],
        item["dim"]["S"],
        item["entity"]["S"],
        item["month"]["S"],
        item["org"]["S"],
        item["category"]["S"],
    )
    metrics = {name[len(METRIC) :]: int(value["N"]) for name, value in item.items() if name.startswith(METRIC)}
    label = item.get("label", {}).get("S")
    return key, metrics, label


def is_row(item: Mapping[str, Any]) -> bool:
    return "dim" in item and "pk" in item and not item["pk"]["S"].startswith(MARKER)


def rows_of(items: Iterable[Mapping[str, Any]]) -> Iterator[RollupRow]:
    for item in items:
        if is_row(item):
            yield row_from_item(item)
