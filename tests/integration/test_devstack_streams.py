"""The local stream runner against moto's server: event shape, Lambda's partial-batch and
bisect-on-error rules, retries, the on-failure (DLQ) record, and discovery from a Chalice app.

Every test uses its own table and queue on one moto server, so they are independent.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for devstack

from moto.server import ThreadedMotoServer

from devstack.streams import (
    MAX_RETRY_ATTEMPTS,
    StreamRunner,
    lambda_event,
    read_records,
    runners_for_app,
    stream_arn_for,
    table_name_from_arn,
)
from tests.integration.aws_creds import CREDS


@pytest.fixture(scope="module")
def endpoint() -> Any:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per poll
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, **CREDS)


@pytest.fixture
def dlq(sqs: Any) -> str:
    return sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:10]}")["QueueUrl"]


@pytest.fixture
def runners() -> Any:
    started: list[StreamRunner] = []
    yield started
    for r in started:
        r.stop()


def put(ddb: Any, table: str, *pks: str) -> None:
    for pk in pks:
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "n": {"N": "1"}})


def pk_of(record: dict) -> str:
    return record["dynamodb"]["Keys"]["pk"]["S"]


def dlq_messages(sqs: Any, url: str) -> list[dict]:
    resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]


class Recorder:
    """A fake stream handler: records every batch (as pk lists) and answers via `respond`."""

    def __init__(self, respond: Callable[[list[dict]], Any] | None = None) -> None:
        self.respond = respond or (lambda records: {"batchItemFailures": []})
        self.events: list[dict] = []
        self.contexts: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, event: dict, context: Any) -> Any:
        with self.lock:
            self.events.append(event)
            self.contexts.append(context)
        return self.respond(event["Records"])

    @property
    def batches(self) -> list[list[str]]:
        return [[pk_of(r) for r in e["Records"]] for e in self.events]


def start_runner(runners: list, handler: Any, table: str, ddb: Any, **kwargs: Any) -> StreamRunner:
    kwargs.setdefault("retry_delay", 0.01)
    kwargs.setdefault("poll_interval", 0.05)
    runner = StreamRunner(handler, table, client=ddb, function_name="huixiang-dev-fake", **kwargs)
    runners.append(runner.start())
    return runner


def fail_pks(*bad: str) -> Callable[[list[dict]], dict]:
    """A Powertools-like partial response failing the records whose pk is in `bad`."""
    return lambda records: {
        "batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records if pk_of(r) in bad]
    }


# ---------------------------------------------------------------------------------------------


def test_read_records_have_lambdas_event_shape(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\x01"}, "m": {"M": {"x": {"S": "y"}}}},
    )
    ddb.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})

    records = read_records(table, ddb)
    arn = stream_arn_for(table, ddb)
    assert table_name_from_arn(arn) == table
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for r in records:
        assert set(r) >= {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert r["eventVersion"] == "1.1"
        assert r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == "us-east-1"
        assert r["eventSourceARN"] == arn
        d = r["dynamodb"]
        assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert d["Keys"] == {"pk": {"S": "a"}}
        assert isinstance(d["ApproximateCreationDateTime"], (int, float))
        assert isinstance(d["SequenceNumber"], str) and d["SequenceNumber"].isdigit()
        assert isinstance(d["SizeBytes"], int)
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"]["n"] == {"N": "1.5"}
    assert insert["NewImage"]["b"] == {"B": base64.b64encode(b"\x00\x01").decode()}
    assert insert["NewImage"]["m"] == {"M": {"x": {"S": "y"}}}
    assert "OldImage" not in insert
    assert modify["OldImage"]["n"] == {"N": "1.5"} and modify["NewImage"]["n"] == {"N": "2"}
    assert "NewImage" not in remove and remove["OldImage"]["pk"] == {"S": "a"}
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs)
    event = lambda_event(records)
    assert json.loads(json.dumps(event)) == event  # plain JSON, no datetimes or bytes


def test_runner_delivers_stream_in_order_with_lambda_context(ddb: Any, table: str, runners: list) -> None:
    handler = Recorder()
    put(ddb, table, "a", "b", "c")
    runner = start_runner(runners, handler, table, ddb)
    assert runner.drain(5)
    put(ddb, table, "d", "e")  # written while the runner polls
    assert runner.drain(5)

    delivered = [pk for batch in handler.batches for pk in batch]
    assert delivered == ["a", "b", "c", "d", "e"]
    # exactly what is in the stream, in the shape read_records gives
    assert [r for e in handler.events for r in e["Records"]] == read_records(table, ddb)
    ctx = handler.contexts[0]
    assert ctx.function_name == "huixiang-dev-fake"
    assert ctx.invoked_function_arn.endswith(":function:huixiang-dev-fake")
    assert ctx.memory_limit_in_mb == 128 and ctx.aws_request_id
    assert 0 < ctx.get_remaining_time_in_millis() <= 60_000
    assert runner.alive and runner.checkpoint == handler.events[-1]["Records"][-1]["dynamodb"]["SequenceNumber"]
    runner.stop()
    assert not runner.alive


def test_batch_size_is_respected(ddb: Any, table: str, runners: list) -> None:
    handler = Recorder()
    put(ddb, table, *[f"k{i}" for i in range(7)])
    runner = start_runner(runners, handler, table, ddb, batch_size=3)
    assert runner.drain(5)
    assert [len(b) for b in handler.batches] == [3, 3, 1]


def test_partial_failure_checkpoints_before_lowest_failed_and_redelivers_the_rest(
    ddb: Any, table: str, dlq: str, sqs: Any, runners: list
) -> None:
    calls = {"n": 0}

    def respond(records: list[dict]) -> dict:
        calls["n"] += 1
        # first delivery: c and e fail (reported out of order); afterwards all succeed
        return fail_pks("e", "c")(records) if calls["n"] == 1 else {"batchItemFailures": []}

    handler = Recorder(respond)
    put(ddb, table, "a", "b", "c", "d", "e")
    runner = start_runner(runners, handler, table, ddb, dlq_url=dlq)
    assert runner.drain(5)
    # a and b are checkpointed; the batch is retried from the lowest failed record, c
    assert handler.batches == [["a", "b", "c", "d", "e"], ["c", "d", "e"]]
    assert runner.retries == 1 and runner.dlq_messages == 0
    assert dlq_messages(sqs, dlq) == []


@pytest.mark.parametrize(
    "bad_response",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemIdentifier": "999"}]},  # not in the batch
        {"batchItemFailures": [{"sequenceNumber": "1"}]},  # bad key name
    ],
)
def test_unusable_item_identifier_fails_the_whole_batch(
    ddb: Any, table: str, runners: list, bad_response: dict
) -> None:
    calls = {"n": 0}

    def respond(records: list[dict]) -> dict:
        calls["n"] += 1
        return bad_response if calls["n"] == 1 else {}

    handler = Recorder(respond)
    put(ddb, table, "a", "b", "c")
    runner = start_runner(runners, handler, table, ddb)
    assert runner.drain(5)
    assert handler.batches == [["a", "b", "c"], ["a", "b", "c"]]  # whole batch again, not split


def test_poison_record_is_retried_then_sent_to_dlq_and_does_not_block(
    ddb: Any, table: str, dlq: str, sqs: Any, runners: list
) -> None:
    handler = Recorder(fail_pks("p"))
    put(ddb, table, "a", "b", "c", "p", "d", "e")
    seq = {pk_of(r): r["dynamodb"]["SequenceNumber"] for r in read_records(table, ddb)}
    runner = start_runner(runners, handler, table, ddb, batch_size=2, dlq_url=dlq)
    assert runner.drain(10)

    # [c, p]: c is checkpointed, p alone is retried MAX_RETRY_ATTEMPTS times, then skipped
    assert handler.batches == ([["a", "b"], ["c", "p"]] + [["p"]] * MAX_RETRY_ATTEMPTS + [["d", "e"]])
    delivered = [pk for b in handler.batches for pk in b]
    assert delivered.count("p") == 1 + MAX_RETRY_ATTEMPTS
    assert all(delivered.count(pk) == 1 for pk in "abcde")

    [msg] = dlq_messages(sqs, dlq)
    assert msg["version"] == "1.0" and msg["timestamp"].endswith("Z")
    assert msg["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert msg["requestContext"]["approximateInvokeCount"] == 1 + MAX_RETRY_ATTEMPTS
    assert msg["requestContext"]["functionArn"].endswith(":function:huixiang-dev-fake")
    assert msg["responseContext"]["executedVersion"] == "$LATEST"
    assert msg["responseContext"]["statusCode"] == 200
    info = msg["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seq["p"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == stream_arn_for(table, ddb)
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")

    # the stream keeps flowing after the poison record
    put(ddb, table, "f")
    assert runner.drain(5)
    assert handler.batches[-1] == ["f"]
    assert dlq_messages(sqs, dlq) == []  # still exactly one on-failure record


def test_poison_at_the_head_of_a_partial_batch_takes_the_rest_of_the_batch_with_it(
    ddb: Any, table: str, dlq: str, sqs: Any, runners: list
) -> None:
    """Lambda retries from the failed record to the batch's end and, when retries run out,
    discards that whole remainder (its records were processed on every retry)."""
    handler = Recorder(fail_pks("p"))
    put(ddb, table, "a", "p", "b", "c")
    seq = {pk_of(r): r["dynamodb"]["SequenceNumber"] for r in read_records(table, ddb)}
    runner = start_runner(runners, handler, table, ddb, dlq_url=dlq)
    assert runner.drain(10)
    assert handler.batches == [["a", "p", "b", "c"]] + [["p", "b", "c"]] * MAX_RETRY_ATTEMPTS
    [msg] = dlq_messages(sqs, dlq)
    info = msg["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seq["p"], seq["c"], 3)
    assert runner.checkpoint == seq["c"]


def test_raising_handler_gets_its_batch_bisected(ddb: Any, table: str, dlq: str, sqs: Any, runners: list) -> None:
    def respond(records: list[dict]) -> dict:
        if any(pk_of(r) == "k5" for r in records):
            raise RuntimeError("boom")
        return {"batchItemFailures": []}

    handler = Recorder(respond)
    keys = [f"k{i}" for i in range(8)]
    put(ddb, table, *keys)
    seq = {pk_of(r): r["dynamodb"]["SequenceNumber"] for r in read_records(table, ddb)}
    runner = start_runner(runners, handler, table, ddb, dlq_url=dlq)
    assert runner.drain(10)

    assert (
        handler.batches
        == (
            [
                keys,  # raises: split 4 + 4
                keys[0:4],  # ok
                keys[4:8],  # raises: split 2 + 2
                keys[4:6],  # raises: split 1 + 1
                ["k4"],  # ok
                ["k5"],
            ]  # raises; cannot split: retried
            + [["k5"]] * MAX_RETRY_ATTEMPTS
            + [keys[6:8]]
        )
    )  # the rest goes on
    assert runner.bisections == 3
    [msg] = dlq_messages(sqs, dlq)
    assert msg["responseContext"]["functionError"] == "Unhandled"
    info = msg["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seq["k5"]
    # k5 was in 4 invocations before it was alone, then retried MAX_RETRY_ATTEMPTS times
    assert msg["requestContext"]["approximateInvokeCount"] == 4 + MAX_RETRY_ATTEMPTS
    succeeded = [pk for b in handler.batches if "k5" not in b for pk in b]
    assert sorted(succeeded) == sorted(k for k in keys if k != "k5")


def test_transient_error_is_redelivered_once_and_recovers(
    ddb: Any, table: str, dlq: str, sqs: Any, runners: list
) -> None:
    calls = {"n": 0}

    def respond(records: list[dict]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("flaky dependency")
        return None  # a null response is a complete success

    handler = Recorder(respond)
    put(ddb, table, "a")
    runner = start_runner(runners, handler, table, ddb, dlq_url=dlq)
    assert runner.drain(5)
    assert handler.batches == [["a"], ["a"]]
    assert runner.retries == 1 and dlq_messages(sqs, dlq) == []


def test_non_json_response_is_a_function_error(ddb: Any, table: str, runners: list) -> None:
    calls = {"n": 0}

    def respond(records: list[dict]) -> Any:
        calls["n"] += 1
        return {"when": object()} if calls["n"] == 1 else {}

    handler = Recorder(respond)
    put(ddb, table, "a", "b")
    runner = start_runner(runners, handler, table, ddb)
    assert runner.drain(5)
    assert handler.batches == [["a", "b"], ["a"], ["b"]]  # bisected like a raise


def test_runners_are_discovered_from_a_chalice_app_and_work_with_powertools(
    ddb: Any, table: str, dlq: str, sqs: Any, runners: list
) -> None:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from chalice import Chalice

    app = Chalice(app_name="fakeapp")
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    seen: list[str] = []

    def record_handler(record: Any) -> None:
        pk = record.dynamodb.keys["pk"]
        if pk == "bad":
            raise ValueError("bad record")
        seen.append(pk)

    @app.on_dynamodb_record(
        stream_arn=f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/local",
        batch_size=10,
        starting_position="TRIM_HORIZON",
    )
    def on_change(event: Any) -> dict:
        return process_partial_response(
            event=event.to_dict(), record_handler=record_handler, processor=processor, context=event.context
        )

    [runner] = runners_for_app(
        app, stage="dev", dlq_urls={"on_change": dlq}, client=ddb, retry_delay=0.01, poll_interval=0.05
    )
    assert runner.table_name == table and runner.batch_size == 10
    assert runner.function_name == "fakeapp-dev-on_change"
    put(ddb, table, "a", "bad", "b")  # before start, so they arrive as one batch
    runners.append(runner.start())
    assert runner.drain(10)
    assert runner.stream_arn == stream_arn_for(table, ddb)
    # a once; bad fails each time; b is processed with bad on each of its deliveries
    assert seen == ["a"] + ["b"] * (1 + MAX_RETRY_ATTEMPTS)
    [msg] = dlq_messages(sqs, dlq)
    assert msg["DDBStreamBatchInfo"]["batchSize"] == 2


def test_drain_reports_a_stream_that_never_appears(ddb: Any, runners: list) -> None:
    runner = start_runner(runners, Recorder(), "no-such-table", ddb)
    assert runner.drain(0.5) is False
    assert runner.alive  # it keeps waiting for the table rather than dying
