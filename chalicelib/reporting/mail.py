"""The email of a report: an HTML body with tables and PNG charts (referenced by Content-ID,
as mail clients drop SVG and scripts), and a plain-text alternative with the same figures."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.reporting import Chart, ReportData
from chalicelib.reporting.html import document
from chalicelib.reporting.values import text

TEXT_OVERDUE_ROWS = 20


@dataclass(frozen=True)
class InlineImage:
    cid: str  # without angle brackets; the HTML says src="cid:<cid>"
    content: bytes
    mime_type: str = "image/png"


@dataclass(frozen=True)
class EmailBody:
    html: str
    text: str
    images: tuple[InlineImage, ...]


def body(data: ReportData, report_id: str, domain: str) -> EmailBody:
    from html import escape

    from chalicelib.reporting import png

    images: list[InlineImage] = []

    def chart_html(chart: Chart) -> str:
        content, width, height = png.render(chart)
        cid = f"chart{len(images) + 1}.{report_id}@{domain}"  # short: a folded Content-ID trips some clients
        images.append(InlineImage(cid, content))
        return (
            f"<img src='cid:{escape(cid)}' width='{width}' height='{height}' alt='{escape(chart.title)}' "
            "style='display:block;max-width:100%;height:auto;border:0'>"
        )

    html = document(data, chart_html, email=True)
    return EmailBody(html=html, text=plain(data), images=tuple(images))


def plain(data: ReportData) -> str:
    lines = [data.title, f"Figures as of {data.as_of_text}; money in yuan (CNY).", ""]
    width = max(len(f.label) for f in data.headline) if data.headline else 0
    lines += [f"{f.label.ljust(width)}  {text(f.value, f.kind)}" for f in data.headline]
    overdue = data.section("overdue")
    lines += ["", f"{overdue.title} ({overdue.size:,}):"]
    shown = overdue.rows[:TEXT_OVERDUE_ROWS]
    lines += [
        f"- {o['title']} ({o['customer']}, {o['owner']}), due {o['due_date']}, {o['days_overdue']} days overdue"
        for o in shown
    ]
    if not overdue.size:
        lines.append(f"  {overdue.empty}")
    elif overdue.size > len(shown):
        lines.append(f"… and {overdue.size - len(shown):,} more in the attached workbook.")
    lines += [
        "",
        "Every table of the report, with charts, is in the HTML version of this email; "
        "the attached workbook holds every row.",
    ]
    return "\n".join(lines) + "\n"
