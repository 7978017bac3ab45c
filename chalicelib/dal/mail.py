"""Outgoing email through SES (raw MIME, so a workbook can be attached). Where
HUIXIANG_OUTBOX_DIR is set (the local stack, the tests) every message is also written there
as an .eml file.

Every message carries a Date and a Message-ID header (RFC 5322 requires the first and asks for
the second; mail clients thread and de-duplicate by them). SES replaces both with its own when
it accepts the message; the .eml in the outbox keeps ours.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.config import settings
from chalicelib.dal.clients import ses
from chalicelib.domain.mail import Attachment, Inline, Mail

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["Attachment", "Inline", "Mail", "build", "send", "sender_domain"]


def sender_domain() -> str:
    """The domain of the sender address: what Message-IDs and Content-IDs are made unique under."""
    from email.utils import parseaddr

    address = parseaddr(settings().mail_sender)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "huixiang.local"


def build(mail: Mail) -> EmailMessage:
    import datetime as dt
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    msg = EmailMessage()
    msg["From"] = settings().mail_sender
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=sender_domain())  # a domain given: no slow getfqdn()
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    if mail.inline:
        html_part = next(part for part in msg.iter_parts() if part.get_content_type() == "text/html")
        for image in mail.inline:
            maintype, subtype = image.mime_type.split("/", 1)
            html_part.add_related(
                image.content,
                maintype=maintype,
                subtype=subtype,
                cid=f"<{image.cid}>",
                disposition="inline",
                filename=image.cid.split("@", 1)[0] + "." + subtype,
            )
    for a in mail.attachments:
        maintype, subtype = a.mime_type.split("/", 1)
        msg.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg


def send(mail: Mail) -> str:
    """Send one message to its To and Cc recipients; returns the SES message id."""
    msg = build(mail)
    raw = msg.as_bytes()
    message_id = ses().send_raw_email(
        Source=settings().mail_sender, Destinations=[*mail.to, *mail.cc], RawMessage={"Data": raw}
    )["MessageId"]
    outbox = settings().outbox_dir
    if outbox:
        path = Path(outbox)
        path.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", mail.subject)[:60].strip("-")
        (path / f"{time.strftime('%Y%m%dT%H%M%S')}-{slug}-{message_id[:12]}.eml").write_bytes(raw)
    return message_id
