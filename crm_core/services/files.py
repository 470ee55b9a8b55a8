"""Files on a contact: attach (object first, then the row), list, fetch, re-categorise, delete,
and the object deletes that follow a purge.

The database and the store can't share a transaction, so the order is chosen so that a failure
leaves nothing half-saved:

- attach: upload the object, then insert the row. If the row fails (at flush, at commit, or
  anything else rolls the caller's transaction back) the object is deleted again.
- delete and purge: delete the row(s) and commit, then delete the object(s) outside any
  transaction (``delete_objects``), then record the outcome (``record_deletes``). An object
  delete that fails is kept in ``crm_pending_object_deletes`` and retried by the next purge
  run: the file is gone for the CRM at once, and its bytes follow as soon as storage answers.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, SessionTransaction

from crm_core.errors import NotFound, StorageUnavailable, ValidationError
from crm_core.filenames import object_key, safe_file_name
from crm_core.models import File, PendingObjectDelete, utcnow
from crm_core.services.contacts import get_contact
from crm_core.stages import FileCategory
from crm_core.storage import FileStore, Source

log = logging.getLogger(__name__)

#: Telegram's caption limit; a stored caption is never longer than what came with the file.
MAX_CAPTION = 1024
MAX_MIME = 127
DEFAULT_MIME = "application/octet-stream"
_MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")

CATEGORY_LABELS: dict[FileCategory, str] = {
    FileCategory.QUOTE: "Quote",
    FileCategory.CONTRACT: "Contract",
    FileCategory.PHOTO: "Photo",
    FileCategory.DOCUMENT: "Document",
}


@dataclass(frozen=True, slots=True)
class AttachResult:
    file: File
    #: The same Telegram file was already on this contact: nothing new was stored.
    duplicate: bool = False


@dataclass(slots=True)
class DeleteReport:
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def parse_category(value: FileCategory | str) -> FileCategory:
    try:
        return FileCategory(str(value).strip().lower())
    except ValueError:
        raise ValidationError(
            "category", "Category must be quote, contract, photo or document."
        ) from None


def clean_mime(value: str | None) -> str:
    """A MIME type as given by the sender if it looks like one, else octet-stream."""
    mime = (value or "").split(";", 1)[0].strip().lower()
    return mime if mime and len(mime) <= MAX_MIME and _MIME.fullmatch(mime) else DEFAULT_MIME


def _size_of(source: Source) -> int:
    if isinstance(source, str | os.PathLike):
        return os.stat(source).st_size
    position = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(position)
    return size - position


def find_duplicate(session: Session, contact_id: int, unique_id: str | None) -> File | None:
    """The file of this contact that came from the same Telegram file, if any."""
    if not unique_id:
        return None
    return session.scalars(
        select(File)
        .where(File.contact_id == contact_id, File.telegram_file_unique_id == unique_id)
        .order_by(File.id)
        .limit(1)
    ).first()


def attach_file(
    session: Session,
    store: FileStore,
    contact_id: int,
    source: Source,
    *,
    file_name: str | None,
    mime_type: str | None,
    category: FileCategory | str,
    uploaded_by: int | None,
    caption: str | None = None,
    telegram_file_id: str | None = None,
    telegram_file_unique_id: str | None = None,
    telegram_kind: str | None = None,
    now: datetime | None = None,
) -> AttachResult:
    """Store ``source`` under a new key of the contact and record it.

    A file whose ``telegram_file_unique_id`` is already on the contact is not stored again: the
    existing row comes back with ``duplicate=True``. Raises ``NotFound`` (contact gone),
    ``ValidationError`` or ``StorageUnavailable`` (nothing stored).
    """
    now = now or utcnow()
    contact = get_contact(session, contact_id)
    kind = parse_category(category)
    existing = find_duplicate(session, contact_id, telegram_file_unique_id)
    if existing is not None:
        return AttachResult(existing, duplicate=True)
    mime = clean_mime(mime_type)
    name = safe_file_name(file_name, kind=telegram_kind or kind.value, mime_type=mime, when=now)
    text = (caption or "").strip()[:MAX_CAPTION] or None
    size = _size_of(source)
    key = _free_key(store, contact_id, name, now)
    store.put(key, source, mime)
    _delete_object_on_rollback(session, store, key)
    row = File(
        contact_id=contact_id,
        file_name=name[:255],
        file_type=mime,
        file_size=size,
        storage_key=key,
        category=kind.value,
        caption=text,
        telegram_file_id=telegram_file_id,
        telegram_file_unique_id=telegram_file_unique_id,
        telegram_kind=telegram_kind,
        uploaded_by=uploaded_by,
        created_at=now,
    )
    session.add(row)
    contact.updated_at = now  # attaching counts as touching: it shows in "recent contacts"
    try:
        session.flush()
    except Exception:
        _delete_quietly(store, key)
        raise
    return AttachResult(row)


def _free_key(store: FileStore, contact_id: int, name: str, now: datetime) -> str:
    """A key nobody uses yet. Keys carry microseconds, so a clash needs two uploads of one name
    in the same microsecond; if it happens anyway, a counter goes in front of the name rather
    than overwriting (and later deleting) someone else's object."""
    key = object_key(contact_id, name, now)
    counter = 1
    while store.exists(key):
        counter += 1
        key = object_key(contact_id, f"{counter}_{name}", now)
    return key


_UNCOMMITTED = "crm_files.uncommitted_objects"


def _delete_object_on_rollback(session: Session, store: FileStore, key: str) -> None:
    """Delete the just-written object unless the session's outer transaction commits: the row
    that would have pointed at it is gone, so must it be. The caller owns the commit, so this
    covers a failing commit, a rollback and a session closed without committing."""
    pending: list[tuple[FileStore, str]] | None = session.info.get(_UNCOMMITTED)
    if pending is None:
        pending = session.info[_UNCOMMITTED] = []
        event.listen(session, "after_commit", _objects_committed)
        event.listen(session, "after_transaction_end", _drop_uncommitted_objects)
    pending.append((store, key))


def _objects_committed(session: Session) -> None:
    if not session.in_nested_transaction():  # a released savepoint commits nothing yet
        session.info[_UNCOMMITTED] = []


def _drop_uncommitted_objects(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint ended, not the transaction the rows live in
    pending = session.info.get(_UNCOMMITTED) or []
    session.info[_UNCOMMITTED] = []
    for store, key in pending:
        _delete_quietly(store, key)


def _delete_quietly(store: FileStore, key: str) -> None:
    try:
        store.delete(key)
    except StorageUnavailable as err:
        # The row was never saved, so nothing points at this object; it is only wasted bytes.
        log.warning("Couldn't delete orphan object %s: %s", key, err.detail)


def list_files(session: Session, contact_id: int) -> list[File]:
    """A live contact's files, newest first."""
    get_contact(session, contact_id)
    return list(
        session.scalars(
            select(File)
            .where(File.contact_id == contact_id)
            .order_by(File.created_at.desc(), File.id.desc())
        )
    )


def get_file(session: Session, file_id: int, *, contact_id: int | None = None) -> File:
    """One file of a live contact (``contact_id``, if given, must be its contact)."""
    row = session.get(File, file_id)
    if row is None or (contact_id is not None and row.contact_id != contact_id):
        raise NotFound("That file no longer exists.")
    get_contact(session, row.contact_id)
    return row


def fetch_file(store: FileStore, row: File, dest: BinaryIO) -> None:
    """Write a file's bytes into ``dest`` (``ObjectMissing``, ``StorageUnavailable``)."""
    store.get(row.storage_key, dest)


def set_category(
    session: Session, file_ids: Sequence[int], category: FileCategory | str
) -> list[File]:
    """Re-categorise files (e.g. an album saved as photos that is really a quote)."""
    kind = parse_category(category)
    rows = list(session.scalars(select(File).where(File.id.in_(list(file_ids))).order_by(File.id)))
    if not rows:
        raise NotFound("Those files no longer exist.")
    for row in rows:
        get_contact(session, row.contact_id)
        row.category = kind.value
    session.flush()
    return rows


def delete_file(session: Session, file_id: int, *, contact_id: int | None = None) -> File:
    """Delete a file's row; the caller deletes ``storage_key`` once this has committed
    (``delete_objects``)."""
    row = get_file(session, file_id, contact_id=contact_id)
    session.delete(row)
    session.flush()
    return row


def pending_deletes(session: Session, *, limit: int = 1000) -> list[str]:
    """The keys of objects whose delete failed before, oldest first, to be tried again."""
    return list(
        session.scalars(
            select(PendingObjectDelete.storage_key)
            .order_by(PendingObjectDelete.created_at, PendingObjectDelete.storage_key)
            .limit(limit)
        )
    )


def delete_objects(store: FileStore, keys: Iterable[str]) -> DeleteReport:
    """Delete objects whose rows are already gone (committed); no database is touched, so no
    transaction waits on storage. A delete that fails is logged and reported as failed: pass
    the report to ``record_deletes``."""
    report = DeleteReport()
    for key in dict.fromkeys(keys):
        try:
            store.delete(key)
        except StorageUnavailable as err:
            log.warning("Couldn't delete object %s, will retry: %s", key, err.detail)
            report.failed.append(key)
        else:
            report.deleted.append(key)
    return report


def record_deletes(session: Session, report: DeleteReport) -> None:
    """Forget the pending deletes that succeeded; record (or count another attempt of) those
    that failed, for the next purge run to retry."""
    if report.deleted:
        session.execute(
            delete(PendingObjectDelete).where(PendingObjectDelete.storage_key.in_(report.deleted))
        )
    for key in report.failed:
        row = session.get(PendingObjectDelete, key)
        if row is None:
            session.add(PendingObjectDelete(storage_key=key, attempts=1, created_at=utcnow()))
        else:
            row.attempts += 1
    session.flush()
