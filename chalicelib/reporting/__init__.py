"""Report artifacts: an HTML page, an email, an XLSX workbook and a CSV, each rendered from one
`ReportData`. Only the report compiler imports this package (and only the workbook imports
XlsxWriter, only the email Pillow), so no other function pays for it at cold start.

A report is gathered once as `ReportFacts` (logic/reports.py: roll-ups, worklist, budgets, the
period's standout campaigns; plain values, no words) and composed into a `ReportData` in the
reader's language (reporting/compose.py, words from reporting/words.py): a headline (a few
figures, each naming the section that details it) and a list of sections. Every section is a
table (columns with a kind: money, percent, date, …) with optional charts and notes, and every
renderer draws every section the same way: adding a section is building one more `Section`,
never touching a renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from chalicelib.reporting.words import DEFAULT_LANGUAGE, Language, say

# How a column's values are stored and shown. Values in rows are always the domain's own:
# money in integer fen, ratios as fractions (0.25), dates as ISO text, None where undefined.
# Every ratio people read (ROI, cost ratio, compliance, utilisation) is a `percent`.
KINDS = ("text", "id", "count", "money", "percent", "date", "month")
Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    key: str  # the row's key, and the CSV column (money: `<key>_cny`)
    label: str  # the human heading
    kind: str = "text"
    html: bool = True  # False: machine-only (ids), kept in the workbook and CSV
    email: bool = True  # False: left out of the email's and a narrow window's tables (the workbook has it)
    part: int | None = 0  # which of the page's tables shows it (a wide section is split); None: every one

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
    value_kind: str  # money | percent | count
    ascii_labels: tuple[str, ...] = ()  # the labels for a renderer without CJK glyphs
    totals: tuple[str, ...] = ()  # stacked: the text at the end of each row
    in_email: bool = True
    empty_note: str = ""
    language: Language = DEFAULT_LANGUAGE

    @property
    def is_empty(self) -> bool:
        return not self.labels or all(v in (None, 0) for s in self.series for v in s.values)


@dataclass
class Section:
    key: str  # stable id: HTML anchor, CSV `section`
    title: str
    sheet: str  # workbook sheet name (≤ 31 characters)
    columns: tuple[Column, ...]
    rows: list[Row]
    total: Row | None = None  # the totals row, shown last and in bold
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    count: int | None = None  # how many rows there are when `rows` is cut
    email_rows: int | None = None  # the email shows at most this many rows
    empty: str = ""
    cards: bool = False  # each row a card (photo, title, figures, reflections) rather than a table row

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
class ReportHead:
    """Which report: its company, scope, period and kind, and the instant it is as of."""

    tenant: str
    scope: str
    period: str
    kind: str  # month_to_date | final | on_demand
    as_of: dt.datetime  # one instant (Asia/Shanghai) for every figure
    generated_at: str  # UTC, ISO 8601


@dataclass
class ReportFacts(ReportHead):
    """What a report shows, gathered once and in no language: rows are summary rows as the API
    gives them (plus `required` and `compliance_rate`), money in fen."""

    level: str  # region | province: the org level the scope's rows are grouped by
    months: list[Row]  # the trend, oldest first, ending with the period (its total)
    categories: list[Row]
    orgs: list[Row]
    ranking: list[Row]  # reps, best ROI first
    overdue: list[Row]  # the period's overdue feedback (overdue_list)
    overdue_cut: bool
    budgets: list[Row]  # GET /budgets items in force in the period
    best: list[Row] = field(default_factory=list)  # standout campaigns (logic/reports.standouts)
    worst: list[Row] = field(default_factory=list)
    standouts: int = 3  # how many of each were asked for


@dataclass
class ReportData(ReportHead):
    """A report in one language, as every renderer draws it."""

    headline: list[Figure]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)
    language: Language = DEFAULT_LANGUAGE

    @property
    def kind_text(self) -> str:
        known = self.kind in ("final", "month_to_date", "on_demand")
        return self.say(f"report.kind.{self.kind}" if known else "report.kind.other")

    @property
    def title(self) -> str:
        name = self.say("report.name")
        return self.say("report.title", name=name, period=self.period, kind=self.kind_text, scope=self.scope)

    @property
    def as_of_text(self) -> str:
        return say(self.language, "report.as_of", moment=f"{self.as_of:%Y-%m-%d %H:%M}")

    def say(self, key: str, **values: object) -> str:
        return say(self.language, key, **values)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.headline if f.key == key)
