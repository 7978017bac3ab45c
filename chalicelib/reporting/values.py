"""How a value of each column kind reads in a report, one function per medium.

Money is kept in integer fen everywhere in the system; a report always presents it in yuan
with two decimals: `¥17,600.00` for people, `17600.00` under a `_cny` column for machines,
the number 17600.00 with a yuan currency format in the workbook. A missing value (a ratio
with a zero denominator) is "—" for people and empty for machines.
"""

from __future__ import annotations

from decimal import Decimal

MISSING = "—"
# Categories are configured as ids; these are the names people read for the usual ones.
CATEGORY_NAMES = {
    "tasting": ("Tasting", "品鉴"),
    "display": ("Display", "陈列"),
    "roadshow": ("Roadshow", "路演"),
    "in_store_promotion": ("In-store promotion", "店内促销"),
}


def yuan(fen: int) -> Decimal:
    """Fen as an exact yuan amount (Decimal('17600.00'))."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def text(value, kind: str) -> str:
    """For people: the HTML page, the email, chart labels."""
    if value is None or value == "":
        return MISSING
    if kind == "money":
        return f"¥{yuan(value):,}"
    if kind == "ratio":
        return f"{value:,.2f}"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "count":
        return f"{int(value):,}"
    return str(value)


def csv(value, kind: str) -> str:
    """For machines: plain numbers, no thousands separators, no currency sign."""
    if value is None:
        return ""
    if kind == "money":
        return str(yuan(value))
    return str(value)


def category_name(category: str, ascii_only: bool = False) -> str:
    """`In-store promotion 店内促销` for a known id, else the id made readable."""
    en, zh = CATEGORY_NAMES.get(category, (category.replace("_", " ").capitalize(), ""))
    return en if ascii_only or not zh else f"{en} {zh}"


def axis(value: float, kind: str) -> str:
    """An axis tick: round numbers, so yuan without decimals."""
    if kind == "money":
        return f"¥{value / 100:,.0f}"
    if kind == "percent":
        return f"{value * 100:.0f}%"
    if kind == "ratio":
        return f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,.0f}"
