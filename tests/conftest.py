"""What every suite shares: the cast of a company, HTTP and stream helpers, today's date.

Nothing here starts a server. The suites that run against local AWS (integration, functional,
contract, security, infra) start one moto per test process from their own conftest
(tests/local_aws.py); the end-to-end, browser and fuzz suites start whole local stacks; the
unit suite (`make unit`) runs against the in-memory storage and starts nothing.

Everything in Huixiang is scoped to a company, so tests that each use their own company never
see each other's campaigns, rules or worklists, and need no table resets between them.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.local_aws import KEY_DIR  # noqa: E402 (after the checkout is on the path)

#: Tests that start a local stack (`python -m devstack run`): they share var/ (the ready and
#: endpoint files, the local keys, the outbox), so under xdist they all run on one worker.
LOCAL_STACK_TESTS = ("tests/e2e/", "tests/fuzz/", "tests/browser/")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.replace("\\", "/")
        if path.startswith(LOCAL_STACK_TESTS):
            item.add_marker(pytest.mark.xdist_group("local-stack"))


def mint(sub: str, role: str, org: str, **kw) -> str:
    from devstack.tokens import mint_token

    return mint_token(sub, role, org, key_dir=KEY_DIR, **kw)


def check_error_codes(body) -> None:
    """Every error a test meets speaks the contract's codes (domain/errors.py): its own `code`,
    and each field error's, which is never missing nor the `invalid` of last resort."""
    from chalicelib.domain.errors import ERROR_CODES, FIELD_CODES

    assert isinstance(body, dict) and body.get("code") in ERROR_CODES, f"an error without a registered code: {body}"
    for e in body.get("errors", []):
        assert e.get("code") in FIELD_CODES and e["code"] != "invalid", f"a field error without a code: {e} in {body}"


class Api:
    """chalice.test.Client with JSON in and out, and a bearer token per call; every error it
    receives is checked for its codes (check_error_codes)."""

    def __init__(self, client) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body=None,
        raw: str | None = None,
        headers: dict | None = None,
    ):
        h = {"Content-Type": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        resp = getattr(self.client.http, method.lower())(path, headers=h, body=data)
        resp.json = json.loads(resp.body) if resp.body else None
        if resp.status_code >= 400:
            check_error_codes(resp.json)
        return resp

    def get(self, path, token=None, **kw):
        return self.call("GET", path, token, **kw)

    def post(self, path, token=None, body=None, **kw):
        return self.call("POST", path, token, body, **kw)

    def put(self, path, token=None, body=None, **kw):
        return self.call("PUT", path, token, body, **kw)

    def patch(self, path, token=None, body=None, **kw):
        return self.call("PATCH", path, token, body, **kw)

    def delete(self, path, token=None, **kw):
        return self.call("DELETE", path, token, **kw)


@pytest.fixture(scope="session")
def chalice_app():
    from app import app

    return app


@pytest.fixture(scope="session")
def lambda_client(chalice_app):
    from chalice.test import Client

    with Client(chalice_app, stage_name="dev") as client:
        yield client


@pytest.fixture
def api(lambda_client) -> Api:
    return Api(lambda_client)


class Company:
    """A fresh company with the usual cast: reps, managers, a leader and finance."""

    def __init__(self) -> None:
        self.root = "T" + uuid.uuid4().hex[:10].upper()
        self.east = f"{self.root}/EAST"
        self.js = f"{self.root}/EAST/JS"
        self.zj = f"{self.root}/EAST/ZJ"
        self.west = f"{self.root}/WEST"
        self.sc = f"{self.root}/WEST/SC"
        self.rep = mint("rep-" + self.root, "rep", self.js, name="Li Lei")
        self.rep2 = mint("rep2-" + self.root, "rep", self.zj, name="Han Meimei")
        self.rep_west = mint("repw-" + self.root, "rep", self.sc, name="Wang Wu")
        self.province_manager = mint("pm-" + self.root, "manager", self.js, name="Zhang San")
        self.manager = mint("rm-" + self.root, "manager", self.east, name="Zhao Si")
        self.west_manager = mint("wm-" + self.root, "manager", self.west, name="Qian Liu")
        self.leader = mint("lead-" + self.root, "leader", self.root, name="Sun Qi")
        self.finance = mint("fin-" + self.root, "finance", self.root, name="Zhou Ba")
        self.finance2 = mint("fin2-" + self.root, "finance", self.root, name="Wu Jiu")

    def sub(self, who: str) -> str:
        prefix = {
            "rep": "rep",
            "rep2": "rep2",
            "rep_west": "repw",
            "province_manager": "pm",
            "manager": "rm",
            "west_manager": "wm",
            "leader": "lead",
            "finance": "fin",
        }[who]
        return f"{prefix}-{self.root}"


@pytest.fixture
def company() -> Company:
    return Company()


def campaign_body(**overrides) -> dict:
    body = {
        "title": "Weekend tasting at Suguo Xinjiekou",
        "category": "tasting",
        "customer": {"id": "CUST-1", "name": "Suguo Xinjiekou"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "location": {"address": "Xinjiekou, Nanjing", "lat": 32.0415, "lon": 118.7849},
        "plan": {"expected_spend": 200000, "expected_sales": 1000000, "expected_units": 500},
        "requested_amount": 200000,
    }
    body.update(overrides)
    return body


@pytest.fixture
def flow(api, company):
    return Flow(api, company)


def business_date():
    """Today as the service counts days (Asia/Shanghai): a test that uses the machine's date for
    a delegation or a due date fails every day from 16:00 UTC, when Shanghai is a day ahead."""
    import datetime as dt

    from chalicelib.clock import business_today

    return dt.date.fromisoformat(business_today())


def make_budget(
    api: Api, company: Company, amount: int = 1_000_000, org: str | None = None, period: str = "2026", **extra
) -> dict:
    """A budget the company's leader creates (the whole company's, for 2026, by default)."""
    r = api.post("/budgets", company.leader, {"org": org or company.root, "period": period, "amount": amount, **extra})
    assert r.status_code == 201, r.json
    return r.json


class Flow:
    """Steps of the campaign life, each asserting its own success, for tests that start midway."""

    def __init__(self, api: Api, company: Company) -> None:
        self.api, self.co = api, company

    def draft(self, token=None, **overrides) -> dict:
        r = self.api.post("/campaigns", token or self.co.rep, campaign_body(**overrides))
        assert r.status_code == 201, r.json
        return r.json

    def submitted(self, token=None, **overrides) -> dict:
        c = self.draft(token, **overrides)
        r = self.api.post(f"/campaigns/{c['id']}/submit", token or self.co.rep)
        assert r.status_code == 200, r.json
        return r.json

    def approved(self, amount: int = 180000, token=None, approver=None, **overrides) -> dict:
        c = self.submitted(token, **overrides)
        r = self.api.post(f"/campaigns/{c['id']}/approve", approver or self.co.manager, {"approved_amount": amount})
        assert r.status_code == 200, r.json
        return r.json

    def rule(self, **body) -> dict:
        r = self.api.post("/feedback-rules", self.co.leader, body)
        assert r.status_code == 201, r.json
        return r.json

    def submit_feedback(self, campaign_id: str, token=None, **figures) -> dict:
        values = {"actual_spend": 150000, "actual_sales": 900000, "effect_rating": 4, "reflections": "busy"}
        values.update(figures)
        r = self.api.put(f"/campaigns/{campaign_id}/feedback", token or self.co.rep, values)
        assert r.status_code == 200, r.json
        r = self.api.post(f"/campaigns/{campaign_id}/feedback/submit", token or self.co.rep)
        assert r.status_code == 200, r.json
        return r.json

    def campaign(self, campaign_id: str, token=None) -> dict:
        r = self.api.get(f"/campaigns/{campaign_id}", token or self.co.leader)
        assert r.status_code == 200, r.json
        return r.json


class StreamLog:
    """Every record of a table's stream read so far in this session, kept with an iterator at its
    end, so each look only reads what was written since the last (re-reading the whole stream
    on every call made the session quadratic). The local moto keeps iterators valid across
    cancelled transactions (devstack.atomic_moto), so one iterator per shard lasts the session."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.records: list[dict] = []
        self._iterators: dict[str, str | None] = {}
        self._arn: str | None = None

    def refresh(self) -> list[dict]:
        from devstack.streams import GET_RECORDS_LIMIT, list_shards, make_client, stream_arn_for, to_lambda_record

        streams = make_client("dynamodbstreams")
        arn = stream_arn_for(self.table, streams)
        if arn != self._arn:  # first look, or the table was recreated
            self._arn, self.records, self._iterators = arn, [], {}
        for shard in list_shards(arn, streams):
            sid = shard["ShardId"]
            if sid not in self._iterators:
                self._iterators[sid] = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            while self._iterators[sid]:
                resp = streams.get_records(ShardIterator=self._iterators[sid], Limit=GET_RECORDS_LIMIT)
                self._iterators[sid] = resp.get("NextShardIterator")
                got = resp.get("Records") or []
                self.records.extend(to_lambda_record(r, arn) for r in got)
                if not got:  # an open shard always gives a next iterator: stop at its end
                    break
        return self.records


_STREAM_LOGS: dict[str, StreamLog] = {}


class Streams:
    """Feeds real stream records, read back from the moto server, to the stream handlers with
    the event shape Lambda sends (devstack.streams builds it), through chalice.test's lambda client."""

    def __init__(self, lambda_client) -> None:
        self.client = lambda_client
        self.delivered: set[str] = set()

    @staticmethod
    def table(kind: str) -> str:
        from chalicelib.config import settings

        return {
            "feedback": settings().feedback_table,
            "rules": settings().rules_table,
            "campaigns": settings().campaigns_table,
            "reports": settings().reports_table,
            "evidence": settings().evidence_table,
            "vouchers": settings().vouchers_table,
        }[kind]

    def records(self, kind: str, predicate) -> list[dict]:
        table = self.table(kind)
        stream = _STREAM_LOGS.setdefault(table, StreamLog(table))
        return [r for r in stream.refresh() if predicate(r)]

    def invoke(self, function: str, records: list[dict]) -> dict:
        from devstack.streams import lambda_event

        payload = self.client.lambda_.invoke(function, lambda_event(records)).payload
        self.delivered.update(r["eventID"] for r in records)
        return payload

    def feedback_records(self, campaign_id: str) -> list[dict]:
        return self.records("feedback", lambda r: r["dynamodb"]["Keys"]["campaign_id"]["S"] == campaign_id)

    def deliver_feedback(self, campaign_id: str) -> dict:
        """Deliver the campaign's feedback records not yet delivered, as the mapping would."""
        fresh = [r for r in self.feedback_records(campaign_id) if r["eventID"] not in self.delivered]
        return self.invoke("on_feedback_change", fresh) if fresh else {"batchItemFailures": []}

    def deliver_vouchers(self, tenant: str) -> dict:
        """Deliver the company's vouchers-table records not yet delivered, one per invocation
        (the mapping's batch size), as the mapping would; the failures of all of them."""

        def mine(r):
            image = r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage") or {}
            return image.get("tenant", {}).get("S") == tenant

        failures: list = []
        for record in [r for r in self.records("vouchers", mine) if r["eventID"] not in self.delivered]:
            failures += self.invoke("on_voucher_change", [record])["batchItemFailures"]
        return {"batchItemFailures": failures}

    def run_rules(self, tenant: str, rounds: int = 50) -> int:
        """Deliver the company's rule records until the sweeps they start have finished."""

        def mine(r):
            image = r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage") or {}
            return image.get("tenant", {}).get("S") == tenant

        delivered = 0
        for _ in range(rounds):
            fresh = [r for r in self.records("rules", mine) if r["eventID"] not in self.delivered]
            if not fresh:
                return delivered
            payload = self.invoke("on_rule_change", fresh)
            assert payload == {"batchItemFailures": []}, payload
            delivered += len(fresh)
        raise AssertionError("rule sweeps did not finish")


@pytest.fixture
def streams(lambda_client) -> Streams:
    return Streams(lambda_client)


class DeliveryQueue:
    """The webhook delivery queue of the session's moto, handed to the delivery function
    (`deliver_webhooks`) as Lambda's SQS event source would: a message its answer names in
    batchItemFailures stays (and comes back), the others are deleted. Delayed messages wait."""

    def __init__(self, lambda_client) -> None:
        import boto3

        from chalicelib.config import settings

        self.client = lambda_client
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.get_queue_url(QueueName=settings().webhook_queue)["QueueUrl"]
        self.outcomes: list[dict] = []

    def pump(self, rounds: int = 50, fail_visibility: int | None = None) -> int:
        """Deliver what is visible until nothing is; returns how many messages were handled.
        `fail_visibility`: how soon a failed message comes back (default: the queue's timeout)."""
        from devstack.queues import lambda_record

        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        handled = 0
        for _ in range(rounds):
            messages = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return handled
            records = [lambda_record(m, arn) for m in messages]
            payload = self.client.lambda_.invoke("deliver_webhooks", {"Records": records}).payload
            self.outcomes.append(payload)
            failed = {f["itemIdentifier"] for f in payload.get("batchItemFailures", [])}
            for r in records:
                if r["messageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=r["receiptHandle"])
                elif fail_visibility is not None:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=r["receiptHandle"], VisibilityTimeout=fail_visibility
                    )
            handled += len(records)
        raise AssertionError("the delivery queue did not empty")


@pytest.fixture
def delivery_queue(lambda_client) -> DeliveryQueue:
    return DeliveryQueue(lambda_client)
