"""Business rules of a campaign's life, with no I/O."""

import pytest

from chalicelib.domain.campaign import (
    Campaign,
    RuleRef,
    check_can_settle,
    check_feedback_editable,
    check_plan,
    days_overdue,
    feedback_due_date,
    feedback_kind,
    feedback_status,
    most_specific_rule,
    proposed_amount,
    settlement_amount,
    settlement_gate,
)
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.ids import new_id


def campaign(**kw) -> Campaign:
    base = dict(
        id="C1",
        org="CN/EAST/JS",
        owner_id="u1",
        owner_name="Li",
        title="t",
        category="tasting",
        customer_id="K1",
        customer_name="k",
        start_date="2026-11-01",
        end_date="2026-11-03",
        expected_spend=100,
        expected_sales=500,
        requested_amount=100,
        created_at="x",
        updated_at="x",
    )
    base.update(kw)
    return Campaign(**base)


def test_campaign_rule_beats_category_rule_beats_all():
    own, cat, every = RuleRef("R3", "campaign", 3), RuleRef("R2", "category", 5), RuleRef("R1", "all", 9)
    assert most_specific_rule(own, cat, every) == own
    assert most_specific_rule(None, cat, every) == cat
    assert most_specific_rule(None, None, every) == every
    assert most_specific_rule(None, None, None) is None


def test_among_rules_of_one_scope_the_newest_wins():
    older, newer = RuleRef(new_id(1000), "category", 3), RuleRef(new_id(2000), "category", 10)
    assert most_specific_rule(older, newer) == newer


def test_due_date_is_end_date_plus_due_days():
    assert feedback_due_date("2026-12-30", 7) == "2027-01-06"
    c = campaign(rule=RuleRef("R", "all", 7))
    assert c.feedback_due_date == "2026-11-10"


def test_feedback_status_ages_from_pending_to_overdue_and_ends_submitted():
    c = campaign(rule=RuleRef("R", "all", 7))
    assert feedback_status(c, today="2026-11-10") == "pending"
    assert feedback_status(c, today="2026-11-11") == "overdue"
    assert days_overdue(c.feedback_due_date, "2026-11-14") == 4
    c.feedback_revision = 1
    assert feedback_status(c, today="2026-11-30") == "submitted"
    assert feedback_status(campaign(), today="2026-11-30") == "not_required"


def test_settlement_is_locked_only_while_required_feedback_is_missing():
    c = campaign(status="approved", approved_amount=100, rule=RuleRef("R", "all", 7))
    assert settlement_gate(c) == "locked"
    c.feedback_revision = 1
    assert settlement_gate(c) == "unlocked"
    assert settlement_gate(campaign(status="approved", approved_amount=100)) == "unlocked"
    assert settlement_gate(campaign(status="submitted")) == "not_eligible"


def test_settlement_pays_actual_spend_never_above_the_approved_amount():
    assert proposed_amount(actual_spend=80, approved_amount=100) == 80
    assert proposed_amount(actual_spend=130, approved_amount=100) == 100
    assert proposed_amount(actual_spend=None, approved_amount=100) == 100
    c = campaign(status="approved", approved_amount=100, actual_spend=90, reimbursement_status="unlocked")
    assert settlement_amount(c, None) == 90
    assert settlement_amount(c, 60) == 60
    with pytest.raises(InvalidInput):
        settlement_amount(c, 101)


@pytest.mark.parametrize(
    "status,reimbursement,code",
    [
        ("submitted", "not_eligible", "invalid_state"),
        ("approved", "locked", "feedback_required"),
        ("approved", "reimbursed", "already_reimbursed"),
    ],
)
def test_settling_refuses_with_the_contract_code(status, reimbursement, code):
    with pytest.raises(Conflict) as err:
        check_can_settle(campaign(status=status, approved_amount=1, reimbursement_status=reimbursement), "2026-12-06")
    assert err.value.code == code


@pytest.mark.parametrize("reimbursement", ["unlocked", "locked"])
def test_nothing_is_paid_before_the_campaign_has_ended_whatever_the_rules_say(reimbursement):
    """A tasting on 12-12..12-13 approved on 12-06 cannot be settled on 12-06 (nor 12-12), even
    when no rule asks for feedback; on its last day it can."""
    c = campaign(
        status="approved",
        approved_amount=1,
        reimbursement_status=reimbursement,
        start_date="2026-12-12",
        end_date="2026-12-13",
    )
    for today in ("2026-12-06", "2026-12-12"):
        with pytest.raises(Conflict) as err:
            check_can_settle(c, today)
        assert (err.value.code, err.value.details) == ("campaign_not_ended", {"ends_on": "2026-12-13"})
    if reimbursement == "unlocked":
        check_can_settle(c, "2026-12-13")


def test_feedback_is_editable_from_approval_until_reimbursement():
    with pytest.raises(Conflict) as err:
        check_feedback_editable(campaign(status="submitted"))
    assert err.value.code == "invalid_state"
    with pytest.raises(Conflict) as err:
        check_feedback_editable(campaign(status="approved", reimbursement_status="reimbursed"))
    assert err.value.code == "feedback_locked"
    check_feedback_editable(campaign(status="approved", reimbursement_status="unlocked"))


def test_feedback_is_passive_when_required_and_active_otherwise():
    assert feedback_kind(campaign(rule=RuleRef("R", "all", 7))) == "passive"
    assert feedback_kind(campaign()) == "active"


def test_plan_validation_names_each_field():
    with pytest.raises(InvalidInput) as err:
        check_plan("2026-11-05", "2026-11-01", "skydiving", ("tasting",))
    assert {e["field"] for e in err.value.errors} == {"end_date", "category"}


def test_ids_sort_by_creation_time():
    assert new_id(1_000) < new_id(2_000) and len(new_id()) == 26
