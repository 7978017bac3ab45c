"""The HTML of a report: the page stored with the report (charts as inline SVG, photos as data:
URIs, so it loads nothing from elsewhere) and the email body (charts and photos as images
referenced by Content-ID). One document renders both; styles are inline because mail clients
drop style sheets.

Whole on the page: a section's figure columns are more than a 1280 px window holds, so the page
shows them as two tables (money; ratios and feedback), each repeating the row's name; a window
narrower than 700 px (a phone) hides the columns the email leaves out, by one media query. The
email shows only those narrower columns (at most six, which fit a 600 px mail client) and says
the attached workbook has every column. Long text (titles, names, reflections) wraps; numbers
never do.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from chalicelib.reporting import Chart, Column, Figure, ReportData, Row, Section
from chalicelib.reporting.svg import FONT_STACK
from chalicelib.reporting.values import Value, text

_BODY = f"font-family:{FONT_STACK};color:#222;max-width:1180px;margin:0 auto;padding:16px 12px;font-size:14px"
_TABLE = "border-collapse:collapse;width:100%;margin:8px 0 4px"
_CELL = "border:1px solid #dde1e6;padding:4px 6px;font-size:12px;vertical-align:top;"
_HEAD = _CELL + "background:#eef3fa;font-weight:bold;"
_NOTE = "color:#666;font-size:12px;margin:4px 0"
_NUMERIC = ("count", "money", "ratio", "percent")
PAGE_CHART_WIDTH = 560
THUMBNAIL_PX = 120
NARROW_PX = 700
# the page's only style sheet: a narrow window keeps the email's columns (mail clients ignore it)
_PAGE_STYLE = (
    f"<style>.nw{{display:none}}@media (max-width:{NARROW_PX}px){{.wide{{display:none}}.nw{{display:block}}}}</style>"
)

ChartHtml = Callable[[Chart], str]
ImageSrc = Callable[[str, bytes], str]  # (name, JPEG bytes) → an <img> src


def cell(value: Value, col: Column, wide: bool = False) -> str:
    align = "right" if col.kind in _NUMERIC else "left"
    nowrap = "white-space:nowrap;" if col.kind in (*_NUMERIC, "date", "month") else "min-width:5em;"
    css = " class='wide'" if wide else ""
    return f"<td{css} style='{_CELL}text-align:{align};{nowrap}'>{escape(text(value, col.kind))}</td>"


def _grid(section: Section, columns: list[Column], rows: list[Row], email: bool) -> str:
    def wide(c: Column) -> bool:
        return not email and not c.email

    head = "".join(
        f"<th{' class=wide' if wide(c) else ''} style='{_HEAD}text-align:{'right' if c.kind in _NUMERIC else 'left'}'>"
        f"{escape(c.label)}</th>"
        for c in columns
    )
    body = ["<tr>" + "".join(cell(row.get(c.key), c, wide(c)) for c in columns) + "</tr>" for row in rows]
    if section.total is not None:
        total = section.total
        body.append(
            "<tr style='font-weight:bold;background:#f7f9fc'>"
            + "".join(cell(total.get(c.key), c, wide(c)) for c in columns)
            + "</tr>"
        )
    return f"<table style='{_TABLE}'><tr>{head}</tr>{''.join(body)}</table>"


def table(section: Section, email: bool, data: ReportData) -> str:
    """The section's rows: on the page every shown column, in one table per `part`; in an email
    its narrower columns in one table and at most `email_rows` rows."""
    shown = section.rows if not email or section.email_rows is None else section.rows[: section.email_rows]
    if not section.rows:
        return f"<p style='{_NOTE}'>{escape(section.empty)}</p>"
    visible = [c for c in section.columns if c.html]
    if email:
        tables = [_grid(section, [c for c in visible if c.email], shown, email=True)]
    else:
        parts = sorted({c.part for c in visible if c.part is not None})
        tables = [_grid(section, [c for c in visible if c.part in (None, p)], shown, email=False) for p in parts]
    notes = []
    more = section.size - len(shown)
    if more > 0:
        key = "report.more_email" if email else "report.more_page"
        notes.append(f"<p style='{_NOTE}'>{escape(data.say(key, n=f'{more:,}'))}</p>")
    if any(not c.email for c in visible):
        if email:
            notes.append(f"<p style='{_NOTE}'>{escape(data.say('report.columns_email'))}</p>")
        else:
            notes.append(f"<p class='nw' style='{_NOTE}'>{escape(data.say('report.columns_narrow'))}</p>")
    return "".join(tables) + "".join(notes)


def cards(section: Section, data: ReportData, image_src: ImageSrc) -> str:
    """One card per row: its photo, then title, rep and customer, the figures and the rep's own
    words. A two-cell table (photo | text) whose text wraps: it fits any width down to 320 px."""
    if not section.rows:
        return f"<p style='{_NOTE}'>{escape(section.empty)}</p>"
    out = []
    for row in section.rows:
        thumb = row.get("thumbnail")
        if thumb:
            alt = escape(data.say("photo.thumbnail_of", name=row["title"]))
            photo = (
                f"<img src='{escape(image_src(row['campaign_id'], thumb))}' width='{THUMBNAIL_PX}' alt='{alt}' "
                f"style='display:block;width:{THUMBNAIL_PX}px;max-width:100%;height:auto;border:0;border-radius:4px'>"
            )
        else:
            photo = (
                f"<div style='width:{THUMBNAIL_PX}px;height:80px;background:#f1f3f6;color:#888;font-size:12px;"
                f"text-align:center;line-height:80px'>{escape(data.say('report.no_photo'))}</div>"
            )
        figures = " · ".join(
            f"{escape(data.say(label))} <b style='white-space:nowrap'>{escape(text(row.get(key), kind))}</b>"
            for key, label, kind in (
                ("roi", "fig.roi", "percent"),
                ("actual_spend", "fig.actual_spend", "money"),
                ("actual_sales", "fig.actual_sales", "money"),
            )
        )
        words = row.get("reflections") or data.say("report.no_reflections")
        colon = "：" if data.language == "zh" else ": "
        who = " · ".join(escape(str(row[k])) for k in ("owner", "customer", "category_name", "org") if row.get(k))
        out.append(
            "<table style='border-collapse:collapse;width:100%;margin:8px 0;border:1px solid #dde1e6'><tr>"
            f"<td style='padding:8px;vertical-align:top;width:{THUMBNAIL_PX}px'>{photo}</td>"
            "<td style='padding:8px;vertical-align:top;font-size:13px'>"
            f"<div style='font-weight:bold;font-size:14px'>{escape(str(row['title']))}</div>"
            f"<div style='color:#555;margin:2px 0'>{who}</div>"
            f"<div style='margin:4px 0'>{figures}</div>"
            f"<div style='color:#333;margin-top:6px;white-space:pre-wrap'><span style='color:#666'>"
            f"{escape(data.say('field.reflections'))}{colon}</span>{escape(str(words))}</div>"
            "</td></tr></table>"
        )
    return "".join(out)


def figure_cell(f: Figure, data: ReportData) -> str:
    detail = data.section(f.section)
    return (
        f"<td style='padding:8px 12px;border:1px solid #dde1e6;vertical-align:top'>"
        f"<div style='color:#666;font-size:12px'>{escape(f.label)}</div>"
        f"<div style='font-size:20px;font-weight:bold;white-space:nowrap'>{escape(text(f.value, f.kind))}</div>"
        f"<div style='font-size:11px'><a href='#{detail.key}' style='color:#2d6cc0'>"
        f"{escape(detail.title)}</a></div></td>"
    )


def document(data: ReportData, chart_html: ChartHtml, email: bool, image_src: ImageSrc) -> str:
    """The report as one HTML document; `email` cuts long lists and wide tables and leaves out
    page-only charts."""
    figures = data.headline
    per_row = 2 if email else 3  # three headline figures side by side do not fit a 600 px mail client
    rows_of_figures = [figures[i : i + per_row] for i in range(0, len(figures), per_row)]
    headline = "".join("<tr>" + "".join(figure_cell(f, data) for f in row) + "</tr>" for row in rows_of_figures)
    scope_line = data.say(
        "report.scope_line", scope=escape(data.scope), period=escape(data.period), as_of=escape(data.as_of_text)
    )
    parts = [
        f"<h1 style='font-size:22px;margin:0 0 4px'>{escape(data.title)}</h1>",
        f"<p style='margin:0 0 12px;color:#444'>{scope_line}</p>",
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
            parts.append(f"<div style='{box};max-width:100%'>{chart_html(chart)}</div>")
        parts.append(cards(s, data, image_src) if s.cards else table(s, email, data))
        parts.extend(f"<p style='{_NOTE}'>{escape(n)}</p>" for n in s.notes)
    parts.append("<hr style='border:0;border-top:1px solid #dde1e6;margin:24px 0 8px'>")
    parts.extend(f"<p style='{_NOTE}'>{escape(n)}</p>" for n in data.notes)
    parts.append(f"<p style='{_NOTE}'>{escape(data.say('report.generated', at=data.generated_at))}</p>")
    lang = "zh-CN" if data.language == "zh" else "en"
    style = "" if email else _PAGE_STYLE
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{escape(data.title)}</title>"
        f'{style}</head><body style="{_BODY}">{"".join(parts)}</body></html>'
    )


def data_uri(name: str, jpeg: bytes) -> str:
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def render(data: ReportData) -> str:
    """The page stored with the report: every row, every chart as inline SVG, photos inline."""
    from chalicelib.reporting import svg

    return document(data, lambda chart: svg.render(chart, PAGE_CHART_WIDTH), email=False, image_src=data_uri)
