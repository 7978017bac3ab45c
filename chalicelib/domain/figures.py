"""Plan against actual: the one implementation of every campaign figure.

Money is integer fen. A ratio is rounded to 4 decimals, or None where its denominator is 0
(or missing): never 0 and never infinity.
"""

from __future__ import annotations

from typing import Any


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 4)


def variance(actual: int | None, expected: int | None) -> int | None:
    if actual is None or expected is None:
        return None
    return actual - expected


def roi(actual_sales: int | None, actual_spend: int | None) -> float | None:
    """(actual sales − actual spend) ÷ actual spend."""
    if actual_sales is None or actual_spend is None:
        return None
    return ratio(actual_sales - actual_spend, actual_spend)


def plan_vs_actual(
    expected_spend: int,
    expected_sales: int,
    expected_units: int | None = None,
    actual_spend: int | None = None,
    actual_sales: int | None = None,
    actual_units: int | None = None,
) -> dict[str, Any]:
    return {
        "expected_spend": expected_spend,
        "actual_spend": actual_spend,
        "spend_variance": variance(actual_spend, expected_spend),
        "expected_sales": expected_sales,
        "actual_sales": actual_sales,
        "sales_variance": variance(actual_sales, expected_sales),
        "expected_units": expected_units,
        "actual_units": actual_units,
        "completion_rate": ratio(actual_sales, expected_sales),
        "expected_cost_ratio": ratio(expected_spend, expected_sales),
        "actual_cost_ratio": ratio(actual_spend, actual_sales),
        "roi": roi(actual_sales, actual_spend),
    }


# -- distributions: fixed-size log-spaced histograms ------------------------------------------
# Benchmarks (median ROI, median cost ratio, a campaign's percentile) are read from small
# histograms kept in the roll-ups, so reading them never grows with the number of campaigns.
# A histogram counts a non-negative "multiple" in log-spaced buckets centred on
# 10^(k / HIST_PER_DECADE) for k from -HIST_SPAN to +HIST_SPAN (so 1.0, a break-even ROI, is a
# bucket centre), plus bucket 0 for exactly zero; values beyond either end fall into the end
# buckets. A bucket is about 15 % wide, so a median read from it is within about ±7.5 %.
# The cost ratio (spend ÷ sales) is its own multiple; ROI is counted as 1 + ROI (= sales ÷
# spend), which is ≥ 0 exactly where ROI is defined.
HIST_PER_DECADE = 16
HIST_SPAN = 3 * HIST_PER_DECADE  # 10^-3 … 10^3
HIST_BUCKETS = 2 * HIST_SPAN + 2  # zero + 97 log buckets


def hist_bucket(multiple: float) -> int:
    """The histogram bucket of a non-negative multiple (0 for zero)."""
    import math

    if multiple <= 0:
        return 0
    k = round(math.log10(multiple) * HIST_PER_DECADE)
    return min(max(k, -HIST_SPAN), HIST_SPAN) + HIST_SPAN + 1


def hist_value(bucket: int) -> float:
    """The multiple a bucket stands for: its centre (0 for bucket 0)."""
    if bucket <= 0:
        return 0.0
    return 10 ** ((bucket - HIST_SPAN - 1) / HIST_PER_DECADE)


def roi_bucket(actual_sales: int | None, actual_spend: int | None) -> int | None:
    """The ROI histogram bucket of a campaign, or None where its ROI is null."""
    if actual_sales is None or not actual_spend:
        return None
    return hist_bucket(actual_sales / actual_spend)


def cost_ratio_bucket(actual_spend: int | None, actual_sales: int | None) -> int | None:
    """The cost-ratio histogram bucket of a campaign, or None where its cost ratio is null."""
    if actual_spend is None or not actual_sales:
        return None
    return hist_bucket(actual_spend / actual_sales)


def hist_median(counts: dict[int, int]) -> float | None:
    """The median multiple of a histogram {bucket: count}, or None when it is empty."""
    total = sum(c for c in counts.values() if c > 0)
    if total == 0:
        return None
    half, seen = total / 2, 0
    for bucket in sorted(counts):
        seen += max(counts[bucket], 0)
        if seen >= half:
            return hist_value(bucket)
    return None


def hist_percentile(counts: dict[int, int], bucket: int | None) -> float | None:
    """Where a value in `bucket` stands, 0..100: the share below it plus half its own bucket."""
    total = sum(c for c in counts.values() if c > 0)
    if bucket is None or total == 0:
        return None
    below = sum(c for b, c in counts.items() if b < bucket and c > 0)
    same = max(counts.get(bucket, 0), 0)
    return round(100 * (below + same / 2) / total, 1)


def median_roi(roi_hist: dict[int, int]) -> float | None:
    multiple = hist_median(roi_hist)
    return None if multiple is None else round(multiple - 1, 4)


def median_cost_ratio(cost_hist: dict[int, int]) -> float | None:
    multiple = hist_median(cost_hist)
    return None if multiple is None else round(multiple, 4)


def aggregate(expected_spend: int, expected_sales: int, actual_spend: int, actual_sales: int) -> dict[str, Any]:
    """The ratios of a group of campaigns from its sums (expected over all, actual over fed back)."""
    return {
        "expected_cost_ratio": ratio(expected_spend, expected_sales),
        "actual_cost_ratio": ratio(actual_spend, actual_sales),
        "roi": roi(actual_sales, actual_spend),
    }
