"""Feedback rules (A): who may set them, which one applies to a campaign, and the sweeps that
bring covered campaigns in line (chalicelib.logic.rules)."""

from __future__ import annotations

from chalicelib.domain.pages import PageRequest
from chalicelib.logic import rules, settlement
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    OUTSIDER,
    REGION,
    REP,
    REP_WEST,
    WEST,
    approved,
    current,
    draft,
    fed_back,
    refused,
    rule,
    submitted,
    sweep,
    trail_actions,
)


def required_by(campaign_id: str) -> tuple[str | None, str]:
    c = current(campaign_id)
    return (c.rule.scope if c.rule else None), c.reimbursement_status


# -- creating, listing and deleting rules ---------------------------------------------------------
def test_a_leader_requires_feedback_for_a_category_with_defaults_for_what_is_left_out():
    # WHEN a leader requires feedback for tastings THEN due in 7 days, no photos, for their company
    r = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    assert (r.scope, r.category, r.campaign_id, r.due_days, r.min_photos) == ("category", "tasting", None, 7, 0)
    assert (r.tenant, r.created_by) == ("CN", LEADER.sub)


def test_a_rule_names_what_it_is_missing_or_gets_wrong():
    # WHEN a campaign rule names no or an unknown campaign, or a category rule no or an unknown category
    assert refused(rules.create_rule, LEADER, {"scope": "campaign"}).codes == [("campaign_id", "required_for_scope")]
    unknown = refused(rules.create_rule, LEADER, {"scope": "campaign", "campaign_id": "NOPE"})
    assert unknown.codes == [("campaign_id", "unknown_campaign")]
    assert refused(rules.create_rule, LEADER, {"scope": "category"}).codes == [("category", "required_for_scope")]
    snacks = refused(rules.create_rule, LEADER, {"scope": "category", "category": "snacks"})
    assert snacks.codes == [("category", "unknown_category")]


def test_only_a_leader_of_the_campaigns_company_sets_or_deletes_rules():
    # GIVEN a campaign: managers, finance, reps and another company's leader may not set or delete rules
    c = approved()
    for who in (REGION, FINANCE, REP):
        assert refused(rules.create_rule, who, {"scope": "all"}).answer == (403, "forbidden")
    assert refused(rules.create_rule, OUTSIDER, {"scope": "campaign", "campaign_id": c.id}).answer == (403, "forbidden")
    mine = rules.create_rule(LEADER, {"scope": "all"})
    assert refused(rules.delete_rule, REGION, mine.id).answer == (403, "forbidden")
    assert refused(rules.delete_rule, OUTSIDER, mine.id).answer == (404, "not_found")
    assert refused(rules.delete_rule, LEADER, "01NOPE").answer == (404, "not_found")


def test_a_rep_sees_company_policy_and_only_the_rules_of_their_own_campaigns():
    # GIVEN a company rule and a rule for each of two reps' campaigns
    mine, theirs = approved(), approved(owner=REP_WEST, approver=WEST)
    rules.create_rule(LEADER, {"scope": "all"})
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": mine.id})
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": theirs.id})
    seen = {(r.scope, r.campaign_id) for r in rules.list_rules(REP, PageRequest()).items}
    assert seen == {("all", None), ("campaign", mine.id)}
    assert len(rules.list_rules(FINANCE, PageRequest()).items) == 3
    assert {r.campaign_id for r in rules.list_rules(WEST, PageRequest()).items} == {None, theirs.id}


def test_rules_list_newest_first_and_a_page_with_hidden_rules_still_continues():
    # GIVEN a company rule, a rule for another rep's campaign, then a tasting rule
    theirs = approved(owner=REP_WEST, approver=WEST)
    company = rules.create_rule(LEADER, {"scope": "all"})
    hidden = rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": theirs.id})
    tastings = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    assert [r.id for r in rules.list_rules(LEADER, PageRequest()).items] == [tastings.id, hidden.id, company.id]
    first = rules.list_rules(REP, PageRequest(2))
    assert [r.id for r in first.items] == [tastings.id] and first.next_cursor  # the rep may not see the other
    assert [r.id for r in rules.list_rules(REP, PageRequest(2, first.next_cursor)).items] == [company.id]


# -- which rule applies ---------------------------------------------------------------------------
def test_the_most_specific_rule_applies():
    # GIVEN company, category and campaign rules THEN the campaign's own applies
    c = approved()
    rules.create_rule(LEADER, {"scope": "all", "due_days": 30})
    rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 10})
    rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id, "due_days": 1})
    own, applies = rules.rules_in_force(current(c.id))
    assert own.scope == applies.scope == "campaign" and applies.due_days == 1


# -- sweeps -----------------------------------------------------------------------------------------
def run_sweep(store, rule_id: str, change: str = "created") -> int:
    changed = 0
    while True:
        progress = store.rules.sweep(rule_id, change)
        if progress is None or progress.done:
            return changed
        changed += rules.continue_sweep(progress)


def test_a_rule_sweep_reaches_every_covered_campaign_page_by_page(store, monkeypatch):
    # GIVEN five approved tastings and a display, swept two at a time
    monkeypatch.setattr(rules, "SWEEP_PAGE", 2)
    ids = [approved().id for _ in range(5)]
    other = approved(category="display").id
    made = rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 3})
    # WHEN a tasting rule is created THEN its sweep locks all five tastings and leaves the display
    rules.rule_changed(made, "created")
    assert run_sweep(store, made.id) == 5
    assert all(current(i).reimbursement_status == "locked" for i in ids)
    assert current(other).rule is None
    assert trail_actions(ids[0])[-1] == "requirement_changed"
    # a redelivered rule event starts nothing new, and a finished sweep changes nothing
    rules.rule_changed(made, "created")
    assert run_sweep(store, made.id) == 0


def test_a_sweep_brings_drafts_and_waiting_applications_in_line_but_never_a_reimbursed_campaign():
    # GIVEN a submitted application, a draft and a paid campaign WHEN a company rule is swept
    waiting, early, paid = submitted(), draft(), fed_back()
    settlement.settle(FINANCE, paid.id, None, None)
    assert sweep(rules.create_rule(LEADER, {"scope": "all"}), "created") == 2
    assert required_by(waiting.id) == ("all", "not_eligible") and required_by(early.id) == ("all", "not_eligible")
    assert required_by(paid.id) == (None, "reimbursed")


def test_a_campaign_rule_sweeps_its_one_campaign():
    # WHEN a rule for one campaign is swept THEN it locks that campaign's settlement only
    c, other = approved(), approved()
    assert sweep(rules.create_rule(LEADER, {"scope": "campaign", "campaign_id": c.id}), "created") == 1
    assert required_by(c.id) == ("campaign", "locked") and required_by(other.id) == (None, "unlocked")


def test_deleting_a_rule_releases_what_it_required_or_falls_back_to_the_next_rule(store):
    # GIVEN a company rule and the campaign's own rule
    c = approved()
    company = rule(scope="all")
    own = rule(scope="campaign", campaign_id=c.id, due_days=1)
    assert required_by(c.id) == ("campaign", "locked")
    # WHEN the campaign's rule is deleted THEN the company's applies; WHEN that goes too THEN none
    rules.delete_rule(LEADER, own.id)
    sweep(own, "deleted")
    assert required_by(c.id) == ("all", "locked")
    rules.delete_rule(LEADER, company.id)
    sweep(company, "deleted")
    assert required_by(c.id) == (None, "unlocked")


def test_a_sweep_re_reads_a_campaign_that_changed_after_its_page_was_listed(store, monkeypatch):
    # GIVEN a campaign renamed after the sweep listed it THEN the sweep's save is refused, it re-reads,
    # and applies the rule once without losing the new name
    c = approved()
    real_page = store.campaigns.covered_by_rule

    def listed_then_renamed(*args):
        page = real_page(*args)  # the sweep holds this copy of the campaign...
        other = store.campaigns.get(c.id)
        other.title = "renamed meanwhile"  # ...when somebody else saves a newer version
        store.campaigns.save(other)
        return page

    monkeypatch.setattr(store.campaigns, "covered_by_rule", listed_then_renamed)
    made = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    rules.rule_changed(made, "created")
    assert run_sweep(store, made.id) == 1
    after = current(c.id)
    assert after.reimbursement_status == "locked" and after.title == "renamed meanwhile"
    assert trail_actions(c.id).count("requirement_changed") == 1


def test_a_sweep_does_not_take_nothing_to_change_from_a_lagging_listing(store, monkeypatch):
    # GIVEN an index that still shows the rule applied THEN the sweep reads the campaign before passing it by
    c = approved()
    made = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    real_page = store.campaigns.covered_by_rule

    def lagging(*args):
        page = real_page(*args)
        for listed in page.items:  # the index still shows the rule applied
            rules.apply_rules_in_force(listed)
        return page

    monkeypatch.setattr(store.campaigns, "covered_by_rule", lagging)
    rules.rule_changed(made, "created")
    assert run_sweep(store, made.id) == 1
    assert current(c.id).reimbursement_status == "locked"


def test_one_rule_per_target_and_a_deleted_one_frees_it():
    # GIVEN a tasting rule WHEN a second one is created THEN 409 naming the rule in force
    first = rules.create_rule(LEADER, {"scope": "category", "category": "tasting"})
    r = refused(rules.create_rule, LEADER, {"scope": "category", "category": "tasting", "due_days": 3})
    assert r.answer == (409, "rule_exists") and r.details["rule_id"] == first.id
    # AND another target is free; WHEN the first is deleted THEN the target is free again
    rules.create_rule(LEADER, {"scope": "category", "category": "display"})
    rules.delete_rule(LEADER, first.id)
    assert rules.create_rule(LEADER, {"scope": "category", "category": "tasting", "due_days": 3}).due_days == 3
