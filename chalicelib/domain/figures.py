"""Plan against actual: the one implementation of every campaign figure.

Money is integer fen. A ratio is rounded to 4 decimals, or None where its denominator is 0
(or missing): never 0 and never infinity.
"""
from __future__ import annotations


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
) -> dict:
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
