"""The emails: a report (an HTML body with tables, PNG charts and photos referenced by
Content-ID, as mail clients drop SVG, scripts and data: images and block remote ones; a
plain-text alternative with the same figures; the workbook attached) and the overdue-feedback
reminder. Both composed here as `domain.mail.Mail` values; dal/mail.py sends them."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from chalicelib.domain.mail import Attachment, Inline, Mail
from chalicelib.reporting import Chart, ReportData, Row
from chalicelib.reporting.html import document
from chalicelib.reporting.values import text
from chalicelib.reporting.words import Language, say

TEXT_OVERDUE_ROWS = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class EmailBody:
    html: str
    text: str
    images: tuple[Inline, ...]


def body(data: ReportData, report_id: str, domain: str) -> EmailBody:
    from chalicelib.reporting import png

    images: list[Inline] = []

    def cid(name: str, content: bytes, mime_type: str) -> str:
        # short: a folded Content-ID trips some clients
        found = f"{name}{len(images) + 1}.{report_id}@{domain}"
        images.append(Inline(found, content, mime_type))
        return found

    def chart_html(chart: Chart) -> str:
        content, width, height = png.render(chart)
        ref = cid("chart", content, "image/png")
        return (
            f"<img src='cid:{escape(ref)}' width='{width}' height='{height}' alt='{escape(chart.title)}' "
            "style='display:block;max-width:100%;height:auto;border:0'>"
        )

    def photo_src(name: str, jpeg: bytes) -> str:
        return "cid:" + cid("photo", jpeg, "image/jpeg")

    html = document(data, chart_html, email=True, image_src=photo_src)
    return EmailBody(html=html, text=plain(data), images=tuple(images))


def report_mail(data: ReportData, report_id: str, domain: str, to: tuple[str, ...], workbook: bytes) -> Mail:
    """The report for `to`, in the language of `data`, its workbook (in the same language) attached."""
    b = body(data, report_id, domain)
    return Mail(
        to=to,
        subject=data.title,
        html=b.html,
        text=b.text,
        inline=b.images,
        attachments=(Attachment(f"huixiang-{data.period}.xlsx", workbook, XLSX),),
    )


def plain(data: ReportData) -> str:
    lines = [data.title, data.say("report.text_figures_as_of", as_of=data.as_of_text), ""]
    width = max(len(f.label) for f in data.headline) if data.headline else 0
    lines += [f"{f.label.ljust(width)}  {text(f.value, f.kind)}" for f in data.headline]
    for side in ("best", "worst"):
        standouts = data.section(side)
        if standouts.rows:
            lines += ["", f"{standouts.title}:"]
            lines += [
                data.say("report.text_standout", title=s["title"], owner=s["owner"], roi=text(s["roi"], "percent"))
                for s in standouts.rows
            ]
    overdue = data.section("overdue")
    lines += ["", f"{overdue.title} ({overdue.size:,}):"]
    shown = overdue.rows[:TEXT_OVERDUE_ROWS]
    lines += [
        data.say(
            "report.text_overdue_item",
            title=o["title"],
            customer=o["customer"],
            owner=o["owner"],
            due=o["due_date"],
            days=o["days_overdue"],
        )
        for o in shown
    ]
    if not overdue.size:
        lines.append(f"  {overdue.empty}")
    elif overdue.size > len(shown):
        lines.append(data.say("report.more_email", n=f"{overdue.size - len(shown):,}"))
    lines += ["", data.say("report.text_footer")]
    return "\n".join(lines) + "\n"


def reminder(email: str, items: list[Row], cc: list[str], today: str, lang: Language) -> Mail:
    """One rep's overdue feedback, all of it, in one message (copied to their managers)."""
    rows = "".join(
        f"<tr><td>{escape(i['title'])}</td><td>{escape(i['customer'])}</td><td>{i['due_date']}</td>"
        f"<td>{i['days_overdue']}</td></tr>"
        for i in items
    )
    heads = "".join(
        f"<th>{escape(say(lang, k))}</th>"
        for k in ("field.campaign", "field.customer", "report.feedback_due", "report.days_overdue")
    )
    html_body = (
        f"<!doctype html><html><body><p>{escape(say(lang, 'report.r.intro', n=len(items), today=today))}</p>"
        f"<table border='1' cellpadding='4' style='border-collapse:collapse'><tr>{heads}</tr>{rows}</table>"
        "</body></html>"
    )
    text_body = "\n".join(
        [say(lang, "report.r.text_intro", today=today)]
        + [
            say(
                lang,
                "report.r.item",
                title=i["title"],
                customer=i["customer"],
                due=i["due_date"],
                days=i["days_overdue"],
            )
            for i in items
        ]
    )
    return Mail(
        to=(email,),
        cc=tuple(c for c in cc if c != email),
        subject=say(lang, "report.r.subject", n=len(items)),
        html=html_body,
        text=text_body,
    )
