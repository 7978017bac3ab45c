"""Budgets: periods, the rules of a new budget, coverage, the ledger and every money effect."""

import random
from dataclasses import replace

import pytest

from chalicelib.domain.audit import Person
from chalicelib.domain.budget import (
    MAX_AMOUNT,
    Budget,
    BudgetExceeded,
    BudgetScope,
    CampaignBudget,
    Delta,
    Effect,
    apply_delta,
    cancellation_effect,
    check_amount,
    coverage_scopes,
    creation_effect,
    new_budget,
    parse_period,
    periods_containing,
    replay,
    reservation_effect,
    resize_effect,
    settlement_effect,
)
from chalicelib.domain.errors import Conflict, InvalidInput

NOW = "2026-11-23T08:00:00.000Z"
FIN = Person("f1", "财务小王")
CATEGORIES = ("tasting", "display")


def fields_of(error: InvalidInput) -> list[str]:
    return [e["field"] for e in error.errors]


def budget(id="B1", org="CN", period="2026", category=None, amount=1000, **kw) -> Budget:
    return Budget(
        id=id,
        tenant=org.split("/")[0],
        org=org,
        period=period,
        category=category,
        amount=amount,
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )


def create(parent=None, **kw) -> Budget:
    args = dict(
        budget_id="B2",
        tenant="CN",
        org="CN/EAST",
        period="2026-Q4",
        category=None,
        amount=100,
        now=NOW,
        parent=parent,
        categories=CATEGORIES,
    )
    args.update(kw)
    return new_budget(**args)


def commit(budgets: dict[str, Budget], ledgers: dict[str, list], effect: Effect) -> None:
    """What a store does with an effect, all or nothing: conditional updates, then the entries."""
    updated = {d.budget_id: apply_delta(budgets[d.budget_id], d, NOW) for d in effect.deltas}
    if effect.created is not None:
        updated[effect.created.id] = effect.created
    for b in updated.values():
        b.version = (b.version or 0) + 1
    budgets.update(updated)
    for entry in effect.entries:
        ledgers.setdefault(entry.ledger_id, []).append(entry)


# -- periods ---------------------------------------------------------------------------------
def test_a_period_is_a_year_a_quarter_or_a_month():
    assert parse_period("2026").months == 12
    assert parse_period("2026-Q4").month_range() == (10, 12)
    assert parse_period("2026-02").text == "2026-02"
    assert parse_period("2026-Q1").text == "2026-Q1"


@pytest.mark.parametrize(
    "bad",
    [
        "2026-13",
        "2026-Q5",
        "26",
        "2026-1",
        "2026-Q0",
        "2026-00",
        "2026-q1",
        " 2026",
        "2026-",
        "1999",
        "2100",
        "",
        None,
        2026,
        "2026-W01",
        "2026-11-01",
    ],
)
def test_a_bad_period_is_refused_naming_the_period_field(bad):
    with pytest.raises(InvalidInput) as e:
        parse_period(bad)
    assert fields_of(e.value) == ["period"]


@pytest.mark.parametrize(
    "outer,inner,fits",
    [
        ("2026", "2026", True),
        ("2026", "2026-Q3", True),
        ("2026", "2026-07", True),
        ("2026-Q3", "2026-07", True),
        ("2026-Q3", "2026-09", True),
        ("2026-Q3", "2026-Q3", True),
        ("2026-07", "2026-07", True),
        ("2026-Q3", "2026-10", False),
        ("2026-Q3", "2026", False),
        ("2026-07", "2026-Q3", False),
        ("2026", "2027-01", False),
    ],
)
def test_a_year_contains_its_quarters_and_months_and_a_quarter_its_months(outer, inner, fits):
    parent = budget(org="CN", period=outer, amount=1000)
    if fits:
        assert create(parent=parent, org="CN/EAST", period=inner).period == inner
    else:
        with pytest.raises(InvalidInput) as e:
            create(parent=parent, org="CN/EAST", period=inner)
        assert fields_of(e.value) == ["period"]


def test_a_start_date_belongs_to_its_month_its_quarter_and_its_year_shortest_first():
    assert periods_containing("2026-11-05") == ("2026-11", "2026-Q4", "2026")
    assert periods_containing("2026-01-01") == ("2026-01", "2026-Q1", "2026")
    assert periods_containing("2026-03-31") == ("2026-03", "2026-Q1", "2026")


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-11", "20261105", "", None])
def test_a_bad_start_date_is_refused_naming_it(bad):
    with pytest.raises(InvalidInput) as e:
        periods_containing(bad)
    assert fields_of(e.value) == ["start_date"]


# -- a new budget ----------------------------------------------------------------------------
def test_a_new_top_budget_starts_with_its_whole_amount_available():
    b = create(org="CN", period="2026", amount=5_000_000)
    assert (b.amount, b.allocated, b.reserved, b.consumed, b.available) == (5_000_000, 0, 0, 0, 5_000_000)
    assert b.tenant == "CN" and b.parent_id is None and b.scope == BudgetScope("CN", "2026", None)


@pytest.mark.parametrize("bad", [0, -1, -(10**6), 2**63, MAX_AMOUNT + 1, 1.5, True, "100", None])
def test_a_zero_negative_huge_or_non_integer_amount_is_refused_naming_amount(bad):
    with pytest.raises(InvalidInput) as e:
        create(amount=bad)
    assert fields_of(e.value) == ["amount"]


def test_the_largest_amount_is_accepted_and_two_to_the_63_is_refused_with_a_clear_message():
    assert check_amount(MAX_AMOUNT) == MAX_AMOUNT
    with pytest.raises(InvalidInput) as e:
        check_amount(2**63)
    assert "at most" in e.value.errors[0]["message"]


@pytest.mark.parametrize("org", ["US/EAST", "CNX", "CN//JS", "CN/../US", "", None])
def test_an_org_of_another_company_or_malformed_is_refused_naming_org(org):
    with pytest.raises(InvalidInput) as e:
        create(org=org)
    assert fields_of(e.value) == ["org"]


def test_an_unknown_category_is_refused_naming_category():
    with pytest.raises(InvalidInput) as e:
        create(category="fireworks")
    assert fields_of(e.value) == ["category"]


def test_every_field_at_fault_is_named_at_once():
    with pytest.raises(InvalidInput) as e:
        create(org="US", period="2026-13", amount=0)
    assert fields_of(e.value) == ["org", "period", "amount"]


def test_a_child_carved_from_a_parent_fits_inside_it():
    parent = budget(org="CN", period="2026", category=None, amount=1000)
    child = create(parent=parent, org="CN/EAST", period="2026-Q4", category="tasting", amount=400)
    assert child.parent_id == "B1" and child.amount == 400
    same_org = create(parent=parent, org="CN", period="2026-Q1", amount=400)
    assert same_org.parent_id == "B1"


@pytest.mark.parametrize(
    "parent_kw,child_kw,field",
    [
        (dict(org="CN/EAST"), dict(org="CN/WEST"), "org"),  # a sibling
        (dict(org="CN/EAST"), dict(org="CN"), "org"),  # above the parent
        (dict(org="CN/EAST"), dict(org="CN/EASTERN"), "org"),  # whole segments only
        (dict(period="2026-Q3"), dict(period="2026-Q4"), "period"),
        (dict(period="2026-Q4"), dict(period="2026"), "period"),  # longer than the parent
        (dict(period="2026"), dict(period="2027-01"), "period"),
        (dict(category="tasting"), dict(category="display"), "category"),
        (dict(category="tasting"), dict(category=None), "category"),  # every category is wider
    ],
)
def test_a_parent_that_does_not_contain_the_child_is_refused_naming_the_field(parent_kw, child_kw, field):
    parent = budget(**{"org": "CN", "period": "2026", "amount": 1000, **parent_kw})
    with pytest.raises(InvalidInput) as e:
        create(parent=parent, **{"org": "CN/EAST", "period": "2026-Q4", "category": "tasting", **child_kw})
    assert fields_of(e.value) == [field]


def test_a_parent_of_another_company_is_refused_naming_parent_id():
    with pytest.raises(InvalidInput) as e:
        create(parent=budget(org="US"), org="CN/EAST")
    assert fields_of(e.value) == ["parent_id"]


def test_a_child_larger_than_what_the_parent_has_left_is_budget_exceeded_with_available():
    parent = budget(amount=1000, allocated=600, reserved=150, consumed=50)
    with pytest.raises(BudgetExceeded) as e:
        create(parent=parent, amount=201)
    assert e.value.code == "budget_exceeded" and e.value.available == 200
    assert isinstance(e.value, Conflict) and e.value.details == {"available": 200}
    assert create(parent=parent, amount=200).amount == 200


def test_a_child_with_its_parents_own_scope_is_a_duplicate():
    parent = budget(org="CN/EAST", period="2026-Q4")
    with pytest.raises(Conflict) as e:
        create(parent=parent, org="CN/EAST", period="2026-Q4", category=None)
    assert e.value.code == "budget_exists"


# -- coverage --------------------------------------------------------------------------------
def covering(budgets: list[Budget], campaign_org: str, category: str, start_date: str) -> Budget | None:
    """The budget an approval would reserve from, among `budgets` stored as POST /budgets
    stores them (dal/memory.py runs the same coverage_scopes lookup as DynamoDB's)."""
    from chalicelib.dal.memory import InMemoryStorage

    store = InMemoryStorage().budgets
    for b in budgets:
        store.apply(creation_effect(b, None, FIN, NOW))
    return store.covering(campaign_org, category, start_date)


def test_the_deepest_org_covers_a_campaign_before_a_category_match_higher_up():
    region = budget("R", org="CN/EAST", category=None)
    top_tasting = budget("T", org="CN", category="tasting")
    assert covering([top_tasting, region], "CN/EAST/JS", "tasting", "2026-11-05").id == "R"


def test_within_one_org_a_category_match_covers_before_every_category():
    every = budget("E", org="CN/EAST", period="2026-11", category=None)
    tasting = budget("T", org="CN/EAST", period="2026", category="tasting")
    assert covering([every, tasting], "CN/EAST/JS", "tasting", "2026-11-05").id == "T"
    assert covering([every, tasting], "CN/EAST/JS", "display", "2026-11-05").id == "E"


def test_within_one_org_and_category_the_shortest_period_containing_the_start_covers():
    year, quarter, month = (budget(p, org="CN/EAST", period=p) for p in ("2026", "2026-Q4", "2026-11"))
    assert covering([year, quarter, month], "CN/EAST", "tasting", "2026-11-30").id == "2026-11"
    assert covering([year, quarter, month], "CN/EAST", "tasting", "2026-12-01").id == "2026-Q4"
    assert covering([year, quarter, month], "CN/EAST", "tasting", "2026-01-01").id == "2026"


def test_budgets_that_do_not_contain_the_campaign_never_cover_it():
    others = [
        budget("deeper", org="CN/EAST/JS"),  # below the campaign's org
        budget("sibling", org="CN/WEST"),
        budget("other-company", org="US"),
        budget("other-category", org="CN", category="display"),
        budget("other-period", org="CN", period="2027"),
        budget("other-month", org="CN", period="2026-10"),
    ]
    assert covering(others, "CN/EAST", "tasting", "2026-11-05") is None
    assert covering([], "CN/EAST", "tasting", "2026-11-05") is None


def test_the_coverage_scopes_list_every_key_to_get_most_specific_first():
    scopes = coverage_scopes("CN/EAST", "tasting", "2026-11-05")
    assert len(scopes) == 2 * 2 * 3
    assert scopes[0] == BudgetScope("CN/EAST", "2026-11", "tasting")
    assert scopes[3] == BudgetScope("CN/EAST", "2026-11", None)
    assert scopes[6] == BudgetScope("CN", "2026-11", "tasting")
    assert scopes[-1] == BudgetScope("CN", "2026", None)


# -- effects and the ledger ------------------------------------------------------------------
def test_creating_a_top_budget_allocates_its_amount():
    b = create(org="CN", period="2026", amount=1000)
    effect = creation_effect(b, None, FIN, NOW)
    assert [(e.ledger_id, e.kind, e.amount) for e in effect.entries] == [("B2", "allocate", 1000)]
    assert effect.created is b and effect.deltas == ()
    assert replay(effect.entries).amount == 1000


def test_carving_a_child_allocates_it_and_books_a_carve_on_the_parent():
    parent = budget(amount=1000)
    child = create(parent=parent, amount=300)
    effect = creation_effect(child, parent, FIN, NOW)
    assert [(e.ledger_id, e.kind, e.amount, e.budget_id) for e in effect.entries] == [
        ("B2", "allocate", 300, "B1"),
        ("B1", "carve", 300, "B2"),
    ]
    assert effect.deltas == (Delta("B1", allocated=300),)
    assert effect.deltas[0].needs_available == 300
    budgets, ledgers = {"B1": parent}, {"B1": []}
    commit(budgets, ledgers, effect)
    assert budgets["B1"].allocated == 300 and budgets["B1"].available == 700
    assert replay(ledgers["B1"]).allocated == 300 and replay(ledgers["B2"]).amount == 300


def test_shrinking_below_what_is_committed_is_refused():
    b = budget(amount=1000, allocated=300, reserved=200, consumed=100)
    with pytest.raises(Conflict) as e:
        resize_effect(b, 599, None, FIN, NOW)
    assert e.value.code == "budget_below_committed"
    effect = resize_effect(b, 600, None, FIN, NOW)
    assert [(x.kind, x.amount) for x in effect.entries] == [("adjust", -400)]


def test_a_top_budget_grows_or_shrinks_by_an_adjust_alone():
    b = budget(amount=1000)
    assert [(x.ledger_id, x.kind, x.amount) for x in resize_effect(b, 1500, None, FIN, NOW).entries] == [
        ("B1", "adjust", 500)
    ]
    assert resize_effect(b, 1000, None, FIN, NOW) == Effect()


def test_a_carved_budget_grows_out_of_its_parent_and_only_while_the_parent_has_room():
    parent = budget("P", amount=1000, allocated=400)
    child = budget("C", org="CN/EAST", amount=400, parent_id="P")
    with pytest.raises(BudgetExceeded) as e:
        resize_effect(child, 1001, parent, FIN, NOW)
    assert e.value.available == 600
    effect = resize_effect(child, 1000, parent, FIN, NOW)
    assert [(x.ledger_id, x.kind, x.amount) for x in effect.entries] == [("C", "adjust", 600), ("P", "carve", 600)]
    assert {d.budget_id: d.needs_available for d in effect.deltas} == {"C": 0, "P": 600}


def test_a_carved_budget_that_shrinks_gives_back_to_its_parent():
    parent = budget("P", amount=1000, allocated=400)
    child = budget("C", org="CN/EAST", amount=400, reserved=100, parent_id="P")
    effect = resize_effect(child, 150, parent, FIN, NOW)
    assert [(x.ledger_id, x.kind, x.amount) for x in effect.entries] == [("C", "adjust", -250), ("P", "carve", -250)]
    budgets = {"P": parent, "C": child}
    commit(budgets, {}, effect)
    assert budgets["P"].available == 850 and budgets["C"].available == 50


@pytest.mark.parametrize("bad", [0, -5, 2**63, "9"])
def test_a_resize_to_a_bad_amount_is_refused_naming_amount(bad):
    with pytest.raises(InvalidInput) as e:
        resize_effect(budget(), bad, None, FIN, NOW)
    assert fields_of(e.value) == ["amount"]


def test_the_final_approval_reserves_the_approved_amount_and_records_it_on_the_campaign():
    b = budget(org="CN/EAST", period="2026-Q4", category="tasting", amount=1000)
    effect = reservation_effect(b, "C9", 700, FIN, NOW)
    assert [(x.kind, x.amount, x.campaign_id) for x in effect.entries] == [("reserve", 700, "C9")]
    assert effect.campaign_budget.as_dict() == {
        "id": "B1",
        "org": "CN/EAST",
        "period": "2026-Q4",
        "category": "tasting",
        "reserved": 700,
        "consumed": 0,
        "released": 0,
    }


def test_an_approval_the_budget_cannot_cover_is_budget_exceeded_with_available():
    b = budget(amount=1000, reserved=800)
    with pytest.raises(BudgetExceeded) as e:
        reservation_effect(b, "C9", 201, FIN, NOW)
    assert (e.value.code, e.value.available, e.value.details) == ("budget_exceeded", 200, {"available": 200})


def test_racing_approvals_computed_from_one_snapshot_never_reserve_more_than_is_available():
    # GIVEN room for 5 approvals of 100 and ten approvers who all read the same snapshot
    budgets, ledgers, won = {}, {}, 0
    commit(budgets, ledgers, creation_effect(create(budget_id="B1", org="CN", amount=500), None, FIN, NOW))
    snapshot = budgets["B1"]
    effects = [reservation_effect(snapshot, f"C{i}", 100, FIN, NOW) for i in range(10)]
    # WHEN a store applies each one conditional on `available`
    for effect in effects:
        try:
            commit(budgets, ledgers, effect)
            won += 1
        except BudgetExceeded:
            pass
    # THEN exactly five win, nothing is left and the ledger agrees
    assert won == 5 and budgets["B1"].available == 0
    assert replay(ledgers["B1"]) == budgets["B1"].figures


def test_settlement_consumes_what_was_settled_and_releases_the_rest():
    reservation = CampaignBudget("B1", "CN", "2026", None, reserved=700)
    effect = settlement_effect(reservation, "C9", 650, FIN, NOW)
    assert [(x.kind, x.amount) for x in effect.entries] == [("consume", 650), ("release", 50)]
    assert effect.deltas == (Delta("B1", reserved=-700, consumed=650),)
    assert (effect.campaign_budget.reserved, effect.campaign_budget.consumed, effect.campaign_budget.released) == (
        0,
        650,
        50,
    )
    b = apply_delta(budget(amount=1000, reserved=700), effect.deltas[0], NOW)
    assert (b.reserved, b.consumed, b.available) == (0, 650, 350)


def test_settling_the_whole_reservation_or_nothing_books_no_empty_entry():
    reservation = CampaignBudget("B1", "CN", "2026", None, reserved=700)
    assert [x.kind for x in settlement_effect(reservation, "C9", 700, FIN, NOW).entries] == ["consume"]
    assert [x.kind for x in settlement_effect(reservation, "C9", 0, FIN, NOW).entries] == ["release"]


@pytest.mark.parametrize("bad", [701, -1, 1.0])
def test_settling_more_than_the_reservation_is_refused(bad):
    with pytest.raises(InvalidInput) as e:
        settlement_effect(CampaignBudget("B1", "CN", "2026", None, reserved=700), "C9", bad, FIN, NOW)
    assert fields_of(e.value) == ["amount"]


def test_cancelling_releases_the_whole_reservation():
    effect = cancellation_effect(CampaignBudget("B1", "CN", "2026", None, reserved=700), "C9", FIN, NOW)
    assert [(x.kind, x.amount) for x in effect.entries] == [("release", 700)]
    assert effect.campaign_budget.released == 700 and effect.campaign_budget.reserved == 0


def test_an_unbudgeted_campaign_settles_and_cancels_without_any_budget_effect():
    assert settlement_effect(None, "C9", 100, FIN, NOW) == Effect()
    assert cancellation_effect(None, "C9", FIN, NOW) == Effect()


def test_each_campaign_effect_has_one_stable_key_so_a_retry_cannot_book_it_twice():
    b = budget(amount=1000)
    first, retry = (reservation_effect(b, "C9", 100, FIN, NOW).entries[0] for _ in range(2))
    assert first.key == retry.key == "reserve#C9" and first.id != retry.id
    settle = settlement_effect(CampaignBudget("B1", "CN", "2026", None, reserved=100), "C9", 40, FIN, NOW)
    assert [x.key for x in settle.entries] == ["consume#C9", "release#C9"]
    resized = resize_effect(replace(b, version=3), 900, None, FIN, NOW).entries[0]
    assert resized.key == "adjust#B1#v3"


def test_a_ledger_entry_has_the_api_shape():
    entry = reservation_effect(budget(amount=1000), "C9", 100, FIN, NOW).entries[0]
    assert entry.as_dict() == {
        "id": entry.id,
        "at": NOW,
        "kind": "reserve",
        "amount": 100,
        "campaign_id": "C9",
        "by": {"id": "f1", "name": "财务小王"},
    }
    assert replay([entry]).reserved == 100


def test_a_delta_a_budget_cannot_afford_is_refused_with_its_own_code():
    b = budget(amount=1000, reserved=900)
    with pytest.raises(Conflict) as e:
        apply_delta(b, Delta("B1", amount=-101, code_if_short="budget_below_committed"), NOW)
    assert e.value.code == "budget_below_committed"
    with pytest.raises(BudgetExceeded):
        apply_delta(b, Delta("B1", reserved=101), NOW)
    assert apply_delta(b, Delta("B1", reserved=100), NOW).available == 0


# -- replay of random operations -------------------------------------------------------------
OPS = ("create_top", "carve", "resize", "reserve", "settle", "cancel")


class Books:
    """An in-memory company: budgets, their ledgers and the campaigns' reservations."""

    def __init__(self) -> None:
        self.budgets: dict[str, Budget] = {}
        self.ledgers: dict[str, list] = {}
        self.reservations: dict[str, CampaignBudget] = {}
        self.approved: dict[str, int] = {}
        self.n = 0

    def pick(self, items, index):
        items = sorted(items)
        return items[index % len(items)] if items else None

    def run(self, op: str, index: int, amount: int) -> None:
        self.n += 1
        try:
            effect = self.effect(op, index, amount)
        except (Conflict, InvalidInput):
            return  # refused: nothing changes
        if effect is None:
            return
        before = dict(self.budgets)
        try:
            commit(self.budgets, self.ledgers, effect)
        except Conflict:  # cannot happen from a fresh snapshot, but must not half-apply
            assert self.budgets == before
            raise
        if effect.campaign_budget is not None:
            campaign_id = next(e.campaign_id for e in effect.entries) if effect.entries else f"K{self.n}"
            if op == "reserve":
                self.approved[campaign_id] = effect.campaign_budget.reserved
            self.reservations[campaign_id] = effect.campaign_budget

    def effect(self, op: str, index: int, amount: int) -> Effect | None:
        if op == "create_top":
            b = new_budget(f"B{self.n:03d}", "CN", f"CN/R{self.n}", "2026", None, amount, NOW)
            return creation_effect(b, None, FIN, NOW)
        if op == "carve":
            parent = self.budgets.get(self.pick(self.budgets, index))
            if parent is None:
                return None
            child = new_budget(
                f"B{self.n:03d}",
                "CN",
                f"{parent.org}/S{self.n}",
                "2026-Q2",
                parent.category,
                amount,
                NOW,
                parent=parent,
            )
            return creation_effect(child, parent, FIN, NOW)
        if op == "resize":
            b = self.budgets.get(self.pick(self.budgets, index))
            if b is None:
                return None
            return resize_effect(b, b.amount + amount - 500, self.budgets.get(b.parent_id), FIN, NOW)
        if op == "reserve":
            b = self.budgets.get(self.pick(self.budgets, index))
            if b is None:
                return None
            return reservation_effect(b, f"K{self.n}", max(amount, 0), FIN, NOW)
        open_ones = [c for c, r in self.reservations.items() if r.reserved]
        campaign_id = self.pick(open_ones, index)
        if campaign_id is None:
            return None
        reservation = self.reservations[campaign_id]
        if op == "settle":
            return settlement_effect(reservation, campaign_id, min(max(amount, 0), reservation.reserved), FIN, NOW)
        return cancellation_effect(reservation, campaign_id, FIN, NOW)

    def check(self) -> None:
        for b in self.budgets.values():
            assert replay(self.ledgers.get(b.id, [])) == b.figures, b.id
            assert b.available >= 0 and b.allocated >= 0 and b.reserved >= 0 and b.consumed >= 0
            children = [c for c in self.budgets.values() if c.parent_id == b.id]
            assert b.allocated == sum(c.amount for c in children)
            mine = [r for r in self.reservations.values() if r.id == b.id]
            assert b.reserved == sum(r.reserved for r in mine) and b.consumed == sum(r.consumed for r in mine)
        for campaign_id, r in self.reservations.items():
            assert r.reserved + r.consumed + r.released == self.approved.get(campaign_id, 0)
        for ledger in self.ledgers.values():
            keys = [(e.ledger_id, e.key) for e in ledger]
            assert len(keys) == len(set(keys)), "a business fact was booked twice"
            running = Books.prefix_figures(ledger)
            assert all(f.available >= 0 for f in running)

    @staticmethod
    def prefix_figures(ledger: list) -> list:
        """The figures after each entry, in the order written (available never negative)."""
        return [replay(ledger[: i + 1]) for i in range(len(ledger))]


def run_operations(operations) -> Books:
    books = Books()
    for op, index, amount in operations:
        books.run(op, index, amount)
        books.check()
    return books


def test_replaying_a_seeded_random_sequence_of_operations_gives_exactly_the_figures():
    rng = random.Random(20261123)
    for _ in range(40):
        ops = [(rng.choice(OPS), rng.randrange(50), rng.randrange(-50, 2000)) for _ in range(rng.randrange(60))]
        books = run_operations(ops)
        assert all(replay(books.ledgers.get(b.id, [])) == b.figures for b in books.budgets.values())


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - the seeded loop still runs
    pass
else:

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 30), st.integers(-100, 3000)), max_size=40))
    def test_replaying_any_sequence_of_operations_gives_exactly_the_figures_and_never_a_negative_available(ops):
        run_operations(ops)
