"""Save attachments: the bytes come from the mailbox now and land in the contact's files, in
local storage and in S3 (moto) alike."""

from __future__ import annotations

import io

from sqlalchemy import select

from crm_core.mail.attachments import save_attachments
from crm_core.models import Email
from crm_core.services.files import fetch_file, list_files
from tests.mail.conftest import ALICE_MAIL
from tests.mail.messages import message

PDF = b"%PDF-1.4 quote" * 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 300


def test_attachments_are_saved_as_contact_files(
    dovecot, contact, sync, session_factory, store, box, options, alice
):
    jane = contact("Jane", "jane@example.com")
    msg = message(sender="jane@example.com", attachments=(("quote.pdf", PDF), ("site.png", PNG)))
    dovecot.append(ALICE_MAIL, msg)
    sync()
    with session_factory() as s:
        email_id = s.scalar(select(Email.id))
    saved = save_attachments(session_factory, store, box, options, email_id, alice.id)
    assert saved.contact_id == jane
    assert saved.too_big == []
    with session_factory() as s:
        files = {f.file_name: f for f in list_files(s, jane)}
    assert set(files) == {"quote.pdf", "site.png"}
    assert files["quote.pdf"].category == "document"
    assert files["site.png"].category == "document"
    out = io.BytesIO()
    fetch_file(store, files["quote.pdf"], out)
    assert out.getvalue() == PDF
    with dovecot.client(ALICE_MAIL) as imap:  # still unread on the server
        imap.select_folder("INBOX", readonly=True)
        assert all(b"\\Seen" not in f for f in imap.get_flags(imap.search("ALL")).values())
