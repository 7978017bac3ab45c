"""Outgoing email through SES (raw MIME, so a workbook can be attached). Where
HUIXIANG_OUTBOX_DIR is set (the local stack, the tests) every message is also written there
as an .eml file."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.config import settings
from chalicelib.dal.clients import ses


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str          # e.g. application/vnd.openxmlformats-officedocument.spreadsheetml.sheet


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())


def build(mail: Mail):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = settings().mail_sender
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = mail.subject
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    for a in mail.attachments:
        maintype, subtype = a.mime_type.split("/", 1)
        msg.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg


def send(mail: Mail) -> str:
    """Send one message to its To and Cc recipients; returns the SES message id."""
    msg = build(mail)
    raw = msg.as_bytes()
    message_id = ses().send_raw_email(Source=settings().mail_sender, Destinations=[*mail.to, *mail.cc],
                                       RawMessage={"Data": raw})["MessageId"]
    outbox = settings().outbox_dir
    if outbox:
        path = Path(outbox)
        path.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", mail.subject)[:60].strip("-")
        (path / f"{time.strftime('%Y%m%dT%H%M%S')}-{slug}-{message_id[:12]}.eml").write_bytes(raw)
    return message_id
