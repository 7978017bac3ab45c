"""How a value of each column kind reads in a report, one function per medium.

Money is kept in integer fen everywhere in the system; a report always presents it in yuan
with two decimals: `¥17,600.00` (negative `-¥350.00`) for people, `17600.00` under a `_cny`
column for machines, the number 17600.00 with a yuan currency format in the workbook. ROI,
cost ratios, compliance and utilisation are fractions in the domain and percentages with one
decimal for people (`692.5%`, as the console's format.js `percent()` shows them), a percent
format in the workbook, fractions in the CSV. A missing value (a ratio with a zero
denominator) is "—" for people and empty for machines.
"""

from __future__ import annotations

from decimal import Decimal

from chalicelib.reporting.words import Language, category_name

__all__ = ["MISSING", "Value", "axis", "category_name", "csv", "language_of", "money", "percent", "text", "yuan"]

MISSING = "—"
# what a row holds: fen, a count, a fraction, ISO text, or None where undefined
Value = int | float | str | None


def yuan(fen: int) -> Decimal:
    """Fen as an exact yuan amount (Decimal('17600.00'))."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def money(fen: int) -> str:
    """`¥17,600.00`, `-¥350.00`: the sign before the currency, as the console writes it."""
    amount = yuan(fen)
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def percent(fraction: float, digits: int = 1) -> str:
    """`692.5%` for 6.925: format.js percent() (toFixed, so the same rounding of a 4-decimal ratio)."""
    return f"{fraction * 100:.{digits}f}%"


def text(value: Value, kind: str) -> str:
    """For people: the HTML page, the email, chart labels."""
    if value is None or value == "":
        return MISSING
    if kind == "money":
        return money(int(value))
    if kind in ("percent", "ratio"):
        return percent(float(value))
    if kind == "count":
        return f"{int(value):,}"
    return str(value)


def csv(value: Value, kind: str) -> str:
    """For machines: plain numbers, no thousands separators, no currency sign."""
    if value is None:
        return ""
    if kind == "money":
        return str(yuan(int(value)))
    return str(value)


def axis(value: float, kind: str) -> str:
    """An axis tick: round numbers, so yuan without decimals."""
    if kind == "money":
        return f"-¥{-value / 100:,.0f}" if value < 0 else f"¥{value / 100:,.0f}"
    if kind in ("percent", "ratio"):
        return f"{value * 100:,.0f}%"
    return f"{value:,.0f}"


def language_of(value: object) -> Language:
    return "en" if value == "en" else "zh"
