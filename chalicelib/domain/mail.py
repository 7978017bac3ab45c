"""An outgoing email as plain values: what reporting/ composes and the mailer port sends
(dal/mail.py through SES, dal/memory.py in tests). No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str  # e.g. application/vnd.openxmlformats-officedocument.spreadsheetml.sheet


@dataclass(frozen=True)
class Inline:
    """An image the HTML body shows with src="cid:<cid>" (multipart/related)."""

    cid: str  # without angle brackets
    content: bytes
    mime_type: str  # e.g. image/png


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
    inline: tuple[Inline, ...] = field(default=())
