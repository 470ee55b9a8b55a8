"""The trash: contacts moved there stay restorable for ``TRASH_DAYS`` days, then are erased."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm_core.errors import ValidationError
from crm_core.models import Contact, File, utcnow
from crm_core.services.contacts import get_contact
from crm_core.services.listing import Page
from crm_core.services.search import matching

TRASH_DAYS = 30


@dataclass(frozen=True, slots=True)
class PurgeResult:
    contact_ids: list[int] = field(default_factory=list)
    storage_keys: list[str] = field(default_factory=list)


def delete_contact(session: Session, contact_id: int, *, now: datetime | None = None) -> Contact:
    """Move to the trash: hidden everywhere, restorable for ``TRASH_DAYS`` days."""
    contact = get_contact(session, contact_id)
    contact.deleted_at = now or utcnow()
    session.flush()
    return contact


def restore_contact(session: Session, contact_id: int) -> Contact:
    contact = get_contact(session, contact_id, include_deleted=True)
    contact.deleted_at = None
    session.flush()
    return contact


def list_trash(
    session: Session,
    *,
    now: datetime | None = None,
    text: str = "",
    page: int = 1,
    page_size: int = 10,
) -> Page:
    """A page of the trash (contacts deleted in the last ``TRASH_DAYS`` days), the most
    recently deleted first; with ``text``, only those that search would find by it."""
    since = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    conditions = [Contact.deleted_at.is_not(None), Contact.deleted_at >= since]
    query = " ".join(text.casefold().split())
    if query:
        conditions.append(matching(session, query))
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    page = min(max(1, page), max(1, math.ceil(total / page_size)))
    items = session.scalars(
        select(Contact)
        .where(*conditions)
        .order_by(Contact.deleted_at.desc(), Contact.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return Page(list(items), total, page, page_size)


def _purge_ids(session: Session, ids: Sequence[int]) -> PurgeResult:
    if not ids:
        return PurgeResult()
    keys = list(session.scalars(select(File.storage_key).where(File.contact_id.in_(ids))))
    # Notes, files and stage history go with the contact (ON DELETE CASCADE).
    session.execute(delete(Contact).where(Contact.id.in_(ids)))
    session.flush()
    return PurgeResult(contact_ids=list(ids), storage_keys=keys)


def purge_contact(session: Session, contact_id: int) -> PurgeResult:
    """Erase one trashed contact now (e.g. a UK GDPR erasure request)."""
    contact = get_contact(session, contact_id, include_deleted=True)
    if contact.deleted_at is None:
        raise ValidationError("contact", "Move the contact to the trash before erasing it.")
    session.expunge(contact)
    return _purge_ids(session, [contact_id])


def purge_trash(
    session: Session, *, older_than_days: int = TRASH_DAYS, now: datetime | None = None
) -> PurgeResult:
    """Erase contacts trashed more than ``older_than_days`` days ago. Returns the storage keys
    whose objects the caller deletes once the transaction has committed."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    ids = list(
        session.scalars(
            select(Contact.id).where(Contact.deleted_at.is_not(None), Contact.deleted_at < cutoff)
        )
    )
    return _purge_ids(session, ids)
