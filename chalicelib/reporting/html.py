"""The HTML of a report: the page stored with the report (charts as inline SVG) and the email
body (charts as PNG images referenced by Content-ID). One document renders both; styles are
inline because mail clients drop style sheets."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from chalicelib.reporting import Chart, Column, Figure, ReportData, Section
from chalicelib.reporting.svg import FONT_STACK
from chalicelib.reporting.values import text

_BODY = f"font-family:{FONT_STACK};color:#222;max-width:1180px;margin:0 auto;padding:16px 12px;font-size:14px"
_TABLE = "border-collapse:collapse;width:100%;margin:8px 0 4px"
_CELL = "border:1px solid #dde1e6;padding:4px 6px;font-size:12px;vertical-align:top;"
_HEAD = _CELL + "background:#eef3fa;font-weight:bold;"
_NOTE = "color:#666;font-size:12px;margin:4px 0"
_NUMERIC = ("count", "money", "ratio", "percent")
PAGE_CHART_WIDTH = 560


def cell(value, col: Column) -> str:
    align = "right" if col.kind in _NUMERIC else "left"
    nowrap = "white-space:nowrap;" if col.kind in (*_NUMERIC, "date", "month") else "min-width:6em;"
    return f"<td style='{_CELL}text-align:{align};{nowrap}'>{escape(text(value, col.kind))}</td>"


def table(section: Section, email: bool) -> str:
    """The section's rows; an email shows its narrower columns and at most `email_rows` rows."""
    columns = [c for c in section.columns if c.html and (c.email or not email)]
    limit = section.email_rows if email else None
    more_where = "in the attached workbook" if email else "(see the workbook of a narrower scope)"
    if not section.rows:
        return f"<p style='{_NOTE}'>{escape(section.empty)}</p>"
    head = "".join(
        f"<th style='{_HEAD}text-align:{'right' if c.kind in _NUMERIC else 'left'}'>{escape(c.label)}</th>"
        for c in columns
    )
    shown = section.rows if limit is None else section.rows[:limit]
    body = ["<tr>" + "".join(cell(row.get(c.key), c) for c in columns) + "</tr>" for row in shown]
    if section.total is not None:
        body.append(
            "<tr style='font-weight:bold;background:#f7f9fc'>"
            + "".join(cell(section.total.get(c.key), c) for c in columns)
            + "</tr>"
        )
    more = section.size - len(shown)
    tail = f"<p style='{_NOTE}'>… and {more:,} more {escape(more_where)}.</p>" if more > 0 else ""
    # a narrow screen scrolls the table, not the page
    return f"<div style='overflow-x:auto'><table style='{_TABLE}'><tr>{head}</tr>{''.join(body)}</table></div>{tail}"


def figure_cell(f: Figure, data: ReportData) -> str:
    detail = data.section(f.section)
    return (
        f"<td style='padding:8px 12px;border:1px solid #dde1e6;vertical-align:top'>"
        f"<div style='color:#666;font-size:12px'>{escape(f.label)}</div>"
        f"<div style='font-size:20px;font-weight:bold;white-space:nowrap'>{escape(text(f.value, f.kind))}</div>"
        f"<div style='font-size:11px'><a href='#{detail.key}' style='color:#2d6cc0'>"
        f"{escape(detail.title)}</a></div></td>"
    )


def document(data: ReportData, chart_html: Callable[[Chart], str], email: bool) -> str:
    """The report as one HTML document; `email` cuts long lists and leaves out page-only charts."""
    figures = data.headline
    rows_of_figures = [figures[i : i + 3] for i in range(0, len(figures), 3)]
    headline = "".join("<tr>" + "".join(figure_cell(f, data) for f in row) + "</tr>" for row in rows_of_figures)
    parts = [
        f"<h1 style='font-size:22px;margin:0 0 4px'>{escape(data.title)}</h1>",
        f"<p style='margin:0 0 12px;color:#444'>Scope {escape(data.scope)} · period {escape(data.period)} · "
        f"<b>figures as of {escape(data.as_of_text)}</b> · money in yuan (CNY)</p>",
        f"<table style='border-collapse:collapse;margin:0 0 8px'>{headline}</table>",
    ]
    for s in data.sections:
        count = f" ({s.size:,})" if s.count is not None else ""
        parts.append(f"<h2 id='{s.key}' style='font-size:17px;margin:28px 0 6px'>{escape(s.title)}{count}</h2>")
        # side by side where the page is wide enough; one below the other in an email
        box = "margin:6px 0 12px" if email else "display:inline-block;vertical-align:top;margin:6px 28px 12px 0"
        for chart in s.charts:
            if email and not chart.in_email:
                continue
            parts.append(f"<div style='{box}'>{chart_html(chart)}</div>")
        parts.append(table(s, email))
        parts.extend(f"<p style='{_NOTE}'>{escape(n)}</p>" for n in s.notes)
    parts.append("<hr style='border:0;border-top:1px solid #dde1e6;margin:24px 0 8px'>")
    parts.extend(f"<p style='{_NOTE}'>{escape(n)}</p>" for n in data.notes)
    parts.append(f"<p style='{_NOTE}'>Generated {escape(data.generated_at)} (UTC).</p>")
    return (
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{escape(data.title)}</title>"
        f'</head><body style="{_BODY}">{"".join(parts)}</body></html>'
    )


def render(data: ReportData) -> str:
    """The page stored with the report: every row, every chart as inline SVG."""
    from chalicelib.reporting import svg

    return document(data, lambda chart: svg.render(chart, PAGE_CHART_WIDTH), email=False)
