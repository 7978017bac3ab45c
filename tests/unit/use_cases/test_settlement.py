"""Settlement (核销): the gate feedback opens, the amount paid, paying once, and what the
feedback stream does to it (chalicelib.logic.settlement)."""

from __future__ import annotations

import pytest

from chalicelib.logic import campaigns, rules, settlement
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    REGION,
    REP,
    approved,
    budget,
    current,
    fed_back,
    feedback_in,
    figures,
    refused,
    rejected,
    rule,
    submitted,
    trail_actions,
    unlock,
)


# -- the gate ----------------------------------------------------------------------------------
def test_settlement_stays_locked_until_required_feedback_arrives():
    # GIVEN a company rule and an approved campaign THEN settlement is locked and finance is told why
    rule(scope="all")
    c = approved(amount=180000)
    assert c.reimbursement_status == "locked"
    assert refused(settlement.settle, FINANCE, c.id, None, None).answer == (409, "feedback_required")
    # WHEN the feedback arrives and the stream applies it THEN finance pays actual spend, with a note
    feedback_in(c.id, spend=150000)
    assert unlock(c.id) == "unlocked"
    paid = settlement.settle(FINANCE, c.id, None, "paid with November claims")
    assert (paid.reimbursement_status, paid.reimbursed_amount) == ("reimbursed", 150000)
    assert (paid.reimbursed_by, paid.reimbursement_note) == (FINANCE.sub, "paid with November claims")
    assert trail_actions(c.id)[-1] == "reimbursed"


def test_a_rule_created_a_moment_ago_binds_settlement_before_its_sweep():
    # GIVEN an unlocked campaign WHEN a rule for it is created (no sweep yet) THEN finance may not pay it
    c = approved()
    assert c.reimbursement_status == "unlocked"
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id})
    assert refused(settlement.settle, FINANCE, c.id, None, None).answer == (409, "feedback_required")


def test_only_an_approved_campaign_is_settled_and_only_by_finance():
    # GIVEN submitted, rejected and cancelled campaigns THEN 409; others than finance THEN 403
    for c in (submitted(), rejected(), campaigns.cancel_campaign(REP, approved().id, "off")):
        assert refused(settlement.settle, FINANCE, c.id, None, None).answer == (409, "invalid_state")
    c = approved()
    for who in (REP, REGION, LEADER):
        assert refused(settlement.settle, who, c.id, None, None).answer == (403, "forbidden")


# -- the amount ---------------------------------------------------------------------------------
def test_settlement_pays_actual_spend_capped_at_the_approved_amount():
    # GIVEN 1,000 yuan approved and 1,500 spent THEN 1,000 is proposed, and no more may be paid
    c = fed_back(amount=100000, spend=150000)
    assert c.proposed_amount == 100000
    r = refused(settlement.settle, FINANCE, c.id, 100001, None)
    assert r.answer == (400, "validation_error") and r.codes == [("amount", "above_approved")]
    assert settlement.settle(FINANCE, c.id, None, None).reimbursed_amount == 100000


def test_without_feedback_the_approved_amount_is_paid_and_finance_may_pay_less():
    # GIVEN no feedback required nor given THEN the approved amount is paid; finance may name a lower one
    assert settlement.settle(FINANCE, approved(amount=120000).id, None, None).reimbursed_amount == 120000
    assert settlement.settle(FINANCE, fed_back(amount=120000, spend=90000).id, 80000, None).reimbursed_amount == 80000


def test_a_campaign_is_reimbursed_once_and_its_feedback_is_locked_then():
    # GIVEN a paid campaign WHEN finance pays again or the rep submits feedback THEN 409
    c = approved()
    settlement.settle(FINANCE, c.id, None, None)
    assert refused(settlement.settle, FINANCE, c.id, None, None).answer == (409, "already_reimbursed")
    assert refused(feedback_in, c.id).answer == (409, "feedback_locked")


def test_of_settlement_and_cancellation_at_once_exactly_one_wins(store, monkeypatch):
    # GIVEN 1,800 yuan reserved, and the rep withdraws the campaign while finance is settling it
    b = budget(amount=500000)
    c = approved(amount=180000)
    real_get, raced = store.campaigns.get, []

    def read_while_the_rep_cancels(campaign_id):
        found = real_get(campaign_id)
        if not raced:
            raced.append(True)
            campaigns.cancel_campaign(REP, campaign_id, "the store closed")
        return found

    monkeypatch.setattr(store.campaigns, "get", read_while_the_rep_cancels)
    # THEN finance is told it is no longer payable, and the money goes back once, consumed never
    assert refused(settlement.settle, FINANCE, c.id, None, None).answer == (409, "invalid_state")
    after = real_get(c.id)
    assert (after.status, after.reimbursed_amount) == ("cancelled", None)
    assert figures(b.id) == (500000, 0, 0, 0, 500000)


# -- the stream's side: unlocking ----------------------------------------------------------------
def test_unlock_is_idempotent_and_follows_the_highest_revision_whatever_the_order():
    # GIVEN three revisions of required feedback
    rule(scope="all")
    c = approved(amount=180000)
    for spend in (100000, 120000, 170000):
        feedback_in(c.id, spend=spend)
    # the stream delivers revision 3, then 1 and 2 late, then 3 again
    assert settlement.unlock_settlement(c.id, 3, 170000) == "unlocked"
    assert settlement.unlock_settlement(c.id, 1, 100000) == "already_applied"
    assert settlement.unlock_settlement(c.id, 2, 120000) == "already_applied"
    assert settlement.unlock_settlement(c.id, 3, 170000) == "already_applied"
    assert current(c.id).proposed_amount == 170000
    assert trail_actions(c.id).count("settlement_unlocked") == 1


def test_a_later_revision_moves_the_proposal_and_records_nothing_new():
    # GIVEN unlocked settlement WHEN a new revision lowers actual spend THEN the proposal follows, unrecorded
    rule(scope="all")
    c = approved(amount=180000)
    feedback_in(c.id, spend=150000)
    unlock(c.id)
    feedback_in(c.id, spend=90000)
    assert unlock(c.id) == "proposal_updated"
    assert current(c.id).proposed_amount == 90000
    assert trail_actions(c.id)[-2:] == ["settlement_unlocked", "feedback_submitted"]


def test_a_revision_of_a_reimbursed_campaign_changes_nothing():
    # GIVEN a campaign paid before the stream applied its feedback THEN applying it changes nothing
    c = approved()
    feedback_in(c.id, spend=10000)
    settlement.settle(FINANCE, c.id, None, None)
    assert settlement.unlock_settlement(c.id, 1, 10000) == "already_applied"
    assert current(c.id).reimbursed_amount == 10000


def test_a_record_the_campaign_cannot_account_for_fails_so_the_stream_retries_or_parks_it():
    # GIVEN a revision of an unknown campaign, or one the campaign does not know yet THEN it fails loudly
    with pytest.raises(LookupError):
        settlement.unlock_settlement("01UNKNOWN", 1, 100)
    c = approved()
    with pytest.raises(RuntimeError):
        settlement.unlock_settlement(c.id, 1, 100)  # the campaign knows no revision 1 yet


def test_an_unlock_that_loses_a_race_re_reads_and_applies_once(store, monkeypatch):
    # GIVEN the campaign is renamed between the unlock's read and its write
    # THEN the unlock re-reads, applies once, and keeps the new name
    rule(scope="all")
    c = approved()
    feedback_in(c.id, spend=90000)
    real_get = store.campaigns.get
    reads = {"n": 0}

    def get_then_someone_writes(campaign_id):
        found = real_get(campaign_id)
        reads["n"] += 1
        if reads["n"] == 1:  # another writer changes the campaign between our read and write
            other = real_get(campaign_id)
            other.title = "renamed meanwhile"
            store.campaigns.save(other)
        return found

    monkeypatch.setattr(store.campaigns, "get", get_then_someone_writes)
    assert settlement.unlock_settlement(c.id, 1, 90000) == "unlocked"
    after = real_get(c.id)
    assert reads["n"] == 2 and after.proposed_amount == 90000 and after.title == "renamed meanwhile"
    assert trail_actions(c.id).count("settlement_unlocked") == 1


def test_nothing_is_paid_before_the_campaigns_last_day_whatever_the_rules(clock):
    # GIVEN an approved campaign for 28-29 November no rule binds (unlocked), and today the 20th
    c = approved(start_date="2026-11-28", end_date="2026-11-29")
    assert c.reimbursement_status == "unlocked"
    r = refused(settlement.settle, FINANCE, c.id, None, None)
    assert r.answer == (409, "campaign_not_ended") and r.details["ends_on"] == "2026-11-29"
    # WHEN its last day comes THEN finance pays
    clock.set("2026-11-29")
    assert settlement.settle(FINANCE, c.id, None, None).reimbursement_status == "reimbursed"
