"""The stream handlers, fed with real stream records read back from moto."""

from __future__ import annotations

import json

import boto3

from chalicelib.config import settings
from chalicelib.dal.models import FeedbackModel


def test_a_batch_delivered_twice_has_no_second_effect(api, company, flow, streams):
    flow.rule(scope="all")
    streams.run_rules(company.root)
    c = flow.approved(amount=150000)
    flow.submit_feedback(c["id"], actual_spend=100000)
    records = streams.feedback_records(c["id"])
    assert streams.invoke("on_feedback_change", records) == {"batchItemFailures": []}
    once = flow.campaign(c["id"])
    assert once["reimbursement"]["status"] == "unlocked" and once["reimbursement"]["proposed_amount"] == 100000
    # WHEN the same batch arrives again (a retry, or a replay from TRIM_HORIZON)
    assert streams.invoke("on_feedback_change", records) == {"batchItemFailures": []}
    # THEN nothing changes, not even the update time
    assert flow.campaign(c["id"]) == once


def test_an_old_revision_replayed_after_a_newer_one_does_not_roll_back_the_proposal(api, company, flow, streams):
    c = flow.approved(amount=150000)
    flow.submit_feedback(c["id"], actual_spend=90000)
    flow.submit_feedback(c["id"], actual_spend=120000)
    records = streams.feedback_records(c["id"])
    first, second = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"].startswith("rev#")]
    streams.invoke("on_feedback_change", [second])
    streams.invoke("on_feedback_change", [first])
    assert flow.campaign(c["id"])["reimbursement"]["proposed_amount"] == 120000


def test_a_poison_record_fails_alone_is_parked_whole_and_does_not_block_the_others(api, company, flow, streams):
    # GIVEN a locked campaign with submitted feedback, and a revision naming a campaign that does not exist
    flow.rule(scope="all")
    streams.run_rules(company.root)
    c = flow.approved()
    flow.submit_feedback(c["id"])
    ghost = f"GHOST-{company.root}"
    FeedbackModel(
        ghost,
        "rev#000001",
        status="submitted",
        revision=1,
        author_id="x",
        actual_spend=1,
        created_at="2026-11-01T00:00:00Z",
        updated_at="2026-11-01T00:00:00Z",
    ).save()
    poison = streams.feedback_records(ghost)
    good = streams.feedback_records(c["id"])
    # WHEN both arrive in one batch, the poison record first
    payload = streams.invoke("on_feedback_change", poison + good)
    # THEN only the poison record is reported failed
    assert payload == {"batchItemFailures": [{"itemIdentifier": poison[0]["dynamodb"]["SequenceNumber"]}]}
    # AND the records behind it took effect
    assert flow.campaign(c["id"])["reimbursement"]["status"] == "unlocked"
    # AND the poison record is kept whole in S3 for replay
    obj = boto3.client("s3").get_object(
        Bucket=settings().attachments_bucket, Key=f"dead-letters/feedback-stream/{poison[0]['eventID']}.json"
    )
    parked = json.loads(obj["Body"].read())
    assert parked["record"]["dynamodb"]["Keys"]["campaign_id"]["S"] == ghost
    assert "LookupError" in parked["error"]


def test_drafts_do_not_unlock_settlement(api, company, flow, streams):
    flow.rule(scope="all")
    streams.run_rules(company.root)
    c = flow.approved()
    api.put(f"/campaigns/{c['id']}/feedback", company.rep, {"actual_spend": 5, "actual_sales": 9})
    assert streams.deliver_feedback(c["id"]) == {"batchItemFailures": []}
    assert flow.campaign(c["id"])["reimbursement"]["status"] == "locked"
