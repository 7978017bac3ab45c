"""The business rules of every use case, against the in-memory storage: no moto, no HTTP,
microseconds each. The moto tests (tests/functional, tests/integration) cover the real
adapters, conditions, transactions and indexes with the same interface."""

from __future__ import annotations

import pytest

from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import campaigns, feedback, rules, settlement

REP = Principal("rep-1", "rep", "CN/EAST/JS", name="Li Lei")
REP2 = Principal("rep-2", "rep", "CN/WEST/SC", name="Wang Wu")
PROVINCE = Principal("pm-1", "manager", "CN/EAST/JS", name="Zhang San")
REGION = Principal("rm-1", "manager", "CN/EAST", name="Zhao Si")
WEST = Principal("wm-1", "manager", "CN/WEST", name="Qian Liu")
LEADER = Principal("lead-1", "leader", "CN", name="Sun Qi")
FINANCE = Principal("fin-1", "finance", "CN", name="Zhou Ba")
OUTSIDER = Principal("lead-x", "leader", "US", name="Other company")


@pytest.fixture
def store():
    storage = InMemoryStorage()
    previous = repos.install(storage)
    yield storage
    repos.install(previous)


def application(**overrides) -> dict:
    body = {
        "title": "Weekend tasting",
        "category": "tasting",
        "customer": {"id": "K1", "name": "Suguo"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "location": None,
        "plan": {"expected_spend": 200000, "expected_sales": 1000000, "expected_units": None},
        "requested_amount": 200000,
    }
    body.update(overrides)
    return body


def submitted(owner: Principal = REP, **overrides):
    c = campaigns.create_campaign(owner, application(**overrides))
    return campaigns.submit_campaign(owner, c.id)


def approved(amount: int = 180000, owner: Principal = REP, approver: Principal = REGION, **overrides):
    c = submitted(owner, **overrides)
    return campaigns.approve_campaign(approver, c.id, amount, None)


def feedback_in(campaign_id: str, owner: Principal = REP, spend: int = 150000, sales: int = 900000):
    return feedback.submit_feedback(
        owner, campaign_id, {"actual_spend": spend, "actual_sales": sales, "effect_rating": 4, "reflections": "busy"}
    )


def unlock(campaign_id: str) -> str:
    """What the feedback stream does with the latest revision."""
    latest = repos.feedback().latest_submitted(campaign_id)
    return settlement.unlock_settlement(campaign_id, latest.revision, latest.actual_spend)


# -- approval ----------------------------------------------------------------------------------
def test_nobody_approves_their_own_application(store):
    c = submitted(owner=PROVINCE)
    with pytest.raises(Forbidden) as err:
        campaigns.approve_campaign(PROVINCE, c.id, 100, None)
    assert err.value.code == "self_approval"


def test_an_approver_decides_only_campaigns_of_their_subtree(store):
    c = submitted()
    with pytest.raises(Forbidden):
        campaigns.approve_campaign(WEST, c.id, 100, None)
    with pytest.raises(Forbidden):
        campaigns.approve_campaign(OUTSIDER, c.id, 100, None)
    assert campaigns.approve_campaign(LEADER, c.id, 100, None).status == "approved"


def test_approval_never_exceeds_the_requested_amount_and_happens_once(store):
    c = submitted()
    with pytest.raises(InvalidInput) as err:
        campaigns.approve_campaign(REGION, c.id, 200001, None)
    assert err.value.errors[0]["field"] == "approved_amount"
    campaigns.approve_campaign(REGION, c.id, 150000, "ok")
    with pytest.raises(Conflict) as again:
        campaigns.approve_campaign(LEADER, c.id, 150000, None)
    assert again.value.code == "invalid_state"


def test_approval_applies_the_rules_in_force_at_that_moment(store):
    c = submitted()
    rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 5})
    # no sweep has run: the approval itself reads the rules
    a = campaigns.approve_campaign(REGION, c.id, 100000, None)
    assert a.rule is not None and a.rule.scope == "category"
    assert a.feedback_due_date == "2026-11-08" and a.reimbursement_status == "locked"


def test_a_rejected_application_cannot_be_approved(store):
    c = submitted()
    campaigns.reject_campaign(REGION, c.id, "no budget left")
    with pytest.raises(Conflict):
        campaigns.approve_campaign(REGION, c.id, 100, None)


def test_only_a_draft_is_edited(store):
    c = campaigns.create_campaign(REP, application())
    assert campaigns.update_campaign(REP, c.id, {"title": "Saturday tasting"}).title == "Saturday tasting"
    campaigns.submit_campaign(REP, c.id)
    with pytest.raises(Conflict) as err:
        campaigns.update_campaign(REP, c.id, {"title": "late"})
    assert err.value.code == "not_editable"


# -- feedback ----------------------------------------------------------------------------------
def test_feedback_needs_an_approved_campaign(store):
    c = submitted()
    with pytest.raises(Conflict) as err:
        feedback_in(c.id)
    assert err.value.code == "invalid_state"


def test_each_submission_is_a_new_revision_and_consumes_the_draft(store):
    c = approved()
    feedback.save_draft(REP, c.id, {"actual_spend": 1, "actual_sales": 2})
    _, first = feedback.submit_feedback(REP, c.id, None)
    assert first.revision == 1 and first.kind == "active" and repos.feedback().draft(c.id) is None
    _, second = feedback_in(c.id, spend=120000)
    assert second.revision == 2 and repos.campaigns().get(c.id).actual_spend == 120000


def test_feedback_needs_the_photos_the_rule_in_force_asks_for_now(store):
    c = approved()
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id, "min_photos": 5})
    # the stored requirement is stale (no sweep yet); submit reads the rules as they stand
    assert repos.campaigns().get(c.id).rule is None
    with pytest.raises(InvalidInput) as err:
        feedback_in(c.id)
    assert err.value.errors[0]["field"] == "attachments" and "5" in err.value.errors[0]["message"]


def test_missing_actual_figures_are_named(store):
    c = approved()
    with pytest.raises(InvalidInput) as err:
        feedback.submit_feedback(REP, c.id, {"effect_rating": 3})
    assert {e["field"] for e in err.value.errors} == {"actual_spend", "actual_sales"}


def test_required_feedback_is_passive(store):
    rules.create_rule(LEADER, {"scope": "all"})
    c = approved()
    _, report = feedback_in(c.id)
    assert report.kind == "passive"


# -- settlement --------------------------------------------------------------------------------
def test_settlement_stays_locked_until_required_feedback_arrives(store):
    rules.create_rule(LEADER, {"scope": "all"})
    c = approved(amount=180000)
    with pytest.raises(Conflict) as err:
        settlement.settle(FINANCE, c.id, None, None)
    assert err.value.code == "feedback_required"
    feedback_in(c.id, spend=150000)
    assert unlock(c.id) == "unlocked"
    paid = settlement.settle(FINANCE, c.id, None, "paid")
    assert paid.reimbursed_amount == 150000 and paid.reimbursement_status == "reimbursed"


def test_settlement_pays_actual_spend_capped_at_the_approved_amount(store):
    c = approved(amount=100000)
    feedback_in(c.id, spend=150000)
    unlock(c.id)
    assert repos.campaigns().get(c.id).proposed_amount == 100000
    with pytest.raises(InvalidInput):
        settlement.settle(FINANCE, c.id, 100001, None)
    assert settlement.settle(FINANCE, c.id, None, None).reimbursed_amount == 100000


def test_a_rule_created_a_moment_ago_binds_settlement_before_its_sweep(store):
    c = approved()
    assert c.reimbursement_status == "unlocked"
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id})
    with pytest.raises(Conflict) as err:
        settlement.settle(FINANCE, c.id, None, None)
    assert err.value.code == "feedback_required"


def test_a_campaign_is_reimbursed_once(store):
    c = approved()
    settlement.settle(FINANCE, c.id, None, None)
    with pytest.raises(Conflict) as err:
        settlement.settle(FINANCE, c.id, None, None)
    assert err.value.code == "already_reimbursed"
    with pytest.raises(Conflict) as locked:
        feedback_in(c.id)
    assert locked.value.code == "feedback_locked"


def test_only_finance_settles(store):
    c = approved()
    for who in (REP, REGION, LEADER):
        with pytest.raises(Forbidden):
            settlement.settle(who, c.id, None, None)


def test_unlock_is_idempotent_and_follows_the_highest_revision_whatever_the_order(store):
    rules.create_rule(LEADER, {"scope": "all"})
    c = approved(amount=180000)
    for spend in (100000, 120000, 170000):
        feedback_in(c.id, spend=spend)
    # the stream delivers revision 3, then 1 and 2 late, then 3 again
    assert settlement.unlock_settlement(c.id, 3, 170000) == "unlocked"
    assert settlement.unlock_settlement(c.id, 1, 100000) == "already_applied"
    assert settlement.unlock_settlement(c.id, 2, 120000) == "already_applied"
    assert settlement.unlock_settlement(c.id, 3, 170000) == "already_applied"
    assert repos.campaigns().get(c.id).proposed_amount == 170000


def test_an_unlock_that_loses_a_race_re_reads_and_applies_once(store, monkeypatch):
    rules.create_rule(LEADER, {"scope": "all"})
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
    assert [e["action"] for e in store.audit.entries(c.id)].count("settlement_unlocked") == 1


# -- rules and sweeps ------------------------------------------------------------------------
def run_sweep(store, rule_id: str, change: str = "created") -> int:
    changed = 0
    while True:
        sweep = store.rules.sweep(rule_id, change)
        if sweep is None or sweep.done:
            return changed
        changed += rules.continue_sweep(sweep)


def test_a_rule_sweep_reaches_every_covered_campaign_page_by_page(store, monkeypatch):
    monkeypatch.setattr(rules, "SWEEP_PAGE", 2)
    ids = [approved().id for _ in range(5)]
    other = approved(category="display").id
    rule = rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 3})
    rules.rule_changed(rule, "created")
    assert run_sweep(store, rule.id) == 5
    assert all(repos.campaigns().get(i).reimbursement_status == "locked" for i in ids)
    assert repos.campaigns().get(other).rule is None
    # a redelivered rule event starts nothing new, and a finished sweep changes nothing
    rules.rule_changed(rule, "created")
    assert run_sweep(store, rule.id) == 0


def test_a_sweep_re_reads_a_campaign_that_changed_after_its_page_was_listed(store, monkeypatch):
    c = approved()
    real_page = store.campaigns.covered_by_rule

    def listed_then_renamed(*args):
        page = real_page(*args)  # the sweep holds this copy of the campaign...
        other = store.campaigns.get(c.id)
        other.title = "renamed meanwhile"  # ...when somebody else saves a newer version
        store.campaigns.save(other)
        return page

    monkeypatch.setattr(store.campaigns, "covered_by_rule", listed_then_renamed)
    rule = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    rules.rule_changed(rule, "created")
    assert run_sweep(store, rule.id) == 1
    after = repos.campaigns().get(c.id)
    assert after.reimbursement_status == "locked" and after.title == "renamed meanwhile"
    assert [e["action"] for e in store.audit.entries(c.id)].count("requirement_changed") == 1


def test_a_sweep_does_not_take_nothing_to_change_from_a_lagging_listing(store, monkeypatch):
    c = approved()
    rule = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    real_page = store.campaigns.covered_by_rule

    def lagging(*args):
        page = real_page(*args)
        for listed in page.items:  # the index still shows the rule applied
            rules.apply_rules_in_force(listed)
        return page

    monkeypatch.setattr(store.campaigns, "covered_by_rule", lagging)
    rules.rule_changed(rule, "created")
    assert run_sweep(store, rule.id) == 1
    assert repos.campaigns().get(c.id).reimbursement_status == "locked"


def test_deleting_a_rule_releases_what_it_required(store):
    c = approved()
    rule = rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id})
    rules.rule_changed(rule, "created")
    run_sweep(store, rule.id)
    assert repos.campaigns().get(c.id).reimbursement_status == "locked"
    rules.delete_rule(LEADER, rule.id)
    rules.rule_changed(rule, "deleted")
    run_sweep(store, rule.id, "deleted")
    assert repos.campaigns().get(c.id).rule is None
    assert repos.campaigns().get(c.id).reimbursement_status == "unlocked"


def test_one_rule_per_target_and_a_deleted_one_frees_it(store):
    first = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    with pytest.raises(Conflict) as err:
        rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 3})
    assert (err.value.code, err.value.details) == ("rule_exists", {"rule_id": first.id})
    rules.create_rule(LEADER, {"scope": "category", "category": "display"})  # another target is free
    rules.delete_rule(LEADER, first.id)
    assert rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 3}).due_days == 3


def test_the_most_specific_rule_applies(store):
    c = approved()
    rules.create_rule(LEADER, {"scope": "all", "due_days": 30})
    rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 10})
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id, "due_days": 1})
    own, rule = rules.rules_in_force(repos.campaigns().get(c.id))
    assert own.scope == rule.scope == "campaign" and rule.due_days == 1


def test_a_rep_sees_company_policy_and_only_the_rules_of_their_own_campaigns(store):
    mine, theirs = approved(), approved(owner=REP2, approver=WEST)
    rules.create_rule(LEADER, {"scope": "all"})
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": mine.id})
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": theirs.id})
    seen = {(r.scope, r.campaign_id) for r in rules.list_rules(REP, PageRequest()).items}
    assert seen == {("all", None), ("campaign", mine.id)}
    assert len(rules.list_rules(LEADER, PageRequest()).items) == 3
    assert {r.campaign_id for r in rules.list_rules(WEST, PageRequest()).items} == {None, theirs.id}


def test_a_leader_targets_only_campaigns_of_their_company(store):
    c = approved()
    with pytest.raises(Forbidden):
        rules.create_rule(OUTSIDER, {"scope": "campaign", "campaign_id": c.id})
    with pytest.raises(InvalidInput) as err:
        rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": "NOPE"})
    assert err.value.errors[0]["field"] == "campaign_id"


# -- worklists ---------------------------------------------------------------------------------
def test_b_lists_my_awaited_feedback_soonest_due_first(store):
    rules.create_rule(LEADER, {"scope": "all", "due_days": 7})
    late = approved(end_date="2026-11-20").id
    soon = approved(end_date="2026-11-05").id
    done = approved().id
    feedback_in(done)
    assert [c.id for c in feedback.my_feedback_requests(REP, PageRequest()).items] == [soon, late]


def test_e_filters_by_status_as_of_today(store):
    from chalicelib.domain.search import RequestSearch

    rules.create_rule(LEADER, {"scope": "all", "due_days": 7})
    overdue = approved(start_date="2026-09-28", end_date="2026-10-01").id
    pending = approved(end_date="2026-11-28").id

    def page(status):
        found = feedback.search_feedback_requests(
            LEADER, RequestSearch(status=status), PageRequest(), today="2026-11-20"
        )
        return [c.id for c in found.items]

    assert page("overdue") == [overdue] and page("pending") == [pending] and page(None) == [overdue, pending]
    with pytest.raises(Forbidden):
        feedback.search_feedback_requests(REGION, RequestSearch(org="CN/WEST"), PageRequest())


# -- evaluation --------------------------------------------------------------------------------
def test_roll_ups_apply_each_change_once_and_feed_the_summary(store):
    from chalicelib.logic.evaluation import summary
    from chalicelib.logic.rollups import apply_campaign_change

    draft = campaigns.create_campaign(REP, application())
    before = repos.campaigns().get(draft.id)
    campaigns.submit_campaign(REP, draft.id)
    after = campaigns.approve_campaign(REGION, draft.id, 180000, None)
    assert apply_campaign_change("E1", before, after) == "applied"
    assert apply_campaign_change("E1", before, after) == "duplicate"
    rows = summary(LEADER, "category", "2026-11", "2026-11")["items"]
    assert [(r["group"], r["campaigns"], r["approved_amount"]) for r in rows] == [("tasting", 1, 180000)]
    assert summary(REP2, "category", "2026-11", "2026-11")["items"] == []


def test_an_approver_sees_the_customers_history_and_the_applicant_does_not(store):
    from chalicelib.logic.evaluation import approval_context

    c = submitted()
    assert approval_context(REGION, c) is not None
    assert approval_context(REP, c) is None
    assert approval_context(WEST, c) is None


# -- the upload checker ----------------------------------------------------------------------
def test_the_checker_decides_each_object_version_once_and_refuses_a_re_aimed_form(store):
    from chalicelib.logic import evidence
    from chalicelib.logic.uploads import UploadEvent, check_upload
    from tests import corpus

    mine, theirs = approved(), approved(owner=REP2, approver=WEST)
    photo = corpus.jpeg(corpus.scene(3, (640, 480)))
    a, form = evidence.request_upload(REP, mine.id, "shelf.jpg", "image/jpeg", len(photo))
    stored = store.objects.upload(form, photo)
    event = UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"])
    assert [check_upload(event) for _ in range(2)] == ["ready", "duplicate_event"]
    assert evidence.ready_photo_count(mine.id) == 1
    # a rep re-aims their own form at another rep's pending attachment
    b, _ = evidence.request_upload(REP2, theirs.id, "shelf.jpg", "image/jpeg", len(photo))
    hijacked = store.objects.upload({"fields": {**form["fields"], "key": b.object_key}}, photo)
    assert (
        check_upload(UploadEvent(hijacked["bucket"], hijacked["key"], hijacked["size"], hijacked["etag"]))
        == "foreign_upload"
    )
    assert repos.evidence().get(theirs.id, b.id).status == "pending_upload"
    assert store.objects.exists(f"quarantine/{theirs.id}/{b.id}") and not store.objects.exists(b.object_key)


def test_an_upload_that_is_not_what_it_claims_is_rejected_with_a_reason(store):
    from chalicelib.logic import evidence
    from chalicelib.logic.uploads import UploadEvent, check_upload

    c = approved()
    fake = b"%PDF-1.4 not really a photo" + b"\0" * 100
    a, form = evidence.request_upload(REP, c.id, "shelf.jpg", "image/jpeg", len(fake))
    stored = store.objects.upload(form, fake)
    assert check_upload(UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"])) == "rejected"
    rejected = repos.evidence().get(c.id, a.id)
    assert rejected.status == "rejected" and rejected.reason


# -- the audit trail ---------------------------------------------------------------------------
def test_a_trail_with_an_entry_removed_in_storage_pages_through_the_rest_and_does_not_verify(store):
    from chalicelib.logic.history import trail

    c = approved()
    feedback_in(c.id)
    whole, _, verified = trail(LEADER, c.id, PageRequest(50))
    assert verified and [e["seq"] for e in whole] == list(range(1, len(whole) + 1))
    del store.tables.audit[c.id][2]  # someone deletes an entry behind the code's back
    seen, cursor = [], None
    while True:
        page, cursor, verified = trail(LEADER, c.id, PageRequest(2, cursor))
        seen += [e["seq"] for e in page]
        assert verified is False
        if cursor is None:
            break
    assert seen == [e["seq"] for e in whole if e["seq"] != 2]


def test_a_changed_field_in_a_stored_entry_does_not_verify(store):
    from dataclasses import replace

    from chalicelib.logic.history import trail

    c = approved()
    first = store.tables.audit[c.id][1]
    store.tables.audit[c.id][1] = replace(first, action="edited")
    assert trail(LEADER, c.id, PageRequest(50))[2] is False
    store.tables.audit[c.id][1] = first
    assert trail(LEADER, c.id, PageRequest(50))[2] is True


def test_an_upload_requested_as_the_campaign_is_cancelled_is_refused_and_records_nothing(store, monkeypatch):
    from chalicelib.logic import evidence

    c = approved()
    real_list = store.evidence.list

    def counted_while_the_rep_cancels(campaign_id):
        campaigns.cancel_campaign(REP, campaign_id, "the store closed")  # between the read and the write
        return real_list(campaign_id)

    monkeypatch.setattr(store.evidence, "list", counted_while_the_rep_cancels)
    with pytest.raises(Conflict) as err:
        evidence.request_upload(REP, c.id, "shelf.jpg", "image/jpeg", 100_000)
    assert err.value.code == "invalid_state"
    assert real_list(c.id) == []
    assert "attachment_added" not in [e["action"] for e in store.audit.entries(c.id)]


def test_a_photo_check_reads_its_campaign_once_and_re_reads_it_only_after_losing_a_race(store, monkeypatch):
    from chalicelib.dal.memory import MemoryCampaigns, MemoryEvidence
    from chalicelib.logic import evidence
    from chalicelib.logic.uploads import UploadEvent, check_upload
    from tests import corpus

    reads: list[str] = []
    real_get = MemoryCampaigns.get
    monkeypatch.setattr(MemoryCampaigns, "get", lambda self, cid: reads.append(cid) or real_get(self, cid))

    def upload(campaign):
        photo = corpus.jpeg(corpus.scene(len(reads) + 3, (640, 480)))
        _, form = evidence.request_upload(REP, campaign.id, "shelf.jpg", "image/jpeg", len(photo))
        stored = store.objects.upload(form, photo)
        reads.clear()
        return UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"])

    quiet = approved()
    assert check_upload(upload(quiet)) == "ready"
    assert reads.count(quiet.id) == 1  # the check and its audit entry share the read

    busy = approved()
    event = upload(busy)
    real_candidates = MemoryEvidence.candidates

    def meanwhile(self, tenant, hashes):  # the campaign changes during the check
        c = real_get(store.campaigns, busy.id)
        c.title = "renamed"
        store.campaigns.save(c)
        return real_candidates(self, tenant, hashes)

    monkeypatch.setattr(MemoryEvidence, "candidates", meanwhile)
    assert check_upload(event) == "ready"
    assert reads.count(busy.id) == 2  # the stale write re-read it once
    trail = [e["action"] for e in store.audit.entries(busy.id)]
    assert trail.count("attachment_ready") == 1
