"""Scope rules: rep — own; manager — subtree; leader and finance — their company."""
import pytest

from chalicelib.domain.access import Principal, in_scope, list_scope, require_approver
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


@pytest.mark.parametrize("who,org,owner,expected", [
    (REP, "CN/EAST/JS", "u1", True),
    (REP, "CN/EAST/JS", "u2", False),
    (MANAGER, "CN/EAST/ZJ", "u2", True),
    (MANAGER, "CN/WEST/SC", "u2", False),
    (LEADER, "CN/WEST/SC", "u2", True),
    (LEADER, "US/WEST", "u2", False),
    (Principal("f1", "finance", "CN"), "CN/WEST/SC", "u2", True),
])
def test_scope(who, org, owner, expected):
    assert in_scope(who, org, owner) is expected


def test_a_list_filter_outside_the_callers_scope_is_refused_not_widened():
    assert list_scope(MANAGER, None, None) == ("CN/EAST", None)
    assert list_scope(MANAGER, "CN/EAST/JS", None) == ("CN/EAST/JS", None)
    with pytest.raises(Forbidden):
        list_scope(MANAGER, "CN/WEST", None)
    with pytest.raises(Forbidden):
        list_scope(LEADER, "US", None)
    assert list_scope(REP, None, None) == ("CN", "u1")
    with pytest.raises(Forbidden):
        list_scope(REP, None, "u2")


def test_nobody_approves_their_own_application():
    with pytest.raises(Forbidden) as err:
        require_approver(MANAGER, "CN/EAST", "m1")
    assert err.value.code == "self_approval"
    with pytest.raises(Forbidden):
        require_approver(MANAGER, "CN/WEST/SC", "u9")
    require_approver(LEADER, "CN/WEST/SC", "u9")
