"""Messages of the shapes real mailboxes hold, as bytes to APPEND to the test Dovecot."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.conftest import NOW


def message(
    *,
    sender: str = "client@example.com",
    to: str = "alice@v3.test",
    cc: str | None = None,
    reply_to: str | None = None,
    subject: str = "CCTV quote",
    text: str | None = "Hello, please find the quote.",
    html: str | None = None,
    attachments: tuple[tuple[str, bytes], ...] = (),
    message_id: str | None = "auto",
    date: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = date or format_datetime(NOW)
    if message_id == "auto":
        msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:8], domain="example.com")
    elif message_id:
        msg["Message-ID"] = message_id
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def latin1_message(sender: str = "client@example.com") -> bytes:
    """ISO-8859-1 body and an RFC 2047 subject, written by hand as old mailers do."""
    return (
        f"From: {sender}\r\nTo: alice@v3.test\r\n"
        "Subject: =?iso-8859-1?q?Devis_pour_la_cam=E9ra?=\r\n"
        "Message-ID: <latin1@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "Voilà le devis, café compris.\r\n".encode("latin-1")
