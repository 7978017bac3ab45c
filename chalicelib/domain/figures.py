"""Plan against actual: the one implementation of every campaign figure.

Money is integer fen. A ratio is rounded to 4 decimals, or None where its denominator is 0
(or missing): never 0 and never infinity.
"""

from __future__ import annotations

from collections.abc import Callable
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


# -- distributions: exact values while a group is small, a fine log sketch beyond --------------
# Benchmarks (median ROI, median cost ratio, a campaign's percentile) are read from the roll-ups,
# so reading them never grows with the number of campaigns. Each roll-up row counts:
#
# * the values themselves, `rv#<v>` / `cv#<v>`, v the campaign's figure as the API shows it
#   (4 decimals) in ten-thousandths, while the row is small (domain/rollups.py: ROW_EXACT_CAP):
#   a group of up to EXACT_MEDIAN_UP_TO campaigns gets the median of its values, exactly;
# * a sketch, `rs#<b>` / `cs#<b>`: log-spaced buckets centred on 10^(k / SKETCH_PER_DECADE)
#   for k from -SKETCH_SPAN to +SKETCH_SPAN (1.0, a break-even ROI, is a bucket centre), plus
#   bucket 0 for exactly zero; values beyond either end fall into the end buckets. A bucket is
#   1.8 % wide, so a median read from it is within ±0.9 % of the value (within range).
#
# The cost ratio (spend ÷ sales) is its own multiple; ROI is sketched as 1 + ROI (= sales ÷
# spend), which is ≥ 0 exactly where ROI is defined. Only buckets that hold a campaign are
# stored: at most 2 × (2 × SKETCH_SPAN + 2) counters per row, about 20 KB at worst.
SKETCH_PER_DECADE = 128
SKETCH_SPAN = 3 * SKETCH_PER_DECADE  # 10^-3 … 10^3
SKETCH_BUCKETS = 2 * SKETCH_SPAN + 2  # zero + 769 log buckets
EXACT_MEDIAN_UP_TO = 50
VALUE_SCALE = 10_000  # exact values are kept in ten-thousandths, the API's 4 decimals


def hist_bucket(multiple: float) -> int:
    """The sketch bucket of a non-negative multiple (0 for zero)."""
    import math

    if multiple <= 0:
        return 0
    k = round(math.log10(multiple) * SKETCH_PER_DECADE)
    return min(max(k, -SKETCH_SPAN), SKETCH_SPAN) + SKETCH_SPAN + 1


def hist_value(bucket: int) -> float:
    """The multiple a bucket stands for: its centre (0 for bucket 0)."""
    if bucket <= 0:
        return 0.0
    return float(10 ** ((bucket - SKETCH_SPAN - 1) / SKETCH_PER_DECADE))


def roi_bucket(actual_sales: int | None, actual_spend: int | None) -> int | None:
    """The ROI sketch bucket of a campaign, or None where its ROI is null."""
    if actual_sales is None or not actual_spend:
        return None
    return hist_bucket(actual_sales / actual_spend)


def cost_ratio_bucket(actual_spend: int | None, actual_sales: int | None) -> int | None:
    """The cost-ratio sketch bucket of a campaign, or None where its cost ratio is null."""
    if actual_spend is None or not actual_sales:
        return None
    return hist_bucket(actual_spend / actual_sales)


def value_key(value: float | None) -> int | None:
    """A figure as the API shows it (4 decimals) → the integer the roll-ups count it under."""
    return None if value is None else round(value * VALUE_SCALE)


def _middle(counts: dict[int, int], value: Callable[[int], float]) -> float | None:
    """The median of a {key: count} distribution, each key standing for value(key): the middle
    one, or the mean of the two middle ones; None when it is empty."""
    total = sum(c for c in counts.values() if c > 0)
    if total == 0:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    found: list[float] = []
    seen = 0
    for key in sorted(counts):
        seen += max(counts[key], 0)
        while wanted and wanted[0] < seen:
            found.append(value(key))
            wanted.pop(0)
        if not wanted:
            break
    if len(found) == 1:  # an odd count: one middle value
        found.append(found[0])
    return (found[0] + found[-1]) / 2


def hist_median(counts: dict[int, int]) -> float | None:
    """The median multiple of a sketch {bucket: count}, or None when it is empty."""
    return _middle(counts, hist_value)


def exact_median(counts: dict[int, int]) -> float | None:
    """The median of exact values {value in ten-thousandths: count}, or None when empty."""
    median = _middle(counts, float)
    return None if median is None else round(median / VALUE_SCALE, 4)


def hist_percentile(counts: dict[int, int], bucket: int | None) -> float | None:
    """Where a value in `bucket` stands, 0..100: the share below it plus half its own bucket."""
    total = sum(c for c in counts.values() if c > 0)
    if bucket is None or total == 0:
        return None
    below = sum(c for b, c in counts.items() if b < bucket and c > 0)
    same = max(counts.get(bucket, 0), 0)
    return round(100 * (below + same / 2) / total, 1)


def median_roi(roi_sketch: dict[int, int], exact: dict[int, int] | None = None) -> float | None:
    """The median ROI: of the exact values when given (the roll-ups say when they may be used),
    else from the sketch (of 1 + ROI)."""
    if exact:
        return exact_median(exact)
    multiple = hist_median(roi_sketch)
    return None if multiple is None else round(multiple - 1, 4)


def median_cost_ratio(cost_sketch: dict[int, int], exact: dict[int, int] | None = None) -> float | None:
    if exact:
        return exact_median(exact)
    multiple = hist_median(cost_sketch)
    return None if multiple is None else round(multiple, 4)


def aggregate(expected_spend: int, expected_sales: int, actual_spend: int, actual_sales: int) -> dict[str, Any]:
    """The ratios of a group of campaigns from its sums (expected over all, actual over fed back)."""
    return {
        "expected_cost_ratio": ratio(expected_spend, expected_sales),
        "actual_cost_ratio": ratio(actual_spend, actual_sales),
        "roi": roi(actual_sales, actual_spend),
    }
