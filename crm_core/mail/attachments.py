"""Saving a stored email's attachments as the contact's files.

Only names and sizes are kept at sync time; the bytes are fetched from the mailbox when an admin
asks ("Save attachments"), then stored through the files service like any other file (same
store, same key scheme, same categories: images as Photo, the rest as Document).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.crypto import SecretBox
from crm_core.errors import NotFound
from crm_core.mail.client import connect
from crm_core.mail.parse import Attachment, attachments_of, read_message
from crm_core.mail.sync import MailOptions, server_of
from crm_core.models import EmailConfig, File
from crm_core.services.emails import get_email
from crm_core.services.files import attach_file
from crm_core.stages import FileCategory
from crm_core.storage import FileStore

#: The limit the chat puts on a file (Telegram's download limit), kept for mail too.
MAX_ATTACHMENT = 20 * 1024 * 1024


@dataclass(frozen=True)
class SavedAttachments:
    contact_id: int
    files: list[File]
    too_big: list[str]


def save_attachments(
    factory: sessionmaker[Session],
    store: FileStore,
    box: SecretBox,
    options: MailOptions,
    email_id: int,
    by_user_id: int,
) -> SavedAttachments:
    """Fetch the message from the mailbox it came from and store its attachments now."""
    with factory.begin() as session:
        row = get_email(session, email_id)
        config = session.scalar(select(EmailConfig).where(EmailConfig.user_id == row.user_id))
        if config is None:
            raise NotFound("The mailbox this email came from is no longer connected.")
        password, _stale = box.open(config.password_encrypted)
        server = server_of(config, options)
        where = (row.contact_id, row.folder, row.uid, row.uidvalidity, row.message_key)
    contact_id, folder, uid, uidvalidity, key = where
    with connect(server, password) as imap:
        info = imap.select_folder(folder, readonly=True)
        if int(info[b"UIDVALIDITY"]) != uidvalidity:  # the folder was rebuilt: find it again
            found = [] if key.startswith("sha256:") else imap.search(["HEADER", "Message-ID", key])
            if not found:
                raise NotFound("That email is no longer in the mailbox.")
            uid = found[0]
        raw = imap.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
    if not isinstance(raw, bytes):
        raise NotFound("That email is no longer in the mailbox.")
    parts = attachments_of(read_message(raw))
    kept = [a for a in parts if len(a.data) <= MAX_ATTACHMENT]
    with factory.begin() as session:
        files = [_attach(session, store, contact_id, a, by_user_id) for a in kept]
    return SavedAttachments(
        contact_id, files, [a.name for a in parts if len(a.data) > MAX_ATTACHMENT]
    )


def _attach(
    session: Session, store: FileStore, contact_id: int, item: Attachment, by_user_id: int
) -> File:
    category = FileCategory.PHOTO if item.mime_type.startswith("image/") else FileCategory.DOCUMENT
    return attach_file(
        session,
        store,
        contact_id,
        io.BytesIO(item.data),
        file_name=item.name,
        mime_type=item.mime_type,
        category=category,
        uploaded_by=by_user_id,
    ).file
