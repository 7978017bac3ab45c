"""The settlement unlock handler (`on_feedback_change`, invoked as Lambda invokes it) keeps the
proposal on the highest submitted revision, capped at the approved amount, however the stream
delivers the records: out of order, twice, and while its own conditional write loses a race to
the next submit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import botocore.client

from chalicelib.config import settings


def revision_records(streams, campaign_id: str) -> dict[int, dict]:
    """The stream's submitted-revision records of a campaign, by revision."""
    out = {}
    for r in streams.feedback_records(campaign_id):
        image = r["dynamodb"].get("NewImage") or {}
        if r["eventName"] == "INSERT" and image.get("status", {}).get("S") == "submitted":
            out[int(image["revision"]["N"])] = r
    return out


def submit(api, company, campaign_id: str, spend: int) -> int:
    r = api.post(
        f"/campaigns/{campaign_id}/feedback/submit", company.rep, {"actual_spend": spend, "actual_sales": 900000}
    )
    assert r.status_code == 200, r.json
    return r.json["revision"]


def test_records_delivered_out_of_order_leave_the_proposal_on_the_highest_revision(api, company, flow, streams):
    # GIVEN three submitted revisions, the last above the approved amount
    flow.rule(scope="all")
    streams.run_rules(company.root)
    c = flow.approved(amount=150000)
    for spend in (90000, 200000, 120000):
        submit(api, company, c["id"], spend)
    records = revision_records(streams, c["id"])
    assert sorted(records) == [1, 2, 3]
    # WHEN the stream delivers them newest first, then the middle one alone
    assert streams.invoke("on_feedback_change", [records[3], records[1]]) == {"batchItemFailures": []}
    assert streams.invoke("on_feedback_change", [records[2]]) == {"batchItemFailures": []}
    # THEN settlement is unlocked on revision 3's spend, not on a superseded one
    after = flow.campaign(c["id"])["reimbursement"]
    assert after["status"] == "unlocked" and after["proposed_amount"] == 120000


def test_every_record_delivered_twice_changes_nothing_the_second_time(api, company, flow, streams):
    c = flow.approved(amount=150000)
    for spend in (90000, 200000):
        submit(api, company, c["id"], spend)
    records = revision_records(streams, c["id"])
    batch = [records[1], records[2], records[1], records[2]]
    assert streams.invoke("on_feedback_change", batch) == {"batchItemFailures": []}
    once = flow.campaign(c["id"])
    assert once["reimbursement"]["proposed_amount"] == 150000  # 200000 capped at the approved amount
    assert streams.invoke("on_feedback_change", batch) == {"batchItemFailures": []}
    assert flow.campaign(c["id"]) == once


@contextmanager
def before_first_put_on(table: str, action: Callable[[], None]) -> Iterator[list[str]]:
    """Run `action` (in another thread, to its end) just before the first write of an item of
    `table` is sent (a PutItem, or a transaction that puts one); yields the error codes those
    calls then got."""
    original = botocore.client.BaseClient._make_api_call
    fired = threading.Event()
    errors: list[str] = []

    def writes_table(operation_name, params) -> bool:
        if operation_name == "PutItem":
            return params.get("TableName") == table
        if operation_name == "TransactWriteItems":
            return any((item.get("Put") or {}).get("TableName") == table for item in params.get("TransactItems", []))
        return False

    def intercept(self, operation_name, params):
        if writes_table(operation_name, params) and not fired.is_set():
            fired.set()
            worker = threading.Thread(target=action)
            worker.start()
            worker.join()
            try:
                return original(self, operation_name, params)
            except botocore.exceptions.ClientError as e:
                errors.append(e.response["Error"]["Code"])
                raise
        return original(self, operation_name, params)

    botocore.client.BaseClient._make_api_call = intercept
    try:
        yield errors
    finally:
        botocore.client.BaseClient._make_api_call = original


def test_a_proposal_write_that_loses_to_the_next_submit_is_decided_again(api, company, flow, streams):
    # GIVEN a locked campaign with revision 1 submitted
    flow.rule(scope="all")
    streams.run_rules(company.root)
    c = flow.approved(amount=150000)
    submit(api, company, c["id"], 90000)
    first = revision_records(streams, c["id"])[1]
    # WHEN revision 2 is submitted between the handler's read of the campaign and its write
    with before_first_put_on(settings().campaigns_table, lambda: submit(api, company, c["id"], 110000)) as lost:
        assert streams.invoke("on_feedback_change", [first]) == {"batchItemFailures": []}
    # THEN the handler's write lost, was decided again on the new campaign, and took effect
    assert lost in (["ConditionalCheckFailedException"], ["TransactionCanceledException"])
    middle = flow.campaign(c["id"])
    assert middle["feedback"]["revision"] == 2
    assert middle["reimbursement"]["status"] == "unlocked"
    # AND once revision 2's record arrives the proposal is on it
    second = revision_records(streams, c["id"])[2]
    assert streams.invoke("on_feedback_change", [second]) == {"batchItemFailures": []}
    assert flow.campaign(c["id"])["reimbursement"]["proposed_amount"] == 110000
