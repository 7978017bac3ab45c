"""The MIME message a report email becomes: dated, identified, its charts inline as PNG parts
the HTML refers to by Content-ID, its workbook attached."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re

from chalicelib.dal import mail

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def message(**kw) -> email.message.EmailMessage:
    m = mail.Mail(
        to=("boss@example.com",),
        subject="Huixiang campaign report 2026-11 — 回响",
        html="<p>see <img src='cid:chart1.R1@example.com'></p>",
        text="see the chart",
        **kw,
    )
    return email.message_from_bytes(mail.build(m).as_bytes(), policy=email.policy.default)


def test_every_message_has_a_date_and_a_message_id():
    first, second = message(), message()
    sent = email.utils.parsedate_to_datetime(first["Date"])
    assert sent.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - sent).total_seconds()) < 60
    assert re.fullmatch(rf"<[^@<>\s]+@{re.escape(mail.sender_domain())}>", first["Message-ID"])
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Subject"] == "Huixiang campaign report 2026-11 — 回响"


def test_inline_charts_are_related_parts_of_the_html_and_the_workbook_an_attachment():
    msg = message(
        inline=(mail.Inline("chart1.R1@example.com", PNG, "image/png"),),
        attachments=(mail.Attachment("huixiang-2026-11.xlsx", b"PK\x03\x04", "application/vnd.ms-excel"),),
    )
    assert msg.get_content_type() == "multipart/mixed"
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html, image = related.iter_parts()
    assert html.get_content_type() == "text/html" and "cid:chart1.R1@example.com" in html.get_content()
    assert image["Content-ID"] == "<chart1.R1@example.com>" and image.get_content_disposition() == "inline"
    assert image.get_content() == PNG
    assert msg.get_body(("plain",)).get_content().strip() == "see the chart"
    assert [a.get_filename() for a in msg.iter_attachments() if a.get_content_disposition() == "attachment"] == [
        "huixiang-2026-11.xlsx"
    ]


def test_the_sender_domain_comes_from_the_configured_address(monkeypatch):
    from dataclasses import replace

    from chalicelib.config import settings

    monkeypatch.setattr(mail, "settings", lambda: replace(settings(), mail_sender="Huixiang <r@acme.cn>"))
    assert mail.sender_domain() == "acme.cn"


def test_the_report_use_cases_only_orchestrate_words_markup_and_sending_live_elsewhere():
    """logic/reports.py neither writes markup nor imports the SES module: the emails are
    composed in chalicelib/reporting/ and sent through the mailer port (repos.mailer())."""
    import ast
    import inspect

    from chalicelib.logic import reports

    tree = ast.parse(inspect.getsource(reports))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{a.name}" for a in node.names} | {node.module or ""}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    assert not {"chalicelib.dal.mail", "html"} & imported
    markup = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and re.search(r"<(p|table|tr|td|th|html|body)\b", n.value)
    ]
    assert markup == []
