"""Report artifacts: an HTML page, an email, an XLSX workbook and a CSV, each rendered from one
`ReportData`. Only the report compiler imports this package (and only the workbook imports
XlsxWriter, only the email Pillow), so no other function pays for it at cold start.

A report is a headline (a few figures, each naming the section that details it) and a list of
sections. Every section is a table (columns with a kind: money, ratio, date, …) with optional
charts and notes, and every renderer draws every section the same way: adding a section is
building one more `Section`, never touching a renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# How a column's values are stored and shown. Values in rows are always the domain's own:
# money in integer fen, ratios as fractions (0.25), dates as ISO text, None where undefined.
KINDS = ("text", "id", "count", "money", "ratio", "percent", "date", "month")


@dataclass(frozen=True)
class Column:
    key: str  # the row's key, and the CSV column (money: `<key>_cny`)
    label: str  # the human heading
    kind: str = "text"
    html: bool = True  # False: machine-only (ids), kept in the workbook and CSV
    email: bool = True  # False: left out of the email's narrower tables (the workbook has it)

    @property
    def csv_name(self) -> str:
        return f"{self.key}_cny" if self.kind == "money" else self.key


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | int | None, ...]
    colour: str


@dataclass(frozen=True)
class Chart:
    """What a chart shows; reporting.charts lays it out once for SVG and PNG alike.

    `bars` are horizontal bars (one row per label, one bar per series, values at the bar
    ends); `columns` are vertical (a time axis); `stacked` are horizontal bars whose series
    add up to a whole, with `totals` (e.g. a compliance rate) printed at the end of each row.
    """

    key: str
    title: str
    kind: str  # bars | columns | stacked
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    value_kind: str  # money | ratio | percent | count
    ascii_labels: tuple[str, ...] = ()  # the labels for a renderer without CJK glyphs
    totals: tuple[str, ...] = ()  # stacked: the text at the end of each row
    in_email: bool = True
    empty_note: str = "Nothing to chart yet."

    @property
    def is_empty(self) -> bool:
        return not self.labels or all(v in (None, 0) for s in self.series for v in s.values)


@dataclass
class Section:
    key: str  # stable id: HTML anchor, CSV `section`
    title: str
    sheet: str  # workbook sheet name (≤ 31 characters)
    columns: tuple[Column, ...]
    rows: list[dict]
    total: dict | None = None  # the totals row, shown last and in bold
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    count: int | None = None  # how many rows there are when `rows` is cut
    email_rows: int | None = None  # the email shows at most this many rows
    empty: str = "None."

    @property
    def size(self) -> int:
        return len(self.rows) if self.count is None else self.count


@dataclass(frozen=True)
class Figure:
    """A headline figure; `section` is the key of the section that details it."""

    key: str
    label: str
    value: float | int | None
    kind: str
    section: str


@dataclass
class ReportData:
    tenant: str
    scope: str
    period: str
    kind: str  # month_to_date | final | on_demand
    as_of: dt.datetime  # one instant (Asia/Shanghai) for every figure
    generated_at: str  # UTC, ISO 8601
    headline: list[Figure]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        what = {"final": "final report", "month_to_date": "month to date", "on_demand": "on demand"}.get(
            self.kind, "report"
        )
        return f"Huixiang campaign report {self.period} ({what}) — {self.scope}"

    @property
    def as_of_text(self) -> str:
        return f"{self.as_of:%Y-%m-%d %H:%M} (Asia/Shanghai)"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.headline if f.key == key)
