"""The local stack's moto server (devstack.atomic_moto): DynamoDB requests atomic against racing
requests, cancelled transactions that leave no trace in the table or its stream, and nothing
held while another service waits (an SQS long poll).

Each test has its own tables and queues on one server of the module.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.atomic_moto import start_in_thread
from devstack.streams import StreamRunner, read_records
from tests.integration.aws_creds import CREDS


@pytest.fixture(scope="module")
def endpoint() -> Any:
    server, url = start_in_thread()
    yield url
    server.shutdown()


def keys(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records]


def cancelled_transaction(ddb: Any, table: str) -> None:
    """A transaction whose first write may go ahead and whose second loses its condition."""
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "ghost"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in err.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]


def test_a_cancelled_transaction_writes_nothing_to_the_table_or_its_stream(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    cancelled_transaction(ddb, table)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "ghost"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "after"}})
    assert keys(read_records(table, ddb)) == [("INSERT", "taken"), ("INSERT", "after")]


def test_a_stream_reader_keeps_receiving_records_after_a_cancelled_transaction(ddb: Any, table: str) -> None:
    # GIVEN a runner (the local event source mapping) reading the table's stream
    seen: list[tuple[str, str]] = []
    runner = StreamRunner(
        lambda event, ctx: seen.extend(keys(event["Records"])), table, client=ddb, poll_interval=0.02
    ).start()
    try:
        ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
        assert runner.drain(5)
        # WHEN a transaction on the table is cancelled, and the table is written again
        cancelled_transaction(ddb, table)
        ddb.put_item(TableName=table, Item={"pk": {"S": "after"}})
        assert runner.drain(5)
    finally:
        runner.stop()
    # THEN the runner delivered the later write, and never the write that was undone
    assert seen == [("INSERT", "taken"), ("INSERT", "after")]
    sequence_numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in read_records(table, ddb)]
    assert sequence_numbers == sorted(set(sequence_numbers))


def test_a_write_that_fails_while_a_transaction_is_applied_is_undone_with_the_others(ddb: Any, table: str) -> None:
    # GIVEN two items, and a transaction whose last update fails only when it is applied
    ddb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "text"}, "s": {"S": "a string"}})
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "counter"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "text"}},
                        "UpdateExpression": "ADD s :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },  # a number added to a string
            ]
        )
    # THEN nothing of it is left, in the table or in its stream
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "new"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["n"] == {"N": "1"}
    assert keys(read_records(table, ddb)) == [("INSERT", "counter"), ("INSERT", "text")]


def test_racing_conditional_writes_and_transactions_stay_atomic(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "v": {"N": "0"}})
    racers = 12
    barrier = threading.Barrier(racers)
    wins: list[int] = []

    def increment(i: int) -> None:
        """Read the version, then move it on with a transaction conditional on it (as PynamoDB)."""
        barrier.wait()
        for _ in range(30):
            v = int(ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}}, ConsistentRead=True)["Item"]["v"]["N"])
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": f"rev#{v + 1}"}, "by": {"N": str(i)}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": "counter"}, "v": {"N": str(v + 1)}},
                                "ConditionExpression": "v = :v",
                                "ExpressionAttributeValues": {":v": {"N": str(v)}},
                            }
                        },
                    ]
                )
                wins.append(v + 1)
                return
            except ClientError as e:
                assert e.response["Error"]["Code"] == "TransactionCanceledException"

    threads = [threading.Thread(target=increment, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # every win made exactly one revision, no two wins made the same one
    assert sorted(wins) == list(range(1, racers + 1))
    final = ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["v"]["N"]
    assert final == str(racers)
    inserted = [pk for name, pk in keys(read_records(table, ddb)) if pk.startswith("rev#")]
    assert sorted(inserted) == sorted(f"rev#{n}" for n in range(1, racers + 1))


def test_an_sqs_long_poll_does_not_hold_up_dynamodb(endpoint: str, ddb: Any, table: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=endpoint, **CREDS)
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    polling = threading.Event()
    returned = threading.Event()

    def long_poll() -> None:
        polling.set()
        sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=3)
        returned.set()

    poller = threading.Thread(target=long_poll)
    poller.start()
    polling.wait()
    # WHEN DynamoDB is used while the poll waits for a message that never comes
    ddb.put_item(TableName=table, Item={"pk": {"S": "during-the-poll"}})
    ddb.get_item(TableName=table, Key={"pk": {"S": "during-the-poll"}})
    # THEN both answered before the poll gave up (it waits 3 s)
    answered_first = not returned.is_set()
    poller.join()
    assert answered_first


def test_every_attribute_type_comes_back_as_it_was_written(ddb: Any, table: str) -> None:
    item = {
        "pk": {"S": "all-types"},
        "n": {"N": "1.5"},
        "b": {"B": b"\x00\x01"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x02"]},
        "nul": {"NULL": True},
        "t": {"BOOL": False},
        "l": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"L": [{"BOOL": True}]}}}]},
        "m": {"M": {"S": {"S": "a key named like a type"}, "Items": {"N": "7"}}},
    }
    ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "all-types"}}, ConsistentRead=True)["Item"]
    queried = ddb.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "all-types"}}
    )

    def normal(i):
        return {
            k: ({t: sorted(v) if isinstance(v, list) and t in ("SS", "NS", "BS") else v for t, v in a.items()})
            for k, a in i.items()
        }

    assert normal(got) == normal(item)
    assert [normal(i) for i in queried["Items"]] == [normal(item)] and queried["Count"] == 1


def test_an_item_over_400_kb_is_still_refused(ddb: Any, table: str) -> None:
    with pytest.raises(ClientError) as err:
        ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "blob": {"S": "x" * 410_000}})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_a_runner_is_woken_by_a_write_instead_of_waiting_for_its_next_poll(ddb: Any, table: str) -> None:
    # GIVEN a runner that, left to its polls, would look at the stream only every 30 s
    seen = threading.Event()
    runner = StreamRunner(lambda event, ctx: seen.set(), table, client=ddb, poll_interval=30.0).start()
    try:
        assert runner.drain(10)
        # WHEN the table is written
        ddb.put_item(TableName=table, Item={"pk": {"S": "wake-up"}})
        # THEN the record is handed over long before the next poll would have come
        assert seen.wait(10)
    finally:
        runner.stop()


def test_updates_sharing_an_expression_each_apply_their_own_values(ddb: Any, table: str) -> None:
    expression = {"UpdateExpression": "SET #l = :l ADD #n :n", "ExpressionAttributeNames": {"#l": "label", "#n": "n"}}
    for pk, label, n in (("a", "first", 1), ("b", "second", 5), ("a", "third", 2)):
        ddb.update_item(
            TableName=table,
            Key={"pk": {"S": pk}},
            **expression,
            ExpressionAttributeValues={":l": {"S": label}, ":n": {"N": str(n)}},
        )
    a = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    b = ddb.get_item(TableName=table, Key={"pk": {"S": "b"}})["Item"]
    assert (a["label"], a["n"]) == ({"S": "third"}, {"N": "3"})
    assert (b["label"], b["n"]) == ({"S": "second"}, {"N": "5"})


def test_simple_set_and_add_updates_behave_as_dynamodb_says(ddb: Any, table: str) -> None:
    names = {"#l": "label", "#n": "n", "#p": "pk"}

    def update(pk: str, expression: str, values: dict, **kw: Any) -> dict:
        used = {k: v for k, v in names.items() if k in expression}
        return ddb.update_item(
            TableName=table,
            Key={"pk": {"S": pk}},
            UpdateExpression=expression,
            ExpressionAttributeNames=used,
            ExpressionAttributeValues=values,
            **kw,
        )

    # an update creates the item, once in the stream; ADD adds, SET replaces; ReturnValues work
    assert update("u", "SET #l = :l ADD #n :n", {":l": {"S": "one"}, ":n": {"N": "1.5"}}, ReturnValues="ALL_NEW")[
        "Attributes"
    ] == {"pk": {"S": "u"}, "label": {"S": "one"}, "n": {"N": "1.5"}}
    old = update("u", "ADD #n :n SET #l = :l", {":l": {"S": "two"}, ":n": {"N": "2"}}, ReturnValues="UPDATED_OLD")
    assert old["Attributes"] == {"label": {"S": "one"}, "n": {"N": "1.5"}}
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "u"}})["Item"]["n"] == {"N": "3.5"}
    assert keys(read_records(table, ddb)) == [("INSERT", "u"), ("MODIFY", "u")]
    # what DynamoDB refuses is still refused
    for expression, values, code in (
        ("ADD #l :n", {":n": {"N": "1"}}, "ValidationException"),  # a number added to a string
        ("SET #p = :l", {":l": {"S": "other"}}, "ValidationException"),  # a key attribute
    ):
        with pytest.raises(ClientError) as err:
            update("u", expression, values)
        assert err.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as err:
        update("u", "SET #l = :l", {":l": {"S": "three"}}, ConditionExpression="attribute_not_exists(pk)")
    assert err.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "u"}})["Item"]["label"] == {"S": "two"}
