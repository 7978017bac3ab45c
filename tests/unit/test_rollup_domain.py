"""Roll-up contributions, deltas, histograms and feedback counts (no I/O)."""

from __future__ import annotations

import itertools
import random

import pytest

from chalicelib.domain import figures
from chalicelib.domain import rollups as r
from chalicelib.domain.campaign import Campaign, RuleRef


def campaign(**kw) -> Campaign:
    base = dict(
        id="C1",
        org="CN/EAST/JS",
        owner_id="rep-1",
        owner_name="Li",
        title="t",
        category="tasting",
        customer_id="CUST",
        customer_name="Suguo",
        start_date="2026-11-05",
        end_date="2026-11-06",
        expected_spend=1000,
        expected_sales=5000,
        requested_amount=1000,
        created_at="x",
        updated_at="x",
        status="approved",
        approved_amount=900,
    )
    base.update(kw)
    return Campaign(**base)


def test_an_unapproved_campaign_contributes_nothing():
    assert r.contribution(campaign(status="submitted")) == {}
    assert r.contribution(None) == {}


def test_an_approved_campaign_adds_to_every_org_level_its_customer_and_owner_in_its_start_month():
    rows = r.contribution(campaign())
    assert {(k.dim, k.entity) for k in rows} == {
        ("org", "CN"),
        ("org", "CN/EAST"),
        ("org", "CN/EAST/JS"),
        ("customer", "CUST"),
        ("owner", "rep-1"),
    }
    assert {k.month for k in rows} == {"2026-11"} and {k.category for k in rows} == {"tasting"}
    assert all(
        m == {"campaigns": 1, "approved_amount": 900, "expected_spend": 1000, "expected_sales": 5000}
        for m in rows.values()
    )


def test_feedback_adds_actuals_kind_and_histogram_buckets():
    m = next(
        iter(
            r.contribution(
                campaign(
                    feedback_revision=2,
                    feedback_kind="passive",
                    actual_spend=100,
                    actual_sales=300,
                    rule=RuleRef("R", "all", 7),
                )
            ).values()
        )
    )
    assert m["fed_back"] == 1 and m["actual_spend"] == 100 and m["passive"] == 1 and m["required"] == 1
    assert not any(name.startswith(r.DUE) for name in m)
    assert m[f"{r.ROI}{figures.hist_bucket(3.0)}"] == 1 and m[f"{r.COST}{figures.hist_bucket(1 / 3)}"] == 1


def test_zero_sales_or_zero_spend_leave_the_undefined_figure_out_of_its_histogram():
    zero_sales = next(iter(r.contribution(campaign(feedback_revision=1, actual_spend=100, actual_sales=0)).values()))
    assert zero_sales[f"{r.ROI}{figures.hist_bucket(0)}"] == 1  # ROI −1
    assert not any(n.startswith(r.COST) for n in zero_sales)  # cost ratio null
    zero_spend = next(iter(r.contribution(campaign(feedback_revision=1, actual_spend=0, actual_sales=50)).values()))
    assert not any(n.startswith(r.ROI) for n in zero_spend)  # ROI null
    assert zero_spend[f"{r.COST}0"] == 1  # cost ratio 0


def test_awaited_feedback_is_counted_by_due_date_and_read_as_pending_or_overdue():
    m = next(iter(r.contribution(campaign(rule=RuleRef("R", "all", 3), end_date="2026-11-10")).values()))
    assert m["due#2026-11-13"] == 1
    assert r.feedback_counts(m, "2026-11-13") == {"passive": 0, "active": 0, "pending": 1, "overdue": 0}
    assert r.feedback_counts(m, "2026-11-14") == {"passive": 0, "active": 0, "pending": 0, "overdue": 1}


def test_a_delta_is_new_minus_old_without_zero_entries():
    old = campaign(feedback_revision=1, actual_spend=100, actual_sales=300, feedback_kind="active")
    new = campaign(feedback_revision=2, actual_spend=150, actual_sales=300, feedback_kind="active")
    d = r.delta(old, new)
    assert len(d) == 5
    m = next(iter(d.values()))
    assert m["actual_spend"] == 50 and "campaigns" not in m and "actual_sales" not in m
    assert r.delta(new, new) == {}


def test_moving_start_month_touches_both_months_within_the_transaction_limit():
    deep = "CN/A/B/C/D/E/F/G"
    d = r.delta(campaign(org=deep), campaign(org=deep, start_date="2026-12-01", category="display"))
    assert len(d) == r.MAX_ROWS_PER_CHANGE == 20
    assert {k.month for k in d} == {"2026-11", "2026-12"}


def test_summing_random_deltas_equals_the_final_contribution():
    rng = random.Random(7)
    states = [None] + [
        campaign(
            status=rng.choice(["submitted", "approved"]),
            category=rng.choice(["a", "b"]),
            start_date=rng.choice(["2026-10-01", "2026-11-01"]),
            feedback_revision=rng.choice([0, 1]),
            actual_spend=rng.randint(0, 9),
            actual_sales=rng.randint(0, 9),
        )
        for _ in range(30)
    ]
    total: dict = {}
    for old, new in itertools.pairwise(states):
        for k, m in r.delta(old, new).items():
            r.add_into(total.setdefault(k, {}), m)
    cleaned = {k: {n: v for n, v in m.items() if v} for k, m in total.items()}
    assert {k: m for k, m in cleaned.items() if m} == r.contribution(states[-1])


@pytest.mark.parametrize("multiple", [0.001, 0.05, 0.2, 1.0, 3.0, 42.0, 999.0, 7.0, 0.125, 0.1334])
def test_a_sketch_bucket_stands_for_its_values_within_one_percent(multiple):
    assert figures.hist_value(figures.hist_bucket(multiple)) == pytest.approx(multiple, rel=0.0091)


def group_of(*figures_of: tuple[int, int]) -> dict:
    """The summed roll-up metrics of campaigns with these (actual spend, actual sales)."""
    total: dict = {}
    for i, (spend, sales) in enumerate(figures_of):
        c = campaign(id=f"C{i}", feedback_revision=1, feedback_kind="active", actual_spend=spend, actual_sales=sales)
        for key, metrics in r.contribution(c).items():
            if key.dim == "customer":
                r.add_into(total, metrics)
    return total


def test_two_campaigns_that_both_show_700_percent_have_a_median_of_700_percent():
    """The approval card showed 649.9 % (and a cost ratio of 13.34 % against 12.50 %)."""
    m = group_of((100_000, 800_000), (200_000, 1_600_000))
    assert r.medians(m) == (7.0, 0.125)
    assert r.summary_row("g", m, "2026-12-06")["median_roi"] == 7.0


def test_medians_of_a_small_group_are_exact_and_of_a_large_one_within_one_percent():
    rng = random.Random(7)
    spends = [rng.randint(10, 500) * 1000 for _ in range(400)]
    pairs = [(s, int(s * rng.uniform(0.3, 12))) for s in spends]
    for n in (1, 2, 3, 17, 50, 51, 400):
        rois = sorted(figures.roi(sales, spend) for spend, sales in pairs[:n])
        costs = sorted(figures.ratio(spend, sales) for spend, sales in pairs[:n])
        roi, cost = r.medians(group_of(*pairs[:n]))
        true_roi = (rois[(n - 1) // 2] + rois[n // 2]) / 2
        true_cost = (costs[(n - 1) // 2] + costs[n // 2]) / 2
        if n <= figures.EXACT_MEDIAN_UP_TO:
            assert (roi, cost) == (round(true_roi, 4), round(true_cost, 4)), n
        else:
            assert 1 + roi == pytest.approx(1 + true_roi, rel=0.01) and cost == pytest.approx(true_cost, rel=0.01)


def test_a_row_keeps_its_values_up_to_the_cap_then_only_its_sketch():
    small = {"fed_back": 3, "rv#70000": 3, "rs#400": 3}
    assert r.capped(small) == small
    big = {"fed_back": r.ROW_EXACT_CAP + 1, "rv#70000": r.ROW_EXACT_CAP + 1, "rs#400": r.ROW_EXACT_CAP + 1}
    assert r.capped(big) == {"fed_back": r.ROW_EXACT_CAP + 1, "rs#400": r.ROW_EXACT_CAP + 1, r.OVERFLOW: 1}
    assert r.exact_kept(r.ROW_EXACT_CAP - 1, False, {"fed_back": 1})
    assert not r.exact_kept(r.ROW_EXACT_CAP, False, {"fed_back": 1})
    assert not r.exact_kept(3, True, {"rv#1": 1, "rv#2": -1})
    # an overflowed row answers from its sketch, whatever values it still holds
    m = group_of((100_000, 800_000), (200_000, 1_600_000))
    sketched = r.medians({**m, r.OVERFLOW: 1})[0]
    assert sketched != 7.0 and 1 + sketched == pytest.approx(8.0, rel=0.01)


def test_histogram_median_and_percentile():
    hist = {}
    for m in (0.5, 1.0, 2.0, 4.0, 8.0):
        b = figures.hist_bucket(m)
        hist[b] = hist.get(b, 0) + 1
    assert figures.median_roi(hist) == pytest.approx(1.0, abs=0.02)  # 1 + ROI = 2
    assert figures.hist_percentile(hist, figures.hist_bucket(8.0)) == 90.0
    assert figures.hist_percentile(hist, figures.hist_bucket(0.5)) == 10.0
    assert figures.hist_median({}) is None and figures.hist_percentile(hist, None) is None


def test_group_ratios_come_from_sums_and_are_null_without_actuals():
    row = r.summary_row("g", {"campaigns": 2, "expected_spend": 100, "expected_sales": 400}, "2026-11-01")
    assert row["expected_cost_ratio"] == 0.25 and row["actual_cost_ratio"] is None and row["roi"] is None
    assert row["median_roi"] is None


def test_compliance_counts_overdue_against_and_ignores_feedback_not_yet_due():
    m = {"required": 4, "passive": 1, "due#2026-01-01": 1, "due#2099-01-01": 2}
    assert r.compliance_rate(m, "2026-11-01") == 0.5
    assert r.summary_row("g", m, "2026-11-01")["feedback_compliance_rate"] == 0.5  # the dashboard's figure
    assert r.compliance_rate({"required": 1, "due#2099-01-01": 1}, "2026-11-01") is None
