"""Scope rules: rep — own; manager — subtree; leader and finance — their company."""

import pytest

from chalicelib.domain import access
from chalicelib.domain.access import Principal, Scope, in_scope, list_scope
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.org import ancestor, is_valid_org, is_within

REP = Principal("u1", "rep", "CN/EAST/JS")
MANAGER = Principal("m1", "manager", "CN/EAST")
LEADER = Principal("l1", "leader", "CN")


def test_org_subtrees_match_whole_segments_only():
    assert is_within("CN/EAST/JS", "CN/EAST") and is_within("CN/EAST", "CN/EAST")
    assert not is_within("CN/EASTERN/JS", "CN/EAST")
    assert ancestor("CN/EAST/JS", 2) == "CN/EAST" and ancestor("CN", 2) is None
    assert is_valid_org("CN/EAST/JS") and not is_valid_org("CN//JS") and not is_valid_org("CN/../X")


@pytest.mark.parametrize(
    "who,org,owner,expected",
    [
        (REP, "CN/EAST/JS", "u1", True),
        (REP, "CN/EAST/JS", "u2", False),
        (MANAGER, "CN/EAST/ZJ", "u2", True),
        (MANAGER, "CN/WEST/SC", "u2", False),
        (LEADER, "CN/WEST/SC", "u2", True),
        (LEADER, "US/WEST", "u2", False),
        (Principal("f1", "finance", "CN"), "CN/WEST/SC", "u2", True),
    ],
)
def test_scope(who, org, owner, expected):
    assert in_scope(who, org, owner) is expected


def test_a_list_filter_outside_the_callers_scope_is_refused_not_widened():
    assert list_scope(MANAGER, None, None) == Scope("CN", "CN/EAST", None)
    assert list_scope(MANAGER, "CN/EAST/JS", None) == Scope("CN", "CN/EAST/JS", None)
    with pytest.raises(Forbidden):
        list_scope(MANAGER, "CN/WEST", None)
    with pytest.raises(Forbidden):
        list_scope(LEADER, "US", None)
    assert list_scope(REP, None, None) == Scope("CN", "CN", "u1")
    with pytest.raises(Forbidden):
        list_scope(REP, None, "u2")


# -- every rule of the authorization module -------------------------------------------------------
PROVINCE = Principal("p1", "manager", "CN/EAST/JS")
FINANCE = Principal("f1", "finance", "CN")


@pytest.mark.parametrize(
    "who,expected",
    [
        (REP, Scope("CN", "CN", "u1")),
        (MANAGER, Scope("CN", "CN/EAST")),
        (LEADER, Scope("CN", "CN")),
        (FINANCE, Scope("CN", "CN")),
    ],
)
def test_each_role_reaches_its_part_of_the_company(who, expected):
    assert access.scope_of(who) == expected


@pytest.mark.parametrize(
    "action,roles",
    [
        ("campaign.create", {"rep", "manager"}),
        ("campaign.approve", {"manager", "leader"}),
        ("rule.create", {"leader"}),
        ("reimbursement.create", {"finance"}),
        ("report.run", {"leader"}),
        ("report.read", {"manager", "leader"}),
        ("feedback.my_requests", {"rep", "manager"}),
        ("campaign.read", {"rep", "manager", "leader", "finance"}),
    ],
)
def test_only_the_listed_roles_may_attempt_an_action(action, roles):
    for role in access.ROLES:
        who = Principal("x", role, "CN")
        if role in roles:
            access.require(who, action)
        else:
            with pytest.raises(Forbidden):
                access.require(who, action)


def test_a_manager_sees_their_own_application_even_outside_their_subtree():
    assert in_scope(PROVINCE, "CN/WEST/SC", "p1") and not in_scope(PROVINCE, "CN/WEST/SC", "u2")


def test_owner_only_actions_and_the_company_boundary():
    access.require_owner(REP, "u1")
    with pytest.raises(Forbidden):
        access.require_owner(REP, "u2")
    access.require_same_company(LEADER, "CN/WEST")
    with pytest.raises(Forbidden):
        access.require_same_company(LEADER, "US/WEST")


def test_only_approvers_other_than_the_applicant_see_the_approval_context():
    assert access.sees_approval_context(MANAGER, "CN/EAST/JS", "u1")
    assert not access.sees_approval_context(MANAGER, "CN/EAST/JS", "m1")  # own application
    assert not access.sees_approval_context(MANAGER, "CN/WEST/SC", "u1")  # outside the subtree
    assert not access.sees_approval_context(REP, "CN/EAST/JS", "u2")
    assert not access.sees_approval_context(FINANCE, "CN/EAST/JS", "u1")
    assert access.sees_approval_context(LEADER, "CN/WEST/SC", "u1")


def test_org_aggregates_count_only_within_the_scope():
    assert access.covers_org(Scope("CN", "CN/EAST"), "CN/EAST/JS")
    assert not access.covers_org(Scope("CN", "CN/EAST"), "CN/EASTERN")


def test_reports_cover_a_leaders_company_or_a_managers_subtree():
    assert access.report_scope_org("leader", "CN/EAST") == "CN"
    assert access.report_scope_org("manager", "CN/EAST") == "CN/EAST"
    assert access.report_visible(LEADER, "CN/WEST/SC") and not access.report_visible(LEADER, "US")
    assert access.report_visible(MANAGER, "CN/EAST/JS") and not access.report_visible(MANAGER, "CN")
    assert not access.report_visible(REP, "CN/EAST/JS") and not access.report_visible(FINANCE, "CN")


def test_a_reps_reminder_is_copied_to_the_nearest_subscribed_managers_above_only():
    subs = [
        {"user_id": "m-region", "role": "manager", "org": "CN/EAST"},
        {"user_id": "m-province", "role": "manager", "org": "CN/EAST/JS"},
        {"user_id": "m-west", "role": "manager", "org": "CN/WEST"},
        {"user_id": "l", "role": "leader", "org": "CN"},
    ]
    assert [s["user_id"] for s in access.nearest_managers_over(subs, "CN/EAST/JS", "u1")] == ["m-province"]
    assert [s["user_id"] for s in access.nearest_managers_over(subs, "CN/EAST/ZJ", "u1")] == ["m-region"]
    assert access.nearest_managers_over(subs, "CN/NORTH/BJ", "u1") == []
    assert [s["user_id"] for s in access.nearest_managers_over(subs, "CN/EAST/JS", "m-province")] == ["m-region"]


def test_campaign_rules_are_visible_like_their_campaign_and_policy_to_everyone():
    assert access.rule_visible(REP, "all", None, None) and access.rule_visible(REP, "category", None, None)
    assert access.rule_visible(REP, "campaign", "CN/EAST/JS", "u1")
    assert not access.rule_visible(REP, "campaign", "CN/EAST/JS", "u2")
    assert access.rule_visible(MANAGER, "campaign", "CN/EAST/ZJ", "u2")
    assert not access.rule_visible(MANAGER, "campaign", "CN/WEST/SC", "u2")
    assert not access.rule_visible(MANAGER, "campaign", None, None)  # an old rule without its org
    assert access.rule_visible(FINANCE, "campaign", None, None)
