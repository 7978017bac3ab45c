"""What the tables' streams hand to the use cases (an item's image, DynamoDB JSON, as a stream
record carries it), the records that cannot be applied, and retry-safe requests
(chalicelib.logic.settlement.feedback_inserted, rules.rules_item_changed,
rollups.campaign_item_changed, dead_letters, idempotency)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.dal import repos
from chalicelib.dal.objects import dead_letter_key
from chalicelib.logic import campaigns, dead_letters, evaluation, feedback, idempotency, rollups, rules, settlement
from tests.unit.use_cases.builders import (
    LEADER,
    REGION,
    REP,
    approved,
    current,
    feedback_in,
    refused,
    submitted,
)


def campaign_image(campaign_id: str) -> dict[str, Any]:
    from chalicelib.dal.campaigns import to_model

    return to_model(current(campaign_id)).serialize()


def feedback_image(campaign_id: str, draft: bool = False) -> dict[str, Any]:
    from chalicelib.dal.feedback import DRAFT, revision_key
    from chalicelib.dal.models import FeedbackModel

    report = repos.feedback().draft(campaign_id) if draft else repos.feedback().latest_submitted(campaign_id)
    assert report is not None
    sk = DRAFT if draft else revision_key(report.revision)
    values = {k: v for k, v in vars(report).items() if k != "campaign_id"}
    return FeedbackModel(campaign_id, sk, **values).serialize()


def rule_image(rule) -> dict[str, Any]:
    from chalicelib.dal.rules import to_model

    return to_model(rule).serialize()


def sweep_image(rule, change: str = "created", done: bool = False) -> dict[str, Any]:
    """A sweep's progress item as the rules table stores it, as its stream record carries it."""
    from chalicelib.dal.rules import sweep_item

    item = sweep_item(rule, change)
    item.sweep_done = done
    return item.serialize()


# -- the feedback stream ------------------------------------------------------------------------
def test_a_submitted_revision_in_the_feedback_stream_unlocks_settlement_and_a_draft_changes_nothing():
    # GIVEN required feedback submitted, and a new draft written after it
    rules.create_rule(LEADER, {"scope": "all"})
    c = approved(amount=180000)
    feedback_in(c.id, spend=120000)
    feedback.save_draft(REP, c.id, {"actual_spend": 1})
    # WHEN the stream delivers the draft THEN nothing happens; WHEN it delivers the revision THEN unlocked
    assert settlement.feedback_inserted(feedback_image(c.id, draft=True)) is None
    assert current(c.id).reimbursement_status == "locked"
    assert settlement.feedback_inserted(feedback_image(c.id)) == "unlocked"
    assert current(c.id).proposed_amount == 120000


# -- the rules stream ---------------------------------------------------------------------------
def test_a_rule_in_the_rules_stream_starts_its_sweep_and_each_sweep_record_runs_a_page(store):
    # GIVEN an approved tasting WHEN a tasting rule's insert arrives THEN its sweep starts, no page yet
    c = approved()
    made = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    assert rules.rules_item_changed("created", rule_image(made)) is None
    assert store.rules.sweep(made.id, "created") is not None and current(c.id).rule is None
    # WHEN the sweep's own record arrives THEN it runs a page: the campaign is now bound
    assert rules.rules_item_changed("created", sweep_image(made)) == 1
    assert current(c.id).reimbursement_status == "locked"


def test_a_modified_rule_a_finished_sweep_and_a_removed_sweep_item_run_nothing(store):
    # GIVEN a rule WHEN its item is modified, or its sweep's item says done or is removed THEN no page runs
    made = rules.create_rule(LEADER, {"scope": "all"})
    assert rules.rules_item_changed("modified", rule_image(made)) is None
    assert store.rules.sweep(made.id, "created") is None
    approved()
    assert rules.rules_item_changed("modified", sweep_image(made, done=True)) is None
    assert rules.rules_item_changed("deleted", sweep_image(made)) is None


# -- the campaigns stream -----------------------------------------------------------------------
def test_a_campaign_change_in_the_campaigns_stream_moves_the_figures_once():
    # GIVEN a submitted application, then its approval, as the stream's old and new images
    c = submitted()
    old = campaign_image(c.id)
    campaigns.approve_campaign(REGION, c.id, 180000, None)
    new = campaign_image(c.id)
    # WHEN the record is delivered twice THEN the summary counts the approval once
    assert rollups.campaign_item_changed("E1", old, new) == "applied"
    assert rollups.campaign_item_changed("E1", old, new) == "duplicate"
    row = evaluation.summary(LEADER, "category", "2026-11", "2026-11")["items"][0]
    assert (row["campaigns"], row["approved_amount"]) == (1, 180000)
    # AND a record without images (an expired item, say) moves nothing
    assert rollups.campaign_item_changed("E2", None, None) == "unchanged"


# -- records that cannot be applied --------------------------------------------------------------
def test_a_record_that_cannot_be_applied_is_kept_whole_once_per_event(store):
    # WHEN a feedback record naming an unknown campaign fails THEN it is kept whole, under its event id
    record = {"eventID": "ev-1", "dynamodb": {"Keys": {"campaign_id": {"S": "C1"}}}}
    key = dead_letters.park_failed_record("feedback", record, LookupError("campaign C1 does not exist"))
    assert key == dead_letter_key("feedback", "ev-1")
    kept = json.loads(store.tables.objects[(store.objects.bucket, key)][0])
    assert kept == {"source": "feedback", "error": "LookupError: campaign C1 does not exist", "record": record}
    assert dead_letters.park_failed_record("feedback", record, LookupError("again")) == key  # the same object


# -- retry-safe requests ---------------------------------------------------------------------------
def test_a_retried_request_gets_the_first_answer_and_changes_nothing():
    # GIVEN an application sent with an Idempotency-Key WHEN it is sent again THEN the first answer, one campaign
    made: list[str] = []

    def respond() -> dict[str, Any]:
        made.append(campaigns.create_campaign(REP, _body()).id)
        return {"status": 201, "body": {"id": made[-1]}}

    first = idempotency.run_once(REP.sub, "POST /campaigns", "k1", _body(), respond)
    again = idempotency.run_once(REP.sub, "POST /campaigns", "k1", _body(), respond)
    assert again == first and len(made) == 1
    # another caller, route or key is another request
    idempotency.run_once(REGION.sub, "POST /campaigns", "k1", _body(), respond)
    idempotency.run_once(REP.sub, "POST /campaigns", "k2", _body(), respond)
    assert len(made) == 3


def test_the_same_key_with_another_body_is_refused():
    # GIVEN a key used for one application WHEN it comes back with another body THEN 409
    idempotency.run_once(REP.sub, "POST /campaigns", "k1", _body(), lambda: {"status": 201, "body": {}})
    r = refused(idempotency.run_once, REP.sub, "POST /campaigns", "k1", _body(title="x"), lambda: {"status": 201})
    assert r.answer == (409, "idempotency_key_reused")


def test_a_refused_request_is_not_remembered_so_a_corrected_retry_goes_through():
    # GIVEN a request refused under a key WHEN it is corrected and sent with the same key THEN it goes through
    def refuse() -> dict[str, Any]:
        campaigns.create_campaign(REP, _body(category="snacks"))  # refused: no such category
        return {"status": 201}

    r = refused(idempotency.run_once, REP.sub, "POST /campaigns", "k1", _body(), refuse)
    assert r.codes == [("category", "unknown_category")]
    assert idempotency.run_once(REP.sub, "POST /campaigns", "k1", _body(), lambda: {"status": 201}) == {"status": 201}


def _body(**overrides: Any) -> dict[str, Any]:
    from tests.unit.use_cases.builders import application

    return application(**overrides)
