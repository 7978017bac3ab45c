"""What a compiled report says, built by report_data from roll-up metrics and an overdue
worklist held in memory (no AWS): every figure agrees with the section that details it.

`sample_report()` is shared by the other tests/unit/test_reporting_*.py files.
"""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.logic import reports

TENANT = "ACME"
PERIOD = "2026-11"
TODAY = "2026-11-23"
# Roll-up metrics as the stream keeps them (money in fen). November: a tasting fed back with
# ROI 4, a display at break-even, an in-store promotion of ¥17,600.00 approved and not fed back
# although required (overdue since 2026-11-04); October: one campaign still overdue.
TASTING = {
    "campaigns": 2,
    "approved_amount": 270000,
    "expected_spend": 400000,
    "expected_sales": 2000000,
    "fed_back": 1,
    "actual_spend": 100000,
    "actual_sales": 500000,
    "passive": 1,
    "required": 1,
    "rs#474": 1,
    "rv#40000": 1,
    "cs#296": 1,
    "cv#2000": 1,
}
DISPLAY = {
    "campaigns": 1,
    "approved_amount": 90000,
    "expected_spend": 90000,
    "expected_sales": 300000,
    "fed_back": 1,
    "actual_spend": 90000,
    "actual_sales": 90000,
    "active": 1,
    "rs#385": 1,
    "rv#0": 1,
    "cs#385": 1,
    "cv#10000": 1,
}
PROMOTION = {
    "campaigns": 1,
    "approved_amount": 1760000,
    "expected_spend": 1760000,
    "expected_sales": 5000000,
    "required": 1,
    "due#2026-11-04": 1,
}
OCTOBER = {
    "campaigns": 1,
    "approved_amount": 50000,
    "expected_spend": 50000,
    "expected_sales": 100000,
    "required": 1,
    "due#2026-10-06": 1,
}


def _sum(*parts: dict) -> dict:
    out: dict = {}
    for p in parts:
        for k, v in p.items():
            out[k] = out.get(k, 0) + v
    return out


NOVEMBER = _sum(TASTING, DISPLAY, PROMOTION)
GROUPS = {
    "month": {"2026-10": (OCTOBER, None), "2026-11": (NOVEMBER, None)},
    "category": {"tasting": (TASTING, None), "display": (DISPLAY, None), "in_store_promotion": (PROMOTION, None)},
    "region": {f"{TENANT}/EAST": (_sum(TASTING, DISPLAY), None), f"{TENANT}/WEST": (PROMOTION, None)},
    "owner": {"rep-1": (TASTING, "李雷"), "rep-2": (DISPLAY, "韩梅梅"), "rep-3": (PROMOTION, "Wang Wu")},
}
OVERDUE_ITEMS = [
    {
        "campaign_id": "01OCT",
        "title": "October roadshow",
        "owner": "Wang Wu",
        "owner_id": "rep-3",
        "owner_email": None,
        "org": f"{TENANT}/WEST/SC",
        "customer": "Jinying",
        "start_date": "2026-10-01",
        "due_date": "2026-10-06",
        "days_overdue": 48,
    },
    {
        "campaign_id": "01NOV",
        "title": "店内促销 Suguo",
        "owner": "Wang Wu",
        "owner_id": "rep-3",
        "owner_email": None,
        "org": f"{TENANT}/WEST/SC",
        "customer": "苏果 Xinjiekou",
        "start_date": "2026-11-01",
        "due_date": "2026-11-04",
        "days_overdue": 19,
    },
]


def sample_budgets():
    """Budgets in memory (money in fen), made the way the API makes them. In force in November:
    the group's year (¥100,000, of which ¥30,000 carved to EAST for Q4, ¥5,000 to EAST for Q1 and
    ¥20,000 to WEST's in-store promotions in November), EAST's Q4 (tasting and display approved,
    the display settled), JS's own November tasting money, WEST's November promotion (the
    ¥17,600.00 promotion approved). Not in force: EAST's Q1 and the group's 2025."""
    from chalicelib.dal.memory import InMemoryStorage
    from chalicelib.domain.audit import Person
    from chalicelib.domain.budget import creation_effect, new_budget, reservation_effect, settlement_effect

    store = InMemoryStorage().budgets
    by, at = Person("fin-1", "Zhou Ba"), "2026-11-20T01:00:00.000Z"

    def make(budget_id, org, period, amount, parent=None, category=None):
        parent = store.get(parent) if parent else None
        store.apply(
            creation_effect(new_budget(budget_id, TENANT, org, period, category, amount, at, parent), parent, by, at)
        )

    def spend(budget_id, campaign_id, reserved, settled=None):
        effect = reservation_effect(store.get(budget_id), campaign_id, reserved, by, at)
        store.apply(effect)
        if settled is not None:
            store.apply(settlement_effect(effect.campaign_budget, campaign_id, settled, by, at))

    make("B-GROUP", TENANT, "2026", 10_000_000)
    make("B-EAST-Q4", f"{TENANT}/EAST", "2026-Q4", 3_000_000, parent="B-GROUP")
    make("B-EAST-Q1", f"{TENANT}/EAST", "2026-Q1", 500_000, parent="B-GROUP")
    make("B-WEST", f"{TENANT}/WEST", "2026-11", 2_000_000, parent="B-GROUP", category="in_store_promotion")
    make("B-JS", f"{TENANT}/EAST/JS", "2026-11", 100_000, category="tasting")
    make("B-2025", TENANT, "2025", 1_000_000)
    spend("B-EAST-Q4", "C-TASTING", 270_000)
    spend("B-EAST-Q4", "C-DISPLAY", 90_000, settled=90_000)
    spend("B-WEST", "C-PROMOTION", 1_760_000)
    return store


def thumbnail_jpeg(colour: tuple[int, int, int]) -> bytes:
    """A small photo thumbnail (JPEG) of one colour with a lighter band, as the upload checker makes them."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 120), colour)
    ImageDraw.Draw(image).rectangle([0, 70, 160, 120], fill=tuple(min(255, c + 80) for c in colour))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


REFLECTIONS = {
    "C-TASTING": "周末客流大，新口味试饮的反响超出预期；下次多备两箱样品。",
    "C-DISPLAY": "Display held its ground but sold no more than it cost; the shelf was too far from the door.",
}


def sample_standouts(storage) -> None:
    """November's two campaigns with actual figures, as the streams leave them in storage: the
    tasting (ROI 400.0%, a ready photo) and the display (ROI 0.0%, no photo), each with its rep's
    latest submitted feedback; the standings come from the roll-up stream's own use case."""
    from chalicelib.domain.campaign import Campaign
    from chalicelib.domain.evidence import Attachment
    from chalicelib.domain.feedback import FeedbackReport
    from chalicelib.logic.rollups import apply_campaign_change

    def campaign(cid, org, owner_id, owner, category, customer, spend, sales):
        return Campaign(
            id=cid,
            org=org,
            owner_id=owner_id,
            owner_name=owner,
            title={"C-TASTING": "新口味周末品鉴 Suguo Xinjiekou", "C-DISPLAY": "Weekend display at Jinying"}[cid],
            category=category,
            customer_id=customer,
            customer_name=customer,
            start_date="2026-11-07",
            end_date="2026-11-08",
            expected_spend=spend,
            expected_sales=sales,
            requested_amount=spend,
            created_at="2026-11-01T00:00:00.000Z",
            updated_at="2026-11-10T00:00:00.000Z",
            status="approved",
            approved_amount=spend,
            feedback_revision=1,
            feedback_kind="passive",
            actual_spend=spend,
            actual_sales=sales,
        )

    made = [
        campaign("C-TASTING", f"{TENANT}/EAST/JS", "rep-1", "李雷", "tasting", "苏果", 100000, 500000),
        campaign("C-DISPLAY", f"{TENANT}/EAST/JS", "rep-2", "韩梅梅", "display", "Jinying", 90000, 90000),
    ]
    for i, c in enumerate(made):
        storage.campaigns.insert(c)
        storage.feedback.insert_revision(
            FeedbackReport(
                campaign_id=c.id,
                author_id=c.owner_id,
                author_name=c.owner_name,
                status="submitted",
                created_at=c.updated_at,
                updated_at=c.updated_at,
                revision=1,
                kind="passive",
                actual_spend=c.actual_spend,
                actual_sales=c.actual_sales,
                reflections=REFLECTIONS[c.id],
                submitted_at=c.updated_at,
            )
        )
        apply_campaign_change(f"sample-{i}", None, c)
    thumb = "thumbnails/C-TASTING/A1.jpg"
    storage.objects.put(thumb, thumbnail_jpeg((200, 90, 40)), "image/jpeg")
    storage.evidence.insert(
        Attachment(
            id="A1",
            campaign_id="C-TASTING",
            tenant=TENANT,
            filename="tasting.jpg",
            content_type="image/jpeg",
            size_bytes=1000,
            kind="photo",
            uploaded_by="rep-1",
            created_at="2026-11-08T02:00:00.000Z",
            status="ready",
            thumbnail_key=thumb,
        )
    )


@pytest.fixture
def rollups_in_memory(monkeypatch):
    """report_data over GROUPS, OVERDUE_ITEMS, sample_budgets() and sample_standouts() in memory
    instead of DynamoDB."""
    from chalicelib.dal import repos
    from chalicelib.dal.memory import InMemoryStorage

    storage = InMemoryStorage()
    previous = repos.install(storage)
    sample_standouts(storage)
    asked = []
    budgets = sample_budgets()
    monkeypatch.setattr("chalicelib.dal.repos.budgets", lambda: budgets)

    def grouped_rows(scope, group_by, first, last):
        asked.append((group_by, first, last))
        return {g: v for g, v in GROUPS.get(group_by, {}).items() if group_by != "month" or first <= g <= last}

    def search_feedback_requests(principal, filters, page, today=None):
        from chalicelib.domain.campaign import Campaign, RuleRef
        from chalicelib.domain.pages import Page

        items = []
        for o in OVERDUE_ITEMS:
            due = o["due_date"]
            if (filters.due_after or "0") <= due <= (filters.due_before or "9"):
                end = (dt.date.fromisoformat(due) - dt.timedelta(days=2)).isoformat()
                items.append(
                    Campaign(
                        id=o["campaign_id"],
                        org=o["org"],
                        owner_id=o["owner_id"],
                        owner_name=o["owner"],
                        title=o["title"],
                        category="roadshow",
                        customer_id="C",
                        customer_name=o["customer"],
                        start_date=o["start_date"],
                        end_date=end,
                        expected_spend=1,
                        expected_sales=1,
                        requested_amount=1,
                        created_at="",
                        updated_at="",
                        status="approved",
                        rule=RuleRef("R", "all", due_days=2),
                    )
                )
        return Page(items=items)

    monkeypatch.setattr("chalicelib.logic.evaluation.grouped_rows", grouped_rows)  # what summary_rows reads
    monkeypatch.setattr("chalicelib.logic.feedback.search_feedback_requests", search_feedback_requests)
    yield asked
    repos.install(previous)


def sample_report(today: str = TODAY, language: str = "en"):
    """The sample in English (most tests here read its English words; test_reporting_words the Chinese)."""
    return reports.report_data(TENANT, TENANT, PERIOD, "final", today, language)


def test_the_title_says_what_kind_of_report_it_is_in_chinese_unless_asked_for_english(rollups_in_memory):
    assert reports.report_data(TENANT, TENANT, PERIOD, "final", TODAY).title == "回响活动报表 2026-11（月度终版）— ACME"
    assert sample_report().title == "Huixiang campaign report 2026-11 (final report) — ACME"
    on_demand = reports.report_data(TENANT, TENANT, PERIOD, "on_demand", TODAY, "en")
    assert on_demand.title.endswith("(on demand) — ACME")


def test_the_overdue_figure_is_the_one_the_overdue_section_lists(rollups_in_memory):
    # GIVEN November's roll-ups count one overdue feedback, and the worklist also holds an October one
    data = sample_report()
    overdue = data.section("overdue")
    # THEN the headline, the section's title count, its list and every total row say the same
    assert data.figure("overdue").value == overdue.size == len(overdue.rows) == 1
    assert [o["campaign_id"] for o in overdue.rows] == ["01NOV"]
    assert data.section("category").total["overdue"] == data.section("region").total["overdue"] == 1
    assert sum(r["overdue"] for r in data.section("category").rows) == 1
    # AND the October campaign is counted where October is shown: the trend, and its own headline figure
    trend = {r["group"]: r for r in data.section("trend").rows}
    assert trend["2026-10"]["overdue"] == 1 and data.figure("overdue_earlier").value == 1
    assert data.figure("overdue_earlier").section == "trend"


def test_every_headline_figure_names_a_section_that_shows_the_same_value(rollups_in_memory):
    data = sample_report()
    for f in data.headline:
        section = data.section(f.section)
        if f.key == "overdue":
            assert section.size == f.value
        elif f.key == "overdue_earlier":
            assert sum(r["overdue"] for r in section.rows if r["group"] < PERIOD) == f.value
        elif f.key == "budget_available":
            assert section.total["available"] == f.value
        else:
            assert section.total[f.key] == f.value, f.key


def test_figures_are_as_of_one_instant_in_shanghai(rollups_in_memory):
    data = sample_report("2026-11-03")
    assert data.as_of == dt.datetime(2026, 11, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert data.as_of_text == "2026-11-03 00:00 (Asia/Shanghai)"
    # on 3 November the promotion (due the 4th) is not yet overdue: figures and list agree on that too
    assert data.figure("overdue").value == 0 and data.section("overdue").rows == []
    now = reports.report_data(TENANT, TENANT, PERIOD, "final")
    assert now.as_of.utcoffset() == dt.timedelta(hours=8)
    assert abs((dt.datetime.now(dt.UTC) - now.as_of).total_seconds()) < 5


def test_the_trend_covers_six_months_ending_with_the_period_empty_months_included(rollups_in_memory):
    data = sample_report()
    months = [r["group"] for r in data.section("trend").rows]
    assert months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert data.section("trend").rows[0]["campaigns"] == 0 and data.section("trend").rows[0]["roi"] is None
    assert ("month", "2026-06", "2026-11") in rollups_in_memory


def test_categories_read_as_names_and_reps_rank_by_roi(rollups_in_memory):
    data = sample_report()
    names = {r["group"]: r["name"] for r in data.section("category").rows}
    assert names["in_store_promotion"] == "In-store promotion"
    chinese = reports.report_data(TENANT, TENANT, PERIOD, "final", TODAY).section("category")
    assert {r["group"]: r["name"] for r in chinese.rows}["in_store_promotion"] == "店内促销"
    assert [r["name"] for r in data.section("owner").rows] == ["李雷", "韩梅梅", "Wang Wu"]
    assert data.section("region").rows[0]["compliance_rate"] == 1.0
    assert data.section("region").rows[1]["compliance_rate"] == 0.0


def test_the_budget_section_shows_every_budget_in_force_in_the_period_with_its_figures(rollups_in_memory):
    budget = sample_report().section("budget")
    # the group report: every budget of the company whose period contains 2026-11, in org order
    assert [(r["org"], r["budget_period"], r["category"]) for r in budget.rows] == [
        (TENANT, "2026", None),
        (f"{TENANT}/EAST", "2026-Q4", None),
        (f"{TENANT}/EAST/JS", "2026-11", "tasting"),
        (f"{TENANT}/WEST", "2026-11", "in_store_promotion"),
    ]
    rows = {r["budget_id"]: r for r in budget.rows}
    assert {k: rows["B-EAST-Q4"][k] for k in ("amount", "allocated", "reserved", "consumed", "available")} == {
        "amount": 3_000_000,
        "allocated": 0,
        "reserved": 270_000,
        "consumed": 90_000,
        "available": 2_640_000,
    }
    assert rows["B-EAST-Q4"]["utilisation"] == 0.12 and rows["B-EAST-Q4"]["parent_id"] == "B-GROUP"
    assert rows["B-GROUP"]["allocated"] == 5_500_000 and rows["B-GROUP"]["available"] == 4_500_000
    assert rows["B-GROUP"]["utilisation"] == 0.0 and rows["B-GROUP"]["category_name"] == "Every category"
    assert rows["B-WEST"]["utilisation"] == 0.88 and rows["B-WEST"]["category_name"] == "In-store promotion"
    for r in budget.rows:
        assert r["amount"] - r["allocated"] - r["reserved"] - r["consumed"] == r["available"]


def test_the_budget_total_counts_carved_money_once(rollups_in_memory):
    data = sample_report()
    total = data.section("budget").total
    # ¥100,000 of the group plus JS's own ¥1,000: EAST's Q4 and WEST's money are carved out of the
    # group's; ¥5,000 went to EAST's Q1, which is not in force in November
    assert {k: total[k] for k in ("amount", "allocated", "reserved", "consumed", "available")} == {
        "amount": 10_100_000,
        "allocated": 500_000,
        "reserved": 2_030_000,
        "consumed": 90_000,
        "available": 7_480_000,
    }
    assert total["utilisation"] == 0.2099
    assert data.figure("budget_available").value == 7_480_000 and data.figure("budget_available").section == "budget"


def test_an_office_report_shows_its_subtree_budgets_and_those_above_it(rollups_in_memory):
    east = reports.report_data(TENANT, f"{TENANT}/EAST", PERIOD, "final", TODAY, "en").section("budget")
    assert [r["budget_id"] for r in east.rows] == ["B-GROUP", "B-EAST-Q4", "B-JS"]
    assert (east.total["amount"], east.total["allocated"], east.total["available"]) == (
        10_100_000,
        2_500_000,
        7_240_000,
    )
    province = reports.report_data(TENANT, f"{TENANT}/WEST/SC", PERIOD, "final", TODAY).section("budget")
    assert [r["budget_id"] for r in province.rows] == ["B-GROUP", "B-WEST"]


def test_without_budgets_the_section_says_so_and_the_headline_has_no_budget_figure(rollups_in_memory, monkeypatch):
    from chalicelib.dal.memory import InMemoryStorage

    monkeypatch.setattr("chalicelib.dal.repos.budgets", lambda: InMemoryStorage().budgets)
    data = sample_report()
    budget = data.section("budget")
    assert budget.rows == [] and budget.total is None and budget.charts == []
    assert budget.empty == "No budget is in force in 2026-11 for this scope."
    assert "budget_available" not in {f.key for f in data.headline}
    assert reports.report_data(TENANT, TENANT, "2027-01", "final", TODAY, "en").section("budget").rows == []


def test_utilisation_has_no_value_without_an_amount():
    from chalicelib.reporting import sections

    row = {
        "id": "B",
        "org": TENANT,
        "period": "2026",
        "category": None,
        "amount": 0,
        "allocated": 0,
        "reserved": 0,
        "consumed": 0,
        "available": 0,
        "parent_id": None,
    }
    budget = sections.budgets([row], PERIOD, TENANT, TENANT, "en")
    assert budget.rows[0]["utilisation"] is None and budget.total["utilisation"] is None
