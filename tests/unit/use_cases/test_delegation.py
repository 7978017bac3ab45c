"""Delegation (代理审批): a manager or leader lets a colleague take their steps on given
Asia/Shanghai days (chalicelib.logic.approvals, logic.campaigns.approve_campaign)."""

from __future__ import annotations

from chalicelib.dal import repos
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import approvals, campaigns, history
from tests.unit.use_cases.builders import (
    LEADER,
    POLICY,
    PROVINCE,
    REGION,
    REP,
    WEST,
    ZJ_MANAGER,
    current,
    refused,
    submitted,
)


def delegate(delegator=PROVINCE, to=ZJ_MANAGER, start="2026-11-20", until="2026-11-23"):
    return approvals.set_delegation(delegator, to.sub, to.name, start, until)


def with_province_step():
    """A campaign whose chain's first step is the province manager's (CN/EAST/JS)."""
    approvals.set_policy(LEADER, POLICY)
    return submitted(requested_amount=50000)


# -- managing one's delegation ----------------------------------------------------------------
def test_a_manager_delegates_and_reads_back_who_acts_for_them_and_when():
    # WHEN the province manager lets Zhejiang's manager act for them 20-23 November THEN they read it back
    delegate()
    d = approvals.get_delegation(PROVINCE)
    assert d.as_dict() == {
        "delegator": {"id": PROVINCE.sub, "name": "Zhang San", "role": "manager", "org": "CN/EAST/JS"},
        "to": {"id": ZJ_MANAGER.sub, "name": "Chen Er"},
        "from": "2026-11-20",
        "until": "2026-11-23",
    }


def test_a_new_delegation_replaces_the_old_one_and_a_withdrawn_one_is_gone():
    # GIVEN an application waiting for the province step WHEN its manager delegates to Zhejiang's
    # manager, then to the region manager THEN the second replaces the first (one per delegator)
    c = with_province_step()
    delegate(to=ZJ_MANAGER)
    delegate(to=REGION)
    assert approvals.get_delegation(PROVINCE).to.id == REGION.sub
    assert approvals.my_approvals(ZJ_MANAGER, PageRequest()).items == []
    assert [(x.id, acting.id) for x, acting in approvals.my_approvals(REGION, PageRequest()).items] == [
        (c.id, PROVINCE.sub)
    ]
    # WHEN it is withdrawn THEN the region manager acts for nobody, and there is none to read or withdraw
    approvals.delete_delegation(PROVINCE)
    assert approvals.my_approvals(REGION, PageRequest()).items == []
    assert refused(approvals.get_delegation, PROVINCE).answer == (404, "not_found")
    assert refused(approvals.delete_delegation, PROVINCE).answer == (404, "not_found")


def test_a_delegation_ending_today_is_valid_and_one_entirely_past_is_refused():
    # GIVEN today is 20 November (Shanghai)
    assert delegate(start="2026-11-18", until="2026-11-20").until_day == "2026-11-20"
    r = refused(delegate, start="2026-11-18", until="2026-11-19")
    assert r.answer == (400, "validation_error") and r.codes == [("until", "in_the_past")] and "2026-11-20" in r.message


def test_days_are_shanghai_days_even_while_the_utc_date_is_still_yesterday(clock):
    # GIVEN 01:30 on 21 November in Shanghai, 17:30 on the 20th in UTC
    clock.set("2026-11-21", hour=1, minute=30)
    # THEN a delegation that ended on the 20th is in the past
    assert refused(delegate, start="2026-11-19", until="2026-11-20").codes == [("until", "in_the_past")]
    # AND one that starts on the 21st is in force already
    c = with_province_step()
    delegate(start="2026-11-21", until="2026-11-21")
    step = campaigns.approve_campaign(ZJ_MANAGER, c.id, 50000, None)
    assert step.approval.steps[0].acting_for.id == PROVINCE.sub


def test_a_delegation_names_every_fault():
    # WHEN a manager delegates to themselves with a malformed end date, or ends before starting,
    # or a rep delegates THEN each fault is named, and the rep is refused
    r = refused(approvals.set_delegation, PROVINCE, PROVINCE.sub, "me", "2026-11-25", "2026-11-2")
    assert r.codes == [("to.id", "self_delegation"), ("until", "not_a_date")]
    assert refused(delegate, start="2026-11-25", until="2026-11-24").codes == [("until", "end_before_start")]
    assert refused(delegate, delegator=REP).answer == (403, "forbidden")


# -- acting for the delegator -------------------------------------------------------------------
def test_the_delegate_takes_the_delegators_step_and_the_record_says_for_whom():
    # GIVEN an application waiting for the province step, and the province manager's delegation
    c = with_province_step()
    delegate()
    # WHEN the delegate approves THEN the step and the trail record by whom and for whom
    done = campaigns.approve_campaign(ZJ_MANAGER, c.id, 50000, "for Zhang San")
    step = done.approval.steps[0]
    assert done.status == "approved" and (step.by.id, step.acting_for.id) == (ZJ_MANAGER.sub, PROVINCE.sub)
    actor = repos.audit().entries(c.id)[-1]["actor"]
    assert actor["id"] == ZJ_MANAGER.sub and actor["acting_for"] == {"id": PROVINCE.sub, "name": "Zhang San"}


def test_the_delegate_finds_the_delegators_work_in_their_queue_and_card():
    # GIVEN an application waiting for the province step, and the province manager's delegation
    c = with_province_step()
    delegate()
    assert [(x.id, acting.id) for x, acting in approvals.my_approvals(ZJ_MANAGER, PageRequest()).items] == [
        (c.id, PROVINCE.sub)
    ]
    assert approvals.approval_card(ZJ_MANAGER, c.id)["acting_for"] == {"id": PROVINCE.sub, "name": "Zhang San"}
    # the delegate reads the application while it waits for them, and no longer once it is decided
    assert history.trail(ZJ_MANAGER, c.id, PageRequest())[2] is True
    campaigns.approve_campaign(PROVINCE, c.id, 50000, None)
    assert refused(history.trail, ZJ_MANAGER, c.id, PageRequest()).answer == (403, "forbidden")


def test_a_delegation_not_yet_in_force_lends_nothing():
    # GIVEN a delegation from tomorrow THEN today the delegate has nothing in their queue and may not approve
    c = with_province_step()
    delegate(start="2026-11-21", until="2026-11-25")
    assert approvals.my_approvals(ZJ_MANAGER, PageRequest()).items == []
    assert refused(campaigns.approve_campaign, ZJ_MANAGER, c.id, 50000, None).answer == (403, "forbidden")


def test_acting_for_someone_who_delegated_nothing_is_not_your_step():
    # WHEN the region manager approves "for" the West's manager, who delegated nothing THEN 403
    c = with_province_step()
    r = refused(campaigns.approve_campaign, REGION, c.id, 50000, None, acting_for=WEST.sub)
    assert r.answer == (403, "not_your_step")


def test_acting_for_is_chosen_explicitly_when_the_delegate_has_a_right_of_their_own():
    # GIVEN the region manager may decide in their own right and holds the province manager's delegation
    # WHEN they approve naming the delegator THEN the step is recorded as taken for them
    c = submitted()  # no policy: the region manager may decide it in their own right too
    delegate(to=REGION)
    done = campaigns.approve_campaign(REGION, c.id, 1000, None, acting_for=PROVINCE.sub)
    assert done.approval.steps[0].acting_for.id == PROVINCE.sub


def test_nobody_approves_the_delegators_own_application_in_the_delegators_name():
    # GIVEN the province manager's own application and their delegation to the region manager
    own = submitted(owner=PROVINCE)
    delegate(to=REGION)
    r = refused(campaigns.approve_campaign, REGION, own.id, 1000, None, acting_for=PROVINCE.sub)
    assert r.answer == (403, "self_approval")
    assert campaigns.approve_campaign(REGION, own.id, 1000, None).status == "approved"  # in their own right


def test_nobody_approves_their_own_application_with_a_delegators_authority():
    # GIVEN Zhejiang's manager applies and holds a leader's delegation WHEN they approve their own as the leader
    own = submitted(owner=ZJ_MANAGER)
    approvals.set_delegation(LEADER, ZJ_MANAGER.sub, ZJ_MANAGER.name, "2026-11-20", "2026-11-20")
    r = refused(campaigns.approve_campaign, ZJ_MANAGER, own.id, 1000, None, acting_for=LEADER.sub)
    assert r.answer == (403, "self_approval")


def test_a_step_taken_for_a_delegator_counts_as_the_delegates_own_step_too():
    # GIVEN a province-then-region chain and the province manager's delegation to the region manager
    # WHEN the region manager takes the province step for them, then tries the region step THEN 403
    approvals.set_policy(LEADER, POLICY)
    c = submitted(requested_amount=200000)  # province, then region
    delegate(to=REGION)
    campaigns.approve_campaign(REGION, c.id, 200000, None, acting_for=PROVINCE.sub)
    assert refused(campaigns.approve_campaign, REGION, c.id, 200000, None).answer == (403, "already_approved")
    assert current(c.id).status == "submitted"
