"""A burst of concurrent feedback submits on one campaign must not stall the feedback stream:
some of the submits lose their conditional write (their transaction is cancelled), and the
stream keeps flowing for every other campaign, while the burst campaign's proposal follows its
highest revision."""

from __future__ import annotations

import threading
import time

from tests.e2e.conftest import Org, wait_for

PLAN = {
    "title": "Tasting",
    "category": "tasting",
    "customer": {"id": "K1", "name": "Shop"},
    "start_date": "2026-11-02",
    "end_date": "2026-11-03",
    "plan": {"expected_spend": 200000, "expected_sales": 1000000},
    "requested_amount": 200000,
}


def approved(http, org: Org, amount: int) -> dict:
    status, c = http("POST", "/campaigns", org.rep, PLAN)
    assert status == 201, c
    assert http("POST", f"/campaigns/{c['id']}/submit", org.rep)[0] == 200
    status, c = http("POST", f"/campaigns/{c['id']}/approve", org.manager, {"approved_amount": amount})
    assert status == 200, c
    return c


def reimbursement(http, org: Org, campaign_id: str) -> dict:
    status, c = http("GET", f"/campaigns/{campaign_id}", org.finance)
    assert status == 200, c
    return c["reimbursement"]


def test_a_burst_of_submits_neither_stalls_the_stream_nor_leaves_a_superseded_proposal(http):
    # GIVEN another company's campaign whose settlement waits for required feedback
    other = Org("B")
    assert http("POST", "/feedback-rules", other.leader, {"scope": "all"})[0] == 201
    waiting = approved(http, other, 150000)
    wait_for(lambda: reimbursement(http, other, waiting["id"])["status"] == "locked")
    # AND an approved campaign with no rule and a feedback draft
    burst = Org("A")
    c = approved(http, burst, 180000)
    draft = {"actual_spend": 100000, "actual_sales": 900000, "effect_rating": 4, "reflections": "ok"}
    assert http("PUT", f"/campaigns/{c['id']}/feedback", burst.rep, draft)[0] == 200

    # WHEN ten submits with different spends arrive at once
    spends = [101000 + 10000 * i for i in range(10)]  # the last ones exceed the approved amount
    answers: list[tuple[int, dict]] = [None] * len(spends)  # type: ignore[list-item]  # each thread fills its slot
    barrier = threading.Barrier(len(spends))

    def submit(i: int) -> None:
        barrier.wait()
        answers[i] = http(
            "POST",
            f"/campaigns/{c['id']}/feedback/submit",
            burst.rep,
            {"actual_spend": spends[i], "actual_sales": 900000},
        )

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(spends))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # THEN every submit either made a revision or was told to retry
    statuses = sorted(s for s, _ in answers)
    assert set(statuses) <= {200, 409} and 200 in statuses, answers
    assert all(b["code"] == "conflict" for s, b in answers if s == 409), answers
    revisions = sorted(b["revision"] for s, b in answers if s == 200)
    assert revisions == list(range(1, len(revisions) + 1))

    # AND the burst campaign's proposal follows its highest revision, capped at the approval
    status, feedback = http("GET", f"/campaigns/{c['id']}/feedback", burst.rep)
    latest = feedback["submitted"]
    assert status == 200 and latest["revision"] == revisions[-1]
    expected = min(latest["actual_spend"], 180000)
    wait_for(lambda: reimbursement(http, burst, c["id"]).get("proposed_amount") == expected, timeout=5)

    # AND another campaign's submitted feedback still unlocks its settlement within a second
    assert http("PUT", f"/campaigns/{waiting['id']}/feedback", other.rep, draft)[0] == 200
    assert http("POST", f"/campaigns/{waiting['id']}/feedback/submit", other.rep)[0] == 200
    submitted = time.monotonic()
    wait_for(lambda: reimbursement(http, other, waiting["id"])["status"] == "unlocked", timeout=1.0, interval=0.02)
    assert time.monotonic() - submitted <= 1.5  # the functional deadline, with the last poll's slack


def test_a_record_that_cannot_be_applied_is_retried_parked_and_passed(local_stack, http):
    import json
    import uuid

    import boto3

    moto = local_stack.output().split("AWS endpoint (moto): ", 1)[1].split()[0]
    aws = {
        "endpoint_url": moto,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    # GIVEN a campaign whose settlement waits for its feedback
    org = Org("P")
    assert http("POST", "/feedback-rules", org.leader, {"scope": "all"})[0] == 201
    waiting = approved(http, org, 150000)
    wait_for(lambda: reimbursement(http, org, waiting["id"])["status"] == "locked")
    # WHEN the feedback stream carries a submitted revision that can never be applied (its
    # campaign does not exist), followed by that campaign's feedback
    ghost = "GHOST-" + uuid.uuid4().hex[:8].upper()
    boto3.client("dynamodb", **aws).put_item(
        TableName="huixiang-dev-feedback",
        Item={
            "campaign_id": {"S": ghost},
            "sk": {"S": "rev#000001"},
            "status": {"S": "submitted"},
            "revision": {"N": "1"},
            "author_id": {"S": "x"},
            "actual_spend": {"N": "1"},
            "created_at": {"S": "2026-11-01T00:00:00Z"},
            "updated_at": {"S": "2026-11-01T00:00:00Z"},
        },
    )
    assert (
        http(
            "POST",
            f"/campaigns/{waiting['id']}/feedback/submit",
            org.rep,
            {"actual_spend": 120000, "actual_sales": 900000},
        )[0]
        == 200
    )
    # THEN the shard moves on: the campaign behind the poison record unlocks
    wait_for(lambda: reimbursement(http, org, waiting["id"])["status"] == "unlocked", timeout=5)
    # AND the poison record went to the mapping's on-failure queue after its retries
    sqs = boto3.client("sqs", **aws)
    queue = sqs.get_queue_url(QueueName="huixiang-dev-on_feedback_change-dlq")["QueueUrl"]

    def on_failure_record() -> dict | None:
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(m["Body"])
            if body["requestContext"]["condition"] == "RetryAttemptsExhausted":
                return body
        return None

    failure = wait_for(on_failure_record, timeout=10, interval=0.2)
    assert failure["requestContext"]["approximateInvokeCount"] == 4  # the first try and 3 retries
    # AND the handler parked the whole record in S3 for replay
    s3 = boto3.client("s3", **aws)
    parked = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket="huixiang-dev-attachments", Prefix="dead-letters/feedback-stream/").get(
            "Contents", []
        )
    ]
    bodies = [json.loads(s3.get_object(Bucket="huixiang-dev-attachments", Key=k)["Body"].read()) for k in parked]
    assert any(b["record"]["dynamodb"]["Keys"]["campaign_id"]["S"] == ghost for b in bodies)
