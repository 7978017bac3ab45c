"""Events out through the routes, the stream functions and the delivery function, to real
receivers on 127.0.0.1 (devstack/receiver.py): every delivery is verified as a receiver would,
with the standardwebhooks package.

The session's settings (tests/conftest.py) allow http://127.0.0.1, retry at once (four
attempts in all) and wait 2 s for a receiver."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from devstack.receiver import Behaviour, Receiver
from tests.conftest import business_date, make_budget


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def create(api, company, url: str, events=None, token=None, **body) -> dict:
    r = api.post("/webhooks", token or company.leader, {"url": url, "events": events or ["campaign.submitted"], **body})
    assert r.status_code == 201, r.json
    return r.json


def flush(streams, company, campaign_ids: list[str] = ()) -> None:
    """Hand the company's new stream records to the stream functions, as the mappings would."""

    def mine(r):
        image = r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage") or {}
        return image.get("tenant", {}).get("S") == company.root

    for kind, function in (("campaigns", "on_campaign_change"), ("reports", "on_report_requested")):
        for record in [r for r in streams.records(kind, mine) if r["eventID"] not in streams.delivered]:
            assert streams.invoke(function, [record]) == {"batchItemFailures": []}
    for campaign_id in campaign_ids:
        assert streams.deliver_feedback(campaign_id) == {"batchItemFailures": []}
    if campaign_ids:  # an unlock by feedback writes the campaign: its record too
        flush(streams, company)


def verified(secret: str, request) -> dict:
    return Verifier(secret).verify(request.body, request.headers)


def deliveries(api, company, hook_id: str, **query) -> list[dict]:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    r = api.get(f"/webhooks/{hook_id}/deliveries" + (f"?{q}" if q else ""), company.leader)
    assert r.status_code == 200, r.json
    return r.json["items"]


# -- the loop --------------------------------------------------------------------------------------
def test_the_loops_events_arrive_signed_once_each(api, company, flow, streams, delivery_queue, receiver):
    everything = [
        "campaign.submitted",
        "campaign.approved",
        "feedback.submitted",
        "settlement.unlocked",
        "campaign.reimbursed",
        "report.ready",
    ]
    hook = create(api, company, receiver.url, everything, token=company.finance, description="ERP")
    assert hook["secret"].startswith("whsec_") and hook["format"] == "standard" and hook["signed"] is True
    flow.rule(scope="category", category="tasting")
    streams.run_rules(company.root)
    c = flow.approved(amount=180000)
    flush(streams, company)
    flow.submit_feedback(c["id"])
    flush(streams, company, [c["id"]])
    settled = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert settled.status_code == 201, settled.json
    run = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    from tests.functional.test_reports import compile_pending

    compile_pending(streams, company.root)
    flush(streams, company)
    delivery_queue.pump()
    events = [verified(hook["secret"], r) for r in receiver.received]
    assert sorted(e["type"] for e in events) == sorted(everything)
    by_type = {e["type"]: e for e in events}
    assert by_type["campaign.approved"]["data"]["approved_amount"] == 180000
    assert by_type["campaign.reimbursed"]["data"]["reimbursement"]["status"] == "reimbursed"
    assert by_type["feedback.submitted"]["data"]["feedback_report"]["actual_spend"] == 150000
    assert by_type["report.ready"]["data"]["id"] == run.json["report_ids"][0]
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(set(ids)) == len(ids) == len(everything)
    # the stream records again (a redelivery, a replayed batch): nothing is sent twice
    streams.delivered.clear()
    flush(streams, company, [c["id"]])
    delivery_queue.pump()
    assert len(receiver.received) == len(everything)
    listed = deliveries(api, company, hook["id"], status="delivered")
    assert sorted(d["event_type"] for d in listed) == sorted(everything)
    assert all(d["attempts"] == 1 and d["last_status_code"] == 204 for d in listed)


def test_a_failing_receiver_is_retried_with_the_same_id_then_failed_then_retried_by_hand(
    api, company, flow, streams, delivery_queue, receiver
):
    hook = create(api, company, receiver.url)
    receiver.behave(Behaviour.status(500))
    c = flow.submitted()
    flush(streams, company)
    delivery_queue.pump()
    assert len(receiver.received) == 4  # the first attempt and three retries (the session's schedule)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.received]
    assert stamps == sorted(stamps)  # each attempt signed at its own time
    (failed,) = deliveries(api, company, hook["id"], status="failed")
    assert failed["attempts"] == 4 and failed["last_status_code"] == 500 and failed["next_attempt_at"] is None
    assert failed["last_error"].startswith("HTTP 500") and len(failed["attempt_log"]) == 4
    assert deliveries(api, company, hook["id"], status="pending") == []
    # the receiver is fixed; finance retries by hand
    receiver.behave(Behaviour.status(200))
    again = api.post(f"/webhooks/{hook['id']}/deliveries/{failed['id']}/retry", company.finance)
    assert again.status_code == 202 and again.json["status"] == "pending", again.json
    delivery_queue.pump()
    assert verified(hook["secret"], receiver.received[-1])["data"]["id"] == c["id"]
    (done,) = deliveries(api, company, hook["id"])
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 5, 200)
    twice = api.post(f"/webhooks/{hook['id']}/deliveries/{failed['id']}/retry", company.leader)
    assert twice.status_code == 409 and twice.json["code"] == "delivery_not_failed"
    assert twice.json["params"] == {"status": "delivered"}


@pytest.mark.parametrize(
    "behaviour, error",
    [
        (Behaviour.slow(4), "no answer within 2 s"),
        (Behaviour.redirect(302), "HTTP 302: redirects are not followed"),
        (Behaviour.huge(4 * 1024 * 1024, 500), "HTTP 500: xxxx"),
        (Behaviour.close(), "the connection closed without an answer"),
        (Behaviour.reset(), "connection reset"),
    ],
    ids=["slow", "redirect", "4 MB", "closes", "resets"],
)
def test_a_receiver_that_misbehaves_is_a_failed_attempt_retried_and_never_stalls_the_function(
    api, company, flow, streams, delivery_queue, receiver, behaviour, error
):
    hook = create(api, company, receiver.url)
    receiver.behave(behaviour)
    flow.submitted()
    flush(streams, company)
    started = time.monotonic()
    delivery_queue.pump()
    elapsed = time.monotonic() - started
    assert elapsed < 4 * (2 + 1.5)  # four attempts, each ended by the 2 s timeout at the latest
    (d,) = deliveries(api, company, hook["id"])
    assert d["status"] == "failed" and d["attempts"] == 4, d
    assert d["last_error"].startswith(error), d["last_error"]
    assert len(d["last_error"]) <= 220  # of a 4 MB answer, a few KB are read and 200 characters kept
    assert all(r.path == "/hook" for r in receiver.received)  # a redirect's target was never asked


def test_a_huge_2xx_answer_is_delivered_reading_only_its_start(api, company, flow, streams, delivery_queue, receiver):
    hook = create(api, company, receiver.url)
    receiver.behave(Behaviour.huge(4 * 1024 * 1024, 200))
    flow.submitted()
    flush(streams, company)
    started = time.monotonic()
    delivery_queue.pump()
    assert time.monotonic() - started < 5
    (d,) = deliveries(api, company, hook["id"])
    assert (d["status"], d["attempts"]) == ("delivered", 1)


def test_a_wecom_robot_gets_the_chinese_message_with_its_key_kept(
    api, company, flow, streams, delivery_queue, receiver
):
    create(api, company, receiver.url + "?key=robot-key", format="wecom")
    c = flow.submitted(requested_amount=300000)
    flush(streams, company)
    delivery_queue.pump()
    (request,) = receiver.received
    assert request.path == "/hook?key=robot-key" and "webhook-signature" not in request.headers
    content = json.loads(request.body)["markdown"]["content"]
    assert content.startswith("### 待审批：Weekend tasting at Suguo Xinjiekou")
    assert "Li Lei" in content and "¥3,000.00" in content
    assert f"https://console.huixiang.test/console/#/approvals/{c['id']}" in content


def test_a_dingtalk_robot_is_signed_with_its_own_secret(api, company, flow, streams, delivery_queue, receiver):
    secret = "SEC" + "ab12" * 16
    hook = create(api, company, receiver.url + "?access_token=tok", format="dingtalk", secret=secret)
    assert hook["secret"] is None and hook["signed"] is True  # the robot's own secret is not echoed
    flow.submitted()
    flush(streams, company)
    delivery_queue.pump()
    (request,) = receiver.received
    assert request.path.startswith("/hook?access_token=tok&timestamp=") and "&sign=" in request.path
    assert json.loads(request.body)["markdown"]["title"].startswith("待审批：")


# -- the secret -----------------------------------------------------------------------------------
def test_the_secret_is_shown_at_creation_and_rotation_only_and_never_stored_in_the_clear(api, company):
    key = {"Idempotency-Key": f"hook-{company.root}"}
    body = {"url": "http://127.0.0.1:9/hook", "events": ["campaign.approved"]}
    first = api.post("/webhooks", company.leader, body, headers=key)
    replay = api.post("/webhooks", company.leader, body, headers=key)
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json and first.json["secret"].startswith("whsec_")  # a retry sees it again
    hook_id, secret = first.json["id"], first.json["secret"]
    for path in ("/webhooks", f"/webhooks/{hook_id}"):
        assert secret not in json.dumps(api.get(path, company.leader).json)
    assert "secret" not in api.get(f"/webhooks/{hook_id}", company.leader).json
    rotated = api.post(f"/webhooks/{hook_id}/rotate-secret", company.finance)
    assert rotated.status_code == 200 and rotated.json["secret"] not in (None, secret)
    assert rotated.json["secret_rotated_at"] is not None
    # what a reader of the tables finds: neither secret, anywhere
    from chalicelib.config import settings

    client = boto3.client("dynamodb")
    for table in (settings().webhooks_table, settings().idempotency_table):
        dumped = json.dumps(client.scan(TableName=table)["Items"])
        assert secret not in dumped and rotated.json["secret"] not in dumped, table


def test_a_deleted_webhook_is_gone_and_its_queued_delivery_fails(api, company, flow, streams, delivery_queue, receiver):
    hook = create(api, company, receiver.url)
    flow.submitted()
    flush(streams, company)
    assert api.delete(f"/webhooks/{hook['id']}", company.leader).status_code == 204
    assert api.get(f"/webhooks/{hook['id']}", company.leader).status_code == 404
    delivery_queue.pump()
    assert receiver.received == []


def test_deliveries_page_with_cursors_and_refuse_a_foreign_one(api, company, flow, streams, delivery_queue, receiver):
    hook = create(api, company, receiver.url)
    for n in range(3):
        flow.submitted(title=f"Tasting {n}")
    flush(streams, company)
    delivery_queue.pump()
    first = api.get(f"/webhooks/{hook['id']}/deliveries?limit=2", company.leader)
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    rest = api.get(f"/webhooks/{hook['id']}/deliveries?limit=2&cursor={first.json['next_cursor']}", company.leader)
    ids = [d["id"] for d in first.json["items"] + rest.json["items"]]
    assert len(set(ids)) == 3 and ids == sorted(ids, reverse=True)  # newest event first
    other = create(api, company, receiver.url)
    foreign = api.get(f"/webhooks/{other['id']}/deliveries?cursor={first.json['next_cursor']}", company.leader)
    assert foreign.status_code == 400 and foreign.json["errors"][0]["field"] == "cursor"
    bad = api.get(f"/webhooks/{hook['id']}/deliveries?status=lost", company.leader)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "status"


def test_a_poison_message_is_parked_whole_in_the_dead_letter_queue(delivery_queue):
    sqs = delivery_queue.sqs
    body = json.dumps({"not": "a ticket", "at": business_date().isoformat()})
    sqs.send_message(QueueUrl=delivery_queue.url, MessageBody=body)
    dlq = sqs.get_queue_url(QueueName=delivery_queue.url.rsplit("/", 1)[-1] + "-dlq")["QueueUrl"]
    for _ in range(8):  # each failed receive comes back at once (its visibility is reset)
        delivery_queue.pump(fail_visibility=0)
    parked = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert body in [m["Body"] for m in parked]
    assert any(
        f.get("batchItemFailures") for f in delivery_queue.outcomes
    )  # reported as the message's failure, not the batch's
    for m in parked:
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])


def test_budgets_and_webhooks_live_side_by_side(api, company, flow, streams, delivery_queue, receiver):
    """An approval that reserves budget money is still one campaign.approved."""
    make_budget(api, company, amount=1_000_000)
    hook = create(api, company, receiver.url, ["campaign.approved"])
    c = flow.approved(amount=100_000)
    flush(streams, company)
    delivery_queue.pump()
    (event,) = [verified(hook["secret"], r) for r in receiver.received]
    assert event["data"]["budget"]["reserved"] == 100_000 and event["data"]["id"] == c["id"]
