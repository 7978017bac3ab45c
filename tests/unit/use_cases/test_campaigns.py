"""Applications: create, edit, submit, reject, cancel, list, warnings, who sees what, and the
audit trail every change leaves (chalicelib.logic.campaigns, logic.history)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.dal import repos
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.search import CampaignFilters
from chalicelib.logic import campaigns, evaluation, history, visibility
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    OUTSIDER,
    PROVINCE,
    REGION,
    REP,
    REP_WEST,
    REP_ZJ,
    WEST,
    application,
    approved,
    current,
    draft,
    feedback_in,
    refused,
    reimbursed,
    rejected,
    rule,
    submitted,
    trail_actions,
)


def ids(page) -> list[str]:
    return [c.id for c in page.items]


def overlap_warning(c) -> list[str] | None:
    found = [w for w in visibility.warnings(current(c.id)) if w["code"] == "overlapping_campaign"]
    return found[0]["campaign_ids"] if found else None


# -- create ------------------------------------------------------------------------------------
def test_an_application_starts_as_the_reps_draft_under_the_rule_in_force():
    # GIVEN the company requires feedback for every campaign
    rule(scope="all", due_days=10)
    # WHEN a rep applies
    c = draft()
    # THEN it is their draft, in their org, already bound by the rule, and its trail begins
    assert (c.status, c.owner_id, c.org, c.owner_name) == ("draft", REP.sub, REP.org, "Li Lei")
    assert c.rule is not None and c.rule.scope == "all" and c.feedback_due_date == "2026-11-13"
    assert trail_actions(c.id) == ["created"]


def test_an_application_names_every_field_at_fault_at_once():
    # WHEN a rep applies with the end before the start and a category nobody uses
    r = refused(
        campaigns.create_campaign, REP, application(start_date="2026-11-05", end_date="2026-11-01", category="x")
    )
    # THEN both fields are named in one answer, and nothing is stored
    assert r.answer == (400, "validation_error")
    assert sorted(r.codes) == [("category", "unknown_category"), ("end_date", "end_before_start")]
    assert campaigns.list_campaigns(LEADER, CampaignFilters(), PageRequest()).items == []


def test_only_reps_and_managers_apply():
    # WHEN a leader or finance applies THEN they are refused
    for who in (LEADER, FINANCE):
        assert refused(campaigns.create_campaign, who, application()).answer == (403, "forbidden")


# -- edit --------------------------------------------------------------------------------------
def test_the_owner_edits_a_draft_and_the_trail_records_what_changed():
    # GIVEN a draft WHEN its owner changes the title and the planned spend
    c = draft()
    edited = campaigns.update_campaign(REP, c.id, {"title": "Saturday tasting", "plan": {"expected_spend": 150000}})
    # THEN the draft says so, and its trail records exactly those two changes
    assert (edited.title, edited.expected_spend) == ("Saturday tasting", 150000)
    entry = repos.audit().entries(c.id)[-1]
    assert entry["action"] == "edited"
    assert entry["changes"] == {
        "title": ["Weekend tasting at Suguo Xinjiekou", "Saturday tasting"],
        "expected_spend": [200000, 150000],
    }


def test_an_edit_that_changes_nothing_records_nothing():
    # GIVEN a draft WHEN it is saved as it is THEN its trail has no "edited" entry
    c = draft()
    campaigns.update_campaign(REP, c.id, {"title": c.title})
    assert trail_actions(c.id) == ["created"]


def test_an_edit_is_checked_as_a_whole_application():
    # GIVEN a draft running 1-3 November WHEN only its end moves before its start
    c = draft()
    r = refused(campaigns.update_campaign, REP, c.id, {"end_date": "2026-10-01"})
    # THEN the end date is named and the draft is unchanged
    assert r.answer == (400, "validation_error") and r.codes == [("end_date", "end_before_start")]
    assert current(c.id).end_date == "2026-11-03"


def test_moving_a_draft_to_another_category_brings_that_categorys_rule():
    # GIVEN a rule for displays and a tasting draft it does not cover
    rule(scope="category", category="display", due_days=3)
    c = draft()
    assert c.rule is None
    # WHEN the draft becomes a display THEN the display rule binds it
    moved = campaigns.update_campaign(REP, c.id, {"category": "display"})
    assert moved.rule is not None and moved.rule.scope == "category" and moved.feedback_due_date == "2026-11-06"


def test_only_a_draft_is_edited_and_only_by_its_owner():
    # GIVEN a rep's draft: their manager may not edit it; once submitted, nobody may
    c = draft()
    assert refused(campaigns.update_campaign, PROVINCE, c.id, {"title": "mine now"}).answer == (403, "forbidden")
    campaigns.submit_campaign(REP, c.id)
    assert refused(campaigns.update_campaign, REP, c.id, {"title": "late"}).answer == (409, "not_editable")


# -- submit ------------------------------------------------------------------------------------
def test_submitting_makes_an_application_wait_for_approval():
    # WHEN a rep submits a draft (no approval policy) THEN it waits for any manager over its org
    c = submitted()
    assert (c.status, c.submitted_at is not None) == ("submitted", True)
    assert trail_actions(c.id) == ["created", "submitted"]
    assert repos.audit().entries(c.id)[-1]["changes"]["approval_chain"] == [None, ["manager:CN/EAST/JS"]]


def test_only_the_owner_submits_and_only_once():
    # GIVEN a rep's draft: their manager may not submit it, and the rep only once
    c = draft()
    assert refused(campaigns.submit_campaign, REGION, c.id).answer == (403, "forbidden")
    campaigns.submit_campaign(REP, c.id)
    assert refused(campaigns.submit_campaign, REP, c.id).answer == (409, "invalid_state")


# -- reject ------------------------------------------------------------------------------------
def test_a_rejected_application_keeps_the_reason_and_cannot_be_approved():
    # WHEN the region manager rejects an application THEN the reason is kept and recorded
    c = rejected()
    assert (c.status, c.decision_comment, c.decided_by) == ("rejected", "not this month", REGION.sub)
    assert repos.audit().entries(c.id)[-1]["changes"]["comment"] == [None, "not this month"]
    # AND it can no longer be approved
    assert refused(campaigns.approve_campaign, REGION, c.id, 100, None).answer == (409, "invalid_state")


def test_nobody_rejects_their_own_application_nor_one_outside_their_subtree():
    # GIVEN a manager's own application, and a rep's in Jiangsu
    mine = submitted(owner=PROVINCE)
    assert refused(campaigns.reject_campaign, PROVINCE, mine.id, "no").answer == (403, "self_approval")
    theirs = submitted()
    assert refused(campaigns.reject_campaign, WEST, theirs.id, "no").answer == (403, "forbidden")
    assert refused(campaigns.reject_campaign, REP, theirs.id, "no").answer == (403, "forbidden")


# -- cancel ------------------------------------------------------------------------------------
def test_the_owner_withdraws_an_application_in_any_open_state():
    # GIVEN a draft, a submitted and an approved application WHEN the rep withdraws each
    # THEN each is cancelled with the reason, settlement is out of the question, and the trail says so
    for make in (draft, submitted, approved):
        c = campaigns.cancel_campaign(REP, make().id, "plans changed")
        assert (c.status, c.cancel_reason, c.cancelled_by) == ("cancelled", "plans changed", REP.sub)
        assert c.reimbursement_status == "not_eligible" and trail_actions(c.id)[-1] == "cancelled"


def test_an_approver_over_a_campaign_cancels_it_and_nobody_else_does():
    # GIVEN an approved campaign in Jiangsu: managers elsewhere, another rep, finance and
    # another company may not cancel it; the province manager may
    c = approved()
    for who in (WEST, REP_ZJ, FINANCE, OUTSIDER):
        assert refused(campaigns.cancel_campaign, who, c.id, "no").status == 403
    assert campaigns.cancel_campaign(PROVINCE, c.id, "duplicate").status == "cancelled"


def test_a_reimbursed_or_closed_campaign_is_not_cancelled():
    # GIVEN a paid, a rejected and a cancelled campaign WHEN the rep cancels THEN 409
    for c in (reimbursed(), rejected(), campaigns.cancel_campaign(REP, draft().id, "x")):
        assert refused(campaigns.cancel_campaign, REP, c.id, "again").answer == (409, "invalid_state")


# -- duplicate-application warnings -----------------------------------------------------------------
def test_an_application_overlapping_another_for_the_same_customer_and_category_is_flagged():
    # GIVEN two tastings at the same store, 1-3 and 3-5 November THEN each warns of the other
    first = submitted()
    second = submitted(start_date="2026-11-03", end_date="2026-11-05")
    assert overlap_warning(second) == [first.id] and overlap_warning(first) == [second.id]


def test_drafts_closed_applications_and_other_categories_raise_no_warning():
    # GIVEN a rejected and a withdrawn tasting, and a display, at the same store on the same days
    rejected()
    campaigns.cancel_campaign(REP, submitted().id, "withdrawn")
    submitted(category="display")
    # WHEN another tasting is drafted, then submitted THEN neither warns
    later = draft()
    assert overlap_warning(later) is None  # a draft is not an application yet
    assert overlap_warning(campaigns.submit_campaign(REP, later.id)) is None


def test_a_warning_informs_and_never_blocks():
    # GIVEN two overlapping applications WHEN the second is approved THEN it is
    submitted()
    second = submitted()
    assert campaigns.approve_campaign(REGION, second.id, 1000, None).status == "approved"


# -- lists and visibility ---------------------------------------------------------------------------
def test_each_role_lists_the_campaigns_of_its_scope():
    # GIVEN applications in Jiangsu, Zhejiang and Sichuan
    mine = submitted()
    zj = submitted(owner=REP_ZJ)
    west = submitted(owner=REP_WEST)
    everyone = PageRequest()
    # THEN the rep lists their own, a manager their subtree, finance the company, another company none
    assert set(ids(campaigns.list_campaigns(REP, CampaignFilters(), everyone))) == {mine.id}
    assert set(ids(campaigns.list_campaigns(PROVINCE, CampaignFilters(), everyone))) == {mine.id}
    assert set(ids(campaigns.list_campaigns(REGION, CampaignFilters(), everyone))) == {mine.id, zj.id}
    assert set(ids(campaigns.list_campaigns(FINANCE, CampaignFilters(), everyone))) == {mine.id, zj.id, west.id}
    assert ids(campaigns.list_campaigns(OUTSIDER, CampaignFilters(), everyone)) == []


def test_a_list_filter_outside_the_callers_scope_is_refused_not_emptied():
    # WHEN the East's manager asks for the West, or a rep for another rep's campaigns THEN 403
    assert refused(campaigns.list_campaigns, REGION, CampaignFilters(org="CN/WEST"), PageRequest()).status == 403
    assert refused(campaigns.list_campaigns, REP, CampaignFilters(owner=REP_ZJ.sub), PageRequest()).status == 403


def test_lists_filter_by_status_and_page_newest_first():
    # GIVEN two submitted applications and a draft WHEN the leader lists submitted ones a page of one at a time
    older, newer = submitted(), submitted()
    draft()
    first = campaigns.list_campaigns(LEADER, CampaignFilters(status="submitted"), PageRequest(1))
    assert ids(first) == [newer.id] and first.next_cursor
    second = campaigns.list_campaigns(LEADER, CampaignFilters(status="submitted"), PageRequest(1, first.next_cursor))
    assert ids(second) == [older.id]


def test_anyone_lists_the_categories_the_company_uses():
    # WHEN finance asks which categories exist THEN the configured ones, in order
    assert campaigns.categories(FINANCE) == ["tasting", "display", "roadshow", "in_store_promotion"]


def test_a_campaign_outside_the_callers_scope_is_forbidden_and_an_unknown_one_not_found():
    # GIVEN an application in Jiangsu WHEN the West's manager or another company opens it THEN 403;
    # WHEN anyone opens one that does not exist THEN 404
    c = submitted()
    assert refused(evaluation.evaluate_campaign, WEST, c.id).answer == (403, "forbidden")
    assert refused(evaluation.evaluate_campaign, OUTSIDER, c.id).answer == (403, "forbidden")
    assert refused(evaluation.evaluate_campaign, LEADER, "01NOPE").answer == (404, "not_found")


# -- the audit trail ---------------------------------------------------------------------------
def test_every_change_of_the_loop_is_one_verified_entry_of_the_trail():
    # GIVEN a campaign applied for, approved and fed back under a company rule
    rule(scope="all")
    c = approved()
    feedback_in(c.id)
    # WHEN finance reads its trail THEN every change is one entry, in order, by its actor, and the chain verifies
    entries, cursor, verified = history.trail(FINANCE, c.id, PageRequest(50))
    assert verified and cursor is None
    assert [e["action"] for e in entries] == ["created", "submitted", "approval_step", "approved", "feedback_submitted"]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[2]["actor"] == {"id": REGION.sub, "role": "manager", "name": "Zhao Si"}


def test_a_trail_pages_oldest_first_and_refuses_a_made_up_cursor():
    # GIVEN an approved campaign's four entries WHEN read two at a time THEN oldest first, all of them
    c = approved()
    first, cursor, _ = history.trail(LEADER, c.id, PageRequest(2))
    rest, end, _ = history.trail(LEADER, c.id, PageRequest(10, cursor))
    assert [e["seq"] for e in first + rest] == [1, 2, 3, 4] and end is None
    assert refused(history.trail, LEADER, c.id, PageRequest(2, "99")).codes == [("cursor", "bad_cursor")]


def test_a_trail_with_an_entry_removed_in_storage_pages_through_the_rest_and_does_not_verify(store):
    # GIVEN a verified trail
    c = approved()
    feedback_in(c.id)
    whole, _, verified = history.trail(LEADER, c.id, PageRequest(50))
    assert verified and [e["seq"] for e in whole] == list(range(1, len(whole) + 1))
    del store.tables.audit[c.id][2]  # someone deletes an entry behind the code's back
    seen, cursor = [], None
    while True:
        page, cursor, verified = history.trail(LEADER, c.id, PageRequest(2, cursor))
        seen += [e["seq"] for e in page]
        assert verified is False
        if cursor is None:
            break
    assert seen == [e["seq"] for e in whole if e["seq"] != 2]


def test_a_changed_field_in_a_stored_entry_does_not_verify(store):
    # GIVEN a trail whose first entry is altered in storage THEN it does not verify, and does once restored
    c = approved()
    first = store.tables.audit[c.id][1]
    store.tables.audit[c.id][1] = replace(first, action="edited")
    assert history.trail(LEADER, c.id, PageRequest(50))[2] is False
    store.tables.audit[c.id][1] = first
    assert history.trail(LEADER, c.id, PageRequest(50))[2] is True


def test_a_trail_cut_short_at_its_end_does_not_verify(store):
    # GIVEN a trail whose last entry is gone
    c = approved()
    last = max(store.tables.audit[c.id])
    del store.tables.audit[c.id][last]  # the remaining entries still chain, but not to the head
    assert history.trail(LEADER, c.id, PageRequest(50))[2] is False


def test_an_application_made_after_its_campaign_began_is_flagged_as_retroactive(clock):
    # GIVEN today is 20 November: one application for a campaign that began on the 1st, one for the 28th
    late = submitted()
    timely = submitted(start_date="2026-11-28", end_date="2026-11-29", customer={"id": "RT-HZ", "name": "RT"})
    codes = {c.id: [w["code"] for w in visibility.warnings(current(c.id))] for c in (late, timely)}
    # THEN the late one warns the approver (事后申请), the timely one does not; neither is blocked
    assert codes == {late.id: ["retroactive_application"], timely.id: []}
    assert campaigns.approve_campaign(REGION, late.id, 1000, None).status == "approved"
