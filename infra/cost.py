"""Measure what one campaign costs in requests and DynamoDB capacity, then price 1,000 a month.

    python -m infra.cost              # every scenario: the tables per route and the estimates
    python -m infra.cost --baseline   # only the loop without money control (runs on older code too)

Runs whole campaign loops in-process (chalice.test client, moto server, the real stream
handler) and counts, per API route: the requests, every DynamoDB call, and the capacity units
each call consumes under on-demand rules. Item sizes are the serialised attribute names and
values, which is how DynamoDB sizes items; the meter reads each written item just before and
just after the write (uncounted), so a write is charged on what it really touched, by the rules
of infra.capacity (the ones the benchmarks' write counter uses too): the larger image per started
KB, twice inside a transaction; a write per index entry added, changed or removed, once (the
upper bound `wru_if_indexes_doubled` doubles index copies of transactions too, in case AWS
bills them transactionally); reads per started 4 KB, half when eventually consistent, per item
for GetItem and BatchGetItem (a key not found still costs the minimum), per call's total for
Query.

Scenarios: `baseline` is the loop of the README (no budget, no policy); `budget` is the same
loop with a budget in place (the approval reserves, settlement consumes and releases, every
change writes its audit entries); `cancelled` is a campaign approved against the budget and then
cancelled (released); `invoices` is `budget` where the company requires invoices: three are
claimed (two QR texts, one typed), listed, and settled with the campaign; `vouchers` is the
budget loop with the settled campaign then exported in a voucher batch of its own (the dearest
case: a real batch shares its Query and transactions among all its campaigns), its voucher
number recorded and posted back by the vouchers stream; `webhooks` is the
baseline loop in a company with one standard webhook hearing every campaign event: the
emitting use cases the campaigns and feedback streams run per record (their stream
invocations exist anyway: only their DynamoDB and SQS calls count), and the delivery
function, one ticket per invocation, to a receiver answering 204 (SQS and KMS requests
counted beside DynamoDB's). Prices are us-east-1 list prices (see PRICES), an assumption the README
states; the request mix per campaign is the loop below, also an assumption.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict
from unittest import mock

from infra.capacity import Item, item_size, read_units, write_cost

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from devstack.receiver import Receiver

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
    "sqs_per_million": 0.40,
    "kms_per_10000": 0.03,
}
LAMBDA_MEMORY_GB = 1.0  # the prod stage's lambda_memory_size
ASSUMED_MS_PER_INVOCATION = 120  # warm p50 seen locally ~30-60 ms; doubled for cold starts and the network
LOG_BYTES_PER_REQUEST = 700  # one request line + one EMF metrics line


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    from devstack.atomic_moto import start_in_thread
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys

    key_dir = Path(tempfile.mkdtemp(prefix="huixiang-cost-keys-"))
    _, jwks = ensure_keys(key_dir)
    _, endpoint = start_in_thread()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "HUIXIANG_STAGE": "cost",
            "JWKS_PATH": str(jwks),
            "TOKEN_ISSUER": ISSUER,
            "TOKEN_AUDIENCE": AUDIENCE,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "COST_KEY_DIR": str(key_dir),
            "HUIXIANG_WEBHOOK_LOCAL_HTTP": "1",
        }
    )
    import boto3

    from chalicelib.config import settings
    from chalicelib.dal.models import create_tables

    create_tables()
    boto3.client("s3").create_bucket(Bucket=settings().attachments_bucket)
    from devstack.webhooks import create_resources

    create_resources()


#: a DynamoDB call made without being counted: (operation, params) -> response
ApiCall = Callable[[str, dict[str, Any]], dict[str, Any]]


class ItemWrite(NamedTuple):
    """One item a write call touches."""

    table: str
    key: Item
    transactional: bool
    check: bool  # a ConditionCheck inside a transaction: the item is not written


class Meter:
    """Counts DynamoDB calls and capacity per current route by wrapping botocore."""

    def __init__(self, client_call: ApiCall) -> None:
        self.route = "setup"
        self.calls: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.wru: Counter[str] = Counter()
        self.wru_by_table: Counter[str] = Counter()  # of every route but setup
        self.wru_upper: Counter[str] = Counter()  # index copies of transactions doubled
        self.rru: defaultdict[str, float] = defaultdict(float)  # half units for eventually consistent reads
        self.stored: Counter[str] = Counter()  # bytes of new items (and index copies) per table
        self._call = client_call
        self._schemas: dict[str, tuple[list[str], dict[str, list[str]]]] = {}

    def schema(self, table: str) -> tuple[list[str], dict[str, list[str]]]:
        """The table's key attributes and its GSIs' key attributes by name, as the table reports them."""
        if table not in self._schemas:
            t = self._call("DescribeTable", {"TableName": table})["Table"]
            keys = [k["AttributeName"] for k in t["KeySchema"]]
            indexes = {
                g["IndexName"]: [k["AttributeName"] for k in g["KeySchema"]]
                for g in t.get("GlobalSecondaryIndexes", [])
            }
            self._schemas[table] = (keys, indexes)
        return self._schemas[table]

    def key_of(self, table: str, body: dict[str, Any]) -> Item:
        """The key of the item a request body names (`Key`, or the key attributes of its `Item`)."""
        if "Key" in body:
            key: Item = body["Key"]
            return key
        keys, _ = self.schema(table)
        return {k: body["Item"][k] for k in keys}

    def fetch(self, table: str, key: Item) -> Item | None:
        item: Item | None = self._call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}).get("Item")
        return item

    # -- writes ----------------------------------------------------------------------------------
    def writes_of(self, operation: str, params: dict[str, Any]) -> list[ItemWrite]:
        """Every item a write call touches."""
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return [ItemWrite(params["TableName"], self.key_of(params["TableName"], params), False, False)]
        if operation == "TransactWriteItems":
            out = []
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                out.append(
                    ItemWrite(body["TableName"], self.key_of(body["TableName"], body), True, kind == "ConditionCheck")
                )
            return out
        if operation == "BatchWriteItem":
            return [
                ItemWrite(table, self.key_of(table, next(iter(w.values()))), False, False)
                for table, ws in params["RequestItems"].items()
                for w in ws
            ]
        return []

    def charge_write(
        self, table: str, old: Item | None, new: Item | None, transactional: bool, check: bool = False
    ) -> None:
        indexes = self.schema(table)[1]
        cost = write_cost(old, new, indexes, transactional, check)
        self.wru[self.route] += cost.wru
        if self.route != "setup":
            self.wru_by_table[table] += cost.wru
        self.wru_upper[self.route] += cost.table_wru + cost.index_wru_if_doubled
        if old is None and new is not None:
            held = 1 + sum(1 for attrs in indexes.values() if all(a in new for a in attrs))
            self.stored[table] += item_size(new) * held

    # -- reads -----------------------------------------------------------------------------------
    def charge_read(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        units = read_units
        if operation == "GetItem":
            self.rru[self.route] += units(item_size(response.get("Item") or {}), bool(params.get("ConsistentRead")))
        elif operation == "Query":
            size = sum(item_size(i) for i in response.get("Items", []))
            self.rru[self.route] += units(size, bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                found = {
                    json.dumps(self.key_of(table, {"Item": i}), sort_keys=True): i
                    for i in response.get("Responses", {}).get(table, [])
                }
                for key in request["Keys"]:
                    item = found.get(json.dumps(key, sort_keys=True)) or {}
                    self.rru[self.route] += units(item_size(item), bool(request.get("ConsistentRead")))


WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


_SET_UP = False


def measure(scenario: str = "baseline") -> tuple[Meter, Counter[str], Counter[str]]:
    """One loop of `scenario` (baseline | budget | cancelled | invoices | vouchers | webhooks) for a company of its own."""
    global _SET_UP
    if not _SET_UP:
        _setup()
        _SET_UP = True
    import logging

    import botocore.client
    from chalice.test import Client

    from app import app
    from chalicelib.config import settings
    from devstack.streams import lambda_event, read_records
    from devstack.tokens import mint_token

    logging.getLogger("huixiang").setLevel(logging.WARNING)  # the table below is the output
    # every API call goes through botocore's private dispatcher, wrapped below while the loop runs
    original: Callable[[BaseClient, str, dict[str, Any]], dict[str, Any]]
    original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in its stubs
    holder: dict[str, BaseClient] = {}
    meter = Meter(lambda operation, params: original(holder["client"], operation, params))

    def counted(self: BaseClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        service = self.meta.service_model.service_name
        if service in ("sqs", "kms"):  # priced per request
            meter.calls[meter.route][f"{service}:{operation}"] += 1
        if service != "dynamodb":
            return original(self, operation, params)
        holder["client"] = self
        touched = [(t, k, tx, check, meter.fetch(t, k)) for t, k, tx, check in meter.writes_of(operation, params)]
        response = original(self, operation, params)
        meter.calls[meter.route][operation] += 1
        for table, key, transactional, check, old in touched:
            meter.charge_write(table, old, old if check else meter.fetch(table, key), transactional, check)
        meter.charge_read(operation, params, response)
        return response

    root = "C" + uuid.uuid4().hex[:8].upper()
    key_dir = os.environ["COST_KEY_DIR"]
    tok = {
        r: mint_token(f"{r}-{root}", r, org, key_dir=key_dir, name=r)
        for r, org in (("rep", f"{root}/EAST/JS"), ("manager", f"{root}/EAST"), ("leader", root), ("finance", root))
    }
    requests: Counter[str] = Counter()
    invoked: Counter[str] = Counter()  # stream function invocations (one batch per stream, per loop)
    receiver: Receiver | None = None
    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", counted), contextlib.ExitStack() as stop:
        with Client(app, stage_name="dev") as client:

            def call(
                method: str,
                path: str,
                role: str,
                body: dict[str, Any] | None = None,
                route: str | None = None,
                key: str | None = None,
            ) -> Any:
                """One request as `role`, counted under `route` (default: method and path); its JSON answer."""
                meter.route = route or f"{method} {path}"
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tok[role]}"}
                if key:
                    headers["Idempotency-Key"] = key
                r = getattr(client.http, method.lower())(
                    path, headers=headers, body=json.dumps(body) if body is not None else None
                )
                requests[meter.route] += 1
                assert r.status_code < 400, (method, path, r.status_code, r.body)
                return json.loads(r.body) if r.body else None

            def deliver(function: str, table: str, mine: Callable[[dict[str, Any]], bool]) -> None:
                """This campaign's records of `table`'s stream, not yet delivered, to `function`
                in one batch, counted as its invocation (reading the stream is Lambda's work)."""
                meter.route = "setup"
                records = [r for r in read_records(table) if mine(r["dynamodb"]["Keys"]) and r["eventID"] not in seen]
                seen.update(r["eventID"] for r in records)
                if records:
                    meter.route = f"stream: {function}"
                    client.lambda_.invoke(function, lambda_event(records))
                    invoked[meter.route] += 1

            def streams_of_the_campaign(cid: str) -> None:
                """The campaign's changes and check-ins reach the changes feed (and the roll-ups),
                as the campaigns and evidence streams' functions do in AWS."""
                deliver("on_campaign_change", settings().campaigns_table, lambda k: k["id"]["S"] == cid)
                deliver("on_evidence_change", settings().evidence_table, lambda k: k["pk"]["S"] == f"c#{cid}")

            seen: set[str] = set()

            call("POST", "/feedback-rules", "leader", {"scope": "category", "category": "tasting"}, "setup")
            if scenario == "webhooks":  # a company's webhook, made once (not per campaign)
                from chalicelib.dal.queue import queue_url
                from devstack.receiver import Receiver

                queue_url()  # production is given the queue's URL (WEBHOOK_QUEUE_URL): no lookup
                receiver = Receiver().start()
                stop.callback(receiver.stop)
                events = ["campaign.submitted", "campaign.approved", "feedback.submitted", "settlement.unlocked"]
                events += ["campaign.reimbursed"]
                call("POST", "/webhooks", "leader", {"url": receiver.url, "events": events}, "setup")
            if scenario not in ("baseline", "webhooks"):  # a company budget, set up once (not per campaign)
                call("POST", "/budgets", "leader", {"org": root, "period": "2026", "amount": 100_000_000}, "setup")
            if scenario == "invoices":  # settlement on verified spend, company-wide, set up once
                call("PUT", "/settlement-policy", "finance", {"invoices_required": True}, "setup")
            plan = {
                "title": "Tasting",
                "category": "tasting",
                "customer": {"id": "K1", "name": "Shop"},
                "start_date": "2026-11-01",
                "end_date": "2026-11-03",
                "location": {"lat": 32.0, "lon": 118.8},
                "plan": {"expected_spend": 200000, "expected_sales": 1000000},
                "requested_amount": 200000,
            }
            call("GET", "/categories", "rep")
            c = call("POST", "/campaigns", "rep", plan, key=str(uuid.uuid4()))
            cid = c["id"]
            call("PATCH", f"/campaigns/{cid}", "rep", {"title": "Tasting weekend"}, "PATCH /campaigns/{id}")
            call("POST", f"/campaigns/{cid}/submit", "rep", None, "POST /campaigns/{id}/submit", key=str(uuid.uuid4()))
            call("GET", "/campaigns?status=submitted", "manager", route="GET /campaigns (worklist)")
            call("GET", f"/campaigns/{cid}", "manager", route="GET /campaigns/{id}")
            approved = call(
                "POST",
                f"/campaigns/{cid}/approve",
                "manager",
                {"approved_amount": 180000},
                "POST /campaigns/{id}/approve",
                key=str(uuid.uuid4()),
            )
            if scenario not in ("baseline", "webhooks"):
                assert (approved.get("budget") or {}).get("reserved") == 180000, approved.get("budget")
            if scenario == "cancelled":
                call(
                    "POST",
                    f"/campaigns/{cid}/cancel",
                    "rep",
                    {"reason": "the store closed"},
                    "POST /campaigns/{id}/cancel",
                    key=str(uuid.uuid4()),
                )
                streams_of_the_campaign(cid)
                call("GET", "/me/changes", "rep", route="GET /me/changes")
                call("GET", "/me/changes", "manager", route="GET /me/changes")
                return meter, requests, invoked
            call("POST", f"/campaigns/{cid}/visits", "rep", {"lat": 32.0, "lon": 118.8}, "POST /campaigns/{id}/visits")
            call("GET", "/me/feedback-requests", "rep")
            for spend in (100000, 150000):
                call(
                    "PUT",
                    f"/campaigns/{cid}/feedback",
                    "rep",
                    {"actual_spend": spend, "actual_sales": 900000},
                    "PUT /campaigns/{id}/feedback",
                )
            call(
                "POST",
                f"/campaigns/{cid}/feedback/submit",
                "rep",
                None,
                "POST /campaigns/{id}/feedback/submit",
                key=str(uuid.uuid4()),
            )
            deliver("on_feedback_change", settings().feedback_table, lambda k: k["campaign_id"]["S"] == cid)
            if scenario == "invoices":  # three invoices: two read from their QR codes, one typed
                for n, amount in ((1, "600.00"), (2, "500.00")):
                    qr = f"01,04,3200162130,{n:08d},{amount},20261102,,4FD5"
                    call("POST", f"/campaigns/{cid}/invoices", "rep", {"qr": qr}, "POST /campaigns/{id}/invoices")
                typed = {"type": "32", "number": "26322000000000000003", "amount": 30000, "issued_on": "2026-11-03"}
                call("POST", f"/campaigns/{cid}/invoices", "rep", typed, "POST /campaigns/{id}/invoices")
                call("GET", f"/campaigns/{cid}/invoices", "finance", route="GET /campaigns/{id}/invoices")
            call("GET", f"/campaigns/{cid}/feedback", "finance", route="GET /campaigns/{id}/feedback")
            paid = call(
                "POST",
                f"/campaigns/{cid}/reimbursement",
                "finance",
                {},
                "POST /campaigns/{id}/reimbursement",
                key=str(uuid.uuid4()),
            )
            if scenario not in ("baseline", "webhooks"):
                assert paid["campaign"]["budget"]["consumed"] > 0, paid["campaign"].get("budget")
            if scenario == "invoices":  # the least of approved, actual spend and the invoices
                assert paid["amount"] == 140000 and paid["invoice_total"] == 140000, paid
            if scenario == "vouchers":  # each campaign its own voucher batch: the dearest case
                meter.route = "setup"
                call("PUT", "/accounting", "finance", {"expense_account": "6601", "payable_account": "2202"}, "setup")
                batch = call("POST", "/voucher-batches", "finance", {}, "POST /voucher-batches", key=str(uuid.uuid4()))
                assert batch["campaigns"] == 1, batch
                call(
                    "POST",
                    f"/voucher-batches/{batch['id']}/posted",
                    "finance",
                    {"voucher_no": "V-1"},
                    "POST /voucher-batches/{id}/posted",
                    key=str(uuid.uuid4()),
                )
                meter.route = "setup"
                mine = [
                    r
                    for r in read_records(settings().vouchers_table)
                    if (r["dynamodb"].get("NewImage") or {}).get("tenant", {}).get("S") == root
                ]
                meter.route = "stream: on_voucher_change"
                for record in mine:  # batch size 1, as the event source mapping sends them
                    client.lambda_.invoke("on_voucher_change", lambda_event([record]))
                    invoked[meter.route] += 1
                posted = call("GET", f"/campaigns/{cid}", "finance", route="GET /campaigns/{id}")
                assert posted["reimbursement"]["voucher_no"] == "V-1", posted["reimbursement"]
            call("GET", f"/feedback?org={root}/EAST", "manager", route="GET /feedback (D)")
            call("GET", "/feedback-requests", "leader", route="GET /feedback-requests (E)")
            streams_of_the_campaign(cid)
            # offline clients: the rep's and the manager's console ask what changed
            call("GET", "/me/changes", "rep", route="GET /me/changes")
            call("GET", "/me/changes", "manager", route="GET /me/changes")
            if scenario == "webhooks":
                assert receiver is not None
                requests["delivery function"] = _events_out(meter, client)
                assert len(receiver.received) == 5, [r.headers.get("webhook-id") for r in receiver.received]
    return meter, requests, invoked


def _events_out(meter: Meter, client: Any) -> int:
    """What delivering the loop's webhook events costs: their deliveries were put and their
    tickets queued by the stream functions the loop invoked (campaigns and feedback, counted
    under their routes); the delivery function then runs per ticket, as SQS's event source
    would hand them over (its receive and delete counted with it). Returns its invocations."""
    import boto3

    from chalicelib.config import settings
    from devstack.queues import lambda_record

    meter.route = "setup"
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=settings().webhook_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    meter.route = "delivery function"
    invocations = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return invocations
        client.lambda_.invoke("deliver_webhooks", {"Records": [lambda_record(got[0], arn)]})
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
        invocations += 1


class Estimate(TypedDict):
    """What `campaigns` campaigns a month cost, from one measured loop."""

    api_requests: int
    invocations: int
    sqs_requests: int
    kms_requests: int
    wru: int
    rru: float
    wru_if_indexes_doubled: int
    changes_feed_wru: int  # of `wru`: the changes table's (the feed's entries, heads and fact guards)
    stored_mb: float
    storage_and_pitr_per_month: float  # USD a month for the new items kept
    total_if_indexes_doubled: float
    cost: dict[str, float]  # USD per service
    total: float  # USD, variable


def estimate(meter: Meter, requests: Counter[str], invoked: Counter[str], campaigns: int = 1000) -> Estimate:
    per = {k: v for k, v in requests.items() if k not in ("setup", "delivery function")}
    api_requests = sum(per.values()) * campaigns
    deliveries = requests.get("delivery function", 0) * campaigns
    invocations = api_requests + sum(invoked.values()) * campaigns + deliveries
    counted = [c for route, calls in meter.calls.items() if route != "setup" for c in calls.elements()]
    sqs_requests = sum(1 for c in counted if c.startswith("sqs:")) * campaigns
    kms_requests = sum(1 for c in counted if c.startswith("kms:")) * campaigns
    wru = sum(v for k, v in meter.wru.items() if k != "setup") * campaigns
    wru_upper = sum(v for k, v in meter.wru_upper.items() if k != "setup") * campaigns
    rru = sum(v for k, v in meter.rru.items() if k != "setup") * campaigns
    stored_gb = sum(meter.stored.values()) * campaigns / 1e9  # setup items are a company's, not a campaign's
    p = PRICES
    cost = {
        "API Gateway (REST)": api_requests / 1e6 * p["api_gateway_rest_per_million"],
        "Lambda requests": invocations / 1e6 * p["lambda_requests_per_million"],
        "Lambda compute": invocations * ASSUMED_MS_PER_INVOCATION / 1000 * LAMBDA_MEMORY_GB * p["lambda_gb_second"],
        "DynamoDB writes": wru / 1e6 * p["dynamodb_wru_per_million"],
        "DynamoDB reads": rru / 1e6 * p["dynamodb_rru_per_million"],
        "CloudWatch Logs": invocations * LOG_BYTES_PER_REQUEST / 1e9 * p["cloudwatch_logs_ingest_gb"],
    }
    if sqs_requests or kms_requests:
        cost["SQS"] = sqs_requests / 1e6 * p["sqs_per_million"]
        cost["KMS"] = kms_requests / 1e4 * p["kms_per_10000"]
    return {
        "api_requests": api_requests,
        "invocations": invocations,
        "sqs_requests": sqs_requests,
        "kms_requests": kms_requests,
        "wru": wru,
        "rru": rru,
        "wru_if_indexes_doubled": wru_upper,
        "changes_feed_wru": sum(v for t, v in meter.wru_by_table.items() if t.endswith("-changes")) * campaigns,
        "stored_mb": stored_gb * 1000,
        "storage_and_pitr_per_month": stored_gb * (p["dynamodb_storage_gb_month"] + p["dynamodb_pitr_gb_month"]),
        "total_if_indexes_doubled": sum(cost.values())
        - cost["DynamoDB writes"]
        + wru_upper / 1e6 * p["dynamodb_wru_per_million"],
        "cost": cost,
        "total": sum(cost.values()),
    }


SCENARIOS = ("baseline", "budget", "cancelled", "invoices", "vouchers", "webhooks")


def report(scenario: str, meter: Meter, requests: Counter[str], streams: Counter[str]) -> Estimate:
    print(f"\n== {scenario}")
    print(f"{'route':44} {'req':>4} {'ddb calls':>10} {'WRU':>6} {'RRU':>6}")
    routes = [r for r in requests if r != "setup"] + [r for r in meter.calls if r.startswith("stream: ")]
    for route in routes:
        calls = sum(meter.calls[route].values())
        detail = ",".join(f"{op}x{n}" for op, n in sorted(meter.calls[route].items()))
        print(
            f"{route:44} {requests.get(route) or streams.get(route, '·'):>4} {calls:>10} {meter.wru[route]:>6} "
            f"{meter.rru[route]:>6g}  {detail}"
        )
    e = estimate(meter, requests, streams)
    print(
        f"per 1,000 campaigns: {e['api_requests']:,} API requests, {e['invocations']:,} invocations, "
        f"{e['wru']:,} WRU ({e['wru_if_indexes_doubled']:,} if index copies of transactions double), "
        f"{e['rru']:,.0f} RRU; {e['stored_mb']:.1f} MB of new items and index copies; "
        f"the changes feed {e['changes_feed_wru']:,} of the WRU"
        + (f"; {e['sqs_requests']:,} SQS and {e['kms_requests']:,} KMS requests" if e["sqs_requests"] else "")
    )
    for name, usd in e["cost"].items():
        print(f"  {name:22} ${usd:8.4f}")
    print(
        f"  {'total (variable)':22} ${e['total']:8.4f}   (${e['total_if_indexes_doubled']:.4f} if index copies "
        f"double; storage + PITR ${e['storage_and_pitr_per_month']:.4f} per month kept)"
    )
    return e


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="only the loop without money control")
    parser.add_argument("--scenario", choices=SCENARIOS, action="append", help="only these scenarios")
    args = parser.parse_args(argv)
    totals: dict[str, Estimate] = {}
    for scenario in ("baseline",) if args.baseline else (args.scenario or SCENARIOS):
        totals[scenario] = report(scenario, *measure(scenario))
    print(
        "\nper 1,000 campaigns (variable, USD): "
        + ", ".join(f"{name} {e['total']:.4f} ({e['wru']:,} WRU)" for name, e in totals.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
