"""Approval policies and chains (分级审批), the approver's queue and the approval card
(chalicelib.logic.approvals, logic.campaigns.approve_campaign)."""

from __future__ import annotations

from chalicelib.domain.pages import PageRequest
from chalicelib.logic import approvals, campaigns, rollups
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    OUTSIDER,
    POLICY,
    PROVINCE,
    REGION,
    REP,
    REP_ZJ,
    WEST,
    ZJ_MANAGER,
    approved,
    budget,
    current,
    draft,
    refused,
    rule,
    submitted,
    trail_actions,
)


def chain(c) -> list[str]:
    return [f"{s.level}:{s.org}" for s in current(c.id).approval.chain]


def queue(who) -> list[tuple[str, str | None]]:
    return [(c.id, acting.id if acting else None) for c, acting in approvals.my_approvals(who, PageRequest()).items]


# -- the policy --------------------------------------------------------------------------------
def test_a_leader_sets_the_policy_and_approvers_read_it():
    # WHEN a leader sets the policy THEN it says who set it, and a manager reads the same levels
    set_by = approvals.set_policy(LEADER, POLICY)
    assert set_by["levels"] == POLICY and set_by["updated_by"] == {"id": LEADER.sub, "name": "Sun Qi"}
    assert approvals.get_policy(REGION)["levels"] == POLICY


def test_without_a_policy_the_company_has_no_levels():
    # GIVEN no policy WHEN a manager reads it THEN no levels, set by nobody
    assert approvals.get_policy(PROVINCE) == {"levels": [], "updated_by": None, "updated_at": None}


def test_only_a_leader_sets_the_policy_and_reps_and_finance_do_not_read_it():
    # WHEN a manager sets it, or a rep or finance reads it THEN 403
    assert refused(approvals.set_policy, REGION, POLICY).answer == (403, "forbidden")
    for who in (REP, FINANCE):
        assert refused(approvals.get_policy, who).answer == (403, "forbidden")


def test_a_policy_whose_levels_do_not_climb_names_each_fault():
    # WHEN the second level's limit is lower and its approver below the first's
    # THEN both faults are named by their place, and no policy is set
    bad = [{"up_to": 100000, "approver": "region"}, {"up_to": 50000, "approver": "province"}]
    r = refused(approvals.set_policy, LEADER, bad)
    assert r.answer == (400, "validation_error")
    assert r.codes == [("levels.1.up_to", "not_increasing"), ("levels.1.approver", "approver_not_higher")]
    assert approvals.get_policy(LEADER)["levels"] == []


# -- the chain fixed at submit ------------------------------------------------------------------
def test_the_chain_climbs_to_the_first_level_that_covers_the_requested_amount():
    # GIVEN province ≤ 1,000 yuan, region ≤ 5,000, then a leader
    # WHEN reps in Jiangsu ask for 500, 2,000 and 6,000 yuan THEN the chain stops at the first level covering it
    approvals.set_policy(LEADER, POLICY)
    assert chain(submitted(requested_amount=50000)) == ["province:CN/EAST/JS"]
    assert chain(submitted(requested_amount=200000)) == ["province:CN/EAST/JS", "region:CN/EAST"]
    assert chain(submitted(requested_amount=600000)) == ["province:CN/EAST/JS", "region:CN/EAST", "leader:CN"]


def test_a_managers_own_application_skips_the_levels_at_or_below_their_office():
    # GIVEN the policy WHEN the province or the region manager applies for 500 yuan
    # THEN their own level (and any below) is skipped: the next office up decides
    approvals.set_policy(LEADER, POLICY)
    assert chain(submitted(owner=PROVINCE, requested_amount=50000)) == ["region:CN/EAST"]
    assert chain(submitted(owner=REGION, requested_amount=50000)) == ["leader:CN"]


def test_a_chain_stays_as_it_was_fixed_when_the_policy_changes_later():
    # GIVEN an application submitted before the company had a policy, WHEN a policy is set
    before = submitted(requested_amount=200000)
    approvals.set_policy(LEADER, POLICY)
    # THEN it still waits for any manager over it, who decides it alone
    assert chain(before) == ["manager:CN/EAST/JS"]
    assert campaigns.approve_campaign(PROVINCE, before.id, 200000, None).status == "approved"


# -- steps -------------------------------------------------------------------------------------
def test_each_step_is_taken_in_order_and_the_last_approves():
    # GIVEN a 2,000-yuan application: province, then region
    approvals.set_policy(LEADER, POLICY)
    c = submitted(requested_amount=200000)
    # WHEN the province manager approves THEN it still waits, now for the region
    step = campaigns.approve_campaign(PROVINCE, c.id, 190000, "fine")
    assert (step.status, step.approved_amount, step.approval.next.level) == ("submitted", None, "region")
    # WHEN the region manager approves THEN it is approved, at the last step's amount
    done = campaigns.approve_campaign(REGION, c.id, 170000, None)
    assert (done.status, done.approved_amount, done.reimbursement_status) == ("approved", 170000, "unlocked")
    assert [s.level for s in done.approval.steps] == ["province", "region"]
    assert trail_actions(c.id) == ["created", "submitted", "approval_step", "approval_step", "approved"]


def test_a_step_belongs_to_the_approver_of_exactly_that_level():
    # GIVEN an application waiting for the Jiangsu province step
    # WHEN the region manager (over it) or Zhejiang's manager (not) takes it THEN 403, and no step is taken
    approvals.set_policy(LEADER, POLICY)
    c = submitted(requested_amount=200000)
    assert refused(campaigns.approve_campaign, REGION, c.id, 100, None).answer == (403, "not_your_step")
    assert refused(campaigns.approve_campaign, ZJ_MANAGER, c.id, 100, None).answer == (403, "forbidden")
    assert current(c.id).approval.steps == ()


def test_a_leader_takes_any_step_and_completes_the_chain():
    # GIVEN a three-step chain WHEN a leader approves first THEN it is approved at once
    approvals.set_policy(LEADER, POLICY)
    c = campaigns.approve_campaign(LEADER, submitted(requested_amount=600000).id, 600000, None)
    assert c.status == "approved" and [s.level for s in c.approval.steps] == ["leader"]


def test_nobody_takes_two_steps_of_one_chain():
    # GIVEN the province manager took the first step WHEN they try the next too THEN 403 already_approved
    approvals.set_policy(LEADER, POLICY)
    c = submitted(requested_amount=200000)
    campaigns.approve_campaign(PROVINCE, c.id, 200000, None)
    assert refused(campaigns.approve_campaign, PROVINCE, c.id, 200000, None).answer == (403, "already_approved")


def test_nobody_approves_their_own_application():
    # GIVEN a manager's own application WHEN they approve it THEN 403 self_approval
    c = submitted(owner=PROVINCE)
    assert refused(campaigns.approve_campaign, PROVINCE, c.id, 100, None).answer == (403, "self_approval")


def test_amounts_only_go_down_along_the_chain():
    # GIVEN a 2,000-yuan application: never above what was asked, nor above the step before
    approvals.set_policy(LEADER, POLICY)
    c = submitted(requested_amount=200000)
    over = refused(campaigns.approve_campaign, PROVINCE, c.id, 200001, None)
    assert over.answer == (400, "validation_error") and over.codes == [("approved_amount", "above_requested")]
    campaigns.approve_campaign(PROVINCE, c.id, 150000, None)
    later = refused(campaigns.approve_campaign, REGION, c.id, 150001, None)
    assert later.codes == [("approved_amount", "above_previous_step")]
    assert campaigns.approve_campaign(REGION, c.id, 150000, None).approved_amount == 150000


def test_without_a_policy_any_manager_over_the_campaign_or_a_leader_decides_it_alone():
    # GIVEN no policy THEN the province or region manager or a leader approves in one step;
    # managers elsewhere and another company's leader may not
    for approver in (PROVINCE, REGION, LEADER):
        assert approved(approver=approver).status == "approved"
    c = submitted()
    for outsider in (WEST, ZJ_MANAGER, OUTSIDER):
        assert refused(campaigns.approve_campaign, outsider, c.id, 100, None).status == 403


def test_an_application_is_approved_once():
    # GIVEN an approved application WHEN a leader approves it again THEN 409
    c = approved()
    assert refused(campaigns.approve_campaign, LEADER, c.id, 1000, None).answer == (409, "invalid_state")


def test_approval_binds_the_campaign_to_the_rules_in_force_at_that_moment():
    # GIVEN an application submitted before a tasting rule existed
    c = submitted()
    rule(scope="category", category="tasting", due_days=5)  # its sweep leaves submitted campaigns be
    # WHEN it is approved THEN the rule binds it: feedback due 5 days after the end, settlement locked
    a = campaigns.approve_campaign(REGION, c.id, 100000, None)
    assert a.rule is not None and a.rule.scope == "category"
    assert (a.feedback_due_date, a.reimbursement_status) == ("2026-11-08", "locked")


def test_of_two_approvers_at_once_on_a_budget_with_room_for_one_the_later_learns_it_was_decided(store, monkeypatch):
    # GIVEN a budget with room for exactly one approval of the campaign
    budget(amount=180000)
    c = submitted()
    real_covering, raced = store.budgets.covering, []

    def covering_while_the_leader_approves(*args):
        found = real_covering(*args)  # the region manager has read the budget (and the campaign) ...
        if not raced:
            raced.append(True)  # ... when the leader's approval of the same campaign lands
            campaigns.approve_campaign(LEADER, c.id, 180000, None)
        return found

    monkeypatch.setattr(store.budgets, "covering", covering_while_the_leader_approves)
    # WHEN the region manager's approval is written THEN they are told the campaign is decided,
    # not that the budget is short (DynamoDB reports the stale campaign first)
    assert refused(campaigns.approve_campaign, REGION, c.id, 180000, None).answer == (409, "invalid_state")
    assert current(c.id).approval.steps[0].by.id == LEADER.sub


# -- the approver's queue ----------------------------------------------------------------------
def test_the_queue_holds_what_waits_for_the_callers_step_oldest_submitted_first():
    # GIVEN two applications waiting for the Jiangsu province step
    approvals.set_policy(LEADER, POLICY)
    first, second = submitted(requested_amount=200000), submitted(requested_amount=80000)
    assert queue(PROVINCE) == [(first.id, None), (second.id, None)]
    assert queue(REGION) == [] and queue(LEADER) == []
    # WHEN the province manager takes the first's step THEN it moves to the region manager's queue
    campaigns.approve_campaign(PROVINCE, first.id, 200000, None)
    assert queue(PROVINCE) == [(second.id, None)] and queue(REGION) == [(first.id, None)]


def test_without_a_policy_every_manager_over_a_campaign_and_the_leaders_see_it_but_not_its_applicant():
    # GIVEN no policy, a rep's application and the province manager's own
    c = submitted()
    own = submitted(owner=PROVINCE)
    assert queue(PROVINCE) == [(c.id, None)]
    assert queue(REGION) == [(c.id, None), (own.id, None)] == queue(LEADER)
    assert queue(WEST) == [] and queue(OUTSIDER) == []


def test_a_queue_pages_and_is_for_approvers_only():
    # GIVEN two applications in the region WHEN its manager reads a page of one, then the rest
    c1, c2 = submitted(), submitted(owner=REP_ZJ)
    first = approvals.my_approvals(REGION, PageRequest(1))
    rest = approvals.my_approvals(REGION, PageRequest(5, first.next_cursor))
    assert [c.id for c, _ in first.items + rest.items] == [c1.id, c2.id]
    assert refused(approvals.my_approvals, REP, PageRequest()).answer == (403, "forbidden")


# -- the approval card -------------------------------------------------------------------------
def test_the_card_shows_the_covering_budget_the_customers_history_and_the_warnings():
    # GIVEN a budget, an earlier approved tasting at the same store, and a new application
    b = budget(amount=500000)
    earlier = approved(amount=100000)
    rollups.apply_campaign_change("E1", None, current(earlier.id))
    c = submitted()
    # WHEN the region manager opens its card THEN budget, history and overlap are on it
    card = approvals.approval_card(REGION, c.id)
    assert card["campaign"].id == c.id and card["acting_for"] is None
    assert card["budget"]["id"] == b.id and card["budget"]["available"] == 400000
    assert card["customer"]["id"] == "SUGUO-XJK" and card["customer"]["summary"]["campaigns"] == 1
    assert card["customer"]["summary"]["approved_amount"] == 100000
    assert [w["campaign_ids"] for w in card["warnings"] if w["code"] == "overlapping_campaign"] == [[earlier.id]]


def test_an_approved_campaigns_card_shows_the_budget_it_reserved_from():
    # GIVEN 1,200 yuan reserved from a 5,000-yuan budget THEN the card shows what is left
    b = budget(amount=500000)
    c = approved(amount=120000)
    assert approvals.approval_card(LEADER, c.id)["budget"] == {
        "id": b.id,
        "org": "CN",
        "period": "2026",
        "category": None,
        "amount": 500000,
        "available": 380000,
    }


def test_a_card_is_for_whoever_decides_the_application():
    # THEN the applicant, managers outside it and the applicant-manager are refused; a draft has none
    c = submitted()
    assert refused(approvals.approval_card, REP, c.id).answer == (403, "forbidden")
    assert refused(approvals.approval_card, WEST, c.id).answer == (403, "forbidden")
    assert refused(approvals.approval_card, REGION, draft().id).answer == (409, "invalid_state")
    assert refused(approvals.approval_card, PROVINCE, submitted(owner=REP_ZJ).id).answer == (403, "forbidden")
    assert refused(approvals.approval_card, PROVINCE, submitted(owner=PROVINCE).id).answer == (403, "forbidden")
