"""Plan against actual: the one implementation of the figures (no I/O)."""

from chalicelib.domain.figures import plan_vs_actual, ratio, roi


def test_figures_of_a_campaign_that_beat_its_plan():
    f = plan_vs_actual(
        expected_spend=200000,
        expected_sales=1000000,
        expected_units=500,
        actual_spend=150000,
        actual_sales=1200000,
        actual_units=640,
    )
    assert f["spend_variance"] == -50000
    assert f["sales_variance"] == 200000
    assert f["completion_rate"] == 1.2
    assert f["expected_cost_ratio"] == 0.2
    assert f["actual_cost_ratio"] == 0.125
    assert f["roi"] == 7.0
    assert (f["expected_units"], f["actual_units"]) == (500, 640)


def test_zero_denominators_give_null_not_zero_or_infinity():
    assert ratio(5, 0) is None
    assert roi(actual_sales=100, actual_spend=0) is None
    f = plan_vs_actual(expected_spend=0, expected_sales=0, actual_spend=0, actual_sales=0)
    assert f["completion_rate"] is None and f["expected_cost_ratio"] is None
    assert f["actual_cost_ratio"] is None and f["roi"] is None


def test_zero_sales_with_spend_is_a_total_loss():
    f = plan_vs_actual(expected_spend=100, expected_sales=400, actual_spend=100, actual_sales=0)
    assert f["roi"] == -1.0 and f["completion_rate"] == 0.0 and f["actual_cost_ratio"] is None


def test_missing_actuals_leave_actual_figures_null_and_keep_the_plan():
    f = plan_vs_actual(expected_spend=300, expected_sales=900)
    assert f["expected_cost_ratio"] == 0.3333
    assert all(f[k] is None for k in ("actual_spend", "spend_variance", "completion_rate", "actual_cost_ratio", "roi"))


def test_ratios_are_rounded_to_four_decimals():
    assert ratio(1, 3) == 0.3333 and ratio(2, 3) == 0.6667
