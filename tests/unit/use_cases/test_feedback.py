"""Feedback reports (B, C): the draft, submission and revisions, the photos a rule asks for;
and the worklists B, D and E (chalicelib.logic.feedback)."""

from __future__ import annotations

from chalicelib.dal import repos
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.search import FeedbackSearch, RequestSearch
from chalicelib.logic import campaigns, feedback, rules
from chalicelib.logic.uploads import check_upload
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    PROVINCE,
    REGION,
    REP,
    REP_WEST,
    REP_ZJ,
    WEST,
    approved,
    current,
    feedback_in,
    photo,
    refused,
    reimbursed,
    rule,
    submitted,
    trail_actions,
    upload,
)

FIGURES = {"actual_spend": 150000, "actual_sales": 900000, "actual_units": 420, "effect_rating": 4, "reflections": "ok"}


def ids(page) -> list[str]:
    return [c.id for c in page.items]


# -- the draft ---------------------------------------------------------------------------------
def test_the_owner_keeps_a_draft_that_changes_nothing_else_until_submitted():
    # GIVEN an approved campaign WHEN its rep saves a draft, then saves another
    c = approved()
    feedback.save_draft(REP, c.id, {"actual_spend": 1000, "reflections": "half way"})
    _, draft = feedback.save_draft(REP, c.id, {"actual_spend": 2000})  # a PUT: the draft is replaced whole
    assert (draft.actual_spend, draft.reflections, draft.status) == (2000, None, "draft")
    # THEN the draft is what was saved last; the campaign has no feedback yet, and its trail no entry
    campaign, latest, kept = feedback.get_feedback(LEADER, c.id)
    assert latest is None and kept.actual_spend == 2000
    assert (campaign.feedback_revision, campaign.actual_spend) == (0, None)
    assert trail_actions(c.id)[-1] == "approved"


def test_feedback_is_written_by_the_owner_of_an_approved_campaign_until_it_is_reimbursed():
    # GIVEN a campaign not yet approved THEN no feedback; others than its owner THEN none either;
    # once it is reimbursed THEN feedback is locked
    assert refused(feedback.save_draft, REP, submitted().id, FIGURES).answer == (409, "invalid_state")
    assert refused(feedback_in, submitted().id).answer == (409, "invalid_state")
    c = approved()
    assert refused(feedback.save_draft, PROVINCE, c.id, FIGURES).answer == (403, "forbidden")
    assert refused(feedback.save_draft, FINANCE, c.id, FIGURES).answer == (403, "forbidden")
    paid = reimbursed()
    assert refused(feedback.save_draft, REP, paid.id, FIGURES).answer == (409, "feedback_locked")
    assert refused(feedback_in, paid.id).answer == (409, "feedback_locked")


# -- submitting --------------------------------------------------------------------------------
def test_submitting_turns_the_draft_into_the_next_revision_and_sets_the_campaigns_actuals():
    # GIVEN a draft WHEN it is submitted THEN it is revision 1, the draft is gone, and the campaign
    # carries its actual figures, recorded in the trail
    c = approved()
    feedback.save_draft(REP, c.id, FIGURES)
    campaign, first = feedback.submit_feedback(REP, c.id, None)
    assert (first.revision, first.kind, first.actual_units) == (1, "active", 420)
    assert repos.feedback().draft(c.id) is None
    assert (campaign.feedback_revision, campaign.actual_spend, campaign.actual_sales) == (1, 150000, 900000)
    entry = repos.audit().entries(c.id)[-1]
    assert entry["action"] == "feedback_submitted" and entry["changes"]["actual_spend"] == [None, 150000]


def test_a_submission_merges_the_body_into_the_draft():
    # GIVEN a draft WHEN it is submitted with new sales THEN the rest of the draft stays
    c = approved()
    feedback.save_draft(REP, c.id, {"actual_spend": 1000, "actual_sales": 5000, "reflections": "draft"})
    _, report = feedback.submit_feedback(REP, c.id, {"actual_sales": 7000})
    assert (report.actual_spend, report.actual_sales, report.reflections) == (1000, 7000, "draft")


def test_each_submission_is_a_new_revision_and_the_latest_figures_count():
    # GIVEN feedback submitted twice THEN the campaign has the latest figures, and the revisions list newest first
    c = approved()
    feedback_in(c.id, spend=100000)
    feedback_in(c.id, spend=120000)
    assert current(c.id).actual_spend == 120000
    first = feedback.feedback_revisions(LEADER, c.id, PageRequest(1))[1]
    rest = feedback.feedback_revisions(LEADER, c.id, PageRequest(5, first.next_cursor))[1]
    assert [(r.revision, r.actual_spend) for r in first.items + rest.items] == [(2, 120000), (1, 100000)]
    assert feedback.get_feedback(REP, c.id)[1].revision == 2


def test_missing_actual_figures_are_named():
    # WHEN feedback without actual spend and sales is submitted THEN both are named
    c = approved()
    r = refused(feedback.submit_feedback, REP, c.id, {"effect_rating": 3})
    assert r.answer == (400, "validation_error")
    assert sorted(r.codes) == [("actual_sales", "required_to_submit"), ("actual_spend", "required_to_submit")]


def test_required_feedback_is_passive_and_volunteered_feedback_active():
    # GIVEN no rule THEN feedback is volunteered (active); GIVEN a company rule THEN required (passive)
    assert feedback_in(approved().id)[1].kind == "active"
    rule(scope="all")
    assert feedback_in(approved().id)[1].kind == "passive"


def test_feedback_needs_the_ready_photos_the_rule_in_force_asks_for_now():
    # GIVEN a rule asking this campaign for 2 photos, created a moment ago (its sweep has not run)
    c = approved()
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id, "min_photos": 2})
    assert current(c.id).rule is None  # the stored requirement is stale: no sweep has run yet
    # WHEN feedback is submitted without photos THEN the rule in force now refuses it
    r = refused(feedback_in, c.id)
    assert r.codes == [("attachments", "too_few_photos")] and "at least 2" in r.message and "0 so far" in r.message
    # GIVEN one checked photo, one upload not checked yet and one rejected THEN only the first counts
    photo(c.id, seed=3)
    pending, _ = upload(c.id, b"not checked yet")  # neither a pending upload ...
    _, bad = upload(c.id, b"%PDF-1.4 not a photo" + b"\0" * 64)  # ... nor a rejected one counts
    assert check_upload(bad) == "rejected"
    assert "1 so far" in refused(feedback_in, c.id).message
    # GIVEN a second checked photo THEN the feedback goes in
    photo(c.id, seed=4)
    assert feedback_in(c.id)[1].revision == 1


def test_feedback_and_its_revisions_are_read_within_the_campaigns_scope():
    # GIVEN Jiangsu feedback WHEN the West's manager or another rep reads it THEN 403
    c = approved()
    feedback_in(c.id)
    assert refused(feedback.get_feedback, WEST, c.id).answer == (403, "forbidden")
    assert refused(feedback.feedback_revisions, REP_ZJ, c.id, PageRequest()).answer == (403, "forbidden")


# -- B: my feedback requests ------------------------------------------------------------------------
def test_b_lists_my_awaited_feedback_soonest_due_first():
    # GIVEN a company rule, two of my campaigns awaiting feedback, one fed back, and another rep's
    # THEN B lists my two, soonest due first; finance has no B
    rule(scope="all", due_days=7)
    late = approved(start_date="2026-11-18", end_date="2026-11-20").id
    soon = approved().id
    done = approved().id
    feedback_in(done)
    approved(owner=REP_ZJ)
    assert ids(feedback.my_feedback_requests(REP, PageRequest())) == [soon, late]
    assert refused(feedback.my_feedback_requests, FINANCE, PageRequest()).answer == (403, "forbidden")


def test_a_cancelled_campaign_leaves_b_d_and_e():
    # GIVEN a campaign awaiting required feedback and one fed back WHEN both are withdrawn THEN no worklist shows them
    rule(scope="all")
    awaited, fed = approved(), approved()
    feedback_in(fed.id)
    for c in (awaited, fed):
        campaigns.cancel_campaign(REP, c.id, "called off")
    assert feedback.my_feedback_requests(REP, PageRequest()).items == []
    assert feedback.search_feedback(LEADER, FeedbackSearch(), PageRequest()).items == []
    assert feedback.search_feedback_requests(LEADER, RequestSearch(), PageRequest()).items == []


# -- D: submitted feedback --------------------------------------------------------------------------
def test_d_lists_submitted_feedback_newest_first_within_the_callers_scope():
    # GIVEN feedback from Jiangsu, Zhejiang and Sichuan, in that order, and a campaign without
    # THEN D lists what each may see, newest first; a filter outside one's scope is refused
    first, second, west = approved(), approved(owner=REP_ZJ), approved(owner=REP_WEST, approver=WEST)
    for c, owner in ((first, REP), (second, REP_ZJ), (west, REP_WEST)):
        feedback_in(c.id, owner)
    approved()  # no feedback yet
    assert ids(feedback.search_feedback(LEADER, FeedbackSearch(), PageRequest())) == [west.id, second.id, first.id]
    assert ids(feedback.search_feedback(REGION, FeedbackSearch(), PageRequest())) == [second.id, first.id]
    assert ids(feedback.search_feedback(REP, FeedbackSearch(), PageRequest())) == [first.id]
    assert ids(feedback.search_feedback(LEADER, FeedbackSearch(org="CN/WEST"), PageRequest())) == [west.id]
    assert refused(feedback.search_feedback, REGION, FeedbackSearch(org="CN/WEST"), PageRequest()).status == 403


def test_d_filters_by_kind():
    # GIVEN volunteered feedback, then required feedback THEN D tells them apart
    volunteered = approved()
    feedback_in(volunteered.id)
    rule(scope="all")
    required = approved()
    feedback_in(required.id)
    assert ids(feedback.search_feedback(LEADER, FeedbackSearch(kind="passive"), PageRequest())) == [required.id]
    assert ids(feedback.search_feedback(LEADER, FeedbackSearch(kind="active"), PageRequest())) == [volunteered.id]


# -- E: feedback requests -------------------------------------------------------------------------
def test_e_tells_pending_from_overdue_as_of_today():
    # GIVEN required feedback due on 17 November, today (20th) and 5 December
    # THEN overdue is due before today, pending today or later, and both without a status
    rule(scope="all", due_days=7)
    overdue = approved(start_date="2026-11-01", end_date="2026-11-10").id  # due 11-17
    due_today = approved(start_date="2026-11-13", end_date="2026-11-13").id  # due 11-20
    pending = approved(start_date="2026-11-28", end_date="2026-11-28").id

    def e(status):
        return ids(feedback.search_feedback_requests(LEADER, RequestSearch(status=status), PageRequest()))

    assert e("overdue") == [overdue]
    assert e("pending") == [due_today, pending]
    assert e(None) == [overdue, due_today, pending]


def test_e_is_as_of_the_day_asked_and_filters_by_org_within_scope():
    # GIVEN required feedback due 10 November, in Jiangsu and Sichuan
    # WHEN E is asked as of the 10th THEN both are pending then; the East's manager sees only Jiangsu
    rule(scope="all", due_days=7)
    js = approved().id  # due 11-10
    west = approved(owner=REP_WEST, approver=WEST).id
    on = feedback.search_feedback_requests(LEADER, RequestSearch(status="pending"), PageRequest(), today="2026-11-10")
    assert ids(on) == [js, west]
    assert ids(feedback.search_feedback_requests(REGION, RequestSearch(), PageRequest())) == [js]
    assert refused(feedback.search_feedback_requests, REGION, RequestSearch(org="CN/WEST"), PageRequest()).status == 403


def test_e_refuses_a_due_window_that_ends_before_it_starts():
    # WHEN E is asked for due dates after the 10th and before the 1st THEN the window is named as wrong
    r = refused(
        feedback.search_feedback_requests,
        LEADER,
        RequestSearch(due_after="2026-11-10", due_before="2026-11-01"),
        PageRequest(),
    )
    assert r.answer == (400, "validation_error") and r.codes == [("due_after", "start_after_end")]


def test_feedback_is_drafted_any_time_after_approval_and_submitted_from_the_campaigns_last_day(clock):
    # GIVEN a campaign approved for 28-29 November, and today the 20th
    c = approved(start_date="2026-11-28", end_date="2026-11-29")
    # THEN the rep may draft, but not submit: the error names the day it becomes possible
    assert feedback.save_draft(REP, c.id, FIGURES)[1].status == "draft"
    r = refused(feedback.submit_feedback, REP, c.id, None)
    assert r.answer == (409, "campaign_not_ended") and r.details["ends_on"] == "2026-11-29"
    # WHEN the last day comes THEN the rep reports that evening
    clock.set("2026-11-29", hour=20)
    assert feedback.submit_feedback(REP, c.id, None)[1].revision == 1
