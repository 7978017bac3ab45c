"""Charts: what each report chart shows (`Chart`), and its layout, computed once as plain
shapes (`Drawing`) that reporting.svg paints for the page and reporting.png for the email.

Every chart has a title, an axis with round ticks, the value written beside every bar and
readable labels, so a manager reads it at a glance without hovering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.reporting import Chart, Row, Series
from chalicelib.reporting.values import MISSING, axis, text
from chalicelib.reporting.words import Language, category_name, say

PLAN, ACTUAL, NEGATIVE = "#9db7dd", "#2d6cc0", "#c0392b"
DELIVERED, PENDING, OVERDUE = "#3a9a5b", "#c9ced6", "#d9534f"
INK, MUTED, GRID = "#222222", "#666666", "#e3e6ea"
CARVED, AVAILABLE = "#d8c7a3", "#d3e9d9"
RANKED_REPS = 15
CHARTED_BUDGETS = 15
LABEL_WIDTH = 210.0  # the widest row label a horizontal chart draws before cutting it short


# -- what the charts show -----------------------------------------------------------------------
def _actual(row: Row, key: str) -> int | None:
    """An actual figure, or None (drawn as "no feedback yet") where nothing was fed back."""
    return row[key] if row.get("fed_back") else None


def _categories(rows: list[Row], lang: Language) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The category labels, and their English for a renderer without CJK glyphs."""
    return tuple(category_name(r["group"], lang) for r in rows), tuple(category_name(r["group"], "en") for r in rows)


def spend_by_category(rows: list[Row], lang: Language) -> Chart:
    labels, ascii_labels = _categories(rows, lang)
    return Chart(
        key="spend_by_category",
        title=say(lang, "report.c.spend_by_category"),
        kind="bars",
        labels=labels,
        ascii_labels=ascii_labels,
        series=(
            Series(say(lang, "fig.expected_spend"), tuple(r["expected_spend"] for r in rows), PLAN),
            Series(say(lang, "fig.actual_spend"), tuple(_actual(r, "actual_spend") for r in rows), ACTUAL),
        ),
        value_kind="money",
        empty_note=say(lang, "report.no_campaigns"),
        language=lang,
    )


def roi_by_category(rows: list[Row], lang: Language) -> Chart:
    labels, ascii_labels = _categories(rows, lang)
    return Chart(
        key="roi_by_category",
        title=say(lang, "report.c.roi_by_category"),
        kind="bars",
        labels=labels,
        ascii_labels=ascii_labels,
        series=(Series(say(lang, "fig.roi"), tuple(r["roi"] for r in rows), ACTUAL),),
        value_kind="percent",
        empty_note=say(lang, "report.c.no_actuals"),
        language=lang,
    )


def spend_by_month(months: list[Row], lang: Language) -> Chart:
    return Chart(
        key="spend_by_month",
        title=say(lang, "report.c.spend_by_month"),
        kind="columns",
        labels=tuple(m["group"] for m in months),
        series=(Series(say(lang, "fig.actual_spend"), tuple(_actual(m, "actual_spend") for m in months), ACTUAL),),
        value_kind="money",
        empty_note=say(lang, "report.c.no_actuals_months"),
        language=lang,
    )


def roi_by_month(months: list[Row], lang: Language) -> Chart:
    return Chart(
        key="roi_by_month",
        title=say(lang, "report.c.roi_by_month"),
        kind="columns",
        labels=tuple(m["group"] for m in months),
        series=(Series(say(lang, "fig.roi"), tuple(m["roi"] for m in months), ACTUAL),),
        value_kind="percent",
        empty_note=say(lang, "report.c.no_actuals_months"),
        language=lang,
    )


def compliance_by_org(level: str, rows: list[Row], lang: Language) -> Chart:
    """Required feedback per org node: delivered, not yet due, overdue; the compliance rate at the end."""

    def delivered(r: Row) -> int:
        return int(r["required"] - r["pending"] - r["overdue"])

    return Chart(
        key=f"compliance_by_{level}",
        title=say(lang, f"report.c.compliance_{level}"),
        kind="stacked",
        labels=tuple(r["name"] for r in rows),
        series=(
            Series(say(lang, "report.c.delivered"), tuple(delivered(r) for r in rows), DELIVERED),
            Series(say(lang, "report.c.not_yet_due"), tuple(r["pending"] for r in rows), PENDING),
            Series(say(lang, "status.feedback.overdue"), tuple(r["overdue"] for r in rows), OVERDUE),
        ),
        totals=tuple(text(r["compliance_rate"], "percent") for r in rows),
        value_kind="count",
        empty_note=say(lang, "report.c.no_required"),
        language=lang,
    )


def budget_use(rows: list[Row], lang: Language) -> Chart:
    """Each budget's amount as a bar of shares: consumed, reserved, carved out, available; its
    utilisation at the end. At most CHARTED_BUDGETS bars: the largest, in the table's order."""
    shown = rows
    if len(rows) > CHARTED_BUDGETS:
        largest = sorted(range(len(rows)), key=lambda i: -rows[i]["amount"])[:CHARTED_BUDGETS]
        shown = [rows[i] for i in sorted(largest)]

    def label(r: Row, language: Language) -> str:
        # the org below the company's root (the root itself by name), the period, the category
        # (the table names it in full): where even that is too long, its start is cut
        org = r["org"].split("/", 1)[1] if "/" in r["org"] else r["org"]
        what = f"{org} {r['budget_period']}"
        if r["category"]:
            what += " " + category_name(r["category"], language)
        return fit(what, 12, keep_end=True)

    def column(key: str) -> tuple[int, ...]:
        return tuple(r[key] for r in shown)

    title = (
        say(lang, "report.c.budget_use")
        if shown is rows
        else say(lang, "report.c.budget_use_largest", n=CHARTED_BUDGETS)
    )
    return Chart(
        key="budget_use",
        title=title,
        kind="stacked",
        labels=tuple(label(r, lang) for r in shown),
        ascii_labels=tuple(label(r, "en") for r in shown),
        series=(
            Series(say(lang, "budget.consumed"), column("consumed"), ACTUAL),
            Series(say(lang, "budget.reserved"), column("reserved"), PLAN),
            Series(say(lang, "budget.allocated"), column("allocated"), CARVED),
            Series(say(lang, "budget.available"), column("available"), AVAILABLE),
        ),
        totals=tuple(text(r["utilisation"], "percent") for r in shown),
        value_kind="money",
        empty_note=say(lang, "report.c.no_budget"),
        language=lang,
    )


def roi_of_reps(ranked: list[Row], lang: Language) -> Chart:
    top = [r for r in ranked if r.get("roi") is not None][:RANKED_REPS]
    return Chart(
        key="roi_of_reps",
        title=say(lang, "report.c.roi_of_reps", n=RANKED_REPS),
        kind="bars",
        labels=tuple(f"{r['rank']}. {r['name']}" for r in top),
        series=(Series(say(lang, "fig.roi"), tuple(r["roi"] for r in top), ACTUAL),),
        value_kind="percent",
        in_email=False,
        empty_note=say(lang, "report.c.no_actuals"),
        language=lang,
    )


# -- layout -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tip: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = MUTED


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = 12
    anchor: str = "start"  # start | middle | end
    fill: str = INK
    bold: bool = False
    ascii: str = ""  # what to draw instead where the font has no CJK glyphs


Shape = Rect | Line | Text


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    title: str
    shapes: tuple[Shape, ...]


def text_width(s: str, size: float) -> float:
    """An estimate good enough for layout: CJK glyphs are square, Latin ones about half as wide."""
    return sum(size * (1.0 if ord(ch) >= 0x2E80 else 0.62 if ch.isupper() else 0.55) for ch in s)


def fit(label: str, size: float, width: float = LABEL_WIDTH, keep_end: bool = False) -> str:
    """`label`, cut short with "…" where it would be wider than `width` (its start cut instead
    with `keep_end`, where the end tells rows apart)."""
    if text_width(label, size) <= width:
        return label
    while label and text_width(label + "…", size) > width:
        label = label[1:] if keep_end else label[:-1]
    return "…" + label.lstrip() if keep_end else label.rstrip() + "…"


def ink_on(colour: str) -> str:
    """The text colour readable on a fill: white on dark colours, ink on light ones."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.55 else INK


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values covering [lo, hi], zero included."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo <= 0:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks, v = [], first
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


def layout(chart: Chart, width: int = 720) -> Drawing:
    if chart.kind == "columns":
        return _columns(chart, width)
    return _bars(chart, width)


def _heading(chart: Chart, width: int, shapes: list[Shape]) -> float:
    """Title and legend; returns the y where the plot may start."""
    shapes.append(Text(0, 16, chart.title, 14, bold=True))
    y = 24.0
    if len(chart.series) > 1:
        x = 0.0
        for s in chart.series:
            shapes.append(Rect(x, y + 3, 10, 10, s.colour))
            shapes.append(Text(x + 14, y + 12, s.name, 11, fill=MUTED))
            x += 14 + text_width(s.name, 11) + 16
        y += 18
    return y + 8


def _empty(chart: Chart, width: int) -> Drawing:
    shapes: list[Shape] = []
    top = _heading(chart, width, shapes)
    shapes.append(Text(0, top + 16, chart.empty_note or say(chart.language, "report.c.nothing"), 12, fill=MUTED))
    return Drawing(width, int(top + 28), chart.title, tuple(shapes))


def _label(chart: Chart, i: int) -> tuple[str, str]:
    label = chart.labels[i]
    return label, chart.ascii_labels[i] if chart.ascii_labels else ""


def _bars(chart: Chart, width: int) -> Drawing:
    """Horizontal bars, one row per label; `stacked` puts the series end to end as shares of a row."""
    if chart.is_empty:
        return _empty(chart, width)
    shapes: list[Shape] = []
    top = _heading(chart, width, shapes)
    stacked = chart.kind == "stacked"
    n = len(chart.labels)
    values = [v for s in chart.series for v in s.values if v is not None]
    label_w = min(220.0, max(text_width(lbl, 12) for lbl in chart.labels) + 12)
    if stacked:
        lo, hi, ticks = 0.0, 1.0, [0, 0.25, 0.5, 0.75, 1.0]
        end_w = max([text_width(t, 12) for t in chart.totals] + [0]) + 12
        tick_kind = "percent"
    else:
        lo, hi = min(values + [0]), max(values + [0])
        ticks = nice_ticks(lo, hi)
        lo, hi = ticks[0], ticks[-1]
        end_w = max(text_width(text(v, chart.value_kind), 11) for v in values + [0]) + 10
        tick_kind = chart.value_kind
    neg_w = end_w if lo < 0 else 0.0
    x0, x1 = label_w + neg_w, width - (0 if stacked and not chart.totals else end_w)
    scale = (x1 - x0) / (hi - lo)
    bar_h = 16.0 if stacked or len(chart.series) == 1 else 13.0
    row_h = (bar_h if stacked else bar_h * len(chart.series)) + 10
    plot_top, plot_h = top, row_h * n

    def x_of(v: float) -> float:
        return x0 + (v - lo) * scale

    for t in ticks:
        shapes.append(Line(x_of(t), plot_top, x_of(t), plot_top + plot_h, GRID))
        shapes.append(Text(x_of(t), plot_top + plot_h + 14, axis(t, tick_kind), 10, "middle", MUTED))
    for i in range(n):
        y = plot_top + i * row_h + 5
        label, ascii_label = _label(chart, i)
        shapes.append(Text(label_w - 8, y + (row_h - 10) / 2 + 4, label, 12, "end", ascii=ascii_label))
        if stacked:
            whole = sum(s.values[i] or 0 for s in chart.series)
            x = x0
            for s in chart.series:
                part = s.values[i] or 0
                w = (part / whole) * (x1 - x0) if whole else 0
                if w > 0:
                    shown = text(part, chart.value_kind)
                    shapes.append(Rect(x, y, w, bar_h, s.colour, f"{label} {s.name}: {shown}"))
                    if w >= text_width(shown, 11) + 6:
                        shapes.append(Text(x + w / 2, y + bar_h - 4, shown, 11, "middle", ink_on(s.colour)))
                x += w
            if chart.totals:
                shapes.append(Text(x1 + 6, y + bar_h - 4, chart.totals[i], 12, bold=True))
            continue
        for j, s in enumerate(chart.series):
            v = s.values[i]
            by = y + j * bar_h
            if v is None:
                no_feedback = say(chart.language, "report.c.no_feedback_yet")
                shapes.append(Text(x_of(0) + 4, by + bar_h - 3, no_feedback, 11, fill=MUTED))
                continue
            left, right = sorted((x_of(0), x_of(v)))
            colour = NEGATIVE if v < 0 else s.colour
            shapes.append(
                Rect(
                    left,
                    by,
                    max(right - left, 1.0),
                    bar_h - 2,
                    colour,
                    f"{label} {s.name}: {text(v, chart.value_kind)}",
                )
            )
            if v < 0:
                shapes.append(Text(left - 4, by + bar_h - 4, text(v, chart.value_kind), 11, "end"))
            else:
                shapes.append(Text(right + 4, by + bar_h - 4, text(v, chart.value_kind), 11))
    shapes.append(Line(x_of(0), plot_top, x_of(0), plot_top + plot_h, MUTED))
    shapes.append(Line(x0, plot_top + plot_h, x1, plot_top + plot_h, MUTED))
    return Drawing(width, int(plot_top + plot_h + 22), chart.title, tuple(shapes))


def _columns(chart: Chart, width: int) -> Drawing:
    """Vertical columns over a time axis, the value above (or below) each column."""
    if chart.is_empty:
        return _empty(chart, width)
    shapes: list[Shape] = []
    top = _heading(chart, width, shapes)
    n = len(chart.labels)
    values = [v for s in chart.series for v in s.values if v is not None]
    ticks = nice_ticks(min(values + [0]), max(values + [0]))
    lo, hi = ticks[0], ticks[-1]
    axis_w = max(text_width(axis(t, chart.value_kind), 10) for t in ticks) + 10
    plot_top, plot_h = top + 16, 170.0
    x0, x1 = axis_w, float(width)
    scale = plot_h / (hi - lo)

    def y_of(v: float) -> float:
        return plot_top + (hi - v) * scale

    for t in ticks:
        shapes.append(Line(x0, y_of(t), x1, y_of(t), GRID))
        shapes.append(Text(x0 - 6, y_of(t) + 4, axis(t, chart.value_kind), 10, "end", MUTED))
    group_w = (x1 - x0) / n
    col_w = min(56.0, group_w * 0.6 / len(chart.series))
    for i in range(n):
        cx = x0 + group_w * (i + 0.5)
        start = cx - col_w * len(chart.series) / 2
        for j, s in enumerate(chart.series):
            v = s.values[i]
            x = start + j * col_w
            if v is None:
                shapes.append(Text(x + col_w / 2, y_of(0) - 4, MISSING, 11, "middle", MUTED))
                continue
            top_y, bottom_y = sorted((y_of(0), y_of(v)))
            shapes.append(
                Rect(
                    x + 1,
                    top_y,
                    col_w - 2,
                    max(bottom_y - top_y, 1.0),
                    NEGATIVE if v < 0 else s.colour,
                    f"{chart.labels[i]} {s.name}: {text(v, chart.value_kind)}",
                )
            )
            label_y = top_y - 4 if v >= 0 else bottom_y + 13
            shapes.append(Text(x + col_w / 2, label_y, text(v, chart.value_kind), 11, "middle"))
        shapes.append(Text(cx, plot_top + plot_h + 16, chart.labels[i], 11, "middle", MUTED))
    shapes.append(Line(x0, y_of(0), x1, y_of(0), MUTED))
    shapes.append(Line(x0, plot_top, x0, plot_top + plot_h, MUTED))
    return Drawing(width, int(plot_top + plot_h + 24), chart.title, tuple(shapes))
