"""Approval chains, step authority, delegation and the keys of the approvals worklist."""

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.approval import (
    ANY_MANAGER,
    Approval,
    ChainStep,
    Delegation,
    approver_keys,
    chain_at_submit,
    inbox_keys,
    is_eligible_delegate,
    leader_key,
    may_act_for,
    may_take_step,
    new_delegation,
    parse_policy,
    resolve_authority,
    start_approval,
    take_step,
    waiting_keys,
)
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput

EXAMPLE = [
    {"up_to": 500000, "approver": "province"},
    {"up_to": 5000000, "approver": "region"},
    {"up_to": None, "approver": "leader"},
]
POLICY = parse_policy(EXAMPLE)
TODAY = "2026-11-23"
AT = "2026-11-23T08:00:00.000Z"

REP_JS = Principal("u1", "rep", "CN/EAST/JS", "李雷")
PROVINCE_JS = Principal("p1", "manager", "CN/EAST/JS", "省经理")
PROVINCE_ZJ = Principal("p2", "manager", "CN/EAST/ZJ", "浙江经理")
REGION_EAST = Principal("r1", "manager", "CN/EAST", "大区经理")
REGION_WEST = Principal("r2", "manager", "CN/WEST", "西区经理")
LEADER = Principal("l1", "leader", "CN", "总经理")
OTHER_LEADER = Principal("l9", "leader", "US", "Boss")


def person(p: Principal) -> Person:
    return Person(p.sub, p.name)


def chain(amount, org="CN/EAST/JS", role="rep", policy=POLICY):
    return [(s.level, s.org) for s in chain_at_submit(policy, amount, org, role, org)]


def fields_of(error: InvalidInput) -> list[str]:
    return [e["field"] for e in error.errors]


def approve(approval, who, amount, requested=600_000, owner="u1", delegations=(), acting_for=None, today=TODAY):
    authority = resolve_authority(who, approval, owner, delegations, today, acting_for)
    return take_step(approval, authority, person(who), amount, requested, AT, comment="ok")


# -- the policy ------------------------------------------------------------------------------
def test_the_example_policy_of_the_contract_is_valid():
    assert POLICY.as_dict() == {"levels": EXAMPLE}
    assert parse_policy([{"up_to": None, "approver": "leader"}]).levels[0].up_to is None
    assert parse_policy([{"up_to": 100, "approver": "region"}]).levels[0].approver == "region"


@pytest.mark.parametrize(
    "levels,field",
    [
        ([{"up_to": 500, "approver": "province"}, {"up_to": 500, "approver": "region"}], "levels.1.up_to"),
        ([{"up_to": 900, "approver": "province"}, {"up_to": 500, "approver": "region"}], "levels.1.up_to"),
        ([{"up_to": None, "approver": "province"}, {"up_to": 500, "approver": "region"}], "levels.0.up_to"),
        ([{"up_to": 500, "approver": "province"}, {"up_to": None, "approver": "boss"}], "levels.1.approver"),
        ([{"up_to": 500, "approver": "Province"}], "levels.0.approver"),
        ([{"up_to": 500}], "levels.0.approver"),
        ([{"up_to": 0, "approver": "province"}], "levels.0.up_to"),
        ([{"up_to": -1, "approver": "province"}], "levels.0.up_to"),
        ([{"up_to": 2**63, "approver": "province"}], "levels.0.up_to"),
        ([{"up_to": 1.5, "approver": "province"}], "levels.0.up_to"),
        ([{"up_to": True, "approver": "province"}], "levels.0.up_to"),
        ([{"up_to": "500", "approver": "province"}], "levels.0.up_to"),
        ([{"up_to": 500, "approver": "region"}, {"up_to": 900, "approver": "province"}], "levels.1.approver"),
        ([{"up_to": 500, "approver": "region"}, {"up_to": 900, "approver": "region"}], "levels.1.approver"),
        ([{"up_to": 500, "approver": "region", "role": "x"}], "levels.0.role"),
        (["province"], "levels.0"),
        ([], "levels"),
        (None, "levels"),
        ({"up_to": 1, "approver": "leader"}, "levels"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_level_at_fault(levels, field):
    with pytest.raises(InvalidInput) as e:
        parse_policy(levels)
    assert field in fields_of(e.value)


def test_every_fault_of_a_policy_is_named_at_once():
    with pytest.raises(InvalidInput) as e:
        parse_policy([{"up_to": None, "approver": "province"}, {"up_to": 5, "approver": "mayor"}])
    assert fields_of(e.value) == ["levels.0.up_to", "levels.1.approver"]


# -- the chain fixed at submit ---------------------------------------------------------------
@pytest.mark.parametrize(
    "amount,expected",
    [
        (1, [("province", "CN/EAST/JS")]),
        (500_000, [("province", "CN/EAST/JS")]),  # up_to is inclusive
        (500_001, [("province", "CN/EAST/JS"), ("region", "CN/EAST")]),
        (5_000_000, [("province", "CN/EAST/JS"), ("region", "CN/EAST")]),
        (5_000_001, [("province", "CN/EAST/JS"), ("region", "CN/EAST"), ("leader", "CN")]),
    ],
)
def test_a_reps_chain_at_depth_3_climbs_as_far_as_the_amount_needs(amount, expected):
    assert chain(amount) == expected


@pytest.mark.parametrize(
    "amount,expected",
    [
        (300_000, [("region", "CN/EAST")]),  # no province step; the first level above
        (2_000_000, [("region", "CN/EAST")]),
        (9_000_000, [("region", "CN/EAST"), ("leader", "CN")]),
    ],
)
def test_a_rep_at_depth_2_has_no_province_step(amount, expected):
    assert chain(amount, org="CN/EAST") == expected


@pytest.mark.parametrize(
    "amount,expected",
    [
        (300_000, [("region", "CN/EAST")]),  # a province manager's own node is skipped
        (2_000_000, [("region", "CN/EAST")]),
        (9_000_000, [("region", "CN/EAST"), ("leader", "CN")]),
    ],
)
def test_a_province_managers_application_starts_at_the_region(amount, expected):
    assert chain(amount, role="manager") == expected


@pytest.mark.parametrize("amount", [300_000, 2_000_000, 9_000_000])
def test_a_region_managers_application_goes_to_the_leader(amount):
    assert chain(amount, org="CN/EAST", role="manager") == [("leader", "CN")]


def test_a_campaign_below_the_province_is_approved_by_its_province_office():
    assert chain(100, org="CN/EAST/JS/NJ") == [("province", "CN/EAST/JS")]
    assert chain(100, org="CN/EAST/JS/NJ", role="manager") == [("province", "CN/EAST/JS")]


def test_a_rep_at_the_company_root_goes_to_the_leader():
    assert chain(100, org="CN") == [("leader", "CN")]


def test_an_amount_above_a_capped_last_level_needs_every_level():
    capped = parse_policy([{"up_to": 1000, "approver": "province"}, {"up_to": 2000, "approver": "region"}])
    assert chain(5000, policy=capped) == [("province", "CN/EAST/JS"), ("region", "CN/EAST")]


def test_where_the_policy_has_nothing_above_the_skipped_levels_the_next_approver_up_decides():
    province_only = parse_policy([{"up_to": None, "approver": "province"}])
    assert chain(100, role="manager", policy=province_only) == [("region", "CN/EAST")]
    up_to_region = parse_policy([{"up_to": 1000, "approver": "province"}, {"up_to": None, "approver": "region"}])
    assert chain(100, org="CN/EAST", role="manager", policy=up_to_region) == [("leader", "CN")]


def test_without_a_policy_one_step_by_any_manager_over_the_campaign():
    assert chain(10**9, policy=None) == [(ANY_MANAGER, "CN/EAST/JS")]


def test_the_approval_view_shows_the_chain_the_steps_and_what_is_next():
    approval = start_approval(POLICY, 600_000, "CN/EAST/JS", "rep", "CN/EAST/JS")
    assert approval.as_dict() == {
        "chain": [{"level": "province", "org": "CN/EAST/JS"}, {"level": "region", "org": "CN/EAST"}],
        "steps": [],
        "next": {"level": "province", "org": "CN/EAST/JS"},
    }
    after = approve(approval, PROVINCE_JS, 550_000)
    assert after.as_dict()["steps"] == [
        {"level": "province", "by": {"id": "p1", "name": "省经理"}, "amount": 550_000, "comment": "ok", "at": AT}
    ]
    assert after.as_dict()["next"] == {"level": "region", "org": "CN/EAST"}
    assert after.as_dict(status="rejected")["next"] is None
    assert Approval.from_dict(after.as_dict()) == after


# -- who may take a step ---------------------------------------------------------------------
def two_step() -> Approval:
    return start_approval(POLICY, 600_000, "CN/EAST/JS", "rep", "CN/EAST/JS")


def test_the_chain_is_walked_in_order_by_exactly_the_right_managers_and_completes():
    # GIVEN a 6,000 yuan application by a rep in Jiangsu: province, then region
    approval = two_step()
    # WHEN the Jiangsu manager lowers it and then the East region manager approves
    approval = approve(approval, PROVINCE_JS, 550_000)
    assert not approval.complete and approval.next == ChainStep("region", "CN/EAST")
    approval = approve(approval, REGION_EAST, 500_000)
    # THEN the chain is complete at the last step's amount
    assert approval.complete and approval.next is None and approval.approved_amount == 500_000


@pytest.mark.parametrize(
    "who",
    [
        PROVINCE_ZJ,
        REGION_EAST,
        REGION_WEST,
        OTHER_LEADER,
        Principal("x", "finance", "CN"),
        Principal("u2", "rep", "CN/EAST/JS"),
    ],
)
def test_anyone_but_the_steps_own_manager_or_a_leader_is_refused_not_your_step(who):
    with pytest.raises(Forbidden) as e:
        resolve_authority(who, two_step(), "u1", (), TODAY)
    assert e.value.code == "not_your_step"


def test_a_leaders_approval_completes_the_chain_at_once():
    approval = approve(two_step(), LEADER, 600_000)
    assert approval.complete and approval.steps[0].level == "leader" and approval.next is None
    approval = approve(approve(two_step(), PROVINCE_JS, 550_000), LEADER, 550_000)
    assert approval.complete and [s.level for s in approval.steps] == ["province", "leader"]


def test_nobody_decides_their_own_application():
    mine = start_approval(None, 100, "CN/EAST", "manager", "CN/EAST")
    with pytest.raises(Forbidden) as e:
        resolve_authority(REGION_EAST, mine, "r1", (), TODAY)
    assert e.value.code == "self_approval"


def test_a_step_may_lower_the_amount_but_never_raise_it_above_the_previous_step_or_the_request():
    with pytest.raises(InvalidInput) as e:
        approve(two_step(), PROVINCE_JS, 600_001)
    assert fields_of(e.value) == ["approved_amount"]
    lowered = approve(two_step(), PROVINCE_JS, 400_000)
    with pytest.raises(InvalidInput) as e:
        approve(lowered, REGION_EAST, 400_001)
    assert fields_of(e.value) == ["approved_amount"] and "previous step" in e.value.errors[0]["message"]
    assert approve(lowered, REGION_EAST, 400_000).approved_amount == 400_000


@pytest.mark.parametrize("bad", [-1, 1.0, True, None])
def test_a_step_amount_must_be_whole_fen(bad):
    with pytest.raises(InvalidInput):
        approve(two_step(), PROVINCE_JS, bad)


def test_a_complete_chain_takes_no_further_step():
    done = approve(two_step(), LEADER, 1)
    with pytest.raises(Conflict) as e:
        resolve_authority(REGION_EAST, done, "u1", (), TODAY)
    assert e.value.code == "invalid_state"


def test_without_a_policy_any_manager_over_the_campaign_or_a_leader_decides_alone():
    for who in (PROVINCE_JS, REGION_EAST, Principal("g1", "manager", "CN"), LEADER):
        approval = approve(start_approval(None, 100, "CN/EAST/JS", "rep", "CN/EAST/JS"), who, 100, requested=100)
        assert approval.complete
    for who in (PROVINCE_ZJ, REGION_WEST, Principal("n1", "manager", "CN/EAST/JS/NJ"), OTHER_LEADER):
        with pytest.raises(Forbidden) as e:
            resolve_authority(who, start_approval(None, 100, "CN/EAST/JS", "rep", "CN/EAST/JS"), "u1", (), TODAY)
        assert e.value.code == "not_your_step"


def test_may_take_step_reads_as_the_contract_says():
    province = ChainStep("province", "CN/EAST/JS")
    assert may_take_step("manager", "CN/EAST/JS", province)
    assert not may_take_step("manager", "CN/EAST", province)  # exactly the node, not above it
    assert may_take_step("leader", "CN", province)
    assert not may_take_step("leader", "US", province)
    assert not may_take_step("manager", "CN", ChainStep("leader", "CN"))
    assert not may_take_step("finance", "CN", province)


# -- delegation ------------------------------------------------------------------------------
DELEGATE = Principal("d1", "manager", "CN/WEST/SC", "代理人")


def delegation(delegator=REGION_EAST, to=DELEGATE, start="2026-11-20", until="2026-11-30") -> Delegation:
    return new_delegation(delegator, person(to), start, until, TODAY)


def test_a_delegation_lends_authority_on_its_days_only():
    d = delegation()
    assert d.active_on("2026-11-20") and d.active_on("2026-11-30")
    assert not d.active_on("2026-11-19") and not d.active_on("2026-12-01")
    assert d.as_dict() == {
        "delegator": {"id": "r1", "name": "大区经理", "role": "manager", "org": "CN/EAST"},
        "to": {"id": "d1", "name": "代理人"},
        "from": "2026-11-20",
        "until": "2026-11-30",
    }


@pytest.mark.parametrize(
    "to,start,until,field",
    [
        (REGION_EAST, "2026-11-24", "2026-11-30", "to.id"),
        (Principal("", "manager", "CN"), "2026-11-24", "2026-11-30", "to.id"),
        (DELEGATE, "2026-11-30", "2026-11-24", "until"),
        (DELEGATE, "2026-11-01", "2026-11-22", "until"),  # entirely before today
        (DELEGATE, "2026-02-30", "2026-11-30", "from"),
        (DELEGATE, "2026-11-24", "tomorrow", "until"),
        (DELEGATE, None, "2026-11-30", "from"),
    ],
)
def test_a_bad_delegation_is_refused_naming_the_field(to, start, until, field):
    with pytest.raises(InvalidInput) as e:
        delegation(to=to, start=start, until=until)
    assert fields_of(e.value) == [field]


def test_a_delegation_that_started_earlier_and_ends_today_is_fine():
    assert delegation(start="2026-11-01", until=TODAY).active_on(TODAY)


def test_only_managers_and_leaders_delegate():
    with pytest.raises(Forbidden):
        new_delegation(REP_JS, person(DELEGATE), "2026-11-24", "2026-11-30", TODAY)


def test_a_delegate_must_be_a_manager_or_leader_of_the_same_company():
    d = delegation()
    assert is_eligible_delegate(DELEGATE, d)
    assert not is_eligible_delegate(Principal("d1", "rep", "CN/WEST/SC"), d)
    assert not is_eligible_delegate(Principal("d1", "finance", "CN"), d)
    assert not is_eligible_delegate(Principal("d1", "manager", "US/WEST"), d)
    assert not is_eligible_delegate(Principal("d2", "manager", "CN/WEST/SC"), d)
    assert may_act_for(DELEGATE, d, TODAY) and not may_act_for(DELEGATE, d, "2026-12-01")


def test_a_delegate_takes_the_delegators_step_and_the_step_records_both():
    after_province = approve(two_step(), PROVINCE_JS, 550_000)
    done = approve(after_province, DELEGATE, 500_000, delegations=[delegation()])
    step = done.steps[-1]
    assert done.complete and step.level == "region"
    assert step.by == Person("d1", "代理人") and step.acting_for == Person("r1", "大区经理")
    assert step.as_dict()["acting_for"] == {"id": "r1", "name": "大区经理"}


@pytest.mark.parametrize(
    "who,today",
    [
        (DELEGATE, "2026-12-01"),  # after the delegated days
        (DELEGATE, "2026-11-19"),  # before them
        (Principal("d1", "rep", "CN/WEST/SC"), TODAY),  # not a manager or leader
        (Principal("d1", "manager", "US/WEST"), TODAY),  # a token of another company
    ],
)
def test_outside_the_dates_or_without_a_valid_delegates_token_there_is_no_authority(who, today):
    after_province = approve(two_step(), PROVINCE_JS, 550_000)
    with pytest.raises(Forbidden) as e:
        resolve_authority(who, after_province, "u1", [delegation()], today)
    assert e.value.code == "not_your_step"


def test_without_acting_for_the_callers_own_authority_is_used_first():
    # GIVEN the Jiangsu manager also holds a delegation from the region manager
    d = delegation(to=PROVINCE_JS)
    # WHEN they approve the province step without naming anyone
    approval = approve(two_step(), PROVINCE_JS, 550_000, delegations=[d])
    # THEN they acted in their own right
    assert approval.steps[0].acting_for is None


def test_a_delegate_may_name_whom_they_act_for():
    d = delegation(to=PROVINCE_ZJ)
    authority = resolve_authority(
        PROVINCE_ZJ, approve(two_step(), PROVINCE_JS, 550_000), "u1", [d], TODAY, acting_for="r1"
    )
    assert authority.acting_for == Person("r1", "大区经理")
    with pytest.raises(Forbidden) as e:
        resolve_authority(PROVINCE_ZJ, two_step(), "u1", [d], TODAY, acting_for="someone-else")
    assert e.value.code == "not_your_step"


def test_naming_a_delegator_whose_delegation_cannot_take_the_step_is_not_your_step():
    with pytest.raises(Forbidden) as e:
        resolve_authority(PROVINCE_ZJ, two_step(), "u1", [delegation(to=PROVINCE_ZJ)], TODAY, acting_for="r1")
    assert e.value.code == "not_your_step"


def test_nobody_approves_the_delegators_own_application_in_their_name():
    # GIVEN the Jiangsu manager's own application, without a policy, and their delegate
    own = start_approval(None, 100, "CN/EAST/JS", "manager", "CN/EAST/JS")
    d = delegation(delegator=PROVINCE_JS, to=PROVINCE_ZJ)
    # THEN the delegate cannot decide it for them, named or not
    for acting_for in ("p1", None):
        with pytest.raises(Forbidden) as e:
            resolve_authority(PROVINCE_ZJ, own, "p1", [d], TODAY, acting_for=acting_for)
        assert e.value.code == "self_approval"
    # AND a delegate deciding their own application through someone else's right is refused too
    with pytest.raises(Forbidden) as e:
        resolve_authority(PROVINCE_ZJ, own, "p2", [delegation(delegator=REGION_EAST, to=PROVINCE_ZJ)], TODAY)
    assert e.value.code == "self_approval"


def test_the_same_person_never_approves_twice_in_one_chain_even_through_a_delegation():
    # GIVEN the Jiangsu manager approved the province step and holds the region manager's delegation
    after_province = approve(two_step(), PROVINCE_JS, 550_000)
    with pytest.raises(Forbidden) as e:
        resolve_authority(PROVINCE_JS, after_province, "u1", [delegation(to=PROVINCE_JS)], TODAY)
    assert e.value.code == "already_approved"
    # AND whoever took the province step for the province manager, neither of them takes the region step
    by_delegate = approve(two_step(), PROVINCE_ZJ, 550_000, delegations=[delegation(PROVINCE_JS, PROVINCE_ZJ)])
    for who in (PROVINCE_ZJ, PROVINCE_JS):
        with pytest.raises(Forbidden) as e:
            resolve_authority(who, by_delegate, "u1", [delegation(to=who)], TODAY)
        assert e.value.code == "already_approved"
    # WHILE the region manager in person still may
    assert approve(by_delegate, REGION_EAST, 500_000).complete


def test_a_leaders_delegate_completes_the_chain_in_the_leaders_name():
    done = approve(two_step(), DELEGATE, 600_000, delegations=[delegation(delegator=LEADER)])
    assert done.complete and done.steps[0].level == "leader" and done.steps[0].acting_for.id == "l1"


# -- the approvals worklist ------------------------------------------------------------------
def test_a_campaign_waits_on_the_exact_node_of_its_next_step():
    approval = two_step()
    assert waiting_keys(approval) == ("CN/EAST/JS",)
    assert waiting_keys(approve(approval, PROVINCE_JS, 1)) == ("CN/EAST",)
    big = start_approval(POLICY, 9_000_000, "CN/EAST", "manager", "CN/EAST")
    assert waiting_keys(big) == (leader_key("CN"),) == ("CN#leader",)
    assert waiting_keys(approve(big, LEADER, 1, requested=9_000_000, owner="r1")) == ()


def test_without_a_policy_a_campaign_waits_on_every_manager_node_up_to_the_root():
    assert waiting_keys(start_approval(None, 1, "CN/EAST/JS", "rep", "CN/EAST/JS")) == ("CN/EAST/JS", "CN/EAST", "CN")


def test_the_keys_an_approver_queries():
    assert approver_keys("manager", "CN/EAST") == ("CN/EAST",)
    assert approver_keys("leader", "CN") == ("CN#leader", "CN")
    assert approver_keys("rep", "CN/EAST/JS") == () and approver_keys("finance", "CN") == ()


def test_an_active_delegation_adds_the_delegators_keys_to_the_delegates_inbox():
    d = delegation()
    assert inbox_keys(DELEGATE, [d], TODAY) == {"CN/WEST/SC": None, "CN/EAST": Person("r1", "大区经理")}
    assert inbox_keys(DELEGATE, [d], "2026-12-01") == {"CN/WEST/SC": None}
    assert inbox_keys(REGION_EAST, [delegation(delegator=PROVINCE_JS, to=REGION_EAST)], TODAY)["CN/EAST"] is None


@pytest.mark.parametrize(
    "org,role,amount,policy",
    [
        (org, role, amount, policy)
        for org in ("CN/EAST/JS", "CN/EAST", "CN/EAST/JS/NJ", "CN")
        for role in ("rep", "manager")
        for amount in (1, 600_000, 9_000_000)
        for policy in (POLICY, None)
    ],
)
def test_whoever_may_take_the_next_step_finds_it_under_one_of_their_keys(org, role, amount, policy):
    approval = start_approval(policy, amount, org, role, org)
    waiting = set(waiting_keys(approval))
    approvers = [
        Principal("x", "manager", node)
        for node in ("CN", "CN/EAST", "CN/EAST/JS", "CN/EAST/JS/NJ", "CN/WEST", "CN/EAST/ZJ")
    ] + [LEADER]
    for who in approvers:
        finds = bool(waiting & set(approver_keys(who.role, who.org)))
        may = may_take_step(who.role, who.org, approval.next)
        if who.role == "manager":
            assert finds == may, (who.org, approval.next)
        else:
            # a leader may take any step, and finds the ones that are the leaders' (or anyone's)
            assert may and finds == (approval.next.level in ("leader", ANY_MANAGER))
