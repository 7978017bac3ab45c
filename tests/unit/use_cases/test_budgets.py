"""Budgets (预算池): allocate, carve, resize, coverage, the ledger, and what approval,
settlement and cancellation do to them (chalicelib.logic.budgets)."""

from __future__ import annotations

from chalicelib.domain.budget import Figures, replay
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import budgets, campaigns, settlement
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
    approved,
    budget,
    current,
    fed_back,
    figures,
    refused,
    submitted,
    trail_actions,
)


def ledger(budget_id: str, who=FINANCE) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in budgets.ledger(who, budget_id, PageRequest(100))[0].items]


def listed(who, org=None, period=None, category=None) -> list[tuple[str, str, str | None]]:
    page = budgets.list_budgets(who, org, period, category, PageRequest(50))
    return [(b.org, b.period, b.category) for b in page.items]


# -- allocate ----------------------------------------------------------------------------------
def test_leadership_allocates_a_budget_and_its_ledger_says_so():
    # WHEN a leader allocates 5,000,000 yuan THEN all of it is available and the ledger has one allocation
    b = budget(amount=500_000_000)
    assert figures(b.id) == (500_000_000, 0, 0, 0, 500_000_000)
    assert ledger(b.id) == [("allocate", 500_000_000)]
    # AND finance allocates too
    assert budgets.create_budget(FINANCE, "CN/EAST", "2026-Q4", "display", 1000, None).available == 1000


def test_one_budget_per_org_period_and_category():
    # GIVEN the company's 2026 budget WHEN it is allocated again THEN 409; another category is another budget
    budget()
    assert refused(budget).answer == (409, "budget_exists")
    assert budget(category="tasting").category == "tasting"  # another scope


def test_a_budget_names_every_field_at_fault():
    # WHEN a budget is for another company, a 13th month, an unknown category and 0 fen THEN all four are named
    r = refused(budgets.create_budget, LEADER, "US/EAST", "2026-13", "snacks", 0, None)
    assert r.answer == (400, "validation_error")
    assert r.codes == [
        ("org", "outside_company"),
        ("period", "not_a_period"),
        ("category", "unknown_category"),
        ("amount", "too_small"),
    ]


def test_only_leaders_and_finance_allocate():
    # WHEN a rep or a manager allocates THEN 403
    for who in (REP, PROVINCE, REGION):
        assert refused(budget, by=who).answer == (403, "forbidden")


# -- carve ---------------------------------------------------------------------------------------
def test_a_budget_carved_out_of_another_moves_money_down_and_both_ledgers_show_it():
    # GIVEN the company's 10,000 yuan WHEN 3,000 are carved out for the East's fourth quarter
    # THEN the parent has 3,000 allocated and 7,000 available, and each ledger says its part
    company = budget(amount=1_000_000)
    east = budget(amount=300_000, org="CN/EAST", period="2026-Q4", parent=company)
    assert east.parent_id == company.id
    assert figures(company.id) == (1_000_000, 300_000, 0, 0, 700_000)
    assert ledger(company.id) == [("allocate", 1_000_000), ("carve", 300_000)]
    assert ledger(east.id) == [("allocate", 300_000)]


def test_a_carved_budget_fits_inside_its_parent():
    # GIVEN a tasting budget for Q4 WHEN a child is for the whole year and displays THEN both misfits are named
    tastings = budget(period="2026-Q4", category="tasting")
    r = refused(budget, org="CN/EAST", period="2026", category="display", parent=tastings)
    assert r.codes == [("period", "outside_parent_period"), ("category", "not_parent_category")]
    # AND a child of the East may not be the West's
    east = budget(org="CN/EAST")
    assert refused(budget, org="CN/WEST", parent=east).codes == [("org", "outside_parent_org")]


def test_a_parent_never_gives_more_than_it_has():
    # GIVEN 1,000 yuan WHEN a child of 1,000.01 is carved THEN 409 with what is available, and nothing moves
    company = budget(amount=100_000)
    r = refused(budget, amount=100_001, org="CN/EAST", parent=company)
    assert r.answer == (409, "budget_exceeded") and r.details == {"available": 100_000}
    assert figures(company.id)[4] == 100_000


# -- resize --------------------------------------------------------------------------------------
def test_a_budget_grows_and_shrinks_but_never_below_what_it_has_committed():
    # GIVEN 5,000 yuan with 1,800 reserved by an approval
    b = budget(amount=500_000)
    approved(amount=180_000)
    # WHEN finance grows it, then shrinks it to exactly what is committed THEN both hold
    assert budgets.resize_budget(FINANCE, b.id, 600_000).amount == 600_000
    assert budgets.resize_budget(FINANCE, b.id, 180_000).available == 0
    # WHEN it would go one fen below THEN 409, and the ledger shows each change
    r = refused(budgets.resize_budget, FINANCE, b.id, 179_999)
    assert r.answer == (409, "budget_below_committed") and "180000" in r.message
    assert ledger(b.id) == [("allocate", 500_000), ("reserve", 180_000), ("adjust", 100_000), ("adjust", -420_000)]


def test_a_carved_budget_grows_out_of_its_parent_and_gives_back_when_it_shrinks():
    # GIVEN the East's 3,000 carved out of the company's 10,000
    # WHEN the East grows to 5,000, then shrinks to 1,000 THEN the parent's allocation follows
    company = budget(amount=1_000_000)
    east = budget(amount=300_000, org="CN/EAST", parent=company)
    budgets.resize_budget(LEADER, east.id, 500_000)
    assert figures(company.id)[1:] == (500_000, 0, 0, 500_000)
    budgets.resize_budget(LEADER, east.id, 100_000)
    assert figures(company.id)[1:] == (100_000, 0, 0, 900_000)
    # AND it never grows past what the parent has
    assert refused(budgets.resize_budget, LEADER, east.id, 1_000_001).answer == (409, "budget_exceeded")


def test_resizing_to_the_same_amount_books_nothing():
    # WHEN a budget is "resized" to its own amount THEN its ledger has no new entry
    b = budget(amount=500_000)
    budgets.resize_budget(FINANCE, b.id, 500_000)
    assert ledger(b.id) == [("allocate", 500_000)]


def test_a_shrink_that_loses_a_race_to_an_approval_is_measured_against_what_is_committed_now(store, monkeypatch):
    # GIVEN finance shrinks a 5,000-yuan budget to 1,000 while an approval reserves 1,800 of it
    b = budget(amount=500_000)
    c = submitted()
    real_get, raced = store.budgets.get, []

    def read_while_an_approval_lands(budget_id):
        found = real_get(budget_id)
        if not raced:
            raced.append(True)
            campaigns.approve_campaign(REGION, c.id, 180_000, None)
        return found

    monkeypatch.setattr(store.budgets, "get", read_while_an_approval_lands)
    # THEN the shrink is refused against what is committed now, and the reservation stands
    assert refused(budgets.resize_budget, FINANCE, b.id, 100_000).answer == (409, "budget_below_committed")
    assert figures(b.id) == (500_000, 0, 180_000, 0, 320_000)


# -- coverage ------------------------------------------------------------------------------------
def test_the_most_specific_budget_covers_a_campaign():
    # GIVEN the company's year, and the province's month, year and year-for-tastings
    company = budget(org="CN")
    month = budget(org="CN/EAST/JS", period="2026-11")
    year = budget(org="CN/EAST/JS", period="2026")
    tastings = budget(org="CN/EAST/JS", period="2026", category="tasting")

    def covering(**campaign) -> str:
        return current(approved(amount=1000, **campaign).id).budget.id

    # THEN the deepest org wins, then the category over none, then the shortest period
    assert covering() == tastings.id
    assert covering(category="display") == month.id
    assert covering(category="display", start_date="2026-12-01", end_date="2026-12-01") == year.id
    assert covering(owner=REP_ZJ) == company.id


def test_a_campaign_no_budget_covers_is_approved_unbudgeted():
    # GIVEN only the West has a budget WHEN a Jiangsu campaign is approved THEN nothing is reserved
    budget(org="CN/WEST")
    c = approved(amount=180_000)
    assert c.status == "approved" and c.budget is None and "budget_reserved" not in trail_actions(c.id)


# -- what campaigns do to budgets --------------------------------------------------------------------
def test_the_final_approval_reserves_the_approved_amount_in_the_same_change():
    # GIVEN 5,000 yuan WHEN 1,800 are approved THEN they are reserved, on the campaign and in its trail
    b = budget(amount=500_000)
    c = approved(amount=180_000)
    assert figures(b.id) == (500_000, 0, 180_000, 0, 320_000)
    assert c.budget.as_dict() == {
        "id": b.id,
        "org": "CN",
        "period": "2026",
        "category": None,
        "reserved": 180_000,
        "consumed": 0,
        "released": 0,
    }
    assert trail_actions(c.id)[-2:] == ["approved", "budget_reserved"]


def test_an_approval_the_budget_cannot_cover_is_refused_and_the_campaign_keeps_waiting():
    # GIVEN 1,000 yuan left WHEN 1,800 are approved THEN 409 with what is available; the application waits
    b = budget(amount=100_000)
    c = submitted()
    r = refused(campaigns.approve_campaign, REGION, c.id, 180_000, None)
    assert r.answer == (409, "budget_exceeded") and r.details == {"available": 100_000}
    assert current(c.id).status == "submitted" and figures(b.id)[2] == 0
    # AND approving what is available goes through
    assert campaigns.approve_campaign(REGION, c.id, 100_000, None).status == "approved"


def test_of_two_approvals_racing_for_the_last_of_a_budget_the_later_is_told_what_is_left(store, monkeypatch):
    # GIVEN 2,000 yuan and two applications approved at once: 1,200 lands while 1,500 is being written
    b = budget(amount=200_000)
    first, second = submitted(), submitted()
    real_covering, raced = store.budgets.covering, []

    def read_while_another_approval_lands(*args):
        found = real_covering(*args)  # the second approval has seen 200,000 available ...
        if not raced:
            raced.append(True)  # ... when the first one reserves 120,000 of it
            campaigns.approve_campaign(LEADER, first.id, 120_000, None)
        return found

    monkeypatch.setattr(store.budgets, "covering", read_while_another_approval_lands)
    # THEN the later one is told what is left, and keeps waiting
    r = refused(campaigns.approve_campaign, REGION, second.id, 150_000, None)
    assert r.answer == (409, "budget_exceeded") and r.details == {"available": 80_000}
    assert current(second.id).status == "submitted" and figures(b.id)[2:] == (120_000, 0, 80_000)


def test_settlement_consumes_what_is_paid_and_releases_the_rest():
    # GIVEN 1,800 yuan reserved and 1,500 actually spent WHEN finance settles
    # THEN 1,500 are consumed and 300 go back to the budget
    b = budget(amount=500_000)
    c = fed_back(amount=180_000, spend=150_000)
    paid = settlement.settle(FINANCE, c.id, None, None)
    assert (paid.budget.reserved, paid.budget.consumed, paid.budget.released) == (0, 150_000, 30_000)
    assert figures(b.id) == (500_000, 0, 0, 150_000, 350_000)
    assert trail_actions(c.id)[-3:] == ["reimbursed", "budget_consumed", "budget_released"]


def test_cancelling_gives_back_everything_the_campaign_held():
    # GIVEN 1,800 yuan reserved WHEN the rep withdraws THEN all of it goes back
    b = budget(amount=500_000)
    c = approved(amount=180_000)
    done = campaigns.cancel_campaign(REP, c.id, "the store closed")
    assert (done.budget.reserved, done.budget.released) == (0, 180_000)
    assert figures(b.id) == (500_000, 0, 0, 0, 500_000)
    assert trail_actions(c.id)[-2:] == ["cancelled", "budget_released"]


def test_replaying_a_budgets_ledger_gives_exactly_its_figures():
    # GIVEN a carve, three approvals, a cancellation, a settlement and a resize
    company = budget(amount=1_000_000)
    east = budget(amount=400_000, org="CN/EAST", parent=company)
    a, b, c = approved(amount=100_000), approved(amount=50_000), fed_back(amount=120_000, spend=90_000)
    campaigns.cancel_campaign(REP, a.id, "rained off")
    settlement.settle(FINANCE, c.id, None, None)
    budgets.resize_budget(LEADER, east.id, 300_000)
    # THEN each budget's ledger, replayed, gives exactly its figures
    for each in (company, east):
        entries = budgets.ledger(FINANCE, each.id, PageRequest(100))[0].items
        amount, allocated, reserved, consumed, _ = figures(each.id)
        assert replay(entries) == Figures(amount, allocated, reserved, consumed)
    assert figures(east.id) == (300_000, 0, 50_000, 90_000, 160_000)
    assert b.budget.id == east.id


# -- reading budgets --------------------------------------------------------------------------------
def test_a_manager_sees_the_budgets_of_their_subtree_after_their_ancestors_own():
    # GIVEN budgets for the company, the East, Jiangsu and the West
    budget(org="CN")
    budget(org="CN/EAST")
    budget(org="CN/EAST/JS")
    budget(org="CN/WEST")
    # THEN a manager lists their ancestors' own and their subtree's; a leader all
    assert listed(PROVINCE) == [("CN", "2026", None), ("CN/EAST", "2026", None), ("CN/EAST/JS", "2026", None)]
    assert listed(REGION) == [("CN", "2026", None), ("CN/EAST", "2026", None), ("CN/EAST/JS", "2026", None)]
    assert [org for org, _, _ in listed(LEADER)] == ["CN", "CN/EAST", "CN/EAST/JS", "CN/WEST"]


def test_budget_lists_filter_by_subtree_period_and_category_within_the_callers_scope():
    # GIVEN the company's year and the East's Q4 budgets (tastings, all)
    budget(org="CN", period="2026")
    budget(org="CN/EAST", period="2026-Q4", category="tasting")
    budget(org="CN/EAST", period="2026-Q4")
    assert listed(FINANCE, org="CN/EAST", category="tasting") == [("CN/EAST", "2026-Q4", "tasting")]
    assert listed(FINANCE, period="2026") == [("CN", "2026", None)]
    assert refused(listed, REGION, org="CN/WEST").answer == (403, "forbidden")
    assert refused(listed, FINANCE, period="26").codes == [("period", "not_a_period")]
    assert refused(listed, REP).answer == (403, "forbidden")


def test_a_budget_outside_the_callers_reach_is_forbidden_and_an_unknown_one_not_found():
    # GIVEN the East's budget: the Jiangsu manager draws on it; the West and another company may not see it
    east = budget(org="CN/EAST")
    assert budgets.get_budget(PROVINCE, east.id).id == east.id  # an ancestor's: the money they draw on
    for who in (WEST, OUTSIDER):
        assert refused(budgets.get_budget, who, east.id).answer == (403, "forbidden")
        assert refused(budgets.ledger, who, east.id, PageRequest()).answer == (403, "forbidden")
    assert refused(budgets.get_budget, FINANCE, "01NOPE").answer == (404, "not_found")


def test_a_ledger_pages_oldest_first():
    # GIVEN an allocation and three reservations WHEN read two at a time THEN oldest first, all of them
    b = budget(amount=1_000_000)
    for _ in range(3):
        approved(amount=1000)
    first, _ = budgets.ledger(FINANCE, b.id, PageRequest(2))
    rest, _ = budgets.ledger(FINANCE, b.id, PageRequest(10, first.next_cursor))
    assert [(e.kind, e.amount) for e in first.items + rest.items] == [("allocate", 1_000_000)] + [("reserve", 1000)] * 3


def test_a_ledger_names_the_campaigns_behind_its_entries_that_the_reader_may_see():
    # GIVEN the company's budget with reservations for a Jiangsu and a Sichuan campaign
    budget(amount=1_000_000)
    js = approved(amount=1000, title="Weekend tasting")
    sc = approved(amount=2000, owner=REP_WEST, approver=WEST, title="Chengdu roadshow")
    company = budgets.list_budgets(FINANCE, None, None, None, PageRequest())
    [b] = company.items
    # THEN finance reads both titles; the Jiangsu manager, who draws on it too, only Jiangsu's
    assert budgets.ledger(FINANCE, b.id, PageRequest())[1] == {js.id: "Weekend tasting", sc.id: "Chengdu roadshow"}
    assert budgets.ledger(PROVINCE, b.id, PageRequest())[1] == {js.id: "Weekend tasting"}
